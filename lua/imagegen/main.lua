-- imagegen.main: the generator's command line.
--   imagegen [-G ninja|make] [-o FILE] [-D NAME=VALUE]... DEFINITION.lua
--   imagegen lock [--json] DEFINITION.lua   (--json: what changed, lock.changes)
-- The make plugin (plugin/cmd/gmake.c) calls it with --plugin --exe PATH: the
-- rules come back as a string for make to evaluate instead of a file.
local native = require "imagegen.native"
-- first: it records what the natives answer, before a module keeps one
local regen = require "imagegen.regen"
local partial = require "imagegen.partial"
local lang = require "imagegen.lang"
local resolve = require "imagegen.resolve"
local plan = require "imagegen.plan"
local lock = require "imagegen.lock"
local path = require "imagegen.path"
local json = require "imagegen.json"
local buildargs = require "imagegen.args"

local M = {}

-- the usage is the command table's (plugin/cmd/main.c), through native.usage
local function usageerror(msg)
  local usage = native.usage():gsub("\n", "\n       ")
  io.stderr:write("imagegen: ", msg, "\n", "usage: ", usage, "\n", "(imagegen --help for more)\n")
  return 2
end

-- a build cache's repository: host[:port]/repository, no tag or digest
local function cacherepo(s)
  return s:match("^[^/@%s]+/[a-z0-9][a-z0-9._/%-]*$") and not s:find("//") and not s:find("/$")
end

function M.main(args)
  -- the graph lives until imagegen exits, and a collection finds little
  -- else: one runs when the heap has grown tenfold, not twofold (at 10,000
  -- images, a quarter of the time; 550 MB instead of 470 MB at the most).
  -- Near IMAGEGEN_EVAL_MEMORY, Lua collects before it gives up.
  collectgarbage("incremental", 1000)
  -- nothing read has changed since the last generation: its outputs stand
  -- or only one definition's answers changed: imagegen.partial may redo it alone
  local last, changed
  if args[1] ~= "lock" then
    local done
    done, last, changed = regen.unchanged(args)
    if done then return done end
    regen.start()
  end
  local backend, output, def, exe, plugin = "ninja", nil, nil, nil, false
  local locked, lockmode, compression, format, jsonout, maxlayers = false, false, nil, nil, false, nil
  local cache, cachepush = native.getenv("IMAGEGEN_CACHE_REPO"), native.getenv("IMAGEGEN_CACHE_PUSH")
  if cache == "" then cache = nil end
  if cache and not cacherepo(cache) then
    return usageerror("IMAGEGEN_CACHE_REPO='" .. cache .. "' is not a registry repository, host[:port]/repository")
  end
  if cachepush and cachepush ~= "" and cachepush ~= "0" and cachepush ~= "1" then
    return usageerror("IMAGEGEN_CACHE_PUSH='" .. cachepush .. "' is not 0 or 1")
  end
  cachepush = cachepush == "1"
  -- build arguments: -D NAME=VALUE (last wins), and for the make plugin
  -- --make-arg NAME=VALUE, make's IMAGEGEN_ARG_NAME (instead of the environment)
  local given, order, makeargs = {}, {}, nil
  local i = 1
  if args[1] == "lock" then
    lockmode = true
    i = 2
  end
  while i <= #args do
    local a = args[i]
    if a == "-o" or a == "-G" or a == "--exe" then
      if not args[i + 1] then return usageerror("option " .. a .. " needs a value") end
      if a == "-o" then output = args[i + 1]
      elseif a == "-G" then backend = args[i + 1]
      else exe = args[i + 1] end
      i = i + 2
    elseif a:sub(1, 2) == "-D" then
      local nv = a:sub(3)
      if a == "-D" then nv = args[i + 1] end
      if not nv then return usageerror("option -D needs NAME=VALUE") end
      local name, value = buildargs.parse(nv)
      if not name then return usageerror(value) end
      if given[name] == nil then order[#order + 1] = name end
      given[name] = value
      i = i + (a == "-D" and 2 or 1)
    elseif a == "--make-arg" then
      local name, value = buildargs.parse(args[i + 1] or "", true)
      if not name then
        io.stderr:write("imagegen: ", value, "\n")
        return 2
      end
      makeargs = makeargs or {}
      makeargs[name] = value
      i = i + 2
    elseif a == "--plugin" then
      plugin = true
      i = i + 1
    elseif a == "--json" and lockmode then
      jsonout = true
      i = i + 1
    elseif a == "--locked" then
      locked = true
      i = i + 1
    elseif a == "--cache" then
      cache = args[i + 1]
      if not cache or not cacherepo(cache) then
        return usageerror("--cache takes a registry repository, host[:port]/repository")
      end
      i = i + 2
    elseif a == "--cache-push" then
      cachepush = true
      i = i + 1
    elseif a == "--compression" then
      compression = args[i + 1]
      if not lang.compressions[compression or ""] then
        return usageerror("--compression takes gzip, zstd or none")
      end
      i = i + 2
    elseif a == "--format" then
      format = args[i + 1]
      if not lang.formats[format or ""] then
        return usageerror("--format takes oci or docker")
      end
      i = i + 2
    elseif a == "--max-layers" then
      maxlayers = args[i + 1]
      local n = math.tointeger(tonumber(maxlayers or ""))
      if not (maxlayers or ""):match("^%d+$") or not n or n < 1 or n > 10000 then
        return usageerror("--max-layers takes a number of layers from 1 to 10000")
      end
      i = i + 2
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      return usageerror("unknown option '" .. a .. "'")
    elseif def then
      return usageerror("one definition file at a time; got '" .. def .. "' and '" .. a .. "'")
    else
      def = a
      i = i + 1
    end
  end
  if not def then return usageerror("no definition file") end
  if cachepush and not cache then return usageerror("--cache-push needs a cache: --cache HOST/REPOSITORY") end
  local ok, rules = pcall(require, "rules." .. backend)
  if not ok or not backend:match("^%w+$") then
    return usageerror("unknown backend '" .. backend .. "' (known: ninja, make)")
  end
  output = output or rules.defaultoutput

  -- the graph, and what saves the lock (never, with nolock)
  local function newgraph(nolock)
    local G = lang.newgraph(def)
    -- under the make plugin make's variables, which hold the environment's
    G.args = buildargs.new(given, order, plugin and function(name) return (makeargs or {})[name] end or nil)
    G.compression = compression or G.compression
    G.format = format or lang.defaultformat
    G.maxlayers = maxlayers and math.tointeger(tonumber(maxlayers))
    -- the options that change what is built, for the provenance (a rebuild gives them again)
    G.options = { compression = compression, format = format, maxlayers = maxlayers }
    local savelock = lock.hook(G, { lockpath = path.join(path.dirname(def), "imagegen.lock"),
      locked = locked or nolock, relock = lockmode and not nolock })
    return G, savelock
  end
  -- the regeneration's command line: the options given, the -D flags, then the backend and the file
  local function regenline(G)
    local regenargs = {}
    local function option(flag, value)
      if not value then return end
      regenargs[#regenargs + 1] = flag
      if value ~= true then regenargs[#regenargs + 1] = value end
    end
    option("--cache", cache)
    option("--cache-push", cachepush)
    option("--max-layers", maxlayers)
    option("--format", format)
    option("--compression", compression)
    option("--locked", locked)
    for _, a in ipairs(buildargs.flags(G.args)) do regenargs[#regenargs + 1] = a end
    for _, a in ipairs { "-G", backend, "-o", output, def } do regenargs[#regenargs + 1] = a end
    return regenargs
  end
  if changed and not lockmode and backend == "ninja" and not plugin and not cache then
    local done = partial.try({ argv = args, output = output, exe = exe or native.exe(),
      regenargs = regenline(newgraph(true)), newgraph = function() return (newgraph(true)) end }, last, changed)
    if done then return done end
  end
  local G, savelock = newgraph(false)
  partial.watch(G)
  lang.load(G, def)
  resolve.graph(G)
  lang.endbudget()
  buildargs.warnunused(G.args)
  if lockmode then
    local changes = savelock(jsonout)
    if jsonout then io.stdout:write(json.line(changes)) end
    return 0
  end
  if not locked then savelock() end
  -- from here only imagegen's own code runs (no definition's), and most of
  -- what it makes lives to the end: a collection would mark the whole
  -- graph to free little (at 10,000 images a tenth of the time, for 10%
  -- more memory). Near IMAGEGEN_EVAL_MEMORY, Lua still collects.
  collectgarbage("stop")
  local P = plan.build(G, regenline(G), output, cache and { repo = cache, push = cachepush })
  P.regen.env = buildargs.environment(G.args)
  -- the spec files are written by a thread of their own while the rules
  -- are made, as temporaries; renamed over the files once the rules are
  -- made (an error in them leaves the files as they were, and no
  -- temporary: closing the writer before its commit removes them), while
  -- partial's meta is made
  local writer <close> = native.writefiles(rules.specs(P))
  local text = rules.write(P, exe or native.exe(), plugin)
  local recorded = regen.stop()
  local ok, err = writer:commit()
  if not ok then error(err, 0) end
  for _, p in ipairs(P.aliases) do native.makealias(p) end
  -- a build that had a cache and has none now: its helpers find none
  if not cache and native.stat(plan.cacheconf) then native.writefile(plan.cacheconf, "{}\n") end
  local written = {}
  for i, s in ipairs(P.specs) do written[i] = s.path end
  local meta = not plugin and partial.meta(G, P, text, backend) or nil
  ok, err = writer:wait()
  if not ok then error(err, 0) end
  if plugin then
    regen.save(args, recorded, written, P.aliases, nil, text)
    return text
  end
  -- make compares mtimes only: an unchanged file is touched so that it is
  -- newer than the definitions it was made from
  if not native.writefile(output, text) and rules.touchunchanged then native.touch(output) end
  written[#written + 1] = output
  regen.save(args, recorded, written, P.aliases, rules.touchunchanged and output, nil, meta)
  return 0
end

return M
