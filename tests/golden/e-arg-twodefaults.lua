local a = arg("VERSION", "dev")
image { name = "app", labels = { version = a } }

image { name = "tool", labels = { version = arg("VERSION", "1.0") } }
