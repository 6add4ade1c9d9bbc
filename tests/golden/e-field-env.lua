image {
  name = "a",
  env = {
    PATH = "/usr/bin",
    DEBUG = true,
  },
}
