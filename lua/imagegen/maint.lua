-- imagegen.maint: reading maintainer scripts without running them.
--
-- A script is read as the shell would read it on a fresh install (preinst
-- "install", postinst "configure" with no old version), far enough to know
-- what it does: variables set from literals, if/elif/else with the tests
-- that need no running system ([ -e ], [ -z ], [ = ], true, false, which,
-- against the image's files), for loops over known words, case on known
-- words, and exit. Every command is then either understood (the calls
-- imagegen reproduces, such as update-alternatives --install, and those with
-- no effect on the files, such as echo or debconf's questions) or listed as
-- an action imagegen does not reproduce, with its line. A branch whose
-- condition cannot be known is not taken, and everything in it is listed.
--
-- M.read(text, env) -> { alternatives = { {link, name, path, priority,
--   slaves = { {link, name, path} } } }, links = { {path, target} },
--   dirs = { {path, mode} }, skipped = { {line, text, why} }, triggers = { name },
--   refused = { {line, cmd, path, why} } }
-- (ln -s and mkdir with literal paths are reproduced: where ln would not
-- replace anything, and mkdir anywhere). With env.accounts (an
-- imagegen.accounts state) the accounts and owners are too: adduser,
-- addgroup, useradd, groupadd, usermod -a -G, shadowconfig on, chown, chgrp,
-- chmod, install -d, dpkg-statoverride --add and --list, and the questions
-- scripts ask before them (getent, id, `id -u NAME`, `id -Gn U | grep -qw G`,
-- su U -c "test -O P"); out.accounts lists the lines done. Every path the result names (but a
-- symlink's target) is absolute and normalised inside the image's root
-- (native.rootpath: "//", "." and "a/.." gone); a command whose path climbs
-- above the root or is not absolute, or that names an alternative with "/",
-- a space or a control character in it, is refused: listed in refused, and
-- not done.
-- env: { args = {...}, exists = function(path) -> bool, arch = "amd64",
--   package = name, script = "postinst" }
local native = require "imagegen.native"

local rootpath = native.rootpath

local M = {}

-- commands that change nothing imagegen writes, or whose effect is reproduced
local quiet = {
  [":"] = true, ["true"] = true, echo = true, printf = true, set = true, export = true, ["local"] = true,
  shift = true, ["return"] = true, ["."] = true, db_version = true, db_capb = true, db_get = true,
  db_set = true, db_input = true, db_go = true, db_stop = true, db_fset = true, db_fget = true,
  db_metaget = true, db_subst = true, db_title = true, db_settitle = true, db_register = true,
  db_unregister = true, db_reset = true, db_purge = true, db_x_loadtemplatefile = true,
  ["update-ca-certificates"] = true,
}

-- the most commands (and loop bodies) one reading runs
local MAXSTEPS = 10000

-- the most lines a quoted string spans (a stray quote of a hostile script
-- would join the rest of it into one line)
local MAXQUOTED = 100

-- triggers whose work imagegen does when it writes the image (trust stores)
local reproducedtriggers = { ["update-ca-certificates"] = true, ["update-ca-certificates-fresh"] = true,
  ["update-ca-certificates-java"] = true }

-- the quote a line ends in ("'", '"' or nil), from the one it starts in
-- (a comment's quotes aside): the next line goes on with the string, as in
-- the shell. One line at a time, so a string of many lines costs its length
local function quotestate(line, q)
  local i, n = 1, #line
  while i <= n do
    local c = line:sub(i, i)
    if q == "'" then
      if c == "'" then q = nil end
    elseif c == "\\" then
      i = i + 1
    elseif q == '"' then
      if c == '"' then q = nil end
    elseif c == "'" or c == '"' then
      q = c
    elseif c == "#" and (i == 1 or line:sub(i - 1, i - 1):match("[%s;&|()]")) then
      break
    end
    i = i + 1
  end
  return q
end

-- logical lines: continuation lines joined (and lines within a quoted
-- string), each with the number it starts at; the body of a here-document
-- is its command's, not read as commands
local function lines(text)
  local out, buf, start, n = {}, nil, nil, 0
  local heredoc, strip, quote
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if heredoc then
      if (strip and line:gsub("^\t+", "") or line) == heredoc then heredoc = nil end
      goto continue
    end
    if buf then buf = buf .. "\n" .. line else buf, start = line, n end
    quote = quotestate(line, quote)
    do
      local dash, word = buf:match("<<(%-?)%s*['\"]?([%w_]+)['\"]?")
      if word and not buf:match("\\$") then heredoc, strip = word, dash == "-" end
    end
    if #buf:match("\\*$") % 2 == 1 then
      buf = buf:sub(1, -2)
    elseif quote and n - start < MAXQUOTED then
      -- the next line goes on with the string
    else
      out[#out + 1] = { line = start, text = buf }
      buf, quote = nil, nil
    end
    ::continue::
  end
  if buf then out[#out + 1] = { line = start, text = buf } end
  return out
end

-- the tokens of a logical line: words (raw, quotes kept) and operators
-- the index just past the ")" that closes the "(" at s[i] (nested ones
-- counted), or past the end of s
local function pastparens(s, i)
  local depth, n = 0, #s
  repeat
    local d = s:sub(i, i)
    if d == "(" then depth = depth + 1 elseif d == ")" then depth = depth - 1 end
    i = i + 1
  until depth == 0 or i > n
  return i
end

local function tokens(s)
  local toks, i, n = {}, 1, #s
  local word
  local function flush()
    if word then toks[#toks + 1] = { word = word } end
    word = nil
  end
  while i <= n do
    local c = s:sub(i, i)
    if c == "#" and not word then
      break
    elseif c == " " or c == "\t" or c == "\n" then
      flush()
      i = i + 1
    elseif c == "'" then
      local j = s:find("'", i + 1, true) or n
      word = (word or "") .. s:sub(i, j)
      i = j + 1
    elseif c == '"' then
      local j = i + 1
      while j <= n and s:sub(j, j) ~= '"' do
        if s:sub(j, j) == "\\" then j = j + 1 end
        j = j + 1
      end
      word = (word or "") .. s:sub(i, j)
      i = j + 1
    elseif c == "\\" then
      word = (word or "") .. s:sub(i, i + 1)
      i = i + 2
    elseif c == "$" and s:sub(i + 1, i + 1) == "(" then
      local j = pastparens(s, i + 1)
      word = (word or "") .. s:sub(i, j - 1)
      i = j
    elseif c == "`" then
      local j = s:find("`", i + 1, true) or n
      word = (word or "") .. s:sub(i, j)
      i = j + 1
    elseif s:match("^[;&|<>()]", i) then
      local op = s:match("^;;", i) or s:match("^&&", i) or s:match("^||", i) or s:match("^>>", i) or c
      -- "2>/dev/null", ">&2": a redirection keeps its target with it
      if (op == ">" or op == ">>" or op == "<") then
        if word and word:match("^%d$") then word = nil end
        flush()
        i = i + #op
        if s:sub(i, i) == "&" then i = i + 1 end
        local target = s:match("^%s*[^%s;&|<>()]+", i)
        if target then i = i + #target end
      else
        flush()
        toks[#toks + 1] = { op = op }
        i = i + #op
      end
    else
      word = (word or "") .. c
      i = i + 1
    end
  end
  flush()
  return toks
end

-- a word with $VAR, ${VAR} and quotes resolved: a list of fields, or nil
-- when it needs something only a running system knows
local function expand(word, vars)
  local fields, cur, quoted, unknown = {}, nil, false, false
  local i, n = 1, #word
  local function add(s, split)
    if not split then cur = (cur or "") .. s; return end
    local first = true
    for part in (s .. " "):gmatch("(.-)%s+") do
      if first then
        cur = (cur or "") .. part
        first = false
      else
        if cur and cur ~= "" then fields[#fields + 1] = cur end
        cur = part
      end
    end
    if s:match("^%s") and cur == "" then cur = nil end
  end
  local function var(name)
    local v = vars[name]
    if v == nil then
      if name:match("^%d$") then return "" end
      unknown = true
      return ""
    end
    return v
  end
  local dq = false
  while i <= n do
    local c = word:sub(i, i)
    if c == "'" and not dq then
      local j = word:find("'", i + 1, true) or n + 1
      add(word:sub(i + 1, j - 1))
      quoted = true
      i = j + 1
    elseif c == '"' then
      dq = not dq
      quoted = true
      cur = cur or ""
      i = i + 1
    elseif c == "\\" then
      add(word:sub(i + 1, i + 1))
      i = i + 2
    elseif c == "$" then
      local name = word:match("^{([%w_]+)}", i + 1) or word:match("^[%w_]+", i + 1) or word:match("^[@#?*]", i + 1)
      if word:sub(i + 1, i + 1) == "(" then
        local sub = word:match("^%$%((.-)%)", i)
        local v = sub and vars["@subst"] and vars["@subst"](sub)
        if sub and sub:match("^%s*dpkg%s+%-%-print%-architecture%s*$") and vars["@arch"] then
          add(vars["@arch"], not dq)
        elseif v then
          add(v, not dq)
        else
          unknown = true
        end
        i = pastparens(word, i + 1)
      elseif word:sub(i + 1, i + 1) == "{" and not word:match("^{[%w_]+}", i + 1) then
        unknown = true
        i = (word:find("}", i, true) or n) + 1
      elseif name then
        add(var(name), not dq)
        i = i + #name + 1 + (word:sub(i + 1, i + 1) == "{" and 2 or 0)
      else
        add("$")
        i = i + 1
      end
    elseif c == "`" then
      local j = word:find("`", i + 1, true) or n
      local v = vars["@subst"] and vars["@subst"](word:sub(i + 1, j - 1))
      if v then add(v, not dq) else unknown = true end
      i = j + 1
    else
      add(c)
      i = i + 1
    end
  end
  if cur and (cur ~= "" or quoted) then fields[#fields + 1] = cur end
  if unknown then return nil end
  return fields
end

local function expandall(words, vars)
  local out = {}
  for _, w in ipairs(words) do
    local f = expand(w, vars)
    if not f then return nil end
    for _, x in ipairs(f) do out[#out + 1] = x end
  end
  return out
end

-- the script as a tree: { kind = "cmd"|"if"|"for"|"case"|"loop"|"func", ... }
-- each "cmd" an and-or list { {words, neg}, op, {words, neg}, ... }
local function parse(text)
  local stream = {}
  for _, l in ipairs(lines(text)) do
    local toks = tokens(l.text)
    local cmd
    for _, t in ipairs(toks) do
      if t.op == ";" or t.op == "&" or t.op == ";;" then
        if cmd then stream[#stream + 1] = cmd end
        cmd = nil
        if t.op == ";;" then stream[#stream + 1] = { words = { ";;" }, line = l.line, text = l.text } end
      else
        cmd = cmd or { words = {}, line = l.line, text = l.text }
        cmd.words[#cmd.words + 1] = t.word or t.op
      end
    end
    if cmd then stream[#stream + 1] = cmd end
  end
  -- split leading keywords off commands: "then foo" -> "then", "foo"
  local flat = {}
  local keywords = { ["then"] = true, ["else"] = true, ["do"] = true, ["{"] = true }
  for _, c in ipairs(stream) do
    local w = c.words
    while #w > 1 and keywords[w[1]] do
      flat[#flat + 1] = { words = { w[1] }, line = c.line, text = c.text }
      table.remove(w, 1)
    end
    flat[#flat + 1] = c
  end
  local pos = 1
  local function peek() return flat[pos] end
  local block
  local function andor(c)
    local list, cur = {}, { words = {} }
    for _, w in ipairs(c.words) do
      if w == "&&" or w == "||" then
        list[#list + 1] = cur
        list[#list + 1] = w
        cur = { words = {} }
      elseif w == "|" then
        cur.pipe = cur.pipe or #cur.words
      elseif w == "!" and #cur.words == 0 then
        cur.neg = not cur.neg
      elseif w ~= "(" and w ~= ")" then
        cur.words[#cur.words + 1] = w
      end
    end
    list[#list + 1] = cur
    return { kind = "cmd", list = list, line = c.line, text = c.text }
  end
  -- a block up to one of the words in stop; returns the nodes and the stop word
  block = function(stop)
    local nodes = {}
    while pos <= #flat do
      local c = peek()
      local w1 = c.words[1]
      if stop[w1] then return nodes, w1, c end
      pos = pos + 1
      if w1 == "if" then
        local node = { kind = "if", branches = {}, line = c.line, text = c.text }
        local cond = andor({ words = { table.unpack(c.words, 2) }, line = c.line, text = c.text })
        while true do
          local _, w = block { ["then"] = true }
          if w == "then" then pos = pos + 1 end
          local body, w2, at = block { ["elif"] = true, ["else"] = true, ["fi"] = true }
          node.branches[#node.branches + 1] = { cond = cond, body = body }
          if w2 == "elif" then
            pos = pos + 1
            cond = andor({ words = { table.unpack(at.words, 2) }, line = at.line, text = at.text })
          elseif w2 == "else" then
            pos = pos + 1
            node.otherwise = block { ["fi"] = true }
            pos = pos + 1
            break
          else
            pos = pos + 1
            break
          end
        end
        nodes[#nodes + 1] = node
      elseif w1 == "for" then
        local node = { kind = "for", var = c.words[2], words = {}, line = c.line, text = c.text }
        for i = 4, #c.words do node.words[#node.words + 1] = c.words[i] end
        local _, w = block { ["do"] = true }
        if w == "do" then pos = pos + 1 end
        node.body = block { done = true }
        pos = pos + 1
        nodes[#nodes + 1] = node
      elseif w1 == "while" or w1 == "until" then
        local node = { kind = "loop", line = c.line, text = c.text }
        local _, w = block { ["do"] = true }
        if w == "do" then pos = pos + 1 end
        node.body = block { done = true }
        pos = pos + 1
        nodes[#nodes + 1] = node
      elseif w1 == "case" then
        local node = { kind = "case", word = c.words[2], arms = {}, line = c.line, text = c.text }
        while pos <= #flat and peek().words[1] ~= "esac" do
          local a = peek()
          pos = pos + 1
          local pats, rest = {}, {}
          local inpat = true
          for _, w in ipairs(a.words) do
            if inpat then
              if w == ")" then inpat = false
              elseif w ~= "|" and w ~= "(" then pats[#pats + 1] = w end
            else
              rest[#rest + 1] = w
            end
          end
          local arm = { patterns = pats, body = {} }
          if #rest > 0 and rest[1] ~= ";;" then
            table.insert(flat, pos, { words = rest, line = a.line, text = a.text })
          end
          if rest[1] ~= ";;" then
            arm.body = block { [";;"] = true, esac = true }
            if peek() and peek().words[1] == ";;" then pos = pos + 1 end
          end
          node.arms[#node.arms + 1] = arm
        end
        pos = pos + 1
        nodes[#nodes + 1] = node
      elseif #c.words >= 2 and c.words[2] == "(" or (w1 and w1:match("^[%w_]+%(%)$")) then
        -- a function definition: its body runs only when called
        local node = { kind = "func", name = w1:gsub("%(%)$", ""), line = c.line, text = c.text }
        if c.words[#c.words] ~= "{" then
          local _, w = block { ["{"] = true }
          if w == "{" then pos = pos + 1 end
        end
        node.body = block { ["}"] = true }
        pos = pos + 1
        nodes[#nodes + 1] = node
      elseif w1 == "then" or w1 == "do" or w1 == "{" or w1 == "}" or w1 == "fi" or w1 == "done" or w1 == ";;" or w1 == "esac" then
        -- stray structure: ignored
      else
        nodes[#nodes + 1] = andor(c)
      end
    end
    return nodes, nil
  end
  return (block {})
end

M.reproducedtriggers = reproducedtriggers

-- whether word matches a case pattern: '*' any bytes, '?' one, any other
-- byte itself. Iterative, back to the last '*' only: a pattern of many
-- stars (a hostile script's) costs at most #pat * #word steps, where a Lua
-- pattern of as many ".*" backtracks for ever
local function globmatch(pat, word)
  local p, i, star, mark = 1, 1, nil, 0
  while i <= #word do
    local c = pat:sub(p, p)
    if c == "*" then
      star, mark, p = p, i, p + 1
    elseif c ~= "" and (c == "?" or c == word:sub(i, i)) then
      p, i = p + 1, i + 1
    elseif star then
      p, mark = star + 1, mark + 1
      i = mark
    else
      return false
    end
  end
  while pat:sub(p, p) == "*" do p = p + 1 end
  return p > #pat
end

-- an alternative's name as update-alternatives takes it, or nil and why not
local function altname(s)
  if s == "" or s == "." or s == ".." or s:find("[/%s%c]") then return nil, "is not an alternative's name" end
  return s
end

-- what the script does on a fresh install
function M.read(text, env)
  local out = { alternatives = {}, links = {}, dirs = {}, skipped = {}, triggers = {}, refused = {}, accounts = {} }
  local made = {}
  local function exists(p)
    if p:sub(1, 1) == "/" then
      p = rootpath(p)
      if not p then return false end
      if p == "/" then return true end
    end
    return made[p] or env.exists(p)
  end
  -- a command that names a path outside the root: not done
  local function refuse(node, cmd, p, why)
    out.refused[#out.refused + 1] = { line = node.line, cmd = cmd, path = p, why = why }
    return true
  end
  local vars = { ["@arch"] = env.arch, DPKG_MAINTSCRIPT_ARCH = env.arch, DPKG_MAINTSCRIPT_PACKAGE = env.package,
    DPKG_ROOT = "", DPKG_MAINTSCRIPT_NAME = env.script }
  for i, a in ipairs(env.args) do vars[tostring(i)] = a end
  local funcs = {}
  local listed = {}
  local function skip(node, why)
    -- one entry a line, however many commands it holds
    if listed[node.line] then return end
    listed[node.line] = true
    out.skipped[#out.skipped + 1] = { line = node.line, text = node.text, why = why }
  end
  local function acts(n)
    for _, c in ipairs(n.list) do
      local w = c.words and c.words[1]
      if w and not quiet[w] and w ~= "exit" and not (w:match("^[%a_][%w_]*=") and #c.words == 1) then
        return true
      end
    end
    return false
  end
  local function skipall(nodes)
    for _, n in ipairs(nodes or {}) do
      if n.kind == "cmd" then
        if acts(n) then skip(n) end
      elseif n.kind == "if" then
        skip(n)
        for _, b in ipairs(n.branches) do skipall(b.body) end
        skipall(n.otherwise)
      elseif n.kind ~= "func" then
        skip(n)
        if n.body then skipall(n.body) end
        for _, a in ipairs(n.arms or {}) do skipall(a.body) end
      end
    end
  end
  local function test(w)
    if w[#w] == "]" then w[#w] = nil end
    if #w == 0 then return false end
    if w[1] == "!" then
      local r = test({ table.unpack(w, 2) })
      if r == nil then return nil end
      return not r
    end
    if #w == 1 then return w[1] ~= "" end
    if #w == 2 then
      local op, a = w[1], w[2]
      if op == "-z" then return a == "" elseif op == "-n" then return a ~= "" end
      if op == "-e" or op == "-f" or op == "-d" or op == "-x" or op == "-r" or op == "-s" or op == "-L" or op == "-h" then
        return exists(a)
      end
      if (op == "-O" or op == "-G") and env.accounts then
        -- owned by the user (su's, else root) or by its group
        local uid, gid = env.accounts:owner(a)
        local u = env.accounts:user(vars["@user"] or "root")
        if not uid or not u then return nil end
        if op == "-O" then return uid == u.uid end
        return gid == u.gid
      end
      return nil
    end
    if #w == 3 then
      local a, op, b = w[1], w[2], w[3]
      if op == "=" or op == "==" then return a == b elseif op == "!=" then return a ~= b end
      local x, y = tonumber(a), tonumber(b)
      if x and y then
        if op == "-eq" then return x == y elseif op == "-ne" then return x ~= y
        elseif op == "-gt" then return x > y elseif op == "-lt" then return x < y
        elseif op == "-ge" then return x >= y elseif op == "-le" then return x <= y end
      end
      return nil
    end
    if #w > 3 then
      for i, x in ipairs(w) do
        if x == "-a" or x == "-o" then
          local l, r = test({ table.unpack(w, 1, i - 1) }), test({ table.unpack(w, i + 1) })
          if x == "-a" then
            if l == false or r == false then return false end
            if l == nil or r == nil then return nil end
            return true
          end
          if l == true or r == true then return true end
          if l == nil or r == nil then return nil end
          return false
        end
      end
    end
    return nil
  end
  local exit = {}
  local depth = 0
  local steps = 0
  local run, cmdlist, pipeline, simple
  -- accounts and owners, with env.accounts --------------------------------
  local A = env.accounts
  local function accountdone(node)
    out.accounts[#out.accounts + 1] = { line = node.line, text = node.text }
    return true
  end
  -- a command's options: flags (a set) and those that take a value (a set);
  -- long ones as --name or --name=value, short ones bundled (-qw); returns
  -- the options, the other words, or nil at an option it does not know
  local function options(w, flags, valued, short)
    local o, rest, i = {}, {}, 2
    while w[i] do
      local x = w[i]
      if x == "--" then
        for j = i + 1, #w do rest[#rest + 1] = w[j] end
        break
      elseif x:match("^%-%-.") then
        local k, v = x:match("^%-%-([^=]+)=(.*)$")
        k = k or x:sub(3)
        if valued[k] then
          if not v then i = i + 1; v = w[i] end
          if not v then return nil end
          o[k] = v
        elseif flags[k] and not v then
          o[k] = true
        else
          return nil
        end
      elseif x:match("^%-.") and short then
        local j = 2
        while j <= #x do
          local name = short[x:sub(j, j)]
          if not name then return nil end
          if valued[name] then
            local v = x:sub(j + 1)
            if v == "" then i = i + 1; v = w[i] end
            if not v then return nil end
            o[name] = v
            break
          end
          o[name] = true
          j = j + 1
        end
      else
        rest[#rest + 1] = x
      end
      i = i + 1
    end
    return o, rest
  end
  -- an absolute path inside the root; nil for a relative one (the line is
  -- listed), nil and true for one above the root (the package is refused)
  local function path(node, cmd, p)
    if p:sub(1, 1) ~= "/" then return nil end
    local q, why = rootpath(p)
    if not q then return nil, refuse(node, cmd, p, why) end
    return q
  end
  -- the result of a command A does (a skipped line says why it was not done)
  local function did(node, ok, why)
    if ok then return accountdone(node) end
    skip(node, why)
    return true
  end
  local adduserflags = { system = true, group = true, quiet = true, ["force-badname"] = true,
    ["allow-badname"] = true, ["allow-bad-names"] = true, ["allow-all-names"] = true, ["disabled-password"] = true,
    ["disabled-login"] = true, ["no-create-home"] = true, verbose = true, debug = true }
  local adduservalued = { home = true, shell = true, ingroup = true, gecos = true, comment = true, uid = true, gid = true }
  local cmds = {}
  cmds.adduser = function(w, node)
    local o, names = options(w, adduserflags, adduservalued, { q = "quiet" })
    if not o then return nil end
    local addgroup = w[1] == "addgroup"
    local uid, gid = o.uid and math.tointeger(tonumber(o.uid)), o.gid and math.tointeger(tonumber(o.gid))
    if (o.uid and not uid) or (o.gid and not gid) then return nil end
    if #names == 2 and not o.system and not o.group then
      return did(node, A:apply { kind = "member", user = names[1], groups = { names[2] } })
    end
    if #names ~= 1 or not o.system then return nil end
    local home, refused
    if o.home then
      home, refused = path(node, w[1], o.home)
      if not home then return refused end
    end
    if addgroup or o.group and not o.system then
      return did(node, A:apply { kind = "addsysgroup", name = names[1], gid = gid })
    end
    return did(node, A:apply { kind = "addsysuser", name = names[1], uid = uid, gid = gid, group = o.group,
      ingroup = o.ingroup, home = home, shell = o.shell, gecos = o.gecos or o.comment,
      nocreatehome = o["no-create-home"] })
  end
  cmds.addgroup = cmds.adduser
  cmds.useradd = function(w, node)
    local o, names = options(w, { system = true, ["create-home"] = true, ["no-create-home"] = true,
      ["no-user-group"] = true, ["user-group"] = true, ["no-log-init"] = true },
      { uid = true, gid = true, groups = true, ["home-dir"] = true, home = true, shell = true, comment = true, key = true },
      { r = "system", m = "create-home", M = "no-create-home", N = "no-user-group", U = "user-group", l = "no-log-init",
        u = "uid", g = "gid", G = "groups", d = "home-dir", s = "shell", c = "comment", K = "key" })
    if not o or #names ~= 1 or not o.system then return nil end
    local uid = o.uid and math.tointeger(tonumber(o.uid))
    if o.uid and not uid then return nil end
    local home, refused = o["home-dir"] or o.home, nil
    if home then
      home, refused = path(node, w[1], home)
      if not home then return refused end
    end
    local ok, why = A:apply { kind = "useradd", name = names[1], uid = uid, gid = o.gid, home = home,
      shell = o.shell, comment = o.comment, createhome = o["create-home"], nousergroup = o["no-user-group"] }
    if ok and o.groups then
      local gs = {}
      for g in o.groups:gmatch("[^,]+") do gs[#gs + 1] = g end
      ok, why = A:apply { kind = "member", user = names[1], groups = gs }
    end
    return did(node, ok, why)
  end
  cmds.groupadd = function(w, node)
    local o, names = options(w, { system = true, force = true }, { gid = true, key = true },
      { r = "system", f = "force", g = "gid", K = "key" })
    if not o or #names ~= 1 then return nil end
    local gid = o.gid and math.tointeger(tonumber(o.gid))
    if (o.gid and not gid) or not (o.system or gid) then return nil end
    if o.force and A:group(names[1]) then return accountdone(node) end
    return did(node, A:apply { kind = "groupadd", name = names[1], gid = gid })
  end
  cmds.usermod = function(w, node)
    local o, names = options(w, { append = true }, { groups = true }, { a = "append", G = "groups" })
    if not o or #names ~= 1 or not o.append or not o.groups then return nil end
    local gs = {}
    for g in o.groups:gmatch("[^,]+") do gs[#gs + 1] = g end
    return did(node, A:apply { kind = "member", user = names[1], groups = gs })
  end
  cmds.shadowconfig = function(w, node)
    if w[2] ~= "on" or w[3] then return nil end
    return did(node, A:apply { kind = "shadowon" })
  end
  cmds.getent = function(w)
    if #w ~= 3 or (w[2] ~= "passwd" and w[2] ~= "group") then return nil end
    return A:getent(w[2], w[3]) ~= nil
  end
  cmds.id = function(w)
    local name = w[#w]
    if #w < 2 or name:sub(1, 1) == "-" then return nil end
    for i = 2, #w - 1 do if not w[i]:match("^%-[ugGnr]+$") then return nil end end
    return A:user(name) ~= nil
  end
  -- chown, chgrp, chmod [-R] SPEC PATH...
  local function owners(w, node)
    local cmd, R, i = w[1], false, 2
    while w[i] and w[i]:match("^%-.") do
      local x = w[i]
      if x == "--" then i = i + 1; break end
      if cmd == "chmod" and x:match("^%-[rwxXst]+$") then break end
      if x == "-R" or x == "--recursive" then R = true
      elseif not (x == "-f" or x == "--silent" or x == "--quiet" or x == "-v" or x == "--verbose" or x == "-c"
        or x == "--changes" or x == "-h" or x == "--no-dereference") then
        return nil
      end
      i = i + 1
    end
    local spec = w[i]
    if not spec or not w[i + 1] then return nil end
    local uid, gid, mode, why
    if cmd == "chmod" then
      if not (spec:match("^[0-7]+$") or spec:match("^[ugoa]*[-+=][rwxXst]*$")
        or spec:match("^[ugoa]*[-+=][rwxXst]*,[%w,+=-]*$")) then return nil end
      mode = spec
    else
      uid, gid, why = A:ids(cmd == "chgrp" and ":" .. spec or spec)
      if not uid and not gid then return did(node, nil, why or "no owner") end
    end
    local ok = true
    for j = i + 1, #w do
      local p, refused = path(node, cmd, w[j])
      if not p then return refused end
      local r, y = A:set(p, uid, gid, mode, R)
      if not r then ok, why = nil, y end
    end
    return did(node, ok, why)
  end
  cmds.chown, cmds.chgrp, cmds.chmod = owners, owners, owners
  cmds.install = function(w, node)
    local o, dirs = options(w, { directory = true, verbose = true }, { mode = true, owner = true, group = true },
      { d = "directory", v = "verbose", m = "mode", o = "owner", g = "group" })
    if not o or not o.directory or #dirs == 0 then return nil end
    local uid, gid, why
    if o.owner or o.group then
      uid, gid, why = A:ids((o.owner or "") .. (o.group and ":" .. o.group or ""))
      if not uid and not gid then return did(node, nil, why) end
    end
    local mode = o.mode
    if mode and mode:match("^[0-7]+$") then mode = string.format("%05o", tonumber(mode, 8)) end
    local ok = true
    for _, d in ipairs(dirs) do
      local p, refused = path(node, "install", d)
      if not p then return refused end
      A:mkdir(p, 493, 0, 0)
      made[p] = true
      local r, y = A:set(p, uid, gid, mode or "00755")
      if not r then ok, why = nil, y end
    end
    return did(node, ok, why)
  end
  cmds["dpkg-statoverride"] = function(w, node)
    local o, args = options(w, { update = true, add = true, list = true, force = true, quiet = true }, {}, nil)
    if not o then return nil end
    if o.list and not o.add then
      if #args ~= 1 or args[1]:find("[*?[]") then return nil end
      return A:hasoverride(args[1])
    end
    if not o.add or #args ~= 4 or not args[3]:match("^[0-7]+$") then return nil end
    local p, refused = path(node, "dpkg-statoverride", args[4])
    if not p then return refused end
    return did(node, A:override(args[1], args[2], args[3], p, o.update))
  end
  cmds.su = function(w, node)
    local o, names = options(w, { login = true, ["preserve-environment"] = true }, { shell = true, command = true },
      { l = "login", m = "preserve-environment", p = "preserve-environment", s = "shell", c = "command" })
    if not o or #names ~= 1 or not o.command or not A:user(names[1]) then return nil end
    -- "a &&" at a line's end goes on on the next
    local nodes = parse((o.command:gsub("([&|][&|])%s*\n%s*", "%1 ")))
    if #nodes ~= 1 or nodes[1].kind ~= "cmd" then return nil end
    local saved = vars["@user"]
    vars["@user"] = names[1]
    local r = cmdlist(nodes[1], true)
    vars["@user"] = saved
    return r
  end
  -- a basic regular expression as a Lua pattern, or nil
  local function lpattern(re, extended)
    local out, i = {}, 1
    while i <= #re do
      local c = re:sub(i, i)
      if c == "[" then
        local j = re:find("]", i + 2, true)
        if not j then return nil end
        out[#out + 1] = re:sub(i, j):gsub("%%", "%%%%")
        i = j
      elseif c == "\\" then
        i = i + 1
        local d = re:sub(i, i)
        if d:match("%w") or d == "" then return nil end
        out[#out + 1] = "%" .. d
      elseif c:match("[%^%$%.%*]") then
        out[#out + 1] = c
      elseif extended and c:match("[+?(){}|]") or c == "{" then
        return nil
      elseif c:match("%p") then
        out[#out + 1] = "%" .. c
      else
        out[#out + 1] = c
      end
      i = i + 1
    end
    return table.concat(out)
  end
  -- "getent DB NAME | grep -q RE", "id -Gn USER | grep -qw GROUP": true,
  -- false, or nil (listed) for any other pipeline
  pipeline = function(c, node, cond)
    local left = expandall({ table.unpack(c.words, 1, c.pipe) }, vars)
    local right = expandall({ table.unpack(c.words, c.pipe + 1) }, vars)
    local text
    if A and left and right and right[1] == "grep" then
      if left[1] == "getent" and #left == 3 and (left[2] == "passwd" or left[2] == "group") then
        text = A:getent(left[2], left[3]) or ""
      elseif left[1] == "id" and #left == 3 and (left[2] == "-Gn" or left[2] == "-nG") then
        local gs = A:groupsof(left[3])
        text = gs and table.concat(gs, " ") or ""
      end
    end
    if text then
      local o, pats = options(right, { quiet = true, silent = true, ["word-regexp"] = true, ["extended-regexp"] = true,
        ["line-regexp"] = true, ["no-messages"] = true }, {},
        { q = "quiet", w = "word-regexp", E = "extended-regexp", x = "line-regexp", s = "no-messages" })
      local pat = o and (o.quiet or o.silent) and #pats == 1 and lpattern(pats[1], o["extended-regexp"])
      if pat and o["word-regexp"] and not pats[1]:match("^[%w_.-]+$") then pat = nil end
      if pat then
        if o["word-regexp"] then pat = "%f[%w_]" .. pat .. "%f[^%w_]" end
        if o["line-regexp"] then pat = "^" .. pat:gsub("^%^", ""):gsub("%$$", "") .. "$" end
        return text:find(pat) ~= nil
      end
    end
    simple(c.words, node, cond)
    return nil
  end
  vars["@subst"] = function(sub)
    local flag, name = sub:match("^%s*id%s+%-([ug])%s+([%w_.-]+)%s*$")
    local u = flag and A and A:user(name)
    if u then return tostring(flag == "u" and u.uid or u.gid) end
  end
  local function accountcmd(w, node)
    local f = A and cmds[w[1]]
    if f then return f(w, node) end
  end

  -- one simple command: true, false, or nil when it cannot be known
  simple = function(words, node, cond)
    local w = expandall(words, vars)
    local name = words[1]
    if not name then return true end
    -- assignments: NAME=VALUE ...
    local assigned = false
    while w and w[1] and w[1]:match("^[%a_][%w_]*=") and words[1]:match("^[%a_][%w_]*=") do
      local k = w[1]:match("^([%a_][%w_]*)=")
      local v = expand(words[1]:sub(#k + 2), vars)
      vars[k] = v and table.concat(v, " ") or nil
      table.remove(w, 1)
      words = { table.unpack(words, 2) }
      assigned = true
    end
    if not w then
      local k = name:match("^([%a_][%w_]*)=")
      if k then
        vars[k] = nil
        return true
      end
      if not cond then skip(node) end
      return nil
    end
    if #w == 0 then return assigned or true end
    local cmd = w[1]
    if cmd == "[" or cmd == "test" then return test({ table.unpack(w, 2) }) end
    if cmd == "false" then return false end
    if cmd == "exit" then error(exit, 0) end
    if cmd == "unset" then
      for i = 2, #w do vars[w[i]] = "" end
      return true
    end
    if quiet[cmd] then return true end
    if cmd == "which" or (cmd == "command" and w[2] == "-v") then
      local prog = w[#w]
      if prog:sub(1, 1) == "/" then return exists(prog) end
      for _, d in ipairs { "/usr/local/sbin/", "/usr/local/bin/", "/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/" } do
        if exists(d .. prog) then return true end
      end
      return false
    end
    if cmd == "dpkg-trigger" then
      local t = w[#w]
      if reproducedtriggers[t] then return true end
      out.triggers[#out.triggers + 1] = t
      skip(node)
      return true
    end
    if funcs[cmd] and depth < 8 then
      -- a function runs its body with its own arguments
      local saved = {}
      for i = 1, 9 do
        saved[i] = vars[tostring(i)]
        vars[tostring(i)] = w[i + 1] or ""
      end
      depth = depth + 1
      run(funcs[cmd].body)
      depth = depth - 1
      for i = 1, 9 do vars[tostring(i)] = saved[i] end
      return true
    end
    if cmd == "ln" and (w[2] == "-s" or w[2] == "-sf" or w[2] == "-fs") and #w == 4 and w[4]:sub(1, 1) == "/" then
      local p, why = rootpath(w[4])
      if not p then return refuse(node, "ln", w[4], why) end
      if not exists(p) then
        out.links[#out.links + 1] = { path = p, target = w[3] }
        made[p] = true
        return true
      end
    end
    if cmd == "mkdir" then
      local mode, paths, ok = 493, {}, true
      local i = 2
      while w[i] do
        if w[i] == "-p" then i = i + 1
        elseif w[i] == "-m" and w[i + 1] and w[i + 1]:match("^[0-7]+$") then
          mode = tonumber(w[i + 1], 8)
          i = i + 2
        elseif w[i]:sub(1, 1) == "/" then
          local p, why = rootpath(w[i])
          if not p then return refuse(node, "mkdir", w[i], why) end
          paths[#paths + 1] = p
          i = i + 1
        else
          ok = false
          break
        end
      end
      if ok and #paths > 0 then
        for _, p in ipairs(paths) do
          if p ~= "/" then
            out.dirs[#out.dirs + 1] = { path = p, mode = mode }
            if A then A:mkdir(p, mode, 0, 0) end
            made[p] = true
          end
        end
        return true
      end
    end
    if cmd == "update-alternatives" then
      local i = 2
      while w[i] and w[i] ~= "--install" and w[i]:sub(1, 2) == "--" and w[i] ~= "--set" and w[i] ~= "--remove"
        and w[i] ~= "--auto" do
        i = i + ((w[i] == "--altdir" or w[i] == "--admindir" or w[i] == "--log") and 2 or 1)
      end
      if w[i] == "--install" and w[i + 4] and math.tointeger(tonumber(w[i + 4])) then
        local alt = { link = w[i + 1], name = w[i + 2], path = w[i + 3], priority = math.tointeger(tonumber(w[i + 4])),
          slaves = {}, line = node.line }
        local j = i + 5
        while w[j] == "--slave" and w[j + 3] do
          alt.slaves[#alt.slaves + 1] = { link = w[j + 1], name = w[j + 2], path = w[j + 3] }
          j = j + 4
        end
        if w[j] == nil then
          -- links and paths inside the root, names as update-alternatives takes them
          local bad, why
          local function fix(t, k, isname)
            if bad then return end
            local x, y = (isname and altname or rootpath)(t[k])
            if x then t[k] = x else bad, why = t[k], y end
          end
          fix(alt, "link"); fix(alt, "name", true); fix(alt, "path")
          for _, s in ipairs(alt.slaves) do fix(s, "link"); fix(s, "name", true); fix(s, "path") end
          if bad then return refuse(node, "update-alternatives", bad, why) end
          out.alternatives[#out.alternatives + 1] = alt
          return true
        end
      end
    end
    local r = accountcmd(w, node)
    if r ~= nil then return r end
    if not cond then skip(node) end
    return nil
  end
  cmdlist = function(node, cond)
    local result = true
    local i = 1
    while i <= #node.list do
      local c = node.list[i]
      local r
      if c.pipe then r = pipeline(c, node, cond) else r = simple(c.words, node, cond) end
      if c.neg and r ~= nil then r = not r end
      result = r
      local op = node.list[i + 1]
      if not op then break end
      -- && goes on after success, || after failure; after an unknown the
      -- rest is not evaluated (the line is listed already)
      if result == nil then
        if not cond then skip(node) end
        return nil
      end
      if (op == "&&" and not result) or (op == "||" and result) then
        -- skip the next command
        i = i + 2
        while node.list[i + 1] and node.list[i + 1] == op do i = i + 2 end
      end
      i = i + 2
    end
    return result
  end
  local function matchcase(pat, word)
    return globmatch(pat, word)
  end
  run = function(nodes)
    for _, n in ipairs(nodes) do
      -- loops within loops run their bodies a product of times: reading
      -- stops at a bound no package's script comes near, and says where
      steps = steps + 1
      if steps > MAXSTEPS then
        out.skipped[#out.skipped + 1] = { line = n.line, text = n.text,
          why = string.format("imagegen reads no further: more than %d commands run", MAXSTEPS) }
        error(exit, 0)
      end
      if n.kind == "cmd" then
        cmdlist(n)
      elseif n.kind == "if" then
        local taken = false
        for bi, b in ipairs(n.branches) do
          local r = cmdlist(b.cond, true)
          if r == nil then
            skip(n, "a condition imagegen cannot know")
            for bj = bi, #n.branches do skipall(n.branches[bj].body) end
            skipall(n.otherwise)
            taken = true
            break
          elseif r then
            run(b.body)
            taken = true
            break
          end
        end
        if not taken and n.otherwise then run(n.otherwise) end
      elseif n.kind == "for" then
        local words = expandall(n.words, vars)
        if not words then
          skip(n)
          skipall(n.body)
        else
          for _, v in ipairs(words) do
            vars[n.var] = v
            run(n.body)
          end
        end
      elseif n.kind == "case" then
        -- "case" with no word is a syntax error for the shell: nothing known
        local word = n.word and expand(n.word, vars)
        if not word then
          skip(n)
          for _, a in ipairs(n.arms) do skipall(a.body) end
        else
          word = table.concat(word, " ")
          for _, a in ipairs(n.arms) do
            local hit = false
            for _, p in ipairs(a.patterns) do
              local pf = expand(p, vars)
              if pf and matchcase(table.concat(pf, " "), word) then hit = true end
            end
            if hit then
              run(a.body)
              break
            end
          end
        end
      elseif n.kind == "func" then
        funcs[n.name] = n
      else
        skip(n)
        skipall(n.body)
      end
    end
  end
  local ok, err = pcall(run, parse(text))
  if not ok and err ~= exit then error(err, 0) end
  return out
end

return M
