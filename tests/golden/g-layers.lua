-- a standalone layer shared by two images; bases by handle and by name;
-- a child's entrypoint drops the inherited cmd, env and labels merge
local certs = layer { name = "certs", files = { { "/etc/conf.txt", "conf.txt" } } }
local root = image {
  name = "root",
  tag = "example.com/team/root:2.0",
  layers = { certs, { name = "etc", files = { { "/etc/motd", "motd" } } } },
  env = { A = "1", B = "2" },
  labels = { tier = "base" },
  cmd = { "sh" },
}
image { name = "child", base = root, layers = { { files = { { "/x", text "x" } } } },
  env = { B = "3" }, entrypoint = { "/x" } }
image { name = "other", base = "root", layers = { certs } , tag = "other" }
