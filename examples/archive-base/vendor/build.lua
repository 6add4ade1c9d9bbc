-- The vendor's base, built by a project of its own: Debian's busybox-static
-- (from the machine's apt sources, pinned in vendor/imagegen.lock), a few
-- applets as links in /usr/bin, and a release file. Its out/base.tar, a
-- docker-archive, is what the vendor hands out; ../build.lua builds over it.
-- The links go in /usr/bin, not /bin: the image has merged /usr, /bin is a
-- link to usr/bin, and a file declared under /bin replaces that link with a
-- folder (and /bin/busybox is gone).
local links = { { "/etc/vendor-release", text "vendor base 1.0\n" } }
for _, applet in ipairs { "sh", "cat", "ls", "echo", "uname" } do
  links[#links + 1] = { "/usr/bin/" .. applet, symlink "busybox" }
end

image {
  name = "base",
  tag = "vendor/base:1.0",
  packages = { "busybox-static" },
  layers = { { name = "applets", files = links } },
  env = { PATH = "/usr/local/bin:/usr/bin:/bin" },
  cmd = { "/bin/sh" },
  labels = { ["org.opencontainers.image.vendor"] = "vendor" },
}
