# imagegen diff and imagegen inspect: a rebuild after a one-file edit
# differs in that file and its layer; identical builds (and an image beside
# its own docker-archive) do not; whiteouts and replaced files; two Debian
# images a package version apart (a signed repository made here); and the
# inputs refused: a layer that climbs out, a blob that does not match its
# digest, a name that is nothing. (e2e-diff reads what a registry serves.)
. "$TOP/tests/lib.sh"

workdir diff
export IMAGEGEN_CACHE="$W/cache"
case $(uname -m) in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac

cp -R "$TOP/examples/monorepo" "$W/src"
for b in b1 b2; do
	mkdir "$W/$b" && cd "$W/$b" || exit 1
	"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1 && ninja out/api.tar > /dev/null 2>&1 ||
		fail "diff: the monorepo does not build in $b"
done
cd "$W" || exit 1

# two builds of the same sources: nothing differs
"$IMAGEGEN" diff b1/out/api b2/out/api > same.out 2>&1
same "identical builds: exit 0" 0 $?
contains "identical builds: no differences" same.out "no differences"
same "identical builds: nothing but the header and that line" 3 "$(wc -l < same.out)"
"$IMAGEGEN" diff --json b1/out/api b2/out/api > same.json
same "identical builds: --json says same" "True 0 0 0" \
	"$(jget same.json 'j["same"], len(j["files"]), len(j["packages"]), len(j["config"])')"
"$IMAGEGEN" diff b1/out/api.tar b2/out/api > tar.out 2>&1
same "a docker-archive and the same image's layout: exit 0" 0 $?

# a one-file edit: that file, its layer, nothing else
echo "workers = 8" >> src/services/api/api.conf
(cd b2 && ninja > edit.log 2>&1)
"$IMAGEGEN" diff b1/out/api b2/out/api > edit.out 2>&1
same "one-file edit: exit 1" 1 $?
contains "one-file edit: the file, changed in content" edit.out "  ~ /etc/api/api.conf: content"
same "one-file edit: one file line" 1 "$(grep -c '^  [-+~] /' edit.out)"
contains "one-file edit: one layer removed, one added, the others unchanged" edit.out \
	"layers: 2 unchanged, 1 removed, 1 added"
"$IMAGEGEN" diff --json b1/out/api b2/out/api > edit.json
same "one-file edit --json: the file, and only it" "['/etc/api/api.conf'] [['content']]" \
	"$(jget edit.json '[f["path"] for f in j["files"]], [f["changes"] for f in j["files"]]')"
desc=$(jget b2/.imagegen/layer/api/config.json 'j["digest"]')
same "one-file edit --json: the layer added is the edited one's" "['$desc']" \
	"$(jget edit.json '[l["digest"] for l in j["layers"] if l["status"] == "added"]')"
same "one-file edit --json: no package or config change" "0 0 False" \
	"$(jget edit.json 'len(j["packages"]), len(j["config"]), j["same"]')"
"$IMAGEGEN" diff --json b1/out/api b2/out/api > edit2.json
check "--json is the same bytes each time" cmp edit.json edit2.json

# config, mode, owner and link changes, whiteouts and what they waste
mkdir -p wo/src wo/b && cd wo/b || exit 1
cat > ../src/build.lua <<'EOF'
image { name = "lower", files = {
  { "/etc/motd", text(string.rep("m", 100)) },
  { "/etc/old", text(string.rep("o", 40)) },
  { "/etc/mode", text "x", mode = "0644" },
  { "/bin/sh", symlink "busybox" },
}, env = { A = "1" }, entrypoint = { "/bin/sh" } }
image { name = "upper", base = "lower", files = {
  { "/etc/motd", text "short" },
  { "/etc/old", remove() },
  { "/etc/mode", text "x", mode = "0755", uid = 7 },
  { "/bin/sh", symlink "dash" },
}, env = { A = "2", B = "3" }, user = "7" }
EOF
"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1 || fail "whiteouts: the images do not build"
"$IMAGEGEN" diff out/lower out/upper > d.out 2>&1
same "whiteouts: exit 1" 1 $?
contains "a removed file" d.out "  - /etc/old"
contains "a file changed in content" d.out "  ~ /etc/motd: content"
contains "mode and owner" d.out "  ~ /etc/mode: mode, owner"
contains "a link target" d.out "  ~ /bin/sh: link"
contains "Env by name" d.out "  ~ Env A: 1 -> 2"
contains "a new variable" d.out "  ~ Env B: (none) -> 3"
contains "User" d.out "  ~ User: (none) -> 7"
"$IMAGEGEN" inspect out/upper > i.out 2>&1
same "inspect: exit 0" 0 $?
contains "inspect: the waste of the replaced and the removed file" i.out "wasted     141 B ("
contains "inspect: ... in 3 files" i.out "%) in 3 file(s)"
"$IMAGEGEN" inspect --check waste=141 out/upper > c1.out 2> c1.err
same "inspect --check waste=141: not over, exit 0 and nothing said" "0 " "$? $(cat c1.err)"
"$IMAGEGEN" inspect --check waste=140B out/upper > c2.out 2> c2.err
same "inspect --check waste=140B: over, exit 1 and one line" "1 1" "$? $(wc -l < c2.err)"
contains "inspect --check: the line says what and by how much" c2.err "imagegen: inspect: linux/$ARCH: 141 B wasted ("
"$IMAGEGEN" inspect --check waste=100% out/upper > /dev/null 2>&1
same "inspect --check waste=100%: exit 0" 0 $?
"$IMAGEGEN" inspect --json --check waste=0% out/upper > c3.json 2> c3.err
same "inspect --json --check waste=0%: over, exit 1, the JSON still printed" "1 141" "$? $(jget c3.json "j['wasted']['bytes']")"
"$IMAGEGEN" inspect --check waste=lots out/upper > /dev/null 2> c4.err
same "inspect --check waste=lots: exit 2, one line" "2 1" "$? $(wc -l < c4.err)"
contains "inspect: the platform" i.out "platforms  linux/$ARCH"
same "inspect: the layout's SBOM is no platform of it" "platforms  linux/$ARCH" "$(grep "^platforms" i.out)"
contains "inspect: the user" i.out "user       7"
contains "inspect: two layers" i.out "layers     2"
contains "inspect: no dpkg database" i.out "packages   0 (no dpkg database)"
cd "$W" || exit 1
"$IMAGEGEN" inspect b1/out/api > api.out
contains "inspect: the entrypoint" api.out 'entrypoint ["/usr/local/bin/api"]'
contains "inspect: the manifest digest" api.out "digest     $(jget b1/out/api/index.json 'j["manifests"][0]["digest"]')"
"$IMAGEGEN" inspect b1/out/api.tar > apitar.out
contains "inspect: a docker-archive" apitar.out "image      docker-archive b1/out/api.tar"
"$IMAGEGEN" inspect --platform linux/s390x b1/out/api > plat.err 2>&1
same "inspect: another platform: exit 1" 1 $?
contains "inspect: another platform: one line naming the platforms it has" plat.err \
	"imagegen: oci layout b1/out/api: no image for platform linux/s390x (it has linux/$ARCH"

# what the reader refuses: one line, exit 2 (diff) or 1 (inspect)
"$IMAGEGEN" diff nothing b1/out/api > none.err 2>&1
same "diff: a name that is nothing: exit 2" 2 $?
same "diff: a name that is nothing: one line" \
	"imagegen: nothing: no such OCI layout or docker-archive, and not a registry reference (HOST/REPOSITORY[:TAG])" \
	"$(cat none.err)"
"$IMAGEGEN" diff --bogus a b > usage.err 2>&1
same "diff: a usage error: exit 2" 2 $?
python3 "$TOP/tests/mklayout.py" climb ../evil > /dev/null
"$IMAGEGEN" inspect climb > climb.err 2>&1
same "a layer member that climbs out: exit 1" 1 $?
contains "a layer member that climbs out: named" climb.err "the member '../evil' climbs out of the image"
layer=$(python3 "$TOP/tests/mklayout.py" bad etc/x)
printf 'Y' | dd of="$(blob bad "$layer")" bs=1 seek=600 conv=notrunc 2> /dev/null
"$IMAGEGEN" diff bad bad > bad.err 2>&1
same "a layer that does not match its digest: exit 2" 2 $?
contains "a layer that does not match its digest: named" bad.err "does not match its digest"
# an image whose dpkg database is 17 files of 16 MiB: read up to 256 MiB of it, then one line
big=
for i in $(seq 1 17); do big="$big var/lib/dpkg/status.d/p$i:16777216"; done
layer=$(python3 "$TOP/tests/mklayout.py" --gzip huge $big)
"$IMAGEGEN" inspect huge > huge.err 2>&1
same "a dpkg database over 256 MiB: exit 1" 1 $?
same "a dpkg database over 256 MiB: one line naming the layer, the file and the bound" \
	"imagegen: oci layout huge: layer 1 ($layer): /var/lib/dpkg/status.d/p17: the files read whole (the dpkg database, copyright files) take more than 256 MiB" \
	"$(cat huge.err)"
rm -rf huge
python3 "$TOP/tests/mklayout.py" ok etc/x > /dev/null
ln -sf /etc/passwd "$(blob ok "$(jget ok/index.json 'j["manifests"][0]["digest"]')")"
"$IMAGEGEN" inspect ok > link.err 2>&1
contains "a blob that is a symlink is refused" link.err "is not a regular file"

# two Debian images whose locks differ in one package's version
needdebtools diff || exit 0
signedrepo
mkpkg libfoo 1.0 "$DEBARCH" "" 'mkdir -p usr/lib && echo v1 > usr/lib/libfoo.so.1'
mkpkg libfoo 1.3 "$DEBARCH" "" 'mkdir -p usr/lib && echo v13 > usr/lib/libfoo.so.1'
mkpkg app 2.0 "$DEBARCH" "Depends: libfoo" 'mkdir -p usr/bin && echo app > usr/bin/app'
ARCH=$DEBARCH mkindex stable && serve "$REPO" || { fail "diff: the test repository did not start"; exit 0; }
for v in 1.0 1.3; do
	mkdir -p "$W/deb$v/src" "$W/deb$v/b"
	cat > "$W/deb$v/src/build.lua" <<EOF
local repo = repository { url = "http://127.0.0.1:$PORT", suite = "stable", keyring = "$W/test.gpg" }
image { name = "app", packages = { "app", "libfoo=$v" }, repositories = { repo } }
EOF
	(cd "$W/deb$v/b" && "$IMAGEGEN" lock ../src/build.lua && "$IMAGEGEN" --locked ../src/build.lua &&
		ninja > ninja.log 2>&1) || fail "diff: the Debian image with libfoo $v does not build"
done
"$IMAGEGEN" diff deb1.0/b/out/app deb1.3/b/out/app > deb.out 2>&1
same "Debian: exit 1" 1 $?
contains "Debian: libfoo with both versions" deb.out "  ~ libfoo 1.0 -> 1.3"
same "Debian: one package line" 1 "$(sed -n '/^packages:/,/^config:/p' deb.out | grep -c '^  ')"
contains "Debian: the library's file changed" deb.out "  ~ /usr/lib/libfoo.so.1: content"
"$IMAGEGEN" diff --json deb1.0/b/out/app deb1.3/b/out/app > deb.json
same "Debian --json: the package and its two versions" "[('libfoo', '1.0', '1.3')]" \
	"$(jget deb.json '[(p["name"], p["a"], p["b"]) for p in j["packages"]]')"
"$IMAGEGEN" inspect deb1.3/b/out/app > debinspect.out
contains "Debian: inspect counts the packages" debinspect.out "packages   2 (dpkg)"

# the same image with zstd layers: every layer the same contents by diff_id (issue 26, item 4)
mkdir -p "$W/zstd/b" && cp -R "$W/deb1.3/src" "$W/zstd/src"
(cd "$W/zstd/b" && "$IMAGEGEN" --locked --compression zstd ../src/build.lua && ninja > ninja.log 2>&1) ||
	fail "diff: the Debian image with zstd layers does not build"
n=$(jget "$(blob deb1.3/b/out/app "$(jget deb1.3/b/out/app/index.json 'j["manifests"][0]["digest"]')")" 'len(j["layers"])')
"$IMAGEGEN" diff deb1.3/b/out/app zstd/b/out/app > zstd.out 2>&1
same "gzip and zstd: exit 1 (other bytes)" 1 $?
contains "gzip and zstd: every layer the same contents compressed otherwise" zstd.out \
	"layers: 0 unchanged, $n the same contents compressed otherwise, 0 removed, 0 added"
same "gzip and zstd: each layer says gzip -> zstd" "$n" "$(grep -c '^  ~ sha256:.*(same contents, gzip -> zstd)$' zstd.out)"
same "gzip and zstd: no file or package differs; the last line says why" "0 same contents, other compression" \
	"$(grep -c -e '^files:' -e '^packages:' zstd.out) $(tail -n 1 zstd.out)"
"$IMAGEGEN" diff --json deb1.3/b/out/app zstd/b/out/app > zstd.json
same "gzip and zstd --json: same false, samecontents true, every layer recompressed gzip -> zstd" \
	"False True $n gzip zstd" \
	"$(jget zstd.json 'j["same"], j["samecontents"], sum(l["status"] == "recompressed" for l in j["layers"]), j["layers"][0]["compression"], j["layers"][0]["b"]["compression"]')"
zl=$(blob zstd/b/out/app "$(jget zstd/b/out/app/index.json 'j["manifests"][0]["digest"]')")
same "gzip and zstd --json: b is the zstd image's layer, the diff_id the same" \
	"$(jget "$zl" '[l["digest"] for l in j["layers"]]')" "$(jget zstd.json '[l["b"]["digest"] for l in j["layers"]]')"
same "gzip and zstd --json: no files, packages; at most the history's names in config" "0 0 []" \
	"$(jget zstd.json 'len(j["files"]), len(j["packages"]), [c["field"] for c in j["config"] if c["field"] != "history"]')"
"$IMAGEGEN" diff --json deb1.0/b/out/app zstd/b/out/app > zstd10.json
same "another version in zstd: samecontents false, libfoo's and the dpkg layer removed and added" "False 2 2" \
	"$(jget zstd10.json 'j["samecontents"], sum(l["status"] == "removed" for l in j["layers"]), sum(l["status"] == "added" for l in j["layers"])')"
