image { name = "a", platforms = { "linux/amd64", "linux/amd64" } }
