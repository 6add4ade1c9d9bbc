image { name = "a", packages = { "Bad Name" } }
