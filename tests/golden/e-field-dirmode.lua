image {
  name = "a",
  files = {
    { "/srv", tree {
      "static",
      mode = "0644",
      dirmode = 755,
    } },
  },
}
