-- imagegen.check: the checks a declaration makes of what it is given, and
-- the one-line errors it raises ("build.lua:12: files[3]: ...").
local path = require "imagegen.path"
local native = require "imagegen.native"

local M = {}


-- a user error: one line, reported without a traceback
function M.fail(where, fmt, ...)
  error({ msg = where .. ": " .. string.format(fmt, ...) }, 0)
end
local fail = M.fail

-- the chunk names ("@build.lua") of the definition files, and imagegen's
-- own functions that stand between a definition and a declaration
M.definitions = {}
M.wrappers = setmetatable({}, { __mode = "k" })

-- "file:line" of the last definition line that ran, kept by the hook over
-- the definitions (native.evalhook, see lang.lua): a declaration called as
-- "return image {...}" is a tail call and has no caller frame
function M.lastwhere()
  local src, line = native.lastline()
  return src and M.show(src:sub(2)) .. ":" .. line or "?"
end

-- what a definition raised, as an error of imagegen's: a string stays, as
-- does imagegen's own { msg } (a table without a metatable); anything
-- else is "build.lua:3: error object is a table", or what its __tostring
-- gives. Called where it was raised, so that __tostring runs as the
-- definition's code, under its budget; nothing else of the object is read.
function M.errorobject(e)
  if type(e) == "string" then return e end
  local mt = debug.getmetatable(e)
  if type(e) == "table" and mt == nil and type(rawget(e, "msg")) == "string" then return e end
  local where = M.lastwhere()
  if type(e) == "number" then return { msg = where .. ": " .. tostring(e) } end
  if type(e) == "table" and mt ~= nil and rawget(mt, "__tostring") ~= nil then
    local ok, s = pcall(tostring, e)
    if ok and type(s) == "string" then return { msg = where .. ": " .. s } end
    -- the budget's own error, raised in the __tostring
    if not ok and type(s) == "table" and debug.getmetatable(s) == nil and type(rawget(s, "msg")) == "string" then
      return s
    end
  end
  return { msg = where .. ": error object is " .. (e == nil and "nil" or "a " .. type(e)) }
end

-- "file:line" of the definition code that called a declaration (the
-- function at level, skipping imagegen's wrappers)
function M.caller(level)
  local lvl = level
  while true do
    local self = debug.getinfo(lvl, "tf")
    local info = debug.getinfo(lvl + 1, "Slf")
    if not self or self.istailcall or not info then return M.lastwhere() end
    if not M.wrappers[info.func] then
      if M.definitions[info.source] then return M.show(info.source:sub(2)) .. ":" .. info.currentline end
      return M.lastwhere()
    end
    lvl = lvl + 1
  end
end

local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

function M.suggest(word, known)
  local best, bestd
  for k in pairs(known) do
    local d = distance(word, k)
    if (not bestd or d < bestd or (d == bestd and k < best)) then best, bestd = k, d end
  end
  if best and bestd <= math.max(2, #word // 3) then
    return string.format(" (did you mean '%s'?)", best)
  end
  return ""
end

-- t must be a plain table (no metatable, so reading it runs no code) whose
-- string keys are all in fields; n positional values at most
function M.checkfields(where, what, t, fields, npos)
  if type(t) ~= "table" then
    fail(where, "%s: expected a table, got %s", what, type(t))
  end
  if debug.getmetatable(t) then fail(where, "%s: expected a plain table, got %s", what, M.typename(t)) end
  for k in pairs(t) do
    if type(k) == "string" then
      if not fields[k] then
        fail(where, "%s: unknown field '%s'%s", what, k, M.suggest(k, fields))
      end
    elseif math.type(k) ~= "integer" or k < 1 or k > (npos or 0) then
      fail(where, "%s: unexpected value at [%s]", what, tostring(k))
    end
  end
end

function M.set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

function M.isstring(v) return type(v) == "string" end

-- what a value is, for messages: a declared object's kind, or its Lua type
function M.typename(v)
  local mt = debug.getmetatable(v)
  return mt and rawget(mt, "__name") or type(v)
end

-- a string that goes into a spec or a config: no NUL byte
local function nonul(where, what, s)
  if s:find("%z") then fail(where, "%s: contains a NUL byte", what) end
  return s
end
M.nonul = nonul

function M.stringlist(where, what, v)
  if M.isstring(v) then return { nonul(where, what, v) } end
  if type(v) ~= "table" or debug.getmetatable(v) then fail(where, "%s: expected a list of strings", what) end
  local out = {}
  for i, s in ipairs(v) do
    if not M.isstring(s) then fail(where, "%s[%d]: expected a string, got %s", what, i, type(s)) end
    out[i] = nonul(where, string.format("%s[%d]", what, i), s)
  end
  for k in pairs(v) do
    if math.type(k) ~= "integer" then fail(where, "%s: expected a list, found key '%s'", what, tostring(k)) end
  end
  return out
end

-- k = "v" as a definition writes it: NAME = "v", or ["a.b"] = "v"
local function assignment(k, v)
  local key = k:match("^[%a_][%w_]*$") and k or string.format("[%q]", k)
  return string.format("%s = %q", key, v)
end

-- a table of strings (env, labels, annotations, xattrs): a whole number is
-- its decimal text (PORT = 3000 is "3000"); other values are refused with
-- the form to write
function M.stringmap(where, what, v)
  if type(v) ~= "table" or debug.getmetatable(v) then fail(where, "%s: expected a table of strings", what) end
  local out = {}
  for k, s in next, v do
    if not M.isstring(k) then
      if math.type(k) == "integer" then
        fail(where, "%s: expected NAME = \"value\" entries, got a list item [%d]", what, k)
      end
      fail(where, "%s: keys must be strings", what)
    end
    nonul(where, what, k)
    if math.type(s) == "integer" then
      s = tostring(s)
    elseif math.type(s) == "float" then
      fail(where, "%s.%s: %s is not a whole number; write %s if that is the text meant", what, k, tostring(s),
        assignment(k, tostring(s)))
    elseif type(s) == "boolean" then
      fail(where, "%s.%s: expected a string or a whole number, got %s; write %s (or %s)", what, k, tostring(s),
        assignment(k, tostring(s)), assignment(k, s and "1" or "0"))
    elseif not M.isstring(s) then
      fail(where, "%s.%s: expected a string or a whole number, got %s", what, k, M.typename(s))
    end
    out[k] = nonul(where, what .. "." .. k, s)
  end
  return out
end

-- "0755" or "755" -> 493; Lua has no octal literals, so numbers are refused
function M.parsemode(where, what, v)
  if v == nil then return nil end
  if type(v) == "number" then
    fail(where, "%s: mode must be an octal string such as \"0755\" (Lua has no octal numbers)", what)
  end
  if not M.isstring(v) or not v:match("^[0-7]+$") or #v > 5 or tonumber(v, 8) > 4095 then
    fail(where, "%s: mode '%s' is not an octal mode such as \"0644\"", what, tostring(v))
  end
  return tonumber(v, 8)
end

function M.parseid(where, what, v)
  if v == nil then return 0 end
  if math.type(v) ~= "integer" or v < 0 or v > 2147483647 then
    fail(where, "%s: expected a numeric id, got %s", what, tostring(v))
  end
  return v
end

-- a file name for a message, on one line and one-to-one: a byte that is
-- not UTF-8 as \xHH, a backslash as \\, a control character as \n, \t,
-- \r or \xHH (docs/names.md; the one spelling is plugin/base/text.c's)
M.show = native.showname

-- strings in v (a string or a table of them, keys too) must be UTF-8: an
-- image's config and manifest are JSON
function M.text(where, what, v)
  if type(v) == "string" and not utf8.len(v) then
    fail(where, "%s: '%s' is not UTF-8 text, which an image's config must be", what, M.show(v))
  elseif type(v) == "table" then
    for k, x in pairs(v) do
      M.text(where, what, k)
      M.text(where, what, x)
    end
  end
end

-- "/etc/x" -> "etc/x"; refuses relative paths and '..'
function M.destination(where, what, d, allowroot)
  if not M.isstring(d) then fail(where, "%s: the destination must be a string path", what) end
  if d:sub(1, 1) ~= "/" then
    fail(where, "%s: destination '%s' is relative; write '/%s'", what, M.show(d), M.show(d))
  end
  for part in d:gmatch("[^/]+") do
    if part == ".." then fail(where, "%s: destination '%s' escapes with '..'", what, M.show(d)) end
    if part:sub(1, 4) == ".wh." then
      fail(where, "%s: destination '%s': names starting with .wh. are whiteouts", what, M.show(d))
    end
  end
  if d:find("%z") then fail(where, "%s: destination contains a NUL byte", what) end
  local n = path.normalize(d):sub(2)
  if n == "" and not allowroot then fail(where, "%s: '/' can only receive a tree", what) end
  return n
end

-- Image references as the OCI distribution spec and every tool read them:
-- [host[:port]/]path[:tag], the path of components
-- [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*, a tag [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.

-- whether s is one component of a repository's path
function M.repocomponent(s)
  if not s:match("^[a-z0-9][a-z0-9._-]*$") then return false end
  for _, sep in s:gmatch("([a-z0-9]+)([^a-z0-9]*)") do
    if not (sep == "" or sep == "." or sep == "_" or sep == "__" or sep:match("^%-+$")) then return false end
  end
  return s:match("[a-z0-9]$") ~= nil
end

-- whether s is a registry host, "host[:port]"
function M.repohost(s)
  local host, port = s:match("^([^:]+):(%d+)$")
  host = host or s
  if port and #port > 5 then return false end
  if host:match("^%[[%x:]+%]$") then return true end
  for part in (host .. "."):gmatch("([^.]*)%.") do
    if not part:match("^[%w]$") and not part:match("^[%w][%w-]*[%w]$") then return false end
  end
  return true
end

-- whether the first component of a reference names a registry host (as
-- docker reads it: a '.' or ':' in it, or localhost)
function M.ishost(s)
  return s:find("[.:]") ~= nil or s == "localhost"
end

function M.istag(s)
  return s:match("^[%w_][%w._-]*$") ~= nil and #s <= 128
end

-- "[host[:port]/]path" as a repository: nil, or what is wrong with it
function M.repository(repo)
  if #repo > 255 then return string.format("repository '%s' is longer than 255 characters", repo) end
  local parts = {}
  for part in (repo .. "/"):gmatch("([^/]*)/") do parts[#parts + 1] = part end
  local first = 1
  if #parts > 1 and M.ishost(parts[1]) then
    if not M.repohost(parts[1]) then
      return string.format("'%s' is not a registry host such as 'registry.example.com' or '127.0.0.1:5000'", parts[1])
    end
    first = 2
  end
  local path = table.concat(parts, "/", first)
  local lower = path:lower()
  for i = first, #parts do
    if parts[i] == "" then return string.format("repository '%s' has an empty component", repo) end
    if not M.repocomponent(parts[i]) then
      local ok = true
      for part in (lower .. "/"):gmatch("([^/]*)/") do ok = ok and M.repocomponent(part) end
      if path ~= lower and ok then
        return string.format("repository '%s' must be lowercase for registries and podman: '%s'", path, lower)
      end
      return string.format("'%s' is not a component of a repository: lowercase letters and digits, with one "
        .. "'.', '_' or '__', or '-'s, between them", parts[i])
    end
  end
end

return M
