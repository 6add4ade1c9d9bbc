-- hello: a static binary, built in the same ninja graph, alone in a scratch image.
local hello = command {
  outputs = "hello",
  inputs = "hello.c",
  run = "cc -static -Os -o $out $in",
  description = "CC hello",
}

image {
  name = "hello",
  tag = "latest",
  base = scratch,
  files = {
    { "/hello", hello },
  },
  entrypoint = { "/hello" },
  labels = { ["org.opencontainers.image.title"] = "hello" },
}
