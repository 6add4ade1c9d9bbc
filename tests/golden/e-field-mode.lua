image {
  name = "a",
  files = {
    { "/etc/a", "conf.txt",
      uid = 0,
      mode = "0999" },
  },
}
