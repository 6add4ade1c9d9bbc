image { name = "a", base = "a" }
