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
local magic = "imagegen regen 2"

-- the natives whose answers depend on the world, and can be asked again
local asked = { "readfile", "realpath", "stat", "listdir", "getenv", "sourcedate", "arch", "downloaddir",
  "exe", "glob" }
-- those whose answers cannot be checked without doing their work again (the
-- signatures of indexes and packages, what they read of files downloaded)
local unrecordable = { "fetch", "registrydigest", "gpgv", "apkindex", "apkcontrol" }

local raw = {}        -- the natives themselves
local calls, seen     -- the calls recorded, and what was asked (seen[name][key]); nil when not recording
local spoiled = false -- a call of an unrecordable native was made
local cur = ""        -- the definition file being evaluated ("": none), which asks the calls made now

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
      local c = asked[p]
      if not c then
        asked[p] = { name, p, shape(a, b), { [cur] = true } }
        calls[#calls + 1] = asked[p]
      else
        c[4][cur] = true
      end
      return a, b
    end
  else
    native[name] = function(...)
      if not calls then return fn(...) end
      local key = "\0" .. name .. "\0" .. args(...)
      local r = table.pack(fn(...))
      local c = seen[key]
      if not c then
        seen[key] = { name, args(...), answer(table.unpack(r, 1, r.n)), { [cur] = true } }
        calls[#calls + 1] = seen[key]
      else
        c[4][cur] = true
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

-- the last generation's record for this command line: { calls = { { name,
-- argument, answer, tags = { [file] = true } }, ... }, outputs (each path
-- as saved: "f" a file, "a" an alias), touch, plugin, text, meta (what
-- imagegen.partial kept) }; nil when there is none or it is another's
function M.read(argv)
  if lualib() then return nil end
  local rec = raw.readfile(M.state)
  if not rec or #rec < 8 then return nil end
  local ok, r = pcall(function()
    local pos = 1
    local function field()
      local f
      f, pos = string.unpack("s4", rec, pos)
      return f
    end
    if field() ~= magic or field() ~= key(argv) then return nil end
    local r = { calls = {}, outputs = {} }
    local files = {}
    for i = 1, math.tointeger(tonumber(field())) do files[i] = field() end
    for i = 1, math.tointeger(tonumber(field())) do
      local c = { field(), field(), field(), {} }
      for t in field():gmatch("[^,]+") do c[4][files[math.tointeger(tonumber(t))]] = true end
      r.calls[i] = c
    end
    for i = 1, math.tointeger(tonumber(field())) do r.outputs[i] = field() end
    r.touch, r.plugin, r.text, r.meta = field(), field(), field(), field()
    return r
  end)
  return ok and r or nil
end

-- ask a record's calls again: nil when every answer is the same, else the
-- set of the files whose calls answer otherwise ("" for those asked
-- outside any definition); r.differ lists those calls
function M.changed(r)
  local changed
  r.differ = {}
  for _, c in ipairs(r.calls) do
    if ask(c[1], c[2]) ~= c[3] then
      changed = changed or {}
      for t in pairs(c[4]) do changed[t] = true end
      r.differ[#r.differ + 1] = c
    end
  end
  return changed
end

-- whether every file a record names is there: one listing a folder, not a
-- stat a file
local function present(r)
  local folders = {}
  for _, p in ipairs(r.outputs) do
    if p:sub(1, 1) == "f" then
      local dir, base = p:match("^f(.*)/([^/]*)$")
      if not dir then dir, base = ".", p:sub(2) end
      local names = folders[dir]
      if not names then
        names = {}
        for _, n in ipairs(raw.listdir(dir) or {}) do names[n] = true end
        folders[dir] = names
      end
      if not names[base] then return false end
    end
  end
  return true
end

-- what a record's outputs hold: the aliases, remade
local function remake(r)
  for _, p in ipairs(r.outputs) do
    if p:sub(1, 1) == "a" then native.makealias(p:sub(2)) end
  end
  if r.touch ~= "" then native.touch(r.touch) end
end

-- when the last generation with this command line read what is there now
-- and its outputs are there: what main returns (the build file's text for
-- the make plugin, else 0), after the aliases are made again and the
-- output touched for make; else nil, and the record with the files whose
-- answers changed (for imagegen.partial) when there is a record whose
-- outputs are all there
function M.unchanged(argv)
  local r = M.read(argv)
  if not r then return nil end
  local changed = M.changed(r)
  if not present(r) then return nil end
  if changed then return nil, r, changed end
  remake(r)
  return r.plugin == "1" and r.text or 0
end

-- record the natives' answers from now on; the last record goes first, so
-- that a generation stopped half way is not taken for a whole one
function M.start()
  if raw.stat(M.state) then native.writefile(M.state, "") end
  calls, seen, spoiled, written, cur = {}, {}, lualib(), {}, ""
end

-- the calls made from now on are asked by definition file f (while it is
-- evaluated; "" after); returns the file that asked before
function M.within(f)
  local outer = cur
  cur = f
  return outer
end

-- read file p without recording it (an output of the generation)
function M.readoutput(p)
  return raw.readfile(p)
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

-- the calls of record r that others than file f asked, with those recorded
-- now (after M.stop): the calls of a generation that evaluated f again and
-- kept the rest of r's
function M.merge(r, f, recorded)
  local out, byname = {}, {}
  for _, c in ipairs(r.calls) do
    c[4][f] = nil
    if next(c[4]) then
      out[#out + 1] = c
      byname[c[1] .. "\0" .. c[2]] = c
    end
  end
  for _, c in ipairs(recorded) do
    local old = byname[c[1] .. "\0" .. c[2]]
    if old then
      old[3] = c[3]
      for t in pairs(c[4]) do old[4][t] = true end
    else
      out[#out + 1] = c
    end
  end
  return out
end

-- keep the record of a generation: the calls M.stop returned, the files it
-- wrote (files: paths, or as a record has them when outputs is true), the
-- aliases it made, the output to touch (make) or nil, the build file's text
-- for the make plugin or nil, and imagegen.partial's meta or nil
function M.save(argv, recorded, files, aliases, touch, text, meta, outputs)
  if spoiled or not recorded then return end
  local index, names = {}, {}
  local tagged = {}
  for i, c in ipairs(recorded) do
    local list = {}
    for t in pairs(c[4]) do
      if not index[t] then
        names[#names + 1] = t
        index[t] = #names
      end
      list[#list + 1] = index[t]
    end
    table.sort(list)
    tagged[i] = table.concat(list, ",")
  end
  local parts = { string.pack("s4s4s4", magic, key(argv), tostring(#names)) }
  for _, t in ipairs(names) do parts[#parts + 1] = string.pack("s4", t) end
  parts[#parts + 1] = string.pack("s4", tostring(#recorded))
  for i, c in ipairs(recorded) do parts[#parts + 1] = string.pack("s4s4s4s4", c[1], c[2], c[3], tagged[i]) end
  if outputs then
    parts[#parts + 1] = string.pack("s4", tostring(#files))
    for _, p in ipairs(files) do parts[#parts + 1] = string.pack("s4", p) end
  else
    parts[#parts + 1] = string.pack("s4", tostring(#files + #aliases))
    for _, p in ipairs(files) do parts[#parts + 1] = string.pack("s4", "f" .. p) end
    for _, p in ipairs(aliases) do parts[#parts + 1] = string.pack("s4", "a" .. p) end
  end
  parts[#parts + 1] = string.pack("s4s4s4s4", touch or "", text and "1" or "0", text or "", meta or "")
  native.writefile(M.state, table.concat(parts))
end

return M
