image { name = "app-", tag = "v1" }
