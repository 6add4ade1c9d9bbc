-- The web service: a static site from a folder, and the binary that serves it.
local web = command {
  outputs = "web",
  inputs = "web.c",
  run = "cc -static -Os -o $out $in",
  cache = true,                          -- with --cache, built once for the whole fleet
  description = "CC web",
}

image {
  name = "web",
  tag = "monorepo/web:1",
  base = "base",
  layers = {
    { name = "site", files = { { "/srv/www", tree "static" } } },
    { name = "app", files = { { "/usr/local/bin/web", web } } },
  },
  entrypoint = { "/usr/local/bin/web" },
  expose = { 80 },
}
