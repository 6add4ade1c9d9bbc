# Files setuid, setgid or world-writable are kept, and listed with what
# brought them: imagegen inspect, the report page and the SBOM (an
# annotation on the package or layer, and on the file), and imagegen diff
# shows a change of those bits; from a definition's files, and from a
# Debian package of a signed repository made here. A setgid folder, a
# folder with the sticky bit and a symlink are not listed.
. "$TOP/tests/lib.sh"

workdir setuid
cd "$W" || exit 1
export IMAGEGEN_CACHE="$W/cache"
SCHEMA=$TOP/../shared/spdx-schema/spdx-2.3-schema.json

mkdir -p src/t/shared src/u b && cd b || exit 1
echo x > ../src/t/shared/f && echo x > ../src/u/g
cat > ../src/build.lua <<'EOF'
image { name = "lower", files = {
  { "/etc/mode", text "x", mode = "0644" },
  { "/etc/plain", text "x", mode = "0755" },
} }
image { name = "upper", base = "lower", files = {
  { "/etc/mode", text "x", mode = "4755" },
  { "/usr/local/bin/tool", text "tool", mode = "4755" },
  { "/usr/local/bin/grp", text "grp", mode = "2711" },
  { "/srv/drop", text "drop", mode = "0666" },
  { "/srv/link", symlink "drop" },
  { "/keep", tree { "t", dirmode = "2775" } },
  { "/sticky", tree { "u", dirmode = "1777" } },
} }
EOF
"$IMAGEGEN" ../src/build.lua > gen.log 2>&1 && ninja all out/upper.html > ninja.log 2>&1 ||
	fail "setuid: the images do not build"
check "the setuid file keeps its mode in its layer" python3 -c 'import glob, tarfile
modes = []
for b in glob.glob("out/upper/blobs/sha256/*"):
    try:
        modes += [m.mode for m in tarfile.open(b) if m.name == "usr/local/bin/tool"]
    except tarfile.TarError:
        pass
assert modes == [0o4755], modes'

# inspect: one line each, the mode, the path, what, and the layer
"$IMAGEGEN" inspect out/upper > i.out 2>&1
same "inspect: exit 0" 0 $?
same "inspect: the files setuid, setgid or world-writable, each with its layer" \
"special    4755 /etc/mode (setuid; layer 2)
           0666 /srv/drop (world-writable; layer 2)
           2711 /usr/local/bin/grp (setgid; layer 2)
           4755 /usr/local/bin/tool (setuid; layer 2)" \
	"$(sed -n '/^special/,$p' i.out)"
"$IMAGEGEN" inspect out/lower > lower.out 2>&1
contains "inspect: an image without any says so" lower.out "special    -"

# the report page: a list, with the layer and no package
check "report page: the same files, their modes, what they are and their layer" \
	python3 "$TOP/tests/pagecheck.py" out/upper.html - data \
	'[(f["path"], f["mode"], f["what"], f["layer"], f["package"]) for f in d["platforms"][0]["special"]] == [("/etc/mode", "4755", "setuid", 1, -1), ("/srv/drop", "0666", "world-writable", 1, -1), ("/usr/local/bin/grp", "2711", "setgid", 1, -1), ("/usr/local/bin/tool", "4755", "setuid", 1, -1)]'

# the SBOM: an annotation on the file and on its layer's package
same "SBOM: the file is annotated" "setuid (mode 4755): /usr/local/bin/tool" \
	"$(jget out/upper.spdx.json '[a["comment"] for f in j["files"] if f["fileName"] == "./usr/local/bin/tool" for a in f.get("annotations", [])]' | tr -d "[]'")"
same "SBOM: the layer's package has one annotation each" \
	"setgid (mode 2711): /usr/local/bin/grp|setuid (mode 4755): /etc/mode|setuid (mode 4755): /usr/local/bin/tool|world-writable (mode 0666): /srv/drop" \
	"$(jget out/upper.spdx.json '"|".join(sorted(a["comment"] for p in j["packages"] for a in p.get("annotations", [])))')"
same "SBOM: a plain file is not annotated" 0 \
	"$(jget out/upper.spdx.json 'len([f for f in j["files"] if f["fileName"] in ("./etc/plain", "./keep/shared/f") and "annotations" in f])')"
if [ -f "$SCHEMA" ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	check "SBOM: valid SPDX 2.3 with the annotations" /usr/bin/python3 -c 'import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' "$SCHEMA" out/upper.spdx.json
else
	skip "SBOM: valid SPDX 2.3 (no ../shared/spdx-schema or no python3-jsonschema here)"
fi

# diff: the change of the bits, and a file added with them
"$IMAGEGEN" diff out/lower out/upper > d.out 2>&1
same "diff: exit 1" 1 $?
contains "diff: a mode that became setuid says so" d.out "  ~ /etc/mode: mode, special (none -> setuid)"
contains "diff: an added setuid file says so" d.out "  + /usr/local/bin/tool (setuid)"
contains "diff: an added world-writable file says so" d.out "  + /srv/drop (world-writable)"
contains "diff: a plain added file says nothing more" d.out "  + /keep/shared/f"
same "diff: nor does a setgid folder or one with the sticky bit" 3 "$(grep -c -x -e '  + /keep' -e '  + /keep/shared' -e '  + /sticky' d.out)"
"$IMAGEGEN" diff out/upper out/lower > r.out 2>&1
contains "diff: and back" r.out "  ~ /etc/mode: mode, special (setuid -> none)"
"$IMAGEGEN" diff --json out/lower out/upper > d.json
same "diff --json: the change is 'special', with each side's bits" "mode,special None setuid" \
	"$(jget d.json '[" ".join([",".join(f["changes"]), str(f["a"].get("special")), f["b"]["special"]]) for f in j["files"] if f["path"] == "/etc/mode"][0]')"

# a Debian package with setuid and setgid files
needdebtools setuid || exit 0
signedrepo
mkpkg sux 1.0 "$DEBARCH" "" 'mkdir -p usr/bin var/spool/sux && echo su > usr/bin/sux && echo g > usr/bin/grpx &&
	echo plain > usr/bin/plain && chmod 4755 usr/bin/sux && chmod 2755 usr/bin/grpx && chmod 1777 var/spool/sux'
ARCH=$DEBARCH mkindex stable && serve "$REPO" || { fail "setuid: the test repository did not start"; exit 0; }
mkdir -p "$W/deb/src" "$W/deb/b" && cd "$W/deb/b" || exit 1
cat > ../src/build.lua <<EOF
local repo = repository { url = "http://127.0.0.1:$PORT", suite = "stable", keyring = "$W/test.gpg" }
image { name = "sux", packages = { "sux" }, repositories = { repo } }
EOF
"$IMAGEGEN" lock ../src/build.lua > gen.log 2>&1 && "$IMAGEGEN" --locked ../src/build.lua >> gen.log 2>&1 &&
	ninja all out/sux.html > ninja.log 2>&1 || fail "setuid: the Debian image does not build"
"$IMAGEGEN" inspect out/sux > i.out 2>&1
same "Debian: inspect names the package that brought each" \
"special    2755 /usr/bin/grpx (setgid; package sux)
           4755 /usr/bin/sux (setuid; package sux)" "$(sed -n '/^special/,$p' i.out)"
check "Debian: the report page names the package" python3 "$TOP/tests/pagecheck.py" out/sux.html - data \
	'[(f["path"], f["what"], d["platforms"][0]["packages"][f["package"]]["name"]) for f in d["platforms"][0]["special"]] == [("/usr/bin/grpx", "setgid", "sux"), ("/usr/bin/sux", "setuid", "sux")]'
same "Debian: the SBOM annotates the package" \
	"setgid (mode 2755): /usr/bin/grpx|setuid (mode 4755): /usr/bin/sux" \
	"$(jget out/sux.spdx.json '"|".join(sorted(a["comment"] for p in j["packages"] if p["name"] == "sux" for a in p.get("annotations", [])))')"
