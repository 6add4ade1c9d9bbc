image { name = "a" }

image { name = "a" }
