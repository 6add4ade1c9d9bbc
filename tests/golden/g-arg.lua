-- build arguments: the defaults, for no -D is given and no IMAGEGEN_ARG_ set
local version = arg("VERSION", "dev")
image {
  name = "app",
  labels = { version = version, port = arg("PORT", 8080) },
  files = { { "/etc/version", text(version .. "\n") } },
}
-- asked for twice: the same value
image { name = "tool", base = "app", env = { VERSION = arg("VERSION") } }
