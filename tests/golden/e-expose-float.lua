image { name = "a", expose = 80.5 }
