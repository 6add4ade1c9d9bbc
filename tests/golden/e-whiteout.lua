image { name = "a", files = { { "/a", "sub/../.wh.x" } } }
