# imagegen.apkresolve (lua/imagegen/apkresolve.lua), run by the lua5.4
# interpreter on the module's source (the module is pure: no natives):
# apk's version order against apk-tools' own vectors, dependency atoms good
# and bad, and resolution on synthetic indexes written below: a chain over
# provides (so:, cmd:, pc:), ~ and ~= picking the highest 1.18.x, = exact, >=
# and <, the highest version across two indexes in their order, k:
# priorities, install_if, an atom met late steering the first choice,
# conflicts and a missing provider refused in one line naming the chain, the
# install order (depends first), the same answer for the same input.
. "$TOP/tests/lib.sh"

if ! have lua5.4; then
	fail "apkresolve: lua5.4 is not installed (apt-get install lua5.4)"
	exit 0
fi
workdir apkresolve

# Version vectors: lines of apk-tools' test/unit/version.data (the
# alpinelinux/apk-tools repository at commit 90b974fd8510, the file last
# changed in fcd4defc18e6), copied as they are there: "A op B" holds, "A !op
# B" does not, "V" is a valid version, "!V" is not.
cat > "$W/version.data" <<'DATA'
2.34 > 0.1.0_alpha
23_foo > 4_beta
1.0 < 1.0bc		# invalid. do string sort
0.1.0_alpha = 0.1.0_alpha
0.1.0_alpha < 0.1.3_alpha
0.1.3_alpha > 0.1.0_alpha
0.1.0_alpha2 > 0.1.0_alpha
0.1.0_alpha < 2.2.39-r1
2.2.39-r1 > 1.0.4-r3
1.0.4-r3 < 1.0.4-r4
1.0.4-r4 < 1.6
1.6 > 1.0.2
4.8-r1 > 3.10.18-r1
0.12 < 0.13_beta1
2.1.13-r3 < 2.1.15-r2
1.06-r6 < 006
2.1.0-r2 < 2.9.3-r1
20050718-r2 > 3.9.8-r5
0.5.2.7 < 4.2.52_p2-r1
1.05-r18 < 1.05-r19
2.1.10-r2 > 0.7.18-r2
1.2.10-r5 < 4.1.4-r3
0.97-r3 < 1.3.5-r10
1.3.5-r1 < 1.3.5-r4
1.1.7 < 6b-r7
2.0.2 > 1.1a
1.06-r1 < 1.06-r2
22.7 > 2.1_pre20
2.8.5-r3 < 2.8.6-r1
1.6d > 1.2.07.8
3.2.2-r1 < 3.2.2-r2
0.26.1-r1 < 5.2.1.2-r1
0.20070118 < 0.20070207_rc1
4.3_p2-r1 < 4.3_p2-r5
4.5_p1 > 0.9.8c-r1
014-r1 > 1.3.1-r1
5b-r9 > 2.2.10
2.4.3-r4 > 0.98.6-r1
1.2.6-r1 < 2.6.8-r2
1.4.9-r2 < 2.9.11_pre20051101-r2
1.3.2-r3 < 1.6.8_p12-r1
7.6-r8 > 3.9.4-r2
1.0.5 < 1.4_p12-r2
104-r11 > 104-r9
2.12r-r4 < 2.12r-r5
1.0_p10-r0 > 1.0_p9-r0
6.1_p1 > 6.1
3.6.0_pre1 !~ 3.8
!0.1_pre2~
!_pre1
1.0~1234 < 1.0~2345
1.0~1234-r1 < 1.0~2345-r0
1.0~1234-r1 > 1.0~1234-r0
3.6.0 ~ 3.6
3.6.9 ~ 3.6
3.6_pre1 ~ 3.6
3.6.0_pre1 ~ 3.6
3.6.9_post1 ~ 3.6
3.6.0 ~ 3.6.0
3.5 <~ 3.6
3.7 >~ 3.6
3.6.0 !~ 3.8
3.6.9 !~ 3.8
3.8 !~ 3.8.1
3.8.0 !~ 3.8.1
3.8.0.1 !~ 3.8.1
3.6_pre1 !~ 3.8
3.6.9_post1 !~ 3.8
1.2
0.1_pre2
0.1_pre2~1234abcd
0.1_p1_pre2
0.1_alpha1_pre2
0.1_git20240101_pre1
!
!0.1bc
!0.1bc1
!0.1a1
!0.1a.1
!0.1_pre2~1234xbcd
!0.1_pre2~1234abcd_pre1
!0.1_pre2-r1~1234xbcd
!0.1_foobar
!0.1_foobar1
!0.1-pre1.1
!0.1-r
!0.1-r2_pre1
!0.1-r2_p3_pre1
!0.1-r2-r3
!0.1-r2.1
!.1
!a
!-r1
!0.1_
!0.1_-r0
!0.1__alpha
!0.1_1_alpha
0.1.0_alpha_pre2 < 0.1.0_alpha
6.0_pre1 < 6.0
DATA

cat > "$W/test.lua" <<'LUA'
local M = require "imagegen.apkresolve"
local function say(ok, desc, detail)
  print((ok and "ok " or "FAIL ") .. desc)
  if not ok and detail then print("    " .. detail) end
end
local function same(desc, want, got)
  say(want == got, desc, string.format("expected: %s\n    actual:   %s", tostring(want), tostring(got)))
end

-- version.data, read as apk-tools' version_test.c reads it
local n, bad = 0, {}
for line in io.lines(arg[1]) do
  line = line:gsub("#.*", ""):gsub("%s+$", "")
  if line ~= "" then
    n = n + 1
    local a, op, b = line:match("^(%S+) (%S+) (%S+)$")
    local ok
    if a then
      local invert = op:sub(1, 1) == "!"
      if invert then op = op:sub(2) end
      if op == "<" or op == ">" or op == "=" then
        ok = M.vercmp(a, b) == ({ ["<"] = -1, ["="] = 0, [">"] = 1 })[op]
      else
        ok = M.fits(a, assert(M.atom("x" .. op .. b)))
      end
      if invert then ok = not ok end
    else
      local invert = line:sub(1, 1) == "!"
      ok = M.validversion(invert and line:sub(2) or line)
      if invert then ok = not ok end
    end
    if not ok then bad[#bad + 1] = line end
  end
end
say(#bad == 0 and n > 90, string.format("version order and validity: %d vectors of apk-tools' version.data", n),
  table.concat(bad, " | "))
same("version order: _rc < none < _p, -r, numbers", "-1 -1 1 -1 0", table.concat({
  M.vercmp("1.18.0_rc1", "1.18.0"), M.vercmp("1.18.0", "1.18.0_p1"), M.vercmp("1.18.0-r1", "1.18.0-r0"),
  M.vercmp("1.9", "1.10"), M.vercmp("1.18.0", "1.18.0") }, " "))
same("a number longer than 64 bits", 1, M.vercmp("1.184467440737095516160", "1.18446744073709551615"))

-- atoms
local function show(s)
  local a, msg = M.atom(s)
  if not a then return "nil, " .. msg end
  return string.format("%s %s %s %s", a.name, tostring(a.op), tostring(a.version), tostring(a.conflict))
end
local good = {
  { "nginx", "nginx nil nil false" },
  { "nginx=1.18.0-r0", "nginx = 1.18.0-r0 false" },
  { "nginx~1.18", "nginx ~ 1.18 false" },
  { "nginx~=1.18", "nginx ~ 1.18 false" },
  { "nginx>=1", "nginx >= 1 false" },
  { "nginx<2", "nginx < 2 false" },
  { "nginx<=2", "nginx <= 2 false" },
  { "nginx>2", "nginx > 2 false" },
  { "!nginx", "nginx nil nil true" },
  { "!nginx<1.18", "nginx < 1.18 true" },
  { "so:libc.musl-x86_64.so.1", "so:libc.musl-x86_64.so.1 nil nil false" },
  { "cmd:sh", "cmd:sh nil nil false" },
  { "pc:zlib>=1.2", "pc:zlib >= 1.2 false" },
  { "nginx><Q1abcdefghijklmnopqrstuvwxyz0=", "nginx >< Q1abcdefghijklmnopqrstuvwxyz0= false" },
}
for _, g in ipairs(good) do same("atom " .. g[1], g[2], show(g[1])) end
same("atom written as apk writes it", "nginx~1.18", M.atomstring(M.atom("nginx~=1.18")))
local badatoms = {
  { "", "nil, an empty dependency atom" },
  { "=1.0", "nil, '=1.0' names no package" },
  { "nginx>>1", "nil, 'nginx>>1': '>>' is not a version operator (= < > <= >= ~ ~=)" },
  { "nginx=", "nil, 'nginx=': no version after '='" },
  { "nginx=1.0bc", "nil, 'nginx=1.0bc': '1.0bc' is not an apk version" },
  { "nginx=1.18 ", "nil, 'nginx=1.18 ': '1.18 ' is not an apk version" },
  { "ng inx", "nil, 'ng inx': ' ' is not allowed in a package name" },
  { "nginx@edge", "nil, 'nginx@edge': repository tags (@tag) are not supported" },
  { "nginx><1.0", "nil, 'nginx><1.0': '1.0' is not a package checksum (Q1...)" },
}
for _, b in ipairs(badatoms) do same("atom refused: '" .. b[1] .. "'", b[2], show(b[1])) end

-- synthetic indexes: records as native.apkindex gives them
local function rec(P, V, t)
  t = t or {}
  t.P, t.V, t.A = P, V, t.A or "x86_64"
  t.C = "Q1" .. P:gsub("[^%w]", "") .. V:gsub("[^%w]", "") .. "="
  return t
end
local LIBC = "so:libc.musl-x86_64.so.1"
local base = {
  rec("musl", "1.2.0-r0", { p = LIBC .. "=1" }),
  rec("busybox", "1.31.1-r0", { D = LIBC, p = "cmd:sh=1.31.1-r0 /bin/sh" }),
  rec("pcre", "8.44-r0", { D = LIBC, p = "so:libpcre.so.1=1.0.0" }),
  rec("zlib", "1.2.11-r3", { p = "so:libz.so.1=1.2.11 pc:zlib=1.2.11" }),
  rec("zlib", "1.2.12-r0", { A = "aarch64", p = "so:libz.so.1=1.2.12 pc:zlib=1.2.12" }),
  rec("openrc", "0.42-r0", { D = "cmd:sh" }),
  rec("gawk", "5.1-r0", { p = "awk", k = "10" }),
  rec("mawk", "1.3-r0", { p = "awk", k = "100" }),
  rec("sh1", "1.0-r0", { p = "cmd:xsh=2.0", k = "100" }),
  rec("sh2", "1.0-r0", { p = "cmd:xsh=3.0", k = "1" }),
  rec("nano", "5.0-r0", { p = "editor" }),
  rec("vim", "8.2-r0", { p = "editor" }),
  rec("lib", "2.0-r0"),
  rec("lib", "1.0-r0"),
  rec("app", "1.0-r0", { D = "lib<2" }),
  rec("postfix", "3.5-r0", { D = "cmd:sh" }),
  rec("exim", "4.94-r0", { D = "!postfix" }),
  rec("nginx-openrc", "1.18.0-r1", { i = "nginx=1.18.0-r1 openrc", D = "openrc" }),
}
local NGINXD = LIBC .. " so:libpcre.so.1 so:libz.so.1 cmd:sh"
for _, v in ipairs { "1.16.1-r0", "1.18.0-r0", "1.18.0-r1", "1.20.1-r0" } do
  base[#base + 1] = rec("nginx", v, { D = NGINXD })
end
local main = M.index(base, "main")
local community = M.index({
  rec("nginx", "1.18.0-r2", { D = NGINXD }),
  rec("zlib", "1.2.11-r3", { p = "so:libz.so.1=1.2.11 pc:zlib=1.2.11" }),
}, "community")

local function names(list)
  local out = {}
  for i, p in ipairs(list) do out[i] = p.P .. "-" .. p.V end
  return table.concat(out, " ")
end
local function resolve(idx, req)
  local ok, r = pcall(M.resolve, idx, req, { arch = "x86_64" })
  if not ok then return "error: " .. tostring(r) end
  return names(r), r
end
local function find(list, name)
  for _, p in ipairs(list or {}) do if p.P == name then return p end end
  return {}
end

local got, list = resolve({ main }, { "nginx~=1.18" })
same("~= picks the highest 1.18.x, through so: and cmd: provides, depends first",
  "musl-1.2.0-r0 busybox-1.31.1-r0 pcre-8.44-r0 zlib-1.2.11-r3 nginx-1.18.0-r1", got)
same("why: the chain of atoms", "nginx~=1.18 -> so:libpcre.so.1", table.concat(find(list, "pcre").why or {}, " -> "))
same("repo: the index's", "main", find(list, "nginx").repo)
same("~ as ~=", got, (resolve({ main }, { "nginx~1.18" })))
same("= exact", "nginx-1.18.0-r0", (resolve({ main }, { "nginx=1.18.0-r0" })):match("nginx%S*"))
same(">= the highest", "nginx-1.20.1-r0", (resolve({ main }, { "nginx>=1.17" })):match("nginx%S*"))
same("< below", "nginx-1.16.1-r0", (resolve({ main }, { "nginx<1.18" })):match("nginx%S*"))
same("pc: with a version", "zlib-1.2.11-r3", resolve({ main }, { "pc:zlib>=1.2" }))
same("another architecture's record left out", "error: pc:zlib>=1.2.12: pc:zlib has only 1.2.11",
  resolve({ main }, { "pc:zlib>=1.2.12" }))

got, list = resolve({ main, community }, { "nginx~=1.18" })
same("the highest version across two indexes", "1.18.0-r2 community",
  tostring(find(list, "nginx").V) .. " " .. tostring(find(list, "nginx").repo))
same("the same version in two indexes: the first index's", "main", find(list, "zlib").repo)
got, list = resolve({ community, main }, { "nginx~=1.18" })
same("the indexes in the other order", "community", find(list, "zlib").repo)

same("k: the highest priority, not the first by name", "mawk-1.3-r0", resolve({ main }, { "awk" }))
same("a versioned provides: its version before k: (as apk add chose)", "sh2-1.0-r0", resolve({ main }, { "cmd:xsh" }))
same("a virtual name without version or priority refused",
  "error: editor: editor is provided by nano, vim, with no version or priority: name one of them",
  resolve({ main }, { "editor" }))
same("a virtual name's provider named", "vim-8.2-r0", resolve({ main }, { "editor", "vim" }))

got, list = resolve({ main }, { "nginx~=1.18", "openrc" })
same("install_if brings a package in, after what it needs",
  "musl-1.2.0-r0 busybox-1.31.1-r0 openrc-0.42-r0 pcre-8.44-r0 zlib-1.2.11-r3 nginx-1.18.0-r1 nginx-openrc-1.18.0-r1", got)
same("install_if's why", "install_if nginx=1.18.0-r1 openrc", (find(list, "nginx-openrc").why or {})[1])
same("install_if not met: not brought", nil, (resolve({ main }, { "nginx=1.18.0-r0", "openrc" })):match("nginx%-openrc"))

same("an atom met late steers the first choice", "lib-1.0-r0 app-1.0-r0", resolve({ main }, { "lib", "app" }))
same("a conflict refused in one line",
  "error: conflict: lib=2.0-r0, which lib-2.0-r0 fits, but app-1.0-r0 (app) needs lib<2",
  resolve({ main }, { "lib=2.0-r0", "app" }))
same("!name refused in one line",
  "error: conflict: postfix, which postfix-3.5-r0 fits, but exim-4.94-r0 (exim) conflicts with postfix",
  resolve({ main }, { "postfix", "exim" }))
same("!name in the request",
  "error: conflict: postfix, which postfix-3.5-r0 fits, but the request !postfix conflicts with postfix",
  resolve({ main }, { "!postfix", "postfix" }))

local nopcre, nomusl = {}, {}
for _, r in ipairs(base) do
  if r.P ~= "pcre" then nopcre[#nopcre + 1] = r end
  if r.P ~= "musl" then nomusl[#nomusl + 1] = r end
end
same("a missing provider refused in one line naming the chain",
  "error: nginx~=1.18: nginx-1.18.0-r1 depends on so:libpcre.so.1, which no package provides",
  resolve({ M.index(nopcre, "main") }, { "nginx~=1.18" }))
same("the chain two deep",
  "error: openrc -> cmd:sh: busybox-1.31.1-r0 depends on so:libc.musl-x86_64.so.1, which no package provides",
  resolve({ M.index(nomusl, "main") }, { "openrc" }))
same("a request no package provides", "error: nginx2: no package provides nginx2 (in main, community)",
  resolve({ main, community }, { "nginx2" }))
same("a request no version fits",
  "error: nginx~=1.22: nginx has only 1.20.1-r0, 1.18.0-r1, 1.18.0-r0, 1.16.1-r0",
  resolve({ main }, { "nginx~=1.22" }))
same("a request that is not an atom", "error: 'nginx>>1': '>>' is not a version operator (= < > <= >= ~ ~=)",
  resolve({ main }, { "nginx>>1" }))
local ok, msg = pcall(M.index, { rec("x", "1.0bc") }, "main")
same("an index's bad version", "false main: its index: x has the version '1.0bc', which is not an apk version",
  tostring(ok) .. " " .. tostring(msg))
same("an index's bad depends, when read",
  "error: main: its index: x-1.0-r0: its depends: 'y>>1': '>>' is not a version operator (= < > <= >= ~ ~=)",
  resolve({ M.index({ rec("x", "1.0-r0", { D = "y>>1" }) }, "main") }, { "x" }))

-- the same answer: twice, and from the records in the other order
local function full(idx, req)
  local _, r = resolve(idx, req)
  local out = {}
  for i, p in ipairs(r or {}) do
    out[i] = p.P .. "-" .. p.V .. "@" .. p.repo .. ":" .. table.concat(p.why, ">")
  end
  return table.concat(out, " ")
end
local req = { "nginx~=1.18", "openrc", "awk", "lib", "app" }
local reversed = {}
for i = #base, 1, -1 do reversed[#reversed + 1] = base[i] end
local one = full({ main, community }, req)
say(one:find("nginx-1.18.0-r2@community", 1, true) ~= nil, "deterministic: a resolution of 9 packages", one)
same("deterministic: the same twice", one, full({ main, community }, req))
same("deterministic: the records in another order", one, full({ M.index(reversed, "main"), community }, req))

-- random input (the same each run): atoms never raise; apk's order is a
-- total order on random versions; resolve answers with packages whose
-- depends are met among them, installed after them, or one line of its own
math.randomseed(30)
local function pick(t) return t[math.random(#t)] end
local alphabet = { "0", "1", "9", ".", "_", "-", "~", "a", "p", "r", "c", "!", "<", ">", "=", "@", ":", " ", "\1" }
local odd = {}
for _ = 1, 3000 do
  local t = {}
  for i = 1, math.random(0, 12) do t[i] = pick(alphabet) end
  local s = table.concat(t)
  local ok, a, msg = pcall(M.atom, s)
  if not ok or (a == nil and (type(msg) ~= "string" or msg:find("[%c]"))) then odd[#odd + 1] = s end
end
same("atoms: 3000 random strings, each an atom or one line", "", table.concat(odd, " | "))
local function version()
  local t = { tostring(math.random(0, 12)) }
  for _ = 1, math.random(0, 3) do t[#t + 1] = "." .. pick { "0", "1", "2", "01", "10" } end
  if math.random(4) == 1 then t[#t + 1] = pick { "a", "b", "z" } end
  for _ = 1, math.random(0, 2) do t[#t + 1] = "_" .. pick { "alpha", "beta", "pre", "rc", "cvs", "git", "p" } .. pick { "", "1", "2" } end
  if math.random(6) == 1 then t[#t + 1] = "~" .. pick { "1a", "ff", "0b2" } end
  if math.random(2) == 1 then t[#t + 1] = "-r" .. math.random(0, 3) end
  return table.concat(t)
end
local vs = {}
for i = 1, 400 do vs[i] = version() end
odd = {}
for i = 1, #vs do
  if not M.validversion(vs[i]) then odd[#odd + 1] = "invalid " .. vs[i] end
  for j = 1, 40 do
    local a, b, c = vs[i], pick(vs), pick(vs)
    local ab, bc, ac = M.vercmp(a, b), M.vercmp(b, c), M.vercmp(a, c)
    if ab ~= -M.vercmp(b, a) then odd[#odd + 1] = a .. " " .. b end
    if ab <= 0 and bc <= 0 and ac > 0 then odd[#odd + 1] = a .. " " .. b .. " " .. c end
  end
end
same("order: 400 random versions, antisymmetric and transitive", "", table.concat(odd, " | "))

local function atomof(names)
  local s = pick(names)
  local r = math.random(8)
  if r == 1 and math.random(2) == 1 then s = "!" .. s elseif r <= 3 then s = s .. pick { "<", ">=", "~" } .. version() end
  return s
end
local pnames = {}
for i = 1, 25 do pnames[i] = "p" .. i end
local vnames = { "so:libx.so.1", "cmd:y", "virt" }
local all = { table.unpack(pnames) }
for _, n in ipairs(vnames) do all[#all + 1] = n end
odd = {}
local solved, refused = 0, 0
for round = 1, 60 do
  local recs = {}
  for i = 1, 60 do
    local t, D, P = {}, {}, {}
    for k = 1, math.random(0, 3) do D[k] = atomof(all) end
    if math.random(3) == 1 then P[1] = pick(vnames) .. (math.random(2) == 1 and "=" .. version() or "") end
    t.D, t.p = table.concat(D, " "), table.concat(P, " ")
    if math.random(10) == 1 then t.i = pick(pnames) end
    if math.random(8) == 1 then t.k = tostring(math.random(0, 9)) end
    recs[i] = rec(pick(pnames), version(), t)
  end
  local idx2 = { M.index(recs, "r" .. round) }
  local req = {}
  for k = 1, math.random(1, 3) do req[k] = atomof(all) end
  local ok, res = pcall(M.resolve, idx2, req, { arch = "x86_64" })
  if not ok then
    refused = refused + 1
    if type(res) ~= "string" or res:find("[%c]") or res:find("apkresolve.lua", 1, true) then
      odd[#odd + 1] = tostring(res)
    end
  else
    solved = solved + 1
    -- every depends met by a package installed before it, no conflict installed
    local seen = {}
    local function met(a, upto)
      for _, p in ipairs(upto) do
        if p.P == a.name and M.fits(p.V, a) then return true end
        for w in (p.p or ""):gmatch("%S+") do
          local n, v = w:match("^([^=]+)=?(.*)$")
          if n == a.name and M.fits(v, a) then return true end
        end
      end
    end
    -- a later provider of a that depends, through the others, on p
    local function cycle(p, a, list)
      local seen2 = {}
      local function reaches(q)
        if q == p then return true end
        if seen2[q] then return false end
        seen2[q] = true
        for w in (q.D or ""):gmatch("%S+") do
          local d = M.atom(w)
          for _, r in ipairs(list) do
            if not d.conflict and met(d, { r }) and reaches(r) then return true end
          end
        end
        return false
      end
      for _, q in ipairs(list) do
        if q ~= p and met(a, { q }) and reaches(q) then return true end
      end
      return false
    end
    for i, p in ipairs(res) do
      local before = { table.unpack(res, 1, i) }
      for w in (p.D or ""):gmatch("%S+") do
        local a = M.atom(w)
        if not a.conflict and not met(a, before) then
          local later = met(a, res)
          if not (later and cycle(p, a, res)) then
            odd[#odd + 1] = string.format("%s-%s: %s %s", p.P, p.V, w, later and "installed later" or "not met")
          end
        end
        if a.conflict then
          a.conflict = false
          for _, q in ipairs(res) do
            if q ~= p and met(a, { q }) then odd[#odd + 1] = string.format("%s-%s: %s installed", p.P, p.V, w) end
          end
        end
      end
      if seen[p.P] then odd[#odd + 1] = "twice " .. p.P end
      seen[p.P] = true
    end
  end
end
say(#odd == 0 and solved > 5 and refused > 5, string.format("resolve: 60 random indexes, %d solved, %d refused", solved, refused),
  table.concat(odd, " | "))
LUA

LUA_PATH="$TOP/lua/?.lua" lua5.4 "$W/test.lua" "$W/version.data" > "$W/out" 2>&1
status=$?
while IFS= read -r line; do
	case $line in
	"ok "*) ok "apkresolve: ${line#ok }" ;;
	"FAIL "*) fail "apkresolve: ${line#FAIL }" ;;
	*) echo "$line" ;;
	esac
done < "$W/out"
[ $status = 0 ] || fail "apkresolve: the checks stopped (lua5.4 exited $status)"

# the module is embedded in imagegen (plugin/lua/embedded.c, from Makefile.in's LUA)
contains "apkresolve: embedded in imagegen" "$TOP/plugin/lua/embedded.c" '"imagegen.apkresolve"'
