-- imagegen.json: canonical JSON (sorted keys, no whitespace) from Lua values.
-- A table with a [1] or marked by M.array is an array; any other table an object.
local M = {}

local arraymt = {}

-- mark t as a JSON array even when empty
function M.array(t)
  return setmetatable(t or {}, arraymt)
end

local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }

-- (the control characters spelled out: %c follows the locale, which in
-- the make plugin is make's, and may take bytes of UTF-8 for controls)
local function utf8str(s)
  return (s:gsub('[\0-\31"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end))
end

-- JSON strings are UTF-8, file names any bytes: a byte that is not part of
-- valid UTF-8 is written as \u0000 and then the character of the same
-- number (U+0080 to U+00FF). No name holds a NUL, so the pair is
-- unambiguous; the layer helper reads it back as the byte (plugin/nodes.c).
local function str(s)
  local out, i = {}, 1
  while true do
    local ok, bad = utf8.len(s, i)
    if ok then break end
    out[#out + 1] = utf8str(s:sub(i, bad - 1))
    out[#out + 1] = string.format("\\u0000\\u%04x", s:byte(bad))
    i = bad + 1
  end
  out[#out + 1] = utf8str(s:sub(i))
  return '"' .. table.concat(out) .. '"'
end

local function encode(v, out)
  local t = type(v)
  if t == "string" then
    out[#out + 1] = str(v)
  elseif t == "number" then
    if math.type(v) ~= "integer" then error("json: only integers are encoded", 2) end
    out[#out + 1] = tostring(v)
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  elseif t == "table" then
    if getmetatable(v) == arraymt or v[1] ~= nil then
      out[#out + 1] = "["
      for i, x in ipairs(v) do
        if i > 1 then out[#out + 1] = "," end
        encode(x, out)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = k end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = str(k)
        out[#out + 1] = ":"
        encode(v[k], out)
      end
      out[#out + 1] = "}"
    end
  else
    error("json: cannot encode a " .. t, 2)
  end
end

function M.encode(v)
  local out = {}
  encode(v, out)
  return table.concat(out)
end

return M
