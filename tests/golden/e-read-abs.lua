image { name = "a", files = { { "/a", read "/etc/passwd" } } }
