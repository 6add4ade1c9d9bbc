image { name = "a", tag = "registry.example.com/Team/App:1" }
