image { name = "a", files = { { "/a", "a:b" } } }
