image { name = "a", format = "docker", compression = "zstd" }
