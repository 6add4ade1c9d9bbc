image { name = "a", healthcheck = { test = { "CMD", "/health" } } }
