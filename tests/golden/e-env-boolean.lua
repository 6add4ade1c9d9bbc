image { name = "a", env = { DEBUG = true } }
