image { name = "a", format = "docker", healthcheck = { test = { "CMD-SHEL", "exit 0" } } }
