image { name = "a", tag = "app:.v1" }
