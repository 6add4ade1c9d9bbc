-- imagegen.apt: what apt in an image knows of where its packages came
-- from, as entries of the image's dpkg layer (made only when apt is one of
-- its packages):
--   /etc/apt/sources.list.d/imagegen.sources   the repositories the image
--       was resolved against, in deb822 form, in the order given (those of
--       the same URL, components and keyring as one paragraph, their
--       suites together); a file: or 127.0.0.1 URL as it is
--   the keyrings they were verified with: a repository's one keyring as
--       /etc/apt/keyrings/NAME (its Signed-By); apt's trusted keys (a
--       repository that names none) as /etc/apt/trusted.gpg.d/NAME, with no
--       Signed-By, as apt on this machine verified them
--   /var/lib/apt/extended_states   every package the request did not name
--       (nor the defaults, nor what essential = true brings) marked
--       Auto-Installed, as apt-get install marks a dependency, by name
local lang = require "imagegen.lang"
local path = require "imagegen.path"

local mksource = lang.mksource

local M = {}

-- the image's apt files as layer entries, or nothing when apt is not in it
function M.entries(img, r)
  local repos = r.repositories or (r.baser and r.baser.repositories)
  r.repositories = repos
  local hasapt = false
  for _, p in ipairs(r.debs) do hasapt = hasapt or p.name == "apt" end
  if not hasapt or not repos then return {} end
  local ctx = img.where .. ": packages: apt"
  local entries = {}
  local function add(p, source)
    entries[#entries + 1] = { ctx = ctx, path = p, source = source, uid = 0, gid = 0, mode = 420 }
  end

  -- each keyring once, by its name in the image (a second of the same name gets -2, -3, ...)
  local placed, taken = {}, {}
  local function place(dir, k)
    if placed[k] then return placed[k] end
    local name = path.basename(k)
    local base, ext = name:match("^(.-)(%.[^.]*)$")
    if not base or base == "" then base, ext = name, "" end
    local p, n = dir .. "/" .. name, 1
    while taken[p] do
      n = n + 1
      p = string.format("%s/%s-%d%s", dir, base, n, ext)
    end
    taken[p], placed[k] = true, p
    add(p, mksource { kind = "file", path = k, name = k })
    return p
  end
  local paras = {}
  for _, rp in ipairs(repos) do
    local signedby = ""
    local keys = rp.keyrings or {}
    if #keys == 1 then
      signedby = "/" .. place("etc/apt/keyrings", keys[1])
    else
      for _, k in ipairs(keys) do place("etc/apt/trusted.gpg.d", k) end
    end
    local comps = table.concat(rp.components or { "main" }, " ")
    local last = paras[#paras]
    if last and last.url == rp.url and last.comps == comps and last.signedby == signedby then
      last.suites[#last.suites + 1] = rp.suite
    else
      paras[#paras + 1] = { url = rp.url, comps = comps, signedby = signedby, suites = { rp.suite } }
    end
  end
  local text = { "# the repositories this image was built from (imagegen)\n" }
  for _, p in ipairs(paras) do
    text[#text + 1] = string.format("\nTypes: deb\nURIs: %s\nSuites: %s\nComponents: %s\n%s", p.url,
      table.concat(p.suites, " "), p.comps, p.signedby ~= "" and ("Signed-By: " .. p.signedby .. "\n") or "")
  end
  add("etc/apt/sources.list.d/imagegen.sources", mksource { kind = "text", data = table.concat(text) })

  local auto = {}
  for _, p in ipairs(r.debs) do
    if p.auto then auto[#auto + 1] = p end
  end
  table.sort(auto, function(a, b)
    if a.name ~= b.name then return a.name < b.name end
    return a.architecture < b.architecture
  end)
  local states = {}
  for i, p in ipairs(auto) do
    states[i] = string.format("Package: %s\nArchitecture: %s\nAuto-Installed: 1\n", p.name,
      p.architecture == "all" and r.arch or p.architecture)
  end
  add("var/lib/apt/extended_states", mksource { kind = "text", data = table.concat(states, "\n") })
  return entries
end

return M
