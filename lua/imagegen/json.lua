-- imagegen.json: canonical JSON (sorted keys, no whitespace) from Lua values.
-- A table with a [1] or marked by M.array is an array; one made by M.raw is
-- JSON text already; any other table an object, whose keys are strings,
-- sorted by their bytes. Numbers are integers.
--
-- JSON strings are UTF-8, file names any bytes: a byte that is not part of
-- valid UTF-8 is written as \u0000 and then the character of the same
-- number (U+0080 to U+00FF). No name holds a NUL, so the pair is
-- unambiguous; the layer helper reads it back as the byte (plugin/base/spec.c).
-- Control characters are spelled out (\n, \u001b), never left to the locale.
--
-- The encoder is native.jsonencode (plugin/lua/native.c): the generator writes
-- megabytes of specs, and this is most of its work.
local native = require "imagegen.native"

local M = {}

local arraymt = {}

-- mark t as a JSON array even when empty
function M.array(t)
  return setmetatable(t or {}, arraymt)
end

local rawmt = {}

-- text that is JSON already (what M.encode returned), written as it is
function M.raw(text)
  return setmetatable({ text }, rawmt)
end

function M.encode(v)
  return native.jsonencode(v, arraymt, rawmt)
end

-- the text of a JSON file: M.encode(v) and a newline
function M.line(v)
  return native.jsonencode(v, arraymt, rawmt, true)
end

return M
