image { name = "a", files = { { "/a", tree "missing" } } }
