image { name = "a", tag = "my___app:1" }
