image { name = "MyApp" }
