image { name = "a", format = "docker", annotations = { a = "b" } }
