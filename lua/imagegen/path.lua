-- imagegen.path: lexical path operations on '/'-separated strings.
local native = require "imagegen.native"

local M = {}

-- whether p is as normalize makes it already: after the "../" it starts
-- with, no empty, "." or ".." component, and no "/" at the end (but "/"
-- itself). Most paths are, "../src/app/main.c" among them.
local normal = native.isnormal

-- "a/./b//c/../d" -> "a/b/d"; leading ".." kept; "" -> "."
function M.normalize(p)
  if normal(p) then return p end
  local abs = p:sub(1, 1) == "/"
  local out = {}
  for part in p:gmatch("[^/]+") do
    if part == ".." then
      if #out > 0 and out[#out] ~= ".." then
        out[#out] = nil
      elseif not abs then
        out[#out + 1] = ".."
      end
    elseif part ~= "." then
      out[#out + 1] = part
    end
  end
  local s = table.concat(out, "/")
  if abs then return "/" .. s end
  return s == "" and "." or s
end

function M.isabs(p)
  return p:sub(1, 1) == "/"
end

function M.join(dir, p)
  if M.isabs(p) or dir == "." then return M.normalize(p) end
  return M.normalize(dir .. "/" .. p)
end

function M.dirname(p)
  local d = p:match("^(.*)/[^/]*$")
  if d == nil then return "." end
  if d == "" then return "/" end
  return d
end

function M.basename(p)
  -- after the last '/' (an anchored match: "([^/]*)$" tries every start)
  local slash = p:match("^.*()/")
  return slash and p:sub(slash + 1) or p
end

-- the path of p relative to the folder base, both relative to the same place
function M.relative(base, p)
  if base == "." then return p end
  if p == base then return "." end
  if p:sub(1, #base + 1) == base .. "/" then return p:sub(#base + 2) end
  local up = {}
  local b = base
  while b ~= "." and b ~= "/" and p:sub(1, #b + 1) ~= b .. "/" do
    up[#up + 1] = ".."
    b = M.dirname(b)
  end
  local rest = b == "." and p or b == "/" and p:sub(2) or p:sub(#b + 2)
  return M.normalize(table.concat(up, "/") .. "/" .. rest)
end

return M
