image { name = "a", expose = 70000 }
