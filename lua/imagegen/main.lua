-- imagegen.main: the generator's command line.
--   imagegen [-G ninja] [-o FILE] DEFINITION.lua
local native = require "imagegen.native"
local lang = require "imagegen.lang"
local plan = require "imagegen.plan"

local M = {}

local usage = "usage: imagegen [-G ninja] [-o FILE] DEFINITION.lua (imagegen --help for more)"

local function usageerror(msg)
  io.stderr:write("imagegen: ", msg, "\n", usage, "\n")
  return 2
end

function M.main(args)
  local backend, output, def = "ninja", nil, nil
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "-o" or a == "-G" then
      if not args[i + 1] then return usageerror("option " .. a .. " needs a value") end
      if a == "-o" then output = args[i + 1] else backend = args[i + 1] end
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
  local ok, rules = pcall(require, "rules." .. backend)
  if not ok or not backend:match("^%w+$") then return usageerror("unknown backend '" .. backend .. "' (known: ninja)") end
  output = output or rules.defaultoutput

  local G = lang.newgraph(def)
  lang.load(G, def)
  lang.resolve(G)
  local regenargs = { "-G", backend, "-o", output, def }
  local P = plan.build(G, regenargs, output)
  local text = rules.write(P, native.exe())
  for _, s in ipairs(P.specs) do native.writefile(s.path, s.text) end
  native.writefile(output, text)
  return 0
end

return M
