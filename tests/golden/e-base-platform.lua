image { name = "a", platform = "linux/amd64" }
image { name = "b", base = "a", platforms = { "linux/amd64", "linux/arm64" } }
