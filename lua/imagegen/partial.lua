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
  for x in (s .. "\0"):gmatch("([^\0]*)\0") do list[#list + 1] = x end
  if s == "" then return {} end
  return list
end

-- what evaluating each definition file did: G.evaluated[path] = { path,
-- includer, loads (times loaded), plain, images, layers, ret }
local load = lang.load
-- the lengths of G's tables before a file's evaluation, one table a depth
-- of include, kept for the next file (emptied after each: no table made a
-- file)
local sizestack, depth = {}, 0
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
  G.evalorder = (G.evalorder or 0) + 1
  e = { path = f, includer = from and path.normalize(from) or "", loads = 1, order = G.evalorder }
  ev[f] = e
  depth = depth + 1
  local sizes = sizestack[depth]
  if not sizes then
    sizes = {}
    sizestack[depth] = sizes
  end
  for k, v in pairs(G) do
    if type(v) == "table" then sizes[k] = #v end
  end
  local nimg, nlay = #G.images, #G.layers
  G.evaluating = e
  local asker = regen.within(f)
  local ret = table.pack(pcall(load, G, file, where, from))
  regen.within(asker)
  G.evaluating = outer
  depth = depth - 1
  if not ret[1] then
    for k in pairs(sizes) do sizes[k] = nil end
    error(ret[2], 0)
  end
  e.plain = ret.n == 1 and not e.nested
  for k, n in pairs(sizes) do
    if k ~= "images" and k ~= "layers" and k ~= "inputs" and #G[k] ~= n then e.plain = false end
    sizes[k] = nil
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
      if not u or #u ~= 1 or l.id:sub(1, #u[1]) ~= u[1] or l.id:byte(#u[1] + 1) ~= 47 then return nil end  -- "NAME/..."
      for _, x in ipairs(l.entries) do
        if x.source and x.source.output then return nil end
      end
      ids[#ids + 1] = l.id
    end
  end
  return { names = table.concat(names, "\0"), reads = table.concat(G.readby[e.path] or {}, "\0"),
    layers = table.concat(ids, "\0"), foreign = table.concat(foreign, "\0"), namelist = names, idlist = ids }
end

-- whether the files that include e (up to the top) declare no image
-- (imagesof: file -> its images' names)
local function alone(G, e, imagesof)
  local f = e.includer
  while f ~= "" do
    local up = G.evaluated[f]
    if not up or imagesof[f] then return false end
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

-- one file's entry of the record (e: path, includer, kept, images, reads,
-- layers, foreign, and s1, e1, s2, e2: where its fragments are)
local function entry(e)
  return string.pack("s4s4s4s4s4s4s4i8i8i8i8", e.path, e.includer, e.kept, e.images, e.reads, e.layers, e.foreign,
    e.s1 or 0, e.e1 or 0, e.s2 or 0, e.e2 or 0)
end

-- the run of blocks of keys one after another (starts, ends: each block's
-- first and last byte by key), the first from after position from: its
-- first and last byte, or nil
local function run(starts, ends, keys, from)
  local first, last
  for _, k in ipairs(keys) do
    local s = starts[k]
    if not s or s - 1 < (last or from) or (last and s ~= last + 1) then return nil end
    first = first or s
    last = ends[k]
  end
  return first, last
end

-- M.span's answer (below) from where the ninja writer put each layer's and
-- image's edges (P.at), as M.span would find them in its text from lc and ic
local function spanat(at, ids, names, lc, ic)
  local s1, e1 = run(at.ls, at.le, ids, lc)
  local s2, e2 = run(at.is, at.ie, names, ic)
  if not s1 or not s2 or e1 >= s2 then return nil end
  return { s1 = s1, e1 = e1, s2 = s2, e2 = e2 }
end

-- the record of a whole generation: graph G, its plan P (with where the
-- ninja writer put each file's edges, P.at), the build file's text; nil
-- when no file could be kept (ninja without a cache only)
function M.meta(G, P, text, backend)
  if backend ~= "ninja" or P.cache or #P.aliases > 0 or #(buildargs.used(G.args) or {}) > 0
    or #buildargs.flags(G.args) > 0 or #G.commands > 0 then
    return nil
  end
  if not G.evaluated then return nil end
  local based = basedfiles(G)
  local imagesof = {}
  for _, img in ipairs(G.images) do
    local list = imagesof[img.file] or {}
    imagesof[img.file] = list
    list[#list + 1] = img.name
  end
  -- in the order evaluated, which is that of their fragments in the build file
  local files = {}
  for _, e in pairs(G.evaluated) do files[#files + 1] = e end
  table.sort(files, function(a, b) return a.order < b.order end)
  local parts = { string.pack("s4", tostring(#text)) }
  local lc, ic = 1, 1  -- where the next layers' and images' edges are looked for
  for _, e in ipairs(files) do
    local d = describe(G, e, based)
    if d and not alone(G, e, imagesof) then d = nil end
    local at = d and spanat(P.at, d.idlist, d.namelist, lc, ic)
    if at then lc, ic = at.e1, at.e2 end
    d = at and d
    parts[#parts + 1] = entry { path = e.path, includer = e.includer, kept = d and "1" or (e.plain and "p" or "0"),
      images = table.concat(imagesof[e.path] or {}, "\0"), reads = d and d.reads or "", layers = d and d.layers or "",
      foreign = d and d.foreign or "", s1 = at and at.s1, e1 = at and at.e1, s2 = at and at.s2, e2 = at and at.e2 }
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
    e.path, e.includer, e.kept, e.images, e.reads, e.layers, e.foreign, e.s1, e.e1, e.s2, e.e2, pos =
      unpack("s4s4s4s4s4s4s4i8i8i8i8", s, pos)
    files[#files + 1] = e
    files[e.path] = e
  end
  local function byimage(name)
    local want = "\0" .. name .. "\0"
    for _, e in ipairs(files) do
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

-- the edges of layer id in text, looked for from position from: start,
-- end (nil when not there)
local function layerblock(text, id, from)
  local s = text:find("\nbuild .imagegen/layer/" .. id .. ".json: layer ", from, true)
  if not s then return nil end
  return s + 1, blockend(text, s + 1)
end

-- the edges of image name in text from position from, from its first image
-- edge to its phony (and push) edge: start, end
local function imageblock(text, name, from)
  local s = text:find("\nbuild .imagegen/image/" .. name .. ".json: image ", from, true)
  if not s then return nil end
  local p = text:find("\nbuild " .. name .. ": phony ", s, true)
  if not p then return nil end
  local e = blockend(text, p + 1)
  if e and text:sub(e + 1, e + 12 + #name) == "build push-" .. name .. ":" then e = blockend(text, e + 1) end
  return s + 1, e
end

-- where a file's fragments are in text: its layers' edges (ids, looked for
-- from lc) and its images' edges (names, from ic), each one run of blocks:
-- { s1, e1, s2, e2 } (first and last byte of each), or nil
function M.span(text, ids, names, lc, ic)
  local s1, e0, s2, f0
  for _, id in ipairs(ids) do
    local s, e = layerblock(text, id, e0 or lc)
    if not s or not e or (e0 and s ~= e0 + 1) then return nil end
    s1 = s1 or s
    e0 = e
  end
  for _, n in ipairs(names) do
    local s, e = imageblock(text, n, f0 or ic)
    if not s or not e or (f0 and s ~= f0 + 1) then return nil end
    s2 = s2 or s
    f0 = e
  end
  if not s1 or not s2 or e0 >= s2 then return nil end
  return { s1 = s1, e1 = e0, s2 = s2, e2 = f0 }
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
  -- the old build file's fragments of the file, where the record has them
  -- (each with the byte before it: a block starts after a newline)
  local fh = io.open(ctx.output, "rb")
  if not fh then return nil end
  local was
  if fh:seek("end") == size and fh:seek("set", old.s1 - 2) then
    was = { layers = fh:read(old.e1 - old.s1 + 2) }
    if fh:seek("set", old.s2 - 2) then was.images = fh:read(old.e2 - old.s2 + 2) end
  end
  fh:close()
  if not was or not was.layers or not was.images then return nil end
  local names = split(old.images)
  local check = M.span(was.layers .. was.images, split(old.layers), names, 1, #was.layers)
  if not check or check.s1 ~= 2 or check.e1 ~= #was.layers or check.s2 ~= #was.layers + 2
    or check.e2 ~= #was.layers + #was.images then
    return nil
  end
  was.layers, was.images = was.layers:sub(2), was.images:sub(2)
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
    local at = M.span(text, split(d.layers), names, 1, 1)
    if not at then return nil end
    local new = { layers = text:sub(at.s1, at.e1), images = text:sub(at.s2, at.e2) }
    if rulesof(new.layers .. new.images) ~= rulesof(was.layers .. was.images) then return nil end
    -- the file's spec bundles: those of its images
    local bundles, specs = {}, {}
    for _, n in ipairs(names) do bundles[".imagegen/spec/bundle/" .. native.sha256(n, 16) .. ".json"] = true end
    for _, s in ipairs(P.specs) do
      if bundles[s.path] then specs[#specs + 1] = s end
    end
    -- the new build file: the old one's bytes around the file's fragments
    -- (3 MB at 1,000 images, copied from file to file), and the record's
    -- places of every file's fragments after them moved as much
    local o, s1, e1, s2, e2 = ctx.output, old.s1, old.e1, old.s2, old.e2
    local dl, di = #new.layers - #was.layers, #new.images - #was.images
    local function moved(x)
      if x > e2 then return x + dl + di end
      if x > e1 then return x + dl end
      return x
    end
    local metaparts = { string.pack("s4", tostring(size + dl + di)) }
    for _, x in ipairs(files) do
      if x == old then
        x.layers, x.e1 = d.layers, s1 + #new.layers - 1
        x.s2 = s2 + dl
        x.e2 = x.s2 + #new.images - 1
      elseif x.kept == "1" then
        x.s1, x.e1, x.s2, x.e2 = moved(x.s1), moved(x.e1), moved(x.s2), moved(x.e2)
      end
      metaparts[#metaparts + 1] = entry(x)
    end
    return { specs = specs, same = new.layers == was.layers and new.images == was.images,
      meta = table.concat(metaparts), parts = { { o, 1, s1 - 1, true }, new.layers,
      { o, e1 + 1, s2 - 1, true }, new.images, { o, e2 + 1, size, true } } }
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
  regen.saveagain(ctx.argv, r, f, recorded, res.meta)
  return 0
end

return M
