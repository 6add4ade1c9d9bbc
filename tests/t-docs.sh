# The documents: README.md's length, the man page, the language reference
# against the language itself, and the links between the documents.
. "$TOP/tests/lib.sh"
workdir docs
cd "$W" || exit 1

# README.md is what a newcomer reads first; the rest is in docs/
lines=$(wc -l < "$TOP/README.md")
check "README.md has at most 250 lines (it has $lines)" test "$lines" -le 250

# the man page: renders without a warning, and names every command
# `imagegen --help` lists and every environment variable the program reads
man=$TOP/docs/imagegen.1
if command -v groff > /dev/null 2>&1; then
	groff -man -ww -z "$man" > groff.out 2>&1
	same "docs/imagegen.1: groff -man -ww -z exits 0" 0 $?
	same "docs/imagegen.1: groff prints no warning" "" "$(cat groff.out)"
	groff -man -Tascii -P-cbou -rLL=200n "$man" > man.txt 2> /dev/null
	"$IMAGEGEN" --help > help.out 2>&1
	# the word after "imagegen" at the start of a usage line: a command
	# (one that may be left out is shown as "imagegen [generate]")
	sed -n 's/^\(usage:\)\{0,1\} *imagegen \[\{0,1\}\([a-z][a-z-]*\).*/\2/p' help.out | sort -u > commands
	check "imagegen --help lists commands" test -s commands
	for c in $(cat commands); do
		check "docs/imagegen.1 shows 'imagegen $c'" grep -q -E "(^| )imagegen \[?$c\]?( |\$)" man.txt
	done
	# every variable the C and Lua sources name in a string ("IMAGEGEN_...",
	# a prefix such as "IMAGEGEN_ARG_" with its underscore, and getenv("X") /
	# native.getenv("X")), in the ENVIRONMENT section
	sed -n '/^ENVIRONMENT/,/^[A-Z]/p' man.txt > environment
	{
		grep -rhoE '"IMAGEGEN_[A-Z_]*' "$TOP/plugin" "$TOP/lua" "$TOP/rules" \
			--include='*.c' --include='*.h' --include='*.lua' | tr -d '"'
		grep -rhoE 'getenv\("[A-Z_]+"' "$TOP/plugin" "$TOP/lua" --include='*.c' --include='*.lua' |
			sed 's/.*("//; s/"$//'
	} | sort -u > variables
	check "the sources name environment variables" test -s variables
	for v in $(cat variables); do
		check "docs/imagegen.1 ENVIRONMENT names $v" grep -q -w -e "$v" environment
	done
else
	fail "docs/imagegen.1: groff is not installed (apt-get install groff-base)"
fi

# The language as imagegen itself sees it. imagegen runs with IMAGEGEN_LUA
# on a copy of lua/ and rules/ (links to them) whose imagegen.check is the
# real one with checkfields wrapped: each declaration checks the table it
# is given with check.checkfields(where, what, t, fields, npos), and the
# wrapper prints "field WHAT NPOS NAME" for each field the set allows
# (WHAT without its [N]: "files[3]" is "files"). The probe definition,
# src/build.lua, prints the names a definition sees ("global NAME"), calls
# each that is not Lua's own with {} (most check their fields first), and
# declares an image with every nested list, so that their checks run too.
mkdir -p probe/lua/imagegen src
ln -s "$TOP/rules" probe/rules
for f in "$TOP"/lua/imagegen/*.lua; do
	[ "$(basename "$f")" = check.lua ] || ln -s "$f" probe/lua/imagegen/
done
cat > probe/lua/imagegen/check.lua <<'EOF'
local M = dofile(os.getenv("PROBE_CHECK"))
local checkfields = M.checkfields
function M.checkfields(where, what, t, fields, npos)
  local names = {}
  for k in pairs(fields) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    io.stderr:write("field ", (what:gsub("%[%d+%]$", "")), " ", npos or 0, " ", k, "\n")
  end
  return checkfields(where, what, t, fields, npos)
end
return M
EOF
cat > src/build.lua <<'EOF'
local names = {}
for k in pairs(_G) do names[#names + 1] = k end
table.sort(names)
for _, k in ipairs(names) do print("global " .. k) end
local lua = {}
for k in ("_G _VERSION assert collectgarbage dofile error getmetatable ipairs load loadfile next pairs pcall "
    .. "print rawequal rawget rawlen rawset require select setmetatable tonumber tostring type warn xpcall "
    .. "coroutine debug io math os package string table utf8"):gmatch("%S+") do lua[k] = true end
for _, k in ipairs(names) do
  if type(_G[k]) == "function" and not lua[k] then pcall(_G[k], {}) end
end
pcall(image, { name = "probe", files = { { "/x", text "x" } }, layers = { { name = "l" } },
  users = { { name = "u", uid = 1 } }, groups = { { name = "g", gid = 1 } } })
EOF
mkdir b && (cd b && PROBE_CHECK="$TOP/lua/imagegen/check.lua" IMAGEGEN_LUA="$W/probe" \
	"$IMAGEGEN" ../src/build.lua > /dev/null 2> ../probe.out)
grep -E '^(global|field) ' probe.out | sort -u > language
check "the probe read the language (globals and field sets)" \
	sh -c 'grep -q "^global image\$" language && grep -q "^field image " language'

# Each table of docs/reference.md that lists the language follows a
# comment naming what it lists: <!-- declarations --> (every name a
# definition sees besides Lua's own) or <!-- fields: WHAT... --> (the
# fields of those checkfields sets); a row's first cell starts with the
# name in backquotes (`[1]` for a positional value). Names the language
# has must have a row, and rows must name what the language has.
python3 - "$TOP/docs/reference.md" language > reference.out 2>&1 <<'EOF'
import re, sys
lua = set("_G _VERSION assert collectgarbage dofile error getmetatable ipairs load loadfile next pairs pcall print "
          "rawequal rawget rawlen rawset require select setmetatable tonumber tostring type warn xpcall "
          "coroutine debug io math os package string table utf8".split())
globals, fields, npos = set(), {}, {}
for line in open(sys.argv[2]):
    w = line.split()
    if w[0] == "global" and w[1] not in lua:
        globals.add(w[1])
    elif w[0] == "field":
        fields.setdefault(w[1], set()).add(w[3])
        npos[w[1]] = max(npos.get(w[1], 0), int(w[2]))
for what, n in npos.items():
    fields[what] |= {"[%d]" % i for i in range(1, n + 1)}
tables, current, rows = {}, None, None
for line in open(sys.argv[1]):
    m = re.match(r"\s*<!--\s*(declarations|fields:([^>]*?))\s*-->", line)
    if m:
        current = ["(declarations)"] if m.group(1) == "declarations" else m.group(2).split()
        rows = None
        continue
    if current and line.startswith("|"):
        if rows is None:
            rows = set()
            for what in current:
                tables[what] = rows
        c = re.match(r"\|\s*`([^`]+)`", line)
        if c:
            rows.add(c.group(1))
    elif current and rows is not None:
        current = None
bad = 0
def compare(what, have, documented):
    global bad
    for k in sorted(have - documented):
        print("FAIL reference: %s: '%s' has no row in docs/reference.md" % (what, k)); bad += 1
    for k in sorted(documented - have):
        print("FAIL reference: %s: '%s' is documented, but the language has no such name" % (what, k)); bad += 1
    if have == documented:
        print("ok reference: %s: the %d names the language has, each in a row" % (what, len(have)))
compare("declarations", globals, tables.get("(declarations)", set()))
for what in sorted(fields):
    compare("fields of " + what, fields[what], tables.get(what, set()))
for what in sorted(set(tables) - set(fields) - {"(declarations)"}):
    print("FAIL reference: a table of '%s' fields, which the language does not check" % what); bad += 1
EOF
sed -n 's/^ok \(.*\)/\1/p' reference.out | while IFS= read -r l; do ok "$l"; done
sed -n 's/^FAIL \(.*\)/\1/p' reference.out | while IFS= read -r l; do fail "$l"; done
check "the reference check ran" grep -q '^ok reference: declarations\|^FAIL reference: declarations' reference.out

# relative links in README.md, docs/*.md and examples/*/README.md name files that exist (and a
# #anchor a heading of that file, as GitHub makes anchors); code is not text.
# docs/architecture.md comes from another branch: until it is here, a link
# to it is a skip, not a failure
python3 - "$TOP" > links.out 2>&1 <<'EOF'
import glob, os, re, sys
top = sys.argv[1]
def anchors(path):
    out = set()
    text = re.sub(r"```.*?```", "", open(path).read(), flags=re.S)
    for h in re.findall(r"^#+\s+(.*)$", text, flags=re.M):
        h = re.sub(r"[`*_\[\]()]", "", h).strip().lower()
        out.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", h)))
    return out
for md in [os.path.join(top, "README.md")] + sorted(glob.glob(os.path.join(top, "docs", "*.md"))) + \
        sorted(glob.glob(os.path.join(top, "examples", "*", "README.md"))):
    text = re.sub(r"```.*?```", "", open(md).read(), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    name = os.path.relpath(md, top)
    n, bad = 0, 0
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        n += 1
        file, _, anchor = target.partition("#")
        path = os.path.normpath(os.path.join(os.path.dirname(md), file)) if file else md
        if not os.path.exists(path) and path == os.path.join(top, "docs", "architecture.md"):
            print("skip links: %s: %s: not written yet" % (name, target))
        elif not os.path.exists(path):
            print("FAIL links: %s: %s: no such file" % (name, target)); bad += 1
        elif anchor and path.endswith(".md") and anchor not in anchors(path):
            print("FAIL links: %s: %s: no such heading" % (name, target)); bad += 1
    if not bad:
        print("ok links: %s: its %d relative links lead somewhere" % (name, n))
EOF
sed -n 's/^ok \(.*\)/\1/p' links.out | while IFS= read -r l; do ok "$l"; done
sed -n 's/^FAIL \(.*\)/\1/p' links.out | while IFS= read -r l; do fail "$l"; done
sed -n 's/^skip \(.*\)/\1/p' links.out | while IFS= read -r l; do skip "$l"; done
check "the link check ran" grep -q '^[okFAIL]* links: README.md' links.out

# the six projects of issue 25 say how to build and run them: a README.md with
# its commands in sh blocks (e2e-projects.sh and e2e-steps.sh run them word
# for word); hello and debian are in README.md and docs/debian.md
for name in node gcc flask monorepo multiarch archive-base; do
	check "examples/$name has a README.md with its commands" grep -q '^```sh$' "$TOP/examples/$name/README.md"
done
