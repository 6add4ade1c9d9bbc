-- a layer named accounts in an image with users: imagegen's accounts layer has that id
image {
  name = "x",
  users = { { name = "app", uid = 1000 } },
  layers = { { name = "accounts", files = { { "/a", text "a\n" } } } },
}
