-- The api service: its config and its binary in separate layers, so a code
-- change rebuilds only the binary's layer.
local api = command {
  outputs = "api",
  inputs = "api.c",
  run = "cc -static -Os -o $out $in",
  cache = true,                          -- with --cache, built once for the whole fleet
  description = "CC api",
}

image {
  name = "api",
  tag = "monorepo/api:1",
  base = "base",
  layers = {
    { name = "config", files = { { "/etc/api/api.conf", "api.conf", mode = "0640", gid = 1000 } } },
    { name = "app", files = { { "/usr/local/bin/api", api } } },
  },
  entrypoint = { "/usr/local/bin/api" },
  user = "1000:1000",
  workdir = "/home/app",
  expose = { 8080 },
}
