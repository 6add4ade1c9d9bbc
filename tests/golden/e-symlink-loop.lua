image { name = "a", files = { { "/a", "loop" } } }
