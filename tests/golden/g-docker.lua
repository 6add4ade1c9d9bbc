-- Docker's format: the spec says so, and holds the healthcheck in nanoseconds
local a = image {
  name = "a", format = "docker", files = { { "/etc/motd", "motd" } },
  healthcheck = { test = { "CMD", "/bin/check", "--quick" }, interval = "1m30s", timeout = "1.5s",
    start_period = "250ms", retries = 5 },
}
-- over it: OCI's format, its healthcheck inherited; and NONE in Docker's
image { name = "b", base = a, files = { { "/etc/b", text "b\n" } } }
image { name = "c", base = a, format = "docker", healthcheck = { test = { "NONE" } } }
image { name = "d", base = a, format = "docker", healthcheck = { test = { "CMD-SHELL", "wget -q -O- http://localhost/ || exit 1" } } }
