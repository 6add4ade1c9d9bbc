-- imagegen.resolve: the graph as a whole, once every definition has run.
-- Each image's base is found (by name, or from outside the graph), cycles
-- refused, and what an image is made of filled in as img.resolved, a list
-- with one entry r for each of its platforms:
--   platform   "os/arch[/variant]": its own (platform or platforms), its
--              base's, or the machine's; a base of the graph must have
--              every platform the image asks for
--   suffix     "" for an image of one platform, else "@os-arch[-variant]",
--              which the ids of its per-platform layers end with
--   layers     its own layers, in order: the merged-/usr links, package
--              layers, the dpkg layer (status, accounts, alternatives, trust
--              stores; or the accounts alone without packages), then the
--              declared ones (a base's layers come from the base's image
--              file when the image is built); a declared layer with an
--              output of a per-platform command is that platform's copy
--   config     its own config fields (laid over the base's when built)
--   base       an image of the graph (baser: its r for this platform), or
--              external: an imported base
--   users, groups, debs   accounts and packages, its base's and its own
--   pkglayers, localcerts, mergedusr, arch   what its dpkg layer is made from
--   ownpkglayers, own, each   its own package layers and packages, and
--              whether they are one a package (what M.budget may group)
-- A command whose run depends on the platform (a function, or $os, $arch,
-- $variant, $platform) runs once for each platform that needs it:
-- G.instances lists those runs. A step (a command with image =) runs in
-- that image of the graph (cmd.builder), once a platform when the image
-- has several; cmd.runon (or an instance's runon) names the image file it
-- runs over, and M.steps checks this machine can run it (bwrap, qemu).
local native = require "imagegen.native"
local path = require "imagegen.path"
local check = require "imagegen.check"
local lang = require "imagegen.lang"
local system = require "imagegen.system"
local apt = require "imagegen.apt"

local fail, suggest, destination, isstring = check.fail, check.suggest, check.destination, check.isstring
local mksource, Layer, External = lang.mksource, lang.Layer, lang.External

local M = {}
local effective, runon  -- (below)

-- a base's list of users or groups with the image's over them, by name
local function mergebyname(a, b)
  if a == nil and b == nil then return {} end
  local out, at = {}, {}
  for _, x in ipairs(a or {}) do out[#out + 1] = x; at[x.name] = #out end
  for _, x in ipairs(b or {}) do
    if at[x.name] then out[at[x.name]] = x else out[#out + 1] = x; at[x.name] = #out end
  end
  return out
end

-- a layer the generator makes (packages, accounts), not declared in a definition
local function newlayer(G, id, where, entries)
  local l = setmetatable({ id = id, where = where, name = id, entries = entries }, Layer)
  G.layers[#G.layers + 1] = l
  return l
end

local function debsource(p, merged)
  return mksource { kind = "deb", path = p.deb, sha256 = p.sha256, size = p.size, url = p.url,
    snapshot = p.snapshot, package = p.name, version = p.version, architecture = p.architecture, name = p.name, mergedusr = merged }
end

-- an apk package (imagegen.alpine) as a layer entry's source
local function apksource(p)
  return mksource { kind = "apk", path = p.apk, sha256 = p.sha256, size = p.size, url = p.url, package = p.name,
    version = p.version, architecture = p.architecture, checksum = p.checksum, keys = p.keys, name = p.name }
end

-- the homes of declared accounts, as entries
local function homes(img, users)
  local entries = {}
  for _, u in ipairs(users) do
    if u.home ~= "/" and u.home ~= "/nonexistent" and path.isabs(u.home) and u.uid ~= 0 then
      entries[#entries + 1] = { ctx = img.where .. ": users: " .. u.name,
        path = destination(img.where, "users: home", u.home), source = mksource { kind = "dir" },
        uid = u.uid, gid = u.gid or u.uid, mode = 493 }
    end
  end
  return entries
end

-- certificates the image's own layers put under /usr/local/share/ca-certificates/,
-- for the trust store (update-ca-certificates reads them there)
local function localcerts(img)
  local out = {}
  for _, l in ipairs(img.layers) do
    for _, e in ipairs(l.entries) do
      if e.path:sub(1, 31) == "usr/local/share/ca-certificates" then
        local s = e.source
        if s.kind == "file" or s.kind == "output" or s.kind == "external" then
          out[#out + 1] = { path = e.path, src = s.path }
        elseif s.kind == "text" then
          out[#out + 1] = { path = e.path, data = s.data }
        elseif s.kind ~= "dir" then
          fail(e.ctx, "the trust store reads the certificates under /usr/local/share/ca-certificates "
            .. "from file and text entries, not a %s", s.kind)
        end
      end
    end
  end
  return out
end

-- the image's packages (from the lock, through G.packages) as layers: the
-- merged-/usr links first (when the base does not have them), one layer a
-- package (or as packagelayers groups them), then the image's dpkg layer
local function packagelayers(G, img, r, b, base)
  if not G.packages then fail(img.where, "packages: this command cannot resolve packages") end
  local own, mergeddefault, arch = G.packages(img, r)
  local ctx = img.where .. ": packages"
  local merged = img.mergedusr
  if b and b.mergedusr ~= nil then
    if merged ~= nil and merged ~= b.mergedusr then
      fail(img.where, "mergedusr = %s, but its base '%s' has %s /usr", tostring(merged), base.name,
        b.mergedusr and "a merged" or "a split")
    end
    merged = b.mergedusr
  end
  if merged == nil then merged = not r.external and mergeddefault end
  if merged and not (b and b.mergedusr) then
    local id = "debian/usrmerge-" .. arch
    local l = G.deblayers and G.deblayers[id]
    if not l then
      local entries = {}
      for _, d in ipairs(system.mergedlinks(arch)) do
        entries[#entries + 1] = { ctx = ctx, path = d, source = mksource { kind = "symlink", target = "usr/" .. d },
          uid = 0, gid = 0 }
        entries[#entries + 1] = { ctx = ctx, path = "usr/" .. d, source = mksource { kind = "dir" }, uid = 0, gid = 0 }
      end
      l = newlayer(G, id, img.where, entries)
      G.deblayers = G.deblayers or {}
      G.deblayers[id] = l
    end
    r.layers[#r.layers + 1] = l
  end
  r.mergedusr = merged
  -- an apk layer holds one package (its sidecar is the package's, plugin/layer/apklayer.c)
  local apk = own[1] and own[1].kind == "apk"
  if apk and img.packagelayers ~= nil and img.packagelayers ~= "each" then
    fail(img.where, "packagelayers: an image of apk packages has one layer a package")
  end
  local groups = {}
  if img.packagelayers == "one" then
    groups[1] = { id = img.name .. "/packages" .. r.suffix, debs = own }
  elseif type(img.packagelayers) == "table" then
    local placed = {}
    local byname = {}
    for _, p in ipairs(own) do byname[p.name] = p end
    for i, names in ipairs(img.packagelayers) do
      local g = { id = img.name .. "/packages-" .. i .. r.suffix, debs = {} }
      for _, n in ipairs(names) do
        if not byname[n] then
          fail(img.where, "packagelayers[%d]: '%s' is not among the image's packages", i, n)
        end
        if not placed[n] then g.debs[#g.debs + 1] = byname[n]; placed[n] = true end
      end
      groups[#groups + 1] = g
    end
    local rest = { id = img.name .. "/packages" .. r.suffix, debs = {} }
    for _, p in ipairs(own) do
      if not placed[p.name] then rest.debs[#rest.debs + 1] = p end
    end
    if #rest.debs > 0 then groups[#groups + 1] = rest end
  else
    -- one layer a package, shared by every image that installs the same one
    for _, p in ipairs(own) do
      local comp = img.compression or G.compression
      -- ids become file names in depfiles: what samurai cannot read (":", "~") as @hex
      local version = p.version:gsub("[^%w+,%-._]", function(c) return string.format("@%02x", c:byte()) end)
      groups[#groups + 1] = { id = (p.kind or "deb") .. "/" .. p.name .. "_" .. version .. "_" .. p.architecture
        .. ((merged or p.kind == "apk") and "" or ".split") .. (comp ~= lang.defaultcompression and ("." .. comp) or ""),
        debs = { p }, shared = true }
    end
  end
  G.deblayers = G.deblayers or {}
  -- what the layer budget (M.budget) may regroup: the image's own package
  -- layers, and whether they are one a package
  r.ownpkglayers, r.each = {}, not apk and (img.packagelayers == nil or img.packagelayers == "each")
  for _, g in ipairs(groups) do
    local l = g.shared and G.deblayers[g.id]
    if not l then
      local entries = {}
      for _, p in ipairs(g.debs) do
        entries[#entries + 1] = { ctx = ctx .. ": " .. p.name, path = "",
          source = p.kind == "apk" and apksource(p) or debsource(p, merged), uid = 0, gid = 0 }
      end
      l = newlayer(G, g.id, img.where, entries)
      if g.shared then G.deblayers[g.id] = l end
    end
    r.layers[#r.layers + 1] = l
    r.pkglayers[#r.pkglayers + 1] = l
    r.ownpkglayers[#r.ownpkglayers + 1] = l
  end
  r.own = own
  for _, p in ipairs(own) do r.debs[#r.debs + 1] = p end
  r.arch = arch
end

-- the image's dpkg layer: status, accounts, alternatives, trust stores (imagegen.system)
local function dpkglayer(G, img, r)
  local entries = homes(img, r.users)
  local report = "out/" .. img.name .. (r.suffix ~= "" and ("." .. M.slug(r.platform)) or "") .. ".maintscripts"
  table.insert(entries, 1, { ctx = img.where .. ": packages", path = "", uid = 0, gid = 0,
    source = mksource { kind = "dpkg", layers = r.pkglayers, users = r.users, groups = r.groups,
      localcerts = r.localcerts, mergedusr = r.mergedusr, arch = r.arch, image = img.name,
      report = report } })
  -- apt's sources, keyrings and extended_states, when apt is in the image
  for _, e in ipairs(apt.entries(img, r)) do entries[#entries + 1] = e end
  r.layers[#r.layers + 1] = newlayer(G, img.name .. "/dpkg" .. r.suffix, img.where, entries)
end

-- the image's apk layer (imagegen.alpine): /lib/apk/db, /etc/apk, and the
-- accounts the packages' scripts make (with the declared ones), their homes
local function apkdblayer(G, img, r)
  local alpine = require "imagegen.alpine"
  -- the accounts (passwd, group, shadow among made), the folders, the scripts' other products
  local _, _, dirs, report, made = alpine.accounts(r.debs, r.users, r.groups, G.epoch)
  local keys, urls, seen = {}, {}, {}
  r.repositories = r.repositories or (r.baser and r.baser.repositories)
  for _, rp in ipairs(r.repositories or {}) do
    urls[#urls + 1] = rp.url
    for _, k in ipairs(rp.keys) do
      if not seen[k.name] then keys[#keys + 1] = k; seen[k.name] = true end
    end
  end
  local ctx = img.where .. ": packages"
  -- the account files made here: the names apk resolves owners by, as it does after the pre-install
  local acc
  for _, m in ipairs(made) do
    if m.path == "etc/passwd" or m.path == "etc/group" then
      acc = acc or {}
      acc[m.path:sub(5)] = m.data
    end
  end
  local entries = { { ctx = ctx, path = "", uid = 0, gid = 0,
    source = mksource { kind = "apkdb", layers = r.pkglayers, world = r.world, repositories = urls, arch = r.arch,
      keys = keys, accounts = acc } } }
  for _, d in ipairs(dirs) do
    entries[#entries + 1] = { ctx = ctx, path = d.path:gsub("^/", ""), source = mksource { kind = "dir" },
      uid = d.uid, gid = d.gid, mode = d.mode }
  end
  for _, m in ipairs(made) do
    entries[#entries + 1] = { ctx = ctx, path = m.path:gsub("^/", ""), uid = m.uid or 0, gid = m.gid or 0, mode = m.mode,
      source = m.target and mksource { kind = "symlink", target = m.target } or mksource { kind = "text", data = m.data } }
  end
  for _, e in ipairs(homes(img, r.users)) do entries[#entries + 1] = e end
  local l = newlayer(G, img.name .. "/apk" .. r.suffix, img.where, entries)
  -- what the scripts do that imagegen does not, written by the generator
  l.report = { path = "out/" .. img.name .. (r.suffix ~= "" and ("." .. M.slug(r.platform)) or "") .. ".maintscripts",
    text = #report > 0 and (table.concat(report, "\n") .. "\n") or "" }
  r.layers[#r.layers + 1] = l
end

-- /etc/passwd and /etc/group from the declared accounts, and their homes
-- (the same for every platform: made once)
local function accountlayer(G, img, r)
  if img.accountlayer then
    r.layers[#r.layers + 1] = img.accountlayer
    return
  end
  local passwd, group = system.accounts(nil, nil, r.users, r.groups)
  local entries = homes(img, r.users)
  entries[#entries + 1] = { ctx = img.where .. ": users", path = "etc/passwd",
    source = mksource { kind = "text", data = passwd }, uid = 0, gid = 0, mode = 420 }
  entries[#entries + 1] = { ctx = img.where .. ": groups", path = "etc/group",
    source = mksource { kind = "text", data = group }, uid = 0, gid = 0, mode = 420 }
  img.accountlayer = newlayer(G, img.name .. "/accounts", img.where, entries)
  r.layers[#r.layers + 1] = img.accountlayer
end

-- what an image has at file ("etc/passwd") after all its layers, when the
-- definitions say: "text" and its contents (an accounts layer, a text
-- entry), "absent" (nothing writes it, or a whiteout or opaque folder
-- removes it), or nil when only its build knows (a file, a tree, a
-- package, a base from outside): then the image helper checks
local function fileof(r, file)
  local dir = path.dirname(file)
  while r do
    for i = #r.layers, 1, -1 do
      local found, gone, unknown
      for _, e in ipairs(r.layers[i].entries) do
        local p, kind = e.path, e.source.kind
        if p == file then
          if kind == "text" then found = e.source.data
          elseif kind == "whiteout" then gone = true
          else unknown = true end
        elseif p == dir or p == "" then
          if kind == "opaque" or kind == "whiteout" and p ~= "" then gone = true
          elseif kind ~= "dir" then unknown = true end
        end
      end
      if found then return "text", found end
      if unknown then return nil end
      if gone then return "absent" end
    end
    if r.external then return nil end
    r = r.baser
  end
  return "absent"
end

-- a user the image's config names (not ids) must be in its /etc/passwd, and
-- a group in its /etc/group: refused here when the definitions say what
-- those files hold (else the image helper checks, read/accounts.c)
local function checkuser(img, r, user)
  local name, group = user:match("^([^:]+):?(.*)$")
  local function one(what, file, want, add)
    if want == "" or want:match("^%d+$") then return end
    local state, text = fileof(r, file)
    if not state then return end
    local names = {}
    for line in (text or ""):gmatch("[^\n]+") do
      local n = line:match("^([^:#+-][^:]*):")
      if n == want then return end
      if n then names[#names + 1] = n end
    end
    local has = state == "absent" and "it has no /" .. file or
      string.format("its /%s has %s", file, #names > 0 and table.concat(names, ", ") or "no entries")
    if what == "user" then
      fail(img.where, "image '%s': user '%s' is not an account of the image (%s); add %s or a package that makes it",
        img.name, want, has, add)
    end
    fail(img.where, "image '%s': group '%s' of user '%s' is not a group of the image (%s); add %s or a package that "
      .. "makes it", img.name, want, user, has, add)
  end
  one("user", "etc/passwd", name, string.format("users = { { name = \"%s\", uid = 1000 } }", name))
  one("group", "etc/group", group, string.format("groups = { { name = \"%s\", gid = 1000 } }", group))
end

-- "linux/arm64/v8" -> "linux-arm64-v8": a platform in file names and ids
function M.slug(platform)
  return (platform:gsub("/", "-"))
end

-- what a platform-dependent run is given: { os, arch, variant, platform }
local function platformvars(platform)
  local os_, arch, variant = platform:match("^([^/]+)/([^/]+)/?(.*)$")
  return { os = os_, arch = arch, variant = variant, platform = platform }
end

-- the image a step runs in, for the platform it is run for: the builder's
-- image of that platform, or its only one (a builder of one platform runs
-- the steps of every platform: a cross-compiler's). { image, platform,
-- file }: the image's name, its platform, its image file
function runon(G, cmd, platform)
  local rs = effective(G, cmd.builder)
  local r = rs[1]
  if #rs > 1 then
    r = nil
    local have = {}
    for _, x in ipairs(rs) do
      if x.platform == platform then r = x end
      have[#have + 1] = x.platform
    end
    if not r then
      fail(cmd.where, "image: '%s' has no %s (it has %s), which this step is run for", cmd.builder.name, platform,
        table.concat(have, ", "))
    end
  end
  return { image = cmd.builder.name, platform = r.platform,
    file = ".imagegen/image/" .. cmd.builder.name .. r.suffix .. ".json" }
end

-- whether a command runs once for each platform: its run depends on the
-- platform, an input is a per-platform command's output, or it is a step
-- in an image of several platforms. Worked out when first asked (an image's
-- platforms are known once it is resolved), which finds a step that runs
-- in an image made from its own output.
function M.perplatform(G, cmd)
  if cmd.resolvedpp ~= nil then return cmd.resolvedpp end
  if cmd.resolvingpp then
    fail(cmd.where, "step cycle: the command runs in image '%s', which is built from its output", cmd.builder.name)
  end
  cmd.resolvingpp = true
  local pp = cmd.perplatform or false
  for _, src in ipairs(cmd.sources) do
    if src.output and M.perplatform(G, src.output.command) then pp = true end
  end
  if cmd.image then
    local b = cmd.image
    if isstring(b) then
      b = G.imagebyname[b]
      if not b then fail(cmd.where, "image: no image named '%s'%s", cmd.image, suggest(cmd.image, G.imagebyname)) end
    end
    cmd.builder = b
    if b.resolving then
      fail(cmd.where, "step cycle: the command runs in image '%s', which is built from its output", b.name)
    end
    if #effective(G, b) > 1 then pp = true end
  end
  cmd.resolvingpp = nil
  cmd.resolvedpp = pp
  return pp
end

-- a per-platform command as run for one platform (made once): its outputs
-- under gen/PLATFORM/, its inputs the same platform's outputs
local function instance(G, cmd, platform)
  cmd.instances = cmd.instances or {}
  if cmd.instances[platform] then return cmd.instances[platform] end
  local slug = M.slug(platform)
  local inst = { command = cmd, platform = platform, outputs = {}, inputs = {}, where = cmd.where }
  for i, o in ipairs(cmd.outputs) do
    inst.outputs[i] = "gen/" .. slug .. "/" .. o.path:sub(5)
  end
  for i, src in ipairs(cmd.sources) do
    if src.output and M.perplatform(G, src.output.command) then
      inst.inputs[i] = instance(G, src.output.command, platform).outputs[src.output.index]
    else
      inst.inputs[i] = src.path
    end
  end
  local vars = platformvars(platform)
  if cmd.runfn then
    local ok, run = lang.call(cmd.runfn, setmetatable({}, { __index = vars, __newindex = function() end }))
    if not ok then
      if type(run) == "table" then error(run, 0) end
      fail(cmd.where, "command: run(%s): %s", platform, tostring(run))
    end
    if type(run) == "table" and not getmetatable(run) then
      inst.argv = check.stringlist(cmd.where, "command: run(" .. platform .. ")", run)
    elseif isstring(run) then
      inst.run = check.nonul(cmd.where, "command: run(" .. platform .. ")", run)
    else
      fail(cmd.where, "command: run(%s) gave %s, not a command line", platform, type(run))
    end
  else
    inst.run, inst.argv = cmd.run, cmd.argv
  end
  inst.vars = vars
  if cmd.builder then inst.runon = runon(G, cmd, platform) end
  cmd.instances[platform] = inst
  G.instances[#G.instances + 1] = inst
  return inst
end
M.instance = instance

-- a declared layer for one platform: itself, unless an entry is the output
-- of a per-platform command; then a copy (made once) with that platform's
-- outputs, whose id says the platform
local function layerfor(G, l, platform)
  local perplatform = false
  for _, e in ipairs(l.entries) do
    local o = e.source.output
    if o and M.perplatform(G, o.command) then perplatform = true end
  end
  if not perplatform then return l end
  l.instances = l.instances or {}
  if l.instances[platform] then return l.instances[platform] end
  local entries = {}
  for i, e in ipairs(l.entries) do
    local copy = {}
    for k, v in pairs(e) do copy[k] = v end
    local o = e.source.output
    if o and M.perplatform(G, o.command) then
      local p = instance(G, o.command, platform).outputs[o.index]
      copy.source = mksource { kind = e.source.kind, path = p, name = p, output = o, mode = e.source.mode,
        dirmode = e.source.dirmode }
    end
    entries[i] = copy
  end
  local inst = newlayer(G, l.id .. "@" .. M.slug(platform), l.where, entries)
  inst.name = l.name
  l.instances[platform] = inst
  return inst
end

local none = {}  -- what a missing list is read as (never written)

-- the platform an image declares none of is this machine's: { "linux/ARCH" }
local ownplatform
local function thisplatform()
  ownplatform = ownplatform or { "linux/" .. native.arch() }
  return ownplatform
end

-- what an image is made of, for each of its platforms: img.resolved is a
-- list of r, one a platform in the order declared (see the top of this file)
function effective(G, img, chain)
  if img.resolved then return img.resolved end
  chain = chain or {}
  for i, seen in ipairs(chain) do
    if seen == img then
      local names = {}
      for j = i, #chain do names[#names + 1] = chain[j].name end
      names[#names + 1] = img.name
      if #names == 2 then fail(img.where, "image '%s' is its own base", img.name) end
      fail(img.where, "base cycle: %s", table.concat(names, " -> "))
    end
  end
  chain[#chain + 1] = img
  img.resolving = true
  local outer = lang.resolving(img)
  local base, external = img.base, nil
  if isstring(base) then
    local b = G.imagebyname[base]
    if not b then
      fail(img.where, "base: no image named '%s'%s", base, suggest(base, G.imagebyname))
    end
    base = b
  end
  local baseof = {}
  local platforms = img.platforms
  if getmetatable(base) == External then
    external = base
    if base.kind == "pull" and not base.digest then
      if not G.basedigest then fail(base.where, "pull: '%s' has no digest", base.ref) end
      base.digest = G.basedigest(base)
    end
    base = nil
  elseif base then
    local have = {}
    for _, br in ipairs(effective(G, base, chain)) do
      baseof[br.platform] = br
      have[#have + 1] = br.platform
    end
    platforms = platforms or have
    for _, p in ipairs(platforms) do
      if not baseof[p] then
        fail(img.where, "base: image '%s' has no %s (it has %s)", base.name, p, table.concat(have, ", "))
      end
    end
  end
  platforms = platforms or thisplatform()
  img.resolved = {}
  for _, platform in ipairs(platforms) do
    local b = baseof[platform]
    -- r.layers: the image's own layers; a base's come from its image file
    local r = { layers = {}, platform = platform, base = base, baser = b, external = external,
      suffix = #platforms > 1 and ("@" .. M.slug(platform)) or "" }
    local c = {}
    for k, v in pairs(img.config) do c[k] = v end
    r.config = c
    r.users = mergebyname(b and b.users, img.users)
    r.groups = mergebyname(b and b.groups, img.groups)
    r.debs, r.pkglayers, r.localcerts = {}, {}, {}
    for _, p in ipairs(b and b.debs or none) do r.debs[#r.debs + 1] = p end
    for _, l in ipairs(b and b.pkglayers or none) do r.pkglayers[#r.pkglayers + 1] = l end
    for _, lc in ipairs(b and b.localcerts or none) do r.localcerts[#r.localcerts + 1] = lc end
    for _, lc in ipairs(localcerts(img)) do r.localcerts[#r.localcerts + 1] = lc end
    r.mergedusr, r.arch, r.world = b and b.mergedusr, b and b.arch, b and b.world
    if img.packages then packagelayers(G, img, r, b, base) end
    local apk = r.debs[1] and r.debs[1].kind == "apk"
    if apk and r.external and img.packages then
      fail(img.where, "packages: apk packages over a base from outside the graph, whose /lib/apk/db is not known "
        .. "here: build the base's packages in this graph too")
    end
    -- an imported base has a dpkg database of its own, unknown here: its
    -- status is left alone (status.d/ names the new packages)
    if apk and (img.packages or img.users or img.groups) then
      apkdblayer(G, img, r)
    elseif #r.pkglayers > 0 and not r.external and (img.packages or img.users or img.groups) then
      dpkglayer(G, img, r)
    elseif img.users or img.groups then
      accountlayer(G, img, r)
    end
    if c.User then
      local name, group = c.User:match("^([^:]+):?(.*)$")
      for _, u in ipairs(r.users) do
        if u.name == name then
          local gid = u.gid or u.uid
          for _, g in ipairs(r.groups) do
            if group ~= "" and g.name == group then gid = g.gid end
          end
          if group ~= "" and group:match("^%d+$") then gid = tonumber(group) end
          c.User = string.format("%d:%d", u.uid, gid)
        end
      end
    end
    for _, l in ipairs(img.layers) do r.layers[#r.layers + 1] = layerfor(G, l, platform) end
    if c.User then checkuser(img, r, c.User) end
    img.resolved[#img.resolved + 1] = r
  end
  chain[#chain] = nil
  img.resolving = nil
  lang.resolving(outer)
  return img.resolved
end

-- qemu's names of OCI's architectures (qemu-user-static's binfmt_misc entries)
local qemuarch = { amd64 = "x86_64", arm64 = "aarch64", ["386"] = "i386", mips64le = "mips64el",
  loong64 = "loongarch64" }

-- what the steps in images need of this machine: bubblewrap, and for an
-- image of another platform, qemu registered with binfmt_misc with the F
-- flag (its interpreter opened when registered, so that it runs in a sandbox)
function M.steps(G)
  local host, bwrap = native.arch(), false
  local function check(cmd, on)
    if not bwrap then
      for d in (native.getenv("PATH") or "/usr/bin:/bin"):gmatch("[^:]+") do
        if native.stat(d .. "/bwrap") == "file" then bwrap = true end
      end
      if not bwrap then
        fail(cmd.where, "image: a step in an image runs in bubblewrap, which is not installed "
          .. "(apt-get install bubblewrap)")
      end
    end
    local arch = on.platform:match("^[^/]+/([^/]+)")
    if arch == host or (host == "amd64" and arch == "386") then return end
    local q = qemuarch[arch] or arch
    local reg = native.readfile("/proc/sys/fs/binfmt_misc/qemu-" .. q)
    if not reg or not reg:find("^enabled") or not reg:find("\nflags: %u*F") then
      fail(cmd.where, "image: '%s' is %s, which this machine (linux/%s) runs only through qemu: install "
        .. "qemu-user-static and have binfmt_misc register qemu-%s with the F flag", on.image, on.platform, host, q)
    end
  end
  for _, cmd in ipairs(G.commands) do
    if cmd.runon then check(cmd, cmd.runon) end
  end
  for _, inst in ipairs(G.instances) do
    if inst.runon then check(inst.command, inst.runon) end
  end
end

-- the layer budget: how many layers an image may have, its bases' included,
-- unless it says (maxlayers) or the build does (--max-layers). Docker 20.10
-- refuses an image of more than 125 ("max depth exceeded").
M.maxlayers = 100

-- "1 image", "2 images"
local function count(n, what)
  return string.format("%d %s%s", n, what, n == 1 and "" or "s")
end

-- every image within its budget (see docs/debian.md, "The layer budget"):
-- an image of one layer a package that would have more layers than its
-- an image (and its platform, when it has several) in the budget's messages
local function budgetwhat(img, r)
  return string.format("image '%s'%s", img.name, r.suffix ~= "" and (" (" .. r.platform .. ")") or "")
end

-- budget keeps apart the package layers that the most of the build's
-- images have (then those the most of its own packages depend on, then by
-- name) and merges the rest into one layer, IMAGE/packages. Bases first,
-- since their layers count; r.pkglayers (which the dpkg layer reads) made
-- again from its base's and its own. Any other image over its budget is
-- an error that names the counts.
function M.budget(G)
  -- sharing[l]: how many images have the package layer l, one a package
  local sharing = {}
  for _, img in ipairs(G.images) do
    local seen = {}
    for _, r in ipairs(img.resolved) do
      for _, l in ipairs(r.each and r.ownpkglayers or {}) do
        if not seen[l] then
          seen[l] = true
          sharing[l] = (sharing[l] or 0) + 1
        end
      end
    end
  end
  local done = {}
  local function fit(img)
    if done[img] then return end
    done[img] = true
    for _, r in ipairs(img.resolved) do
      if r.base then fit(r.base) end
    end
    local max = img.maxlayers or G.maxlayers or M.maxlayers
    for _, r in ipairs(img.resolved) do
      local inbases, b = 0, r.baser
      local outside = r.external
      while b do
        inbases, outside, b = inbases + #b.layers, outside or b.external, b.baser
      end
      -- a base from outside the graph (a layout, an archive, a pull): its
      -- layers are known when the image is built, which checks the budget then
      if outside then r.maxlayers = max end
      local own = r.ownpkglayers or {}
      local besides = #r.layers - #own
      if r.each and #own > 1 and inbases + #r.layers > max then
        local room = max - inbases - besides
        if room < 1 then
          fail(img.where, "%s: %d layers of its bases and %d of its own leave no room for a layer of its %s "
            .. "within its budget of %d (maxlayers)", budgetwhat(img, r), inbases, besides, count(#own, "package"), max)
        end
        -- the packages of the image that depend on each
        local dependents, mine = {}, {}
        for _, p in ipairs(r.own) do mine[p.name] = true end
        for _, p in ipairs(r.own) do
          for _, d in ipairs(p.depends or {}) do
            if mine[d] and d ~= p.name then dependents[d] = (dependents[d] or 0) + 1 end
          end
        end
        local ranked = {}
        for i, l in ipairs(own) do
          local p = l.entries[1].source
          ranked[i] = { l = l, shared = sharing[l] or 1, needed = dependents[p.package] or 0, name = p.package,
            arch = p.architecture }
        end
        table.sort(ranked, function(x, y)
          if x.shared ~= y.shared then return x.shared > y.shared end
          if x.needed ~= y.needed then return x.needed > y.needed end
          if x.name ~= y.name then return x.name < y.name end
          return x.arch < y.arch
        end)
        local apart, shared, needed = {}, 0, 0
        for i = 1, room - 1 do apart[ranked[i].l] = true end
        for i = room, #ranked do
          shared, needed = math.max(shared, ranked[i].shared), math.max(needed, ranked[i].needed)
        end
        -- the layers kept apart in their order, then the merged one
        local entries, grouped, names = {}, {}, {}
        for _, l in ipairs(own) do
          if apart[l] then
            grouped[#grouped + 1] = l
          else
            entries[#entries + 1] = l.entries[1]
            names[#names + 1] = l.entries[1].source.package
          end
        end
        local merged = newlayer(G, img.name .. "/packages" .. r.suffix, img.where, entries)
        merged.budget = string.format("packages %s; merged by the layer budget: %d layers, %s, %d kept apart; "
          .. "each of these is in %s of the build, and %s of its packages depend%s on it", table.concat(names, ", "),
          max, count(#own, "package"), room - 1, shared == 1 and "1 image" or ("at most " .. count(shared, "image")),
          needed == 0 and "none" or ("at most " .. needed), needed == 1 and "s" or needed == 0 and "s" or "")
        grouped[#grouped + 1] = merged
        -- the image's own package layers are together in r.layers: replaced there
        local layers, isown = {}, {}
        for _, l in ipairs(own) do isown[l] = true end
        for _, l in ipairs(r.layers) do
          if l == own[1] then
            for _, g in ipairs(grouped) do layers[#layers + 1] = g end
          elseif not isown[l] then
            layers[#layers + 1] = l
          end
        end
        r.layers, r.ownpkglayers = layers, grouped
      end
      -- the package layers the dpkg layer reads (the same table): its base's and its own
      local pl = r.pkglayers
      for i = #pl, 1, -1 do pl[i] = nil end
      for _, l in ipairs(r.baser and r.baser.pkglayers or {}) do pl[#pl + 1] = l end
      for _, l in ipairs(r.ownpkglayers or {}) do pl[#pl + 1] = l end
      if inbases + #r.layers > max then
        local pkgs = #(r.ownpkglayers or {})
        fail(img.where, "%s: %d layers, over its budget of %d (maxlayers): %d of its bases and %d of its own%s",
          budgetwhat(img, r), inbases + #r.layers, max, inbases, #r.layers,
          pkgs > 0 and string.format(" (%s)", count(pkgs, "package layer")) or "")
      end
    end
  end
  for _, img in ipairs(G.images) do fit(img) end
end

-- a layer of an image as a clash of ids names it: one it declares (declared:
-- its index in img.layers), or one imagegen makes for it
local function layerwhat(l, img, declared)
  if l.fromfiles then return "the layer of its files" end
  if declared[l] then return string.format("its layers[%d] ('%s')", declared[l], l.name) end
  if l.budget then return "the layer the layer budget merges its packages into" end
  local kind = l.id:sub(#img.name + 2):gsub("@.*$", "")
  if kind == "dpkg" then return "its dpkg layer" end
  if kind == "apk" then return "its apk layer" end
  if kind == "accounts" then return "its accounts layer" end
  return "its packages' layer (packagelayers)"
end

-- no two layers of an image with one id (the name of its edge and files):
-- a layer it declares named as one imagegen makes for it (files, packages,
-- packages-N, dpkg, accounts) or as another of its layers is refused
function M.uniqueids(G)
  for _, img in ipairs(G.images) do
    local declared = {}
    for i, l in ipairs(img.layers) do
      if not l.fromfiles then declared[l] = i end
    end
    for _, r in ipairs(img.resolved) do
      local byid = {}
      for _, l in ipairs(r.layers) do
        local other = byid[l.id]
        if other and other ~= l then
          -- the one it declares in layers first: the one to rename
          local a, b = other, l
          if declared[l] and not declared[other] then a, b = l, other end
          fail(img.where, "image '%s': %s and %s both have the id %s: name the layer otherwise", img.name,
            layerwhat(a, img, declared), layerwhat(b, img, declared), l.id)
        end
        byid[l.id] = l
      end
    end
  end
end

-- check the graph as a whole and resolve every image's base
function M.graph(G)
  if #G.images == 0 then
    fail(G.top, "the definition declares no images (add an image { name = ..., ... })")
  end
  G.instances = {}
  lang.resolving(check.show(G.top))
  for _, img in ipairs(G.images) do effective(G, img) end
  for _, cmd in ipairs(G.commands) do cmd.perplatform = M.perplatform(G, cmd) end
  -- a per-platform command no image uses is still a build step: for this
  -- machine, or a step for its image's platforms
  for _, cmd in ipairs(G.commands) do
    if cmd.perplatform and not cmd.instances then
      if cmd.builder and #cmd.builder.resolved > 1 then
        for _, r in ipairs(cmd.builder.resolved) do instance(G, cmd, r.platform) end
      else
        instance(G, cmd, "linux/" .. native.arch())
      end
    end
    if cmd.builder and not cmd.perplatform then cmd.runon = runon(G, cmd) end
  end
  M.steps(G)
  M.budget(G)
  M.uniqueids(G)
  local used = {}
  for _, img in ipairs(G.images) do
    local comp = img.compression or G.compression
    for _, r in ipairs(img.resolved) do
      for _, l in ipairs(r.layers) do
        used[l] = true
        if l.compression and l.compression ~= comp then
          fail(img.where, "layer '%s' is compressed with %s for image '%s', and image '%s' wants %s", l.id,
            l.compression, l.compressedfor, img.name, comp)
        end
        l.compression, l.compressedfor = comp, img.name
      end
    end
  end
  for _, l in ipairs(G.layers) do l.used = used[l] or false end
  -- a Docker image names its bases' layers in Docker's media types, which have no zstd
  for _, img in ipairs(G.images) do
    local b = (img.format or G.format) == "docker" and img.resolved[1] and img.resolved[1].base
    while b do
      if (b.compression or G.compression) == "zstd" then
        fail(img.where, "base: image '%s' has zstd layers, which have no Docker media type, and image '%s' is "
          .. "format = \"docker\": compress '%s' with gzip or none, or make '%s' format = \"oci\"",
          b.name, img.name, b.name, img.name)
      end
      b = b.resolved[1] and b.resolved[1].base
    end
  end
end

return M
