image { name = "a", expose = "http" }
