-- imagegen.accounts: the accounts, and the owners and modes of paths, that
-- maintainer scripts make on a fresh install, kept while the scripts are
-- read (imagegen.maint asks and tells; imagegen.system writes the result).
--
-- Accounts are made as Debian's tools make them:
--   adduser --system   a uid from adduser.conf's dynamic system range,
--                      FIRST_SYSTEM_UID..LAST_SYSTEM_UID (100..999): the
--                      lowest free; --group makes a group of the same name
--                      with the lowest free gid of 100..999 (else the
--                      primary group is --ingroup's, or nogroup); the
--                      home (default /nonexistent) made 0755 unless
--                      --no-create-home or it exists; shell default
--                      /usr/sbin/nologin; --gecos "A,B" as chfn writes it
--   addgroup --system  the lowest free gid of 100..999
--   useradd -r         the highest free uid of 101..999 (login.defs'
--                      SYS_UID_MIN..SYS_UID_MAX as shadow defaults them),
--                      a group of the same name (USERGROUPS_ENAB) with the
--                      uid as gid when free; groupadd -r likewise for gids
--   adduser U G, usermod -a -G G1,G2 U   U added to the groups' members
--   shadowconfig on    (passwd's postinst) pwconv and grpconv: each entry's
--                      password field moves to /etc/shadow, /etc/gshadow
-- /etc/shadow lines: "NAME:PW:LASTCHG:0:99999:7:::" for the accounts there
-- at shadowconfig on (PW the master file's "*"), "NAME:!:LASTCHG::::::" for
-- a system account made later; LASTCHG the build's SOURCE_DATE_EPOCH in
-- days, empty when it is 0 (as useradd leaves it rather than 0, which
-- would ask for a new password). /etc/gshadow: "NAME:PW::MEMBERS", "!" for
-- a group made later.
--
-- Paths: every folder and file of the image's packages (with the folders'
-- modes and owners), and those the scripts make, with chown, chgrp, chmod,
-- install -d and dpkg-statoverride --update applied in order. A folder
-- whose owner or mode changed is written again in the dpkg layer; a
-- package's file is not (its bytes would go into the dpkg layer a second
-- time), and the command is listed as not reproduced. A file a script
-- writes is imagegen.maint's, which gives it the owner and mode chown and
-- chmod set (S:newmode).
local M = {}

local FIRST_SYSTEM, LAST_SYSTEM = 100, 999      -- adduser.conf
local SYS_MIN, SYS_MAX = 101, 999               -- shadow's defaults for login.defs
local NOGROUP = 65534

local S = {}
S.__index = S

-- a passwd or group file as entries of fields
local function entries(text, n)
  local list = {}
  for line in (text or ""):gmatch("[^\n]+") do
    local f = {}
    for x in (line .. ":"):gmatch("([^:]*):") do f[#f + 1] = x end
    while #f < n do f[#f + 1] = "" end
    list[#list + 1] = f
  end
  return list
end

-- passwd, group: the texts to start from; epoch: SOURCE_DATE_EPOCH;
-- canon: a path as the image has it (merged /usr, /var/run -> /run)
function M.new(passwd, group, epoch, canon)
  local st = setmetatable({ users = {}, groups = {}, paths = {}, overrides = {},
    canon = canon or function(p) return p end }, S)
  local days = math.floor((epoch or 0) / 86400)
  st.lastchg = days > 0 and tostring(days) or ""
  for _, f in ipairs(entries(passwd, 7)) do
    st.users[#st.users + 1] = { name = f[1], pw = f[2], uid = tonumber(f[3]), gid = tonumber(f[4]),
      gecos = f[5], home = f[6], shell = f[7] }
  end
  for _, f in ipairs(entries(group, 4)) do
    local members = {}
    for m in f[4]:gmatch("[^,]+") do members[#members + 1] = m end
    st.groups[#st.groups + 1] = { name = f[1], pw = f[2], gid = tonumber(f[3]), members = members }
  end
  return st
end

function S:user(name)
  for _, u in ipairs(self.users) do if u.name == name or tostring(u.uid) == name then return u end end
end

function S:group(name)
  for _, g in ipairs(self.groups) do if g.name == name or tostring(g.gid) == name then return g end end
end

local function used(list, key, id)
  for _, x in ipairs(list) do if x[key] == id then return true end end
  return false
end

-- the lowest (or highest, down) free id of list in [lo, hi]
local function freeid(list, key, lo, hi, down)
  local a, b, step = lo, hi, 1
  if down then a, b, step = hi, lo, -1 end
  for id = a, b, step do
    if not used(list, key, id) then return id end
  end
end

-- the line getent prints, or nil
function S:getent(db, name)
  if db == "passwd" then
    local u = self:user(name)
    return u and string.format("%s:%s:%d:%d:%s:%s:%s", u.name, u.pw, u.uid, u.gid, u.gecos, u.home, u.shell)
  elseif db == "group" then
    local g = self:group(name)
    return g and string.format("%s:%s:%d:%s", g.name, g.pw, g.gid, table.concat(g.members, ","))
  end
end

-- the names of the groups of a user, primary first, as id -Gn prints them
function S:groupsof(name)
  local u = self:user(name)
  if not u then return nil end
  local names = {}
  local pg = self:group(tostring(u.gid))
  names[1] = pg and pg.name or tostring(u.gid)
  for _, g in ipairs(self.groups) do
    for _, m in ipairs(g.members) do
      if m == u.name and g.gid ~= u.gid then names[#names + 1] = g.name end
    end
  end
  return names
end

function S:addgroup(name, gid)
  local g = { name = name, pw = self.shadowed and "x" or "!", gid = gid, members = {}, made = true }
  self.groups[#self.groups + 1] = g
  if self.shadowed then self.gshadow[#self.gshadow + 1] = { name = name, pw = "!", members = {} } end
  return g
end

function S:adduser(u)
  u.pw = self.shadowed and "x" or "!"
  u.made = true
  self.users[#self.users + 1] = u
  if self.shadowed then
    self.shadow[#self.shadow + 1] = string.format("%s:!:%s::::::", u.name, self.lastchg)
  end
  return u
end

-- chfn's gecos from adduser's --gecos: "name,room,work,home[,other]"
local function gecos(s)
  if not s then return "" end
  if not s:find(",", 1, true) then return s .. ",,," end
  local f = {}
  for x in (s .. ","):gmatch("([^,]*),") do f[#f + 1] = x end
  local out = table.concat({ f[1] or "", f[2] or "", f[3] or "", f[4] or "" }, ",")
  if f[5] and f[5] ~= "" then out = out .. "," .. f[5] end
  return out
end

-- the commands: each returns true when done, or nil and why not
local cmds = {}

-- adduser --system NAME (opts from the command line); returns the home to make
function cmds.addsysuser(st, a)
  -- an account of that name (a declared one too) stays as it is
  if st:user(a.name) then return true end
  local uid = a.uid or freeid(st.users, "uid", FIRST_SYSTEM, LAST_SYSTEM)
  if not uid then return nil, "no free uid in 100-999" end
  local gid, gname
  if a.gid then
    local g = st:group(tostring(a.gid))
    if not g then return nil, "no group " .. a.gid end
    gid = g.gid
  elseif a.ingroup then
    local g = st:group(a.ingroup)
    if not g then return nil, "no group " .. a.ingroup end
    gid = g.gid
  elseif a.group then
    local g = st:group(a.name)
    if g then
      gid = g.gid
    else
      gid = freeid(st.groups, "gid", FIRST_SYSTEM, LAST_SYSTEM)
      if not gid then return nil, "no free gid in 100-999" end
      gname = a.name
    end
  else
    gid = NOGROUP
  end
  if gname then st:addgroup(gname, gid) end
  local home = a.home or "/nonexistent"
  st:adduser({ name = a.name, uid = uid, gid = gid, gecos = gecos(a.gecos), home = home,
    shell = a.shell or "/usr/sbin/nologin" })
  if not a.nocreatehome and not home:match("^/+nonexistent/?") and not st:exists(home) then
    st:mkdir(home, 493, uid, gid)
  end
  return true
end

-- addgroup --system NAME, adduser --system --group NAME without a user
function cmds.addsysgroup(st, a)
  if st:group(a.name) then return true end
  local gid = a.gid or freeid(st.groups, "gid", FIRST_SYSTEM, LAST_SYSTEM)
  if not gid then return nil, "no free gid in 100-999" end
  st:addgroup(a.name, gid)
  return true
end

-- useradd -r
function cmds.useradd(st, a)
  if st:user(a.name) then return nil, "the user exists already" end
  local uid = a.uid or freeid(st.users, "uid", SYS_MIN, SYS_MAX, true)
  if not uid then return nil, "no free uid in 101-999" end
  local gid
  if a.gid then
    local g = st:group(a.gid)
    if not g then return nil, "no group " .. a.gid end
    gid = g.gid
  elseif a.nousergroup then
    gid = 100
  else
    if st:group(a.name) then return nil, "a group of its name exists already" end
    gid = (not used(st.groups, "gid", uid)) and uid or freeid(st.groups, "gid", SYS_MIN, SYS_MAX, true)
    if not gid then return nil, "no free gid in 101-999" end
    st:addgroup(a.name, gid)
  end
  local home = a.home or ("/home/" .. a.name)
  st:adduser({ name = a.name, uid = uid, gid = gid, gecos = a.comment or "", home = home, shell = a.shell or "/bin/sh" })
  if a.createhome and not st:exists(home) then st:mkdir(home, 493, uid, gid) end
  return true
end

-- groupadd -r
function cmds.groupadd(st, a)
  if st:group(a.name) then return nil, "the group exists already" end
  local gid = a.gid or freeid(st.groups, "gid", SYS_MIN, SYS_MAX, true)
  if not gid then return nil, "no free gid in 101-999" end
  st:addgroup(a.name, gid)
  return true
end

-- adduser USER GROUP, usermod -a -G GROUPS USER
function cmds.member(st, a)
  local u = st:user(a.user)
  if not u then return nil, "no user " .. a.user end
  for _, name in ipairs(a.groups) do
    local g = st:group(name)
    if not g then return nil, "no group " .. name end
    local has = false
    for _, m in ipairs(g.members) do if m == u.name then has = true end end
    if not has then
      g.members[#g.members + 1] = u.name
      for _, s in ipairs(st.gshadow or {}) do
        if s.name == g.name then s.members[#s.members + 1] = u.name end
      end
    end
  end
  return true
end

-- busybox's addgroup (Alpine's scripts): -g GID exactly; else the first
-- free gid from FIRST_SYSTEM_ID (100) up to LAST_SYSTEM_ID (999) with -S,
-- from 1000 up to LAST_ID (60000) without (loginutils/addgroup.c)
local BB_FIRST, BB_LASTSYSTEM, BB_LAST = 100, 999, 60000

function cmds.bbaddgroup(st, a)
  if st:group(a.name) then return nil, "group '" .. a.name .. "' in use" end
  local gid = a.gid
  if gid then
    if used(st.groups, "gid", gid) then return nil, "gid '" .. gid .. "' in use" end
  else
    gid = a.system and freeid(st.groups, "gid", BB_FIRST, BB_LASTSYSTEM)
      or not a.system and freeid(st.groups, "gid", BB_LASTSYSTEM + 1, BB_LAST)
    if not gid then return nil, "no gids left" end
  end
  st:addgroup(a.name, gid).pw = "x"
  return true
end

-- busybox's adduser (loginutils/adduser.c): -u UID exactly, else the first
-- uid from 100 (-S; up to 999) or 1000 that no user has and, when no
-- group is given, no group has as its gid either; -S without -G joins
-- nogroup; without -G a group of the user's name is made with the uid as
-- gid; with -G the user is made a member of that group too (adduser runs
-- addgroup USER GROUP). Shell /bin/false with -S (else root's), gecos
-- "Linux User,,,", home /home/NAME, made 02755 and the user's unless -H.
function cmds.bbadduser(st, a)
  if st:user(a.name) then return nil, "user '" .. a.name .. "' in use" end
  local group = a.ingroup or (a.system and "nogroup") or nil
  local gid
  if group then
    local g = st:group(group)
    if not g then return nil, "unknown group " .. group end
    gid = g.gid
  end
  local uid, max = a.uid, BB_LAST
  if not uid then
    uid, max = a.system and BB_FIRST or BB_LASTSYSTEM + 1, a.system and BB_LASTSYSTEM or BB_LAST
    while used(st.users, "uid", uid) or (not gid and used(st.groups, "gid", uid)) do
      if uid == max then return nil, "no uids left" end
      uid = uid + 1
    end
  elseif used(st.users, "uid", uid) then
    return nil, "uid '" .. uid .. "' in use"
  end
  if not gid and st:group(a.name) then return nil, "group '" .. a.name .. "' in use" end
  local root = st:user("root")
  local home = a.home or ("/home/" .. a.name)
  local u = st:adduser({ name = a.name, uid = uid, gid = gid or uid, gecos = a.gecos or "Linux User,,,", home = home,
    shell = a.shell or (a.system and "/bin/false") or (root and root.shell) or "/bin/sh" })
  u.pw = "x"
  if group then
    cmds.member(st, { user = a.name, groups = { group } })
  else
    st:addgroup(a.name, uid).pw = "x"
  end
  if not a.nocreatehome then
    -- made, or (when it is there) given to the user: 02755 either way
    local e = st:mkdir(home, 1517, uid, gid or uid)
    e.mode, e.uid, e.gid, e.changed = 1517, uid, gid or uid, true
  end
  return true
end

-- shadowconfig on: pwconv and grpconv
function cmds.shadowon(st)
  if st.shadowed then return true end
  st.shadowed, st.shadow, st.gshadow = true, {}, {}
  for _, u in ipairs(st.users) do
    st.shadow[#st.shadow + 1] = string.format("%s:%s:%s:0:99999:7:::", u.name, u.pw == "x" and "*" or u.pw, st.lastchg)
    u.pw = "x"
  end
  for _, g in ipairs(st.groups) do
    st.gshadow[#st.gshadow + 1] = { name = g.name, pw = g.pw == "x" and "*" or g.pw, members = { table.unpack(g.members) } }
    g.pw = "x"
  end
  return true
end

-- paths ------------------------------------------------------------------

-- a package's paths: its list, and its folders' "MODE UID GID /path" lines
function S:package(list, dirs)
  local isdir = {}
  for line in (dirs or ""):gmatch("[^\n]+") do
    local mode, uid, gid, p = line:match("^([0-7]+) (%d+) (%d+) (/.*)$")
    if p then isdir[p] = { mode = tonumber(mode, 8), uid = tonumber(uid), gid = tonumber(gid) } end
  end
  for p in (list or ""):gmatch("[^\n]+") do
    local c = self.canon(p)
    if not self.paths[c] then
      local d = isdir[p]
      -- a sidecar without folders (made before they were kept): its paths' kinds are not
      -- known, and a chown or chmod of one is listed, not done
      if d then
        self.paths[c] = { kind = "dir", mode = d.mode, uid = d.uid, gid = d.gid }
      elseif not dirs then
        self.paths[c] = { kind = "unknown", mode = 493, uid = 0, gid = 0 }
      else
        self.paths[c] = { kind = "file", uid = 0, gid = 0 }
      end
    end
  end
end

function S:exists(p)
  return self.paths[self.canon(p)] ~= nil
end

function S:owner(p)
  local e = self.paths[self.canon(p)]
  if e then return e.uid, e.gid end
end

-- a folder a script made (mkdir, install -d, a home): its missing parents 0755 root
function S:mkdir(p, mode, uid, gid)
  local c = self.canon(p)
  local parent = c:match("^(.*)/[^/]+$")
  if parent and parent ~= "" and not self.paths[parent] then self:mkdir(parent, 493, 0, 0) end
  local e = self.paths[c]
  if e then return e end
  e = { kind = "dir", mode = mode, uid = uid or 0, gid = gid or 0, changed = true, made = true }
  self.paths[c] = e
  return e
end

-- a folder a script made, then removed or moved: gone again
function S:rmdir(p)
  local c = self.canon(p)
  if self.paths[c] and self.paths[c].made then self.paths[c] = nil end
end

function S:isdir(p)
  local e = self.paths[self.canon(p)]
  return e ~= nil and e.kind == "dir"
end

-- a declared account's home: a folder the scripts see, written by its declaration alone
function S:declaredhome(p, uid, gid)
  self.paths[self.canon(p)] = { kind = "dir", mode = 493, uid = uid, gid = gid, declared = true }
end

-- the folders whose owner or mode a script set: { {path, mode, uid, gid} } by path
function S:changeddirs()
  local out = {}
  for p, e in pairs(self.paths) do
    if e.changed and e.kind == "dir" and not e.declared then out[#out + 1] = { path = p, mode = e.mode, uid = e.uid, gid = e.gid } end
  end
  table.sort(out, function(a, b) return a.path < b.path end)
  return out
end

-- chown's OWNER[:GROUP] as ids; nil and why for a name the image lacks
function S:ids(spec)
  local user, sep, group = spec:match("^([^:.]*)([:.]?)(.*)$")
  local uid, gid
  if user ~= "" then
    local u = self:user(user)
    if not u then return nil, nil, "no user " .. user end
    uid = u.uid
    if sep ~= "" and group == "" then gid = u.gid end
  end
  if group ~= "" then
    local g = self:group(group)
    if not g then return nil, nil, "no group " .. group end
    gid = g.gid
  end
  return uid, gid
end

-- chmod's MODE (octal or symbolic) over the old mode of a folder or file
local function newmode(spec, old, isdir)
  if spec:match("^[0-7]+$") then
    local m = tonumber(spec, 8)
    -- chmod keeps a folder's setuid and setgid bits unless the octal mode has 5 digits
    if isdir and #spec <= 4 then m = m | (old & 0xc00) end
    return m
  end
  local mode = old
  for clause in spec:gmatch("[^,]+") do
    local who, rest = clause:match("^([ugoa]*)(.*)$")
    if who == "" then who = "a" end
    for op, perms in rest:gmatch("([-+=])([rwxXst]*)") do
      local bits = 0
      for c in perms:gmatch(".") do
        local r, w, x = 0, 0, 0
        if c == "r" then r = 4 elseif c == "w" then w = 2 elseif c == "x" or (c == "X" and (isdir or old & 73 ~= 0)) then x = 1 end
        local b = r | w | x
        if who:find("[ua]") then bits = bits | (b << 6) end
        if who:find("[ga]") then bits = bits | (b << 3) end
        if who:find("[oa]") then bits = bits | b end
        if c == "s" then
          if who:find("[ua]") then bits = bits | 0x800 end
          if who:find("[ga]") then bits = bits | 0x400 end
        elseif c == "t" then
          bits = bits | 0x200
        end
      end
      local mask = 0
      if who:find("[ua]") then mask = mask | 0x9c0 end
      if who:find("[ga]") then mask = mask | 0x438 end
      if who:find("[oa]") then mask = mask | 0x207 end
      if op == "+" then mode = mode | bits
      elseif op == "-" then mode = mode & ~bits
      else mode = (mode & ~mask) | bits end
    end
  end
  return mode
end

-- a file's mode after chmod MODE (a file the script wrote, kept by imagegen.maint)
function S:newmode(spec, old, isdir)
  return newmode(spec, old, isdir)
end

-- every path at or below p
function S:below(p)
  local c = self.canon(p)
  local out = {}
  for q in pairs(self.paths) do
    if q == c or q:sub(1, #c + 1) == c .. "/" then out[#out + 1] = q end
  end
  table.sort(out)
  return out
end

-- chown/chmod of a path (recursive: and below it); nil and why when a file of a package is left as it is
function S:set(p, uid, gid, mode, recursive)
  local targets = recursive and self:below(p) or { self.canon(p) }
  if not self.paths[self.canon(p)] then return nil, "no such path in the image" end
  local files, homes = 0, 0
  for _, q in ipairs(targets) do
    local e = self.paths[q]
    if e.kind ~= "dir" then
      files = files + 1
    elseif e.declared then
      homes = homes + 1
    else
      e.uid, e.gid = uid or e.uid, gid or e.gid
      if mode then e.mode = newmode(mode, e.mode, true) end
      e.changed = true
    end
  end
  if homes > 0 then return nil, "a declared account's home keeps its declared owner and mode" end
  if files > 0 then
    if not recursive then return nil, "a package's file keeps its owner and mode in the image" end
    return nil, string.format("the folders are done; the package files below (%d) keep their owners and modes", files)
  end
  return true
end

-- dpkg-statoverride --add USER GROUP MODE PATH
function S:override(user, group, mode, p, update)
  local c = self.canon(p)
  if self.overrides[c] then return nil, "an override exists already" end
  self.overrides[c] = { user = user, group = group, mode = mode, path = p }
  if update and self.paths[c] then
    local uid, gid, why = self:ids((user:gsub("^#", "")) .. ":" .. (group:gsub("^#", "")))
    if not uid then return nil, why end
    return self:set(p, uid, gid, mode)
  end
  return true
end

function S:hasoverride(p)
  return self.overrides[self.canon(p)] ~= nil
end

function S:apply(a)
  return cmds[a.kind](self, a)
end

-- the files -------------------------------------------------------------

function S:passwd()
  local out = {}
  for _, u in ipairs(self.users) do
    out[#out + 1] = string.format("%s:%s:%d:%d:%s:%s:%s\n", u.name, u.pw, u.uid, u.gid, u.gecos, u.home, u.shell)
  end
  return table.concat(out)
end

function S:groupfile()
  local out = {}
  for _, g in ipairs(self.groups) do
    out[#out + 1] = string.format("%s:%s:%d:%s\n", g.name, g.pw, g.gid, table.concat(g.members, ","))
  end
  return table.concat(out)
end

-- /etc/shadow and /etc/gshadow, or nil before shadowconfig on
function S:shadowfiles()
  if not self.shadowed then return nil end
  local gs = {}
  for _, g in ipairs(self.gshadow) do
    gs[#gs + 1] = string.format("%s:%s::%s\n", g.name, g.pw, table.concat(g.members, ","))
  end
  return table.concat(self.shadow, "\n") .. "\n", table.concat(gs)
end

-- /var/lib/dpkg/statoverride, by path, or nil with none
function S:statoverride()
  local list = {}
  for _, o in pairs(self.overrides) do list[#list + 1] = o end
  if #list == 0 then return nil end
  table.sort(list, function(a, b) return a.path < b.path end)
  local out = {}
  for _, o in ipairs(list) do out[#out + 1] = string.format("%s %s %s %s\n", o.user, o.group, o.mode, o.path) end
  return table.concat(out)
end

-- dpkg's configure order on a fresh install: a package after the packages
-- its Pre-Depends and Depends name (an alternative by the first one
-- installed, a virtual package by its providers), else by name; a cycle is
-- broken at the first package by name
function M.configorder(pkgs)
  local byname, provides = {}, {}
  for _, p in ipairs(pkgs) do
    byname[p.package] = p
    local prov = (p.status or ""):match("\nProvides:%s*([^\n]*)")
    for name in (prov or ""):gmatch("([^,%s(]+)[^,]*") do
      provides[name] = provides[name] or {}
      table.insert(provides[name], p.package)
    end
  end
  local deps = {}
  for _, p in ipairs(pkgs) do
    local list = {}
    for _, field in ipairs { "Pre-Depends", "Depends" } do
      local v = (p.status or ""):match("\n" .. field:gsub("%-", "%%-") .. ":%s*([^\n]*)")
      for rel in (v or ""):gmatch("[^,]+") do
        for alt in rel:gmatch("[^|]+") do
          local name = alt:match("^%s*([^%s(:]+)")
          if name and byname[name] then list[#list + 1] = name; break end
          if name and provides[name] then
            for _, x in ipairs(provides[name]) do list[#list + 1] = x end
            break
          end
        end
      end
    end
    deps[p.package] = list
  end
  local names = {}
  for _, p in ipairs(pkgs) do names[#names + 1] = p.package end
  table.sort(names)
  local order, state = {}, {}
  local function visit(n)
    if state[n] then return end
    state[n] = "visiting"
    local ds = { table.unpack(deps[n]) }
    table.sort(ds)
    for _, d in ipairs(ds) do visit(d) end
    state[n] = "done"
    order[#order + 1] = byname[n]
  end
  for _, n in ipairs(names) do visit(n) end
  return order
end

return M
