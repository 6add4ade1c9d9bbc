image { name = "base" }
image { name = "a", base = "bsae" }
