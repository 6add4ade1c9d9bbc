image { name = "a", format = "docker", healthcheck = { test = { "CMD", "/health" }, timeout = "3 s" } }
