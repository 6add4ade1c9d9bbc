-- imagegen.debian: Debian repositories and dependency resolution (the lock
-- that records what they resolved to is imagegen.lock).
--
-- A repository is { url, suite, components, keyrings }. Its InRelease (or
-- Release and Release.gpg) is checked with gpgv against its keyrings, each
-- Packages index against the SHA256 the Release gives, and (at build time)
-- each .deb against the SHA256 of the index, through the lock.
--
-- Resolution is deterministic: requested packages first, in the order
-- given, then their Depends and Pre-Depends breadth first, in field order.
-- A dependency is met by a package already chosen if one fits; otherwise
-- by the first alternative with a real package (its highest version that
-- fits, across repositories), else a package that Provides it (the one of
-- the most important Priority, then the first by name). Essential packages come in when something depends on them, or
-- all of them with essential (as mmdebstrap's essential variant).
local native = require "imagegen.native"
local check = require "imagegen.check"

local fail = check.fail

local M = {}

local function split(s)
  local out = {}
  for w in (s or ""):gmatch("%S+") do out[#out + 1] = w end
  return out
end

-- the keyrings apt trusts when a source names none
function M.aptkeyrings()
  local keys = {}
  if native.stat("/etc/apt/trusted.gpg") == "file" then keys[1] = "/etc/apt/trusted.gpg" end
  for _, n in ipairs(native.listdir("/etc/apt/trusted.gpg.d") or {}) do
    if n:match("%.gpg$") then keys[#keys + 1] = "/etc/apt/trusted.gpg.d/" .. n end
  end
  return keys
end

local function option(opts, name)
  return opts and opts:match(name .. "=(%S+)")
end

-- the machine's apt sources: deb822 files and the classic one-line form
function M.aptsources(root)
  root = root or "/etc/apt"
  local repos = {}
  local function add(url, suite, components, signedby)
    if not url:match("^https?://") and not url:match("^file:") then return end
    url = url:gsub("/+$", "")
    repos[#repos + 1] = { url = url, suite = suite, components = components,
      keyrings = signedby and { signedby } or M.aptkeyrings() }
  end
  local files = {}
  for _, n in ipairs(native.listdir(root .. "/sources.list.d") or {}) do
    if n:match("%.sources$") or n:match("%.list$") then files[#files + 1] = root .. "/sources.list.d/" .. n end
  end
  if native.stat(root .. "/sources.list") == "file" then table.insert(files, 1, root .. "/sources.list") end
  for _, f in ipairs(files) do
    local text = native.readfile(f) or ""
    if f:match("%.sources$") then
      text = ("\n" .. text):gsub("\n#[^\n]*", ""):sub(2)
      for _, p in ipairs(native.paragraphs(text)) do
        local types = split(p.Types)
        local isdeb = false
        for _, t in ipairs(types) do isdeb = isdeb or t == "deb" end
        local signed = p["Signed-By"]
        if signed and signed:find("\n") then signed = nil end
        if isdeb and (p.Enabled or "yes") ~= "no" then
          for _, u in ipairs(split(p.URIs)) do
            for _, s in ipairs(split(p.Suites)) do add(u, s, split(p.Components), signed) end
          end
        end
      end
    else
      for line in text:gmatch("[^\n]+") do
        local opts, rest = line:match("^%s*deb%s+%[([^%]]*)%]%s+(.*)$")
        if not opts then rest = line:match("^%s*deb%s+(.*)$") end
        if rest then
          local w = split(rest)
          if #w >= 2 then
            local comps = {}
            for i = 3, #w do comps[#comps + 1] = w[i] end
            add(w[1], w[2], comps, option(opts, "signed%-by"))
          end
        end
      end
    end
  end
  return repos
end

function M.repoid(r)
  return r.url .. " " .. r.suite
end

-- the download folder, as the helpers find it (plugin/base/env.c)
local downloaddir = native.downloaddir

local months = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9,
  Oct = 10, Nov = 11, Dec = 12 }

-- a date as Release files write it ("Sat, 06 Dec 2026 08:27:30 UTC", or
-- "+0000") in seconds since 1970; nil if it is not one
function M.parsedate(s)
  local d, mon, y, hh, mi, ss, zone = s:match("^%a*,?%s*(%d+)%s+(%a+)%s+(%d+)%s+(%d+):(%d+):(%d+)%s*(%S*)$")
  if not d or not months[mon] then return nil end
  local offset = 0
  if zone ~= "" and zone ~= "UTC" and zone ~= "GMT" and zone ~= "Z" then
    local sign, zh, zm = zone:match("^([+-])(%d%d)(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(zh) * 3600 + tonumber(zm) * 60) * (sign == "-" and -1 or 1)
  end
  -- days since 1970-01-01 of a civil date (the era arithmetic of H. Hinnant's days_from_civil)
  local year, month, day = tonumber(y), months[mon], tonumber(d)
  if month <= 2 then year = year - 1 end
  local era = year // 400
  local yoe = year - era * 400
  local doy = (153 * (month > 2 and month - 3 or month + 9) + 2) // 5 + day - 1
  local days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
  return days * 86400 + tonumber(hh) * 3600 + tonumber(mi) * 60 + tonumber(ss) - offset
end

-- nil if p (a package: name, version, architecture, filename, size, sha256)
-- is well formed, else what is wrong: these become file names and URLs
function M.checkpackage(p)
  if type(p.name) ~= "string" or not p.name:match("^[a-z0-9][a-z0-9+.-]+$") then
    return string.format("'%s' is not a Debian package name", tostring(p.name))
  end
  if type(p.version) ~= "string" or not p.version:match("^%d[%w.+~:-]*$") then
    return string.format("%s: '%s' is not a Debian version", p.name, tostring(p.version))
  end
  if type(p.architecture) ~= "string" or not p.architecture:match("^[a-z0-9][a-z0-9-]*$") then
    return string.format("%s: '%s' is not an architecture", p.name, tostring(p.architecture))
  end
  if type(p.filename) ~= "string" or p.filename:find("^/") or p.filename:find("%.%.") or p.filename:find("[%c%s]") then
    return string.format("%s: '%s' is not a file of the repository", p.name, tostring(p.filename))
  end
  if math.type(p.size) ~= "integer" or p.size < 0 then return string.format("%s: no size", p.name) end
  if type(p.sha256) ~= "string" or not p.sha256:match("^%x+$") or #p.sha256 ~= 64 or p.sha256:find("%u") then
    return string.format("%s: '%s' is not a sha256", p.name, tostring(p.sha256))
  end
end

-- the most a Release file may take; an index may take what Release says
local RELEASEMAX = 16 * 1024 * 1024

-- a file of the repository, by URL, at most max bytes; indexes are kept in
-- the download folder by their sha256
local function get(url, max, sha256)
  local kept = sha256 and (downloaddir() .. "/index/" .. sha256)
  if kept then
    local data = native.readfile(kept)
    if data and native.sha256(data) == sha256 then return data end
  end
  local data, err, toolarge = native.fetch(url, max)
  if not data then return nil, err, toolarge end
  if kept and native.sha256(data) == sha256 then native.writefile(kept, data) end
  return data
end

-- the Release file of a repository, verified; errors start with where
local function release(r, where)
  local base = r.url .. "/dists/" .. r.suite
  local signed, err = get(base .. "/InRelease", RELEASEMAX)
  local text, why
  if signed then
    text, why = native.gpgv(signed, r.keyrings)
  else
    local rel, err2 = get(base .. "/Release", RELEASEMAX)
    if not rel then fail(where, "%s: no InRelease (%s) and no Release (%s)", M.repoid(r), err, err2) end
    local sig, err3 = get(base .. "/Release.gpg", RELEASEMAX)
    if not sig then fail(where, "%s: Release has no Release.gpg: %s", M.repoid(r), err3) end
    signed = rel .. sig
    text, why = native.gpgv(sig, r.keyrings, rel)
  end
  if not text then
    fail(where, "%s: the Release signature does not verify with %s: %s", M.repoid(r),
      table.concat(r.keyrings, ", "), why)
  end
  local p = native.paragraphs(text)[1] or {}
  -- as apt: the Release must be the suite asked for, and not expired
  if (p.Suite or p.Codename) and r.suite ~= p.Suite and r.suite ~= p.Codename then
    fail(where, "%s: the Release is for suite '%s' (codename '%s'), not '%s'", M.repoid(r), p.Suite or "",
      p.Codename or "", r.suite)
  end
  if p["Valid-Until"] then
    local t, now = M.parsedate(p["Valid-Until"]), os.time()
    if not t then fail(where, "%s: the Release's Valid-Until '%s' is not a date", M.repoid(r), p["Valid-Until"]) end
    if t < now then
      fail(where, "%s: the Release expired: Valid-Until %s, and it is now %s", M.repoid(r), p["Valid-Until"],
        os.date("!%a, %d %b %Y %H:%M:%S UTC", now))
    end
  end
  local files = {}
  for line in (p.SHA256 or ""):gmatch("[^\n]+") do
    local sum, size, name = line:match("^%s*(%x+)%s+(%d+)%s+(%S+)")
    if sum then files[name] = { sha256 = sum, size = tonumber(size) } end
  end
  return { fields = p, files = files, sha256 = native.sha256(signed), byhash = p["Acquire-By-Hash"] == "yes",
    codename = p.Codename or p.Suite }
end

local wanted = { Package = true, Version = true, Architecture = true, Depends = true, Priority = true,
  ["Pre-Depends"] = true, Provides = true, Conflicts = true, Breaks = true, Essential = true,
  ["Multi-Arch"] = true, Filename = true, Size = true, SHA256 = true }

-- the most of an index taken uncompressed when its Release does not give
-- the uncompressed size (Debian's largest, main for amd64, is about 60 MB)
local MAXINDEX = 1 << 30

-- an index as its compressed file (stem .. ext) holds it: no longer than,
-- and the same as, what the Release says of the uncompressed one (stem),
-- when it says (as apt checks it); a bomb stops at that size
local function uncompressed(r, rel, stem, ext, data, where)
  local plain = rel.files[stem]
  local ok, text = pcall(native.decompress, data, plain and plain.size or MAXINDEX)
  if not ok then fail(where, "%s: %s: %s", M.repoid(r), stem .. ext, text) end
  if plain and (#text ~= plain.size or native.sha256(text) ~= plain.sha256) then
    fail(where, "%s: %s, uncompressed, does not match the sha256 and size in Release for %s", M.repoid(r),
      stem .. ext, stem)
  end
  return text
end

-- the packages of one repository for an architecture (and "all")
local function packages(r, rel, arch, where)
  local out = {}
  local base = r.url .. "/dists/" .. r.suite .. "/"
  -- as apt does: binary-all only when the Release lists "all" among its
  -- architectures; otherwise arch-all packages are in each arch's index
  local archs = { arch }
  local listed = " " .. (rel.fields.Architectures or "all") .. " "
  if listed:find(" all ", 1, true) and rel.fields["No-Support-for-Architecture-all"] ~= "Packages" then
    archs[2] = "all"
  end
  for _, comp in ipairs(r.components) do
    for _, a in ipairs(archs) do
      local stem = comp .. "/binary-" .. a .. "/Packages"
      for _, ext in ipairs { ".xz", ".gz", "" } do
        local f = rel.files[stem .. ext]
        if f then
          local data, err
          if rel.byhash then
            data = get(base .. comp .. "/binary-" .. a .. "/by-hash/SHA256/" .. f.sha256, f.size, f.sha256)
          end
          local toolarge
          if not data then data, err, toolarge = get(base .. stem .. ext, f.size, f.sha256) end
          if not data and not toolarge then fail(where, "%s: %s: %s", M.repoid(r), stem .. ext, err) end
          if toolarge or native.sha256(data) ~= f.sha256 or #data ~= f.size then
            fail(where, "%s: %s does not match the sha256 and size in Release", M.repoid(r), stem .. ext)
          end
          if ext ~= "" then data = uncompressed(r, rel, stem, ext, data, where) end
          for _, p in ipairs(native.paragraphs(data, wanted)) do
            if not (p.Package or ""):match("^[a-z0-9][a-z0-9+.-]+$") then
              fail(where, "%s: %s names a package '%s', not a Debian package name", M.repoid(r), stem .. ext,
                tostring(p.Package))
            end
            p.repo = r
            out[#out + 1] = p
          end
          break
        end
      end
    end
  end
  return out
end

-- a package's Provides, parsed once
local function provides(p)
  if not p.provided then p.provided = M.parsedeps(p.Provides) end
  return p.provided
end

-- the index of several repositories: by name, and by what is provided
function M.index(repos, arch, where)
  local idx = { byname = {}, provides = {}, repos = {}, arch = arch }
  for ri, r in ipairs(repos) do
    local rel = release(r, where)
    idx.repos[ri] = { repo = r, release = rel }
    for _, p in ipairs(packages(r, rel, arch, where)) do
      if p.Package and p.Version and (p.Architecture == arch or p.Architecture == "all") then
        p.order = ri
        local list = idx.byname[p.Package] or {}
        idx.byname[p.Package] = list
        list[#list + 1] = p
        for _, prov in ipairs(provides(p)) do
          local v = prov[1]
          local plist = idx.provides[v.name] or {}
          idx.provides[v.name] = plist
          plist[#plist + 1] = { pkg = p, version = v.version }
        end
      end
    end
  end
  return idx
end

-- "a (>= 1) | b:any, c" -> { { {name="a", op=">=", version="1"}, {name="b", arch="any"} }, { {name="c"} } }
function M.parsedeps(field)
  local groups = {}
  for group in (field or ""):gmatch("[^,]+") do
    local alts = {}
    for alt in group:gmatch("[^|]+") do
      alt = alt:gsub("%[.-%]", ""):gsub("<.->", ""):gsub("%s+", " ")
      local name, arch = alt:match("^%s*([%w.+-]+):?([%w-]*)")
      if name then
        local op, ver = alt:match("%(%s*([<>=]+)%s*([^%s)]+)%s*%)")
        if op == "<" then op = "<=" elseif op == ">" then op = ">=" end
        alts[#alts + 1] = { name = name, arch = arch ~= "" and arch or nil, op = op, version = ver }
      end
    end
    if #alts > 0 then groups[#groups + 1] = alts end
  end
  return groups
end

local function fits(version, op, want)
  if not op then return true end
  if not version then return false end
  local c = native.vercmp(version, want)
  if op == "<<" then return c < 0 elseif op == "<=" then return c <= 0
  elseif op == "=" then return c == 0 elseif op == ">=" then return c >= 0
  elseif op == ">>" then return c > 0 end
  return false
end

local function depstring(d)
  return d.name .. (d.arch and (":" .. d.arch) or "") .. (d.op and string.format(" (%s %s)", d.op, d.version) or "")
end

local function archok(idx, p, d)
  if d.arch == nil or d.arch == "any" or d.arch == "native" then return true end
  return d.arch == p.Architecture or (p.Architecture == "all" and d.arch == idx.arch)
end

-- does the chosen package p meet dependency d (by name or by Provides)?
local function meets(p, d)
  if p.Package == d.name then return fits(p.Version, d.op, d.version) end
  for _, prov in ipairs(provides(p)) do
    local v = prov[1]
    if v.name == d.name and (not d.op or fits(v.version, d.op, d.version)) then return true end
  end
  return false
end

-- the best real package for d: highest version, then earlier repository
local function best(idx, d)
  local pick
  for _, p in ipairs(idx.byname[d.name] or {}) do
    if archok(idx, p, d) and fits(p.Version, d.op, d.version) then
      if not pick then pick = p
      else
        local c = native.vercmp(p.Version, pick.Version)
        if c > 0 or (c == 0 and p.order < pick.order) then pick = p end
      end
    end
  end
  return pick
end

-- a virtual package's provider: the most important Priority first (as
-- Debian's installers choose mawk for awk), then by name
local priorities = { required = 1, important = 2, standard = 3, optional = 4, extra = 5 }

local function provider(idx, d)
  local list = {}
  for _, e in ipairs(idx.provides[d.name] or {}) do
    if (not d.op or fits(e.version, d.op, d.version)) and archok(idx, e.pkg, d) then list[#list + 1] = e.pkg end
  end
  table.sort(list, function(a, b)
    local pa, pb = priorities[a.Priority] or 5, priorities[b.Priority] or 5
    if pa ~= pb then return pa < pb end
    if a.Package ~= b.Package then return a.Package < b.Package end
    local c = native.vercmp(a.Version, b.Version)
    if c ~= 0 then return c > 0 end
    return a.order < b.order
  end)
  return list[1]
end

local function chainof(p)
  local names = {}
  while p do
    table.insert(names, 1, p.Package)
    p = p.via
  end
  return table.concat(names, " -> ")
end

-- the names of the Essential packages of the index, sorted
function M.essential(idx)
  local names = {}
  for name, list in pairs(idx.byname) do
    for _, p in ipairs(list) do
      if p.Essential == "yes" then
        names[#names + 1] = name
        break
      end
    end
  end
  table.sort(names)
  return names
end

-- resolve requested names (optionally "name (>= v)" or "name=version") against the
-- index; installed: packages a base image already has, by name; errors start with where
function M.resolve(idx, requested, installed, where)
  -- the chosen packages: by name, in the order chosen, and by what they
  -- provide ({ pkg, version } in the order chosen)
  local chosen, order, provided = {}, {}, {}
  installed = installed or {}
  local queue = {}
  -- a field's relations, parsed once: each is read again after the choosing
  local parsed = {}
  local function depsof(field)
    if not field then return {} end
    local groups = parsed[field]
    if not groups then
      groups = M.parsedeps(field)
      parsed[field] = groups
    end
    return groups
  end
  local function choose(p, via, d)
    local have = chosen[p.Package]
    if have then
      if have.Version ~= p.Version then
        fail(where, "conflict: %s needs %s, but %s %s was chosen for %s", via and chainof(via) or "the definition",
          depstring(d), have.Package, have.Version, chainof(have))
      end
      return
    end
    local copy = {}
    for k, v in pairs(p) do copy[k] = v end
    copy.via = via
    chosen[p.Package] = copy
    order[#order + 1] = copy
    copy.rank = #order
    queue[#queue + 1] = copy
    for _, prov in ipairs(provides(copy)) do
      local v = prov[1]
      local list = provided[v.name] or {}
      provided[v.name] = list
      list[#list + 1] = { pkg = copy, version = v.version }
    end
  end
  -- is d met by a package already chosen (meets, through the indexes)?
  local function satisfied(d)
    if installed[d.name] and fits(installed[d.name], d.op, d.version) then return true end
    local p = chosen[d.name]
    if p and fits(p.Version, d.op, d.version) then return true end
    for _, e in ipairs(provided[d.name] or {}) do
      -- a package of that name is met by its own version alone (meets)
      if e.pkg.Package ~= d.name and (not d.op or fits(e.version, d.op, d.version)) then return true end
    end
    return false
  end
  local function want(group, via)
    for _, d in ipairs(group) do
      if satisfied(d) then return end
    end
    for _, d in ipairs(group) do
      local p = best(idx, d)
      if p then
        if chosen[p.Package] then
          fail(where, "conflict: %s needs %s, but %s %s was chosen for %s", via and chainof(via) or "the definition",
            depstring(d), p.Package, chosen[p.Package].Version, chainof(chosen[p.Package]))
        end
        return choose(p, via, d)
      end
    end
    for _, d in ipairs(group) do
      local p = provider(idx, d)
      if p then
        return choose(p, via, d)
      end
    end
    local names = {}
    for i, d in ipairs(group) do names[i] = depstring(d) end
    local any = idx.byname[group[1].name]
    if via then
      fail(where, "%s: no package satisfies %s (needed by %s)%s", names[1] and "missing dependency" or "",
        table.concat(names, " | "), chainof(via),
        any and string.format("; versions available: %s", (function()
          local v = {}
          for _, p in ipairs(any) do v[#v + 1] = p.Version end
          return table.concat(v, ", ")
        end)()) or "")
    end
    fail(where, "package %s not found in %s", table.concat(names, " | "),
      (function()
        local ids = {}
        for _, r in ipairs(idx.repos) do ids[#ids + 1] = M.repoid(r.repo) end
        return table.concat(ids, ", ")
      end)())
  end

  for _, r in ipairs(requested) do
    local name, ver = r:match("^([%w.+-]+)=(.+)$")
    local group = name and { { name = name, op = "=", version = ver } } or M.parsedeps(r)[1]
    if not group then fail(where, "'%s' is not a package name", r) end
    want(group, nil)
  end
  local i = 1
  while i <= #queue do
    local p = queue[i]
    for _, field in ipairs { "Pre-Depends", "Depends" } do
      for _, group in ipairs(depsof(p[field])) do want(group, p) end
    end
    i = i + 1
  end
  for _, p in ipairs(order) do
    for _, field in ipairs { "Conflicts", "Breaks" } do
      for _, group in ipairs(depsof(p[field])) do
        local d = group[1]
        -- the first chosen package that d names: by its name and version,
        -- or (without a version) by what it provides
        local q = chosen[d.name]
        if q == p or (q and not fits(q.Version, d.op, d.version)) then q = nil end
        if not d.op then
          for _, e in ipairs(provided[d.name] or {}) do
            local r = e.pkg
            if r ~= p and r.Package ~= d.name and (not q or r.rank < q.rank) then q = r end
          end
        end
        if q then
          fail(where, "conflict: %s %s (%s) %s %s, chosen for %s", p.Package, p.Version, chainof(p),
            field == "Conflicts" and "conflicts with" or "breaks", depstring(d), chainof(q))
        end
      end
    end
  end
  table.sort(order, function(a, b) return a.Package < b.Package end)
  -- what each chosen package's Pre-Depends and Depends were met by, among
  -- the chosen (a package of the base meets some: those are not listed)
  local providers = {}
  for _, p in ipairs(order) do
    for _, prov in ipairs(provides(p)) do
      local list = providers[prov[1].name] or {}
      providers[prov[1].name] = list
      list[#list + 1] = p
    end
  end
  local function metby(d)
    local p = chosen[d.name]
    if p and fits(p.Version, d.op, d.version) then return p end
    for _, q in ipairs(providers[d.name] or {}) do
      if meets(q, d) then return q end
    end
  end
  local out = {}
  for i2, p in ipairs(order) do
    local deps, seen = {}, {}
    for _, field in ipairs { "Pre-Depends", "Depends" } do
      for _, group in ipairs(depsof(p[field])) do
        for _, d in ipairs(group) do
          local q = metby(d)
          if q then
            if not seen[q.Package] and q ~= p then deps[#deps + 1] = q.Package end
            seen[q.Package] = true
            break
          end
        end
      end
    end
    table.sort(deps)
    out[i2] = { name = p.Package, version = p.Version, architecture = p.Architecture,
      filename = p.Filename, size = math.tointeger(tonumber(p.Size)), sha256 = p.SHA256,
      repository = M.repoid(p.repo), url = p.repo.url .. "/" .. (p.Filename or ""), depends = deps,
      via = p.via and p.via.Package }
    local bad = M.checkpackage(out[i2])
    if bad then fail(where, "%s: its index: %s", M.repoid(p.repo), bad) end
  end
  return out
end

return M
