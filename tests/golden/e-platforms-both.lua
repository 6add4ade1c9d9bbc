image { name = "a", platform = "linux/amd64", platforms = { "linux/arm64" } }
