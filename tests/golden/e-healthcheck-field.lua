image { name = "a", format = "docker", healthcheck = { test = { "CMD", "/health" }, intervals = "1s" } }
