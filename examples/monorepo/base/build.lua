-- The base that the services share: accounts, os-release, a writable /tmp.
return image {
  name = "base",
  tag = "monorepo/base:1",
  layers = {
    { name = "etc", files = {
      { "/etc/passwd", "passwd" },
      { "/etc/group", "group" },
      { "/etc/os-release", text(read "os-release") },
      { "/tmp", dir(), mode = "1777" },
      { "/home/app", dir(), uid = 1000, gid = 1000 },
    } },
  },
  env = { PATH = "/usr/local/bin:/usr/bin:/bin" },
  labels = { ["org.opencontainers.image.vendor"] = "example" },
}
