-- imagegen.plan: the resolved graph as build edges, the same for every backend.
--
-- plan = {
--   store     the blob store folder
--   regen     { args, output, inputs, specs }   rerun imagegen when inputs change
--   commands  { outputs, inputs, command, description }
--   fetches   { path, url, sha256, size, name }  imagegen fetch URL SHA256 SIZE PATH
--   bases     { args, out, inputs, name, pull }  imagegen base ARGS... OUT STORE
--   layers    { id, spec, desc, inputs }        imagegen layer SPEC DESC DEPFILE STORE
--   images    { name, spec, image, layers, dir, index, tar, push, html, report }
--             html: the report page, from the report spec (imagegen.report)
--             push: the reference to push to, for a tag that names a registry
--             imagegen image SPEC IMAGE STORE; layout IMAGE DIR; archive IMAGE TAR;
--             report REPORT HTML STORE
-- }
-- Every file a helper reads that the generator writes (layer and image specs)
-- is listed in plan.specs with its contents; the caller writes them.
local json = require "imagegen.json"
local native = require "imagegen.native"
local lang = require "imagegen.lang"
local report = require "imagegen.report"

local M = {}

local function shellquote(s)
  if s ~= "" and not s:find("[^%w+,%-./@_=:%%]") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end
M.shellquote = shellquote

local function expand(cmd)
  local ins, outs = {}, {}
  for i, p in ipairs(cmd.inputs) do ins[i] = shellquote(p) end
  for i, o in ipairs(cmd.outputs) do outs[i] = shellquote(o.path) end
  if cmd.argv then
    local words = {}
    for i, w in ipairs(cmd.argv) do words[i] = shellquote(w) end
    return table.concat(words, " ")
  end
  local s = cmd.run:gsub("%$%$", "\0")
  s = s:gsub("%$in%f[^%w_]", (table.concat(ins, " "):gsub("%%", "%%%%")))
  s = s:gsub("%$out%f[^%w_]", (table.concat(outs, " "):gsub("%%", "%%%%")))
  return (s:gsub("%z", "$"))
end

local function layerspec(G, l)
  local entries = json.array()
  local inputs = {}
  for _, e in ipairs(l.entries) do
    local s = e.source
    local x = { ctx = e.ctx, path = e.path, uid = e.uid, gid = e.gid, mode = e.mode, xattrs = e.xattrs }
    if s.kind == "file" or s.kind == "output" or s.kind == "external" then
      x.type, x.src, x.srcname = "file", s.path, s.name
      inputs[#inputs + 1] = s.path
    elseif s.kind == "tree" then
      x.type, x.src, x.srcname = "tree", s.path, s.name
      x.mode, x.dirmode, x.follow = s.mode, s.dirmode, s.follow
    elseif s.kind == "text" then
      x.type, x.data = "text", s.data
    elseif s.kind == "symlink" then
      x.type, x.target, x.mode = "symlink", s.target, nil
    elseif s.kind == "dir" then
      x.type = "dir"
    elseif s.kind == "whiteout" or s.kind == "opaque" then
      x.type = s.kind
    elseif s.kind == "deb" then
      x = { ctx = e.ctx, type = "deb", src = s.path, sha256 = s.sha256, size = s.size, url = s.url,
        package = s.package }
      inputs[#inputs + 1] = s.path
    elseif s.kind == "dpkgstatus" then
      x.type, x.debs = "dpkgstatus", json.array()
      for i, d in ipairs(s.debs) do
        x.debs[i] = { src = d.path, sha256 = d.sha256, size = d.size, url = d.url }
        inputs[#inputs + 1] = d.path
      end
    end
    entries[#entries + 1] = x
  end
  return json.encode { name = l.id, epoch = G.epoch, compression = l.compression,
    level = lang.compressions[l.compression], entries = entries } .. "\n", inputs
end

-- an imported base: the helper's arguments, its output and its inputs
local function basespec(G, ext, platform)
  local args, inputs, name
  if ext.kind == "oci" then
    args, inputs, name = { "oci", ext.path, ext.tag, platform }, { ext.path .. "/index.json" }, ext.name .. ":" .. ext.tag
  elseif ext.kind == "archive" then
    args, inputs, name = { "archive", ext.path, platform }, { ext.path }, ext.name
  else
    args, inputs, name = { "pull", ext.ref .. "@" .. ext.digest, platform }, {}, ext.ref .. "@" .. ext.digest
  end
  local id = native.sha256(table.concat(args, "\0")):sub(1, 16)
  return { out = ".imagegen/base/" .. id .. ".json", args = args, inputs = inputs, name = name,
    pull = ext.kind == "pull" }
end

function M.build(G, args, output)
  local P = { store = ".imagegen/blobs", commands = {}, layers = {}, images = {}, specs = {}, fetches = {},
    bases = {} }
  local function spec(p, text)
    P.specs[#P.specs + 1] = { path = p, text = text }
    return p
  end

  for _, c in ipairs(G.commands) do
    local outs = {}
    for i, o in ipairs(c.outputs) do outs[i] = o.path end
    P.commands[#P.commands + 1] = { outputs = outs, inputs = c.inputs, command = expand(c),
      description = c.description or ("CMD " .. outs[1]) }
  end

  local descof, fetched = {}, {}
  for _, l in ipairs(G.layers) do
    for _, e in ipairs(l.used and l.entries or {}) do
      local s = e.source
      if s.kind == "deb" and not fetched[s.path] then
        fetched[s.path] = true
        P.fetches[#P.fetches + 1] = { path = s.path, url = s.url, sha256 = s.sha256, size = s.size,
          name = s.package }
      end
    end
    if l.used then
      local text, inputs = layerspec(G, l)
      local desc = ".imagegen/layer/" .. l.id .. ".json"
      P.layers[#P.layers + 1] = { id = l.id, spec = spec(".imagegen/spec/layer/" .. l.id .. ".json", text),
        desc = desc, inputs = inputs }
      descof[l] = desc
    end
  end

  local bases = {}
  for _, img in ipairs(G.images) do
    local r = img.resolved
    local layers, descs = json.array(), {}
    local seen = {}
    for _, l in ipairs(r.layers) do
      layers[#layers + 1] = { desc = descof[l], created_by = "imagegen layer " .. l.id }
      if not seen[l] then descs[#descs + 1] = descof[l] end
      seen[l] = true
    end
    local config = {}
    for k, v in pairs(r.config) do config[k] = v end
    if config.Env then
      local env, keys = json.array(), {}
      for k in pairs(config.Env) do keys[#keys + 1] = k end
      table.sort(keys)
      for i, k in ipairs(keys) do env[i] = k .. "=" .. config.Env[k] end
      config.Env = env
    end
    for _, k in ipairs { "Entrypoint", "Cmd" } do
      if config[k] then config[k] = json.array(config[k]) end
    end
    -- the base file: another image of this graph, or an imported base
    local basefile
    if r.base then
      basefile = ".imagegen/image/" .. r.base.name .. ".json"
    elseif r.external then
      local b = basespec(G, r.external, r.platform)
      if not bases[b.out] then
        bases[b.out] = b
        P.bases[#P.bases + 1] = b
      end
      basefile = b.out
    end
    if basefile then descs[#descs + 1] = basefile end
    local os_, arch, variant = r.platform:match("^([^/]+)/([^/]+)/?(.*)$")
    local text = json.encode { name = img.name, ctx = img.where .. ": image " .. img.name, epoch = G.epoch,
      ref = img.ref, repo = img.repo,
      platform = { os = os_, architecture = arch, variant = variant ~= "" and variant or nil },
      base = basefile, config = config, layers = layers, annotations = img.annotations } .. "\n"
    P.images[#P.images + 1] = { name = img.name,
      spec = spec(".imagegen/spec/image/" .. img.name .. ".json", text),
      image = ".imagegen/image/" .. img.name .. ".json", layers = descs,
      dir = "out/" .. img.name, index = "out/" .. img.name .. "/index.json",
      tar = "out/" .. img.name .. ".tar", push = img.push, html = "out/" .. img.name .. ".html",
      report = spec(".imagegen/spec/report/" .. img.name .. ".json",
        report.spec(G, img, ".imagegen/image/" .. img.name .. ".json", descof)) }
  end

  local specpaths = {}
  for i, s in ipairs(P.specs) do specpaths[i] = s.path end
  P.regen = { args = args, output = output, inputs = G.inputs, specs = specpaths }
  return P
end

return M
