image { name = "a", files = { { "/s", tree { "static", exclude = { "a/../b" } } } } }
