-- imagegen.report: what an image's report page (out/NAME.html) needs to
-- know that its blobs do not say, as a spec for the report helper
-- (plugin/read/report.c):
--   name, ctx the image, and where it was declared
--   platforms one entry a platform, in the image's order:
--   image     that platform's image file
--   base      what an imported base came from, when the image has one
--   layers    the layers this build made for the image, its outermost
--             base's first: the image's last ones, in order. Each:
--             { desc, id, source = "files", "layers: app", "package curl" ...,
--               where = "build.lua:12", entries = { { path, ctx } }, and
--               users = the layer's users file, for a layer that other
--               images of the build have too; else shared = {} }
--   A users file (M.users) names every image of the build that has the
--   layer, sorted: one file a shared layer, not a copy in each image's
--   spec (a base's layer is in every image over it, and the copies would
--   grow as the square of the images).
--   packages  its Debian packages: { name, version, architecture,
--             why = { the requested package, ..., this one } }: the chain of
--             Depends that pulled it in, from the lock's via
--   arguments the build arguments the definitions asked for (arg): { name,
--             value, source = "-D", "IMAGEGEN_ARG_NAME" or "default", where },
--             by name; absent when they asked for none
local json = require "imagegen.json"
local buildargs = require "imagegen.args"

local M = {}

-- what made a layer, in a few words
local function source(G, l)
  local debs = {}
  for _, e in ipairs(l.entries) do
    if e.source.kind == "deb" or e.source.kind == "apk" then debs[#debs + 1] = e.source.package end
    if e.source.kind == "dpkg" then return "dpkg database, accounts, alternatives, trust stores" end
    if e.source.kind == "apkdb" then return "apk database, /etc/apk, accounts" end
  end
  if l.budget then return l.budget end
  if #debs == 1 then return "package " .. debs[1] end
  if #debs > 1 then return "packages " .. table.concat(debs, ", ") end
  if G.layerbyname[l.id] == l then return "layer " .. l.name end
  local last = l.entries[#l.entries]
  if last and last.ctx:match(": groups$") then return "users and groups" end
  if l.name == "files" and l.id:match("/files$") then return "files" end
  return "layers: " .. l.name
end

-- an image's platform (r) and its bases' for that platform, the outermost first
local function chain(r)
  local list = {}
  while r do
    table.insert(list, 1, r)
    r = r.baser
  end
  return list
end

local function external(ext)
  if ext.kind == "oci" then return "oci layout " .. ext.name .. ":" .. ext.tag end
  if ext.kind == "archive" then return "docker-archive " .. ext.name end
  return "pull " .. ext.ref .. (ext.digest and ("@" .. ext.digest) or "")
end

-- the chain of packages that pulled p in, the requested one first, from
-- each package's via: at most WHY names, a longer chain's first and its
-- last ones with "... N more" between (a chain of n packages would
-- otherwise be n^2 names). depth memoises each package's length of chain
-- and its first: { n, top }. A via that comes back to the chain (a lock
-- written by hand) ends it there.
local WHY = 8

local function why(p, byname, depth)
  local path, on = {}, {}
  local q = p
  while not depth[q] do
    path[#path + 1], on[q] = q, true
    local up = q.via and byname[q.via]
    if not up or on[up] then
      depth[q] = { 1, q }
    else
      q = up
    end
  end
  -- q's is known: those before it on the path, the nearest first
  for i = #path, 1, -1 do
    if not depth[path[i]] then
      local d = depth[path[i + 1] or q]
      depth[path[i]] = { d[1] + 1, d[2] }
    end
  end
  local n, top = depth[p][1], depth[p][2]
  local last = n <= WHY and n or WHY - 2
  local names = {}
  q = p
  for i = last, 1, -1 do
    names[i] = q.name
    q = byname[q.via or ""]
  end
  if n > WHY then
    table.insert(names, 1, string.format("... %d more", n - last - 1))
    table.insert(names, 1, top.name)
  end
  return names
end

-- the images each layer is in, bases included: { [layer] = { name, ... } },
-- names sorted; made once for the graph
local function layerusers(G)
  if G.layerusers then return G.layerusers end
  local users = {}
  for _, other in ipairs(G.images) do
    for _, r in ipairs(other.resolved) do
      for _, b in ipairs(chain(r)) do
        for _, l in ipairs(b.layers) do
          local list = users[l]
          if not list then
            list = {}
            users[l] = list
          end
          -- an image's names are added one image after another: one that
          -- has the layer already (another platform, or twice) added it last
          if list[#list] ~= other.name then list[#list + 1] = other.name end
        end
      end
    end
  end
  for _, list in pairs(users) do table.sort(list) end
  G.layerusers = users
  return users
end
M.layerusers = layerusers

local function userspath(l)
  return ".imagegen/spec/users/" .. l.id .. ".json"
end

-- the users files of the layers that more than one image has: { path, text } each
function M.users(G)
  local users, files = layerusers(G), {}
  for _, l in ipairs(G.layers) do
    if users[l] and #users[l] > 1 then
      files[#files + 1] = { path = userspath(l), text = json.line(users[l]) }
    end
  end
  return files
end

-- the report spec of img (JSON text) and the users files it names;
-- descof: each layer's descriptor file; imagefile(r): the image file of
-- one of its platforms
function M.spec(G, img, descof, imagefile)
  local users, inputs, named = layerusers(G), {}, {}
  -- a layer's entry is the same in every image that has it: encoded once
  G.reportlayers = G.reportlayers or {}
  local encoded = G.reportlayers
  local platforms = json.array()
  for _, r in ipairs(img.resolved) do
    local layers = json.array()
    local list = chain(r)
    for _, b in ipairs(list) do
      for _, l in ipairs(b.layers) do
        if not encoded[l] then
          local entries = json.array()
          for _, e in ipairs(l.entries) do
            if e.path ~= "" then entries[#entries + 1] = { path = "/" .. e.path, ctx = e.ctx } end
          end
          local layer = { desc = descof[l], id = l.id, source = source(G, l), where = l.where, entries = entries }
          if #users[l] > 1 then layer.users = userspath(l) else layer.shared = json.array() end
          encoded[l] = json.raw(json.encode(layer))
        end
        if #users[l] > 1 and not named[l] then
          inputs[#inputs + 1] = userspath(l)
          named[l] = true
        end
        layers[#layers + 1] = encoded[l]
      end
    end
    local byname, depth, packages = {}, {}, json.array()
    for _, p in ipairs(r.debs) do byname[p.name] = p end
    for _, p in ipairs(r.debs) do
      packages[#packages + 1] = { name = p.name, version = p.version, architecture = p.architecture,
        why = why(p, byname, depth) }
    end
    platforms[#platforms + 1] = { platform = r.platform, image = imagefile(r),
      base = list[1].external and external(list[1].external) or nil, layers = layers, packages = packages }
  end
  return json.line { name = img.name, ctx = img.where .. ": image " .. img.name, platforms = platforms,
    arguments = G.args and buildargs.used(G.args) }, inputs
end

return M
