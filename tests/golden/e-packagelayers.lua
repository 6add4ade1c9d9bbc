image { name = "a", packages = { "x" }, packagelayers = "some" }
