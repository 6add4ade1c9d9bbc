image { name = "a", files = { { "/etc/../../a", "conf.txt" } } }
