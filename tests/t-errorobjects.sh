# What a definition raises when it is not a string (issue 24, item 3): one
# line "FILE:LINE: error object is a table", or its __tostring run under
# the CPU budget; no metamethod of the definition's runs outside it (the
# message handler reads nothing of the object, a run function is the
# definition's code under the budget, and no metatable has __gc, which Lua
# would run with the hooks off).
. "$TOP/tests/lib.sh"

workdir errorobjects
cd "$W" || exit 1

# refused NAME BUDGET EXPECTED: NAME.lua fails with exit 1, its one line
# EXPECTED, within 30 s of the budget BUDGET
refused() {
	IMAGEGEN_EVAL_SECONDS=$2 timeout 30 "$IMAGEGEN" -o "$1.ninja" "$1.lua" > "$1.out" 2>&1
	same "$1: exit 1 and one line" "1 1" "$? $(wc -l < "$1.out")"
	same "$1: the line" "imagegen: $3" "$(cat "$1.out")"
}

printf 'error({})\n' > empty.lua
refused empty 60 "empty.lua:1: error object is a table"
printf 'local x = 1\nerror(setmetatable({}, { __index = function() while true do end end }))\n' > index.lua
refused index 1 "index.lua:2: error object is a table"
printf 'error(setmetatable({}, { __tostring = function() return "a message of its own" end }))\n' > tostring.lua
refused tostring 60 "tostring.lua:1: a message of its own"
printf 'error(setmetatable({}, { __tostring = function() while true do end end }))\n' > tostringloop.lua
refused tostringloop 1 "tostringloop.lua:1: the definitions ran for more than 1 s of CPU (IMAGEGEN_EVAL_SECONDS; an endless loop?)"
printf 'error(setmetatable({}, { __tostring = function() error("no") end }))\n' > tostringerror.lua
refused tostringerror 60 "tostringerror.lua:1: error object is a table"
printf 'error()\n' > nil.lua
refused nil 60 "nil.lua:1: error object is nil"
printf 'error(42)\n' > number.lua
refused number 60 "number.lua:1: 42"
printf 'error(true)\n' > boolean.lua
refused boolean 60 "boolean.lua:1: error object is a boolean"
# from an included file: its own line
mkdir -p inc
printf 'local x = 1\nerror(setmetatable({}, { __index = function() while true do end end }))\n' > inc/build.lua
printf 'include "inc"\n' > include.lua
refused include 1 "inc/build.lua:2: error object is a table"
# Lua runs a finalizer with the hooks off: a metatable with __gc is refused
printf 'setmetatable({}, { __gc = function() while true do end end })\nfor i = 1, 1e6 do local t = {} end\nimage { name = "a" }\n' > gc.lua
refused gc 1 "gc.lua:1: setmetatable: a definition's metatable cannot have __gc (it would run outside the CPU budget)"
# a command's run function runs when the graph is resolved: under the budget too
printf 'local c = command { outputs = "x", run = function(p)\n  while true do end\nend }\nimage { name = "a", files = { { "/x", c } } }\n' > run.lua
refused run 1 "run.lua:2: the definitions ran for more than 1 s of CPU (IMAGEGEN_EVAL_SECONDS; an endless loop?)"
printf 'local c = command { outputs = "x", run = function(p)\n  error(setmetatable({}, { __index = function() while true do end end }))\nend }\nimage { name = "a", files = { { "/x", c } } }\n' > runerror.lua
refused runerror 1 "runerror.lua:2: error object is a table"
# imagegen's own errors, and a definition's string, are as they were
printf 'error("plain", 0)\n' > plain.lua
refused plain 60 "plain"
printf 'image { name = "a", base = "nosuch" }\n' > own.lua
refused own 60 "own.lua:1: base: no image named 'nosuch'"
