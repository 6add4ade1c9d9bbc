-- imagegen.partial: one changed definition file evaluated again, not all.
--
-- imagegen.regen asks the last generation's questions again; each was
-- asked by the definition file being evaluated then (or by none, ""). When
-- the only answers that changed are one file's, and that file stands on
-- its own, the generation evaluates that file and the files declaring its
-- images' bases, resolves and plans that small graph, and puts the file's
-- fragments of build.ninja (its layers' edges, its images' edges) and its
-- images' spec bundles in place of the old ones. Anything else runs the
-- whole generation, as from scratch.
--
-- A file stands on its own (it is "kept" in the record) when what its
-- images make depends only on it and on its images' bases, and nothing
-- else depends on it:
--   - it was included once, returned nothing, included nothing, and made
--     images and their own layers only (no command, no layer{} of its own);
--   - no file that includes it (up to the top) declares an image (an
--     image's provenance lists the files its definition included);
--   - no image of another file has one of its images for a base;
--   - each image has one platform, no packages and no imported base, and
--     its own layers (at least one) are in no other image and take no
--     command's output;
--   - no build argument is given or used, no definition declares a command
--     (a layer's source could be its output), no path needs an alias, the
--     backend is ninja without a build cache.
-- Evaluated again, the file must still stand on its own, declare the same
-- images (names, order), read the same files and have the same bases,
-- and its edges use the same rules: then the build file's
-- header, the regeneration edge (every file read, every spec written), the
-- other images' edges and specs are what a whole generation would write,
-- and its own fragments are too (they name only its images, their layers
-- and their bases').
--
-- The record (imagegen.regen's meta field): the build file's size, then
-- for each definition file: path, includer, whether it is kept ("1"; "p":
-- plain, so it can be evaluated alone for a base; "0"), its images (names,
-- "\0" between), and for a kept one what it read, its own layers' ids and
-- its images' bases.
local native = require "imagegen.native"
local regen = require "imagegen.regen"
local lang = require "imagegen.lang"
local resolve = require "imagegen.resolve"
local plan = require "imagegen.plan"
local report = require "imagegen.report"
local path = require "imagegen.path"
local buildargs = require "imagegen.args"

local M = {}

local function split(s)
  local list = {}
  for x in (s .. "\0"):gmatch("([^%z]*)%z") do list[#list + 1] = x end
  if s == "" then return {} end
  return list
end

-- what evaluating each definition file did: G.evaluated[path] = { path,
-- includer, loads (times loaded), plain, images, layers, ret }
local load = lang.load
lang.load = function(G, file, where, from)
  local f = path.normalize(file)
  local ev = G.evaluated
  if not ev then return load(G, file, where, from) end
  local e = ev[f]
  if e or G.loaded[f] or G.loading[f] then
    if e then e.loads = e.loads + 1 end
    return load(G, file, where, from)
  end
  local outer = G.evaluating
  if outer then outer.nested = true end
  e = { path = f, includer = from and path.normalize(from) or "", loads = 1 }
  ev[f] = e
  local sizes = {}
  for k, v in pairs(G) do
    if type(v) == "table" then sizes[k] = #v end
  end
  local nimg, nlay = #G.images, #G.layers
  G.evaluating = e
  local asker = regen.within(f)
  local ret = table.pack(pcall(load, G, file, where, from))
  regen.within(asker)
  G.evaluating = outer
  if not ret[1] then error(ret[2], 0) end
  e.plain = ret.n == 1 and not e.nested
  for k, n in pairs(sizes) do
    if k ~= "images" and k ~= "layers" and k ~= "inputs" and #G[k] ~= n then e.plain = false end
  end
  e.images, e.layers = {}, {}
  for i = nimg + 1, #G.images do e.images[#e.images + 1] = G.images[i] end
  for i = nlay + 1, #G.layers do e.layers[#e.layers + 1] = G.layers[i] end
  return table.unpack(ret, 2, ret.n)
end

-- keep track of what each definition file does in graph G
function M.watch(G)
  G.evaluated = {}
end

-- what a file e of a resolved graph G would need kept, or nil (it does not
-- stand on its own); based: the files whose images another file's have
-- for a base
local function describe(G, e, based)
  if not e.plain or e.loads ~= 1 or based[e.path] or #e.images == 0 then return nil end
  local users = report.layerusers(G)
  local own, names, ids, foreign = {}, {}, {}, {}
  for _, l in ipairs(e.layers) do own[l] = true end
  for _, img in ipairs(e.images) do
    names[#names + 1] = img.name
    if #img.resolved ~= 1 then return nil end
    local r = img.resolved[1]
    if #r.debs > 0 or r.external or (r.ownpkglayers and #r.ownpkglayers > 0) then return nil end
    local mine = 0
    for _, l in ipairs(r.layers) do
      if own[l] then mine = mine + 1 else foreign[#foreign + 1] = img.name .. ":" .. l.id end
    end
    if mine == 0 then return nil end
    -- its bases (their layers are theirs: the same while their files are)
    local x = r
    while x.baser do
      foreign[#foreign + 1] = img.name .. "<" .. x.base.name
      x = x.baser
    end
  end
  for _, l in ipairs(e.layers) do
    local u = users[l]
    if l.used then
      if not u or #u ~= 1 or l.id:sub(1, #u[1] + 1) ~= u[1] .. "/" then return nil end
      for _, x in ipairs(l.entries) do
        if x.source and x.source.output then return nil end
      end
      ids[#ids + 1] = l.id
    end
  end
  return { names = table.concat(names, "\0"), reads = table.concat(G.readby[e.path] or {}, "\0"),
    layers = table.concat(ids, "\0"), foreign = table.concat(foreign, "\0") }
end

-- whether the files that include e (up to the top) declare no image
local function alone(G, e)
  local f = e.includer
  while f ~= "" do
    local up = G.evaluated[f]
    if not up then return false end
    for _, img in ipairs(G.images) do
      if img.file == f then return false end
    end
    f = up.includer
  end
  return true
end

-- the files that have an image another file's image has for a base
local function basedfiles(G)
  local based = {}
  for _, img in ipairs(G.images) do
    for _, r in ipairs(img.resolved) do
      if r.base and r.base.file ~= img.file then based[r.base.file] = true end
    end
  end
  return based
end

-- the record of a whole generation: graph G, its plan P, the build file's
-- text; nil when no file could be kept (ninja without a cache only)
function M.meta(G, P, text, backend)
  if backend ~= "ninja" or P.cache or #P.aliases > 0 or #(buildargs.used(G.args) or {}) > 0
    or #buildargs.flags(G.args) > 0 or #G.commands > 0 then
    return nil
  end
  if not G.evaluated then return nil end
  local based = basedfiles(G)
  local parts = { string.pack("s4", tostring(#text)) }
  local files = {}
  for f in pairs(G.evaluated) do files[#files + 1] = f end
  table.sort(files)
  for _, f in ipairs(files) do
    local e = G.evaluated[f]
    local d = describe(G, e, based)
    local images = {}
    for _, img in ipairs(G.images) do
      if img.file == f then images[#images + 1] = img.name end
    end
    if d and not alone(G, e) then d = nil end
    parts[#parts + 1] = string.pack("s4s4s4s4s4s4s4", f, e.includer, d and "1" or (e.plain and "p" or "0"),
      table.concat(images, "\0"), d and d.reads or "", d and d.layers or "", d and d.foreign or "")
  end
  return table.concat(parts)
end

-- the record: the build file's size, each file's entry by path, and what
-- finds the entry of the file that declares an image
local function unmeta(s)
  local unpack, files = string.unpack, {}
  local size, pos = unpack("s4", s)
  while pos <= #s do
    local e = {}
    e.path, e.includer, e.kept, e.images, e.reads, e.layers, e.foreign, pos = unpack("s4s4s4s4s4s4s4", s, pos)
    files[e.path] = e
  end
  local function byimage(name)
    local want = "\0" .. name .. "\0"
    for _, e in pairs(files) do
      if ("\0" .. e.images .. "\0"):find(want, 1, true) then return e end
    end
  end
  return math.tointeger(tonumber(size)), files, byimage
end

-- the text of the block of text that starts with the line at s (a "build"
-- line) up to and with the blank line after it: its end
local function blockend(text, s)
  local e = text:find("\n\n", s, true)
  return e and e + 1
end

-- the edges of layer id in text: start, end (nil when not there)
local function layerblock(text, id)
  local s = text:find("\nbuild .imagegen/layer/" .. id .. ".json: layer ", 1, true)
  if not s then return nil end
  return s + 1, blockend(text, s + 1)
end

-- the edges of image name in text, from its first image edge to its phony
-- (and push) edge: start, end
local function imageblock(text, name)
  local s = text:find("\nbuild .imagegen/image/" .. name .. ".json: image ", 1, true)
  if not s then return nil end
  local p = text:find("\nbuild " .. name .. ": phony ", s, true)
  if not p then return nil end
  local e = blockend(text, p + 1)
  if e and text:sub(e + 1, e + 12 + #name) == "build push-" .. name .. ":" then e = blockend(text, e + 1) end
  return s + 1, e
end

-- the span of a file's fragments in text, each (layers, images) one run of
-- blocks: { s, e, text }, or nil
local function span(text, ids, names)
  local s1, e1, e0
  local parts = {}
  for _, id in ipairs(ids) do
    local s, e = layerblock(text, id)
    if not s or not e or (e0 and s ~= e0 + 1) then return nil end
    s1 = s1 or s
    e0 = e
    parts[#parts + 1] = text:sub(s, e)
  end
  e1 = e0
  local s2, f0
  local iparts = {}
  for _, n in ipairs(names) do
    local s, e = imageblock(text, n)
    if not s or not e or (f0 and s ~= f0 + 1) then return nil end
    s2 = s2 or s
    f0 = e
    iparts[#iparts + 1] = text:sub(s, e)
  end
  if not s1 or not s2 or e1 >= s2 then return nil end
  return { s1 = s1, e1 = e1, s2 = s2, e2 = f0, layers = table.concat(parts), images = table.concat(iparts) }
end

-- the rules a text's edges use, as one sorted string
local function rulesof(text)
  local set, list = {}, {}
  for r in text:gmatch("build [^\n]-: (%S+)") do
    if not set[r] then
      set[r] = true
      list[#list + 1] = r
    end
  end
  table.sort(list)
  return table.concat(list, " ")
end

-- The generation when only file f's answers changed (r: imagegen.regen's
-- record). ctx: newgraph() (a graph set up as main sets one up, with the
-- lock read and never written), output, the regeneration's arguments
-- (regenargs), exe. Returns 0 when it wrote everything, nil to run the
-- whole generation (nothing written then).
function M.try(ctx, r, changed)
  if r.meta == "" or r.plugin ~= "0" then return nil end
  -- the file whose answers changed; those asked outside the definitions
  -- too are of the files it read (the provenance reads them again)
  local f
  for t in pairs(changed) do
    if t ~= "" then
      if f then return nil end
      f = t
    end
  end
  if not f then return nil end
  local read, size, files, byimage = pcall(unmeta, r.meta)
  if not read then return nil end
  local old = files[f]
  if not old or old.kept ~= "1" then return nil end
  if changed[""] then
    local mine = { [f] = true }
    for _, p in ipairs(split(old.reads)) do mine[p] = true end
    for _, c in ipairs(r.differ) do
      if c[3][""] and not (mine[c[2]] and (c[1] == "readfile" or c[1] == "stat" or c[1] == "listdir")) then
        return nil
      end
    end
  end
  local before = regen.readoutput(ctx.output)
  if not before or #before ~= size then return nil end
  -- what the file prints goes out only when this is the generation
  local printed, stderr = {}, io.stderr
  io.stderr = { write = function(_, ...)
    for _, s in ipairs { ... } do printed[#printed + 1] = s end
  end }
  local ok, res = pcall(function()
    local G = ctx.newgraph()
    M.watch(G)
    lang.load(G, f, nil, old.includer ~= "" and old.includer or nil)
    -- the files of its images' bases (named by a string), each once
    while true do
      local want
      for _, img in ipairs(G.images) do
        if type(img.base) == "string" and not G.imagebyname[img.base] then want = byimage(img.base) or false end
        if want ~= nil then break end
      end
      if want == nil then break end
      if not want or want.kept == "0" or G.evaluated[want.path] then return nil end
      lang.load(G, want.path, nil, want.includer ~= "" and want.includer or nil)
    end
    resolve.graph(G)
    lang.endbudget()
    local e = G.evaluated[f]
    local d = describe(G, e, basedfiles(G))
    if not d or #(buildargs.used(G.args) or {}) > 0 then return nil end
    local names = {}
    for _, img in ipairs(G.images) do
      if img.file == f then names[#names + 1] = img.name end
    end
    if table.concat(names, "\0") ~= old.images or d.names ~= old.images or d.reads ~= old.reads
      or d.foreign ~= old.foreign then
      return nil
    end
    local P = plan.build(G, ctx.regenargs, ctx.output, nil)
    P.regen.env = buildargs.environment(G.args)
    local text = require("rules.ninja").write(P, ctx.exe)
    if #P.aliases > 0 then return nil end
    names = split(old.images)
    local new = span(text, split(d.layers), names)
    local was = span(before, split(old.layers), names)
    if not new or not was or rulesof(new.layers .. new.images) ~= rulesof(was.layers .. was.images) then
      return nil
    end
    -- the file's spec bundles: those of its images
    local bundles, specs = {}, {}
    for _, n in ipairs(names) do bundles[".imagegen/spec/bundle/" .. native.sha256(n):sub(1, 16) .. ".json"] = true end
    for _, s in ipairs(P.specs) do
      if bundles[s.path] then specs[#specs + 1] = s end
    end
    -- the new build file: the old one's text around the file's fragments, as pieces (3 MB at 1,000 images)
    local same = new.layers == was.layers and new.images == was.images
    return { specs = specs, same = same, size = #before - (was.e1 - was.s1 + 1) - (was.e2 - was.s2 + 1)
      + #new.layers + #new.images, parts = { { before, 1, was.s1 - 1 }, new.layers, { before, was.e1 + 1, was.s2 - 1 },
      new.images, { before, was.e2 + 1, #before } } }
  end)
  io.stderr = stderr
  if not ok or not res then
    lang.endbudget()
    return nil
  end
  if #printed > 0 then io.stderr:write(table.concat(printed)) end
  local recorded = regen.stop()
  for _, s in ipairs(res.specs) do native.writefile(s.path, s.text) end
  if not res.same then native.writeparts(ctx.output, res.parts) end
  local meta = string.pack("s4", tostring(res.size)) .. r.meta:sub(5 + #tostring(size))
  regen.saveagain(ctx.argv, r, f, recorded, meta)
  return 0
end

return M
