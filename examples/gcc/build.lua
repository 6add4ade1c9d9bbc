-- gcc: a C program built without the network by the toolchain of a Debian
-- builder image (gcc, make, libc6-dev, pinned by imagegen.lock), installed
-- into a folder, and that folder laid over a runtime image of libc6 alone.
--   imagegen build.lua && ninja        out/greet
local builder = image {
  name = "gcc-builder",
  packages = { "gcc", "libc6-dev", "make" },
  essential = true,
  sbom = false,
}

-- runs in gcc-builder in /out (the image sets no workdir), the inputs
-- read-only there; `make install DESTDIR=dist` writes the folder dist
local dist = command {
  image = builder,
  inputs = { "Makefile", "greet.c", "message.txt" },
  outputs = { dir "dist" },
  -- make writes greet beside the sources: the step's folder is its own
  run = "make install DESTDIR=dist CC=gcc",
  description = "MAKE greet",
}

image {
  name = "greet",
  tag = "greet:1",
  packages = { "libc6" },
  files = { { "/", dist } },
  user = "65534:65534",
  entrypoint = { "/usr/local/bin/greet" },
}
