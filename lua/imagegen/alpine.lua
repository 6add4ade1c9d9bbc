-- imagegen.alpine: Alpine's apk repositories and the images of their
-- packages (docs/alpine.md).
--
-- A repository is { kind = "apk", url, arch, keys = { {name, path} } }: its
-- index is URL/ARCH/APKINDEX.tar.gz, signed by one of its keys (the key's
-- file name is the name the signature gives, as in /etc/apk/keys); each
-- package is URL/ARCH/NAME-VERSION.apk. native.apkindex checks the index's
-- signature and reads it; imagegen.apkresolve chooses the packages as apk
-- does; the lock (imagegen.lock) keeps each one's name, version, arch, file,
-- size, the index's checksum (Q1...) and the sha256 of the file, fetched
-- once when the lock is made. What the build needs of a package's control
-- before it is fetched (its install scripts, the account files it ships)
-- is read then too and kept in the lock, so that the accounts its scripts
-- make are known when the build is planned (M.accounts), as busybox's
-- adduser and addgroup would make them. At build time each .apk is fetched
-- by the fetch edge, verified against the lock and its keys, and laid out
-- as a layer of its own ("apk" entries); the image's apk layer ("apkdb")
-- writes /lib/apk/db and /etc/apk and the accounts.
local native = require "imagegen.native"
local check = require "imagegen.check"
local accounts = require "imagegen.accounts"
local maint = require "imagegen.maint"

local fail, show = check.fail, check.show

local M = {}

-- OCI's architecture names as apk's (/etc/apk/arch)
local arches = { amd64 = "x86_64", arm64 = "aarch64", ["386"] = "x86", ppc64le = "ppc64le", s390x = "s390x",
  riscv64 = "riscv64", loong64 = "loongarch64" }

-- a platform ("linux/arm/v7") as apk's architecture ("armv7"), or nil
function M.arch(platform)
  local arch, variant = platform:match("^[^/]+/([^/]+)/?(.*)$")
  if arch == "arm" then return (variant == "v6" or variant == "v5") and "armhf" or "armv7" end
  return arches[arch]
end

-- a key file's name, as the signatures name it
local function keyname(p)
  return p:match("([^/]+)$")
end

-- repository { kind = "apk", url =, arch =, keys = { ... } }; keypath(p)
-- checks a key file and makes it an input of the regeneration
function M.repository(where, t, keypath)
  local isstring = check.isstring
  if not isstring(t.url) or not (t.url:match("^https?://[^%s]+$") or t.url:match("^file:[^%s]+$")) then
    check.failat(where, "url", "repository: url must be an http, https or file URL (the folder of ARCH/APKINDEX.tar.gz)")
  end
  for _, k in ipairs { "suite", "components", "keyring", "snapshot" } do
    if t[k] ~= nil then
      check.failat(where, k, "repository: %s is a field of a Debian repository; kind = \"apk\" has url, arch and keys", k)
    end
  end
  if t.arch ~= nil and (not isstring(t.arch) or not t.arch:match("^[a-z0-9_]+$")) then
    check.failat(where, "arch", "repository: arch must be an apk architecture such as \"x86_64\"")
  end
  local keys = t.keys
  if isstring(keys) then keys = { keys } end
  if type(keys) ~= "table" or #keys == 0 then
    check.failat(where, "keys", "repository: keys must list the public keys its index is signed with "
      .. "(files named as the signatures name them, e.g. NAME.rsa.pub)")
  end
  local r = { kind = "apk", where = where, url = t.url:gsub("/+$", ""), arch = t.arch, keys = {} }
  local seen = {}
  for i, k in ipairs(keys) do
    if not isstring(k) then check.failat(where, "keys", "repository: keys[%d]: expected a path", i) end
    local full = keypath(k)
    local name = keyname(full)
    if not name:match("^[%w@._+-]+$") then
      check.failat(where, "keys", "repository: key '%s': its name is not one apk reads from /etc/apk/keys", show(k))
    end
    if seen[name] then check.failat(where, "keys", "repository: two keys named '%s'", show(name)) end
    seen[name] = true
    r.keys[i] = { name = name, path = full }
  end
  return r
end

-- whether the repositories are apk's (all of them), Debian's (none), or mixed (an error)
function M.isapk(where, repos)
  local n = 0
  for _, r in ipairs(repos or {}) do
    if r.kind == "apk" then n = n + 1 end
  end
  if n > 0 and n < #repos then
    fail(where, "repositories: apk and Debian repositories in one image; an image has the packages of one kind")
  end
  return n > 0
end

function M.repoid(r, arch)
  return r.url .. " " .. arch
end

-- the most an APKINDEX.tar.gz may take (Alpine's largest, community, is about 2 MB)
local MAXINDEX = 256 * 1024 * 1024

-- the indexes of the repositories, for apkresolve, in the order given:
-- { list = { apkresolve indexes }, repos = { {repo, id, sha256} } }
function M.index(repos, arch, where)
  local apkresolve = require "imagegen.apkresolve"
  if not native.apkindex then fail(where, "packages: this imagegen cannot read apk indexes (built without plugin/alpine)") end
  local out = { list = {}, repos = {} }
  for i, r in ipairs(repos) do
    if r.arch and r.arch ~= arch then
      fail(where, "repositories[%d]: %s is arch = \"%s\", and the image is %s", i, r.url, r.arch, arch)
    end
    local id = M.repoid(r, arch)
    local url = r.url .. "/" .. arch .. "/APKINDEX.tar.gz"
    local data, err, toolarge = native.fetch(url, MAXINDEX)
    if not data then fail(where, "%s: %s", id, toolarge and "APKINDEX.tar.gz is larger than 256 MB" or err) end
    local sha = native.sha256(data)
    local kept = native.downloaddir() .. "/index/" .. sha .. ".APKINDEX.tar.gz"
    if native.stat(kept) ~= "file" then native.writefile(kept, data) end
    local ok, records = pcall(native.apkindex, kept, r.keys)
    if not ok then
      -- the kept file's path is the download folder's: named as the repository names it
      local msg = tostring(type(records) == "table" and records.msg or records)
      local at = msg:find(kept, 1, true)
      if at then msg = msg:sub(1, at - 1) .. "APKINDEX.tar.gz" .. msg:sub(at + #kept) end
      fail(where, "%s: %s", id, show(msg))
    end
    out.list[i] = apkresolve.index(records, id)
    out.repos[i] = { repo = r, id = id, sha256 = sha }
  end
  return out
end

-- what a package's name, version and file must look like: they become file
-- names, URLs and lines of /lib/apk/db/installed
local function checkpackage(p)
  if type(p.name) ~= "string" or not p.name:match("^[%w][%w+._-]*$") then
    return string.format("'%s' is not an apk package name", tostring(p.name))
  end
  if type(p.version) ~= "string" or not p.version:match("^%d[%w._+-]*$") then
    return string.format("%s: '%s' is not an apk version", p.name, tostring(p.version))
  end
  if type(p.architecture) ~= "string" or not p.architecture:match("^[%w_]+$") then
    return string.format("%s: '%s' is not an architecture", p.name, tostring(p.architecture))
  end
  if type(p.checksum) ~= "string" or not p.checksum:match("^Q1[%w+/]+=*$") or #p.checksum ~= 30 then
    return string.format("%s: '%s' is not an index checksum (Q1 and the base64 of a SHA-1)", p.name, tostring(p.checksum))
  end
  if math.type(p.size) ~= "integer" or p.size < 0 then return string.format("%s: no size", p.name) end
  if type(p.sha256) ~= "string" or not p.sha256:match("^%x+$") or #p.sha256 ~= 64 or p.sha256:find("%u") then
    return string.format("%s: '%s' is not a sha256", p.name, tostring(p.sha256))
  end
  if p.filename ~= p.name .. "-" .. p.version .. ".apk" then
    return string.format("%s: '%s' is not its file (%s-%s.apk)", p.name, tostring(p.filename), p.name, p.version)
  end
  if p.owned ~= nil then
    if type(p.owned) ~= "table" then return string.format("%s: owned is not a list", p.name) end
    for _, o in ipairs(p.owned) do
      if type(o) ~= "string" or not o:match("^[0-7]+ [%w._-]+ [%w._-]+ [^%s%c/][^%s%c]*$") or o:find("%.%.") then
        return string.format("%s: owned: '%s' is not MODE USER GROUP PATH", p.name, tostring(o))
      end
    end
  end
  for _, k in ipairs { "scripts", "files", "modes" } do
    if p[k] ~= nil then
      if type(p[k]) ~= "table" then return string.format("%s: %s is not an object", p.name, k) end
      for n, v in pairs(p[k]) do
        if type(n) ~= "string" or type(v) ~= "string" then return string.format("%s: %s: not text", p.name, k) end
      end
    end
  end
end
M.checkpackage = checkpackage

-- the lock's entry of each chosen package (records of apkresolve, in install
-- order): its .apk fetched now (the index gives no sha256), kept in the
-- download folder where the build's fetch edge looks, and its control read
function M.lockpackages(chosen, idx, arch, where)
  local repoof = {}
  for _, ri in ipairs(idx.repos) do repoof[ri.id] = ri.repo end
  local names, provides = {}, {}
  for _, rec in ipairs(chosen) do
    names[rec.P] = true
    for atom in (rec.p or ""):gmatch("%S+") do provides[atom:match("^[^=<>~]+")] = rec.P end
  end
  local out = {}
  for i, rec in ipairs(chosen) do
    local repo = rec.repo and repoof[rec.repo]
    if not repo then fail(where, "package %s: not from one of the image's repositories", tostring(rec.P)) end
    local p = { name = rec.P, version = rec.V, architecture = rec.A, filename = tostring(rec.P) .. "-" .. tostring(rec.V) .. ".apk",
      size = math.tointeger(tonumber(rec.S or "")), checksum = rec.C, repository = rec.repo, license = rec.L,
      origin = rec.o }
    p.url = repo.url .. "/" .. arch .. "/" .. p.filename
    -- what of the image each of its D atoms names (a name, or what it provides)
    local deps, seen = {}, {}
    for atom in (rec.D or ""):gmatch("%S+") do
      if atom:sub(1, 1) ~= "!" then
        local n = atom:match("^[^=<>~]+")
        local q = names[n] and n or provides[n]
        if q and q ~= p.name and not seen[q] then deps[#deps + 1] = q; seen[q] = true end
      end
    end
    table.sort(deps)
    p.depends = deps
    local data, err = native.fetch(p.url, p.size or 0)
    if not data then fail(where, "%s: %s", p.url, err) end
    if #data ~= p.size then
      fail(where, "%s: %d bytes, and the index says %d", p.url, #data, p.size)
    end
    p.sha256 = native.sha256(data)
    local kept = native.downloaddir() .. "/apk/" .. p.sha256 .. ".apk"
    if native.stat(kept) ~= "file" then native.writefile(kept, data) end
    -- read as the layer will read it: signed by one of the repository's keys, its control
    -- the index's checksum, its files what the control says (plugin/lua/apkcontrol.c)
    local ok, ctl = pcall(native.apkcontrol, kept, repo.keys, p.checksum or "")
    if not ok then fail(where, "%s: %s", p.url, show(tostring(type(ctl) == "table" and ctl.msg or ctl))) end
    local pn, pv = ctl.pkginfo.pkgname, ctl.pkginfo.pkgver
    if pn ~= p.name or pv ~= p.version then
      fail(where, "%s: its .PKGINFO says %s %s, and the index %s %s", p.url, tostring(pn), tostring(pv), p.name, p.version)
    end
    if next(ctl.scripts) then p.scripts = ctl.scripts end
    if next(ctl.files) then p.files, p.modes = ctl.files, ctl.modes end
    if #ctl.owned > 0 then p.owned = ctl.owned end
    local bad = checkpackage(p)
    if bad then fail(where, "%s: its index: %s", p.repository, bad) end
    out[i] = p
  end
  -- why: the first package (in install order) that depends on each
  for _, p in ipairs(out) do
    for _, d in ipairs(p.depends) do
      for _, q in ipairs(out) do
        if q.name == d and not q.via then q.via = p.name end
      end
    end
  end
  return out
end

-- the accounts an image's packages make, as busybox makes them when apk
-- runs their .pre-install and .post-install (in install order, each
-- package's pre-install before its files and post-install after): the
-- account files the packages ship (the last one's), with the declared
-- users and groups over them, then the scripts' addgroup and adduser.
-- Returns users, groups (those made or changed: what the apk layer writes
-- over the packages' files), the folders made or given to a user (homes,
-- mkdir) { path, uid, gid, mode }, the report: "PACKAGE\tSCRIPT\tLINE\tTEXT[\t(why)]"
-- for each line not reproduced, and the links and files the scripts make
-- ({ path, target } or { path, data, mode, uid, gid }; imagegen.maint's).
function M.accounts(pkgs, users, groups, epoch)
  -- each account file as the last package that ships it has it: { data, mode, uid, gid }
  local shipped = {}
  for _, p in ipairs(pkgs) do
    for name, data in pairs(p.files or {}) do
      local mode, uid, gid = ((p.modes or {})[name] or ""):match("^([0-7]+) (%d+) (%d+)$")
      shipped[name] = { data = data, mode = tonumber(mode or "644", 8), uid = tonumber(uid or "0"),
        gid = tonumber(gid or "0") }
    end
  end
  local passwd = shipped["etc/passwd"] and shipped["etc/passwd"].data or ""
  local group = shipped["etc/group"] and shipped["etc/group"].data or ""
  local st = accounts.new(passwd, group, epoch)
  local before = {}
  for _, g in ipairs(st.groups) do before[g.name] = table.concat(g.members, ",") end
  local declared = {}
  for _, g in ipairs(groups or {}) do
    local have = st:group(g.name)
    if have then have.gid, have.members = g.gid, { table.unpack(g.members or {}) }
    else st:addgroup(g.name, g.gid).members = { table.unpack(g.members or {}) } end
    st:group(g.name).pw, declared["g:" .. g.name] = "x", true
  end
  for _, u in ipairs(users or {}) do
    local have = st:user(u.name)
    local e = { name = u.name, uid = u.uid, gid = u.gid or u.uid, gecos = u.gecos or u.name,
      home = u.home or "/nonexistent", shell = u.shell or "/sbin/nologin", pw = "x" }
    if have then for k, v in pairs(e) do have[k] = v end else st:adduser(e).pw = "x" end
    declared["u:" .. u.name] = true
  end
  local report, made = {}, {}
  for _, p in ipairs(pkgs) do
    for _, script in ipairs { ".pre-install", ".post-install" } do
      local text = p.scripts and p.scripts[script]
      if text then
        local ok, r = pcall(maint.read, text, { args = { p.version }, arch = p.architecture, package = p.name,
          script = script, accounts = st, busybox = true, exists = function(x) return st:exists(x) end })
        if not ok then
          report[#report + 1] = string.format("%s\t%s\t-\tnot read: %s", p.name, script, native.showname(tostring(r)))
        else
          -- what the script makes that imagegen reproduces: folders, links, files it writes
          for _, d in ipairs(r.dirs) do st:mkdir(d.path, d.mode, 0, 0) end
          for _, l in ipairs(r.links) do made[#made + 1] = { path = l.path, target = l.target } end
          for _, f in ipairs(r.files) do
            made[#made + 1] = { path = f.path, data = f.data, mode = f.mode or 420, uid = f.uid or 0, gid = f.gid or 0 }
          end
          for _, s in ipairs(r.skipped) do
            local line = native.showname((s.text:gsub("%s*\n%s*", " "):gsub("^%s+", "")))
            report[#report + 1] = string.format("%s\t%s\t%d\t%s%s", p.name, script, s.line, line,
              s.why and ("\t(" .. s.why .. ")") or "")
          end
          for _, x in ipairs(r.refused) do
            report[#report + 1] = string.format("%s\t%s\t%d\t%s '%s'\t(%s)", p.name, script, x.line, x.cmd,
              native.showname(x.path), x.why)
          end
        end
      end
    end
    if p.scripts and p.scripts[".trigger"] then
      report[#report + 1] = string.format("%s\t.trigger\t-\t(not run)", p.name)
    end
  end
  local uout, gout = {}, {}
  for _, u in ipairs(st.users) do
    if u.made or declared["u:" .. u.name] then
      uout[#uout + 1] = { name = u.name, uid = u.uid, gid = u.gid, home = u.home, shell = u.shell, gecos = u.gecos }
    end
  end
  for _, g in ipairs(st.groups) do
    if g.made or declared["g:" .. g.name] or before[g.name] ~= table.concat(g.members, ",") then
      gout[#gout + 1] = { name = g.name, gid = g.gid, members = { table.unpack(g.members) } }
    end
  end
  -- the packages' folders owned by names, with the ids the names have now
  -- (apk resolves them when it writes the files, after the pre-install)
  for _, p in ipairs(pkgs) do
    for _, o in ipairs(p.owned or {}) do
      local mode, uname, gname, path = o:match("^([0-7]+) (%S+) (%S+) (.*)$")
      local u, g = st:user(uname), st:group(gname)
      if (u and u.uid ~= 0) or (g and g.gid ~= 0) then
        local e = st:mkdir("/" .. path, tonumber(mode, 8), 0, 0)
        e.mode, e.uid, e.gid, e.changed = tonumber(mode, 8), u and u.uid or 0, g and g.gid or 0, true
      end
    end
  end
  local dirs = {}
  for _, d in ipairs(st:changeddirs()) do dirs[#dirs + 1] = d end
  -- the account files, when an account was made or declared: as the
  -- packages ship them (owner, mode) with the accounts over them; a user's
  -- /etc/shadow line as busybox's adduser writes it (when the packages ship one)
  if #uout > 0 or #gout > 0 then
    local function put(name, data, default)
      local f = shipped[name] or default
      made[#made + 1] = { path = name, data = data, mode = f.mode, uid = f.uid, gid = f.gid }
    end
    put("etc/passwd", st:passwd(), { mode = 420, uid = 0, gid = 0 })
    put("etc/group", st:groupfile(), { mode = 420, uid = 0, gid = 0 })
    if shipped["etc/shadow"] then
      local lines, has = { (shipped["etc/shadow"].data:gsub("\n*$", "")) }, {}
      for n in shipped["etc/shadow"].data:gmatch("%f[^\n%z]([^:\n]*):") do has[n] = true end
      for _, u in ipairs(uout) do
        if not has[u.name] then
          lines[#lines + 1] = string.format("%s:!:%d:0:99999:7:::", u.name, (epoch or 0) // 86400)
        end
      end
      put("etc/shadow", (table.concat(lines, "\n"):gsub("^\n", "")) .. "\n")
    end
  end
  return uout, gout, dirs, report, made
end

return M
