image {
  name = "a",
  layers = {
    { name = "one", files = { { "/a", "conf.txt" } } },
    { name = "two", files = {
      { "/b", "conf.txt" },
      { "/c", "conf.txt", mode = 755 },
    } },
  },
}
