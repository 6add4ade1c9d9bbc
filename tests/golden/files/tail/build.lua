-- included: a declaration that is a tail call, so no frame of this file is
-- left to name its line, after other lines of this file have run
local missing = "nosuch.txt"
return image { name = "tail", files = { { "/f", missing } } }
