image { name = "a", user = "app" }
