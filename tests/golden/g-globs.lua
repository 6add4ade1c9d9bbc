-- glob's answer, sorted, as files and a command's inputs; a tree's exclude in its spec
local files = {}
for _, p in ipairs(glob { "**", exclude = { "layout", "*.tar", "loop", "build.lua", "stdout", "stderr" } }) do
  files[#files + 1] = { "/g/" .. p, p }
end
local c = command { outputs = "all.c", inputs = glob "*.c", run = "cat $in > $out" }
files[#files + 1] = { "/all.c", c }
files[#files + 1] = { "/static", tree { "static", exclude = { "*.css", "!keep.css", "/sub/" } } }
image { name = "g", files = files }
