-- A tool image from scratch, with nothing but its binary.
local tool = command {
  outputs = "tool",
  inputs = "tool.c",
  run = "cc -static -Os -o $out $in",
  cache = true,                          -- with --cache, built once for the whole fleet
  description = "CC tool",
}

image {
  name = "tool",
  files = { { "/tool", tool } },
  entrypoint = { "/tool" },
  cmd = { "--version" },
}
