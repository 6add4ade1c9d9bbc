# Report pages in headless Chromium (tests/chromium.py): the monorepo's api
# and web pages render, with a screenshot, a rectangle per top-level folder
# in the size map, a click on /usr that shows its children, nothing fetched
# and no script error; the size map's numbers (areas, colours, slices, the
# legend) against the data, and against the known sizes of an image made
# here, with the changes of its last layer; a Debian image's page (a signed repository made
# here) lists every package of its lock, and its setuid file with the
# package; a page's table of build arguments. (t-report.sh checks what the
# pages hold.)
. "$TOP/tests/lib.sh"

if ! have chromium; then
	fail "report: chromium is not installed (apt-get install chromium)"
	exit 0
fi
workdir report-e2e
export IMAGEGEN_CACHE="$W/cache"
mkdir -p "$W/b" && cd "$W/b" || exit 1
"$IMAGEGEN" "$TOP/examples/monorepo/build.lua" && ninja out/api.html out/web.html > ninja.log 2>&1 ||
	fail "report: the pages do not build"
for img in api web; do
	if timeout 120 python3 "$TOP/tests/chromium.py" "out/$img.html" "$W/$img.png" > "$W/$img.seen" 2> "$W/$img.err"; then
		ok "$img: Chromium renders the page"
	else
		fail "$img: Chromium: $(tail -n 3 "$W/$img.err")"
	fi
	check "$img: a screenshot" sh -c "head -c 8 '$W/$img.png' | grep -q PNG"
	check "$img: the size map has a rectangle per top-level folder" \
		python3 "$TOP/tests/pagecheck.py" "out/$img.html" "$W/$img.seen" toplevel
	check "$img: a click on /usr shows its children" python3 "$TOP/tests/pagecheck.py" "out/$img.html" "$W/$img.seen" usr
	check "$img: nothing fetched, no script error" python3 "$TOP/tests/pagecheck.py" "out/$img.html" "$W/$img.seen" quiet
	check "$img: the size map's numbers are the data's" python3 "$TOP/tests/pagecheck.py" "out/$img.html" "$W/$img.seen" numbers
done
check "api: no build argument, no table of them" python3 "$TOP/tests/pagecheck.py" out/api.html "$W/api.seen" arguments

# build arguments: a table of them, each with its value and where it came from
# (the image has no layer, a config alone: its page shows without a script error too)
mkdir -p "$W/args" && cd "$W/args" || exit 1
printf 'image { name = "a", labels = { v = arg("VERSION", "dev"), n = arg("NOTE", "none") } }\n' > build.lua
"$IMAGEGEN" -D VERSION=1.2 build.lua && ninja out/a.html > ninja.log 2>&1 || fail "report: the page with arguments does not build"
timeout 120 python3 "$TOP/tests/chromium.py" out/a.html "$W/a.png" > "$W/a.seen" 2> "$W/a.err"
check "arguments: the table lists each with its value and source" \
	python3 "$TOP/tests/pagecheck.py" out/a.html "$W/a.seen" arguments
check "arguments: two rows, NOTE's default and VERSION's -D" python3 "$TOP/tests/pagecheck.py" out/a.html "$W/a.seen" data \
	'[(a["name"], a["value"], a["source"]) for a in d["arguments"]] == [("NOTE", "none", "default"), ("VERSION", "1.2", "-D")]'
check "arguments: nothing fetched, no script error" python3 "$TOP/tests/pagecheck.py" out/a.html "$W/a.seen" quiet
cd "$W/b" || exit 1

# an image whose sizes are known: layer 1 keeps 300000 bytes (its 100000-byte
# a2 is removed above it), layer 2 200000 (its b2 is replaced), layer 3 1001
mkdir -p "$W/sizes/src" "$W/sizes/b" && cd "$W/sizes/b" || exit 1
cat > ../src/build.lua <<'EOF'
image { name = "sizes", layers = {
  { name = "big", files = { { "/data/a1", text(string.rep("a", 300000)) }, { "/data/a2", text(string.rep("b", 100000)) } } },
  { name = "mid", files = { { "/data/b1", text(string.rep("c", 200000)) }, { "/opt/b2", text(string.rep("d", 50000)) },
    { "/opt/empty", text "" }, { "/opt/link", symlink "b2" } } },
  { name = "top", files = { { "/opt/b2", text(string.rep("e", 1000)) }, { "/data/a2", remove() }, { "/opt/c1", text "c" } } },
} }
EOF
"$IMAGEGEN" ../src/build.lua > /dev/null && ninja out/sizes.html > ninja.log 2>&1 || fail "report: sizes: the page does not build"
timeout 120 python3 "$TOP/tests/chromium.py" out/sizes.html "$W/sizes.png" > "$W/sizes.seen" 2> "$W/sizes.err"
seen() { python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$W/sizes.seen" "$1"; }
same "sizes: the legend gives each layer its own bytes" "[(0, 300000), (1, 200000), (2, 1001)]" \
	"$(seen "[(r['key'], r['bytes']) for r in s['legend']]")"
same "sizes: /data is a1 of layer 1 and b1 of layer 2, in proportion" "([('/data/a1', 0, 300000), ('/data/b1', 1, 200000)], True)" \
	"$(seen "sorted((r['path'], r['key'], r['size']) for r in s['map'] if r['parent'] == '/data'), abs(sum(r['w'] * r['h'] for r in s['map'] if r['path'] == '/data/a1') / sum(r['w'] * r['h'] for r in s['map'] if r['path'] == '/data/b1') - 1.5) < 0.02")"
same "sizes: nothing of zero bytes has a rectangle" "[]" "$(seen "[r['path'] for r in s['map'] if r['path'] in ('/opt/empty', '/opt/link')]")"
same "sizes: the last layer's changes: added, changed, removed" \
	"[('added', 1, 1, ['/opt/c1']), ('changed', 1, 1000, ['/opt/b2']), ('removed', 1, 100000, ['/data/a2'])]" \
	"$(seen "[(c['kind'], c['count'], c['bytes'], c['paths']) for c in s['changes']]")"
check "sizes: the size map's numbers are the data's" python3 "$TOP/tests/pagecheck.py" out/sizes.html "$W/sizes.seen" numbers

# packages: the page of an image of a repository made here
needdebtools report || exit 0
signedrepo
mkpkg libfoo 1.3 "$DEBARCH" "" 'mkdir -p usr/lib && echo v13 > usr/lib/libfoo.so.1 &&
	printf "Format: copyright-format/1.0\n\nFiles: *\nCopyright: us\nLicense: MIT\n" > usr/share/doc/libfoo/copyright'
mkpkg libbar 1.0 "$DEBARCH" "" 'printf "see /usr/share/common-licenses/GPL-2\n" > usr/share/doc/libbar/copyright'
mkpkg app 2.0 "$DEBARCH" "Depends: libbar, libfoo" 'mkdir -p usr/bin && echo app > usr/bin/app && chmod 4755 usr/bin/app'
mkpkg tool 1.0 "$DEBARCH" "Depends: app"
ARCH=$DEBARCH mkindex stable && serve "$REPO" || { fail "report: the test repository did not start"; exit 0; }
mkdir -p "$W/deb/src" "$W/deb/b" && cd "$W/deb/b" || exit 1
cat > ../src/build.lua <<EOF
local repo = repository { url = "http://127.0.0.1:$PORT", suite = "stable", keyring = "$W/test.gpg" }
image { name = "tool", packages = { "tool" }, repositories = { repo } }
EOF
"$IMAGEGEN" lock ../src/build.lua && "$IMAGEGEN" --locked ../src/build.lua && ninja out/tool.html > ninja.log 2>&1 ||
	fail "report: the Debian image's page does not build"
timeout 120 python3 "$TOP/tests/chromium.py" out/tool.html "$W/tool.png" > "$W/tool.seen" 2> "$W/tool.err"
check "packages: the table lists every package of the lock" \
	python3 "$TOP/tests/pagecheck.py" out/tool.html "$W/tool.seen" packages ../src/imagegen.lock tool
check "special: the table lists the setuid file, its mode and its package" \
	python3 "$TOP/tests/pagecheck.py" out/tool.html "$W/tool.seen" special
check "packages: nothing fetched, no script error" python3 "$TOP/tests/pagecheck.py" out/tool.html "$W/tool.seen" quiet
