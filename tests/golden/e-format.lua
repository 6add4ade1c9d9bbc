image { name = "a", format = "dockr" }
