image { name = "a", env = { PORT = 3000.5 } }
