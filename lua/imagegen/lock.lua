-- imagegen.lock: imagegen.lock, beside the top definition, pins what the
-- definition does not: each image's resolved Debian packages (name,
-- version, architecture, file, size, sha256 and URL, and the package whose
-- Depends pulled it in: via) and the repositories
-- they came from, and the digest each pulled base's tag pointed to.
-- Builds use the lock; imagegen lock makes it again.
--
-- { "imagegen-lock": 1,
--   images = { [name] = { request, essential, added, architecture, repositories, base, packages } },
--     (added: the packages asked for besides the request, M.defaults)
--     (an image of several platforms: [name@os-arch[-variant]] for each)
--   bases = { [ref] = digest },
--   repositories = { [id] = { url, suite, codename, components, inrelease_sha256, origin, version } } }
-- A package: name, version, architecture, filename, size, sha256,
-- repository (its id), url, and depends: the packages of the image that
-- met its Pre-Depends and Depends.
-- An image's entry holds while its request, essential, added, architecture,
-- repositories and base packages are the definition's.
local native = require "imagegen.native"
local json = require "imagegen.json"
local check = require "imagegen.check"
local debian = require "imagegen.debian"
local alpine = require "imagegen.alpine"

local fail = check.fail
local show = check.show

local M = {}

-- releases from before merged /usr (Debian 12): their images keep /bin and /lib apart
local unmerged = {}
for w in ([[buzz rex bo hamm slink potato woody sarge etch lenny squeeze wheezy jessie stretch buster
  bullseye trusty xenial bionic]]):gmatch("%S+") do unmerged[w] = true end

-- what is wrong with the lock's package p, or nil (debian.checkpackage, and
-- the fields the build takes from the lock as they are)
local function badpackage(p)
  if type(p) ~= "table" then return "not a package" end
  local bad = debian.checkpackage(p)
  if bad then return bad end
  local function name(v) return type(v) == "string" and v:match("^[a-z0-9][a-z0-9+.-]+$") end
  if p.via ~= nil and not name(p.via) then
    return string.format("%s: via '%s' is not a package name", p.name, tostring(p.via))
  end
  if p.url ~= nil and (type(p.url) ~= "string" or p.url:find("%c")
      or not (p.url:match("^https?://.") or p.url:match("^file:."))) then
    return string.format("%s: '%s' is not an http, https or file URL", p.name, tostring(p.url))
  end
  if p.repository ~= nil and type(p.repository) ~= "string" then
    return string.format("%s: its repository is not named", p.name)
  end
  if p.depends ~= nil then
    if type(p.depends) ~= "table" then return string.format("%s: depends is not a list", p.name) end
    for _, d in ipairs(p.depends) do
      if not name(d) then return string.format("%s: depends on '%s', not a package name", p.name, tostring(d)) end
    end
  end
end

-- the lock at path, checked: its parts are what the generator reads, else
-- one line naming what is not (and the command that writes it again)
function M.readlock(path)
  local text = native.readfile(path)
  if not text then return { repositories = {}, images = {}, bases = {} } end
  local lock, err = native.jsondecode(text)
  if err then fail(path, "%s", show(err)) end
  if type(lock) ~= "table" then fail(path, "not a lock (run: imagegen lock)") end
  for _, k in ipairs { "repositories", "images", "bases" } do
    if lock[k] == nil then lock[k] = {} end
    if type(lock[k]) ~= "table" then fail(path, "%s is not an object (run: imagegen lock)", k) end
  end
  for name, e in pairs(lock.images) do
    if type(e) ~= "table" or type(e.packages) ~= "table" then
      fail(path, "image '%s': not an image's entry (run: imagegen lock)", show(tostring(name)))
    end
    for _, p in ipairs(e.packages) do
      local bad = e.kind == "apk" and (type(p) ~= "table" and "not a package" or alpine.checkpackage(p)) or
        e.kind ~= "apk" and badpackage(p)
      if bad then fail(path, "image '%s': %s (run: imagegen lock)", show(tostring(name)), show(bad)) end
    end
  end
  for id, r in pairs(lock.repositories) do
    if type(r) ~= "table" or type(r.url) ~= "string" then
      fail(path, "repositories: '%s' is not a repository (run: imagegen lock)", show(tostring(id)))
    end
  end
  for ref, d in pairs(lock.bases) do
    if type(d) ~= "string" or not d:match("^sha256:%x+$") or #d ~= 71 or d:find("%u") then
      fail(path, "bases: '%s' is pinned to '%s', not a sha256 digest", show(tostring(ref)), show(tostring(d)))
    end
  end
  return lock
end

-- one package a line, keys sorted: easy to read in a diff
function M.writelock(path, lock)
  local out = { "{\n", '"imagegen-lock":1,\n', '"images":{' }
  local names = {}
  for n in pairs(lock.images) do names[#names + 1] = n end
  table.sort(names)
  for i, n in ipairs(names) do
    local e = lock.images[n]
    out[#out + 1] = (i > 1 and ",\n" or "\n") .. json.encode(n) .. ":{" ..
      json.encode { architecture = e.architecture, base = json.array(e.base), repositories = e.repositories,
        request = e.request, essential = e.essential or nil, added = e.added, kind = e.kind }:sub(2, -2) .. ',"packages":['
    for j, p in ipairs(e.packages) do
      -- an apk package: also its index checksum, licence and origin, and what
      -- the build plans with before fetching it (its scripts, account files)
      out[#out + 1] = (j > 1 and ",\n" or "\n") .. json.encode { name = p.name, version = p.version,
        architecture = p.architecture, filename = p.filename, size = p.size, sha256 = p.sha256,
        repository = p.repository, url = p.url, depends = p.depends and json.array(p.depends), via = p.via,
        checksum = p.checksum, license = p.license, origin = p.origin, scripts = p.scripts, files = p.files,
        modes = p.modes, owned = p.owned and json.array(p.owned) }
    end
    out[#out + 1] = "]}"
  end
  out[#out + 1] = "\n},\n\"bases\":{"
  local refs = {}
  for ref in pairs(lock.bases or {}) do refs[#refs + 1] = ref end
  table.sort(refs)
  for i, ref in ipairs(refs) do
    out[#out + 1] = (i > 1 and ",\n" or "\n") .. json.encode(ref) .. ":" .. json.encode(lock.bases[ref])
  end
  out[#out + 1] = "\n},\n\"repositories\":{"
  local ids = {}
  for id in pairs(lock.repositories) do ids[#ids + 1] = id end
  table.sort(ids)
  for i, id in ipairs(ids) do
    out[#out + 1] = (i > 1 and ",\n" or "\n") .. json.encode(id) .. ":" .. json.encode(lock.repositories[id])
  end
  out[#out + 1] = "\n}\n}\n"
  return native.writefile(path, table.concat(out))
end

-- the one line that says a build wrote the lock (an information, not an
-- error): "wrote imagegen.lock (first build): 12 packages for 2 images",
-- or "updated imagegen.lock: packages of image 'api' resolved (new), image
-- 'web' (its definition changed): 14 packages for 3 images"
function M.summary(lockpath, lock, resolved, existed)
  local npkg, nimg = 0, 0
  for _, e in pairs(lock.images) do
    nimg = nimg + 1
    npkg = npkg + #e.packages
  end
  local counts = string.format("%d package%s for %d image%s", npkg, npkg == 1 and "" or "s", nimg,
    nimg == 1 and "" or "s")
  if not existed then return string.format("wrote %s (first build): %s", lockpath, counts) end
  local which = {}
  table.sort(resolved, function(a, b) return a.key < b.key end)
  for i, r in ipairs(resolved) do
    which[i] = string.format("image '%s' (%s)", show(r.key), r.new and "new" or "its definition changed")
  end
  return string.format("updated %s: packages resolved for %s: %s", lockpath, table.concat(which, ", "), counts)
end

-- the packages an image of Debian packages gets besides those it asks for
-- (docs/debian.md): base-files and base-passwd (the FHS tree, os-release,
-- and the static accounts that packages may assume), unless it asks for
-- exactly its packages (minimal), for the whole Essential set (which has
-- them), or is over a base from outside the graph (which has its own)
M.defaultpackages = { "base-files", "base-passwd" }

function M.defaults(img, r)
  if img.minimal or img.essential or r.external then return {} end
  local out = {}
  for i, n in ipairs(M.defaultpackages) do out[i] = n end
  return out
end

-- why each of an image's own packages is there (p.why, for the SBOM), and
-- whether apt would have marked it automatically installed (p.auto): a
-- package the request names, one added by default, an Essential package
-- of essential = true, or a dependency (of the one whose Depends pulled
-- it in). Those the request names, the defaults and what the Essential set
-- needs are installed by hand; the rest are automatic, as
-- apt-get install marks them.
function M.why(pkgs, img, added)
  local asked, default, byname = {}, {}, {}
  for _, n in ipairs(img.packages or {}) do asked[n:match("^[%w.+-]+")] = true end
  for _, n in ipairs(added) do default[n] = true end
  for _, p in ipairs(pkgs) do byname[p.name] = p end
  -- the Essential set's packages: its roots and what they depend on
  local manual = {}
  local function mark(p)
    if manual[p] then return end
    manual[p] = true
    for _, d in ipairs(p.depends or {}) do
      if byname[d] then mark(byname[d]) end
    end
  end
  for _, p in ipairs(pkgs) do
    if asked[p.name] then
      p.why = "asked for by the definition"
    elseif not p.via and default[p.name] then
      p.why = "added by default (minimal = false): the FHS tree and the static accounts"
    elseif not p.via and img.essential then
      p.why = "an Essential package (essential = true)"
    else
      p.why = "a dependency of " .. (p.via or "?")
    end
    if not p.via and not asked[p.name] and img.essential then mark(p) end
  end
  for _, p in ipairs(pkgs) do
    p.auto = not (asked[p.name] or default[p.name] or manual[p]) or nil
  end
end

-- G.packages(img, r): an image's own packages (not its base's), from the lock
-- when it matches the definition, else resolved now (and the lock updated)
-- unless opts.locked forbids it; opts.relock resolves everything again.
-- Returns save(changes), which writes the lock when it changed and, when
-- changes is true, returns what changed (M.changes).
-- a Release's Date ("Sat, 10 Jun 2023 08:47:21 UTC") as a snapshot
-- archive's timestamp ("20230610T084721Z"), or nil
local months = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9, Oct = 10,
  Nov = 11, Dec = 12 }
function M.snapshotstamp(date)
  local d, mon, y, h, mi, sec = (date or ""):match("^%a+, (%d%d?) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) [U+]")
  if not d or not months[mon] then return nil end
  return string.format("%s%02d%02dT%s%s%sZ", y, months[mon], tonumber(d), h, mi, sec)
end

-- where a locked package is in its repository's snapshot archive as of
-- the Release the lock was made from (rp: the definition's repository,
-- date: the lock's Release date), or nil without either
local function snapshoturl(rp, date, filename)
  local stamp = M.snapshotstamp(date)
  if not rp or not rp.snapshot or not stamp or not filename then return nil end
  return rp.snapshot .. "/" .. stamp .. "/" .. filename
end

function M.hook(G, opts)
  local lockpath = opts.lockpath
  local old = M.readlock(lockpath)
  local existed = native.stat(lockpath) == "file"
  G.lockpath = lockpath
  if existed then
    G.inputs[#G.inputs + 1] = lockpath
  end
  local new = { repositories = {}, images = {}, bases = {} }

  -- a pulled base without a digest: the lock's pin for its tag, or the registry's answer now
  G.basedigest = function(ext)
    if ext.digest then return ext.digest end
    local pinned = old.bases[ext.ref]
    if pinned and not opts.relock then
      new.bases[ext.ref] = pinned
      return pinned
    end
    if opts.locked then
      fail(ext.where, "pull: %s is not pinned in %s; run: imagegen lock %s", ext.ref, lockpath, G.top)
    end
    local d, err = native.registrydigest(ext.ref)
    if not d then fail(ext.where, "pull: %s", err) end
    io.stderr:write(string.format("imagegen: %s: pull: pinned %s to %s in %s\n", ext.where, ext.ref, d, lockpath))
    new.bases[ext.ref] = d
    return d
  end
  local indexes, defaults = {}, nil
  -- the images whose packages were resolved now, not taken from the lock:
  -- { key, new = whether the lock had no entry }, for the line save() writes
  local resolved = {}
  local downloads = native.downloaddir()

  -- an image's entry that does not hold (entry nil: none): refused with
  -- --locked, else resolved again and named in the summary
  local function stale(img, key, entry)
    local what = entry and "no longer matches the definition" or "has no entry for it"
    if opts.locked then
      fail(img.where, "image '%s': %s %s; run: imagegen lock %s", key, lockpath, what, G.top)
    end
    if not opts.relock then resolved[#resolved + 1] = { key = key, new = entry == nil } end
  end

  -- an image of apk packages (imagegen.alpine): its entry holds while its
  -- request, architecture, repositories and base's packages are the definition's
  local function apkpackages(img, r, repos)
    local arch = alpine.arch(r.platform)
    if not arch then fail(img.where, "packages: Alpine has no packages for %s", r.platform) end
    local ids, base, request = {}, {}, {}
    for i, rp in ipairs(repos) do ids[i] = alpine.repoid(rp, arch) end
    for _, p in ipairs(r.debs) do
      if p.kind ~= "apk" then
        fail(img.where, "packages: apk packages over a base of Debian packages ('%s')", r.base and r.base.name or "?")
      end
      base[#base + 1] = p.name .. "=" .. p.version
    end
    table.sort(base)
    local want = { request = img.packages, architecture = arch, repositories = ids, base = json.array(base) }
    local key = img.name .. r.suffix
    local entry = old.images[key]
    local same = entry and entry.kind == "apk"
    for _, k in ipairs { "request", "architecture", "repositories", "base" } do
      same = same and json.encode(type(entry[k]) == "table" and json.array(entry[k]) or entry[k] or json.array())
        == json.encode(type(want[k]) == "table" and json.array(want[k]) or want[k])
    end
    local pkgs
    if same and not opts.relock then
      pkgs = entry.packages
      for _, id in ipairs(ids) do new.repositories[id] = old.repositories[id] end
    else
      stale(img, key, entry)
      local where = string.format("%s: image '%s'", img.where, key)
      local ikey = "apk\0" .. arch .. "\0" .. table.concat(ids, "\0")
      indexes[ikey] = indexes[ikey] or alpine.index(repos, arch, where)
      local idx = indexes[ikey]
      -- the base's world first: its packages stay as they are
      for _, w in ipairs(r.world or {}) do request[#request + 1] = w end
      for _, n in ipairs(img.packages) do request[#request + 1] = n end
      local apkresolve = require "imagegen.apkresolve"
      local ok, chosen = pcall(apkresolve.resolve, idx.list, request, { arch = arch })
      if not ok then fail(where, "packages: %s", show(type(chosen) == "table" and chosen.msg or tostring(chosen))) end
      local inbase = {}
      for _, p in ipairs(r.debs) do inbase[p.name] = p.version end
      local own = {}
      for _, rec in ipairs(chosen) do
        if inbase[rec.P] and inbase[rec.P] ~= rec.V then
          fail(where, "packages: %s %s is in its base, and the request needs %s", rec.P, inbase[rec.P], rec.V)
        end
        if not inbase[rec.P] then own[#own + 1] = rec end
      end
      pkgs = alpine.lockpackages(own, idx, arch, where)
      for _, ri in ipairs(idx.repos) do
        new.repositories[ri.id] = { kind = "apk", url = ri.repo.url, arch = arch, index_sha256 = ri.sha256 }
      end
    end
    new.images[key] = { kind = "apk", request = want.request, architecture = arch, repositories = ids,
      base = want.base, packages = pkgs }
    local out = {}
    local asked = {}
    for _, n in ipairs(img.packages) do asked[n:match("^[^=<>~]+")] = true end
    local keysof = {}
    for i, rp in ipairs(repos) do keysof[ids[i]] = rp.keys end
    for i, p in ipairs(pkgs) do
      if not keysof[p.repository] then
        fail(lockpath, "package %s: its repository '%s' is not one of the image's; run: imagegen lock %s", p.name,
          tostring(p.repository), G.top)
      end
      out[i] = { kind = "apk", keys = keysof[p.repository], name = p.name, version = p.version, architecture = p.architecture,
        filename = p.filename, size = p.size, sha256 = p.sha256, url = p.url, checksum = p.checksum,
        license = p.license, origin = p.origin, depends = p.depends, via = p.via, scripts = p.scripts,
        files = p.files, modes = p.modes, owned = p.owned, repository = p.repository, apk = downloads .. "/apk/" .. p.sha256 .. ".apk",
        why = asked[p.name] and "asked for by the definition" or ("a dependency of " .. (p.via or "?")) }
    end
    r.repositories = repos
    -- the image's world: its base's and its request (/etc/apk/world)
    local world, seen = {}, {}
    for _, w in ipairs(r.world or {}) do world[#world + 1] = w; seen[w] = true end
    -- each atom as apk writes it ("nginx~=1.18" as "nginx~1.18")
    local apkresolve = require "imagegen.apkresolve"
    for _, n in ipairs(img.packages) do
      local a = apkresolve.atom(n)
      n = a and apkresolve.atomstring(a) or n
      if not seen[n] then world[#world + 1] = n; seen[n] = true end
    end
    table.sort(world)
    r.world = world
    return out, false, arch
  end

  G.packages = function(img, r)
    local repos = img.repositories
    if repos and alpine.isapk(img.where, repos) then return apkpackages(img, r, repos) end
    for i, n in ipairs(img.packages) do
      if not n:match("^[%w.+-]+$") and not n:match("^[%w.+-]+=[%w.+:~-]+$") then
        fail(img.where, "packages[%d]: '%s' is not a Debian package name (or name=version); apk's atoms are for "
          .. "repository { kind = \"apk\" }", i, n)
      end
    end
    if not repos then
      defaults = defaults or debian.aptsources(native.getenv("IMAGEGEN_APTROOT"))
      repos = defaults
      if #repos == 0 then
        fail(img.where, "packages: the machine's apt sources name no repository; declare one with repository { ... }")
      end
    end
    for _, rp in ipairs(repos) do
      rp.keyrings = rp.keyrings or debian.aptkeyrings()
    end
    -- OCI's architecture names to Debian's
    local arch, variant = r.platform:match("^[^/]+/([^/]+)/?(.*)$")
    arch = ({ ["386"] = "i386", ppc64le = "ppc64el", mips64le = "mips64el" })[arch] or arch
    if arch == "arm" then arch = (variant == "v5" or variant == "v6") and "armel" or "armhf" end
    local ids, installed, base, repobyid = {}, {}, {}, {}
    for i, rp in ipairs(repos) do
      ids[i] = debian.repoid(rp)
      repobyid[ids[i]] = rp
    end
    for _, p in ipairs(r.debs) do
      installed[p.name] = p.version
      base[#base + 1] = p.name .. "=" .. p.version
    end
    table.sort(base)
    local added = M.defaults(img, r)
    local want = { request = img.packages, essential = img.essential or false, architecture = arch,
      repositories = ids, base = json.array(base), added = json.array(added) }
    -- an image of several platforms has an entry for each: NAME@os-arch
    local key = img.name .. r.suffix
    local entry = old.images[key]
    local function same(e)
      for _, k in ipairs { "request", "essential", "architecture", "repositories", "base", "added" } do
        local v = e[k]
        if v == nil and k == "essential" then v = false elseif v == nil then v = json.array() end
        if type(v) == "table" then v = json.array(v) end
        if json.encode(v) ~= json.encode(want[k]) then return false end
      end
      return true
    end
    local pkgs
    if entry and same(entry) and not opts.relock then
      pkgs = entry.packages
      for _, id in ipairs(ids) do new.repositories[id] = old.repositories[id] end
    else
      stale(img, key, entry)
      local ikey = arch .. "\0" .. table.concat(ids, "\0")
      local where = string.format("%s: image '%s'", img.where, key)
      indexes[ikey] = indexes[ikey] or debian.index(repos, arch, where)
      local request = {}
      for _, n in ipairs(img.packages) do request[#request + 1] = n end
      if img.essential then
        for _, n in ipairs(debian.essential(indexes[ikey])) do request[#request + 1] = n end
      end
      -- the packages added by default, where the repositories have them
      for _, n in ipairs(added) do
        if indexes[ikey].byname[n] then request[#request + 1] = n end
      end
      pkgs = debian.resolve(indexes[ikey], request, installed, where)
      for _, ri in ipairs(indexes[ikey].repos) do
        new.repositories[debian.repoid(ri.repo)] = { url = ri.repo.url, suite = ri.repo.suite,
          codename = ri.release.codename, components = ri.repo.components,
          inrelease_sha256 = ri.release.sha256, origin = ri.release.fields.Origin,
          version = ri.release.fields.Version, date = ri.release.fields.Date }
      end
    end
    new.images[key] = { request = want.request, essential = img.essential, architecture = arch,
      repositories = ids, base = want.base, added = #added > 0 and want.added or nil, packages = pkgs }
    -- merged /usr unless a repository is a release from before it
    local merged = true
    for _, id in ipairs(ids) do
      local rp = new.repositories[id]
      if rp and (unmerged[rp.codename or ""] or unmerged[rp.suite or ""]) then merged = false end
    end
    local out = {}
    for i, p in ipairs(pkgs) do
      -- a lock written before URLs were kept: the URL of the package's repository
      local url = p.url
      if not url and old.repositories[p.repository] then url = old.repositories[p.repository].url .. "/" .. p.filename end
      if not url then fail(lockpath, "package %s names no URL; run: imagegen lock %s", p.name, G.top) end
      local repo = new.repositories[p.repository] or old.repositories[p.repository] or {}
      out[i] = { name = p.name, version = p.version, architecture = p.architecture, filename = p.filename,
        size = p.size, sha256 = p.sha256, url = url, depends = p.depends, via = p.via,
        deb = downloads .. "/deb/" .. p.sha256 .. ".deb",
        origin = repo.origin, codename = repo.codename or repo.suite,
        snapshot = snapshoturl(repobyid[p.repository], repo.date, p.filename) }
    end
    M.why(out, img, added)
    -- the repositories, for apt in the image (imagegen.apt)
    r.repositories = repos
    return out, merged, arch
  end

  return function(changes)
    local any = next(new.images) ~= nil or next(old.images) ~= nil or next(new.bases) ~= nil or
      next(old.bases) ~= nil
    local written = false
    if any then written = M.writelock(lockpath, new) and true or false end
    if written and #resolved > 0 then
      io.stderr:write("imagegen: ", M.summary(lockpath, new, resolved, existed), "\n")
    end
    if changes then return M.changes(old, new, lockpath, written) end
  end
end

-- the sorted keys of the tables given
local function keys(...)
  local seen, list = {}, {}
  for i = 1, select("#", ...) do
    for k in pairs(select(i, ...) or {}) do
      if not seen[k] then seen[k], list[#list + 1] = true, k end
    end
  end
  table.sort(list)
  return list
end

-- what writing the lock new over old changed (imagegen lock --json), a
-- document of canonical JSON:
--   {"imagegen-lock-changes": 1, "lock": its path, "written": whether its bytes changed,
--    "changed": whether anything below is listed,
--    "images": [{"image", "status", "packages": [{"name", "architecture", "status", "a", "b"}]}]
--        each image entry whose packages changed, by name (NAME@os-arch for a platform);
--        a package's a and b: {"version", "sha256"}, null where absent,
--    "bases": [{"ref", "status", "a", "b"}]   a pulled tag's digests,
--    "repositories": [{"id", "status", "a", "b"}]   their InRelease files' sha256}
-- status: "added", "removed" or "changed"; everything sorted by name.
function M.changes(old, new, lockpath, written)
  local null = json.raw("null")
  local function status(a, b) return a == nil and "added" or b == nil and "removed" or "changed" end
  local images = json.array()
  for _, key in ipairs(keys(old.images, new.images)) do
    local oe, ne = old.images[key], new.images[key]
    local function bykey(e)
      local t = {}
      for _, p in ipairs(e and e.packages or {}) do
        if type(p) == "table" then t[tostring(p.name) .. "\0" .. tostring(p.architecture)] = p end
      end
      return t
    end
    local op, np = bykey(oe), bykey(ne)
    local pkgs = json.array()
    for _, k in ipairs(keys(op, np)) do
      local a, b = op[k], np[k]
      if not (a and b and a.version == b.version and a.sha256 == b.sha256) then
        local function side(p) return p and { version = p.version, sha256 = p.sha256 } or null end
        local p = a or b
        pkgs[#pkgs + 1] = { name = p.name, architecture = p.architecture, status = status(a, b), a = side(a), b = side(b) }
      end
    end
    if #pkgs > 0 then images[#images + 1] = { image = key, status = status(oe, ne), packages = pkgs } end
  end
  local bases = json.array()
  for _, ref in ipairs(keys(old.bases, new.bases)) do
    local a, b = old.bases[ref], new.bases[ref]
    if a ~= b then bases[#bases + 1] = { ref = ref, status = status(a, b), a = a or null, b = b or null } end
  end
  local repos = json.array()
  for _, id in ipairs(keys(old.repositories, new.repositories)) do
    local a, b = old.repositories[id], new.repositories[id]
    a, b = a and a.inrelease_sha256 or a and null, b and b.inrelease_sha256 or b and null
    if a == nil or b == nil or json.encode(a) ~= json.encode(b) then
      repos[#repos + 1] = { id = id, status = status(a, b), a = a or null, b = b or null }
    end
  end
  return { ["imagegen-lock-changes"] = 1, lock = lockpath, written = written,
    changed = #images + #bases + #repos > 0, images = images, bases = bases, repositories = repos }
end

return M
