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
--   dirs = { {path, mode} }, files = { {path, data, mode} },
--   diversions = { {path, divert, package} }, shells = bool (update-shells
--   ran), addshells = { path }, skipped = { {line, text, why, file, paths} },
--   triggers = { name }, refused = { {line, cmd, path, why} } }
-- (docs/debian.md lists the commands reproduced: files copied, written and
-- linked, functions, sourced files, $(...) of known output). With env.accounts (an
-- imagegen.accounts state) the accounts and owners are too: adduser,
-- addgroup, useradd, groupadd, usermod -a -G, shadowconfig on, chown, chgrp,
-- chmod, install -d, install -o/-g of a file, dpkg-statoverride --add and
-- --list, and the questions scripts ask before them (getent, id, su U -c
-- "test -O P", their output through grep -q/-w/-x); out.accounts lists the
-- lines done. Every path the result names (but a
-- symlink's target) is absolute and normalised inside the image's root
-- (native.rootpath: "//", "." and "a/.." gone); a command whose path climbs
-- above the root or is not absolute, or that names an alternative with "/",
-- a space or a control character in it, is refused: listed in refused, and
-- not done.
-- env: { args = {...}, exists = function(path) -> bool, arch = "amd64",
--   package = name, script = "postinst", read = function(path) -> bytes or
--   nil (optional), list = function(package) -> dpkg -L's text or nil
--   (optional), debconf = { question = default } (optional), accounts =
--   an imagegen.accounts state (or nil) }
local native = require "imagegen.native"

local rootpath = native.rootpath

local M = {}

-- commands that change nothing imagegen writes, or whose effect is reproduced
local quiet = {
  [":"] = true, ["true"] = true, echo = true, printf = true, set = true, export = true, ["local"] = true,
  shift = true, ["return"] = true, db_version = true, db_capb = true, db_get = true,
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

-- the quote s ends inside ("'", '"' or nil) when it starts inside q (a
-- comment outside quotes ends the line)
local function inquote(s, q)
  local i, n = 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if q == "'" then
      if c == "'" then q = nil end
    elseif q == '"' then
      if c == "\\" then i = i + 1 elseif c == '"' then q = nil end
    elseif c == "\\" then
      i = i + 1
    elseif c == "'" or c == '"' then
      q = c
    elseif c == "#" and (i == 1 or s:sub(i - 1, i - 1):match("[%s;&|()]")) then
      return nil
    end
    i = i + 1
  end
  return q
end

-- s without its comment: from a '#' that begins a word, outside quotes (a
-- comment's "<< 4.38" begins no here-document). One physical line at a
-- time: q is the quote it starts inside; returns the part before a
-- comment, the quote it ends inside, and whether a comment began
local function uncommented(s, q)
  local i, n = 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if q then
      if c == q then q = nil elseif c == "\\" and q == '"' then i = i + 1 end
    elseif c == "'" or c == '"' then q = c
    elseif c == "\\" then i = i + 1
    elseif c == "#" and (i == 1 or s:sub(i - 1, i - 1):match("%s")) then return s:sub(1, i - 1), q, true
    end
    i = i + 1
  end
  return s, q, false
end

-- the number of backslashes s ends with (a pattern anchored at the end
-- only would try every start: quadratic on a long run of them)
local function trailingslashes(s)
  local i = #s
  while i > 0 and s:byte(i) == 92 do i = i - 1 end
  return #s - i
end

-- logical lines: continuation lines and quoted strings over several lines
-- joined, each with the number it starts at; the body of a here-document
-- is its command's, not read as commands. Each physical line is scanned
-- once (a logical line of many continuations stays linear)
local function lines(text)
  local out, buf, start, n = {}, nil, nil, 0
  local heredoc, strip, body, quote
  -- of the logical line so far: its length, the quote its uncommented part
  -- ends inside, whether a comment began, its first here-document
  local len, cquote, commented, found
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if heredoc then
      local l = strip and line:gsub("^\t+", "") or line
      if l == heredoc then heredoc = nil else body[#body + 1] = l end
      goto continue
    end
    if buf then
      buf[#buf + 1] = line
      len = len + 1 + #line
    else
      buf, start, quote, len, cquote, commented, found = { line }, n, nil, #line, nil, false, nil
    end
    quote = inquote(line, quote)
    if not commented and not found then
      local part
      part, cquote, commented = uncommented(line, cquote)
      local dash, q, word = part:match("<<(%-?)%s*(['\"]?)([%w_]+)['\"]?")
      if word then found = { dash = dash, q = q, word = word } end
    end
    if found and line:sub(-1) ~= "\\" then heredoc, strip = found.word, found.dash == "-" end
    if trailingslashes(line) % 2 == 1 then
      buf[#buf] = line:sub(1, -2)
      len = len - 1
    elseif not heredoc and len < 65536 and quote and n - start < MAXQUOTED then
      -- a quoted string goes on on the next line
    else
      out[#out + 1] = { line = start, text = table.concat(buf, "\n") }
      if heredoc then
        -- the here-document's lines, and whether they are taken literally
        body = {}
        out[#out].heredoc = { lines = body, literal = found.q ~= "" }
      end
      buf = nil
    end
    ::continue::
  end
  if buf then out[#out + 1] = { line = start, text = table.concat(buf, "\n") } end
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
        -- "$(cmd "arg")": the quotes inside are the command's
        if s:sub(j, j + 1) == "$(" then j = pastparens(s, j + 1) - 1 end
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
      local op = s:match("^;;", i) or s:match("^&&", i) or s:match("^||", i) or s:match("^>>", i)
        or s:match("^<<%-?", i) or c
      -- "2>/dev/null", ">&2", "> FILE", "<<EOF": a redirection keeps its
      -- target with it, as one token
      if op == ">" or op == ">>" or op == "<" or op:sub(1, 2) == "<<" then
        local fd = op:sub(1, 1) == ">" and 1 or 0
        if word and word:match("^%d$") then fd = tonumber(word); word = nil end
        flush()
        i = i + #op
        local dup = false
        if s:sub(i, i) == "&" then dup = true; i = i + 1 end
        if s:sub(i, i) == "|" then i = i + 1 end
        local sp = s:match("^%s*", i)
        i = i + #sp
        -- the target: one word, quotes kept
        local j = i
        while j <= n and not s:match("^[%s;&|<>()]", j) do
          local d = s:sub(j, j)
          if d == "'" or d == '"' then j = (s:find(d, j + 1, true) or n) + 1
          elseif d == "\\" then j = j + 2
          else j = j + 1 end
        end
        toks[#toks + 1] = { redir = op:sub(1, 2) == "<<" and "<<" or op, fd = fd, dup = dup, target = s:sub(i, j - 1) }
        i = j
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
local globmatch

-- ${NAME#PAT}, ##, % and %%: the shortest or longest prefix or suffix
-- that matches the pattern, removed
local function trimmed(v, op, pat)
  if op == "#" or op == "##" then
    local a, b, step = 0, #v, 1
    if op == "##" then a, b, step = #v, 0, -1 end
    for k = a, b, step do
      if globmatch(pat, v:sub(1, k)) then return v:sub(k + 1) end
    end
  else
    local a, b, step = #v + 1, 1, -1
    if op == "%%" then a, b, step = 1, #v + 1, 1 end
    for k = a, b, step do
      if globmatch(pat, v:sub(k)) then return v:sub(1, k - 1) end
    end
  end
  return v
end

-- the index of the "}" that closes the "${" at s[i], or nil
local function pastbrace(s, i)
  local depth = 0
  for j = i, #s do
    local d = s:sub(j, j)
    if d == "{" then depth = depth + 1 elseif d == "}" then
      depth = depth - 1
      if depth == 0 then return j end
    end
  end
  return nil
end

local function expand(word, vars)
  if word == '"$@"' and vars["@args"] then return { table.unpack(vars["@args"]) } end
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
    if name == "@" or name == "*" then v = vars["@args"] and table.concat(vars["@args"], " ") end
    if name == "#" then v = vars["@args"] and tostring(#vars["@args"]) end
    if v == nil then
      -- an unset variable is empty; one that may come from the environment
      -- (no lower-case letter in its name) is not known
      if name:match("^%d$") or name:match("%l") then return "" end
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
      -- inside double quotes a backslash escapes only $ ` " \ and newline
      local d = word:sub(i + 1, i + 1)
      if dq and not d:match('^[$`"\\\n]$') then add("\\" .. d) else add(d) end
      i = i + 2
    elseif c == "$" then
      local name = word:match("^{([%w_]+)}", i + 1) or word:match("^[%w_]+", i + 1) or word:match("^[@#?*]", i + 1)
      if word:sub(i + 1, i + 1) == "(" then
        -- a command's output, when the reader can know it
        local j = pastparens(word, i + 1)
        local out = vars["@subst"] and word:sub(j - 1, j - 1) == ")" and vars["@subst"](word:sub(i + 2, j - 2))
        if out then add(out, not dq) else unknown = true end
        i = j
      elseif word:sub(i + 1, i + 1) == "{" and not word:match("^{[%w_]+}", i + 1) then
        -- ${NAME:-WORD}, ${NAME-WORD}, ${NAME:=WORD}, ${NAME:+WORD},
        -- ${NAME#PAT} and the like, ${#NAME}
        local close = pastbrace(word, i + 1)
        local inner = close and word:sub(i + 2, close - 1) or ""
        local nm, op, rest = inner:match("^([%w_]+)([:%-=+#%%]+)(.*)$")
        local len = inner:match("^#([%w_]+)$")
        if len then
          add(tostring(#var(len)))
        elseif nm and (op == ":-" or op == "-" or op == ":=" or op == "=" or op == ":+" or op == "+"
            or op == "#" or op == "##" or op == "%" or op == "%%") then
          local v = vars[nm]
          if nm:match("^%d$") and v == nil then v = "" end
          local r = rest ~= "" and expand('"' .. rest .. '"', vars)
          r = r and r[1] or (rest == "" and "" or nil)
          if r == nil then unknown = true
          elseif op == ":-" or op == ":=" then
            if v == nil or v == "" then v = r; if op == ":=" then vars[nm] = r end end
          elseif op == "-" or op == "=" then
            if v == nil then v = r; if op == "=" then vars[nm] = r end end
          elseif op == ":+" or op == "+" then
            v = ((op == "+" and v ~= nil) or (v ~= nil and v ~= "")) and r or ""
          elseif v ~= nil then
            v = trimmed(v, op, r)
          end
          if v == nil then unknown = true else add(v, not dq) end
        else
          unknown = true
        end
        i = (close or n) + 1
      elseif name then
        add(var(name), not dq)
        i = i + #name + 1 + (word:sub(i + 1, i + 1) == "{" and 2 or 0)
      else
        add("$")
        i = i + 1
      end
    elseif c == "`" then
      local j = word:find("`", i + 1, true) or n + 1
      local out = vars["@subst"] and vars["@subst"](word:sub(i + 1, j - 1))
      if out then add(out, not dq) else unknown = true end
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

-- the most fields a command's words expand to ("$@" passed on by a
-- function that calls itself doubles them), and in all in one reading
-- (10,000 commands of thousands of fields each): more are not known
local MAXFIELDS, MAXEXPANDED = 10000, 500000
local expanded = 0

local function expandall(words, vars)
  local out = {}
  for _, w in ipairs(words) do
    local f = expand(w, vars)
    if not f or #out + #f > MAXFIELDS then return nil end
    expanded = expanded + #f
    if expanded > MAXEXPANDED then return nil end
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
        cmd.words[#cmd.words + 1] = t.word or t.op or t
        if t.redir == "<<" then cmd.heredoc = l.heredoc end
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
  -- an and-or list; each command { words, redirs, pipe = the next
  -- command of its pipeline }, with the here-document of its line
  local function andor(c)
    local list, cur = {}, { words = {}, redirs = {}, heredoc = c.heredoc }
    local head = cur
    for _, w in ipairs(c.words) do
      if type(w) == "table" then
        cur.redirs[#cur.redirs + 1] = w
      elseif w == "&&" or w == "||" then
        list[#list + 1] = head
        list[#list + 1] = w
        cur = { words = {}, redirs = {}, heredoc = c.heredoc }
        head = cur
      elseif w == "|" then
        cur.pipe = { words = {}, redirs = {}, heredoc = c.heredoc }
        cur = cur.pipe
      elseif w == "!" and #cur.words == 0 then
        cur.neg = not cur.neg
      elseif w ~= "(" and w ~= ")" then
        cur.words[#cur.words + 1] = w
      end
    end
    list[#list + 1] = head
    return { kind = "cmd", list = list, line = c.line, text = c.text }
  end
  -- a block up to one of the words in stop; returns the nodes and the stop word
  block = function(stop)
    local nodes = {}
    while pos <= #flat do
      local c = peek()
      local w1 = c.words[1]
      if type(w1) ~= "string" then w1 = "" end
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
        -- "for x; do" and "for x do": the positional parameters
        if c.words[3] ~= "in" then node.words = { '"$@"' } end
        for i = 4, #c.words do
          if type(c.words[i]) == "string" then node.words[#node.words + 1] = c.words[i] end
        end
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
        local node = { kind = "case", word = type(c.words[2]) == "string" and c.words[2] or nil, arms = {},
          line = c.line, text = c.text }
        while pos <= #flat and peek().words[1] ~= "esac" do
          local a = peek()
          pos = pos + 1
          local pats, rest = {}, {}
          local inpat = true
          for _, w in ipairs(a.words) do
            if inpat then
              if w == ")" then inpat = false
              elseif w ~= "|" and w ~= "(" and type(w) == "string" then pats[#pats + 1] = w end
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
        -- "f() { cmd ...": the body's first command on the same line
        local brace
        for k = 2, math.min(#c.words, 4) do
          if c.words[k] == "{" then brace = k; break end
        end
        if brace and brace < #c.words then
          table.insert(flat, pos, { words = { table.unpack(c.words, brace + 1) }, line = c.line, text = c.text })
        elseif c.words[#c.words] ~= "{" then
          local _, w = block { ["{"] = true }
          if w == "{" then pos = pos + 1 end
        end
        node.body = block { ["}"] = true }
        pos = pos + 1
        nodes[#nodes + 1] = node
      elseif w1 == "then" or w1 == "do" or w1 == "{" or w1 == "}" or w1 == "fi" or w1 == "done" or w1 == ";;" or w1 == "esac" then
        -- stray structure: ignored
      else
        -- "a || { b; c; }": the group runs as one command of the list
        local k
        for j = 2, #c.words do
          local p = c.words[j - 1]
          if c.words[j] == "{" and (p == "||" or p == "&&" or p == "!") then k = j; break end
        end
        if k then
          local node = andor({ words = { table.unpack(c.words, 1, k - 1) }, line = c.line, text = c.text,
            heredoc = c.heredoc })
          if k < #c.words then
            table.insert(flat, pos, { words = { table.unpack(c.words, k + 1) }, line = c.line, text = c.text })
          end
          local body = block { ["}"] = true }
          pos = pos + 1
          node.list[#node.list] = { words = {}, redirs = {}, group = body }
          nodes[#nodes + 1] = node
        else
          nodes[#nodes + 1] = andor(c)
        end
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
globmatch = function(pat, word)
  local p, i, star, mark = 1, 1, nil, 0
  while i <= #word do
    local c = pat:sub(p, p)
    local close = c == "[" and pat:find("]", p + 2, true)
    if c == "*" then
      star, mark, p = p, i, p + 1
    elseif close then
      -- "[89]", "[a-z]", "[!x]": one byte of the set
      local set, neg, hit = pat:sub(p + 1, close - 1), false, false
      if set:sub(1, 1) == "!" or set:sub(1, 1) == "^" then neg, set = true, set:sub(2) end
      local b = word:sub(i, i)
      local k = 1
      while k <= #set do
        if set:sub(k + 1, k + 1) == "-" and k + 2 <= #set then
          if b >= set:sub(k, k) and b <= set:sub(k + 2, k + 2) then hit = true end
          k = k + 3
        else
          if b == set:sub(k, k) then hit = true end
          k = k + 1
        end
      end
      if hit ~= neg then p, i = close + 1, i + 1
      elseif star then p, mark = star + 1, mark + 1; i = mark
      else return false end
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

-- regular expressions as grep and sed take them (basic, or extended with
-- -E): literals, ".", "[...]" (ranges, "^" negation), "*", and in extended
-- ones "+", "?", "|" and "( )" (in basic ones "\( \)"), "^" and "$",
-- captures for sed's \1..\9. Matched by backtracking, at most MAXRE steps
-- a match (a hostile pattern fails instead of running for ever)
local MAXRE = 100000

local function recompile(re, ere)
  local i, n = 1, #re
  local ngroups = 0
  local alt
  local function atom()
    local c = re:sub(i, i)
    if c == "\\" then
      local d = re:sub(i + 1, i + 1)
      if not ere and d == "(" then
        i = i + 2
        ngroups = ngroups + 1
        local g = ngroups
        local node = alt(true)
        if re:sub(i, i + 1) ~= "\\)" then return nil end
        i = i + 2
        return { kind = "group", node = node, n = g }
      end
      if d == "" then return nil end
      i = i + 2
      return { kind = "char", c = d }
    elseif c == "(" and ere then
      i = i + 1
      ngroups = ngroups + 1
      local g = ngroups
      local node = alt(true)
      if re:sub(i, i) ~= ")" then return nil end
      i = i + 1
      return { kind = "group", node = node, n = g }
    elseif c == "." then
      i = i + 1
      return { kind = "any" }
    elseif c == "[" then
      local j = i + 1
      local neg = re:sub(j, j) == "^"
      if neg then j = j + 1 end
      local set = {}
      local first = true
      while j <= n and (first or re:sub(j, j) ~= "]") do
        local a = re:sub(j, j)
        if re:sub(j + 1, j + 1) == "-" and re:sub(j + 2, j + 2) ~= "]" and j + 2 <= n then
          set[#set + 1] = { a, re:sub(j + 2, j + 2) }
          j = j + 3
        else
          set[#set + 1] = { a, a }
          j = j + 1
        end
        first = false
      end
      if j > n then return nil end
      i = j + 1
      return { kind = "set", set = set, neg = neg }
    elseif c == "^" then
      i = i + 1
      return { kind = "bol" }
    elseif c == "$" and (i == n or (ere and re:sub(i + 1, i + 1) == "|") or re:sub(i + 1, i + 1) == ")"
        or re:sub(i + 1, i + 2) == "\\)") then
      i = i + 1
      return { kind = "eol" }
    end
    i = i + 1
    return { kind = "char", c = c }
  end
  local function seq(ingroup)
    local items = {}
    while i <= n do
      local c = re:sub(i, i)
      if ere and (c == "|" or (c == ")" and ingroup)) then break end
      if not ere and ingroup and re:sub(i, i + 1) == "\\)" then break end
      local a = atom()
      if not a then return nil end
      local q = re:sub(i, i)
      local lo, hi = 1, 1
      if q == "*" then lo, hi = 0, math.huge; i = i + 1
      elseif ere and q == "+" then lo, hi = 1, math.huge; i = i + 1
      elseif ere and q == "?" then lo, hi = 0, 1; i = i + 1
      elseif not ere and re:sub(i, i + 1) == "\\+" then lo, hi = 1, math.huge; i = i + 2
      elseif not ere and re:sub(i, i + 1) == "\\?" then lo, hi = 0, 1; i = i + 2 end
      items[#items + 1] = { atom = a, lo = lo, hi = hi }
    end
    return items
  end
  alt = function(ingroup)
    local alts = {}
    repeat
      local s = seq(ingroup)
      if not s then return nil end
      alts[#alts + 1] = s
      local more = ere and re:sub(i, i) == "|"
      if more then i = i + 1 end
    until not more
    return alts
  end
  local top = alt(false)
  if not top or i <= n then return nil end
  return top
end

-- the first match of the compiled re in s: start, end, captures; nil when
-- none, false when it ran out of steps
local restepped = 0

local function rematch(top, s, from)
  local steps = 0
  local caps = {}
  local matchalt, matchseq
  local function one(a, pos)
    local c = s:sub(pos, pos)
    if a.kind == "char" then return c == a.c and pos + 1 or nil end
    if a.kind == "any" then return c ~= "" and pos + 1 or nil end
    if a.kind == "set" then
      if c == "" then return nil end
      local hit = false
      for _, r in ipairs(a.set) do if c >= r[1] and c <= r[2] then hit = true end end
      if hit ~= a.neg then return pos + 1 end
      return nil
    end
    return nil
  end
  -- items[k..] from pos, then k2(pos)
  matchseq = function(items, k, pos, cont)
    steps = steps + 1
    restepped = restepped + 1
    if steps > MAXRE or restepped > 50 * MAXRE then error("re", 0) end
    local it = items[k]
    if not it then return cont(pos) end
    local a = it.atom
    if a.kind == "bol" then return pos == 1 and matchseq(items, k + 1, pos, cont) or nil end
    if a.kind == "eol" then return pos == #s + 1 and matchseq(items, k + 1, pos, cont) or nil end
    if a.kind == "group" then
      -- a group repeated: greedy, each repetition through the group's alternatives
      local function rep(count, p)
        if count < it.hi then
          local r = matchalt(a.node, p, function(q)
            if q == p then return nil end
            local old = caps[a.n]
            caps[a.n] = { p, q - 1 }
            local r2 = rep(count + 1, q)
            if r2 == nil then caps[a.n] = old end
            return r2
          end)
          if r ~= nil then return r end
        end
        if count >= it.lo then return matchseq(items, k + 1, p, cont) end
        return nil
      end
      return rep(0, pos)
    end
    -- a single character repeated: as many as can be, then fewer
    local ends = { pos }
    local p = pos
    while #ends - 1 < it.hi do
      local q = one(a, p)
      if not q then break end
      p = q
      ends[#ends + 1] = p
    end
    for j = #ends, it.lo + 1, -1 do
      local r = matchseq(items, k + 1, ends[j], cont)
      if r ~= nil then return r end
    end
    return nil
  end
  matchalt = function(alts, pos, cont)
    for _, items in ipairs(alts) do
      local r = matchseq(items, 1, pos, cont)
      if r ~= nil then return r end
    end
    return nil
  end
  local ok, r = pcall(function()
    for start = from or 1, #s + 1 do
      caps = {}
      local e = matchalt(top, start, function(p) return p end)
      if e then return { start, e - 1, caps } end
    end
    return nil
  end)
  if not ok then return false end
  if not r then return nil end
  return r[1], r[2], r[3]
end

-- grep's long options as its short ones
local greplong = { ["--quiet"] = "-q", ["--silent"] = "-q", ["--no-messages"] = "-s", ["--extended-regexp"] = "-E",
  ["--invert-match"] = "-v", ["--word-regexp"] = "-w", ["--line-regexp"] = "-x" }

-- an alternative's name as update-alternatives takes it, or nil and why not
local function altname(s)
  if s == "" or s == "." or s == ".." or s:find("[/%s%c]") then return nil, "is not an alternative's name" end
  return s
end

-- the most functions and sourced files one reading is inside at once, the
-- most bytes of a file it sources or copies, and the most bytes a file it
-- writes may grow to
local MAXDEPTH, MAXREAD, MAXWRITE = 16, 1 << 20, 1 << 20

-- printf's FORMAT with its arguments (%s %d %b %%, \n \t \\ \0NNN); the
-- format is reused while arguments are left, as the shell's printf does
local function printf(fmt, args)
  local out, k = {}, 1
  repeat
    local used = false
    local i = 1
    while i <= #fmt do
      local c = fmt:sub(i, i)
      if c == "\\" then
        local d = fmt:sub(i + 1, i + 1)
        local oct = fmt:match("^0?([0-7][0-7]?[0-7]?)", i + 1)
        if d == "n" then out[#out + 1] = "\n" elseif d == "t" then out[#out + 1] = "\t"
        elseif d == "\\" then out[#out + 1] = "\\"
        elseif oct then out[#out + 1] = string.char(tonumber(oct, 8) % 256); i = i + #fmt:match("^0?[0-7]+", i + 1) - 1
        else out[#out + 1] = "\\" .. d end
        i = i + 2
      elseif c == "%" then
        local spec = fmt:match("^%%[-0-9.]*[sdbuxc%%]", i)
        if not spec then return nil end
        local conv = spec:sub(-1)
        if conv == "%" then out[#out + 1] = "%"
        else
          local a = args[k] or ""
          k, used = k + 1, true
          if conv == "d" or conv == "u" then a = tostring(math.tointeger(tonumber(a) or 0) or 0) end
          if conv == "b" then a = printf(a:gsub("%%", "%%%%"), {}) or a end
          out[#out + 1] = a
        end
        i = i + #spec
      else
        out[#out + 1] = c
        i = i + 1
      end
    end
  until not used or k > #args
  return table.concat(out)
end

-- what the script does on a fresh install
function M.read(text, env)
  restepped, expanded = 0, 0
  local out = { alternatives = {}, links = {}, dirs = {}, files = {}, skipped = {}, triggers = {}, refused = {},
    diversions = {}, addshells = {}, accounts = {} }
  -- the accounts and owners, when the caller keeps them (imagegen.accounts)
  local A = env.accounts
  -- what the script made, by path: { kind = "link"|"dir"|"file", ... },
  -- or false where it removed a file of the image
  local made, order = {}, {}
  local function make(p, e)
    if made[p] == nil then order[#order + 1] = p end
    made[p] = e
  end
  local function exists(p)
    if p:sub(1, 1) == "/" then
      p = rootpath(p)
      if not p then return false end
      if p == "/" then return true end
    end
    if made[p] ~= nil then return made[p] and true or false end
    return env.exists(p)
  end
  -- the bytes of a file of the image (or made by the script), or nil
  local function readfile(p)
    local e = made[p]
    if e then return e.kind == "file" and e.data or nil end
    if e == false or not env.read then return nil end
    local data = env.read(p)
    if data and #data > MAXREAD then return nil end
    return data
  end
  -- a command that names a path outside the root: not done
  local function refuse(node, cmd, p, why)
    out.refused[#out.refused + 1] = { line = node.line, cmd = cmd, path = p, why = why }
    return true
  end
  local vars = { ["@arch"] = env.arch, DPKG_MAINTSCRIPT_ARCH = env.arch, DPKG_MAINTSCRIPT_PACKAGE = env.package,
    DPKG_ROOT = "", DPKG_MAINTSCRIPT_NAME = env.script, ["@args"] = {} }
  for i, a in ipairs(env.args) do vars[tostring(i)] = a; vars["@args"][i] = a end
  local funcs = {}
  local listed = {}
  -- inside $(...): { out = what it printed, unknown = whether something was not known }
  local capture
  local function skip(node, why, paths)
    -- inside $(...): the output is not known
    if capture then
      capture.unknown = true
      return
    end
    -- one entry a line, however many commands it holds
    if listed[node.line] then
      if paths then
        local s = listed[node.line]
        s.paths = s.paths or {}
        for _, p in ipairs(paths) do s.paths[#s.paths + 1] = p end
      end
      return
    end
    local s = { line = node.line, text = node.text, why = why, paths = paths, file = node.file }
    listed[node.line] = s
    out.skipped[#out.skipped + 1] = s
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
        for _, c in ipairs(n.list) do
          if type(c) == "table" and c.group then skipall(c.group) end
        end
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
      if op == "-L" or op == "-h" then
        -- a link the script made; a file of the image is taken for no link
        local p = rootpath(a)
        if p and made[p] ~= nil then return made[p] and made[p].kind == "link" or false end
        if p and not env.exists(p) then return false end
        return nil
      end
      if op == "-e" or op == "-f" or op == "-d" or op == "-x" or op == "-r" or op == "-s" then
        return exists(a)
      end
      if (op == "-O" or op == "-G") and A then
        -- owned by the user (su's, else root) or by its group
        local uid, gid = A:owner(a)
        local u = A:user(vars["@user"] or "root")
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
  local ret = {}
  local depth = 0
  local steps = 0
  local run, runtext
  -- a path a command names, normalised in the root; nil and the refusal
  -- when it climbs out (a relative one is nil alone: not known)
  local function path(node, cmd, p)
    if p:sub(1, 1) ~= "/" then return nil end
    local q, why = rootpath(p)
    if not q then refuse(node, cmd, p, why) end
    return q
  end
  local function split(w)
    local opts, args = {}, {}
    for i = 2, #w do
      if w[i]:sub(1, 1) == "-" and #args == 0 and w[i] ~= "-" then opts[#opts + 1] = w[i] else args[#args + 1] = w[i] end
    end
    return opts, args
  end
  -- a file made with bytes and mode
  local function writefile(p, data, mode)
    if #data > MAXWRITE then return false end
    make(p, { kind = "file", data = data, mode = mode })
    return true
  end
  -- the filters of a pipeline the reader can run on known text, else nil
  local function filter(w, input)
    local cmd = w[1]
    if cmd == "cut" then
      local d, f = "\t", nil
      for i = 2, #w do
        local dd = w[i]:match("^%-d(.+)$")
        local ff = w[i]:match("^%-f(%d+)$")
        if dd then d = dd elseif w[i] == "-d" and w[i + 1] then d = w[i + 1] end
        if ff then f = tonumber(ff) elseif w[i] == "-f" and w[i + 1] and w[i + 1]:match("^%d+$") then f = tonumber(w[i + 1]) end
      end
      if not f or #d ~= 1 then return nil end
      local res = {}
      for line in input:gmatch("([^\n]*)\n") do
        if not line:find(d, 1, true) then res[#res + 1] = line
        else
          local k = 0
          local field = ""
          for part in (line .. d):gmatch("(.-)" .. d:gsub("%p", "%%%0")) do
            k = k + 1
            if k == f then field = part end
          end
          res[#res + 1] = field
        end
      end
      return #res > 0 and table.concat(res, "\n") .. "\n" or ""
    end
    if cmd == "grep" then
      -- the lines selected, and whether there were any (grep's status)
      local ere, inv, q, word, whole, pat = false, false, false, false, false, nil
      for i = 2, #w do
        local o = greplong[w[i]] or w[i]
        if pat == nil and o:match("^%-[Evqswx]+$") then
          if o:find("E") then ere = true end
          if o:find("v") then inv = true end
          if o:find("q") then q = true end
          if o:find("w") then word = true end
          if o:find("x") then whole = true end
        elseif pat == nil and o == "-e" then
        elseif pat == nil then pat = o
        else return nil end
      end
      -- -w of a word alone (a match of one length: each start tried in turn)
      if not pat or (word and not pat:match("^[%w_.-]+$")) then return nil end
      if whole then pat = ere and "^(" .. pat .. ")$" or "^\\(" .. pat .. "\\)$" end
      local re = recompile(pat, ere)
      if not re then return nil end
      local function hit1(line)
        local from = 1
        while true do
          local a, b = rematch(re, line, from)
          if not a or not word then return a end
          if not line:sub(a - 1, a - 1):match("[%w_]") and not line:sub(b + 1, b + 1):match("[%w_]") then return a end
          from = a + 1
        end
      end
      local res = {}
      for line in input:gmatch("([^\n]*)\n") do
        local hit = hit1(line)
        if hit == false then return nil end
        if (hit ~= nil) ~= inv then res[#res + 1] = line .. "\n" end
      end
      return q and "" or table.concat(res), #res > 0
    end
    if cmd == "sed" then
      local expr = w[2] == "-e" and w[3] or w[2]
      if not expr or #w > (w[2] == "-e" and 3 or 2) then return nil end
      local d = expr:match("^s(.)")
      if not d or d == "\\" or d == "\n" then return nil end
      -- s/RE/REPL/FLAGS, "\" before the delimiter taken for the delimiter
      local parts, cur, k = {}, {}, 3
      while k <= #expr do
        local ch = expr:sub(k, k)
        if ch == "\\" and expr:sub(k + 1, k + 1) == d then cur[#cur + 1] = d; k = k + 2
        elseif ch == "\\" then cur[#cur + 1] = expr:sub(k, k + 1); k = k + 2
        elseif ch == d then parts[#parts + 1] = table.concat(cur); cur = {}; k = k + 1
        else cur[#cur + 1] = ch; k = k + 1 end
      end
      parts[#parts + 1] = table.concat(cur)
      if #parts ~= 3 or not parts[3]:match("^g?$") then return nil end
      local re = recompile(parts[1], false)
      if not re then return nil end
      local res = {}
      for line in input:gmatch("([^\n]*)\n") do
        local out1, from = {}, 1
        repeat
          local a, b, caps = rematch(re, line, from)
          if a == false then return nil end
          if not a then break end
          out1[#out1 + 1] = line:sub(from, a - 1)
          local r = parts[2]:gsub("\\(.)", function(x)
            local c = caps[tonumber(x)]
            if x:match("%d") then return c and line:sub(c[1], c[2]) or "" end
            return x == "n" and "\n" or x
          end)
          out1[#out1 + 1] = (r:gsub("&", function() return line:sub(a, b) end))
          from = b >= a and b + 1 or a + 1
          if b < a then out1[#out1 + 1] = line:sub(a, a) end
        until parts[3] ~= "g" or from > #line
        out1[#out1 + 1] = line:sub(from)
        res[#res + 1] = table.concat(out1) .. "\n"
      end
      return table.concat(res)
    end
    if cmd == "basename" and #w == 1 then return (input:gsub("\n$", ""):gsub("/+$", ""):match("[^/]*$")) .. "\n" end
    if cmd == "tr" and w[2] == "-d" and w[3] and not w[3]:find("[%[%]\\]") then
      return (input:gsub("[" .. w[3]:gsub("%p", "%%%0") .. "]", ""))
    end
    return nil
  end
  -- one simple command: true, false, or nil when it cannot be known; what
  -- it prints goes to io.out (a list of strings) when io is given
  local simple, cmdlist
  -- a command's output as $(...) takes it, or nil
  local function subst(src)
    if depth >= MAXDEPTH or #src > 4096 then return nil end
    local nodes = parse(src)
    local saved = capture
    capture = { out = {} }
    depth = depth + 1
    local ok, r = pcall(run, nodes)
    depth = depth - 1
    local got = capture
    capture = saved
    if not ok and r ~= exit and r ~= ret then error(r, 0) end
    if got.unknown then return nil end
    local text1 = table.concat(got.out)
    if #text1 > MAXWRITE then return nil end
    return (text1:gsub("\n+$", ""))
  end
  vars["@subst"] = subst
  -- accounts and owners, with env.accounts --------------------------------
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
  local function apath(node, cmd, p)
    if p:sub(1, 1) ~= "/" then return nil end
    local q = path(node, cmd, p)
    if not q then return nil, true end
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
      home, refused = apath(node, w[1], o.home)
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
  -- busybox's adduser and addgroup (Alpine's scripts, env.busybox): short
  -- options, -S a system account (imagegen.accounts allocates as busybox)
  if env.busybox then
    cmds.adduser = function(w, node)
      local o, names = options(w, { ["disabled-password"] = true, ["empty-password"] = true, system = true,
        ["no-create-home"] = true }, { home = true, gecos = true, shell = true, ingroup = true, uid = true, skel = true },
        { h = "home", g = "gecos", s = "shell", G = "ingroup", D = "disabled-password", S = "system",
          H = "no-create-home", u = "uid", k = "skel" })
      if not o or #names < 1 or #names > 2 then return nil end
      local uid = o.uid and math.tointeger(tonumber(o.uid))
      if o.uid and not uid then return nil end
      if #names == 2 then
        if next(o) then return nil end
        return did(node, A:apply { kind = "member", user = names[1], groups = { names[2] } })
      end
      local home, refused
      if o.home then
        home, refused = apath(node, w[1], o.home)
        if not home then return refused end
      end
      return did(node, A:apply { kind = "bbadduser", name = names[1], uid = uid, system = o.system,
        ingroup = o.ingroup, home = home, shell = o.shell, gecos = o.gecos, nocreatehome = o["no-create-home"] })
    end
    cmds.addgroup = function(w, node)
      local o, names = options(w, { system = true }, { gid = true }, { S = "system", g = "gid" })
      if not o or #names < 1 or #names > 2 then return nil end
      local gid = o.gid and math.tointeger(tonumber(o.gid))
      if o.gid and not gid then return nil end
      if #names == 2 then
        if next(o) then return nil end
        return did(node, A:apply { kind = "member", user = names[1], groups = { names[2] } })
      end
      return did(node, A:apply { kind = "bbaddgroup", name = names[1], gid = gid, system = o.system })
    end
  end
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
      home, refused = apath(node, w[1], home)
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
  -- getent passwd|group NAME: the entry, as getent prints it
  cmds.getent = function(w, _, print1)
    if #w ~= 3 or (w[2] ~= "passwd" and w[2] ~= "group") then return nil end
    local line = A:getent(w[2], w[3])
    if not line then return false end
    return print1(line .. "\n")
  end
  -- id [-u|-g|-G|-n|-r...] USER, printed as id prints it
  cmds.id = function(w, _, print1)
    local name = w[#w]
    if #w < 2 or name:sub(1, 1) == "-" then return nil end
    local flags = ""
    for i = 2, #w - 1 do
      if not w[i]:match("^%-[ugGnr]+$") then return nil end
      flags = flags .. w[i]:sub(2)
    end
    local u = A:user(name)
    if not u then return false end
    local which = flags:match("[ugG]")
    if flags:gsub("[nr]", ""):len() > 1 then return nil end
    local names = flags:find("n")
    local function gname(gid)
      local g = A:group(tostring(gid))
      return g and g.name or tostring(gid)
    end
    if which == "u" then return print1((names and u.name or tostring(u.uid)) .. "\n") end
    if which == "g" then return print1((names and gname(u.gid) or tostring(u.gid)) .. "\n") end
    local gs = A:groupsof(u.name)
    if which == "G" then
      local list = {}
      for k, g in ipairs(gs) do list[k] = names and g or tostring((A:group(g) or { gid = g }).gid) end
      return print1(table.concat(list, " ") .. "\n")
    end
    if flags ~= "" then return nil end
    local list = {}
    for k, g in ipairs(gs) do
      local gid = (A:group(g) or { gid = g }).gid
      list[k] = string.format("%s(%s)", gid, g)
    end
    return print1(string.format("uid=%d(%s) gid=%d(%s) groups=%s\n", u.uid, u.name, u.gid, gname(u.gid),
      table.concat(list, ",")))
  end
  -- chown, chgrp, chmod [-R] SPEC PATH...: the folders in A, the files the
  -- script made in made
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
      local p, refused = apath(node, cmd, w[j])
      if not p then return refused end
      local e = made[p]
      if e and e.kind == "file" then
        -- a file the script wrote: written with this owner and mode
        e.uid, e.gid = uid or e.uid, gid or e.gid
        if mode then e.mode = A:newmode(mode, e.mode or 420, false) end
      else
        local r, y = A:set(p, uid, gid, mode, R)
        if not r then ok, why = nil, y end
      end
    end
    return did(node, ok, why)
  end
  cmds.chown, cmds.chgrp, cmds.chmod = owners, owners, owners
  -- install -d [-m MODE] [-o USER] [-g GROUP] DIR...: made, then given the
  -- mode (0755 by default) and owner, as install does to a folder that exists
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
    if mode and not mode:match("^[0-7]+$") then return nil end
    if mode then mode = string.format("%05o", tonumber(mode, 8)) end
    local ok = true
    for _, d in ipairs(dirs) do
      local p, refused = apath(node, "install", d)
      if not p then return refused end
      if p ~= "/" then
        A:mkdir(p, 493, 0, 0)
        if not (made[p] and made[p].kind == "dir") then make(p, { kind = "dir", mode = tonumber(mode or "755", 8) }) end
        local r, y = A:set(p, uid, gid, mode or "00755")
        if not r then ok, why = nil, y end
      end
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
    local p, refused = apath(node, "dpkg-statoverride", args[4])
    if not p then return refused end
    return did(node, A:override(args[1], args[2], args[3], p, o.update))
  end
  -- su [-s SHELL] USER -c "COMMANDS": one and-or list, run as USER
  cmds.su = function(w, node)
    local o, names = options(w, { login = true, ["preserve-environment"] = true }, { shell = true, command = true },
      { l = "login", m = "preserve-environment", p = "preserve-environment", s = "shell", c = "command" })
    if not o or #names ~= 1 or not o.command or not A:user(names[1]) then return nil end
    -- "a &&" at a line's end goes on on the next
    local nodes = parse((o.command:gsub("([&|][&|])%s*\n%s*", "%1 ")))
    if #nodes ~= 1 or nodes[1].kind ~= "cmd" then return nil end
    -- listed, if at all, as the script's line
    nodes[1].line, nodes[1].text, nodes[1].file = node.line, node.text, node.file
    local saved = vars["@user"]
    vars["@user"] = names[1]
    local ok, r = pcall(cmdlist, nodes[1], true)
    vars["@user"] = saved
    if not ok then error(r, 0) end
    return r
  end
  -- a command A knows: true, false, or nil (not known: the caller lists it)
  local function accountcmd(w, node, print1)
    local f = A and cmds[w[1]]
    if f then return f(w, node, print1) end
  end
  simple = function(words, node, cond, io, c)
    local name = words[1]
    if not name then return true end
    -- assignments: NAME=VALUE ..., one after the other; one whose value
    -- cannot be known makes the variable unknown
    local assigned = false
    while words[1] and words[1]:match("^[%a_][%w_]*=") do
      local k = words[1]:match("^([%a_][%w_]*)=")
      local v = expand(words[1]:sub(#k + 2), vars)
      vars[k] = v and table.concat(v, " ") or nil
      words = { table.unpack(words, 2) }
      assigned = true
    end
    local w = expandall(words, vars)
    if not w then
      if not cond then skip(node) end
      return nil
    end
    if #w == 0 then return assigned or true end
    local cmd = w[1]
    local function print1(s)
      if io then io.out[#io.out + 1] = s end
      return true
    end
    if cmd == "[" or cmd == "test" then return test({ table.unpack(w, 2) }) end
    if cmd == "false" then return false end
    if cmd == "exit" then error(exit, 0) end
    if cmd == "return" then
      if depth > 0 then ret.code = tonumber(w[2] or "0") or 0; error(ret, 0) end
      error(exit, 0)
    end
    if cmd == "unset" then
      for i = 2, #w do vars[w[i]] = "" end
      return true
    end
    if cmd == "local" or cmd == "export" or cmd == "readonly" then
      for i = 2, #w do
        local k, v = w[i]:match("^([%a_][%w_]*)=(.*)$")
        if k then vars[k] = v end
      end
      return true
    end
    if cmd == "shift" then
      table.remove(vars["@args"], 1)
      for i = 1, 9 do vars[tostring(i)] = vars["@args"][i] or "" end
      return true
    end
    if cmd == "echo" then
      local nl = "\n"
      local i = 2
      while w[i] == "-n" or w[i] == "-e" do
        if w[i] == "-n" then nl = "" end
        i = i + 1
      end
      return print1(table.concat(w, " ", i) .. nl)
    end
    if cmd == "printf" then
      local s = w[2] and printf(w[2], { table.unpack(w, 3) })
      if not s then return nil end
      return print1(s)
    end
    if cmd == "cat" and c and c.heredoc and #w == 1 then
      -- a here-document: its lines, with $VAR expanded unless its word was quoted
      local res = {}
      for _, l in ipairs(c.heredoc.lines) do
        if c.heredoc.literal or not l:find("[$`\\]") then res[#res + 1] = l
        else
          local f = expand('"' .. l:gsub('"', '\\"') .. '"', vars)
          if not f then return nil end
          res[#res + 1] = f[1] or ""
        end
      end
      return print1(#res > 0 and table.concat(res, "\n") .. "\n" or "")
    end
    if cmd == "cat" and #w == 2 and w[2]:sub(1, 1) == "/" then
      local p = path(node, cmd, w[2])
      local data = p and readfile(p)
      if not data then return nil end
      return print1(data)
    end
    if cmd == "dpkg" and w[2] == "--compare-versions" and #w == 5 and (w[3] == "" or w[5] == "") and w[3] ~= w[5] then
      -- against no version (a fresh install's $2): dpkg takes it for the
      -- lowest, or with an op ending in -nl, the highest
      local op = w[4]
      local less = w[3] == ""
      if op:match("%-nl$") then less = not less; op = op:sub(1, -4) end
      if op == "lt" or op == "le" or op == "<<" or op == "<=" then return less end
      if op == "gt" or op == "ge" or op == ">>" or op == ">=" then return not less end
      if op == "eq" or op == "=" then return false end
      if op == "ne" then return true end
      return nil
    end
    if cmd == "dpkg-realpath" and #w == 2 then
      -- a link the script made, resolved once
      local p = path(node, cmd, w[2])
      local e = p and made[p]
      if e and e.kind == "link" then
        local t = e.target:sub(1, 1) == "/" and e.target or (p:match("^(.*)/[^/]*$") .. "/" .. e.target)
        p = rootpath(t)
      end
      if not p or e == false then return nil end
      return print1(p .. "\n")
    end
    if cmd == "dpkg" and (w[2] == "-L" or w[2] == "--listfiles") and env.list then
      -- the files of installed packages, as dpkg lists them
      local any = false
      for i = 3, #w do
        local l = env.list(w[i])
        if l then print1(l); any = true end
      end
      return any
    end
    if (cmd == "basename" or cmd == "dirname") and (#w == 2 or (#w == 3 and cmd == "basename")) then
      local x = w[2]:gsub("(.)/+$", "%1")
      if cmd == "dirname" then
        x = x:match("^(.*)/[^/]*$") or "."
        return print1((x == "" and "/" or x) .. "\n")
      end
      x = x:match("[^/]*$") ~= "" and x:match("[^/]*$") or x
      if w[3] and #x > #w[3] and x:sub(-#w[3]) == w[3] then x = x:sub(1, -#w[3] - 1) end
      return print1(x .. "\n")
    end
    if cmd == "update-alternatives" and w[2] == "--display" and w[3] then
      -- an alternative no script has installed yet: nothing to show
      for _, a in ipairs(out.alternatives) do if a.name == w[3] then return nil end end
      return false
    end
    if cmd == "uname" and (#w == 1 or (#w == 2 and w[2] == "-s")) then return print1("Linux\n") end
    if cmd == "dpkg" and w[2] == "--print-architecture" and vars["@arch"] then return print1(vars["@arch"] .. "\n") end
    if cmd == "db_get" and w[2] then
      -- on a fresh install with no one to ask, a question's answer is its template's default
      local d = env.debconf and env.debconf[w[2]]
      vars.RET = d or ""
      return true
    end
    if quiet[cmd] then return true end
    if cmd == "which" or (cmd == "command" and w[2] == "-v") then
      local prog = w[#w]
      if prog:sub(1, 1) == "/" then return exists(prog) and print1(prog .. "\n") or false end
      for _, d in ipairs { "/usr/local/sbin/", "/usr/local/bin/", "/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/" } do
        if exists(d .. prog) then return print1(d .. prog .. "\n") end
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
    if (cmd == "." or cmd == "source") and w[2] then
      -- a file of the image read as part of the script (debconf's own module aside)
      if w[2] == "/usr/share/debconf/confmodule" then return true end
      local p = path(node, cmd, w[2])
      if not p then return nil end
      local src = readfile(p)
      if not src or depth >= MAXDEPTH then
        skip(node, depth >= MAXDEPTH and string.format("imagegen reads no deeper than %d functions and files", MAXDEPTH)
          or "a file imagegen cannot read")
        return nil
      end
      depth = depth + 1
      local ok, r = pcall(runtext, src, p)
      depth = depth - 1
      if not ok and r ~= ret then error(r, 0) end
      return true
    end
    if funcs[cmd] then
      if depth >= MAXDEPTH then
        skip(node, string.format("imagegen reads no deeper than %d functions and files", MAXDEPTH))
        return nil
      end
      -- a function runs its body with its own arguments
      local saved, savedargs = {}, vars["@args"]
      for i = 1, 9 do
        saved[i] = vars[tostring(i)]
        vars[tostring(i)] = w[i + 1] or ""
      end
      vars["@args"] = { table.unpack(w, 2) }
      depth = depth + 1
      local ok, r = pcall(run, funcs[cmd].body)
      depth = depth - 1
      for i = 1, 9 do vars[tostring(i)] = saved[i] end
      vars["@args"] = savedargs
      if not ok then
        if r ~= ret then error(r, 0) end
        return r.code == 0
      end
      return true
    end
    if cmd == "ln" then
      local opts, args = split(w)
      local force, ok = false, #args == 2
      for _, o in ipairs(opts) do
        if not o:match("^%-[sfnTv]+$") or not o:find("s") then ok = false end
        if o:find("f") then force = true end
      end
      if ok and args[2]:sub(1, 1) == "/" then
        local p = path(node, "ln", args[2])
        if not p then return true end
        local e = made[p]
        if not exists(p) or (force and e) then
          make(p, { kind = "link", target = args[1] })
          return true
        end
        if not cond then skip(node, nil, { p }) end
        return nil
      end
    end
    if cmd == "install" and A then
      -- install -d, with its mode and owner (imagegen.accounts)
      local r = accountcmd(w, node, print1)
      if r ~= nil then return r end
    end
    if cmd == "mkdir" or (cmd == "install" and (w[2] == "-d" or w[2] == "--directory")) then
      local mode, paths, ok = 493, {}, true
      local i = 2
      while w[i] do
        if w[i] == "-p" or w[i] == "-d" or w[i] == "--directory" then i = i + 1
        elseif (w[i] == "-m" or w[i] == "--mode") and w[i + 1] and w[i + 1]:match("^[0-7]+$") then
          mode = tonumber(w[i + 1], 8)
          i = i + 2
        elseif w[i]:sub(1, 1) == "/" then
          local p, why = rootpath(w[i])
          if not p then return refuse(node, cmd, w[i], why) end
          paths[#paths + 1] = p
          i = i + 1
        else
          ok = false
          break
        end
      end
      if ok and #paths > 0 then
        for _, p in ipairs(paths) do
          if p ~= "/" and not (made[p] and made[p].kind == "dir") then make(p, { kind = "dir", mode = mode }) end
          -- where a chown of it finds it
          if A and p ~= "/" then A:mkdir(p, mode, 0, 0) end
        end
        return true
      end
    end
    if cmd == "touch" then
      local opts, args = split(w)
      local paths = {}
      for _, a in ipairs(args) do
        local p = path(node, cmd, a)
        if not p then if a:sub(1, 1) ~= "/" then return nil end return true end
        paths[#paths + 1] = p
      end
      for _, p in ipairs(paths) do
        if not exists(p) then writefile(p, "", 420) end
      end
      return #opts >= 0
    end
    if cmd == "cp" or cmd == "install" or cmd == "mv" then
      -- a file of the image (or one the script made) copied or moved
      local opts, args = {}, {}
      local mode, owner
      local i = 2
      while w[i] do
        if (w[i] == "-m" or w[i] == "--mode") and cmd == "install" and w[i + 1] then
          mode = w[i + 1]:match("^[0-7]+$") and tonumber(w[i + 1], 8)
          if not mode then return nil end
          i = i + 2
        elseif (w[i] == "-o" or w[i] == "-g") and cmd == "install" and w[i + 1] then
          -- install's owner and group, as chown's OWNER:GROUP
          owner = owner or { "", "" }
          owner[w[i] == "-o" and 1 or 2] = w[i + 1]
          i = i + 2
        elseif w[i]:sub(1, 1) == "-" and #args == 0 then
          opts[#opts + 1] = w[i]
          i = i + 1
        else
          args[#args + 1] = w[i]
          i = i + 1
        end
      end
      for _, o in ipairs(opts) do
        if o:find("r") or o:find("R") or o == "-t" or o == "--target-directory" then args = {} end
        -- install -d makes folders (above), copies nothing
        if cmd == "install" and (o == "--directory" or o:match("^%-%a*d")) then args = {} end
      end
      if #args == 2 and args[1]:sub(1, 1) == "/" and args[2]:sub(1, 1) == "/" then
        local from, to = path(node, cmd, args[1]), path(node, cmd, args[2])
        if not from or not to then return true end
        if made[to] and made[to].kind == "dir" or args[2]:sub(-1) == "/" or (A and A:isdir(to)) then
          to = rootpath(to .. "/" .. from:match("[^/]*$")) or to
        end
        local e = made[from]
        if cmd == "mv" and e then
          -- something the script made, moved
          made[from] = nil
          make(to, e)
          if A and e.kind == "dir" then A:rmdir(from); A:mkdir(to, e.mode, 0, 0) end
          return true
        end
        local uid, gid, why
        if owner and A then
          uid, gid, why = A:ids(owner[1] .. (owner[2] ~= "" and ":" .. owner[2] or ""))
          if not uid and not gid then return did(node, nil, why) end
        end
        local data = cmd ~= "mv" and readfile(from)
        if data and writefile(to, data, mode or 420) then
          made[to].uid, made[to].gid = uid, gid
          return true
        end
        if not cond then skip(node, nil, { to }) end
        return nil
      end
    end
    if (cmd == "rm" or cmd == "rmdir") and #w >= 2 then
      local opts, args = split(w)
      local force = false
      for _, o in ipairs(opts) do if o:find("f") then force = true end end
      local left = {}
      for _, a in ipairs(args) do
        local p = path(node, cmd, a)
        if not p then return a:sub(1, 1) ~= "/" and nil or true end
        if made[p] then
          if A and made[p].kind == "dir" then A:rmdir(p) end
          made[p] = nil
        elseif exists(p) then left[#left + 1] = p
        elseif not force and cmd == "rm" then return false end
      end
      if #left == 0 then return true end
      -- a file of the image: imagegen removes none, but one the script makes
      -- again at once (a link replaced) is the script's
      for _, p in ipairs(left) do make(p, false) end
      return true
    end
    if not A and cmd == "chmod" and #w == 3 and w[2]:match("^[0-7]+$") then
      local p = w[3]:sub(1, 1) == "/" and path(node, cmd, w[3])
      if p and made[p] and made[p].kind ~= "link" then
        made[p].mode = tonumber(w[2], 8)
        return true
      end
    end
    if cmd == "dpkg-divert" then
      -- diversions as dpkg-divert keeps them: none before this reading's
      local pkg, divert, act, file, rename = env.package, nil, "--add", nil, false
      local i = 2
      while w[i] do
        local o = w[i]
        if o == "--package" and w[i + 1] then pkg = w[i + 1]; i = i + 1
        elseif o == "--divert" and w[i + 1] then divert = w[i + 1]; i = i + 1
        elseif o == "--local" then pkg = ":"
        elseif o == "--rename" then rename = true
        elseif o == "--add" or o == "--remove" or o == "--listpackage" or o == "--truename" then act = o
        elseif o == "--no-rename" or o == "--quiet" then
        elseif o:sub(1, 1) ~= "-" and not w[i + 1] then file = o
        else return nil end
        i = i + 1
      end
      local p = file and path(node, cmd, file)
      if not p then return file and file:sub(1, 1) == "/" or nil end
      local found
      for k, d in ipairs(out.diversions) do if d.path == p then found = k end end
      if act == "--listpackage" then
        return print1(found and (out.diversions[found].package .. "\n") or "")
      elseif act == "--truename" then
        return print1((found and out.diversions[found].divert or p) .. "\n")
      elseif act == "--remove" then
        if found then table.remove(out.diversions, found) end
        return true
      end
      local to = path(node, cmd, divert or (p .. ".distrib"))
      if not to then return true end
      if rename and exists(p) then
        if not cond then skip(node, nil, { to }) end
        return nil
      end
      if found then return out.diversions[found].divert == to and out.diversions[found].package == pkg end
      out.diversions[#out.diversions + 1] = { path = p, divert = to, package = pkg }
      return true
    end
    if cmd == "update-shells" and #w == 1 then
      out.shells = true
      return true
    end
    if cmd == "add-shell" and #w >= 2 then
      for i = 2, #w do
        local p = path(node, cmd, w[i])
        if not p then return w[i]:sub(1, 1) == "/" or nil end
        out.addshells[#out.addshells + 1] = p
      end
      out.shells = true
      return true
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
    local r = accountcmd(w, node, print1)
    if r ~= nil then return r end
    if not cond then skip(node) end
    return nil
  end
  -- where a command's output goes: a file it writes, or what reads it
  local function stage(c, node, cond)
    if c.group then
      run(c.group)
      return true
    end
    local target, append
    for _, r in ipairs(c.redirs or {}) do
      if (r.redir == ">" or r.redir == ">>") and r.fd == 1 and not r.dup then
        local f = expand(r.target, vars)
        if not f or #f ~= 1 then
          if not cond then skip(node) end
          return nil
        end
        if f[1] ~= "/dev/null" then target, append = f[1], r.redir == ">>" end
      end
    end
    if not target then
      local io = c.pipe and { out = {} } or capture
      local r = simple(c.words, node, cond, io, c)
      local s = c.pipe
      if s and r ~= nil then
        local text1, status = table.concat(io.out), r
        while s and text1 do
          local w = expandall(s.words, vars)
          if w then text1, status = filter(w, text1) else text1 = nil end
          s = s.pipe
        end
        if text1 then
          if capture then capture.out[#capture.out + 1] = text1 end
          -- a pipeline's status is its last command's (grep's: a line selected)
          return status ~= false
        end
      end
      if c.pipe then
        if not cond then skip(node) end
        return nil
      end
      return r
    end
    -- "> FILE" and ">> FILE": what the command prints, into the file
    local p = path(node, "redirect", target)
    if not p then
      if target:sub(1, 1) ~= "/" then
        if not cond then skip(node) end
        return nil
      end
      return true
    end
    local io = { out = {} }
    local r = (#c.words == 0 or c.words[1] == ":" or c.words[1] == "true") and true
      or ((c.words[1] == "echo" or c.words[1] == "printf" or c.words[1] == "cat") and not c.pipe
        and simple(c.words, node, true, io, c))
    local old = ""
    if append then old = readfile(p) or (not exists(p) and "" or nil) end
    if r and old and writefile(p, old .. table.concat(io.out), made[p] and made[p].mode or 420) then return true end
    if not cond then skip(node, nil, { p }) end
    return nil
  end
  cmdlist = function(node, cond)
    local result = true
    local i = 1
    while i <= #node.list do
      local c = node.list[i]
      local r = stage(c, node, cond)
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
        -- "for" with no name (a syntax error for the shell): nothing known
        local words = type(n.var) == "string" and n.var:match("^[%a_][%w_]*$") and expandall(n.words, vars)
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
              if pf and globmatch(table.concat(pf, " "), word) then hit = true end
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
  -- a sourced file: its lines are listed with the script's line that read it
  local sourcing
  runtext = function(src, p)
    local nodes = parse(src)
    local outer = sourcing
    sourcing = sourcing or p
    local function relabel(list)
      for _, n in ipairs(list or {}) do
        n.file = sourcing
        if n.branches then for _, b in ipairs(n.branches) do relabel(b.body) end end
        relabel(n.body)
        relabel(n.otherwise)
        for _, a in ipairs(n.arms or {}) do relabel(a.body) end
      end
    end
    relabel(nodes)
    local ok, r = pcall(run, nodes)
    sourcing = outer
    if not ok then error(r, 0) end
  end
  local ok, err = pcall(run, parse(text))
  if not ok and err ~= exit and err ~= ret then error(err, 0) end
  -- what the script made, in the order it first made each path
  for _, p in ipairs(order) do
    local e = made[p]
    if e and e.kind == "link" then out.links[#out.links + 1] = { path = p, target = e.target }
    elseif e and e.kind == "dir" then out.dirs[#out.dirs + 1] = { path = p, mode = e.mode }
    elseif e and e.kind == "file" then
      out.files[#out.files + 1] = { path = p, data = e.data, mode = e.mode, uid = e.uid, gid = e.gid }
    elseif e == false then
      out.skipped[#out.skipped + 1] = { line = 0, text = "rm " .. p, why = "imagegen removes no file of a package" }
    end
  end
  return out
end

return M
