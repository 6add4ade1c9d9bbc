include "sub"
local missing = "nosuch.txt"
return image { name = "t", files = { { "/f", missing } } }
