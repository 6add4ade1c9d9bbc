local c = command { outputs = "app", run = "true" }
image {
  name = "a",
  files = {
    { "/a", "conf.txt" },
    c,
  },
}
