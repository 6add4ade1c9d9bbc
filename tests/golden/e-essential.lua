image {
  name = "a",
  packages = { "hello" },
  essential = "yes",
}
