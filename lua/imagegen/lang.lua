-- imagegen.lang: the definition language.
--
-- A definition file is Lua run in a sandbox whose globals are the
-- declarations below and the safe parts of the standard library. Evaluating
-- the top definition (and every file it includes) fills a graph:
--   graph.commands  build steps: outputs, inputs, a shell command
--   graph.layers    layers: entries (destination -> source) and their inputs
--   graph.images    images: a base, layers, config fields
--   graph.inputs    every file the definitions read (the regeneration inputs)
-- imagegen.resolve then checks the graph as a whole (bases, cycles) and
-- fills in what each image inherits. Errors name the definition file and line:
--   build.lua:12: files[3]: /etc/x: source 'conf/x' not found
local native = require "imagegen.native"
local path = require "imagegen.path"
local check = require "imagegen.check"
local nonul = check.nonul
local fail, caller, suggest, checkfields, set = check.fail, check.caller, check.suggest, check.checkfields, check.set
local isstring, stringlist, stringmap = check.isstring, check.stringlist, check.stringmap
local parsemode, parseid, destination, show = check.parsemode, check.parseid, check.destination, check.show
local buildargs = require "imagegen.args"

local M = {}

-- Definitions hold views of the generator's objects, never the objects: an
-- empty table that reads through to its object (tables in it are views
-- too) and refuses writes. A definition cannot change an image after
-- declaring it, nor reach the metatables the generator tells kinds by.
local object = setmetatable({}, { __mode = "k" })  -- view -> object
local viewof = setmetatable({}, { __mode = "kv" })  -- object -> view
local View = { __metatable = "imagegen object" }

local function view(obj)
  if type(obj) ~= "table" or object[obj] then return obj end
  local v = viewof[obj]
  if not v then
    v = setmetatable({}, View)
    object[v], viewof[obj] = obj, v
  end
  return v
end

-- the object behind a view (anything else as it is)
local function unview(v)
  return object[v] or v
end
M.unview = unview
check.unview = unview

-- a command's view reads its outputs: cmd[1], cmd["name"], #cmd
local function through(obj)
  return check.typename(obj) == "imagegen.command" and obj.outputs or obj
end
View.__index = function(v, k) return view(through(object[v])[k]) end
View.__newindex = function(v, k)
  error(string.format("%s: '%s' cannot be set after it is declared", check.typename(object[v]), tostring(k)), 2)
end
View.__len = function(v) return #through(object[v]) end
View.__pairs = function(v)
  local t = object[v]
  return function(_, k)
    local nk, nv = next(t, k)
    return nk, view(nv)
  end, v, nil
end
View.__tostring = function(v) return tostring(object[v]) end

-- what a view or a value is, for messages: "a command", "an image", "a string"
local function kind(v)
  return check.kindname(v)
end

local Source = {}
Source.__index = Source
Source.__name = "imagegen.source"

local function mksource(t)
  return setmetatable(t, Source)
end

local Output = {}
Output.__index = Output
Output.__name = "imagegen.output"
Output.__tostring = function(o) return o.path end

local Image = {}
Image.__index = Image
Image.__name = "imagegen.image"
Image.__tostring = function(i) return "image " .. i.name end

local Layer = {}
Layer.__index = Layer
Layer.__name = "imagegen.layer"

-- a base from outside the graph: an OCI layout, a docker-archive, a registry
local External = {}
External.__index = External
External.__name = "imagegen.base"

-- how layers can be compressed, each with the level it is written at, and the default
M.compressions = { gzip = 6, zstd = 3, none = 0 }
M.defaultcompression = "gzip"
-- an image's format: OCI's media types, or Docker's (image manifest v2, schema 2)
M.formats = { oci = true, docker = true }
M.defaultformat = "oci"

M.scratch = setmetatable({ scratch = true }, { __name = "imagegen.scratch", __tostring = function() return "scratch" end })

local repofields = set { "url", "suite", "components", "keyring", "snapshot", "kind", "arch", "keys" }
local userfields = set { "name", "uid", "gid", "home", "shell", "gecos" }
local groupfields = set { "name", "gid", "members" }

local Repository = {}
Repository.__index = Repository
Repository.__name = "imagegen.repository"

local Command = {}
Command.__index = Command
Command.__name = "imagegen.command"
local layerfields = set { "name", "files" }
local entryfields = set { "mode", "uid", "gid", "xattrs" }
local treefields = set { "mode", "dirmode", "follow", "exclude" }
local globfields = set { "exclude" }
local commandfields = set { "outputs", "inputs", "run", "description", "cache", "image", "network" }

function M.newgraph(top)
  return {
    commands = {}, layers = {}, images = {}, imagebyname = {}, layerbyname = {},
    outputs = {}, folders = {}, inputs = {}, inputset = {}, readby = {}, loaded = {}, loading = {}, sources = {},
    epoch = native.sourcedate(), top = top, topdir = path.dirname(top), compression = M.defaultcompression,
    args = buildargs.new(),
  }
end

-- p becomes an input of the regeneration; from: the definition file that
-- read or included it (what an image's provenance lists, M.definitionfiles)
local function addinput(G, p, from)
  if not G.inputset[p] then
    G.inputset[p] = true
    G.inputs[#G.inputs + 1] = p
  end
  if from then
    local r = G.readby[from]
    if not r then
      r = {}
      G.readby[from] = r
    end
    r[#r + 1] = p
  end
end

-- the files an image's definition file read or included, itself first, and
-- what those included read, in the order read; each once
function M.definitionfiles(G, file)
  local out, seen = {}, {}
  local function walk(f)
    if seen[f] then return end
    seen[f] = true
    out[#out + 1] = f
    for _, p in ipairs(G.readby[f] or {}) do walk(p) end
  end
  walk(file)
  return out
end

local function checkname(where, what, name)
  if not isstring(name) or not name:match("^[%w][%w._-]*$") then
    check.failat(where, what .. ".name", "%s: name must be letters, digits, '.', '_' or '-', got '%s'", what,
      tostring(name))
  end
end

-- an image's fields, each parsed by its own function, in this order (so
-- that the first error is always the same one); fields[k](d, v) with
-- d = { where, img, config, t, mklayer }: mklayer the declaring file's (declarations)
local imageorder = { "layers", "files", "tag", "base", "entrypoint", "cmd", "env", "workdir", "user",
  "labels", "stopsignal", "expose", "volumes", "packages", "essential", "minimal", "mergedusr", "repositories",
  "packagelayers", "users", "groups", "compression", "annotations", "platform", "platforms", "sbom",
  "provenance", "format", "healthcheck", "maxlayers" }
local imagefields = set(imageorder)
-- the fields that become text of the image's config or manifest
local configfields = { "entrypoint", "cmd", "env", "workdir", "user", "labels", "stopsignal", "volumes",
  "annotations", "healthcheck" }
imagefields.name = true
local field = {}

-- a field that is true or false, kept in the image as it is named
local function flag(name)
  return function(d, v)
    if type(v) ~= "boolean" then fail(d.where, "%s: expected true or false", name) end
    d.img[name] = v
  end
end

function field.layers(d, v)
  if type(v) ~= "table" or debug.getmetatable(v) or #v == 0 and next(v) then
    fail(d.where, "layers: expected a list of layers")
  end
  for i, l in ipairs(v) do
    l = unview(l)
    if debug.getmetatable(l) ~= Layer then
      if type(l) ~= "table" or debug.getmetatable(l) then
        fail(d.where, "layers[%d]: expected a layer or { name = ..., files = { ... } }, got %s%s", i, kind(l),
          debug.getmetatable(l) == Image and " (an image is a base: base = ..., and its layers come with it)" or "")
      end
      local what = "layers[" .. i .. "]"
      checkfields(d.where, what, l, layerfields)
      local name = l.name or tostring(i)
      checkname(d.where, what, name)
      l = d.mklayer(d.where, name, l.files or {}, what .. ".files")
      l.id = d.img.name .. "/" .. name
    end
    d.img.layers[#d.img.layers + 1] = l
  end
end

function field.files(d, v)
  local l = d.mklayer(d.where, "files", v)
  l.id = d.img.name .. "/files"
  l.fromfiles = true
  d.img.layers[#d.img.layers + 1] = l
end

-- "v1" (the image's name is the repository), "repo:v1", "host[:port]/repo:v1";
-- the repository and tag as the distribution spec has them (check.repository)
function field.tag(d, tag)
  if not isstring(tag) then fail(d.where, "tag: expected a string") end
  local forms = "('v1', 'repo:v1' or 'host:port/repo:v1')"
  local repo, ref
  if not tag:find("[:/@]") then
    repo, ref = d.img.name, tag
    if not check.istag(ref) then
      fail(d.where, "tag: '%s' is not a tag: letters, digits, '_', '.' and '-', at most 128, not starting with "
        .. "'.' or '-' %s", tag, forms)
    end
    local bad = check.repository(repo)
    if bad then
      local lower = repo:lower()
      if lower ~= repo and not check.repository(lower) then
        fail(d.where, "image: name '%s' must be lowercase for registries and podman: '%s' (or name the repository "
          .. "in tag = \"%s:%s\")", repo, lower, lower, ref)
      end
      fail(d.where, "image: name '%s' is the image's repository, and %s (or name the repository in tag = "
        .. "\"repo:%s\")", repo, bad, ref)
    end
  else
    if tag:find("@") then fail(d.where, "tag: '%s' holds a digest; a tag names the image %s", tag, forms) end
    local host = tag:match("^([^/]*)/")
    local rest = tag
    if host and check.ishost(host) then rest = tag:sub(#host + 2) else host = nil end
    local n = select(2, rest:gsub(":", ""))
    if n > 1 or n == 1 and rest:find("/", rest:find(":"), true) or (host and select(2, host:gsub(":", "")) > 1) then
      fail(d.where, "tag: '%s' has a ':' out of place: one goes before the tag, and one in a registry's "
        .. "'host:port/' only %s", tag, forms)
    end
    local path
    path, ref = rest:match("^(.*):(.*)$")
    if not path then path, ref = rest, "latest" end
    repo = host and host .. "/" .. path or path
    if path == "" then fail(d.where, "tag: '%s' names no repository %s", tag, forms) end
    if not check.istag(ref) then
      fail(d.where, "tag: '%s' in '%s' is not a tag: letters, digits, '_', '.' and '-', at most 128, not starting "
        .. "with '.' or '-'", ref, tag)
    end
    local bad = check.repository(repo)
    if bad then fail(d.where, "tag: %s", bad) end
  end
  d.img.repo, d.img.ref = repo, ref
  local host = repo:match("^([^/]+)/")
  if host and (host:find("[.:]") or host == "localhost") then d.img.push = repo .. ":" .. ref end
end

function field.base(d, v)
  v = unview(v)
  if v == M.scratch then return end
  if not (isstring(v) or debug.getmetatable(v) == Image or debug.getmetatable(v) == External) then
    fail(d.where, "base: expected scratch, an image, an image's name, oci_layout, docker_archive or pull, got %s",
      kind(v))
  end
  d.img.base = v
end

-- a command line: a list of words, never a string (which would be one
-- word, the whole line as the program's name); sh "..." for a shell
local function argv(d, what, v)
  if isstring(v) then
    fail(d.where, "%s: expected a list such as { \"/app/server\", \"--port\", \"80\" }, or sh \"...\" for "
      .. "/bin/sh -c", what)
  end
  return stringlist(d.where, what, v)
end

function field.entrypoint(d, v) d.config.Entrypoint = argv(d, "entrypoint", v) end
function field.cmd(d, v) d.config.Cmd = argv(d, "cmd", v) end

function field.env(d, v)
  d.config.Env = stringmap(d.where, "env", v)
  for k in pairs(d.config.Env) do
    if k == "" or k:find("=") then fail(d.where, "env: '%s' is not a variable name", k) end
  end
end

function field.workdir(d, v)
  if not isstring(v) or not path.isabs(v) then fail(d.where, "workdir: expected an absolute path") end
  d.config.WorkingDir = v
end

function field.user(d, v)
  if math.type(v) == "integer" then v = tostring(v) end
  if not isstring(v) or v == "" then fail(d.where, "user: expected a name or 'uid[:gid]'") end
  if not v:match("^[^:]+$") and not v:match("^[^:]+:[^:]+$") then
    fail(d.where, "user: '%s' is not \"name\", \"uid\", \"uid:gid\" or \"name:group\"", v)
  end
  d.config.User = v
end

function field.labels(d, v) d.config.Labels = stringmap(d.where, "labels", v) end

function field.stopsignal(d, v)
  if not isstring(v) then fail(d.where, "stopsignal: expected a signal name such as 'SIGTERM'") end
  d.config.StopSignal = v
end

-- ports: 80 (tcp), "80/tcp", "53/udp", "9/sctp"; as the config's keys, "80/tcp"
function field.expose(d, v)
  d.config.ExposedPorts = {}
  local list = v
  if type(v) ~= "table" or debug.getmetatable(v) then list = { v } end
  for k in pairs(list) do
    if math.type(k) ~= "integer" then
      fail(d.where, "expose: expected a port or a list of ports, found key '%s'", tostring(k))
    end
  end
  local forms = "a number such as 80, or '80/tcp', '53/udp', '9/sctp'"
  for i, p in ipairs(list) do
    local what = list == v and string.format("expose[%d]", i) or "expose"
    if math.type(p) == "integer" then
      if p < 1 or p > 65535 then fail(d.where, "%s: %d is not a port (1 to 65535)", what, p) end
      p = tostring(p) .. "/tcp"
    elseif math.type(p) == "float" then
      fail(d.where, "%s: %s is not a port: expected %s", what, tostring(p), forms)
    elseif not isstring(p) then
      fail(d.where, "%s: expected a port, %s, got %s", what, forms, check.typename(p))
    else
      local given = p
      if p:match("^%d+$") then p = p .. "/tcp" end
      local n, proto = p:match("^([1-9]%d*)/(%l+)$")
      if not n or tonumber(n) > 65535 or not (proto == "tcp" or proto == "udp" or proto == "sctp") then
        fail(d.where, "%s: '%s' is not a port: expected %s", what, given, forms)
      end
    end
    d.config.ExposedPorts[p] = {}
  end
end

function field.volumes(d, v)
  d.config.Volumes = {}
  for i, vol in ipairs(stringlist(d.where, "volumes", v)) do
    if not path.isabs(vol) then fail(d.where, "volumes[%d]: '%s' is not an absolute path", i, vol) end
    d.config.Volumes[vol] = {}
  end
end

function field.packages(d, v)
  d.img.packages = stringlist(d.where, "packages", v)
  for i, name in ipairs(d.img.packages) do
    -- a Debian package, or an apk atom (imagegen.alpine: checked against the kind of the repositories)
    if not name:match("^[%w.+-]+$") and not name:match("^[%w.+-]+=[%w.+:~-]+$")
        and not name:match("^!?[%w.+_:-]+[<>=~]*[%w.+_~-]*$") then
      fail(d.where, "packages[%d]: '%s' is not a package name (or name=version, or an apk atom)", i, name)
    end
  end
end

field.essential = flag "essential"

field.minimal = flag "minimal"

field.mergedusr = flag "mergedusr"

function field.repositories(d, v)
  if type(v) ~= "table" or debug.getmetatable(v) then fail(d.where, "repositories: expected a list of repository { ... }") end
  d.img.repositories = {}
  for i, r in ipairs(v) do
    r = unview(r)
    if debug.getmetatable(r) ~= Repository then
      fail(d.where, "repositories[%d]: expected a repository { ... }, got %s", i, kind(r))
    end
    d.img.repositories[i] = r
  end
end

function field.packagelayers(d, pl)
  if pl ~= "each" and pl ~= "one" then
    if type(pl) ~= "table" then
      fail(d.where, "packagelayers: expected \"each\", \"one\" or a list of groups of package names")
    end
    local groups = {}
    for i, g in ipairs(pl) do groups[i] = stringlist(d.where, string.format("packagelayers[%d]", i), g) end
    pl = groups
  end
  d.img.packagelayers = pl
end

function field.users(d, v)
  if type(v) ~= "table" then fail(d.where, "users: expected a list of { name, uid, ... }") end
  d.img.users = {}
  for i, u in ipairs(v) do
    local what = string.format("users[%d]", i)
    checkfields(d.where, what, u, userfields)
    if not isstring(u.name) or not u.name:match("^[%w_][%w._-]*$") then fail(d.where, "%s: no valid name", what) end
    d.img.users[i] = { name = u.name, uid = parseid(d.where, what .. ": uid", u.uid),
      gid = u.gid ~= nil and parseid(d.where, what .. ": gid", u.gid) or nil,
      home = u.home or "/nonexistent", shell = u.shell or "/usr/sbin/nologin", gecos = u.gecos or u.name }
    if u.uid == nil then fail(d.where, "%s: no uid", what) end
  end
end

function field.groups(d, v)
  if type(v) ~= "table" then fail(d.where, "groups: expected a list of { name, gid }") end
  d.img.groups = {}
  for i, g in ipairs(v) do
    local what = string.format("groups[%d]", i)
    checkfields(d.where, what, g, groupfields)
    if not isstring(g.name) or not g.name:match("^[%w_][%w._-]*$") then fail(d.where, "%s: no valid name", what) end
    if g.gid == nil then fail(d.where, "%s: no gid", what) end
    d.img.groups[i] = { name = g.name, gid = parseid(d.where, what .. ": gid", g.gid),
      members = g.members and stringlist(d.where, what .. ": members", g.members) or {} }
  end
end

function field.compression(d, v)
  if not M.compressions[v] then
    fail(d.where, "compression: expected \"gzip\", \"zstd\" or \"none\"%s", suggest(tostring(v), M.compressions))
  end
  d.img.compression = v
end

field.sbom = flag "sbom"
field.provenance = flag "provenance"

function field.maxlayers(d, v)
  if math.type(v) ~= "integer" or v < 1 or v > 10000 then
    fail(d.where, "maxlayers: expected a number of layers from 1 to 10000")
  end
  d.img.maxlayers = v
end

function field.annotations(d, v) d.img.annotations = stringmap(d.where, "annotations", v) end

function field.format(d, v)
  if not M.formats[v] then
    fail(d.where, "format: expected \"oci\" or \"docker\"%s", suggest(tostring(v), M.formats))
  end
  d.img.format = v
end

-- a Go duration ("30s", "1m30s", "1.5s", "500ms") in nanoseconds, at least 1ms as Docker wants
local durationunits = { h = 3600000000000, m = 60000000000, s = 1000000000, ms = 1000000,
  us = 1000, ["\u{b5}s"] = 1000, ["\u{3bc}s"] = 1000, ns = 1 }
local maxduration = 2500 * 3600000000000
local function duration(where, what, v)
  local form = "a duration such as \"30s\", \"1m30s\" or \"500ms\" (units h, m, s, ms, us, ns)"
  if not isstring(v) then fail(where, "%s: expected %s, got %s", what, form, check.typename(v)) end
  if v == "" then fail(where, "%s: expected %s, got ''", what, form) end
  local ns, pos = 0, 1
  while pos <= #v do
    local int, _, frac, unit, nextpos = v:match("^(%d*)(%.?)(%d*)([^%d.]*)()", pos)
    local scale = durationunits[unit]
    if not int or int == "" and frac == "" or not scale or #int > 10 or #frac > 15 then
      fail(where, "%s: '%s' is not %s", what, show(v), form)
    end
    if (tonumber(int) or 0) * 1.0 * scale > maxduration then
      fail(where, "%s: '%s' is longer than 2500h", what, show(v))
    end
    ns = ns + (tonumber(int) or 0) * scale
    if frac ~= "" then ns = ns + math.floor(tonumber("0." .. frac) * scale + 0.5) end
    if ns > maxduration then fail(where, "%s: '%s' is longer than 2500h", what, show(v)) end
    pos = nextpos
  end
  if ns < 1000000 then
    fail(where, "%s: '%s' is shorter than 1ms, the least Docker takes (leave it out for Docker's default)", what, show(v))
  end
  return ns
end

-- Docker's HEALTHCHECK: the config's Healthcheck {Test, Interval, Timeout, StartPeriod, Retries}
local healthfields = set { "test", "interval", "timeout", "start_period", "retries" }
function field.healthcheck(d, v)
  local forms = "{ \"CMD\", \"/app/health\" }, { \"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\" } or { \"NONE\" }"
  checkfields(d.where, "healthcheck", v, healthfields)
  if v.test == nil then fail(d.where, "healthcheck: no test; write test = %s", forms) end
  if isstring(v.test) then
    fail(d.where, "healthcheck.test: expected a list, got a string: write { \"CMD-SHELL\", \"%s\" } to run it "
      .. "with /bin/sh -c, or { \"CMD\", \"program\", \"argument\", ... } to run a program", show(v.test))
  elseif type(v.test) ~= "table" or debug.getmetatable(v.test) then
    fail(d.where, "healthcheck.test: expected a list, %s; got %s", forms, check.typename(v.test))
  end
  local test = stringlist(d.where, "healthcheck.test", v.test)
  local kinds = set { "CMD", "CMD-SHELL", "NONE" }
  if not kinds[test[1]] then
    fail(d.where, "healthcheck.test[1]: expected \"CMD\", \"CMD-SHELL\" or \"NONE\"%s, as in %s",
      suggest(tostring(test[1]), kinds), forms)
  elseif test[1] == "CMD" and #test < 2 then
    fail(d.where, "healthcheck.test: \"CMD\" needs the command and its arguments after it: { \"CMD\", \"/app/health\" }")
  elseif test[1] == "CMD-SHELL" and #test ~= 2 then
    fail(d.where, "healthcheck.test: \"CMD-SHELL\" takes one string, the command for /bin/sh -c: "
      .. "{ \"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\" }")
  elseif test[1] == "NONE" and #test ~= 1 then
    fail(d.where, "healthcheck.test: \"NONE\" (no healthcheck, not even the base's) takes nothing after it")
  end
  local h = { Test = test }
  if v.interval ~= nil then h.Interval = duration(d.where, "healthcheck.interval", v.interval) end
  if v.timeout ~= nil then h.Timeout = duration(d.where, "healthcheck.timeout", v.timeout) end
  if v.start_period ~= nil then h.StartPeriod = duration(d.where, "healthcheck.start_period", v.start_period) end
  if v.retries ~= nil then
    if math.type(v.retries) ~= "integer" or v.retries < 1 or v.retries > 2 ^ 31 - 1 then
      fail(d.where, "healthcheck.retries: expected a whole number of at least 1, such as 3 (leave it out for Docker's default, 3)")
    end
    h.Retries = v.retries
  end
  d.config.Healthcheck = h
end

local function checkplatform(where, what, v)
  if not isstring(v) or not v:match("^[%w]+/[%w]+$") and not v:match("^[%w]+/[%w]+/[%w]+$") then
    fail(where, "%s: expected 'os/arch[/variant]' such as 'linux/amd64' or 'linux/arm/v7'", what)
  end
  return v
end

function field.platform(d, v)
  if d.t.platforms ~= nil then fail(d.where, "platform: give platform or platforms, not both") end
  d.img.platforms = { checkplatform(d.where, "platform", v) }
end

function field.platforms(d, v)
  local list = stringlist(d.where, "platforms", v)
  if #list == 0 then fail(d.where, "platforms: expected at least one platform") end
  local seen = {}
  for i, p in ipairs(list) do
    checkplatform(d.where, string.format("platforms[%d]", i), p)
    if seen[p] then fail(d.where, "platforms[%d]: '%s' is listed twice", i, p) end
    seen[p] = true
  end
  d.img.platforms = list
end

-- one definition file's declarations, closed over its folder
local function declarations(G, file)
  local dir = path.dirname(file)
  local gendir = path.join("gen", path.relative(G.topdir, dir))
  local D = {}

  local function srcpath(where, what, p)
    if not isstring(p) or p == "" then fail(where, "%s: expected a source path, got %s", what, kind(p)) end
    if p:find("%z") then fail(where, "%s: source path '%s' holds a NUL", what, show(p)) end
    local full = path.join(dir, p)
    if full:find(".wh.", 1, true) and path.basename(full):sub(1, 4) == ".wh." then
      fail(where, "%s: source '%s': names starting with .wh. are whiteouts and cannot be sources", what, show(p))
    end
    return full
  end

  local function filesource(where, what, p)
    local full = srcpath(where, what, p)
    local kind, err = native.stat(full)
    if not kind then
      if err == "symlink loop" then fail(where, "%s: source '%s' is a symlink loop", what, show(p)) end
      fail(where, "%s: source '%s' not found", what, show(p))
    end
    if kind == "dir" then fail(where, "%s: source '%s' is a directory; use tree '%s'", what, show(p), show(p)) end
    if kind ~= "file" then fail(where, "%s: source '%s' is not a regular file", what, show(p)) end
    return mksource { kind = "file", path = full, name = p }
  end

  -- what the definition itself reads must lie in the project (the top
  -- definition's folder), symlinks resolved; the path, and what native.stat
  -- said it is
  local function projectpath(where, what, p)
    local full = srcpath(where, what, p)
    -- a name that is not there (a typo): said so, with the nearest name of
    -- its folder (for include, a .lua file or a folder)
    local found, err = native.stat(full)
    if not found and err ~= "symlink loop" then
      local known, parent = {}, path.dirname(full)
      local prefix = p:match("^(.*/)[^/]*/*$") or ""
      for _, n in ipairs(native.listdir(parent) or {}) do
        if what ~= "include" or n:match("%.lua$") or native.stat(path.join(parent, n)) == "dir" then
          known[prefix .. n] = true
        end
      end
      fail(where, "%s: '%s' not found%s", what, show(p), suggest(p, known))
    end
    G.toprealpath = G.toprealpath or native.realpath(G.topdir) or G.topdir
    local top = G.toprealpath
    local real = native.realpath(full) or full
    local rel = path.relative(top, real)
    if path.isabs(real) ~= path.isabs(top) or rel == ".." or rel:sub(1, 3) == "../" then
      fail(where, "%s: '%s' is outside the project folder '%s'", what, show(p), show(G.topdir))
    end
    return full, found
  end

  function D.file(p)
    local where = caller(2)
    return filesource(where, "file", p)
  end

  -- a command's output as a source: a file, or a folder it writes (a tree)
  local function outputsource(o, mode, dirmode, exclude)
    return mksource { kind = o.folder and "folder" or "output", path = o.path, name = o.path, output = o,
      mode = mode, dirmode = dirmode, exclude = exclude }
  end

  -- a list of patterns in .gitignore's syntax (plugin/base/pattern.c), each
  -- checked: { } when v is nil
  local function patternlist(where, what, v)
    if v == nil then return {} end
    local list = stringlist(where, what, v)
    for i, p in ipairs(list) do
      local ok, err = native.pattern(p)
      if not ok then fail(where, "%s[%d]: '%s' %s", what, i, show(p), err) end
    end
    return list
  end

  -- the folder output a value is (a command of one output, or an output), or nil
  local function folderof(where, v)
    local obj = unview(v)
    local mt = debug.getmetatable(obj)
    if mt == Command and #obj.outputs == 1 then obj, mt = obj.outputs[1], Output end
    if mt == Command then
      fail(where, "tree: the command has %d outputs; pick its folder, e.g. cmd[1]", #obj.outputs)
    end
    if mt ~= Output then return nil end
    if not obj.folder then
      fail(where, "tree: '%s' is a file the command writes; declare a folder with outputs = { dir \"%s\" }",
        show(obj.name), show(obj.name))
    end
    return obj
  end

  function D.tree(t)
    local where = caller(2)
    if isstring(t) or folderof(where, t) then t = { t } end
    if object[t] then
      fail(where, "tree: expected a folder's path, a command's folder (outputs = { dir \"name\" }) or "
        .. "{ path, mode = ... }, got %s", kind(t))
    end
    checkfields(where, "tree", t, treefields, 1)
    local exclude = patternlist(where, "tree: exclude", t.exclude)
    local o = folderof(where, t[1])
    if o then
      if t.follow then check.failat(where, "follow", "tree: a folder a command writes is taken as it is (follow = true reads outside it)") end
      return outputsource(o, parsemode(where, "tree", t.mode), parsemode(where, "tree", t.dirmode, "dirmode"), exclude)
    end
    local full = srcpath(where, "tree", t[1])
    local kind, err = native.stat(full)
    if kind ~= "dir" then
      if err == "symlink loop" then fail(where, "tree: source '%s' is a symlink loop", show(t[1])) end
      fail(where, "tree: source '%s' %s", show(t[1]), kind and "is not a directory" or "not found")
    end
    if t.follow ~= nil and type(t.follow) ~= "boolean" then
      check.failat(where, "follow", "tree: follow must be true or false")
    end
    return mksource { kind = "tree", path = full, name = t[1], mode = parsemode(where, "tree", t.mode),
      dirmode = parsemode(where, "tree", t.dirmode, "dirmode"), follow = t.follow or false, exclude = exclude }
  end

  function D.text(s)
    local where = caller(2)
    if not isstring(s) then fail(where, "text: expected a string, got %s", kind(s)) end
    if not utf8.len(s) then fail(where, "text: the contents are not valid UTF-8") end
    if s:find("%z") then fail(where, "text: the contents have a NUL byte (use a file for binary contents)") end
    return mksource { kind = "text", data = s }
  end

  function D.symlink(target)
    local where = caller(2)
    if not isstring(target) or target == "" or target:find("%z") then
      fail(where, "symlink: expected a target path")
    end
    return mksource { kind = "symlink", target = target }
  end

  -- dir(): an empty directory; dir "name", in a command's outputs: a
  -- folder the command writes
  function D.dir(name)
    if name == nil then return mksource { kind = "dir" } end
    local where = caller(2)
    if not isstring(name) then
      fail(where, "dir: expected the name of a folder a command writes (in its outputs), or nothing for an "
        .. "empty directory")
    end
    return mksource { kind = "outdir", name = name, where = where }
  end

  -- in a layer over a base: the base's file or folder at this path is gone
  function D.remove()
    return mksource { kind = "whiteout" }
  end

  -- in a layer over a base: this folder, with nothing of the base's in it
  function D.opaque()
    return mksource { kind = "opaque" }
  end

  -- bases from outside the graph
  function D.oci_layout(p, tag)
    local where = caller(2)
    local full = srcpath(where, "oci_layout", p)
    if native.stat(full .. "/index.json") ~= "file" then
      fail(where, "oci_layout: '%s' is not an OCI image layout (no index.json)", show(p))
    end
    if tag ~= nil and (not isstring(tag) or not tag:match("^[%w_][%w._-]*$")) then
      fail(where, "oci_layout: '%s' is not a tag", tostring(tag))
    end
    return setmetatable({ where = where, kind = "oci", path = full, name = p, tag = tag or "latest" }, External)
  end

  function D.docker_archive(p)
    local where = caller(2)
    local full = srcpath(where, "docker_archive", p)
    if native.stat(full) ~= "file" then fail(where, "docker_archive: '%s' not found", show(p)) end
    return setmetatable({ where = where, kind = "archive", path = full, name = p }, External)
  end

  -- "host[:port]/repo[:tag][@sha256:...]"; without a digest, imagegen.lock pins it
  function D.pull(ref)
    local where = caller(2)
    if not isstring(ref) then fail(where, "pull: expected 'host/repository:tag@sha256:...'") end
    local name, digest = ref:match("^([^@]+)@(sha256:%x+)$")
    name = name or ref
    if digest and #digest ~= 71 then fail(where, "pull: '%s' is not a sha256 digest", digest) end
    local host = name:match("^([^/]+)/")
    if not host or not (host:find("[.:]") or host == "localhost") then
      fail(where, "pull: '%s' names no registry host (write 'host/repository:tag')", ref)
    end
    if not name:match(":[%w_][%w._-]*$", #host + 1) then name = name .. ":latest" end
    local bad = check.repository(name:match("^(.*):[^:/]*$"))
    if bad then fail(where, "pull: %s", bad) end
    return setmetatable({ where = where, kind = "pull", ref = name, digest = digest, name = ref }, External)
  end

  -- a file that something outside these definitions makes (another ninja file, make)
  function D.external(p)
    local where = caller(2)
    return mksource { kind = "external", path = srcpath(where, "external", p), name = p }
  end

  local function tosource(where, what, v)
    if isstring(v) then return filesource(where, what, v) end
    local obj = unview(v)
    local mt = debug.getmetatable(obj)
    if mt == Source and obj.kind == "outdir" then
      fail(where, "%s: dir '%s' names a folder a command writes, in its outputs; an empty directory is dir()",
        what, show(obj.name))
    end
    if mt == Source then return obj end
    if mt == Command then
      if #obj.outputs ~= 1 then fail(where, "%s: the command has %d outputs; pick one, e.g. cmd[1]", what, #obj.outputs) end
      obj, mt = obj.outputs[1], Output
    end
    if mt == Output then return outputsource(obj) end
    fail(where, "%s: expected a source (a path, file, tree, text, symlink, dir, external or a command's output), got %s%s",
      what, kind(v), mt == Image and " (an image is a base: base = ..., and its files come with it)"
        or mt == Layer and " (a layer goes in an image's layers = { ... })" or "")
  end

  -- the entries of files, the field at path ("files", "layers[2].files":
  -- what messages, at generation and at build time, name an entry by)
  local function entries(where, files, path)
    path = path or "files"
    if type(files) ~= "table" or object[files] then
      fail(where, "%s: expected a list of { destination, source } entries, got %s", path, check.kindname(files))
    end
    local out, seen = {}, {}
    for k in pairs(files) do
      if math.type(k) ~= "integer" then
        fail(where, "%s: expected a list; write { '%s', source } as an entry", path, tostring(k))
      end
    end
    for i, e in ipairs(files) do
      local what = string.format("%s[%d]", path, i)
      if type(e) ~= "table" or debug.getmetatable(e) then
        local m = debug.getmetatable(unview(e))
        fail(where, "%s: expected { destination, source, mode = ... }, got %s%s", what, kind(e),
          (m == Source or m == Command or m == Output) and "; write { \"/destination\", source }" or "")
      end
      checkfields(where, what, e, entryfields, 2)
      if e[1] ~= nil then what = what .. ": " .. show(tostring(e[1])) end
      if e[2] == nil then fail(where, "%s: no source", what) end
      local src = tosource(where, what, e[2])
      local istree = src.kind == "tree" or src.kind == "folder"
      local dst = destination(where, what, e[1], istree or src.kind == "opaque")
      if seen[dst] then fail(where, "%s: destination declared twice (also %s[%d])", what, path, seen[dst]) end
      seen[dst] = i
      out[#out + 1] = { ctx = where .. ": " .. what, path = dst, source = src,
        mode = parsemode(where, what, e.mode), uid = e.uid == nil and 0 or parseid(where, what .. ": uid", e.uid),
        gid = e.gid == nil and 0 or parseid(where, what .. ": gid", e.gid) }
      if istree and e.mode then
        fail(where, "%s: set the mode of a tree's files with tree { '%s', mode = ... }", what, show(src.name))
      end
      if e.xattrs ~= nil then
        if istree then fail(where, "%s: xattrs apply to single entries, not trees", what) end
        out[#out].xattrs = stringmap(where, what .. ": xattrs", e.xattrs)
        for k in pairs(out[#out].xattrs) do
          if not k:match("^%l+%.[%w._-]+$") then
            fail(where, "%s: xattrs: '%s' is not an attribute name such as 'user.comment'", what, k)
          end
        end
      end
    end
    return out
  end

  local function mklayer(where, name, files, path)
    local l = setmetatable({ where = where, name = name, entries = entries(where, files, path) }, Layer)
    G.layers[#G.layers + 1] = l
    return l
  end

  function D.layer(t)
    local where = caller(2)
    checkfields(where, "layer", t, layerfields)
    checkname(where, "layer", t.name)
    if G.layerbyname[t.name] then
      fail(where, "layer '%s' declared twice (also at %s)", t.name, G.layerbyname[t.name].where)
    end
    local l = mklayer(where, t.name, t.files or {})
    l.id = t.name
    G.layerbyname[t.name] = l
    return l
  end

  function D.image(t)
    local where = caller(2)
    checkfields(where, "image", t, imagefields)
    checkname(where, "image", t.name)
    if G.imagebyname[t.name] then
      fail(where, "image '%s' declared twice (also at %s)", t.name, G.imagebyname[t.name].where)
    end
    local img = setmetatable({ where = where, file = file, name = t.name, layers = {}, config = {}, annotations = {} },
      Image)
    local d = { where = where, img = img, config = img.config, t = t, mklayer = mklayer }
    for _, k in ipairs(imageorder) do
      local v = t[k]
      if v == nil and k == "tag" then v = "latest" end
      if v ~= nil then field[k](d, v) end
    end
    if (img.essential or img.mergedusr ~= nil) and not img.packages then
      check.failat(where, img.essential and "essential" or "mergedusr",
        "image: %s applies to Debian packages; add packages = { ... }", img.essential and "essential" or "mergedusr")
    end
    if img.minimal and not img.packages then
      check.failat(where, "minimal", "image: minimal applies to Debian packages; add packages = { ... }")
    end
    if img.minimal and img.essential then
      check.failat(where, "minimal", "image: minimal = true (exactly the packages asked for) and essential = true "
        .. "(the whole Essential set) contradict each other: keep one")
    end
    for _, k in ipairs(configfields) do
      if t[k] ~= nil then check.text(where, k, t[k]) end
    end
    -- what a Docker image cannot hold, and what an OCI one cannot
    local format = img.format or G.format or M.defaultformat
    local fromwhere = img.format and "" or " (the build's --format)"
    if format == "docker" then
      if (img.compression or G.compression) == "zstd" then
        fail(where, "compression: zstd has no Docker media type, and this image is format = \"docker\"%s: "
          .. "use compression = \"gzip\" or \"none\", or format = \"oci\"", fromwhere)
      end
      if next(img.annotations) then
        fail(where, "annotations: a Docker manifest has none, and this image is format = \"docker\"%s: "
          .. "use labels, or format = \"oci\"", fromwhere)
      end
    elseif img.config.Healthcheck then
      fail(where, "healthcheck: an OCI image config has no healthcheck; add format = \"docker\" "
        .. "(Docker's image format, which podman and Docker run healthchecks from)")
    end
    local seenlayer = {}
    for _, l in ipairs(img.layers) do
      if seenlayer[l] then fail(where, "layer '%s' is used twice in image '%s'", l.id, t.name) end
      seenlayer[l] = true
    end
    G.images[#G.images + 1] = img
    G.imagebyname[t.name] = img
    return img
  end

  -- a Debian repository: url (http, https or file), suite, components, keyring, snapshot
  function D.repository(t)
    local where = caller(2)
    checkfields(where, "repository", t, repofields)
    if t.kind ~= nil and t.kind ~= "deb" then
      if t.kind ~= "apk" then check.failat(where, "kind", "repository: kind must be \"deb\" or \"apk\"") end
      local r = require("imagegen.alpine").repository(where, t, function(p)
        local k = srcpath(where, "repository: keys", p)
        if native.stat(k) ~= "file" then check.failat(where, "keys", "repository: key '%s' not found", show(p)) end
        addinput(G, k, file)
        return k
      end)
      return setmetatable(r, Repository)
    end
    for _, k in ipairs { "arch", "keys" } do
      if t[k] ~= nil then check.failat(where, k, "repository: %s is a field of kind = \"apk\" (a Debian repository has keyring)", k) end
    end
    if not isstring(t.url) or not (t.url:match("^https?://") or t.url:match("^file:")) then
      check.failat(where, "url", "repository: url must be an http, https or file URL")
    end
    if not isstring(t.suite) or t.suite == "" then check.failat(where, "suite", "repository: no suite (such as 'stable')") end
    local r = setmetatable({ where = where, url = t.url:gsub("/+$", ""), suite = t.suite,
      components = t.components and stringlist(where, "repository: components", t.components) or { "main" } }, Repository)
    if t.keyring ~= nil then
      local k = srcpath(where, "repository: keyring", t.keyring)
      if native.stat(k) ~= "file" then
        check.failat(where, "keyring", "repository: keyring '%s' not found", show(t.keyring))
      end
      addinput(G, k, file)
      r.keyrings = { k }
    end
    -- a snapshot archive of the repository (Debian's scheme: URL/TIMESTAMP/pool/...), where a
    -- locked .deb that the mirror no longer has is fetched from, as of the lock's Release
    if t.snapshot ~= nil and t.snapshot ~= false then
      if not isstring(t.snapshot) or not (t.snapshot:match("^https?://[^%s]+$") or t.snapshot:match("^file:[^%s]+$")) then
        check.failat(where, "snapshot", "repository: snapshot must be the http, https or file URL of a snapshot "
          .. "archive (its timestamps below it), or false")
      end
      r.snapshot = t.snapshot:gsub("/+$", "")
    end
    return r
  end

  -- a command's outputs: a path, dir "name", or a list of them; a folder as { name = ... }
  local function outputlist(where, v)
    local one = unview(v)
    if isstring(v) or debug.getmetatable(one) == Source then v = { v } end
    if type(v) ~= "table" or debug.getmetatable(v) then
      fail(where, "outputs: expected a path, dir \"name\" or a list of them")
    end
    local out = {}
    for k in pairs(v) do
      if math.type(k) ~= "integer" then fail(where, "outputs: expected a list, found key '%s'", tostring(k)) end
    end
    for i, o in ipairs(v) do
      local s = unview(o)
      if debug.getmetatable(s) == Source and s.kind == "outdir" then
        out[i] = { name = nonul(where, string.format("outputs[%d]", i), s.name) }
      elseif isstring(o) then
        out[i] = nonul(where, string.format("outputs[%d]", i), o)
      else
        fail(where, "outputs[%d]: expected a path or dir \"name\", got %s", i, kind(o))
      end
    end
    return out
  end

  -- where a step in an image sees an input: its path in the step's folder,
  -- relative to this definition's folder (a file) or to its outputs' (an output)
  local function mountname(where, what, src, cmd)
    local base = src.output and gendir or dir
    local rel = path.relative(base, src.path)
    if path.isabs(src.path) ~= path.isabs(base) or rel == "." or rel == ".." or rel:sub(1, 3) == "../" then
      fail(where, "%s: '%s' is outside the folder of this definition%s; a step in an image sees its inputs in its "
        .. "own folder, at the paths they have in the definition's", what, show(src.name),
        src.output and "'s outputs" or "")
    end
    for _, o in ipairs(cmd.outputs) do
      if rel == o.name or rel:sub(1, #o.name + 1) == o.name .. "/" or o.name:sub(1, #rel + 1) == rel .. "/" then
        fail(where, "%s: '%s' would be where outputs[%d] '%s' is, in the step's folder", what, show(rel), o.index,
          show(o.name))
      end
    end
    return rel
  end

  function D.command(t)
    local where = caller(2)
    checkfields(where, "command", t, commandfields)
    if t.outputs == nil then fail(where, "command: no outputs") end
    if t.run == nil then fail(where, "command: no run") end
    local cmd = setmetatable({ where = where, outputs = {}, inputs = {}, sources = {}, mounts = {},
      description = t.description }, Command)
    for i, o in ipairs(outputlist(where, t.outputs)) do
      local folder = false
      if type(o) == "table" then folder, o = true, o.name end
      if o == "" or path.isabs(o) or path.normalize(o):sub(1, 2) == ".." or path.normalize(o) == "." or o:find("%z") then
        if t.image ~= nil then
          fail(where, "outputs[%d]: '%s' is outside the step's folder (the image's workdir, or /out): an output is "
            .. "a relative path in it", i, show(o))
        end
        fail(where, "outputs[%d]: '%s' must be a relative path inside the build folder", i, show(o))
      end
      local p = path.join(gendir, o)
      if G.outputs[p] then fail(where, "outputs[%d]: '%s' is also an output at %s", i, show(o), G.outputs[p]) end
      -- nothing is an output inside a folder another output is
      local up = path.dirname(p)
      while up ~= "." and up ~= "/" do
        if G.folders[up] then
          fail(where, "outputs[%d]: '%s' is inside the folder '%s', an output at %s", i, show(o),
            show(path.relative(gendir, up)), G.folders[up])
        end
        up = path.dirname(up)
      end
      if folder then
        for q, at in pairs(G.outputs) do
          if q:sub(1, #p + 1) == p .. "/" then
            fail(where, "outputs[%d]: the folder '%s' holds '%s', an output at %s", i, show(o),
              show(path.relative(gendir, q)), at)
          end
        end
        G.folders[p] = where
      end
      G.outputs[p] = where
      local out = setmetatable({ path = p, command = cmd, index = i, folder = folder, name = path.normalize(o) },
        Output)
      cmd.outputs[i] = out
      cmd.outputs[o] = out
    end
    -- a step in an image: where it runs, and whether it has the network
    if t.image ~= nil then
      local img = unview(t.image)
      if not isstring(img) and debug.getmetatable(img) ~= Image then
        fail(where, "image: expected an image of this graph (image { ... }) or its name, got %s", kind(t.image))
      end
      cmd.image = img
    end
    if t.network ~= nil then
      if type(t.network) ~= "boolean" then fail(where, "network: expected true or false") end
      if not cmd.image then
        fail(where, "network: only a step in an image (image = ...) has it off or on; a command without one "
          .. "runs on this machine, with its network")
      end
      cmd.network = t.network
    end
    for i, v in ipairs(t.inputs == nil and {} or type(t.inputs) == "table" and debug.getmetatable(t.inputs) == nil and t.inputs or { t.inputs }) do
      local what = string.format("inputs[%d]", i)
      local src = isstring(v) and filesource(where, what, v) or tosource(where, what, v)
      if src.kind ~= "file" and src.kind ~= "output" and src.kind ~= "external" and src.kind ~= "folder" then
        fail(where, "%s: a command's inputs are files, externals or other commands' outputs", what)
      end
      cmd.inputs[i] = src.path
      cmd.sources[i] = src
      if cmd.image then cmd.mounts[i] = mountname(where, what, src, cmd) end
      -- built from a per-platform output: built per platform too
      if src.output and src.output.command.perplatform then cmd.perplatform = true end
    end
    -- a run that depends on the platform (a function of it, or naming
    -- $os, $arch, $variant or $platform) is run once per platform
    if type(t.run) == "function" then
      cmd.runfn = t.run
      cmd.perplatform = true
    elseif isstring(t.run) then
      cmd.run = nonul(where, "run", t.run)
      if t.run:gsub("%$%$", ""):find("%$os%f[^%w_]") or t.run:gsub("%$%$", ""):find("%$arch%f[^%w_]") or
          t.run:gsub("%$%$", ""):find("%$variant%f[^%w_]") or t.run:gsub("%$%$", ""):find("%$platform%f[^%w_]") then
        cmd.perplatform = true
      end
    else
      cmd.argv = stringlist(where, "run", t.run)
    end
    if t.description ~= nil and not isstring(t.description) then fail(where, "description: expected a string") end
    -- outputs from the build cache (--cache), keyed by the run and the inputs' contents
    if t.cache ~= nil and type(t.cache) ~= "boolean" then fail(where, "cache: expected true or false") end
    cmd.cache = t.cache == true
    G.commands[#G.commands + 1] = cmd
    return cmd
  end

  -- read a file of the source tree; it becomes an input of the regeneration
  function D.read(p)
    local where = caller(2)
    local full = projectpath(where, "read", p)
    local data, err = native.readfile(full)
    if not data then fail(where, "read: '%s': %s", show(p), err) end
    addinput(G, full, file)
    return data
  end

  -- the sorted names in a folder of the source tree; the folder becomes an input
  function D.listdir(p)
    local where = caller(2)
    local full = projectpath(where, "listdir", p or ".")
    local names, err = native.listdir(full)
    if not names then fail(where, "listdir: '%s': %s", show(p or "."), err) end
    addinput(G, full, file)
    return names
  end

  -- the files of the project a pattern matches (or any of several), less
  -- what exclude matches: a sorted list of paths relative to this folder;
  -- every folder read becomes an input, so that a new match regenerates
  function D.glob(t)
    local where = caller(2)
    if isstring(t) then t = { t } end
    if type(t) ~= "table" or debug.getmetatable(t) then
      fail(where, "glob: expected a pattern, or { pattern, ..., exclude = { pattern, ... } }, got %s", kind(t))
    end
    checkfields(where, "glob", t, globfields, math.max(#t, 1))
    if #t == 0 then fail(where, "glob: no pattern, such as \"src/**/*.js\"") end
    local exclude = patternlist(where, "glob: exclude", t.exclude)
    local files, seen = {}, {}
    for i, p in ipairs(t) do
      local what = #t > 1 and string.format("glob[%d]", i) or "glob"
      if not isstring(p) then fail(where, "%s: expected a pattern string, got %s", what, kind(p)) end
      if p:sub(1, 1) == "/" then
        fail(where, "%s: '%s' is absolute; a pattern is relative to the definition's folder", what, show(p))
      end
      if p:sub(1, 1) == "!" then
        fail(where, "%s: '%s' starts with '!'; leave files out with exclude = { ... } (or write \\! for a name "
          .. "starting with !)", what, show(p))
      end
      if p:sub(-1) == "/" then fail(where, "%s: '%s' ends in '/', but glob lists files, not folders", what, show(p)) end
      for name in (p .. "/"):gmatch("([^/]*)/") do
        if name == ".." then
          fail(where, "%s: '%s' climbs out of the definition's folder with '..': a glob lists files of the project "
            .. "below its definition (include a definition there to list its files)", what, show(p))
        end
      end
      local ok, err = native.pattern(p, true)
      if not ok then fail(where, "%s: '%s' %s", what, show(p), err) end
      local found, folders = native.glob(projectpath(where, "glob", "."), p, exclude)
      for _, f in ipairs(folders) do addinput(G, f, file) end
      for _, f in ipairs(found) do
        if not seen[f] then
          seen[f] = true
          files[#files + 1] = f
        end
      end
    end
    table.sort(files)
    return files
  end

  -- a build argument: imagegen -D NAME=VALUE, else IMAGEGEN_ARG_NAME, else the default (imagegen.args)
  function D.arg(name, default)
    return buildargs.ask(G.args, caller(2), name, default)
  end

  -- a command line for /bin/sh -c, for cmd and entrypoint: a plain list
  function D.sh(line)
    local where = caller(2)
    if not isstring(line) or line == "" then
      fail(where, "sh: expected a command line, such as sh \"exec /app/server --port $PORT\"")
    end
    return { "/bin/sh", "-c", nonul(where, "sh", line) }
  end

  function D.include(p)
    local where = caller(2)
    local full, kind = projectpath(where, "include", p)
    if kind == "dir" then full = path.join(full, "build.lua") end
    return M.load(G, full, where, file)
  end

  return D
end

local safe = { "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
  "rawset", "select", "setmetatable", "getmetatable", "tonumber", "tostring", "type", "xpcall", "_VERSION" }
local safelibs = { "string", "table", "math", "utf8" }

-- strings' methods stay the generator's: a definition's getmetatable("")
-- gives this, not the table whose string functions the generator calls
debug.getmetatable("").__metatable = "string"

-- The hook over the definitions (native.evalhook) takes line events only
-- while definition code runs: imagegen's own code that a definition calls
-- (a declaration, include) runs without them, under the CPU budget's timer
-- alone. (A line event there costs more than the line; and the line that
-- called is the definition's last.) lines(on) turns them on or off and
-- returns what turns them back when closed, an error's unwinding too.
--
-- The budget (IMAGEGEN_EVAL_SECONDS) is the definitions' and that of what
-- is worked out from them: it starts with the top definition and ends when
-- the graph is resolved (M.endbudget), packages and the run functions of
-- commands included. resolving names what is being resolved, for the
-- line that says the budget is spent.
local evaluating = false  -- whether the definitions are running
local budgeting = false   -- whether the budget's hook is on
local resolving = nil     -- "build.lua:3", an image (build.lua:3: image 'a'), or nil while definition code runs
local linesback = {
  [true] = setmetatable({}, { __close = function() native.evallines(true) end }),
  [false] = setmetatable({}, { __close = function() native.evallines(false) end }),
}

local function lines(on)
  if not native.evallines(on) then return nil end
  return linesback[not on]
end

-- what every sandbox starts from (then each has its own copies)
local basics = {}
for _, k in ipairs(safe) do basics[k] = _G[k] end

-- no __gc: Lua runs finalizers with the hooks off, out of the budget's reach
function basics.setmetatable(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("setmetatable: a definition's metatable cannot have __gc (it would run outside the CPU budget)", 2)
  end
  return setmetatable(t, mt)
end

-- a declaration as the sandbox has it: its lines event off while it runs,
-- and a view of what it made (include, sh and glob: what they return);
-- check.caller skips these (known by the line each is defined on)
local function plainwrapper(fn)
  return function(...)
    local _ <close> = lines(false)
    return fn(...)
  end
end

local function viewwrapper(fn)
  return function(...)
    local _ <close> = lines(false)
    return view(fn(...))
  end
end

do
  local here = debug.getinfo(1, "S").source
  check.wrappers[here] = { [debug.getinfo(plainwrapper(print), "S").linedefined] = true,
    [debug.getinfo(viewwrapper(print), "S").linedefined] = true }
end

local function sandbox(G, file)
  local env = native.copy(basics)
  for _, lib in ipairs(safelibs) do env[lib] = native.copy(_G[lib]) end
  env.print = function(...)
    local parts = table.pack(...)
    for i = 1, parts.n do parts[i] = tostring(parts[i]) end
    io.stderr:write(table.concat(parts, "\t"), "\n")
  end
  -- each declaration hands back views of what it made (include passes on
  -- what the included file returned)
  for k, fn in pairs(declarations(G, file)) do
    if k == "include" or k == "sh" or k == "glob" then env[k] = plainwrapper(fn) else env[k] = viewwrapper(fn) end
  end
  env.scratch = view(M.scratch)
  env._G = env
  return env
end

-- what evaluating the definitions may take: CPU seconds and MiB
local function budget(name, default)
  local v = native.getenv(name)
  if v == nil or v == "" then return default end
  local n = math.tointeger(tonumber(v))
  -- no file:line to name: the host puts "imagegen: " before the message, once
  if not n or n < 1 then error({ msg = string.format("%s='%s' is not a positive whole number", name, v) }, 0) end
  return n
end

-- what the hook calls when the definitions have spent their CPU budget; a
-- definition that catches the error and goes on is stopped
local function exceeded(seconds)
  local spent = false
  return function()
    local msg = string.format("%s: the definitions ran for more than %d s of CPU (IMAGEGEN_EVAL_SECONDS; "
      .. "an endless loop?)", check.lastwhere(), seconds)
    if resolving then
      local what = resolving
      if type(what) == "table" then what = string.format("%s: image '%s'", what.where, what.name) end
      msg = string.format("%s: the definitions and resolving them took more than %d s of CPU "
        .. "(IMAGEGEN_EVAL_SECONDS)", what, seconds)
    end
    if spent then
      io.stderr:write("imagegen: ", msg, "\n")
      os.exit(1)
    end
    spent = true
    error({ msg = msg }, 0)
  end
end

-- evaluate one definition file (once); returns what the file returns
function M.load(G, file, where, from)
  file = path.normalize(file)
  if G.loaded[file] then return table.unpack(G.loaded[file]) end
  if G.loading[file] then fail(where or show(file), "include cycle: '%s' includes itself", show(file)) end
  local src, err = native.readfile(file)
  if not src then
    if where then fail(where, "%s: %s", file, err) end
    fail(show(file), "%s", err)
  end
  addinput(G, file, from and path.normalize(from))
  G.sources[file] = src
  local env = sandbox(G, file)
  local chunk, msg = load(src, "@" .. file, "t", env)
  if not chunk then error({ msg = msg }, 0) end
  check.definitions["@" .. file] = true
  check.texts[show(file)] = src  -- for errors at a field's line (check.at)
  G.loading[file] = true
  local top = not evaluating
  if top then
    evaluating = true
    if not budgeting then
      local seconds = budget("IMAGEGEN_EVAL_SECONDS", 60)
      budgeting = true
      native.evalhook(seconds, check.definitions, exceeded(seconds))
    end
  end
  local ok, ret = xpcall(function()
    local _ <close> = lines(true)
    return table.pack(chunk())
  end, function(e)
    if type(e) == "string" and e ~= "not enough memory" and native.getenv("IMAGEGEN_DEBUG") then
      return debug.traceback(e, 2)
    end
    -- a call of a name the sandbox does not have: the nearest it has
    local at, name
    if type(e) == "string" then at, name = e:match("^(.-:%d+): attempt to call a nil value %(global '([%w_]+)'%)$") end
    if at then
      local near = check.nearest(name, env)
      return { msg = string.format("%s: '%s' is not defined%s", at, name,
        near and string.format("; did you mean '%s'?", near) or "") }
    end
    return check.errorobject(e)
  end)
  if top then
    native.evallines(false)  -- resolving runs under the timer alone
    evaluating = false
  end
  if not ok then
    if ret == "not enough memory" then
      collectgarbage()
      fail(check.lastwhere(), "the definitions used more memory than allowed (IMAGEGEN_EVAL_MEMORY=%d MiB)",
        budget("IMAGEGEN_EVAL_MEMORY", 4096))
    end
    error(ret, 0)
  end
  G.loading[file] = nil
  G.loaded[file] = ret
  return table.unpack(ret, 1, ret.n)
end
-- resolving(what): what the generator resolves now ("build.lua:3", or an
-- image: "build.lua:3: image 'a'", made only if the budget is spent), for
-- the line that says the budget is spent; returns what it was
function M.resolving(what)
  local outer = resolving
  resolving = what
  return outer
end

-- call a definition's function after the definitions ran (a command's
-- run function) as definition code, under the budget: pcall's answers,
-- an error as check.errorobject makes it
function M.call(fn, ...)
  local outer = M.resolving(nil)
  local ok, ret = xpcall(function(...)
    local _ <close> = lines(true)
    return fn(...)
  end, check.errorobject, ...)
  resolving = outer
  return ok, ret
end

-- the end of the budget, once the graph is resolved
function M.endbudget()
  if budgeting then native.evalstop() end
  budgeting, resolving = false, nil
end

-- for imagegen.resolve, which makes layers of its own (packages, accounts)
M.mksource, M.Layer, M.External = mksource, Layer, External

return M
