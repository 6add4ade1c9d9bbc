-- imagegen.system: an image's dpkg layer, what dpkg and the maintainer
-- scripts of its packages would leave on a fresh install, made without
-- running any of them (so for any architecture). The layer helper runs
-- M.main for a "dpkg" entry of a layer spec and writes what it returns.
--
-- From the dpkg sidecars of the image's package layers (see pkglayer.c):
--   var/lib/dpkg/status, info/format     every package, installed
--   accounts  /etc/passwd and /etc/group: base-passwd's master files when
--             it is installed (else root alone), declared accounts over them,
--             then the accounts the scripts make, and /etc/shadow and
--             /etc/gshadow after passwd's shadowconfig on (imagegen.accounts)
--   script products  the files, links and folders the scripts make, as
--             imagegen.maint reads them (every path a script names
--             normalised inside the image's root; a script that names one
--             above it refuses its package); a file this layer writes
--             itself (accounts, trust stores) is not replaced by a script's
--   diversions  var/lib/dpkg/diversions from dpkg-divert --add calls
--   shells    /etc/shells and var/lib/shells.state as update-shells makes
--             them, when a script runs update-shells or add-shell
--   owners    the folders whose owner or mode a script's chown, chmod,
--             install -d or dpkg-statoverride --update changed, written again
--             with it; var/lib/dpkg/statoverride
--   order     the scripts are read as a fresh install runs them: every
--             preinst, then every postinst, each in dpkg's configure order
--             (a package after those it depends on; imagegen.accounts)
--   alternatives  update-alternatives --install calls read from the
--             scripts (imagegen.maint): in auto mode the highest priority
--             wins; the links, slaves whose file exists, and
--             var/lib/dpkg/alternatives/NAME as update-alternatives writes it
--   trust stores  with ca-certificates: /etc/ca-certificates.conf,
--             /etc/ssl/certs/NAME.pem, HASH.N links and ca-certificates.crt
--             as update-ca-certificates makes them (packaged certificates in
--             the order of the conf, then those under
--             /usr/local/share/ca-certificates/ by path); with
--             ca-certificates-java, /etc/ssl/certs/java/cacerts, a PKCS#12
--             store of the same certificates that Java trusts
--   report    every script action not reproduced whose products are
--             missing, one a line: package, script, line, command (spelt as
--             names are, docs/names.md), why, the sourced file it is in, the
--             paths it would have made
--
-- The result is a list of records, "LENGTH KEY\nBYTES\n" (binary-safe):
--   file MODE UID GID PATH    the file's bytes
--   link PATH                 the target
--   dir MODE UID GID PATH     (no bytes)
--   report                    the report's text
local native = require "imagegen.native"
local maint = require "imagegen.maint"
local check = require "imagegen.check"
local sysconf = require "imagegen.sysconf"
local accounts = require "imagegen.accounts"

local M = {}

-- the top folders merged /usr moves under /usr (as pkglayer.c)
local usrdirs = { "bin", "sbin", "lib", "lib32", "lib64", "libx32", "libo32" }

function M.usrpath(p)
  for _, d in ipairs(usrdirs) do
    if p == "/" .. d or p:sub(1, #d + 2) == "/" .. d .. "/" then return "/usr" .. p end
  end
  return p
end

-- the folders Debian links into /usr on each architecture (as debootstrap does)
local extra = { amd64 = { "lib32", "lib64", "libx32" }, i386 = { "lib64", "libx32" },
  mips = { "lib32", "lib64" }, mipsel = { "lib32", "lib64" }, mips64el = { "lib32", "lib64", "libo32" },
  powerpc = { "lib64" }, ppc64 = { "lib32", "lib64" }, ppc64el = { "lib64" }, s390x = { "lib32" },
  sparc64 = { "lib32", "lib64" }, x32 = { "lib32", "lib64", "libx32" } }

function M.mergedlinks(arch)
  local dirs = { "bin", "sbin", "lib" }
  for _, d in ipairs(extra[arch] or {}) do dirs[#dirs + 1] = d end
  return dirs
end

-- /etc/passwd and /etc/group: the master files (or root alone), then the
-- declared accounts, each replacing one of the same name or added in order
function M.accounts(masterpasswd, mastergroup, users, groups)
  local function merge(master, list, fmt, default)
    local lines, at = {}, {}
    for line in (master or default):gmatch("[^\n]+") do
      lines[#lines + 1] = line
      at[line:match("^[^:]*")] = #lines
    end
    local sorted = {}
    for _, x in ipairs(list) do sorted[#sorted + 1] = x end
    table.sort(sorted, function(a, b)
      local x, y = a.uid or a.gid, b.uid or b.gid
      if x ~= y then return x < y end
      return a.name < b.name
    end)
    for _, x in ipairs(sorted) do
      local line = fmt(x)
      if at[x.name] then lines[at[x.name]] = line else lines[#lines + 1] = line; at[x.name] = #lines end
    end
    return table.concat(lines, "\n") .. "\n"
  end
  local passwd = merge(masterpasswd, users, function(u)
    return string.format("%s:x:%d:%d:%s:%s:%s", u.name, u.uid, u.gid or u.uid, u.gecos, u.home, u.shell)
  end, "root:x:0:0:root:/root:/bin/sh\n")
  local group = merge(mastergroup, groups, function(g)
    return string.format("%s:x:%d:%s", g.name, g.gid, table.concat(g.members, ","))
  end, "root:x:0:\n")
  return passwd, group
end

-- the records of a dpkg sidecar: one table a package
local function sidecar(path)
  local text, err = native.readfile(path)
  if not text then error(string.format("%s: %s", path, err), 0) end
  local pkgs, cur, pos = {}, nil, 1
  while pos <= #text do
    local len, key, after = text:match("^(%d+) ([^\n]*)\n()", pos)
    if not len then error(path .. ": not a dpkg sidecar", 0) end
    local data = text:sub(after, after + tonumber(len) - 1)
    pos = after + tonumber(len) + 1
    if key == "package" then
      cur = { package = data, scripts = {}, files = {}, elf = {}, ldlink = {} }
      pkgs[#pkgs + 1] = cur
    elseif key:sub(1, 7) == "script " then
      cur.scripts[key:sub(8)] = data
    elseif key:sub(1, 5) == "file " then
      cur.files[key:sub(6)] = data
    elseif key:sub(1, 4) == "elf " then
      cur.elf[key:sub(5)] = data
    elseif key:sub(1, 7) == "ldlink " then
      cur.ldlink[key:sub(8)] = data
    else
      cur[key] = data
    end
  end
  return pkgs
end

-- update-ca-certificates' name for a certificate's link in /etc/ssl/certs
local function pemname(crt)
  local base = crt:match("([^/]*)$"):gsub("%.crt$", "")
  return (base:gsub(" ", "_"):gsub("[()]", "="):gsub(",", "_")) .. ".pem"
end

-- a template file's defaults: { question = default }, as debconf answers a
-- fresh install that asks no one
function M.debconf(templates)
  local d = {}
  for para in ((templates or "") .. "\n\n"):gmatch("(.-)\n\n+") do
    local name = para:match("^Template:%s*(%S+)") or para:match("\nTemplate:%s*(%S+)")
    local default = para:match("\nDefault:[ \t]*([^\n]*)")
    if name then d[name] = default or "" end
  end
  return d
end

-- the files the scripts read and make: read(path) the bytes of a file of
-- the image (kept in the sidecars: those the scripts name, see pkglayer.c);
-- add(...) one script's result; finish(...) the records of what they made,
-- /etc/shells as update-shells makes it, /var/lib/dpkg/diversions, and the
-- report's lines whose products are missing
function M.scriptfiles(pkgs, canon)
  local bytes, made, order, diversions, shells, addshells = {}, {}, {}, {}, false, {}
  local shellsd = {}
  for _, p in ipairs(pkgs) do
    for path, data in pairs(p.files) do
      bytes[canon("/" .. path)] = data
      local name = path:match("^usr/share/debianutils/shells%.d/([^/]+)$")
      if name then shellsd[#shellsd + 1] = { name = name, data = data } end
    end
  end
  table.sort(shellsd, function(a, b) return a.name < b.name end)
  local sf = {}
  function sf.read(p)
    local c = canon(p)
    if made[c] then return made[c].data end
    return bytes[c]
  end
  function sf.add(_, _, r, exists)
    for _, f in ipairs(r.files) do
      local c = canon(f.path)
      if not made[c] then order[#order + 1] = c end
      made[c] = f
      exists[c] = true
    end
    for _, d in ipairs(r.diversions) do diversions[#diversions + 1] = d end
    if r.shells then shells = true end
    for _, a in ipairs(r.addshells) do addshells[#addshells + 1] = a end
  end
  function sf.finish(file, link, rec, written, exists, report)
    if shells then
      -- update-shells over every package's shells, as after the last trigger
      -- the state file has each shell and then its path through the
      -- image's links (/bin -> usr/bin); /etc/shells, as a fresh install
      -- leaves it (measured against mmdebstrap), every shell named and then
      -- every such path, and add-shell's after them
      local state, named, real, seen = {}, {}, {}, {}
      local function realpath(sh)
        local dir, base = sh:match("^(.*)/([^/]*)$")
        if not dir then return sh end
        return canon(dir == "" and "/" or dir):gsub("/$", "") .. "/" .. base
      end
      local function add(list, line)
        if line ~= "" and not seen[list] then seen[list] = {} end
        if line ~= "" and not seen[list][line] then
          seen[list][line] = true
          list[#list + 1] = line
        end
      end
      local function readshells(data)
        for line in data:gmatch("[^\n]+") do
          local sh = line:match("^([^#]*)")
          if sh ~= "" then
            add(state, sh)
            add(named, sh)
            if realpath(sh) ~= sh then add(state, realpath(sh)); add(real, realpath(sh)) end
          end
        end
      end
      readshells(bytes["/usr/share/debianutils/shells"] or "")
      for _, s in ipairs(shellsd) do readshells(s.data) end
      local pkgshells = {}
      for _, sh in ipairs(named) do pkgshells[#pkgshells + 1] = sh end
      for _, sh in ipairs(real) do pkgshells[#pkgshells + 1] = sh end
      for _, a in ipairs(addshells) do
        pkgshells[#pkgshells + 1] = a
        pkgshells[#pkgshells + 1] = realpath(a)
      end
      local source = made["/etc/shells"] and made["/etc/shells"].data or bytes["/usr/share/debianutils/shells"] or ""
      local out, etc = {}, {}
      for line in source:gmatch("[^\n]*\n?") do
        if line ~= "" then
          local l = line:gsub("\n$", "")
          local sh = l:match("^([^#]*)")
          if sh == "" or not etc[sh] then
            out[#out + 1] = l
            etc[sh] = true
          end
        end
      end
      for _, sh in ipairs(pkgshells) do
        if not etc[sh] then
          out[#out + 1] = sh
          etc[sh] = true
        end
      end
      made["/etc/shells"] = { path = "/etc/shells", data = table.concat(out, "\n") .. "\n", mode = 420 }
      if not exists["/etc/shells"] then order[#order + 1] = "/etc/shells" end
      exists["/etc/shells"] = true
      file("var/lib/shells.state", table.concat(state, "\n") .. "\n")
      exists["/var/lib/shells.state"] = true
    end
    for _, p in ipairs(order) do
      local f = made[p]
      -- with the owner a script's chown gave it (imagegen.accounts)
      if not written[p] then
        written[p] = true
        rec(string.format("file %d %d %d %s", f.mode or 420, f.uid or 0, f.gid or 0, p:gsub("^/", "")), f.data)
      end
    end
    if #diversions > 0 then
      -- dpkg's diversions file: the path, where it goes, the package (":"
      -- for a local one), the newest first (as dpkg-divert writes it)
      local lines = {}
      for i = #diversions, 1, -1 do
        local d = diversions[i]
        lines[#lines + 1] = d.path .. "\n" .. d.divert .. "\n" .. d.package .. "\n"
      end
      file("var/lib/dpkg/diversions", table.concat(lines))
    end
    -- an action is listed when a path it would have made is missing
    local kept = {}
    for _, e in ipairs(report) do
      if type(e) == "string" then kept[#kept + 1] = e
      else
        local missing = {}
        for _, p in ipairs(e.paths) do
          if not exists[canon(p)] and not written[canon(p)] then missing[#missing + 1] = native.showname(p) end
        end
        if #missing > 0 then kept[#kept + 1] = e.text .. "\t(would make " .. table.concat(missing, " ") .. ")" end
      end
    end
    for i = 1, math.max(#report, #kept) do report[i] = kept[i] end
  end
  return sf
end

-- the accounts' files, var/lib/dpkg/statoverride, and the folders the
-- scripts made or whose owners or modes they changed
local function accountfiles(st, file, rec, written)
  file("etc/passwd", st:passwd())
  file("etc/group", st:groupfile())
  local shadow, gshadow = st:shadowfiles()
  if shadow then
    -- as passwd's postinst leaves them: root:shadow 0640
    local sgid = (st:group("shadow") or { gid = 0 }).gid
    rec(string.format("file 416 0 %d etc/shadow", sgid), shadow)
    rec(string.format("file 416 0 %d etc/gshadow", sgid), gshadow)
    written["/etc/shadow"], written["/etc/gshadow"] = true, true
  end
  local so = st:statoverride()
  if so then file("var/lib/dpkg/statoverride", so) end
  for _, d in ipairs(st:changeddirs()) do
    rec(string.format("dir %d %d %d %s", d.mode, d.uid, d.gid, d.path:gsub("^/", "")), "")
  end
end

local build

function M.main(args)
  local spec = assert(native.jsondecode(args[1]))
  -- one line naming the declaration, whatever went wrong
  local ok, r = pcall(build, spec)
  if not ok then error(string.format("%s: dpkg layer: %s", spec.ctx or "?", type(r) == "table" and r.msg or r), 0) end
  return r
end

build = function(spec)
  local out = {}
  local function rec(key, data)
    out[#out + 1] = string.format("%d %s\n%s\n", #data, key, data)
  end
  -- the paths this layer writes itself (the scripts' own products do not replace them)
  local written = {}
  local function file(p, data, mode)
    written["/" .. p:gsub("^/", "")] = true
    rec(string.format("file %d 0 0 %s", mode or 420, p:gsub("^/", "")), data)
  end
  local function link(p, target)
    written["/" .. p:gsub("^/", "")] = true
    rec("link " .. p:gsub("^/", ""), target)
  end
  local merged = spec.mergedusr
  -- the folders base-files' postinst makes links to /run and /run/lock
  -- (imagegen.sysconf): what scripts make under them goes where they point
  local moved = {}
  local function canon(p)
    for from, to in pairs(moved) do
      if p == from or p:sub(1, #from + 1) == from .. "/" then
        p = to .. p:sub(#from + 1)
        break
      end
    end
    return merged and M.usrpath(p) or p
  end

  local pkgs, byname = {}, {}
  for _, f in ipairs(spec.dpkg or {}) do
    for _, p in ipairs(sidecar(f)) do
      if not byname[p.package] then pkgs[#pkgs + 1] = p end
      byname[p.package] = p
    end
  end
  table.sort(pkgs, function(a, b) return a.package < b.package end)

  -- every path the packages name, as the image has them
  local exists = { ["/"] = true }
  for _, p in ipairs(pkgs) do
    for line in p.list:gmatch("[^\n]+") do exists[canon(line)] = true end
  end
  for _, c in ipairs(spec.localcerts or {}) do exists["/" .. c.path] = true end

  -- the dpkg database
  local status = {}
  for i, p in ipairs(pkgs) do status[i] = p.status end
  file("var/lib/dpkg/status", table.concat(status, "\n"))
  file("var/lib/dpkg/info/format", "1\n")
  rec("dir 493 0 0 var/lib/dpkg/updates", "")
  rec("dir 493 0 0 var/lib/dpkg/alternatives", "")

  -- accounts
  local bp = byname["base-passwd"]
  local passwd, group = M.accounts(bp and bp.files["usr/share/base-passwd/passwd.master"],
    bp and bp.files["usr/share/base-passwd/group.master"], spec.users or {}, spec.groups or {})
  -- the scripts' accounts and owners start from these (imagegen.accounts)
  local st = accounts.new(passwd, group, spec.epoch, canon)
  for _, p in ipairs(pkgs) do st:package(p.list, p.dirs) end
  -- declared homes are the declaration's (resolve.lua writes them): a script's chown leaves them be
  for _, u in ipairs(spec.users or {}) do
    if u.home and u.home:sub(1, 1) == "/" and u.home ~= "/" and u.home ~= "/nonexistent" and u.uid ~= 0 then
      st:declaredhome(u.home, u.uid, u.gid or u.uid)
    end
  end

  -- what the configure step of a fresh install leaves (imagegen.sysconf),
  -- before the scripts are read, so that their tests see it
  local made = sysconf.make { pkgs = pkgs, byname = byname, arch = spec.arch, group = group,
    exists = function(x) return exists[canon(x)] or false end,
    put = {
      file = function(p, data, mode, uid, gid)
        rec(string.format("file %d %d %d %s", mode, uid or 0, gid or 0, p), data)
        -- the layer's own: a script's copy of it is not written again
        written["/" .. p] = true
        exists[canon("/" .. p)] = true
      end,
      link = function(p, target)
        link(p, target)
        exists[canon("/" .. p)] = true
        if p == "var/run" or p == "var/lock" then moved["/" .. p] = target end
      end,
      -- a folder goes to the accounts' state, written with those the
      -- scripts make or change (a script's chown of it written once)
      dir = function(p, mode, uid, gid)
        st:mkdir("/" .. p, mode, uid or 0, gid or 0)
        exists[canon("/" .. p)] = true
      end,
    } }

  -- the scripts: alternatives, and what is not reproduced
  local report = {}
  local groups, gorder = {}, {}
  local sf = M.scriptfiles(pkgs, canon)
  local order = accounts.configorder(pkgs)
  for _, script in ipairs { "preinst", "postinst" } do
    for _, p in ipairs(order) do
      local text = p.scripts[script]
      if text then
        local args = script == "preinst" and { "install" } or { "configure", "" }
        local ok, r = pcall(maint.read, text, { args = args, arch = spec.arch, package = p.package,
          script = script, accounts = st,
          exists = function(x) return exists[canon(x)] or st:exists(x) end,
          read = function(x) return sf.read(x) end, debconf = M.debconf(p.scripts.templates),
          list = function(name) return byname[name] and byname[name].list end })
        if ok and #r.refused > 0 then
          -- a path outside the image's root: the package is refused
          local x = r.refused[1]
          error(string.format("package %s: %s line %d: %s: '%s' %s", p.package, script, x.line, x.cmd,
            check.show(x.path), x.why), 0)
        end
        if not ok then
          report[#report + 1] = string.format("%s\t%s\t-\tnot read: %s", p.package, script, native.showname(tostring(r)))
        else
          for _, a in ipairs(r.alternatives) do
            local g = groups[a.name]
            if not g then
              g = { name = a.name, link = a.link, slaves = {}, slavelinks = {}, choices = {} }
              groups[a.name] = g
              gorder[#gorder + 1] = a.name
            end
            g.link = a.link
            local choice = { path = a.path, priority = a.priority, slaves = {} }
            for _, s in ipairs(a.slaves) do
              g.slavelinks[s.name] = s.link
              choice.slaves[s.name] = s.path
            end
            g.choices[a.path] = choice
          end
          for _, l in ipairs(r.links) do link(canon(l.path), l.target); exists[canon(l.path)] = true end
          for _, d in ipairs(r.dirs) do
            -- written below with the folders whose owners changed
            st:mkdir(d.path, d.mode, 0, 0)
            exists[canon(d.path)] = true
          end
          sf.add(p.package, script, r, exists)
          for _, s in ipairs(r.skipped) do
            -- the logical line, its continuations joined by a space, spelt as names are
            local text1 = native.showname((s.text:gsub("%s*\n%s*", " "):gsub("^%s+", "")))
            if not sysconf.covers(made, p.package, script, text1) then
              local entry = string.format("%s\t%s\t%d\t%s%s", p.package, script, s.line, text1,
                s.why and ("\t(" .. s.why .. ")") or "")
              if s.file then entry = entry .. "\t(in " .. native.showname(s.file) .. ")" end
              if s.paths then
                entry = { text = entry, paths = s.paths }
              end
              report[#report + 1] = entry
            end
          end
        end
      end
    end
  end
  -- the report by package, as the packages are named (the scripts ran in configure order)
  -- (an entry is a line, or a table whose text is the line: see scriptfiles)
  local rank = {}
  for i, e in ipairs(report) do rank[e] = rank[e] or i end
  table.sort(report, function(a, b)
    local pa = (type(a) == "table" and a.text or a):match("^[^\t]*")
    local pb = (type(b) == "table" and b.text or b):match("^[^\t]*")
    if pa ~= pb then return pa < pb end
    return rank[a] < rank[b]
  end)
  accountfiles(st, file, rec, written)
  -- file triggers and named triggers that packages activate: the interested
  -- package's postinst would run for each; imagegen runs none (trust stores aside)
  local activated = {}
  for _, p in ipairs(pkgs) do
    for name in (p.scripts.triggers or ""):gmatch("%f[^\n%z]%s*activate[%w-]*%s+(%S+)") do
      activated[name] = activated[name] or {}
      table.insert(activated[name], p.package)
    end
  end
  for _, p in ipairs(pkgs) do
    local n = 0
    for line in (p.scripts.triggers or ""):gmatch("[^\n]*") do
      n = n + 1
      local name = line:match("^%s*interest[%w-]*%s+(%S+)")
      if name and not maint.reproducedtriggers[name] and (activated[name] or name:sub(1, 1) == "/") then
        report[#report + 1] = string.format("%s\ttriggers\t%d\t%s\t(not run%s)", p.package, n, native.showname(line),
          activated[name] and (": activated by " .. table.concat(activated[name], ", ")) or "")
      end
    end
  end
  table.sort(gorder)
  for _, name in ipairs(gorder) do
    local g = groups[name]
    local slaves, choices = {}, {}
    for sname in pairs(g.slavelinks) do slaves[#slaves + 1] = sname end
    table.sort(slaves)
    for _, c in pairs(g.choices) do choices[#choices + 1] = c end
    table.sort(choices, function(a, b) return a.path < b.path end)
    local best
    for _, c in ipairs(choices) do
      if exists[canon(c.path)] and (not best or c.priority > best.priority) then best = c end
    end
    local db = { "auto", g.link }
    for _, s in ipairs(slaves) do
      db[#db + 1] = s
      db[#db + 1] = g.slavelinks[s]
    end
    db[#db + 1] = ""
    for _, c in ipairs(choices) do
      db[#db + 1] = c.path
      db[#db + 1] = tostring(c.priority)
      for _, s in ipairs(slaves) do db[#db + 1] = c.slaves[s] or "" end
    end
    db[#db + 1] = ""
    file("var/lib/dpkg/alternatives/" .. name, table.concat(db, "\n") .. "\n")
    if best then
      -- the links update-alternatives makes; it replaces no file a package ships
      local function altlink(lpath, aname, target)
        if not exists[canon(lpath)] then link(canon(lpath), "/etc/alternatives/" .. aname) end
        link("etc/alternatives/" .. aname, target)
      end
      altlink(g.link, name, best.path)
      for _, s in ipairs(slaves) do
        local target = best.slaves[s]
        if target and exists[canon(target)] then altlink(g.slavelinks[s], s, target) end
      end
    end
  end

  -- trust stores, as update-ca-certificates and ca-certificates-java make them
  local ca = byname["ca-certificates"]
  if ca then
    local certs, avail = {}, {}
    for _, p in ipairs(pkgs) do
      for path, data in pairs(p.files) do
        local rel = path:match("^usr/share/ca%-certificates/(.+%.crt)$")
        if rel then
          certs[rel] = data
          avail[#avail + 1] = rel
        end
      end
    end
    table.sort(avail)
    local conf = { "# This file lists certificates that you wish to use or to ignore to be",
      "# installed in /etc/ssl/certs.",
      "# update-ca-certificates(8) will update /etc/ssl/certs by reading this file.",
      "#",
      "# This is autogenerated by dpkg-reconfigure ca-certificates.",
      "# Certificates should be installed under /usr/share/ca-certificates",
      "# and files with extension '.crt' is recognized as available certs.",
      "#",
      "# line begins with # is comment.",
      "# line begins with ! is certificate filename to be deselected.",
      "#" }
    for _, rel in ipairs(avail) do conf[#conf + 1] = rel end
    file("etc/ca-certificates.conf", table.concat(conf, "\n") .. "\n")
    local bundle, pems = {}, {}
    local function add(path, data)
      local name = pemname(path)
      pems[name] = { target = path, data = data }
      bundle[#bundle + 1] = data:sub(-1) == "\n" and data or data .. "\n"
    end
    for _, rel in ipairs(avail) do add("/usr/share/ca-certificates/" .. rel, certs[rel]) end
    local locals = {}
    for _, c in ipairs(spec.localcerts or {}) do
      if c.path:match("%.crt$") then locals[#locals + 1] = c end
    end
    table.sort(locals, function(a, b) return a.path < b.path end)
    for _, c in ipairs(locals) do
      local data = c.data
      if not data then
        local err
        data, err = native.readfile(c.src)
        if not data then error(string.format("%s: %s", c.src, err), 0) end
      end
      add("/" .. c.path, data)
    end
    file("etc/ssl/certs/ca-certificates.crt", table.concat(bundle))
    -- openssl rehash: each certificate's subject hash, numbered in name order
    local names = {}
    for n in pairs(pems) do names[#names + 1] = n end
    table.sort(names)
    local count, seen, java = {}, {}, {}
    for _, n in ipairs(names) do
      local e = pems[n]
      link("etc/ssl/certs/" .. n, e.target)
      local info = native.x509(e.data)
      if info and info.count == 1 and not seen[info.fingerprint] then
        seen[info.fingerprint] = true
        local k = count[info.hash] or 0
        count[info.hash] = k + 1
        link(string.format("etc/ssl/certs/%s.%d", info.hash, k), n)
      end
      if info and info.count >= 1 then java[#java + 1] = { alias = "debian:" .. n:lower(), pem = e.data } end
    end
    if byname["ca-certificates-java"] then
      file("etc/ssl/certs/java/cacerts", native.pkcs12(java, "changeit"))
    end
  end

  -- /etc/ld.so.cache, as libc-bin's trigger (ldconfig) makes it
  local libcbin = byname["libc-bin"]
  if libcbin then
    local version = libcbin.status:match("\nVersion: ([^\n]+)") or "?"
    local toplinks = {}
    if merged then
      for _, d in ipairs(M.mergedlinks(spec.arch)) do toplinks[#toplinks + 1] = { "/" .. d, "usr/" .. d } end
    end
    file("etc/ld.so.cache", sysconf.ldcache { pkgs = pkgs, canon = canon, toplinks = toplinks, arch = spec.arch,
      generator = string.format("ldconfig (Debian GLIBC %s) stable release version %s", version,
        version:gsub("^%d+:", ""):match("^[^-]+")) })
  end

  -- what the scripts made that this layer does not write itself, and the
  -- actions whose products are missing
  sf.finish(file, link, rec, written, exists, report)

  -- the folders above what this layer holds keep the modes and owners their
  -- packages gave them: a layer entry under a folder it does not hold makes
  -- that folder 0755 root:root (base-files' /root/.profile would open /root)
  local held, below = {}, {}
  for _, r in ipairs(out) do
    local kind, rest = r:match("^%d+ (%a+) ([^\n]*)")
    if kind == "dir" then held[rest:match("^%d+ %d+ %d+ (.*)$") or ""] = true
    elseif kind == "file" then below[#below + 1] = rest:match("^%d+ %d+ %d+ (.*)$")
    elseif kind == "link" then below[#below + 1] = rest end
  end
  for _, p in ipairs(below) do
    local d = p:match("^(.*)/[^/]*$")
    while d and d ~= "" and not held[d] do
      held[d] = true
      local e = st.paths[canon("/" .. d)]
      if e and e.kind == "dir" and (e.mode ~= 493 or e.uid ~= 0 or e.gid ~= 0) then
        rec(string.format("dir %d %d %d %s", e.mode, e.uid, e.gid, d), "")
      end
      d = d:match("^(.*)/[^/]*$")
    end
  end

  local header = string.format("# image '%s': maintainer-script actions imagegen did not reproduce\n" ..
    "# package\tscript\tline\tcommand\n", spec.image or "?")
  rec("report", header .. table.concat(report, "\n") .. (#report > 0 and "\n" or ""))
  return table.concat(out)
end

return M
