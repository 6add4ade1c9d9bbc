-- imagegen.plan: the resolved graph as build edges, the same for every backend.
--
-- plan = {
--   store     the blob store folder
--   regen     { args, output, inputs, specs }   rerun imagegen when inputs change
--             (and env: the IMAGEGEN_ARG_NAME=VALUE the command runs with, set by main)
--   commands  { outputs, inputs, run, lines, description }  (see M.commandline);
--             a step (in an image, or writing folders) has step, its spec,
--             instead of run: imagegen step SPEC STORE, its outputs its
--             files and its folders' manifests (M.manifest)
--   fetches   { path, url, sha256, size, name }  the .debs, all fetched by one edge
--   fetchspec the spec of that edge (the fetches, in order), or nil: imagegen fetch SPEC
--   bases     { args, out, inputs, name, pull, where, ctx }  imagegen base ARGS... OUT STORE;
--             where (OUT with .where for .json) holds ctx, the file:line its errors name
--   layers    { id, spec, desc, inputs }        imagegen layer SPEC DESC DEPFILE STORE
--   images    { name, image, manifests, indexof, dir, index, digest, tar, tars, push }
--             manifests: { platform, slug, spec, image, layers } a platform:
--               imagegen image SPEC IMAGE STORE
--             indexof: for an image of several platforms, their image
--               files: imagegen index IMAGE STORE IMAGE...; image is the one
--               the layout reads (the index file, or the one image file)
--             imagegen layout IMAGE DIR (index.json in it, and digest:
--             DIR.digest); archive IMAGE TAR for tar (the
--             machine's platform, else the first) and tars { platform, path }
--             push: the reference to push to, for a tag that names a registry;
--               pushed: the file push writes the pushed digest to
--             html: the report page, from the report spec (imagegen.report)
--               and the users files it names (reportusers):
--               imagegen report REPORT HTML STORE
--             sboms: { spec, image, record, spdx, inputs } a platform (none
--               with sbom = false): imagegen sbom SPEC IMAGE RECORD SPDX
--               STORE; the layout takes the records: layout IMAGE DIR STORE
--               RECORD...
--   pkginfos  { deb, out, name, version, architecture }  imagegen pkginfo DEB OUT
--             PACKAGE VERSION ARCH (for the SBOMs; the .deb's control must say the same)
--   cache     { repo, push } with --cache, else nil. Then: no fetches (a
--             layer of packages and a pkginfo fetch their .debs themselves
--             when the cache does not have what they make); cached, on a
--             command with cache = true, a pkginfo and an SBOM (sboms'
--             cached): the spec of imagegen cached SPEC STORE COMMAND...,
--             which runs the command only when the cache does not have its
--             outputs; pushimage on images: push-NAME pushes the image file
--             (imagegen push --image IMAGE STORE REF RECORD...), not the
--             layout, so it needs no layer's bytes
-- }
-- Every file a helper reads that the generator writes (layer and image specs)
-- is listed in plan.specs with its contents; the caller writes them, and
-- makes the aliases of the paths a backend named by alias (plan.aliases).
local json = require "imagegen.json"
local native = require "imagegen.native"
local lang = require "imagegen.lang"
local check = require "imagegen.check"
local resolve = require "imagegen.resolve"
local report = require "imagegen.report"
local buildargs = require "imagegen.args"

local M = {}

-- what the helpers read the build's cache from (plugin/cache/cache.c)
M.cacheconf = ".imagegen/cache.json"

-- a word for POSIX sh, on one line, since neither build.ninja nor a make
-- recipe can hold a newline: quoted when it needs to be, and a newline or
-- carriage return in it spelled "$imagegen_nl" or "$imagegen_cr", which
-- the line must then set first (newlines below)
local function shellquote(s)
  -- (anchored: one pass over s, where an unanchored [^...] tries each start)
  if s:find("^[%w+,%-./@_:%%]+$") then return s end
  local q = "'" .. s:gsub("'", "'\\''") .. "'"
  return (q:gsub("[\n\r]", { ["\n"] = "'\"$imagegen_nl\"'", ["\r"] = "'\"$imagegen_cr\"'" }))
end
M.shellquote = shellquote

-- what a command line that shellquote spelled a newline or carriage return
-- in starts with ($(...) drops trailing newlines, hence the '_')
local newlines = "imagegen_nl=$(printf '\\n_'); imagegen_nl=${imagegen_nl%_}; imagegen_cr=$(printf '\\r'); "

-- how a build file of grammar ("ninja" or "make", see plugin/base/names.c) names
-- paths: path(p) in a target or prerequisite list, by its alias (kept in
-- aliases) when the grammar cannot spell p; own(p) a file a helper writes
-- itself, never an alias (cannot: why not, for the error); paths(list)
function M.spellers(grammar, aliases, cannot)
  local spelt = {}  -- a path is named many times: each spelt once
  local function path(p)
    local s = spelt[p]
    if s then return s end
    s = native.spell(p, grammar)
    if not s then
      aliases[#aliases + 1] = p
      s = native.alias(p)
    end
    spelt[p] = s
    return s
  end
  local function own(p)
    return native.spell(p, grammar) or check.fail(check.show(p), cannot)
  end
  local function paths(list)
    if #list == 1 then return path(list[1]) end  -- no table for one
    local out = {}
    for i, p in ipairs(list) do out[i] = path(p) end
    return table.concat(out, " ")
  end
  return path, own, paths
end

-- a word of a helper's command line, which a generated rule runs as it is
function M.shellword(s)
  if s:find("\n", 1, true) or s:find("\r", 1, true) then  -- plain finds: no class a character
    check.fail(check.show(s), "imagegen's own command lines cannot carry a newline or a carriage return")
  end
  return shellquote(s)
end

-- a command's shell text: $in, $out and (for a per-platform run) $os,
-- $arch, $variant and $platform replaced, $$ a dollar sign; and whether
-- it spells a newline or carriage return (see shellquote)
local function expand(run, argv, inputs, outputs, vars)
  local lines = false
  local function quote(w)
    lines = lines or w:find("[\n\r]") ~= nil
    return shellquote(w)
  end
  local ins, outs = {}, {}
  for i, p in ipairs(inputs) do ins[i] = quote(p) end
  for i, o in ipairs(outputs) do outs[i] = quote(o) end
  if argv then
    local words = {}
    for i, w in ipairs(argv) do words[i] = quote(w) end
    return table.concat(words, " "), lines
  end
  local values = { ["in"] = table.concat(ins, " "), out = table.concat(outs, " ") }
  for k, v in pairs(vars or {}) do values[k] = quote(v) end
  local s = run:gsub("%$%$", "\0")
  for _, k in ipairs { "in", "out", "os", "arch", "variant", "platform" } do
    if values[k] then s = s:gsub("%$" .. k .. "%f[^%w_]", (values[k]:gsub("%%", "%%%%"))) end
  end
  return (s:gsub("%z", "$")), lines
end

-- the listing of a folder a step wrote (its manifest, plugin/layer/folder.c):
-- what the build file knows the folder by, rewritten only when the folder's
-- contents change
function M.manifest(p)
  return ".imagegen/folder/" .. native.sha256(p, 16)
end

-- the line a backend runs for a plan command c: the folders dirs made
-- first, and after it the aliases of the outputs that the build file names
-- by alias (aliases: { alias, target } each, from native.alias), so that
-- the build tool, which stats the alias, finds the output it made
function M.commandline(c, dirs, aliases)
  local lines = c.lines
  local function quote(w)
    lines = lines or w:find("[\n\r]") ~= nil
    return shellquote(w)
  end
  local words, line = {}, c.run
  if #aliases > 0 then
    line = "( " .. line .. " )"
    for _, a in ipairs(aliases) do line = line .. " && rm -f " .. a[1] .. " && ln -s " .. quote(a[2]) .. " " .. a[1] end
  end
  for i, d in ipairs(dirs) do words[i] = quote(d) end
  if #words > 0 then line = "mkdir -p " .. table.concat(words, " ") .. " && " .. line end
  return (lines and newlines or "") .. line
end

local function layerspec(G, l)
  local entries = json.array()
  -- keyfiles: the inputs that are not packages (an apk repository's keys)
  local inputs, keyfiles = {}, {}
  local pkgs = true
  for _, e in ipairs(l.entries) do
    local s = e.source
    local x = { ctx = e.ctx, path = e.path, uid = e.uid, gid = e.gid, mode = e.mode, xattrs = e.xattrs }
    if s.kind == "file" or s.kind == "output" or s.kind == "external" then
      x.type, x.src, x.srcname = "file", s.path, check.show(s.name)
      inputs[#inputs + 1] = s.path
    elseif s.kind == "folder" then
      -- a folder a step wrote: known by its manifest, not by its files
      x.type, x.src, x.srcname, x.manifest = "tree", s.path, check.show(s.name), M.manifest(s.path)
      x.mode, x.dirmode, x.follow = s.mode, s.dirmode, false
      if s.exclude and #s.exclude > 0 then x.exclude = s.exclude end
      inputs[#inputs + 1] = x.manifest
    elseif s.kind == "tree" then
      x.type, x.src, x.srcname = "tree", s.path, check.show(s.name)
      x.mode, x.dirmode, x.follow = s.mode, s.dirmode, s.follow
      if s.exclude and #s.exclude > 0 then x.exclude = s.exclude end
    elseif s.kind == "text" then
      x.type, x.data = "text", s.data
    elseif s.kind == "symlink" then
      x.type, x.target, x.mode = "symlink", s.target, nil
    elseif s.kind == "dir" then
      x.type = "dir"
    elseif s.kind == "whiteout" or s.kind == "opaque" then
      x.type = s.kind
    elseif s.kind == "deb" then
      x = { ctx = e.ctx, type = "deb", src = s.path, sha256 = s.sha256, size = s.size, url = s.url,
        package = s.package, version = s.version, architecture = s.architecture, mergedusr = s.mergedusr }
      inputs[#inputs + 1] = s.path
    elseif s.kind == "apk" then
      -- an Alpine package, checked against its lock line and its repository's keys (plugin/alpine)
      x = { ctx = e.ctx, type = "apk", src = s.path, sha256 = s.sha256, size = s.size, url = s.url,
        package = s.package, version = s.version, architecture = s.architecture, checksum = s.checksum,
        keys = json.array() }
      inputs[#inputs + 1] = s.path
      for i, k in ipairs(s.keys or {}) do
        x.keys[i] = { name = k.name, path = k.path }
        inputs[#inputs + 1] = k.path
        keyfiles[#keyfiles + 1] = k.path
      end
    elseif s.kind == "apkdb" then
      -- the package layers' apk sidecars, each written with its descriptor, in install order
      x = { ctx = e.ctx, type = "apkdb", apk = json.array(), world = json.array(s.world or {}),
        repositories = json.array(s.repositories or {}), arch = s.arch, keys = json.array(), epoch = G.epoch,
        accounts = s.accounts }
      for i, pl in ipairs(s.layers) do
        x.apk[i] = ".imagegen/layer/" .. pl.id .. ".apk"
        inputs[#inputs + 1] = ".imagegen/layer/" .. pl.id .. ".json"
      end
      for i, k in ipairs(s.keys or {}) do
        x.keys[i] = { name = k.name, path = k.path }
        inputs[#inputs + 1] = k.path
      end
    elseif s.kind == "dpkg" then
      -- the package layers' sidecars, each written with its descriptor (system.c)
      x = { ctx = e.ctx, type = "dpkg", dpkg = json.array(), users = json.array(), groups = json.array(),
        localcerts = json.array(), mergedusr = s.mergedusr, arch = s.arch, image = s.image, report = s.report,
        epoch = G.epoch }
      for i, pl in ipairs(s.layers) do
        x.dpkg[i] = ".imagegen/layer/" .. pl.id .. ".dpkg"
        inputs[#inputs + 1] = ".imagegen/layer/" .. pl.id .. ".json"
      end
      for i, u in ipairs(s.users) do
        x.users[i] = { name = u.name, uid = u.uid, gid = u.gid, home = u.home, shell = u.shell, gecos = u.gecos }
      end
      for i, g in ipairs(s.groups) do
        x.groups[i] = { name = g.name, gid = g.gid, members = json.array(g.members) }
      end
      for i, c in ipairs(s.localcerts) do
        x.localcerts[i] = { path = c.path, src = c.src, data = c.data }
        if c.src then inputs[#inputs + 1] = c.src end
      end
    end
    entries[#entries + 1] = x
    pkgs = pkgs and (s.kind == "deb" or s.kind == "apk")
  end
  -- a layer of packages alone (.debs, or an .apk) is kept in the download folder for any build
  -- folder (the kept layers, plugin/layer/pkglayer.c); with a build cache its edge reads its
  -- packages only when the cache does not have it: then its inputs are the keys alone
  pkgs = pkgs and #entries > 0
  return json.line { name = l.id, epoch = G.epoch, compression = l.compression,
    level = lang.compressions[l.compression], entries = entries,
    layercache = pkgs and (native.downloaddir() .. "/layer") or nil }, inputs,
    pkgs and keyfiles or nil
end

-- an imported base: the helper's arguments, its output and its inputs
local function basespec(G, ext, platform)
  local args, inputs, name
  if ext.kind == "oci" then
    args, inputs, name = { "oci", ext.path, ext.tag, platform }, { ext.path .. "/index.json" }, ext.name .. ":" .. ext.tag
  elseif ext.kind == "archive" then
    args, inputs, name = { "archive", ext.path, platform }, { ext.path }, ext.name
  else
    args, inputs, name = { "pull", ext.ref .. "@" .. ext.digest, platform }, {}, ext.ref .. "@" .. ext.digest
  end
  local id = native.sha256(table.concat(args, "\0"), 16)
  -- where: beside the output, what the helper's errors name (the first
  -- declaration of this base); not an input, so that a line moved runs nothing
  return { out = ".imagegen/base/" .. id .. ".json", args = args, inputs = inputs, name = name,
    pull = ext.kind == "pull", where = ".imagegen/base/" .. id .. ".where", ctx = ext.where }
end

-- is a layer one of the project's files (not a package's or the dpkg database's)?
local function projectlayer(l)
  for _, e in ipairs(l.entries) do
    local k = e.source.kind
    if k == "deb" or k == "dpkg" or k == "apk" or k == "apkdb" then return false end
  end
  return #l.entries > 0
end

-- the layers of project files in an image for one platform, its graph bases'
-- first: made once a platform (its SBOM and its provenance ask, and so does
-- each image over it), kept in G.projectlayers; read only
local function projectlayers(G, r)
  local made = G.projectlayers or {}
  G.projectlayers = made
  local out = made[r]
  if out then return out end
  out = {}
  if r.baser then
    local base = projectlayers(G, r.baser)
    table.move(base, 1, #base, 1, out)
  end
  for _, l in ipairs(r.layers) do
    if projectlayer(l) then out[#out + 1] = l end
  end
  made[r] = out
  return out
end

-- what the sbom helper needs for one platform's image: its packages (and its
-- bases'), its base from outside, and its layers of project files with
-- where each path was declared and, for a command's output, the command
local function sbomspec(G, img, r, descof, pkginfo, basefile)
  -- "../src/build.lua:3: ..." as "build.lua:3: ...": the same in any build folder
  local top = G.topdir == "." and "" or (G.topdir .. "/")
  local function rel(ctx)
    if top ~= "" and ctx:sub(1, #top) == top then return ctx:sub(#top + 1) end
    return ctx
  end
  local packages, inputs = json.array(), {}
  for _, p in ipairs(r.debs) do
    -- an apk package names its kind and its licence (the index's, which .PKGINFO must say too)
    packages[#packages + 1] = { name = p.name, version = p.version, architecture = p.architecture,
      sha256 = p.sha256, url = p.url, origin = p.origin, codename = p.codename,
      depends = json.array(p.depends or {}), info = pkginfo[p.sha256], why = p.why,
      kind = p.kind, license = p.kind == "apk" and p.license or nil }
    if pkginfo[p.sha256] then inputs[#inputs + 1] = pkginfo[p.sha256] end
  end
  local layers = json.array()
  -- a layer's entry is the same in every image that has it: encoded once
  G.sbomlayers = G.sbomlayers or {}
  local encoded = G.sbomlayers
  for _, l in ipairs(projectlayers(G, r)) do
    if not encoded[l] then
      local entries = json.array()
      for _, e in ipairs(l.entries) do
        local note = "declared at " .. rel(e.ctx)
        local o = e.source.output
        if o then
          local c = o.command
          note = note .. "; built by the command at " .. rel(c.where) .. (c.run and (": " .. c.run) or "")
        end
        entries[#entries + 1] = { path = e.path, note = note }
      end
      encoded[l] = json.raw(json.encode { id = l.id, desc = descof[l], where = rel(l.where), entries = entries })
    end
    layers[#layers + 1] = encoded[l]
    inputs[#inputs + 1] = descof[l]
  end
  local base
  local ext = r.external
  if ext then
    base = { kind = ext.kind, file = basefile,
      name = ext.kind == "pull" and (ext.ref .. "@" .. ext.digest) or ext.kind == "oci" and (ext.name .. ":" .. ext.tag)
        or ext.name }
    inputs[#inputs + 1] = basefile
  end
  local text = json.line { name = img.name, platform = r.platform, epoch = G.epoch, packages = packages,
    layers = layers, base = base }
  return { text = text, inputs = inputs }
end

-- what the provenance helper needs for one platform's image (see
-- plugin/image/provenance.c): the definition files it came from (its
-- file, what that includes and reads, each with its digest now: an edit
-- regenerates), the lock's digest, its packages and base, the commands
-- whose outputs it holds (and those they take outputs of), whose inputs the
-- helper hashes, and the build arguments
local function provenancespec(G, img, r, basefile)
  local top = G.topdir == "." and "" or (G.topdir .. "/")
  local function rel(p)
    if top ~= "" and p:sub(1, #top) == top then return p:sub(#top + 1) end
    return p
  end
  local files, inputs, shown = json.array(), {}, {}
  -- a definition file's digest, of the text it was evaluated from (read
  -- once, however many images it declares)
  G.digests = G.digests or {}
  for _, p in ipairs(lang.definitionfiles(G, img.file)) do
    shown[check.show(p)] = true
    local kind = G.sources[p] and "file" or native.stat(p)
    if kind == "file" then
      local digest = G.digests[p] or native.sha256(G.sources[p] or native.readfile(p) or "")
      G.digests[p] = digest
      files[#files + 1] = { path = rel(p), sha256 = digest }
    elseif kind == "dir" then
      -- a folder listed or globbed: the names it held
      files[#files + 1] = { path = rel(p), folder = true,
        sha256 = native.sha256(table.concat(native.listdir(p) or {}, "\n")) }
    end
  end
  local lockfile
  if G.lockpath and (#r.debs > 0 or (r.external and r.external.kind == "pull")) and native.stat(G.lockpath) == "file" then
    lockfile = { path = rel(G.lockpath), sha256 = native.sha256(native.readfile(G.lockpath) or "") }
  end
  local packages = json.array()
  for _, p in ipairs(r.debs) do
    packages[#packages + 1] = { name = p.name, version = p.version, architecture = p.architecture,
      sha256 = p.sha256, url = p.url, origin = p.origin, codename = p.codename, kind = p.kind }
  end
  -- the commands: those that made the image's files, then those whose outputs they took
  local commands, seen, queue = json.array(), {}, {}
  for _, l in ipairs(projectlayers(G, r)) do
    for _, e in ipairs(l.entries) do
      if e.source.output then queue[#queue + 1] = e.source.output.command end
    end
  end
  local i = 1
  while queue[i] do
    local c = queue[i]
    i = i + 1
    if not seen[c] then
      seen[c] = true
      local ins = json.array()
      for k, src in ipairs(c.sources) do
        ins[#ins + 1] = { path = rel(c.inputs[k]), file = c.inputs[k], folder = src.kind == "folder" or nil }
        if src.kind ~= "folder" then inputs[#inputs + 1] = c.inputs[k] end
        if src.output then queue[#queue + 1] = src.output.command end
      end
      commands[#commands + 1] = { where = rel(c.where), run = type(c.run) == "string" and c.run or nil,
        image = c.image and c.image.name or nil, inputs = ins }
    end
  end
  local base
  local ext = r.external
  if ext then
    base = { file = basefile, name = ext.kind == "pull" and (ext.ref .. "@" .. ext.digest)
      or ext.kind == "oci" and (ext.name .. ":" .. ext.tag) or ext.name }
    inputs[#inputs + 1] = basefile
  elseif r.base then
    base = { file = basefile, name = r.base.name }
    inputs[#inputs + 1] = basefile
  end
  local arguments = json.array()
  -- those its definition files ask for
  for _, a in ipairs(buildargs.used(G.args) or {}) do
    local mine = false
    for f in pairs(buildargs.files(G.args, a.name)) do mine = mine or shown[f] or false end
    if mine then arguments[#arguments + 1] = { name = a.name, value = a.value } end
  end
  local options = next(G.options or {}) and G.options or nil
  local text = json.line { name = img.name, platform = r.platform, definition = rel(G.top), epoch = G.epoch,
    options = options,
    files = files, lock = lockfile, packages = packages, base = base, commands = commands, arguments = arguments }
  return { text = text, inputs = inputs }
end

function M.build(G, args, output, cache)
  local P = { store = ".imagegen/blobs", commands = {}, layers = {}, images = {}, specs = {}, fetches = {},
    bases = {}, pkginfos = {}, aliases = {}, cache = cache }
  -- a spec file; image: the image whose bundle it may go in (M.bundle)
  local function spec(p, text, image)
    P.specs[#P.specs + 1] = { path = p, text = text, group = image }
    return p
  end
  -- a layer's spec goes in the bundle of the image that has it; a layer
  -- several images have (a base's, a package's: those with a users file)
  -- in a bundle of its own, so that renaming or removing one of them moves
  -- no spec (an edge whose bundle changes runs again)
  local users = report.layerusers(G)
  local function owner(l)
    local u = users[l] or {}
    return #u == 1 and u[1] or ("layer " .. l.id)
  end
  if cache then spec(M.cacheconf, json.line { repo = cache.repo, push = cache.push }) end
  -- a path as the project names it, the same in any build folder
  local top = G.topdir == "." and "" or (G.topdir .. "/")
  local function rel(p)
    if top ~= "" and p:sub(1, #top) == top then return p:sub(#top + 1) end
    return p
  end
  -- the spec of imagegen cached: what decides the outputs (key), the
  -- files whose contents do (inputs), what to fetch before making them
  local function cached(name, key, inputs, outputs, fetch, record)
    local text = json.line { name = name, key = json.encode(key), inputs = json.array(inputs),
      outputs = json.array(outputs), fetch = json.array(fetch or {}), record = record }
    return spec(".imagegen/spec/cached/" .. native.sha256(outputs[1], 16) .. ".json", text)
  end
  -- a command with cache = true: keyed by its run, the platform it is run
  -- for and the machine's architecture, its input and output names
  local function cachedcommand(c, run, argv, vars, inputs, outputs, description)
    if not (cache and c.cache) then return nil end
    local names = {}
    for i, p in ipairs(inputs) do names[i] = rel(p) end
    return cached(description, { kind = "command", run = run, argv = argv and json.array(argv), vars = vars,
      machine = native.arch(), inputs = json.array(names), outputs = json.array(outputs) }, inputs, outputs)
  end

  -- a command run for one platform (vars: its $os, ... for a per-platform
  -- one; runon: the image a step runs in, resolve.runon): a plan command,
  -- which for a step (a command in an image, or with a folder among its
  -- outputs) names its spec and where instead of a line to run
  local function command(c, outs, inputs, run, argv, vars, runon, described)
    local deps, folders = {}, false
    for i, src in ipairs(c.sources) do deps[i] = src.kind == "folder" and M.manifest(inputs[i]) or inputs[i] end
    for _, o in ipairs(c.outputs) do folders = folders or o.folder end
    local description = check.show(described or ((runon and "STEP " or "CMD ") .. outs[1]))
    if not runon and not folders then
      local line, lines = expand(run, argv, inputs, outs, vars)
      return { outputs = outs, inputs = deps, run = line, lines = lines, description = description,
        cached = cachedcommand(c, run, argv, vars, inputs, outs, description) }
    end
    -- a step: its outputs are its files and its folders' manifests;
    -- inside an image, its inputs and outputs are named in its folder
    local targets, outputs, mounts, aliases = {}, json.array(), json.array(), json.array()
    for i, o in ipairs(c.outputs) do
      local x = { path = outs[i], name = o.name }
      if o.folder then
        x.manifest = M.manifest(outs[i])
        targets[#targets + 1] = x.manifest
      else
        targets[#targets + 1] = outs[i]
        if not native.spell(outs[i], "ninja") or not native.spell(outs[i], "make") then
          aliases[#aliases + 1] = outs[i]
        end
      end
      outputs[i] = x
    end
    local words, text, lines
    if runon then
      local names = {}
      for i, o in ipairs(c.outputs) do names[i] = o.name end
      for i, src in ipairs(c.sources) do
        mounts[i] = { src = inputs[i], name = c.mounts[i], folder = src.kind == "folder" or nil }
      end
      if argv then
        words = json.array(argv)
      else
        text, lines = expand(run, nil, c.mounts, names, vars)
        words = json.array { "/bin/sh", "-c", (lines and newlines or "") .. text }
      end
      deps[#deps + 1] = runon.file
    else
      text, lines = expand(run, argv, inputs, outs, vars)
      words = json.array { "/bin/sh", "-c", (lines and newlines or "") .. text }
    end
    -- cache = true: the key of what decides the outputs, the same in any
    -- build folder (the helper adds the image's digest and the inputs' sha256)
    local stepcache
    if cache and c.cache then
      local names, outnames, hashed = {}, {}, {}
      for i, p in ipairs(inputs) do names[i] = runon and c.mounts[i] or rel(p) end
      for i, o in ipairs(c.outputs) do outnames[i] = o.name .. (o.folder and "/" or "") end
      for i, d in ipairs(deps) do if d ~= (runon and runon.file) then hashed[#hashed + 1] = d end end
      stepcache = { key = json.encode { kind = "step", run = run, argv = argv and json.array(argv), vars = vars,
        machine = not runon and native.arch() or nil, platform = runon and runon.platform, epoch = G.epoch,
        network = runon and (c.network or false), inputs = json.array(names), outputs = json.array(outnames) },
        inputs = json.array(hashed) }
    end
    local id = ".imagegen/spec/step/" .. native.sha256(outs[1], 16)
    -- what decides the outputs, and apart (not an input of the edge, so
    -- that moving the declaration reruns nothing) where it was declared
    local stepspec = spec(id .. ".json", json.line { argv = words, outputs = outputs, mounts = mounts,
      aliases = aliases, epoch = G.epoch, image = runon and runon.file, platform = runon and runon.platform,
      network = runon and (c.network or false), cache = stepcache })
    spec(id .. ".where", json.line { ctx = c.where .. ": command", image = runon and runon.image })
    return { outputs = targets, inputs = deps, description = description, step = stepspec }
  end

  for _, c in ipairs(G.commands) do
    if not c.perplatform then
      local outs = {}
      for i, o in ipairs(c.outputs) do outs[i] = o.path end
      P.commands[#P.commands + 1] = command(c, outs, c.inputs, c.run, c.argv, nil, c.runon, c.description)
    end
  end
  for _, inst in ipairs(G.instances) do
    local c = inst.command
    P.commands[#P.commands + 1] = command(c, inst.outputs, inst.inputs, inst.run, inst.argv, inst.vars, inst.runon,
      c.description and (c.description .. " (" .. inst.platform .. ")"))
  end

  local descof, fetched, pkginfo = {}, {}, {}
  for _, l in ipairs(G.layers) do
    for _, e in ipairs(l.used and l.entries or {}) do
      local s = e.source
      -- (with a cache, a layer of packages fetches them itself when the cache misses)
      if (s.kind == "deb" or s.kind == "apk") and not cache and not fetched[s.path] then
        fetched[s.path] = true
        P.fetches[#P.fetches + 1] = { path = s.path, url = s.url, sha256 = s.sha256, size = s.size,
          name = s.package, snapshot = s.snapshot }
      end
      if s.kind == "deb" and not pkginfo[s.sha256] then
        pkginfo[s.sha256] = ".imagegen/pkginfo/" .. s.sha256 .. ".json"
        local f = { deb = s.path, out = pkginfo[s.sha256], name = s.package, version = s.version,
          architecture = s.architecture }
        if cache then
          -- facts 2: with the package's files setuid, setgid or world-writable; and
          -- checked against the version and architecture of its lock line
          f.cached = cached("PKGINFO " .. s.package, { kind = "pkginfo", sha256 = s.sha256, facts = 2,
            version = s.version, architecture = s.architecture }, {}, { f.out },
            { { path = s.path, url = s.url, sha256 = s.sha256, size = s.size, name = s.package } })
        end
        P.pkginfos[#P.pkginfos + 1] = f
      end
    end
    -- the list of what an image's apk scripts do that imagegen does not (imagegen.alpine)
    if l.used and l.report then spec(l.report.path, l.report.text) end
    if l.used then
      local text, inputs, keyfiles = layerspec(G, l)
      -- with a cache, a layer of packages fetches them only when the cache does not have it
      if cache and keyfiles then inputs = keyfiles end
      local desc = ".imagegen/layer/" .. l.id .. ".json"
      P.layers[#P.layers + 1] = { id = l.id, spec = spec(".imagegen/spec/layer/" .. l.id .. ".json", text, owner(l)),
        desc = desc, inputs = inputs }
      descof[l] = desc
    end
  end

  -- one edge fetches every .deb, over a few kept connections (net/fetchall.c)
  if #P.fetches > 0 then
    local list = json.array()
    for i, f in ipairs(P.fetches) do
      list[i] = { url = f.url, path = f.path, sha256 = f.sha256, size = f.size, name = f.name,
        snapshot = f.snapshot }
    end
    P.fetchspec = spec(".imagegen/spec/fetch.json", json.line { fetch = list })
  end

  for _, u in ipairs(report.users(G)) do spec(u.path, u.text) end
  local bases = {}
  local machine = "linux/" .. native.arch()
  for _, img in ipairs(G.images) do
    local multi = #img.resolved > 1
    local entry = { name = img.name, manifests = {}, dir = "out/" .. img.name,
      index = "out/" .. img.name .. "/index.json", digest = "out/" .. img.name .. ".digest", tar = "out/" .. img.name .. ".tar", tars = {}, push = img.push,
      pushed = ".imagegen/pushed/" .. img.name .. ".digest",
      image = ".imagegen/image/" .. img.name .. ".json", pushimage = cache ~= nil }
    for _, r in ipairs(img.resolved) do
      local slug = resolve.slug(r.platform)
      local layers, descs = json.array(), {}
      local seen = {}
      for _, l in ipairs(r.layers) do
        layers[#layers + 1] = { desc = descof[l], created_by = "imagegen layer " .. l.id }
        if not seen[l] then descs[#descs + 1] = descof[l] end
        seen[l] = true
      end
      local config = {}
      for k, v in pairs(r.config) do config[k] = v end
      if config.Env then
        local env, keys = json.array(), {}
        for k in pairs(config.Env) do keys[#keys + 1] = k end
        table.sort(keys)
        for i, k in ipairs(keys) do env[i] = k .. "=" .. config.Env[k] end
        config.Env = env
      end
      for _, k in ipairs { "Entrypoint", "Cmd" } do
        if config[k] then config[k] = json.array(config[k]) end
      end
      -- the base file: the same platform's image file of a base in this graph, or an imported base
      local basefile
      if r.base then
        basefile = ".imagegen/image/" .. r.base.name .. (#r.base.resolved > 1 and ("@" .. slug) or "") .. ".json"
      elseif r.external then
        local b = basespec(G, r.external, r.platform)
        if not bases[b.out] then
          bases[b.out] = b
          P.bases[#P.bases + 1] = b
          spec(b.where, json.line { ctx = b.ctx })
        end
        basefile = b.out
      end
      if basefile then descs[#descs + 1] = basefile end
      local os_, arch, variant = r.platform:match("^([^/]+)/([^/]+)/?(.*)$")
      local text = json.line { name = img.name, ctx = img.where .. ": image " .. img.name, epoch = G.epoch,
        ref = img.ref, repo = img.repo,
        platform = { os = os_, architecture = arch, variant = variant ~= "" and variant or nil },
        base = basefile, config = config, layers = layers, annotations = img.annotations,
        format = (img.format or G.format) == "docker" and "docker" or nil, maxlayers = r.maxlayers }
      local id = img.name .. r.suffix
      local m = { platform = r.platform, slug = slug, spec = spec(".imagegen/spec/image/" .. id .. ".json", text, img.name),
        image = ".imagegen/image/" .. id .. ".json", layers = descs }
      if img.sbom ~= false then
        m.sbom = sbomspec(G, img, r, descof, pkginfo, basefile)
        m.sbom.spec = spec(".imagegen/spec/sbom/" .. id .. ".json", m.sbom.text, img.name)
        m.sbom.record = ".imagegen/sbom/" .. id .. ".json"
        m.sbom.spdx = "out/" .. img.name .. (multi and ("." .. slug) or "") .. ".spdx.json"
        m.sbom.image = m.image
        if cache then
          local ins = { m.sbom.spec, m.image }
          for _, p in ipairs(m.sbom.inputs) do ins[#ins + 1] = p end
          m.sbom.cached = cached("SBOM " .. m.sbom.spdx, { kind = "sbom" }, ins, { m.sbom.record, m.sbom.spdx },
            nil, m.sbom.record)
        end
      end
      if img.provenance ~= false then
        m.provenance = provenancespec(G, img, r, basefile)
        m.provenance.spec = spec(".imagegen/spec/provenance/" .. id .. ".json", m.provenance.text, img.name)
        m.provenance.record = ".imagegen/provenance/" .. id .. ".json"
        m.provenance.out = "out/" .. img.name .. (multi and ("." .. slug) or "") .. ".provenance.json"
        m.provenance.image = m.image
        if cache then
          -- from the cache as the SBOM is: its edge runs (and verifies the layers) only on a miss
          local ins = { m.provenance.spec, m.image }
          for _, p in ipairs(m.provenance.inputs) do ins[#ins + 1] = p end
          m.provenance.cached = cached("PROVENANCE " .. m.provenance.out, { kind = "provenance" }, ins,
            { m.provenance.record, m.provenance.out }, nil, m.provenance.record)
        end
      end
      entry.manifests[#entry.manifests + 1] = m
      if multi then entry.tars[#entry.tars + 1] = { platform = r.platform, path = "out/" .. img.name .. "." .. slug .. ".tar",
        image = m.image } end
    end
    -- the docker-archive holds one platform: this machine's, else the first
    entry.tarimage = entry.manifests[1].image
    for _, m in ipairs(entry.manifests) do
      if m.platform == machine then entry.tarimage = m.image end
    end
    if multi then
      entry.indexof = {}
      for i, m in ipairs(entry.manifests) do entry.indexof[i] = m.image end
    end
    -- the SBOMs the layout attaches
    entry.sboms = {}
    for _, m in ipairs(entry.manifests) do
      if m.sbom then entry.sboms[#entry.sboms + 1] = m.sbom end
    end
    -- and the provenance statements: the layout attaches them after the SBOMs
    entry.provenances = {}
    for _, m in ipairs(entry.manifests) do
      if m.provenance then entry.provenances[#entry.provenances + 1] = m.provenance end
    end
    entry.html = "out/" .. img.name .. ".html"
    local text, users = report.spec(G, img, descof, function(r)
      for _, m in ipairs(entry.manifests) do
        if m.platform == r.platform then return m.image end
      end
    end)
    entry.report, entry.reportusers = spec(".imagegen/spec/report/" .. img.name .. ".json", text, img.name), users
    P.images[#P.images + 1] = entry
  end

  -- the plan's memos of layers (encoded once for every image that has them)
  -- are garbage now: not marked again by each collection until the end
  G.sbomlayers, G.reportlayers, G.projectlayers, G.layerusers = nil, nil, nil, nil
  local specpaths = {}
  for i, s in ipairs(P.specs) do specpaths[i] = s.path end
  P.regen = { args = args, output = output, inputs = G.inputs, specs = specpaths }
  return P
end

-- For ninja, which runs an edge again when its command changes: the specs
-- of an image's layers, platforms, SBOMs and report page go in one file,
-- its bundle, as {"spec path": spec, ...} (a layer several images have is
-- in a bundle of its own, see M.build), and an edge names its spec's
-- bundle and digest (imagegen HELPER --part BUNDLE SUM SPEC, see
-- plugin/cmd/main.c) instead of having the spec for an input. A build writes
-- and ninja stats a file an image instead of one a layer, and a helper
-- reads no more than its image's specs, however many images a definition
-- declares. Sets P.parts[spec path] = "BUNDLE SUM" (SUM: the first 16 hex
-- digits of the sha256 of the spec's text; a string, not a table a spec)
-- and leaves in P.specs the files to write. (make has no such memory: under
-- make each spec is its own file.)
function M.bundle(P)
  local specs, bundles, named = {}, {}, {}
  local parts = {}
  P.parts = parts
  for _, s in ipairs(P.specs) do
    if s.group then
      local b = named[s.group]
      if not b then
        b = { path = ".imagegen/spec/bundle/" .. native.sha256(s.group, 16) .. ".json", parts = {} }
        named[s.group] = b
        bundles[#bundles + 1] = b
        specs[#specs + 1] = b
      end
      b.parts[s.path] = json.raw(s.text)  -- its newline is whitespace between tokens
      parts[s.path] = b.path .. " " .. native.sha256(s.text, 16)
    else
      specs[#specs + 1] = s
    end
  end
  for _, b in ipairs(bundles) do
    b.text = json.line(b.parts)
    b.parts = nil
  end
  P.specs = specs
  P.regen.specs = {}
  for i, s in ipairs(specs) do P.regen.specs[i] = s.path end
end

return M
