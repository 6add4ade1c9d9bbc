image {
  name = "a",
  mergedusr = false,
}
