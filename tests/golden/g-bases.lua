-- bases from outside the graph, and whiteouts over them
image {
  name = "onpull",
  base = pull "127.0.0.1:5000/team/base:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  files = { { "/etc/motd", remove() }, { "/var/cache", opaque() } },
  env = { A = "1" },
}
image { name = "onlayout", base = oci_layout("layout", "v1"), compression = "zstd", files = { { "/x", text "x" } } }
image { name = "onarchive", base = docker_archive "base.tar", tag = "localhost:5000/onarchive:2" }
