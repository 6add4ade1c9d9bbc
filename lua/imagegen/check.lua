-- imagegen.check: the checks a declaration makes of what it is given, and
-- the one-line errors it raises ("build.lua:12: files[3]: ...").
local path = require "imagegen.path"
local native = require "imagegen.native"

local M = {}


-- a user error: one line, reported without a traceback. Where the message
-- starts with a field's path ("files[3]: ...", "layers[1].files[2]: ...",
-- "entrypoint: ..."), it names that field's line (M.at)
function M.fail(where, fmt, ...)
  local msg = string.format(fmt, ...)
  error({ msg = M.at(where, msg) .. ": " .. msg }, 0)
end
local fail = M.fail

-- the same, at the field path names ("image.entrypiont", "files[2].mode")
function M.failat(where, path, fmt, ...)
  error({ msg = M.at(where, path) .. ": " .. string.format(fmt, ...) }, 0)
end

-- Fields' lines. Lua keeps no line for a table constructor's fields, so an
-- error finds its field in the definition's text, and only then (nothing of
-- this runs while definitions evaluate without error): from the line of the
-- declaration's call, the table given to the one declaration named on that
-- line is read as tokens, each field's key (a name, a ["string"] or a
-- position) with the line it starts on, nested tables too. Unsure (no text,
-- no such call on the line or two of them, a table built elsewhere, a field
-- given as a variable), the line found so far stays: the declaration's.
M.texts = {}  -- a definition's shown name -> its text (lang.load)
local tabled = { image = true, layer = true, command = true, repository = true, tree = true }
local keywords = { ["function"] = 1, ["if"] = 1, ["do"] = 1, ["end"] = -1 }

-- the tokens of src from pos (a line's start, line) on: kind, value, line
local function lexer(src, pos, line)
  local function count(a, b)
    local _, n = src:sub(a, b):gsub("\n", "")
    line = line + n
  end
  -- a long bracket "[==[" at i: the position of its end, else nil
  local function long(i)
    local eq = src:match("^%[(=*)%[", i)
    if not eq then return nil end
    local _, e = src:find("]" .. eq .. "]", i, true)
    return e or #src
  end
  return function()
    while true do
      local c = src:sub(pos, pos)
      if c == "" then return "eof", nil, line end
      if c == "\n" then
        line, pos = line + 1, pos + 1
      elseif c:match("%s") then
        pos = pos + 1
      elseif src:sub(pos, pos + 1) == "--" then
        local e = long(pos + 2)
        if e then count(pos, e) pos = e + 1 else pos = src:find("\n", pos, true) or #src + 1 end
      else
        break
      end
    end
    local at, c = line, src:sub(pos, pos)
    local word = src:match("^[%a_][%w_]*", pos) or src:match("^%.?%d[%w_.]*", pos)
    if word then
      pos = pos + #word
      return word:match("^[%a_]") and "name" or "number", word, at
    end
    if c == '"' or c == "'" then
      local i = pos + 1
      while i <= #src do
        local ch = src:sub(i, i)
        if ch == "\\" then i = i + 2
        elseif ch == c or ch == "\n" then break
        else i = i + 1 end
      end
      local value = src:sub(pos + 1, i - 1)
      count(pos, i - 1)
      pos = i + 1
      return "string", value, at
    end
    local e = c == "[" and long(pos)
    if e then
      count(pos, e)
      local value = src:sub(pos, e):match("^%[=*%[\n?(.-)%]=*%]$")
      pos = e + 1
      return "string", value, at
    end
    local op = src:match("^[=~<>]=", pos) or src:match("^%.%.%.?", pos) or src:match("^::", pos) or c
    pos = pos + #op
    return (op:match("^[{}()%[%],;=]$") and op or "op"), op, at
  end
end

-- the fields of the table constructor whose "{" is token k: { key = { line,
-- fields } } and the index of the token after its "}"
local function constructor(tok, k)
  -- the index of the token that ends the expression starting at k: a
  -- separator or closer outside brackets and blocks
  local function skip(i)
    local depth = 0
    while true do
      local t = tok(i)
      if t.kind == "eof" then return i end
      if depth == 0 and (t.kind == "," or t.kind == ";" or t.kind == "}" or t.kind == ")" or t.kind == "]") then
        return i
      end
      if t.kind == "{" or t.kind == "(" or t.kind == "[" then depth = depth + 1
      elseif t.kind == "}" or t.kind == ")" or t.kind == "]" then depth = depth - 1
      elseif t.kind == "name" and keywords[t.value] then depth = depth + keywords[t.value] end
      i = i + 1
    end
  end
  local fields, n = {}, 0
  k = k + 1
  while true do
    local t = tok(k)
    if t.kind == "}" or t.kind == "eof" then return fields, k + 1 end
    local key
    if t.kind == "name" and tok(k + 1).kind == "=" then
      key, k = t.value, k + 2
    elseif t.kind == "[" then
      if tok(k + 1).kind == "string" and tok(k + 2).kind == "]" then key = tok(k + 1).value end
      k = skip(k + 1) + 1
      if tok(k).kind ~= "=" then return fields, k end
      key, k = key or {}, k + 1
    else
      n = n + 1
      key = n
    end
    local f = { line = t.line }
    if tok(k).kind == "{" then f.fields, k = constructor(tok, k) end
    k = skip(k)
    fields[key] = f
    local sep = tok(k).kind
    if sep == "," or sep == ";" then k = k + 1 elseif sep ~= "}" then return fields, k end
  end
end

-- the keys of the path a message starts with: "layers[1].files[2]: /a:
-- uid: ..." -> { "layers", 1, "files", 2, "uid" } (a destination skipped),
-- and the first word of the sentence after it ("files[1]: /a: mode must
-- be ..." -> { "files", 1, "mode" }), which names a field only if it is one
local function pathof(s)
  local keys = {}
  for part in (s .. ": "):gmatch("(.-): ") do
    if part:sub(1, 1) ~= "/" then
      local name, rest = part:match("^([%a_][%w_]*)(.*)$")
      if not name then break end
      local these = { name }
      while rest ~= "" do
        local i, r = rest:match("^%[(%d+)%](.*)$")
        if i then these[#these + 1] = tonumber(i) else these[#these + 1], r = rest:match("^%.([%a_][%w_]*)(.*)$") end
        if not r then
          if rest:match("^[ (]") then keys[#keys + 1] = name end
          return keys
        end
        rest = r
      end
      table.move(these, 1, #these, #keys + 1, keys)
    end
  end
  return keys
end

-- the line of the field path names in the declaration called at where
-- ("build.lua:3"), as "build.lua:LINE"; where itself when unsure
local function fieldline(where, path)
  local file, line = where:match("^(.*):(%d+)$")
  local src = file and M.texts[file]
  if not src then return where end
  line = tonumber(line)
  local pos = 1
  for _ = 2, line do
    pos = src:find("\n", pos, true)
    if not pos then return where end
    pos = pos + 1
  end
  local lex, T = lexer(src, pos, line), {}
  local function tok(k)
    while #T < k do
      local kind, value, at = lex()
      T[#T + 1] = { kind = kind, value = value, line = at }
      if kind == "eof" then break end
    end
    return T[k] or T[#T]
  end
  -- the one call of a declaration that takes a table on that line
  local call, decl
  local k = 1
  while tok(k).kind ~= "eof" and tok(k).line == line do
    local t, prev = tok(k), k > 1 and tok(k - 1)
    if t.kind == "name" and tabled[t.value] and tok(k + 1).kind ~= "=" and
        not (prev and (prev.value == "." or prev.value == ":" or prev.value == "function")) then
      if call then return where end
      call, decl = k, t.value
    end
    k = k + 1
  end
  if not call then return where end
  k = call + 1
  if tok(k).kind == "(" then k = k + 1 end
  if tok(k).kind ~= "{" then return where end
  local node = { fields = (constructor(tok, k)) }
  local keys = pathof(path)
  if keys[1] == decl and not node.fields[decl] then table.remove(keys, 1) end
  for _, key in ipairs(keys) do
    local f = node.fields and node.fields[key]
    if not f then break end
    line, node = f.line, f
  end
  return file .. ":" .. line
end

-- where, at the line of the field that path (or a message starting with
-- it) names, when where is a declaration's "file:line"
function M.at(where, path)
  if type(where) ~= "string" or type(path) ~= "string" then return where end
  local ok, at = pcall(fieldline, where, path)
  return ok and at or where
end

-- the chunk names ("@build.lua") of the definition files, and imagegen's
-- own functions that stand between a definition and a declaration, known
-- by where they are defined: wrappers[chunk name][first line] (a wrapper is
-- made for each declaration of each file: lines, not a table of them all)
M.definitions = {}
M.wrappers = {}

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
    local self = debug.getinfo(lvl, "t")
    local info = debug.getinfo(lvl + 1, "Sl")
    if not self or self.istailcall or not info then return M.lastwhere() end
    local wrapper = M.wrappers[info.source]
    if not (wrapper and wrapper[info.linedefined]) then
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

-- the string key of known nearest to word, if it is near enough; nil
function M.nearest(word, known)
  local best, bestd
  for k in pairs(known) do
    if type(k) == "string" then
      local d = distance(word, k)
      if (not bestd or d < bestd or (d == bestd and k < best)) then best, bestd = k, d end
    end
  end
  if best and bestd <= math.max(2, #word // 3) then return best end
  return nil
end

function M.suggest(word, known)
  local best = M.nearest(word, known)
  return best and string.format(" (did you mean '%s'?)", best) or ""
end

-- t must be a plain table (no metatable, so reading it runs no code) whose
-- string keys are all in fields; n positional values at most
function M.checkfields(where, what, t, fields, npos)
  if type(t) ~= "table" then
    fail(where, "%s: expected a table { ... } of its fields, got %s", what, M.kindname(t))
  end
  if debug.getmetatable(t) then
    fail(where, "%s: expected a table { ... } of its fields, got %s", what, M.kindname(t))
  end
  for k in pairs(t) do
    if type(k) == "string" then
      if not fields[k] then
        M.failat(where, what .. "." .. k, "%s: unknown field '%s'%s", what, k, M.suggest(k, fields))
      end
    elseif math.type(k) ~= "integer" or k < 1 or k > (npos or 0) then
      M.failat(where, what .. (math.type(k) == "integer" and "[" .. k .. "]" or ""), "%s: unexpected value at [%s]",
        what, tostring(k))
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

-- the object behind a definition's view of it (lang.lua sets it)
M.unview = function(v) return v end

-- what a value is, in words, for "expected ..., got a command"
local kindnames = { ["imagegen.image"] = "an image", ["imagegen.layer"] = "a layer",
  ["imagegen.command"] = "a command", ["imagegen.output"] = "a command's output",
  ["imagegen.base"] = "a base (oci_layout, docker_archive or pull)", ["imagegen.repository"] = "a repository",
  ["imagegen.scratch"] = "scratch", string = "a string", number = "a number", boolean = "a boolean",
  ["function"] = "a function", ["nil"] = "nothing", table = "a table" }
local sourcenames = { file = "a file", tree = "a tree", text = "a text", symlink = "a symlink", dir = "dir()",
  outdir = "dir \"name\" (a folder a command writes)", whiteout = "remove()", opaque = "opaque()",
  external = "an external file", output = "a command's output", folder = "a command's folder" }
function M.kindname(v)
  local o = M.unview(v)
  local name = M.typename(o)
  if name == "imagegen.source" then return sourcenames[rawget(o, "kind")] or "a source" end
  if o == v and type(v) == "table" and debug.getmetatable(v) then
    return kindnames[name] or "a table with a metatable"
  end
  return kindnames[name] or name
end

-- a string that goes into a spec or a config: no NUL byte
local function nonul(where, what, s)
  if s:find("%z") then fail(where, "%s: contains a NUL byte", what) end
  return s
end
M.nonul = nonul

function M.stringlist(where, what, v)
  if M.isstring(v) then return { nonul(where, what, v) } end
  if type(v) ~= "table" or debug.getmetatable(v) then
    fail(where, "%s: expected a list of strings, got %s", what, M.kindname(v))
  end
  local out = {}
  for i, s in ipairs(v) do
    if not M.isstring(s) then fail(where, "%s[%d]: expected a string, got %s", what, i, M.kindname(s)) end
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
  if type(v) ~= "table" or debug.getmetatable(v) then
    fail(where, "%s: expected a table of strings, got %s", what, M.kindname(v))
  end
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
      fail(where, "%s.%s: expected a string or a whole number, got %s", what, k, M.kindname(s))
    end
    out[k] = nonul(where, what .. "." .. k, s)
  end
  return out
end

-- "0755" or "755" -> 493; Lua has no octal literals, so numbers are refused
-- (field: the field's name in messages, "mode" unless said)
function M.parsemode(where, what, v, field)
  if v == nil then return nil end
  field = field or "mode"
  if type(v) == "number" then
    fail(where, "%s: %s must be an octal string such as \"0755\" (Lua has no octal numbers)", what, field)
  end
  if not M.isstring(v) or not v:match("^[0-7]+$") or #v > 5 or tonumber(v, 8) > 4095 then
    fail(where, "%s: %s '%s' is not an octal mode such as \"0644\"", what, field, tostring(v))
  end
  return tonumber(v, 8)
end

function M.parseid(where, what, v)
  if v == nil then return 0 end
  if math.type(v) ~= "integer" or v < 0 or v > 2147483647 then
    fail(where, "%s: expected a numeric id, got %s", what,
      type(v) == "string" and string.format("the string '%s'", M.show(v)) or tostring(v))
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
  -- (each name follows a '/': one that is ".." or starts with ".wh." makes d hold "/.")
  if d:find("/.", 1, true) then
    for part in d:gmatch("[^/]+") do
      if part == ".." then fail(where, "%s: destination '%s' escapes with '..'", what, M.show(d)) end
      if part:sub(1, 4) == ".wh." then
        fail(where, "%s: destination '%s': names starting with .wh. are whiteouts", what, M.show(d))
      end
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
