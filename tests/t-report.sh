# Report pages (ninja out/NAME.html, make out/NAME.html): the same bytes from
# two build folders and from make, nothing to do after, no URL in them; the
# layers name their declarations and the images that share them; the wasted
# bytes of replaced and removed files; packages with their licence and why,
# from a signed repository made here. (e2e-report opens the pages in
# headless Chromium.)
. "$TOP/tests/lib.sh"

workdir report
export IMAGEGEN_CACHE="$W/cache"
cp -R "$TOP/examples/monorepo" "$W/src"
PAGES="out/api.html out/web.html out/base.html out/tool.html"
for b in b1 b2; do
	mkdir "$W/$b" && cd "$W/$b" || exit 1
	"$IMAGEGEN" ../src/build.lua && ninja $PAGES > ninja.log 2>&1 || fail "report: the pages do not build in $b"
done
cd "$W/b1" || exit 1
check "monorepo: four pages" test -s out/api.html -a -s out/web.html -a -s out/base.html -a -s out/tool.html
for p in $PAGES; do
	check "$p: the same bytes from another build folder" cmp "$p" "../b2/$p"
done
same "after the pages, ninja has nothing to do" "ninja: no work to do." "$(ninja -n $PAGES)"
check "no URL and nothing loaded in the pages" sh -c "! grep -E -i -e '(https?|ftp|wss?)://' -e ' (src|href)=' $PAGES"
mkdir "$W/m" && cd "$W/m" || exit 1
"$IMAGEGEN" -G make -o images.mk ../src/build.lua && make -s -f images.mk out/api.html > make.log 2>&1
check "make out/api.html: the same page as ninja's" cmp out/api.html ../b1/out/api.html
same "make: then up to date" "" "$(make -s -f images.mk -q out/api.html || echo not up to date)"

# what the generator knows: declarations, shared layers
cd "$W/b1" || exit 1
check "api: the config layer names its declaration" python3 "$TOP/tests/pagecheck.py" out/api.html - data \
	'[l["where"] for l in d["platforms"][0]["layers"] if l["source"] == "layers: config"] == ["../src/services/api/build.lua:11"]'
check "api: the file entries name their declaration" python3 "$TOP/tests/pagecheck.py" out/api.html - data \
	'any(e["path"] == "/etc/api/api.conf" and e["ctx"].endswith("files[1]: /etc/api/api.conf") for l in d["platforms"][0]["layers"] for e in l.get("entries", []))'
check "api: the base's layer is shared with base and web" python3 "$TOP/tests/pagecheck.py" out/api.html - data \
	'd["platforms"][0]["layers"][0]["shared"] == ["base", "web"]'
check "api: each layer's sizes" python3 "$TOP/tests/pagecheck.py" out/api.html - data \
	'all(l["size"] > 0 and l["usize"] >= l["size"] // 2 and l["files"] > 0 for l in d["platforms"][0]["layers"])'

# replaced and removed files are waste
mkdir -p "$W/wo/src" "$W/wo/b" && cd "$W/wo/b" || exit 1
cat > ../src/build.lua <<'EOF'
image { name = "lower", files = { { "/etc/motd", text(string.rep("m", 100)) }, { "/etc/old", text(string.rep("o", 40)) } } }
image { name = "upper", base = "lower", files = { { "/etc/motd", text "short" }, { "/etc/old", remove() } } }
EOF
"$IMAGEGEN" ../src/build.lua && ninja out/upper.html > ninja.log 2>&1 || fail "report: waste: the page does not build"
check "waste: 140 bytes, the replaced file and the removed one" python3 "$TOP/tests/pagecheck.py" out/upper.html - data \
	'd["platforms"][0]["waste"]["total"] == 140 and sorted((f["path"], f["deleted"], f["layer"], f["by"]) for f in d["platforms"][0]["waste"]["files"]) == [("/etc/motd", False, 0, 1), ("/etc/old", True, 0, 1)]'
check "waste: the layer that carries it" python3 "$TOP/tests/pagecheck.py" out/upper.html - data \
	'[l["wasted"] for l in d["platforms"][0]["layers"]] == [140, 0]'
check "changes: the lower layer adds its two files" python3 "$TOP/tests/pagecheck.py" out/upper.html - data \
	'd["platforms"][0]["layers"][0]["changes"] == {"added": {"count": 2, "bytes": 140, "paths": ["/etc/motd", "/etc/old"]}, "changed": {"count": 0, "bytes": 0, "paths": []}, "removed": {"count": 0, "bytes": 0, "paths": []}}'
check "changes: the upper layer changes motd and removes old" python3 "$TOP/tests/pagecheck.py" out/upper.html - data \
	'd["platforms"][0]["layers"][1]["changes"] == {"added": {"count": 0, "bytes": 0, "paths": []}, "changed": {"count": 1, "bytes": 5, "paths": ["/etc/motd"]}, "removed": {"count": 1, "bytes": 40, "paths": ["/etc/old"]}}'

# packages: version, licence, why (a repository made here)
needdebtools report || exit 0
signedrepo
mkpkg libfoo 1.3 "$DEBARCH" "" 'mkdir -p usr/lib && echo v13 > usr/lib/libfoo.so.1 &&
	printf "Format: copyright-format/1.0\n\nFiles: *\nCopyright: us\nLicense: MIT\n\nFiles: x\nLicense: BSD-2-clause\n" > usr/share/doc/libfoo/copyright'
mkpkg libbar 1.0 "$DEBARCH" "" 'printf "see /usr/share/common-licenses/GPL-2\n" > usr/share/doc/libbar/copyright'
mkpkg app 2.0 "$DEBARCH" "Depends: libbar, libfoo" 'mkdir -p usr/bin && echo app > usr/bin/app'
mkpkg tool 1.0 "$DEBARCH" "Depends: app"
ARCH=$DEBARCH mkindex stable && serve "$REPO" || { fail "report: the test repository did not start"; exit 0; }
mkdir -p "$W/deb/src" "$W/deb/b" && cd "$W/deb/b" || exit 1
cat > ../src/build.lua <<EOF
local repo = repository { url = "http://127.0.0.1:$PORT", suite = "stable", keyring = "$W/test.gpg" }
image { name = "tool", packages = { "tool" }, repositories = { repo } }
EOF
"$IMAGEGEN" lock ../src/build.lua && "$IMAGEGEN" --locked ../src/build.lua && ninja out/tool.html out/tool.spdx.json > ninja.log 2>&1 ||
	fail "report: the Debian image's page does not build"
check "the lock keeps why each package came" grep -q '"name":"libfoo".*"via":"app"' ../src/imagegen.lock
pc() { python3 "$TOP/tests/pagecheck.py" out/tool.html - data "$1"; }
P='{p["name"]: p for p in d["platforms"][0]["packages"]}'
check "packages: every one, with its version" pc "sorted((p['name'], p['version']) for p in d['platforms'][0]['packages']) == [('app', '2.0'), ('libbar', '1.0'), ('libfoo', '1.3'), ('tool', '1.0')]"
check "packages: why libfoo is there" pc "$P['libfoo']['why'] == ['tool', 'app', 'libfoo']"
check "packages: the requested one is there for itself" pc "$P['tool']['why'] == ['tool']"
check "packages: a machine-readable licence, as the SBOM's SPDX expression" pc "$P['libfoo']['licence'] == 'MIT AND BSD-2-Clause'"
check "packages: the SBOM's licence too" python3 -c 'import json, sys
doc = json.load(open("out/tool.spdx.json"))
sys.exit(0 if [p["licenseDeclared"] for p in doc["packages"] if p["name"] == "libfoo"] == ["MIT AND BSD-2-Clause"] else 1)'
check "packages: a copyright file that is not machine-readable: no licence" pc "$P['libbar']['licence'] == ''"
check "packages: their files and bytes" pc "$P['libfoo']['files'] >= 2 and $P['libfoo']['bytes'] > 4"
check "packages: a file of the size map knows its package" pc \
	"[c for c in [c for c in d['platforms'][0]['tree'][4] if c[0] == 'usr'][0][4] if c[0] == 'lib'][0][4][0][3] == [p['name'] for p in d['platforms'][0]['packages']].index('libfoo')"
check "packages: each package layer names it" pc "'package libfoo' in [l['source'] for l in d['platforms'][0]['layers']]"

# the page's edge reads the package layers' and the dpkg layer's facts and the
# files they kept (the dpkg database, copyright files), never a layer's blob;
# without the kept files, from the blobs: the same page
rcmd=$(ninja -t commands out/tool.html | tail -n 1)
cp out/tool.html tool.html.before
check "facts: the dpkg database and the copyright files kept beside the facts" \
	sh -c 'grep -l "var/lib/dpkg/status" .imagegen/facts/*.kept && grep -l "usr/share/doc/libfoo/copyright" .imagegen/facts/*.kept' 
if have strace; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=open,openat -o trace.txt sh -c "$rcmd" > report2.log 2>&1
	same "facts: the page's edge succeeds under strace" 0 $?
	check "facts: it opened the kept files" grep -q '\.imagegen/facts/[0-9a-f]*\.kept' trace.txt
	layers=$(python3 -c 'import json
print(" ".join(l["digest"][7:] for l in json.load(open(".imagegen/image/tool.json"))["layers"]))')
	check "facts: the image's layers known (packages and dpkg)" test "$(echo $layers | wc -w)" -ge 5
	opened=0
	for l in $layers; do grep -q "blobs/sha256/$l" trace.txt && opened=$((opened + 1)); done
	same "facts: no open of a layer's blob by the page's edge" 0 "$opened"
fi
check "facts: the same page" cmp -s tool.html.before out/tool.html
mkdir kept.aside && mv .imagegen/facts/*.kept kept.aside/
sh -c "$rcmd" > report3.log 2>&1
check "facts: without the kept files, from the blobs: the same page" cmp -s tool.html.before out/tool.html
