image { name = "a", cmd = sh { "echo", "hi" } }
