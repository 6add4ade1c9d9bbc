image { name = "a", base = pull "127.0.0.1:5000/Team/base:1" }
