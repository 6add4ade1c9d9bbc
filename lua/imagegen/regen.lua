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
-- Each call also names the definition files that asked it (the one being
-- evaluated, M.within; "" outside them): when one file's answers changed,
-- imagegen.partial may evaluate it alone.
--
-- The record, one string.pack "s4" field after another:
--   magic, the binary's native.fileid and digest ("\0" between: while the
--   fileid is the same, the binary is not hashed again), key (the command
--   line, the version, the binary's digest), the files that asked (the
--   count, then each path), calls (the count, then each: name, arguments,
--   answer, the indexes of the files that asked, "," between), outputs
--   (the count, then each path: "f" a file, "a" an alias), the output to
--   touch (make compares mtimes), whether the build file's text follows
--   for the make plugin, that text (or ""), and imagegen.partial's meta.
-- An answer longer than 64 bytes is kept as its sha256.
-- Lua code itself is deterministic (no clock, no os, sorted iteration), so
-- the same answers give the same build file, specs and lock.
local native = require "imagegen.native"

local M = {}

M.state = ".imagegen/regen.state"
local magic = "imagegen regen 3"

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

-- a call's askers (c[4]): the one file that asked it (most calls), or the
-- set of those that did; file f asks it too
local function addasker(c, f)
  local tags = c[4]
  if type(tags) == "table" then
    tags[f] = true
  elseif tags ~= f then
    c[4] = { [tags] = true, [f] = true }
  end
end

-- the natives of one string (most calls: a generation of 10,000 images
-- asks 90,000 questions), recorded without args' fields: the argument as it
-- is, an answer of their own shape
local statanswers = {}  -- kind -> permissions -> stat's answer
local single = {
  readfile = function(data, err) return data and native.sha256(data) or "!" .. err end,
  stat = function(kind, x)
    if kind and math.type(x) == "integer" then
      -- the same few answers, again and again: each made once
      local byperm = statanswers[kind]
      if not byperm then
        byperm = {}
        statanswers[kind] = byperm
      end
      local answer = byperm[x]
      if not answer then
        answer = kind .. "\0" .. tostring(x)
        byperm[x] = answer
      end
      return answer
    end
    return (kind or "!") .. "\0" .. tostring(x)
  end,
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
        asked[p] = { name, p, shape(a, b), cur }
        calls[#calls + 1] = asked[p]
      else
        addasker(c, cur)
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
        seen[key] = { name, args(...), answer(table.unpack(r, 1, r.n)), cur }
        calls[#calls + 1] = seen[key]
      else
        addasker(c, cur)
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
-- (for the make plugin, --exe names the binary built with it); and the
-- binary's native.fileid and digest as one field, for the next record. The
-- binary is hashed when its fileid is not the one the last record (its
-- field: was) kept beside its digest.
local keys = setmetatable({}, { __mode = "k" })
local function key(argv, was)
  local k = keys[argv]
  if k then return k[1], k[2] end
  local exe
  for i, a in ipairs(argv) do
    if a == "--exe" then exe = argv[i + 1] end
  end
  exe = exe or raw.exe()
  local id = native.fileid(exe)
  local digest = id and was and was:sub(1, #id + 1) == id .. "\0" and was:sub(#id + 2)
  if not digest then
    local bin = raw.readfile(exe)
    digest = bin and native.sha256(bin) or ""
  end
  k = { string.pack("s4s4s4", native.version, digest, args(table.unpack(argv))), (id or "") .. "\0" .. digest }
  keys[argv] = k
  return k[1], k[2]
end

-- the tags of a call as the record has them: the indexes in its list of
-- files (index: file -> index, names: the list, grown)
local function tagfield(tags, index, names)
  if type(tags) == "string" then
    if not index[tags] then
      names[#names + 1] = tags
      index[tags] = #names
    end
    return tostring(index[tags])
  end
  local list = {}
  for t in pairs(tags) do
    if not index[t] then
      names[#names + 1] = t
      index[t] = #names
    end
    list[#list + 1] = index[t]
  end
  table.sort(list)
  return table.concat(list, ",")
end

-- whether every file a record names is there: one listing a folder, not a
-- stat a file
local function present(outputs)
  local folders = {}
  for _, p in ipairs(outputs) do
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

-- When the last generation with this command line read what is there now
-- and its outputs are there: what main returns (the build file's text for
-- the make plugin, else 0), after the aliases are made again and the
-- output touched for make. Else nil; and when there is a record whose
-- outputs are all there, the record (for imagegen.partial: { rec, files
-- (the paths its tags name), calls (where they start in rec), ncalls,
-- outputs, meta }) and the set of the files whose calls answer otherwise
-- ("" for calls asked outside any definition; r.differ lists those calls,
-- each { name, argument, tags }).
function M.unchanged(argv)
  if lualib() then return nil end
  local rec = raw.readfile(M.state)
  if not rec or #rec < 8 then return nil end
  local ok, r, changed = pcall(function()
    local pos = 1
    local function field()
      local f
      f, pos = string.unpack("s4", rec, pos)
      return f
    end
    if field() ~= magic then return nil end
    local was = field()
    local after = pos
    local k, bin = key(argv, was)
    if field() ~= k then return nil end
    local r = { rec = rec, bin = bin ~= was and { after, bin } or nil, files = {}, outputs = {}, differ = {} }
    for i = 1, math.tointeger(tonumber(field())) do r.files[i] = field() end
    r.ncalls = math.tointeger(tonumber(field()))
    r.calls = pos
    local changed
    local unpack, files, differ = string.unpack, r.files, r.differ
    local many = 0  -- the definition files whose answers changed: past one, the whole generation runs
    for _ = 1, r.ncalls do
      local name, a, want, tags
      name, a, want, tags, pos = unpack("s4s4s4s4", rec, pos)
      if ask(name, a) ~= want then
        changed = changed or {}
        local set = {}
        for t in tags:gmatch("[^,]+") do
          local f = files[math.tointeger(tonumber(t))]
          if not changed[f] and f ~= "" then many = many + 1 end
          changed[f], set[f] = true, true
        end
        if many > 1 then return nil end
        differ[#differ + 1] = { name, a, set }
      end
    end
    for i = 1, math.tointeger(tonumber(field())) do r.outputs[i] = field() end
    r.touch, r.plugin, r.text, r.meta = field(), field(), field(), field()
    return r, changed
  end)
  if not ok or not r or not present(r.outputs) then return nil end
  if changed then return nil, r, changed end
  for _, p in ipairs(r.outputs) do
    if p:sub(1, 1) == "a" then native.makealias(p:sub(2)) end
  end
  if r.touch ~= "" then native.touch(r.touch) end
  -- the binary was hashed again (touched, copied): its new fileid kept
  if r.bin then native.writefile(M.state, string.pack("s4s4", magic, r.bin[2]) .. rec:sub(r.bin[1])) end
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

-- stop recording (before the generation writes what it made)
function M.stop()
  local c = calls
  calls, seen = nil, nil
  for _, call in ipairs(c or {}) do
    if single[call[1]] and written[call[2]] then call[3] = ask(call[1], call[2]) end
  end
  return c
end

-- the record's fields after its calls: the outputs (each path: "f" a file,
-- "a" an alias), the output to touch, whether it is the plugin's, the text
-- for the plugin, the meta of imagegen.partial
local function tail(outputs, touch, text, meta)
  local parts = { string.pack("s4", tostring(#outputs)) }
  for _, p in ipairs(outputs) do parts[#parts + 1] = string.pack("s4", p) end
  parts[#parts + 1] = string.pack("s4s4s4s4", touch or "", text and "1" or "0", text or "", meta or "")
  return table.concat(parts)
end

-- keep the record of a generation: the calls M.stop returned, the files it
-- wrote, the aliases it made, the output to touch (make) or nil, the build
-- file's text for the make plugin or nil, and imagegen.partial's meta or nil
function M.save(argv, recorded, files, aliases, touch, text, meta)
  if spoiled or not recorded then return end
  -- the calls, tagged as tagfield tags them, packed by one native
  local index, names = {}, {}
  local packed = native.packcalls(recorded, index, names)
  local k, bin = key(argv)
  local parts = { string.pack("s4s4s4s4", magic, bin, k, tostring(#names)) }
  for _, t in ipairs(names) do parts[#parts + 1] = string.pack("s4", t) end
  parts[#parts + 1] = string.pack("s4", tostring(#recorded))
  parts[#parts + 1] = packed
  local outputs = {}
  for _, p in ipairs(files) do outputs[#outputs + 1] = "f" .. p end
  for _, p in ipairs(aliases) do outputs[#outputs + 1] = "a" .. p end
  parts[#parts + 1] = tail(outputs, touch, text, meta)
  native.writeparts(M.state, parts)
end

-- keep the record of a generation that evaluated file f again and kept
-- the rest of record r (M.unchanged's): r's calls that others than f
-- asked (as r has them, but for f's tag), then those recorded now
-- (M.stop's); r's outputs; meta, imagegen.partial's new meta
function M.saveagain(argv, r, f, recorded, meta)
  if spoiled or not recorded then return end
  local rec, index, names = r.rec, {}, {}
  for i, t in ipairs(r.files) do
    names[i] = t
    index[t] = i
  end
  local mine = tostring(index[f] or 0)
  -- the calls made now, by name and argument
  local now = {}
  for _, c in ipairs(recorded) do
    now[c[1]] = now[c[1]] or {}
    now[c[1]][c[2]] = c
  end
  local kept, n = {}, 0
  local pos, run = r.calls, r.calls  -- run: where the calls kept as they are start
  local function flush(upto)
    if upto > run then kept[#kept + 1] = { rec, run, upto - 1 } end
  end
  for _ = 1, r.ncalls do
    local start = pos
    local name, a, tags
    name, a, _, tags, pos = string.unpack("s4s4s4s4", rec, pos)
    local c = now[name] and now[name][a]
    if c or tags == mine or (tags:find(",", 1, true) and ("," .. tags .. ","):find("," .. mine .. ",", 1, true)) then
      local set = {}
      for t in tags:gmatch("[^,]+") do
        if t ~= mine then set[names[math.tointeger(tonumber(t))]] = true end
      end
      flush(start)
      run = pos
      if c then
        for t in pairs(set) do addasker(c, t) end
      elseif next(set) then
        local _, _, answer = string.unpack("s4s4s4", rec, start)
        kept[#kept + 1] = string.pack("s4s4s4s4", name, a, answer, tagfield(set, index, names))
        n = n + 1
      end
    else
      n = n + 1
    end
  end
  flush(pos)
  for _, c in ipairs(recorded) do
    kept[#kept + 1] = string.pack("s4s4s4s4", c[1], c[2], c[3], tagfield(c[4], index, names))
    n = n + 1
  end
  local k, bin = key(argv)
  local parts = { string.pack("s4s4s4s4", magic, bin, k, tostring(#names)) }
  for _, t in ipairs(names) do parts[#parts + 1] = string.pack("s4", t) end
  parts[#parts + 1] = string.pack("s4", tostring(n))
  for _, p in ipairs(kept) do parts[#parts + 1] = p end
  parts[#parts + 1] = tail(r.outputs, r.touch, r.plugin == "1" and r.text or nil, meta)
  native.writeparts(M.state, parts)
end

return M
