image { name = "a", labels = { ["org.opencontainers.image.version"] = { 1 } } }
