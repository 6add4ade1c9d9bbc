image { name = "a", format = "docker", healthcheck = { test = { "CMD", "/health" }, retries = 0 } }
