image { name = "a", files = { { "/etc/a", "conf.txt" }, { "/etc//a/", text "x" } } }
