image { name = "a", users = { { name = "u" } } }
