-- a layer named files beside the files field: both would be the layer x/files
image {
  name = "x",
  layers = { { name = "files", files = { { "/a", text "a\n" } } } },
  files = { { "/f", text "f\n" } },
}
