local z = image { name = "z", compression = "zstd", files = { { "/z", text "z\n" } } }
local m = image { name = "m", base = z }
image { name = "d", base = m, format = "docker" }
