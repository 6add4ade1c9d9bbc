image { name = "a", format = "docker", healthcheck = { test = { "CMD", "/health" }, interval = 30 } }
