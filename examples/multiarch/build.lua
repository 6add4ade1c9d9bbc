-- One tag, two platforms: out/NAME/ holds an image index with an amd64 and
-- an arm64 image. hello is cross-compiled (statically) with Debian's
-- gcc-x86-64-linux-gnu and gcc-aarch64-linux-gnu: the run is a function of
-- the platform, so it runs once for each. busybox comes from the machine's
-- apt sources, resolved for each architecture and locked in imagegen.lock.
local cc = { amd64 = "x86_64-linux-gnu-gcc", arm64 = "aarch64-linux-gnu-gcc" }

local hello = command {
  outputs = "hello",
  inputs = "../hello/hello.c",
  run = function(p) return cc[p.arch] .. " -static -Os -o $out $in" end,
}

image {
  name = "hello",
  platforms = { "linux/amd64", "linux/arm64" },
  files = { { "/hello", hello } },
  entrypoint = { "/hello" },
}

image {
  name = "busybox",
  platforms = { "linux/amd64", "linux/arm64" },
  packages = { "busybox-static" },
  entrypoint = { "/bin/busybox" },
  cmd = { "echo", "hello from busybox" },
}
