image { name = "a", base = docker_archive "missing.tar" }
