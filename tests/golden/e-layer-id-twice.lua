-- two layers of one image with one name
image {
  name = "x",
  layers = { { name = "a", files = { { "/a", text "a\n" } } }, { name = "a", files = { { "/b", text "b\n" } } } },
}
