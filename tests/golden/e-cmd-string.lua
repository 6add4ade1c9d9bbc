image { name = "a", cmd = "/app/server --port 80" }
