local base = include "sub"
local other = include "sbu"
