local r = repository { url = "ftp://x", suite = "s" }
