image { name = "a", files = { { "/a", "conf.txt", mode = 0755 } } }
