local bin = command {
  outputs = "app",
  inputs = "main.c",
  run = "cc -static -o $out $in && echo '$$HOME stays' > /dev/null",
}
image {
  name = "app",
  files = {
    { "/usr/bin/app", bin },
    { "/etc/conf.txt", "conf.txt", mode = "0600", uid = 1000, gid = 100 },
    { "/etc/motd", text(read "motd") },
    { "/bin/sh", symlink "busybox" },
    { "/var/empty", dir(), mode = "0700" },
    { "/srv/www", tree { "static", mode = "0444", dirmode = "0555" } },
  },
  entrypoint = { "/usr/bin/app" },
  cmd = { "--serve" },
  env = { PATH = "/usr/bin:/bin", HOME = "/" },
  workdir = "/srv",
  user = "1000:100",
  labels = { version = "1" },
  annotations = { ["org.opencontainers.image.source"] = "golden" },
  expose = { 80, "53/udp" },
  volumes = { "/data" },
  platform = "linux/riscv64",
  stopsignal = "SIGINT",
}
