image {
  name = "web",
  layers = {
    { name = "app",
      files = { { "/a", "conf.txt" } } },
    {
      name = "bad name",
      files = { { "/b", "conf.txt" } },
    },
  },
}
