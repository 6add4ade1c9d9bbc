image { name = "a", env = { "PORT=3000" } }
