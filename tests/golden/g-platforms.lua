-- one tag, three platforms: a command per platform ($arch, and a function),
-- a layer shared by all, a child on the base of the same platforms, and a
-- base from outside the graph taken for each platform
local bin = command { outputs = "app", inputs = "main.c", run = "cc-$arch -static -o $out $in" }
local tool = command { outputs = "tool", inputs = bin,
  run = function(p) return "strip-" .. p.os .. "-" .. p.arch .. (p.variant ~= "" and "-" .. p.variant or "") .. " -o $out $in" end }
image {
  name = "app",
  platforms = { "linux/riscv64", "linux/ppc64le", "linux/arm/v7" },
  layers = {
    { name = "bin", files = { { "/usr/bin/app", bin }, { "/usr/bin/tool", tool } } },
    { name = "conf", files = { { "/etc/conf.txt", "conf.txt" } } },
  },
  entrypoint = { "/usr/bin/app" },
}
image { name = "child", base = "app", files = { { "/etc/motd", "motd" } } }
image { name = "ext", base = oci_layout "layout", platforms = { "linux/riscv64", "linux/ppc64le" } }
