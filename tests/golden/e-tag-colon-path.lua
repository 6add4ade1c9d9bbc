image { name = "a", tag = "registry:5000/team:1/app" }
