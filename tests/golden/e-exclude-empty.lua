image { name = "a", files = { { "/s", tree { "static", exclude = ".git" } } } }
image { name = "b", files = { { "/s", tree { "static", exclude = { "" } } } } }
