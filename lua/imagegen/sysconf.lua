-- imagegen.sysconf: the files the configure step of a fresh install leaves
-- that a running program reads, each made only when the package whose
-- postinst makes it is in the image, as that postinst makes it with
-- debconf's defaults (so with no question asked):
--   libpam-runtime  /etc/pam.d/common-{auth,account,password,session,
--                   session-noninteractive} and /var/lib/pam/, as
--                   `pam-auth-update --package --force` writes them from the
--                   profiles of /usr/share/pam-configs/
--   libpam-modules  /etc/environment (empty), /etc/security/opasswd (0600)
--   login           /etc/subuid, /etc/subgid, /var/log/faillog (empty)
--   tzdata          /etc/localtime -> /usr/share/zoneinfo/Etc/UTC, /etc/timezone
--   locales         /etc/locale.gen (every locale of SUPPORTED, commented),
--                   /etc/default/locale (update-locale's header alone)
--   base-files      its install_directory folders (/var/mail 2775 root:mail,
--                   /run/lock 1777, /mnt, /srv, /opt, ...), /var/run -> /run,
--                   /var/lock -> /run/lock, /var/spool/mail -> ../mail,
--                   /usr/local/man -> share/man, /var/log/{wtmp,btmp,lastlog}
--   dpkg            /var/lib/dpkg/arch (the image's architecture, one line)
-- The caller (imagegen.system) gives the packages by name (each with the
-- kept files of its sidecar), what exists, the group file, and record
-- writers; M.make returns the script lines these stand for, by package.
local native = require "imagegen.native"

local M = {}

-- the files of the packages whose contents M.make reads (pkglayer.c keeps them)
M.keptfiles = { "usr/share/pam-configs/", "usr/share/pam/common-", "usr/share/i18n/SUPPORTED" }

local pamtypes = { "auth", "account", "password", "session", "session-noninteractive" }

-- a pam-configs profile as pam-auth-update's parse_pam_profile reads it
local function pamprofile(text)
  local prof, field = { Conflicts = {} }, nil
  for line, nl in text:gmatch("([^\n]*)(\n?)") do
    if line == "" and nl == "" then break end
    local name, after = line:match("^(%S+):(.*)$")
    local value = after and (after:match("^%s+(.*)$") or (after == "" and nl == "\n" and ""))
    if name and value then
      field = name:gsub("%-Final$", "")
      if field == "Conflicts" then
        for c in (value .. ", "):gmatch("(.-), ") do prof.Conflicts[c] = true end
      else
        prof[field] = value
      end
    elseif field then
      local l = line:gsub("^%s+", ""):gsub("%s+$", "")
      if l ~= "" then prof[field] = (prof[field] or "") .. "\n" .. l end
      if (prof[field] or ""):find("pam_tally", 1, true) then prof.disabled = true end
      prof[field] = (prof[field] or ""):gsub("^%s+", "")
    end
  end
  if prof["Session-Interactive-Only"] == nil then
    prof["Session-noninteractive-Type"] = prof["Session-Type"]
    prof["Session-noninteractive"] = prof.Session
    prof["Session-noninteractive-Initial"] = prof["Session-Initial"]
  end
  prof.priority = tonumber((prof.Priority or ""):match("^%s*([+-]?%d+)")) or 0
  return prof
end

-- pam-auth-update's merge_one_line on a fresh install: "end" becomes count
local function pamline(line, count)
  local control, rest = line:match("^(%[[^%]]+%])(.*)$")
  if not control then control, rest = line:match("^([%w_]+)(.*)$") end
  local sp, module, opts = (rest or ""):match("^(%s+)(%S+)%s*(.*)$")
  if not sp then return nil end
  local modline = (control .. sp .. module):gsub("end", tostring(count))
  local words = {}
  for w in opts:gmatch("%S+") do words[#words + 1] = w end
  return modline .. " " .. table.concat(words, " ") .. "\n"
end

-- the common-* files and /var/lib/pam as pam-auth-update makes them
local function pam(pkgs, put)
  local profiles, templates = {}, {}
  for _, p in ipairs(pkgs) do
    for path, data in pairs(p.files) do
      local name = path:match("^usr/share/pam%-configs/([^/]+)$")
      if name and not name:match("~$") and not name:match("^#.+#$") then
        local prof = pamprofile(data)
        if not prof.disabled then profiles[name] = prof end
      end
      local t = path:match("^usr/share/pam/common%-([%w-]+)$")
      if t then templates[t] = data end
    end
  end
  for _, t in ipairs(pamtypes) do
    if not templates[t] then return false end
  end
  local sorted = {}
  for name in pairs(profiles) do sorted[#sorted + 1] = name end
  local function order(a, b)
    if profiles[a].priority ~= profiles[b].priority then return profiles[a].priority > profiles[b].priority end
    return a > b
  end
  table.sort(sorted, order)
  -- debconf's default selects none: every profile with Default: yes
  local enabled = {}
  for _, name in ipairs(sorted) do
    if profiles[name].Default == "yes" then enabled[#enabled + 1] = name end
  end
  for _, elem in ipairs(enabled) do
    for i = #enabled, 1, -1 do
      if profiles[elem] and profiles[elem].Conflicts[enabled[i]] then table.remove(enabled, i) end
    end
  end
  put.dir("var/lib/pam", 493)
  put.file("var/lib/pam/seen", table.concat(sorted, "\n") .. (#sorted > 0 and "\n" or ""), 420)
  for _, t in ipairs(pamtypes) do
    local uc = t:sub(1, 1):upper() .. t:sub(2)
    local short = t:gsub("%-noninteractive$", "")
    local function lines(mod, pos)
      local prof = profiles[mod]
      if pos == 0 and prof[uc .. "-Initial"] then return prof[uc .. "-Initial"] end
      return prof[uc]
    end
    local function block(val)
      local count, i, mods = 0, 0, {}
      for _, mod in ipairs(enabled) do
        if profiles[mod][uc .. "-Type"] == val then
          local text = lines(mod, i) or ""
          i = i + 1
          local ls = {}
          for l in text:gmatch("[^\n]+") do ls[#ls + 1] = l end
          count = count + #ls
          mods[#mods + 1] = { name = mod, lines = ls, text = text }
        end
      end
      if val == "Additional" then count = count - 1 end
      local out = {}
      if val == "Primary" and count == 0 then out[1] = short .. "\t[default=1]\t\t\tpam_permit.so\n" end
      for _, m in ipairs(mods) do
        for _, l in ipairs(m.lines) do
          local merged = pamline(l, count)
          if merged then out[#out + 1] = short .. "\t" .. merged end
          count = count - 1
        end
      end
      return table.concat(out), mods
    end
    local primary, pmods = block("Primary")
    local additional, amods = block("Additional")
    -- the template: its Primary and Additional placeholders replaced
    local out, state = {}, 0
    for line in templates[t]:gmatch("[^\n]*\n?") do
      if line == "" then break end
      if state == 1 or state == 3 then
        if (state == 1 and line:match("^# here's the fallback if no module succeeds")) or
            (state == 3 and line:match("^# end of pam%-auth%-update config")) then
          out[#out + 1] = line
          state = state + 1
        end
      else
        out[#out + 1] = line
        if state == 0 and line:match('^# here are the per%-package modules %(the "Primary" block%)') then
          out[#out + 1] = primary
          state = 1
        elseif state == 2 and line:match('^# and here are more per%-package modules %(the "Additional" block%)') then
          out[#out + 1] = additional
          state = 3
        end
      end
    end
    if state < 4 then return false end
    put.file("etc/pam.d/common-" .. t, table.concat(out), 420)
    -- /var/lib/pam/TYPE: the modules of each block, as pam-auth-update saves them
    local saved = {}
    for _, m in ipairs(pmods) do
      if m.text ~= "" then saved[#saved + 1] = "Module: " .. m.name .. "\n" .. m.text .. "\n" end
    end
    -- a profile with no Type for this file is in no block (pam-auth-update: next)
    if #pmods == 0 then saved[#saved + 1] = "Module: null\n[default=1]\t\t\tpam_permit.so\n" end
    for _, m in ipairs(amods) do
      if m.text ~= "" then saved[#saved + 1] = "Module: " .. m.name .. "\n" .. m.text .. "\n" end
    end
    put.file("var/lib/pam/" .. t, table.concat(saved), 420)
  end
  return true
end

-- /etc/locale.gen as locales' postinst writes it with no locale selected
local function localegen(supported)
  local set, list = {}, {}
  for line in supported:gmatch("[^\n]+") do
    if line:match("^[a-zA-Z]") then
      line = line:gsub(" *$", ""):gsub("^%s+", ""):gsub("%s+$", "")
      if not set[line] then set[line] = true; list[#list + 1] = line end
    end
  end
  table.sort(list)
  local out = { "# This file lists locales that you wish to have built. You can find a list",
    "# of valid supported locales at /usr/share/i18n/SUPPORTED, and you can add",
    "# user defined locales to /usr/local/share/i18n/SUPPORTED. If you change",
    "# this file, you need to rerun locale-gen.",
    -- the empty selection's sed empties the first line of '#' and spaces
    "",
    "" }
  for _, l in ipairs(list) do out[#out + 1] = "# " .. l end
  return table.concat(out, "\n") .. "\n"
end

-- base-files' install_directory calls on a fresh install: path, mode, group
local basedirs = { { "mnt", 493, "root" }, { "srv", 493, "root" }, { "opt", 493, "root" },
  { "etc/opt", 493, "root" }, { "var/opt", 493, "root" }, { "media", 493, "root" },
  { "var/mail", 1533, "mail" }, { "run/lock", 1023, "root" } }

-- the postinst lines this module stands for, by package: true for every
-- line (but dpkg-maintscript-helper's, no-ops on a fresh install), or the
-- starts of the lines (as the report spells them)
M.reproduced = {
  ["libpam-runtime"] = true,
  tzdata = true,
  locales = true,
  login = { "touch \"$DPKG_ROOT/etc/subuid\"", "touch \"$DPKG_ROOT/etc/subgid\"",
    "touch \"$DPKG_ROOT/var/log/faillog\"" },
  ["libpam-modules"] = { "touch \"$DPKG_ROOT\"/etc/environment", "touch \"$DPKG_ROOT\"/etc/security/opasswd",
    "if dpkg --compare-versions \"$2\" lt 0.99.9.0-1 && ! [ -f \"$DPKG_ROOT\"/etc/environment ]" },
  -- ensure_file_owner_mode's chown and chmod, and the /usr/local/man link
  ["base-files"] = { "chown \"$2\" \"$DPKG_ROOT$1\"", "chmod \"$3\" \"$DPKG_ROOT$1\"",
    "ln -sf share/man \"$DPKG_ROOT/usr/local/man\"" },
}

-- ctx: pkgs (sorted), byname, arch, group (the /etc/group text), exists(p),
-- put = { file(p, data, mode, uid, gid), link(p, target), dir(p, mode, uid, gid) }
function M.make(ctx)
  local byname, put, exists = ctx.byname, ctx.put, ctx.exists
  local made = {}
  local function gid(name)
    for line in ctx.group:gmatch("[^\n]+") do
      local n, id = line:match("^([^:]*):[^:]*:(%d+):")
      if n == name then return tonumber(id) end
    end
    return 0
  end
  local function fresh(p) return not exists("/" .. p) end
  if byname["libpam-runtime"] and pam(ctx.pkgs, put) then made["libpam-runtime"] = true end
  if byname["libpam-modules"] then
    if fresh("etc/environment") then put.file("etc/environment", "", 420) end
    if fresh("etc/security/opasswd") then put.file("etc/security/opasswd", "", 384) end
    made["libpam-modules"] = true
  end
  if byname.login then
    for _, p in ipairs { "etc/subuid", "etc/subgid", "var/log/faillog" } do
      if fresh(p) then put.file(p, "", 420) end
    end
    made.login = true
  end
  if byname.tzdata then
    put.link("etc/localtime", "/usr/share/zoneinfo/Etc/UTC")
    put.file("etc/timezone", "Etc/UTC\n", 420)
    made.tzdata = true
  end
  local supported = byname.locales and byname.locales.files["usr/share/i18n/SUPPORTED"]
  if supported then
    if fresh("etc/locale.gen") then put.file("etc/locale.gen", localegen(supported), 420) end
    if fresh("etc/default/locale") then put.file("etc/default/locale", "#  File generated by update-locale\n", 420) end
    made.locales = true
  end
  if byname["base-files"] then
    for _, d in ipairs(basedirs) do
      if fresh(d[1]) then put.dir(d[1], d[2], 0, gid(d[3])) end
    end
    put.link("var/spool/mail", "../mail")
    -- migrate_directory: the folders base-files ships become links
    put.link("var/run", "/run")
    put.link("var/lock", "/run/lock")
    put.link("usr/local/man", "share/man")
    made["base-files"] = true
    local utmp = gid("utmp")
    for _, f in ipairs { { "var/log/wtmp", 436 }, { "var/log/btmp", 432 }, { "var/log/lastlog", 436 } } do
      if fresh(f[1]) then put.file(f[1], "", f[2], 0, utmp) end
    end
  end
  if byname.dpkg and fresh("var/lib/dpkg/arch") then put.file("var/lib/dpkg/arch", ctx.arch .. "\n", 420) end
  return made
end

-- is a report line (text) of package pkg's script one this module reproduced?
function M.covers(made, pkg, script, text)
  local r = made[pkg] and script == "postinst" and M.reproduced[pkg]
  if r == true then return text:sub(1, 23) ~= "dpkg-maintscript-helper" end
  for _, prefix in ipairs(r or {}) do
    if text:sub(1, #prefix) == prefix then return true end
  end
  return false
end

-- /etc/ld.so.cache, as `ldconfig` (libc-bin's trigger) makes it --------------

-- Debian's multiarch triplets: the dynamic linker's own folders, /lib/T and
-- /usr/lib/T (glibc's slibdir and libdir as Debian builds it)
local triplets = { amd64 = "x86_64-linux-gnu", arm64 = "aarch64-linux-gnu", armhf = "arm-linux-gnueabihf",
  armel = "arm-linux-gnueabi", i386 = "i386-linux-gnu", ppc64el = "powerpc64le-linux-gnu",
  s390x = "s390x-linux-gnu", riscv64 = "riscv64-linux-gnu", mips64el = "mips64el-linux-gnuabi64",
  mipsel = "mipsel-linux-gnu", x32 = "x86_64-linux-gnux32", ppc64 = "powerpc64-linux-gnu",
  powerpc = "powerpc-linux-gnu", sparc64 = "sparc64-linux-gnu", loong64 = "loongarch64-linux-gnu",
  alpha = "alpha-linux-gnu", hppa = "hppa-linux-gnu", m68k = "m68k-linux-gnu", sh4 = "sh4-linux-gnu" }
local bigendian = { s390x = true, ppc64 = true, powerpc = true, sparc64 = true, hppa = true, m68k = true,
  mips = true, mips64 = true }

-- the flags ldconfig gives a shared object on arch (its readelflib.c), or
-- nil when that ldconfig passes it over
local function elfflags(arch, e)
  local flag = 1 -- FLAG_ELF, then libc6 by its interpreter or a needed libc
  if e.interp:match("^/lib[%w_]*/ld[%w_.-]*%.so") then flag = 3 end
  for _, n in ipairs(e.needed) do
    if flag == 1 and (n == "libc.so.6" or n == "libm.so.6") then flag = 3 end
  end
  if arch == "amd64" or arch == "i386" or arch == "x32" then
    if e.machine == 62 then return e.class == 2 and 0x0303 or 0x0803 end
    if e.machine == 50 and e.class == 2 and arch == "i386" then return 0x0203 end
    if e.machine == 3 and e.class == 1 then return flag end
    return nil
  elseif arch == "arm64" or arch == "armhf" or arch == "armel" then
    if e.class == 2 then return 0x0a03 end
    if e.eflags >> 24 == 5 then
      if e.eflags & 0x400 ~= 0 then return 0x0903 end
      if e.eflags & 0x200 ~= 0 then return 0x0b03 end
      return 3
    end
    return flag
  elseif arch:match("^ppc") or arch == "powerpc" or arch == "s390x" then
    if e.class == 2 then return arch == "s390x" and 0x0403 or 0x0503 end
    return flag
  elseif arch == "riscv64" then
    local abi = e.eflags & 6
    if e.eflags & ~7 ~= 0 or (abi ~= 0 and abi ~= 4) then return nil end
    return flag | (abi == 0 and 0x0f00 or 0x1000)
  elseif arch:match("^mips") then
    local nan2008 = e.eflags & 0x400 ~= 0
    if e.class == 2 then return (nan2008 and 0x0e00 or 0x0700) | 3 end
    if e.eflags & 0x20 ~= 0 then return (nan2008 and 0x0d00 or 0x0600) | 3 end
    if nan2008 then return 0x0c03 end
    return flag
  end
  return flag
end

-- a glob's last part as a Lua pattern (*, ?, [...])
local function globpattern(g)
  local out, i = { "^" }, 1
  while i <= #g do
    local c = g:sub(i, i)
    if c == "*" then out[#out + 1] = "[^/]*"
    elseif c == "?" then out[#out + 1] = "[^/]"
    elseif c == "[" and g:find("]", i + 2, true) then
      local j = g:find("]", i + 2, true)
      local set = g:sub(i + 1, j - 1):gsub("^!", "^"):gsub("%%", "%%%%")
      out[#out + 1] = "[" .. set .. "]"
      i = j
    else out[#out + 1] = c:gsub("%W", "%%%0") end
    i = i + 1
  end
  return table.concat(out) .. "$"
end

-- ctx: pkgs (each with list, files, elf, ldlink), canon, toplinks ({ path,
-- target } of merged /usr), arch, generator; returns the cache's bytes
function M.ldcache(ctx)
  local nodes, children = { ["/"] = { kind = "dir" } }, {}
  local function add(path, node)
    if nodes[path] and nodes[path].kind == "dir" and node.kind == "dir" then return end
    nodes[path] = node
    local dir, name = path:match("^(.*)/([^/]+)$")
    if not dir then return end
    if dir == "" then dir = "/" end
    if not nodes[dir] then add(dir, { kind = "dir" }) end
    children[dir] = children[dir] or {}
    if not children[dir][name] then children[dir][name] = true end
  end
  for _, p in ipairs(ctx.pkgs) do
    for line in p.list:gmatch("[^\n]+") do
      if line ~= "/." then
        local path = ctx.canon(line)
        local rel = line:sub(2)
        if p.elf[rel] then
          local f = {}
          for part in (p.elf[rel] .. "\0"):gmatch("([^\0]*)\0") do f[#f + 1] = part end
          local class, data, machine, eflags = f[1]:match("^(%d+) (%d+) (%d+) (%d+)$")
          local needed = {}
          for i = 4, #f do needed[#needed + 1] = f[i] end
          add(path, { kind = "file", elf = { class = tonumber(class), data = tonumber(data),
            machine = tonumber(machine), eflags = tonumber(eflags), soname = f[2] or "",
            interp = f[3] or "", needed = needed } })
        elseif p.ldlink[rel] then
          add(path, { kind = "link", target = p.ldlink[rel] })
        elseif not nodes[path] then
          add(path, { kind = "file" })
        end
      end
    end
  end
  -- a path with children is a folder
  for dir in pairs(children) do
    if nodes[dir] and nodes[dir].kind == "file" and not nodes[dir].elf then nodes[dir].kind = "dir" end
  end
  for _, l in ipairs(ctx.toplinks) do add(l[1], { kind = "link", target = l[2] }) end

  -- chroot_canon: the path with every link followed inside the image, or nil
  local function resolve(path, depth)
    depth = depth or 0
    if depth > 40 then return nil end
    local cur = ""
    local parts = {}
    for part in path:gmatch("[^/]+") do parts[#parts + 1] = part end
    for i, part in ipairs(parts) do
      if part == "." then
      elseif part == ".." then cur = cur:match("^(.*)/[^/]*$") or ""
      else
        local next1 = cur .. "/" .. part
        local n = nodes[next1]
        if not n then return nil end
        if n.kind == "link" then
          local t = n.target:sub(1, 1) == "/" and n.target or (cur .. "/" .. n.target)
          local r = resolve(t, depth + 1)
          if not r then return nil end
          cur = r == "/" and "" or r
        else
          if i < #parts and n.kind ~= "dir" then return nil end
          cur = next1
        end
      end
    end
    return cur == "" and "/" or cur
  end

  local conffiles = {}
  for _, p in ipairs(ctx.pkgs) do
    for path, data in pairs(p.files) do
      if path == "etc/ld.so.conf" or path:match("^etc/ld%.so%.conf%.d/") then conffiles["/" .. path] = data end
    end
  end
  local dirs, seen = {}, {}
  local function adddir(line)
    local path = line:gsub("=.*$", ""):gsub("%s+$", ""):gsub("/+$", "")
    if path == "" then return end
    local real = resolve(path)
    if not real or nodes[real].kind ~= "dir" or seen[real] then return end
    seen[real] = true
    dirs[#dirs + 1] = { path = path, real = real }
  end
  local function parse(file, depth)
    local text = conffiles[resolve(file) or file]
    if not text or depth > 20 then return end
    for line in text:gmatch("[^\n]*") do
      line = line:gsub("#.*$", ""):gsub("^%s+", "")
      if line:match("^include[ \t]") then
        for pat in line:sub(9):gmatch("[^ \t]+") do
          if pat:sub(1, 1) ~= "/" then pat = file:match("^(.*)/") .. "/" .. pat end
          local dir, glob = pat:match("^(.*)/([^/]*)$")
          local real = resolve(dir == "" and "/" or dir)
          local names = {}
          for name in pairs(real and children[real] or {}) do
            if name:match(globpattern(glob)) and name:sub(1, 1) ~= "." then names[#names + 1] = name end
          end
          table.sort(names)
          for _, name in ipairs(names) do parse(dir .. "/" .. name, depth + 1) end
        end
      elseif line:lower():match("^hwcap[ \t]") then
      elseif line ~= "" then
        adddir(line)
      end
    end
  end
  parse("/etc/ld.so.conf", 0)
  local t = triplets[ctx.arch]
  if t then adddir("/lib/" .. t); adddir("/usr/lib/" .. t) end

  local big = bigendian[ctx.arch] or false
  local entries = {}
  for _, d in ipairs(dirs) do
    local names = {}
    for name in pairs(children[d.real] or {}) do names[#names + 1] = name end
    table.sort(names)
    local libs, order = {}, {}
    for _, name in ipairs(names) do
      local dso = ((name:sub(1, 3) == "lib" or name:sub(1, 3) == "ld-") and name:find(".so", 1, true)) or
        name:sub(1, 6) == "ld.so." or name:sub(1, 8) == "ld64.so."
      local node = nodes[d.real .. "/" .. name]
      local islink = node.kind == "link"
      local target = islink and resolve(d.real .. "/" .. name) or (d.real .. "/" .. name)
      local e = target and nodes[target] and nodes[target].elf
      local flag = e and e.data == (big and 2 or 1) and elfflags(ctx.arch, e)
      if dso and flag then
        local soname = e.soname ~= "" and e.soname or name
        if islink and name ~= soname and not (name:sub(-3) == ".so" and soname:sub(1, #name) == name) then
          islink = false
        end
        if islink then soname = name end
        local have = libs[soname]
        if not have then
          libs[soname] = { name = name, flag = flag, islink = islink }
          order[#order + 1] = soname
        elseif (not islink and have.islink) or (islink == have.islink and M.libcmp(have.name, name) < 0) then
          if have.flag ~= flag then
            if have.flag == 1 and (flag == 2 or flag == 3) then have.flag = flag
            elseif (have.flag == 2 or have.flag == 3) and flag == 1 then have.flag = flag end
          end
          have.name, have.islink = name, islink
        end
      end
    end
    for _, soname in ipairs(order) do
      entries[#entries + 1] = { libs[soname].flag, soname, d.path .. "/" .. soname }
    end
  end
  return native.ldcache(entries, ctx.generator, big)
end

-- glibc's _dl_cache_libcmp: digit runs compared as numbers
function M.libcmp(a, b)
  local i, j = 1, 1
  while i <= #a do
    local x, y = a:match("^%d+", i), b:match("^%d+", j)
    if x then
      if not y then return 1 end
      if tonumber(x) ~= tonumber(y) then return tonumber(x) < tonumber(y) and -1 or 1 end
      i, j = i + #x, j + #y
    elseif y then
      return -1
    elseif a:byte(i) ~= b:byte(j) then
      return a:byte(i) - (b:byte(j) or 0)
    else
      i, j = i + 1, j + 1
    end
  end
  return -(b:byte(j) or 0)
end

return M
