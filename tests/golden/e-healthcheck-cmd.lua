image { name = "a", format = "docker", healthcheck = { test = { "CMD" } } }
