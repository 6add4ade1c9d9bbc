image { name = "a", format = "docker", healthcheck = { test = { "CMD-SHELL", "curl", "-f" } } }
