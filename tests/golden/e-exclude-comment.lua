image { name = "a", files = { { "/s", tree { "static", exclude = { "#x" } } } } }
