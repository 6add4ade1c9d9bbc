-- imagegen.regen: a generation skipped when nothing it read has changed.
--
-- Everything the generator learns of the world comes through a few natives
-- (files, folders, globs, the environment, the machine): while a generation
-- runs, this module records each call of them and what it answered. The
-- record (.imagegen/regen.state) also holds the command line, imagegen's
-- version and the digest of its binary, and the files the generation wrote.
-- The next run with the same command line asks each recorded question again
-- and compares the answers; when all are the same and every file it wrote
-- is there, the generation would write the same bytes, so it does not run.
-- Any other question (a download, a registry, a signature checked) leaves
-- no record: such a generation always runs, as does one whose modules come
-- from IMAGEGEN_LUA's folder.
--
-- The record, one string.pack "s4" field after another:
--   magic, key (the command line, the version, the binary's digest),
--   calls (the count, then each: name, arguments, answer), outputs (the
--   count, then each path), whether to touch the output (make compares
--   mtimes), and the build file's text for the make plugin (or "").
-- An answer longer than 64 bytes is kept as its sha256.
-- Lua code itself is deterministic (no clock, no os, sorted iteration), so
-- the same answers give the same build file, specs and lock.
local native = require "imagegen.native"

local M = {}

M.state = ".imagegen/regen.state"
local magic = "imagegen regen 1"

-- the natives whose answers depend on the world, and can be asked again
local asked = { "readfile", "realpath", "stat", "listdir", "getenv", "sourcedate", "arch", "downloaddir",
  "exe", "glob" }
-- those whose answers cannot be checked without doing their work again (the
-- signatures of indexes and packages, what they read of files downloaded)
local unrecordable = { "fetch", "registrydigest", "gpgv", "apkindex", "apkcontrol" }

local raw = {}        -- the natives themselves
local calls, seen     -- the calls recorded, and what was asked (seen[name][key]); nil when not recording
local spoiled = false -- a call of an unrecordable native was made

-- a value as bytes: its kind, then its text (a list: its elements, each a
-- field); anything else (a table with other keys, a function) spoils the
-- record
local function ser(v)
  local t = type(v)
  if v == nil then return "n" end
  if t == "boolean" then return v and "T" or "F" end
  if t == "number" then return "i" .. tostring(v) end
  if t == "string" then return "s" .. v end
  if t == "table" then
    local parts, n = { "t" }, #v
    for k in pairs(v) do
      if math.type(k) ~= "integer" or k < 1 or k > n then spoiled = true end
    end
    for i = 1, n do parts[i + 1] = string.pack("s4", ser(v[i])) end
    return table.concat(parts)
  end
  spoiled = true
  return "?"
end

local function deser(s)
  local k = s:sub(1, 1)
  if k == "n" then return nil end
  if k == "T" then return true end
  if k == "F" then return false end
  if k == "i" then return tonumber(s:sub(2)) end
  if k == "s" then return s:sub(2) end
  local t, pos = {}, 2
  while pos <= #s do
    local f
    f, pos = string.unpack("s4", s, pos)
    t[#t + 1] = deser(f)
  end
  return t
end

-- the arguments of a call as one field
local function args(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = string.pack("s4", ser((select(i, ...)))) end
  return table.concat(parts)
end

-- the arguments args made, again
local function unargs(a)
  local list, n, pos = {}, 0, 1
  while pos <= #a do
    local f
    f, pos = string.unpack("s4", a, pos)
    n = n + 1
    list[n] = deser(f)
  end
  return table.unpack(list, 1, n)
end

-- the answers of a call as one field: short, or its digest
local function answer(...)
  local a = args(...)
  if #a > 64 then return "#" .. native.sha256(a) end
  return a
end

-- the natives of one string (most calls: a generation of 10,000 images
-- asks 90,000 questions), recorded without args' fields: the argument as it
-- is, an answer of their own shape
local single = {
  readfile = function(data, err) return data and native.sha256(data) or "!" .. err end,
  stat = function(kind, x) return (kind or "!") .. "\0" .. tostring(x) end,
  realpath = function(p, err) return p or "!" .. err end,
  listdir = function(names, err) return names and native.sha256(table.concat(names, "\0")) or "!" .. err end,
  getenv = function(v) return v and "s" .. v or "n" end,
}

-- the answer recorded for a call of native name with argument field a
local function ask(name, a)
  local shape = single[name]
  if shape then return shape(raw[name](a)) end
  return answer(raw[name](unargs(a)))
end

for _, name in ipairs(asked) do
  local fn = native[name]
  raw[name] = fn
  local shape = single[name]
  if shape then
    native[name] = function(p, ...)
      if not calls or type(p) ~= "string" or select("#", ...) > 0 then
        if calls then spoiled = true end
        return fn(p, ...)
      end
      local a, b = fn(p)
      local asked = seen[name]
      if not asked then
        asked = {}
        seen[name] = asked
      end
      if not asked[p] then
        asked[p] = true
        calls[#calls + 1] = { name, p, shape(a, b) }
      end
      return a, b
    end
  else
    native[name] = function(...)
      if not calls then return fn(...) end
      local key = "\0" .. name .. "\0" .. args(...)
      local r = table.pack(fn(...))
      if not seen[key] then
        seen[key] = true
        calls[#calls + 1] = { name, args(...), answer(table.unpack(r, 1, r.n)) }
      end
      return table.unpack(r, 1, r.n)
    end
  end
end
-- a file the generation writes (the lock) and read before: its answers
-- are asked again when the generation ends (M.stop), since the next run
-- reads what it wrote
local written
local writefile = native.writefile
native.writefile = function(p, data)
  if calls then written[p] = true end
  return writefile(p, data)
end
for _, name in ipairs(unrecordable) do
  local fn = native[name]
  native[name] = function(...)
    spoiled = true
    return fn(...)
  end
end

-- whether the modules are read from IMAGEGEN_LUA's folder (development),
-- not the binary, whose digest would not tell their edits: then no record
local function lualib()
  local dir = raw.getenv("IMAGEGEN_LUA")
  return dir ~= nil and dir ~= ""
end

-- what the generation is: its command line, imagegen's version and binary
-- (for the make plugin, --exe names the binary built with it)
local keys = setmetatable({}, { __mode = "k" })
local function key(argv)
  if keys[argv] then return keys[argv] end
  local exe
  for i, a in ipairs(argv) do
    if a == "--exe" then exe = argv[i + 1] end
  end
  exe = exe or raw.exe()
  local bin = raw.readfile(exe)
  keys[argv] = string.pack("s4s4s4", native.version, bin and native.sha256(bin) or "", args(table.unpack(argv)))
  return keys[argv]
end

-- when the last generation with this command line read what is there now
-- and its outputs are there: what main returns (the build file's text for
-- the make plugin, else 0), after the aliases are made again and the
-- output touched for make; else nil
function M.unchanged(argv)
  if lualib() then return nil end
  local rec = raw.readfile(M.state)
  if not rec or #rec < 8 then return nil end
  local ok, done = pcall(function()
    local pos = 1
    local function field()
      local f
      f, pos = string.unpack("s4", rec, pos)
      return f
    end
    if field() ~= magic or field() ~= key(argv) then return nil end
    for _ = 1, math.tointeger(tonumber(field())) do
      local name, a, want = field(), field(), field()
      if ask(name, a) ~= want then return nil end
    end
    -- each file written is there: one listing a folder, not a stat a file
    local aliases, folders = {}, {}
    for _ = 1, math.tointeger(tonumber(field())) do
      local p = field()
      if p:sub(1, 1) == "a" then
        aliases[#aliases + 1] = p:sub(2)
      else
        local dir, base = p:match("^f(.*)/([^/]*)$")
        if not dir then dir, base = ".", p:sub(2) end
        local names = folders[dir]
        if not names then
          names = {}
          for _, n in ipairs(raw.listdir(dir) or {}) do names[n] = true end
          folders[dir] = names
        end
        if not names[base] then return nil end
      end
    end
    local touch, plugin, text = field(), field(), field()
    return { aliases = aliases, touch = touch ~= "" and touch, text = plugin == "1" and text }
  end)
  if not ok or not done then return nil end
  for _, p in ipairs(done.aliases) do native.makealias(p) end
  if done.touch then native.touch(done.touch) end
  return done.text or 0
end

-- record the natives' answers from now on; the last record goes first, so
-- that a generation stopped half way is not taken for a whole one
function M.start()
  if raw.stat(M.state) then native.writefile(M.state, "") end
  calls, seen, spoiled, written = {}, {}, lualib(), {}
end

-- stop recording (before the generation writes what it made)
function M.stop()
  local c = calls
  calls, seen = nil, nil
  for _, call in ipairs(c or {}) do
    if single[call[1]] and written[call[2]] then call[3] = ask(call[1], call[2]) end
  end
  return c
end

-- keep the record of a generation: the calls M.stop returned, the files it
-- wrote (files), the aliases it made, the output to touch (make) or nil,
-- and the build file's text for the make plugin or nil
function M.save(argv, recorded, files, aliases, touch, text)
  if spoiled or not recorded then return end
  local parts = { string.pack("s4s4s4", magic, key(argv), tostring(#recorded)) }
  for _, c in ipairs(recorded) do parts[#parts + 1] = string.pack("s4s4s4", c[1], c[2], c[3]) end
  parts[#parts + 1] = string.pack("s4", tostring(#files + #aliases))
  for _, p in ipairs(files) do parts[#parts + 1] = string.pack("s4", "f" .. p) end
  for _, p in ipairs(aliases) do parts[#parts + 1] = string.pack("s4", "a" .. p) end
  parts[#parts + 1] = string.pack("s4s4s4", touch or "", text and "1" or "0", text or "")
  native.writefile(M.state, table.concat(parts))
end

return M
