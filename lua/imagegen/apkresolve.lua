-- imagegen.apkresolve: Alpine's version order, dependency atoms and package
-- choice, as apk-tools has them (src/version.c, src/package.c, src/solver.c).
-- Pure: no natives, no I/O, the same answer for the same input.
--
-- A version is digits{.digits}{letter}{_suffix{digits}}...{~hash}{-rN}; two
-- are compared token by token: numbers as numbers (as strings when one has
-- a leading zero, after the first), suffixes _alpha < _beta < _pre < _rc <
-- none < _cvs < _svn < _git < _hg < _p, then what differs in kind: a
-- pre-release suffix is older than nothing, a longer version newer.
--
-- Resolution (docs/alpine.md, "Resolution"): the requests in the order
-- given, then each chosen package's depends in field order, breadth first.
-- A name already provided must fit every later atom on it; else the atom is
-- learnt and the whole choice made again with it known from the start (so
-- an atom met late still steers the first choice), and a second miss is a
-- conflict. A name's provider: the highest version of the name asked for,
-- then of the package's own name, then the highest k: priority, then the
-- earlier index, then the first by name. Then install_if: a package whose
-- install_if atoms all hold comes in with its depends, unless it cannot.
local M = {}

-- the token kinds, in apk's order (what follows a token is checked by it)
local INITIAL, DIGIT, LETTER, SUFFIX, SUFFIXNO, HASH, REVISION, END, INVALID = 0, 1, 2, 3, 4, 5, 6, 7, 8

local suffixes = { alpha = 1, beta = 2, pre = 3, rc = 4, cvs = 6, svn = 7, git = 8, hg = 9, p = 10 }
local NONE = 5

-- the token of v at pos, after a token of kind prev (nil: the first):
-- its kind, its text, the position after it, and a suffix's rank
local function token(v, pos, prev)
  if not prev then
    local d = v:match("^%d+", pos)
    if not d then return INVALID, "", pos end
    return INITIAL, d, pos + #d
  end
  local c = v:byte(pos)
  if not c then return END, "", pos end
  if c >= 97 and c <= 122 then  -- a-z
    if prev <= DIGIT then return LETTER, v:sub(pos, pos), pos + 1 end
  elseif c == 46 or (c >= 48 and c <= 57) then  -- . and digits
    if c == 46 then
      if prev > DIGIT then return INVALID, "", pos end
      pos = pos + 1
    end
    local k = (prev == INITIAL or prev == DIGIT) and DIGIT or prev == SUFFIX and SUFFIXNO
    local d = v:match("^%d+", pos)
    if k and d then return k, d, pos + #d end
  elseif c == 95 then  -- _
    if prev <= SUFFIXNO then
      local s = v:match("^%l*", pos + 1)
      if suffixes[s] then return SUFFIX, s, pos + 1 + #s, suffixes[s] end
    end
  elseif c == 126 then  -- ~
    if prev < HASH then
      local s = v:match("^[0-9a-f]+", pos + 1)
      if s then return HASH, s, pos + 1 + #s end
    end
  elseif c == 45 then  -- -
    if prev < REVISION then
      local d = v:match("^%-r(%d+)", pos)
      if d then return REVISION, d, pos + 2 + #d end
    end
  end
  return INVALID, "", pos
end

-- byte order (apk's blob sort: memcmp, then the shorter first); not
-- string's <, which follows the locale
local function bytecmp(a, b)
  if a == b then return 0 end
  for i = 1, math.min(#a, #b) do
    local x, y = a:byte(i), b:byte(i)
    if x ~= y then return x < y and -1 or 1 end
  end
  return #a < #b and -1 or 1
end

-- digits as a number of any length
local function numcmp(a, b)
  if #a <= 15 and #b <= 15 then
    local x, y = tonumber(a), tonumber(b)
    return x < y and -1 or x > y and 1 or 0
  end
  a, b = a:match("^0*(.*)$"), b:match("^0*(.*)$")
  if #a ~= #b then return #a < #b and -1 or 1 end
  return bytecmp(a, b)
end

-- two tokens of kind k: their texts, and suffixes' ranks
local function tokcmp(k, a, b, sa, sb)
  if k == DIGIT and (a:byte(1) == 48 or b:byte(1) == 48) then return bytecmp(a, b) end
  if k == INITIAL or k == DIGIT or k == SUFFIXNO or k == REVISION then return numcmp(a, b) end
  if k == SUFFIX then return sa < sb and -1 or sa > sb and 1 or 0 end
  return bytecmp(a, b)
end

-- apk_version_compare_fuzzy: fuzzy, b's tokens need only begin a's
local function compare(a, b, fuzzy)
  local ka, va, pa, sa = token(a, 1)
  local kb, vb, pb, sb = token(b, 1)
  while ka == kb and ka < END do
    local r = tokcmp(ka, va, vb, sa, sb)
    if r ~= 0 then return r end
    ka, va, pa, sa = token(a, pa, ka)
    kb, vb, pb, sb = token(b, pb, kb)
  end
  if ka == kb then return 0 end
  if kb == END and fuzzy then return 0 end
  if ka == SUFFIX and sa < NONE then return -1 end
  if kb == SUFFIX and sb < NONE then return 1 end
  if ka > kb then return -1 end
  return 1
end

-- -1, 0 or 1 as a is older than, the same as or newer than b
function M.vercmp(a, b)
  return compare(a, b, false)
end

function M.validversion(v)
  if type(v) ~= "string" then return false end
  -- most are digits and dots, perhaps with -rN: at once
  local head = v:match("^(.-)%-r%d+$") or v
  if head:find("^%d[%d.]*$") and not head:find("..", 1, true) and head:byte(-1) ~= 46 then return true end
  local k, _, pos = token(v, 1)
  while k < END do k, _, pos = token(v, pos, k) end
  return k == END
end

-- Atoms. The operators apk reads (apk_version_result_mask), by the results
-- of a comparison they accept; "~=" is apk's "~" (fuzzy) spelt as Alpine's
-- documentation writes it.
local ops = {
  ["="] = { eq = true }, ["<"] = { lt = true }, [">"] = { gt = true },
  ["<="] = { lt = true, eq = true }, [">="] = { gt = true, eq = true },
  ["~"] = { eq = true, fuzzy = true }, ["~="] = { eq = true, fuzzy = true, canon = "~" },
  ["<~"] = { lt = true, eq = true, fuzzy = true }, [">~"] = { gt = true, eq = true, fuzzy = true },
  ["><"] = { checksum = true },
}

-- the characters of a dependency name (apk's APK_CTYPE_DEPENDENCY_NAME)
local function namechars(s)
  return s:match("^[%w+._:,/%[%]-]+$") ~= nil
end

-- text from an index or a definition as an error line shows it: control
-- characters as ?, at most 100 bytes
local function shown(s)
  s = tostring(s):gsub("%c", "?")
  if #s > 100 then s = s:sub(1, 97) .. "..." end
  return s
end

-- the form apk writes an atom in (world, depends): "~=" as "~"
function M.atomstring(a)
  local s = (a.conflict and "!" or "") .. a.name
  if a.op then s = s .. a.op .. a.version end
  return s
end

function M.atom(s)
  if type(s) ~= "string" then return nil, string.format("a dependency atom is text, not a %s", type(s)) end
  if s == "" then return nil, "an empty dependency atom" end
  local text = s
  s = shown(s)
  local bang, name, op, version = s:match("^(!?)([^<>=~]*)([<>=~]*)(.*)$")
  if name == "" then return nil, string.format("'%s' names no package", s) end
  if name:find("@", 1, true) then
    return nil, string.format("'%s': repository tags (@tag) are not supported", s)
  end
  if not namechars(name) then
    local c = text:match("^!?([^<>=~]*)"):match("[^%w+._:,/%[%]-]")
    return nil, string.format("'%s': '%s' is not allowed in a package name", s, shown(c))
  end
  local a = { name = name, conflict = bang == "!", text = text }
  if op == "" then return a end
  local o = ops[op]
  if not o then
    return nil, string.format("'%s': '%s' is not a version operator (= < > <= >= ~ ~=)", s, op)
  end
  if version == "" then return nil, string.format("'%s': no version after '%s'", s, op) end
  if o.checksum then
    if not version:match("^Q1[%w+/]+=*$") then
      return nil, string.format("'%s': '%s' is not a package checksum (Q1...)", s, shown(version))
    end
  elseif not M.validversion(version) then
    return nil, string.format("'%s': '%s' is not an apk version", s, shown(version))
  end
  a.op, a.version = o.canon or op, version
  return a
end

-- Does a provider (its name's version; "" where a provides has none, as
-- apk's null atom, which is older than any version) fit atom a? checksum:
-- the package's C: field, for "><". A conflict atom inverts the answer.
local function fits(version, a, checksum)
  local ok
  if not a.op then
    ok = true
  else
    local o = ops[a.op]
    if o.checksum then
      ok = checksum == a.version
    else
      local r = compare(version, a.version, o.fuzzy)
      ok = (r < 0 and o.lt) or (r == 0 and o.eq) or (r > 0 and o.gt) or false
    end
  end
  if a.conflict then return not ok end
  return ok
end

-- does version fit atom a (its version part; a conflict atom inverted)?
function M.fits(version, a)
  return fits(version, a)
end

-- Indexes. records: tables of strings as native.apkindex returns them.
local function label(repo)
  if type(repo) == "string" then return repo end
  if type(repo) == "table" then return repo.name or repo.url or "an index" end
  return "an index"
end

local function words(s)
  local out = {}
  for w in (s or ""):gmatch("%S+") do out[#out + 1] = w end
  return out
end

function M.index(records, repo)
  local idx = { repo = repo, label = label(repo), entries = {}, byname = {}, provides = {} }
  local function bad(fmt, ...)
    error(idx.label .. ": its index: " .. string.format(fmt, ...), 0)
  end
  for i, r in ipairs(records) do
    local name, version = r.P, r.V
    if type(name) ~= "string" or not name:match("^[%w+._-]+$") then
      bad("package %d has the name '%s'", i, shown(name))
    end
    if not M.validversion(version) then
      bad("%s has the version '%s', which is not an apk version", name, shown(version))
    end
    for _, f in ipairs { "A", "C", "D", "i", "k", "p" } do
      if r[f] ~= nil and type(r[f]) ~= "string" then bad("%s-%s: its field %s is not text", name, version, f) end
    end
    local prio = 0
    if r.k then
      prio = r.k:match("^%d+$") and tonumber(r.k)
      if not prio or prio > 65535 then bad("%s-%s has the priority '%s'", name, version, shown(r.k)) end
    end
    local e = { rec = r, idx = idx, order = i, name = name, version = version, prio = prio,
      id = name .. "-" .. version }
    idx.entries[i] = e
    local list = idx.byname[name] or {}
    idx.byname[name] = list
    list[#list + 1] = e
    -- provides by name, each read as an atom when first used (provide)
    for w in (r.p or ""):gmatch("%S+") do
      local n = w:match("^[^=]*")
      local plist = idx.provides[n] or {}
      idx.provides[n] = plist
      plist[#plist + 1] = { pkg = e, word = w }
    end
  end
  return idx
end

-- a provides word of entry e: its name and version ("" for none)
local function provide(e, w)
  local a, msg = M.atom(w)
  if not a or a.conflict or (a.op and a.op ~= "=") then
    error(string.format("%s: its index: %s: its provides: %s", e.idx.label, e.id,
      msg or string.format("'%s' is not name or name=version", w)), 0)
  end
  return a.name, a.version or ""
end

-- an entry's depends or install_if, parsed when first read
local function atoms(e, field)
  local key = field == "D" and "deps" or "iif"
  if not e[key] then
    local list = {}
    for _, w in ipairs(words(e.rec[field])) do
      local a, msg = M.atom(w)
      if not a then
        error(string.format("%s: its index: %s: its %s: %s", e.idx.label, e.id,
          field == "D" and "depends" or "install_if", msg), 0)
      end
      list[#list + 1] = a
    end
    e[key] = list
  end
  return e[key]
end

-- The resolver's state: chosen (package name -> entry), names (a name ->
-- the chosen providers of it: { pkg, version }), rules (a name -> the atoms
-- on it so far: { atom, why, owner }), order (the entries in the order
-- chosen), why (entry -> its chain of atoms).
-- While an install_if package is tried, journal lists each change (a map,
-- a key, and the list appended to or nil for a key set), to be undone if it
-- cannot come in.
local function newstate()
  return { chosen = {}, names = {}, rules = {}, order = {}, why = {} }
end

local function set(s, map, key, v)
  map[key] = v
  if s.journal then s.journal[#s.journal + 1] = { map, key } end
end

local function append(s, map, key, v)
  local list = map[key]
  if not list then
    list = {}
    map[key] = list
  end
  list[#list + 1] = v
  if s.journal then s.journal[#s.journal + 1] = { map, key, list } end
end

local function undo(s)
  local j = s.journal
  for i = #j, 1, -1 do
    local map, key, list = j[i][1], j[i][2], j[i][3]
    if list then
      list[#list] = nil
      if #list == 0 and map ~= s then map[key] = nil end
    else
      map[key] = nil
    end
  end
  s.journal = nil
end

local function chain(why)
  return table.concat(why, " -> ")
end

-- what an atom asks, in a sentence ("needs foo>=2", "conflicts with foo")
local function asks(a)
  if a.conflict then return "conflicts with " .. a.text:sub(2) end
  return "needs " .. a.text
end

-- a rule's holder, for messages: the package that has it and its chain
-- (r.why ends with the rule's own atom), or the request
local function holder(r)
  if r.owner then return string.format("%s (%s)", r.owner.id, table.concat(r.why, " -> ", 1, #r.why - 1)) end
  return "the request " .. r.atom.text
end

-- A resolution problem: raised as { msg = } (an error) or { learn = rule }
-- (an atom to know from the start).
local function problem(fmt, ...)
  error({ msg = string.format(fmt, ...) }, 0)
end

function M.resolve(indexes, requests, opts)
  opts = opts or {}
  local arch = opts.arch

  -- every provider of a name: { pkg, version, rank } (rank: the order of
  -- the index, then of the record)
  local providers = {}
  local function providersof(name)
    local list = providers[name]
    if list then return list end
    list = {}
    for n, idx in ipairs(indexes) do
      for _, e in ipairs(idx.byname[name] or {}) do
        list[#list + 1] = { pkg = e, version = e.version, rank = n * 1e7 + e.order }
      end
      for _, p in ipairs(idx.provides[name] or {}) do
        local _, v = provide(p.pkg, p.word)
        list[#list + 1] = { pkg = p.pkg, version = v, rank = n * 1e7 + p.pkg.order }
      end
    end
    local kept = {}
    for _, p in ipairs(list) do
      local a = p.pkg.rec.A
      if not arch or a == nil or a == arch or a == "noarch" then kept[#kept + 1] = p end
    end
    providers[name] = kept
    return kept
  end

  -- apk's compare_providers, the better first
  local function better(p, q)
    local r = M.vercmp(p.version, q.version)
    if r ~= 0 then return r > 0 end
    if p.pkg.name == q.pkg.name then
      r = M.vercmp(p.pkg.version, q.pkg.version)
      if r ~= 0 then return r > 0 end
    end
    if p.pkg.prio ~= q.pkg.prio then return p.pkg.prio > q.pkg.prio end
    if p.pkg.idx ~= q.pkg.idx then return p.rank < q.rank end
    if p.pkg.name ~= q.pkg.name then return bytecmp(p.pkg.name, q.pkg.name) < 0 end
    return p.rank < q.rank
  end

  -- the names an entry takes: its own, with its version, and its provides
  local function takes(e)
    if e.takes then return e.takes end
    local list = { { name = e.name, version = e.version } }
    for _, w in ipairs(words(e.rec.p)) do
      local n, v = provide(e, w)
      list[#list + 1] = { name = n, version = v }
    end
    e.takes = list
    return list
  end

  local learnt, known = {}, {}
  local state

  -- why entry e cannot come in now, or nil: a rule on one of its names it
  -- does not fit, or a name another chosen package provides with a version
  local function refused(e)
    local have = state.chosen[e.name]
    if have and have ~= e then
      return string.format("%s was chosen for %s", have.id, chain(state.why[have]))
    end
    for _, t in ipairs(takes(e)) do
      for _, rules in ipairs { state.rules[t.name] or {}, learnt[t.name] or {} } do
        for _, r in ipairs(rules) do
          if r.owner ~= e and not fits(t.version, r.atom, e.rec.C) then
            return string.format("%s %s", holder(r), asks(r.atom))
          end
        end
      end
      for _, q in ipairs(state.names[t.name] or {}) do
        if q.pkg ~= e and not (q.version == "" and t.version == "") then
          return string.format("%s (chosen for %s) provides %s too", q.pkg.id, chain(state.why[q.pkg]), t.name)
        end
      end
    end
  end

  -- queue: the chosen entries whose depends are still to read; deferred:
  -- atoms on a name only providers without a version offer, read again once
  -- the rest is chosen (as apk chooses names with options last)
  local queue, deferred

  local function choose(e, why)
    set(state, state.chosen, e.name, e)
    set(state, state.why, e, why)
    append(state, state, "order", e)
    for _, t in ipairs(takes(e)) do append(state, state.names, t.name, { pkg = e, version = t.version }) end
    queue[#queue + 1] = e
  end

  -- atom a, with its chain why, asked by owner (nil: a request); last: no
  -- more deferring
  local function need(a, why, owner, last)
    local rule = { atom = a, why = why, owner = owner }
    append(state, state.rules, a.name, rule)
    local have = state.names[a.name]
    local function whose()
      if owner then return string.format("%s: %s depends on %s", chain(state.why[owner]), owner.id, a.text) end
      return a.text
    end
    if have then
      -- a conflict: no provider may match; else one provider must fit
      local bad = not a.conflict and have[1] or nil
      for _, q in ipairs(have) do
        local ok = q.pkg == owner or fits(q.version, a, q.pkg.rec.C)
        if a.conflict and not ok then
          bad = q
          break
        elseif not a.conflict and ok then
          bad = nil
          break
        end
      end
      if bad then
        local key = a.name .. "\0" .. a.text
        if not known[key] then
          set(state, known, key, true)
          error({ learn = rule }, 0)
        end
        problem("conflict: %s, but %s was chosen for %s", whose(), bad.pkg.id, chain(state.why[bad.pkg]))
      end
      return
    end
    if a.conflict then return end
    local all = providersof(a.name)
    if #all == 0 then
      if owner then problem("%s, which no package provides", whose()) end
      local names = {}
      for i, idx in ipairs(indexes) do names[i] = idx.label end
      problem("%s: no package provides %s (in %s)", a.text, a.name, table.concat(names, ", "))
    end
    local fit = {}
    for _, p in ipairs(all) do
      if fits(p.version, a, p.pkg.rec.C) then fit[#fit + 1] = p end
    end
    table.sort(fit, better)
    if #fit == 0 then
      local seen, versions = {}, {}
      table.sort(all, better)
      for _, p in ipairs(all) do
        local v = p.version == "" and p.pkg.id or p.version
        if not seen[v] then
          seen[v] = true
          versions[#versions + 1] = v
        end
      end
      problem(owner and "%s, but %s has only %s" or "%s: %s has only %s", whose(), a.name, table.concat(versions, ", "))
    end
    local pick, first
    local virtual = {}
    for _, p in ipairs(fit) do
      local why2 = refused(p.pkg)
      -- apk chooses a provider of a name without a version only when it has
      -- a k: priority or its own name is asked for
      local auto = p.version ~= "" or p.pkg.prio > 0 or state.rules[p.pkg.name] ~= nil
      if not why2 and auto then
        pick = p
        break
      end
      if not why2 then virtual[#virtual + 1] = p.pkg.name end
      first = first or why2 and { p = p, why = why2 }
    end
    if not pick then
      if not first and not last then
        deferred[#deferred + 1] = { a = a, why = why, owner = owner }
        return
      end
      if first then
        problem("conflict: %s, which %s fits, but %s", whose(), first.p.pkg.id, first.why)
      end
      table.sort(virtual, function(x, y) return bytecmp(x, y) < 0 end)
      problem("%s: %s is provided by %s, with no version or priority: name one of them", whose(), a.name,
        table.concat(virtual, ", "))
    end
    local w = table.move(why, 1, #why, 1, {})
    choose(pick.pkg, w)
  end

  local function drain()
    while true do
      local i = 1
      while i <= #queue do
        local e = queue[i]
        for _, d in ipairs(atoms(e, "D")) do
          local why = table.move(state.why[e], 1, #state.why[e], 1, {})
          why[#why + 1] = d.text
          need(d, why, e)
        end
        i = i + 1
      end
      queue = {}
      if #deferred == 0 then return end
      local list = deferred
      deferred = {}
      for _, x in ipairs(list) do need(x.a, x.why, x.owner, true) end
    end
  end

  -- do a's installed providers fit it (install_if: all must hold)?
  local function holds(a)
    local have = state.names[a.name]
    if not have then return a.conflict end
    for _, q in ipairs(have) do
      local ok = fits(q.version, a, q.pkg.rec.C)
      if ok ~= a.conflict then return ok end
    end
    return a.conflict
  end

  -- the packages with install_if, by name, each name's best first
  local iifs, iifnames = {}, {}
  for n, idx in ipairs(indexes) do
    for _, e in ipairs(idx.entries) do
      local a = e.rec.A
      if e.rec.i and (not arch or a == nil or a == arch or a == "noarch") then
        if not iifs[e.name] then
          iifs[e.name] = {}
          iifnames[#iifnames + 1] = e.name
        end
        local list = iifs[e.name]
        list[#list + 1] = { pkg = e, version = e.version, rank = n * 1e7 + e.order }
      end
    end
  end
  table.sort(iifnames, function(x, y) return bytecmp(x, y) < 0 end)
  for _, name in ipairs(iifnames) do table.sort(iifs[name], better) end

  local parsed = {}
  for i, r in ipairs(requests) do
    local a, msg = M.atom(r)
    if not a then error(msg, 0) end
    parsed[i] = a
  end

  local function solve()
    state, queue, deferred = newstate(), {}, {}
    for _, a in ipairs(parsed) do need(a, { a.text }) end
    drain()
    local skipped = {}
    repeat
      local more = false
      for _, name in ipairs(iifnames) do
        if not state.names[name] then
          for _, p in ipairs(iifs[name]) do
            local e = p.pkg
            if not skipped[e] then
              local all = true
              for _, a in ipairs(atoms(e, "i")) do
                if not holds(a) then
                  all = false
                  break
                end
              end
              if all then
                state.journal = {}
                local ok, err = pcall(function()
                  if refused(e) then error({ msg = "refused" }, 0) end
                  choose(e, { "install_if " .. e.rec.i })
                  drain()
                end)
                if ok then
                  state.journal, more = nil, true
                else
                  if type(err) ~= "table" then error(err, 0) end
                  undo(state)
                  queue, deferred = {}, {}
                  skipped[e] = true
                end
                break
              end
            end
          end
        end
      end
    until not more
  end

  while true do
    local ok, err = pcall(solve)
    if ok then break end
    if type(err) ~= "table" then error(err, 0) end
    if err.msg then error(err.msg, 0) end
    local r = err.learn
    local list = learnt[r.atom.name] or {}
    learnt[r.atom.name] = list
    list[#list + 1] = r
  end

  -- install order: a package after those that meet its depends and
  -- install_if (the first chosen of them), ties and cycles by name
  local after, count = {}, {}
  for _, e in ipairs(state.order) do
    after[e], count[e] = {}, 0
  end
  for _, e in ipairs(state.order) do
    local seen = {}
    for _, field in ipairs { "D", "i" } do
      for _, a in ipairs(atoms(e, field)) do
        if not a.conflict then
          for _, q in ipairs(state.names[a.name] or {}) do
            if fits(q.version, a, q.pkg.rec.C) then
              if q.pkg ~= e and not seen[q.pkg] then
                seen[q.pkg] = true
                local l = after[q.pkg]
                l[#l + 1] = e
                count[e] = count[e] + 1
              end
              break
            end
          end
        end
      end
    end
  end
  local function earlier(x, y)
    if x.name ~= y.name then return bytecmp(x.name, y.name) < 0 end
    return M.vercmp(x.version, y.version) < 0
  end
  local left = table.move(state.order, 1, #state.order, 1, {})
  table.sort(left, earlier)
  -- the packages ready to install: a heap, the earliest by name on top
  local heap = {}
  local function put(e)
    local i = #heap + 1
    heap[i] = e
    while i > 1 and earlier(heap[i], heap[i // 2]) do
      heap[i], heap[i // 2] = heap[i // 2], heap[i]
      i = i // 2
    end
  end
  local function take()
    local top, last = heap[1], heap[#heap]
    heap[#heap] = nil
    if #heap > 0 then
      heap[1] = last
      local i = 1
      while true do
        local l, r, m = 2 * i, 2 * i + 1, i
        if heap[l] and earlier(heap[l], heap[m]) then m = l end
        if heap[r] and earlier(heap[r], heap[m]) then m = r end
        if m == i then break end
        heap[i], heap[m] = heap[m], heap[i]
        i = m
      end
    end
    return top
  end
  for _, e in ipairs(left) do
    if count[e] == 0 then put(e) end
  end
  local out, done, cursor = {}, {}, 1
  while #out < #left do
    local pick = #heap > 0 and take()
    if not pick then
      -- a cycle: its first by name goes first
      while done[left[cursor]] do cursor = cursor + 1 end
      pick = left[cursor]
      count[pick] = -1
    end
    done[pick] = true
    for _, e in ipairs(after[pick]) do
      count[e] = count[e] - 1
      if count[e] == 0 and not done[e] then put(e) end
    end
    local rec = {}
    for k, v in pairs(pick.rec) do rec[k] = v end
    rec.why = table.move(state.why[pick], 1, #state.why[pick], 1, {})
    rec.repo = pick.idx.repo
    out[#out + 1] = rec
  end
  return out
end

return M
