-- imagegen.args: build arguments. A definition asks for one with
--   arg("VERSION", "dev")
-- and gets a string: the value given as imagegen -D VERSION=1.2, else
-- IMAGEGEN_ARG_VERSION (the environment; under the make plugin, make's
-- variable of that name, which the environment and make's command line
-- set), else the default. -D wins over the environment. Nothing else of the
-- environment reaches the definitions.
--
-- The build file's regeneration command carries the -D flags, and sets the
-- IMAGEGEN_ARG_ variables a definition took a value from, so ninja's and
-- make's own regeneration use the same values. An argument given with -D that no
-- definition asks for is one warning; one asked for without a default and
-- not given, an error at the line that asks.
local native = require "imagegen.native"
local check = require "imagegen.check"

local fail, show = check.fail, check.show

local M = {}

local NAME = "^[A-Za-z_][A-Za-z0-9_]*$"
local RULE = "letters, digits and '_', not starting with a digit"

-- what is wrong with a value given from outside, or nil: values are one
-- line of UTF-8 (the build file's regeneration command carries them)
local function badvalue(v)
  if v:find("[%z\n\r]") then return "holds a newline, a carriage return or a NUL (a value is one line)" end
  if not utf8.len(v) then return "is not valid UTF-8" end
end

-- a -D flag's NAME=VALUE (or under the make plugin, make's variable
-- IMAGEGEN_ARG_NAME as NAME=VALUE, frommake): name, value; or nil and what
-- is wrong
function M.parse(s, frommake)
  local name, value = s:match("^([^=]*)=(.*)$")
  if not name then return nil, string.format("-D '%s' is not NAME=VALUE", s) end
  local what = frommake and "make variable IMAGEGEN_ARG_" .. name or "-D " .. name
  if not name:match(NAME) then
    return nil, string.format("%s: the name must be %s", frommake and what or "-D '" .. s .. "'", RULE)
  end
  local bad = badvalue(value)
  if bad then return nil, string.format("%s: the value %s", what, bad) end
  return name, value
end

-- the graph's arguments: given = { [name] = value } from -D, in the order
-- of order; fromenv(name) a value of the environment's (or make's), or nil
function M.new(given, order, fromenv)
  return { given = given or {}, order = order or {}, asked = {}, list = {},
    fromenv = fromenv or function(name) return native.getenv("IMAGEGEN_ARG_" .. name) end }
end

-- arg(name, default) at where: the value, a string
function M.ask(A, where, name, default)
  if type(name) ~= "string" or not name:match(NAME) then
    fail(where, "arg: the name must be a string of %s, such as \"VERSION\"; got %s", RULE,
      type(name) == "string" and "'" .. show(name) .. "'" or type(name))
  end
  if math.type(default) == "integer" then
    default = tostring(default)
  elseif default ~= nil and type(default) ~= "string" then
    fail(where, "arg \"%s\": the default must be a string (or a whole number), got %s", name, check.typename(default))
  end
  local seen = A.asked[name]
  if seen then
    if default ~= nil and seen.default ~= nil and default ~= seen.default then
      fail(where, "arg \"%s\": the default '%s' differs from '%s' at %s; one argument has one default", name,
        show(default), show(seen.default), seen.where)
    end
    if seen.value ~= nil then return seen.value end
  end
  local value, source = A.given[name], "-D"
  if value == nil then
    value, source = A.fromenv(name), "IMAGEGEN_ARG_" .. name
    if value ~= nil then
      local bad = badvalue(value)
      if bad then fail(where, "arg \"%s\": IMAGEGEN_ARG_%s %s", name, name, bad) end
    end
  end
  if value == nil then value, source = default, "default" end
  if value == nil then
    fail(where, "arg \"%s\" has no default and is not given: imagegen -D %s=VALUE (or IMAGEGEN_ARG_%s=VALUE in "
      .. "the environment), or a default: arg(\"%s\", \"VALUE\")", name, name, name, name)
  end
  if not seen then
    seen = { name = name, where = where }
    A.asked[name] = seen
    A.list[#A.list + 1] = seen
  end
  seen.default = seen.default or default
  seen.value, seen.source = value, source
  -- the files that ask for it (an image's provenance names those of its own)
  seen.files = seen.files or {}
  seen.files[where:match("^(.*):%d+$") or where] = true
  return value
end

-- one warning line for each -D that no definition asked for
function M.warnunused(A)
  for _, name in ipairs(A.order) do
    if not A.asked[name] then
      io.stderr:write(string.format("imagegen: warning: -D %s given but no definition asks for arg \"%s\"\n", name,
        name))
    end
  end
end

-- the -D flags for the regeneration command, by name
function M.flags(A)
  local names, out = {}, {}
  for _, name in ipairs(A.order) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    out[#out + 1] = "-D"
    out[#out + 1] = name .. "=" .. A.given[name]
  end
  return out
end

-- the values the definitions took from the environment (or make's
-- variables), as { name, value } by name: the regeneration command sets
-- them again, so that ninja or make regenerating in another environment
-- makes the same build
function M.environment(A)
  local out = {}
  for _, a in ipairs(A.list) do
    if a.source ~= "-D" and a.source ~= "default" then out[#out + 1] = { name = a.source, value = a.value } end
  end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

-- what the report page shows: { name, value, source, where } sorted by
-- name, or nil when no definition asked for an argument
function M.used(A)
  if #A.list == 0 then return nil end
  local out = {}
  for i, a in ipairs(A.list) do out[i] = { name = a.name, value = a.value, source = a.source, where = a.where } end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

-- the files that asked for the argument name, as a set of their names as
-- errors show them (an image's provenance names the arguments of its own)
function M.files(A, name)
  return A.asked[name] and A.asked[name].files or {}
end

return M
