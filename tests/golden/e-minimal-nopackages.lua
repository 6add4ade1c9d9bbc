image {
  name = "a",
  minimal = true,
}
