image { name = "a", format = "docker", healthcheck = { test = { "CMD", "/health" }, start_period = "0s" } }
