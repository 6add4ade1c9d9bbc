image { name = "a", entrypoint = "/app/server" }
