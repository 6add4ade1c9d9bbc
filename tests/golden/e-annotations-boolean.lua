image { name = "a", annotations = { ["com.example.signed"] = false } }
