image { name = "a", compression = "zstandard" }
