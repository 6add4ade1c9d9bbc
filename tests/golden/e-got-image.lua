local base = image { name = "base" }
image {
  name = "a",
  layers = { base },
}
