image {
  name = "a",
  users = {
    { name = "app", uid = 1000 },
    { name = "web",
      uid = "1001" },
  },
}
