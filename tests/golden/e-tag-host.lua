image { name = "a", tag = "bad_host.example.com/app:1" }
