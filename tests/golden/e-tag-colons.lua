image { name = "a", tag = "myrepo:v1:extra" }
