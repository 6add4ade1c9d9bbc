image { name = "a", files = { { "/a", "a\0b" } } }
