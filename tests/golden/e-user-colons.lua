image { name = "a", user = "app:grp:x" }
