image { name = "a", base = "b" }
image { name = "b", base = "c" }
image { name = "c", base = "a" }
