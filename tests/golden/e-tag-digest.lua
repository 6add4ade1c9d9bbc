image { name = "a", tag = "app@sha256:0123" }
