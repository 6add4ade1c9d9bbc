image { name = "a", expose = { 80, http = 8080 } }
