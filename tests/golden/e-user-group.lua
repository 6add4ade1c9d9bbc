image { name = "a", users = { { name = "api", uid = 1000 } }, user = "1000:wheel" }
