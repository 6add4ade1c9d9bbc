-- imagegen.lock: imagegen.lock, beside the top definition, pins what the
-- definition does not: each image's resolved Debian packages (name,
-- version, architecture, file, size, sha256 and URL, and the package whose
-- Depends pulled it in: via) and the repositories
-- they came from, and the digest each pulled base's tag pointed to.
-- Builds use the lock; imagegen lock makes it again.
--
-- { "imagegen-lock": 1,
--   images = { [name] = { request, architecture, repositories, base, packages } },
--   bases = { [ref] = digest },
--   repositories = { [id] = { url, suite, components, inrelease_sha256 } } }
-- An image's entry holds while its request, architecture, repositories and
-- base packages are the definition's.
local native = require "imagegen.native"
local json = require "imagegen.json"
local check = require "imagegen.check"
local debian = require "imagegen.debian"

local fail = check.fail

local M = {}

function M.readlock(path)
  local text = native.readfile(path)
  if not text then return { repositories = {}, images = {}, bases = {} } end
  local lock, err = native.jsondecode(text)
  if not lock then fail(path, "%s", err) end
  lock.repositories = lock.repositories or {}
  lock.images = lock.images or {}
  lock.bases = lock.bases or {}
  for name, e in pairs(lock.images) do
    for _, p in ipairs(type(e) == "table" and type(e.packages) == "table" and e.packages or {}) do
      local bad = type(p) ~= "table" and "not a package" or debian.checkpackage(p)
      if not bad and p.via ~= nil and (type(p.via) ~= "string" or not p.via:match("^[a-z0-9][a-z0-9+.-]+$")) then
        bad = string.format("%s: via '%s' is not a package name", p.name, tostring(p.via))
      end
      if bad then fail(path, "image '%s': %s (run: imagegen lock)", name, bad) end
    end
  end
  for ref, d in pairs(lock.bases) do
    if type(d) ~= "string" or not d:match("^sha256:%x+$") or #d ~= 71 or d:find("%u") then
      fail(path, "bases: '%s' is pinned to '%s', not a sha256 digest", ref, tostring(d))
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
        request = e.request }:sub(2, -2) .. ',"packages":['
    for j, p in ipairs(e.packages) do
      out[#out + 1] = (j > 1 and ",\n" or "\n") .. json.encode { name = p.name, version = p.version,
        architecture = p.architecture, filename = p.filename, size = p.size, sha256 = p.sha256,
        repository = p.repository, url = p.url, via = p.via }
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

-- G.packages(img, r): an image's own packages (not its base's), from the lock
-- when it matches the definition, else resolved now (and the lock updated)
-- unless opts.locked forbids it; opts.relock resolves everything again.
-- Returns save(), which writes the lock when it changed.
function M.hook(G, opts)
  local lockpath = opts.lockpath
  local old = M.readlock(lockpath)
  if native.stat(lockpath) == "file" then
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
  local cache = native.cachedir()

  G.packages = function(img, r)
    local repos = img.repositories
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
    local ids, installed, base = {}, {}, {}
    for i, rp in ipairs(repos) do ids[i] = debian.repoid(rp) end
    for _, p in ipairs(r.debs) do
      installed[p.name] = p.version
      base[#base + 1] = p.name .. "=" .. p.version
    end
    table.sort(base)
    local want = { request = img.packages, architecture = arch, repositories = ids, base = json.array(base) }
    local entry = old.images[img.name]
    local function same(e)
      for _, k in ipairs { "request", "architecture", "repositories", "base" } do
        local v = e[k] or json.array()
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
      local what = entry and "no longer matches the definition" or "has no entry for it"
      if opts.locked then
        fail(img.where, "image '%s': %s %s; run: imagegen lock %s", img.name, lockpath, what, G.top)
      end
      if not opts.relock then
        io.stderr:write(string.format("imagegen: %s: image '%s': %s %s; resolving its packages and updating it\n",
          img.where, img.name, lockpath, what))
      end
      local ikey = arch .. "\0" .. table.concat(ids, "\0")
      local where = string.format("%s: image '%s'", img.where, img.name)
      indexes[ikey] = indexes[ikey] or debian.index(repos, arch, where)
      pkgs = debian.resolve(indexes[ikey], img.packages, installed, where)
      for _, ri in ipairs(indexes[ikey].repos) do
        new.repositories[debian.repoid(ri.repo)] = { url = ri.repo.url, suite = ri.repo.suite,
          components = ri.repo.components, inrelease_sha256 = ri.release.sha256 }
      end
    end
    new.images[img.name] = { request = want.request, architecture = arch, repositories = ids,
      base = want.base, packages = pkgs }
    local out = {}
    for i, p in ipairs(pkgs) do
      -- a lock written before URLs were kept: the URL of the package's repository
      local url = p.url
      if not url and old.repositories[p.repository] then url = old.repositories[p.repository].url .. "/" .. p.filename end
      if not url then fail(lockpath, "package %s names no URL; run: imagegen lock %s", p.name, G.top) end
      out[i] = { name = p.name, version = p.version, architecture = p.architecture, filename = p.filename,
        size = p.size, sha256 = p.sha256, url = url, via = p.via,
        cache = cache .. "/deb/" .. p.sha256 .. ".deb" }
    end
    return out
  end

  return function()
    local any = next(new.images) ~= nil or next(old.images) ~= nil or next(new.bases) ~= nil or
      next(old.bases) ~= nil
    if any then M.writelock(lockpath, new) end
  end
end

return M
