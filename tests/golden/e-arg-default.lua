local port = arg("PORT", 8080)  -- a whole number is its decimal string
image { name = "app", labels = { port = port, debug = arg("DEBUG", false) } }
