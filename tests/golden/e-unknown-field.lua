image {
  name = "a",
  entrypiont = { "/a" },
}
