-- an argument without a default that nobody gave: its line, and what to write
local version = arg("VERSION", "dev")

local tag = arg("RELEASE_TAG")
image { name = "app", tag = tag }
