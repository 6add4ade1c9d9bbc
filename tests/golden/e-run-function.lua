local c = command { outputs = "x", run = function(p) return 42 end }
image { name = "a", platforms = { "linux/amd64" }, files = { { "/x", c } } }
