local c = command { outputs = "x", run = "touch $out", cache = "yes" }
image { name = "a", files = { { "/x", c } } }
