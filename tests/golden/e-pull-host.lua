image { name = "a", base = pull "team/base:1" }
