image { name = "a", users = { { name = "api", uid = 1000 } }, user = "app" }
