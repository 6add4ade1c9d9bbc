image {
  name = "a",
  packages = { "hello" },
  essential = true,
  minimal = true,
}
