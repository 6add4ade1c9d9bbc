image {
  name = "a",
  files = {
    { "/etc/a", "conf.txt" },
    { "/etc/x", "conf/x" },
  },
}
