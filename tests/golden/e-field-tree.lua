image {
  name = "a",
  files = {
    { "/srv", tree { "static",
      follow = "yes" } },
  },
}
