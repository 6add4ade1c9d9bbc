-- a file made outside these definitions, and declared extended attributes
image {
  name = "ext",
  files = {
    { "/usr/bin/tool", external "prebuilt/tool" },
    { "/usr/bin/ping", "conf.txt", mode = "0755", xattrs = { ["security.capability"] = "cap", ["user.a"] = "b" } },
  },
}
