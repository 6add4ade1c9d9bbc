-- included: paths are relative to this folder
local tool = command { outputs = "tool", inputs = "tool.c", run = "cc -o $out $in" }
return image { name = "sub", base = "root", files = { { "/usr/bin/tool", tool }, { "/etc/sub.conf", "sub.conf" } } }
