image { name = "app", labels = { v = arg("1VERSION", "dev") } }
