# Machine-readable output (issue 25, item 6), without a registry: out/NAME.digest
# beside each layout under ninja and make (the manifest's digest, or the
# index's for an image of several platforms; untouched when unchanged),
# inspect --json against the layout's own documents, lock --json's changes
# over a signed synthetic repository (tests/synthrepo.py), and the errors of
# push --json / --digest-file and inspect --json. (Pushes, progress lines and
# pulled bases: e2e-json.sh.)
. "$TOP/tests/lib.sh"

workdir json
export IMAGEGEN_CACHE="$W/cache"
mkdir -p "$W/src" "$W/b" "$W/m"
cat > "$W/src/build.lua" <<'EOF'
image {
  name = "one",
  layers = {
    { name = "bin", files = { { "/bin/tool", text "#!/bin/sh\necho hi\n", mode = "4755" } } },
    { name = "etc", files = { { "/etc/motd", text "hello\n" } } },
  },
  entrypoint = { "/bin/tool" },
  env = { MODE = "json" },
}
image {
  name = "two",
  platforms = { "linux/amd64", "linux/arm64" },
  files = { { "/etc/motd", text "two\n" } },
}
EOF

# digestof LAYOUT: what index.json tags, and sha256 of that blob's bytes
digestof() {
	jget "$1/index.json" "j['manifests'][0]['digest']"
}
hashof() {
	echo "sha256:$(sha256sum "$(blob "$1" "$2")" | cut -d' ' -f1)"
}

cd "$W/b" || exit 1
"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1
same "digest: ninja builds out/one.digest" yes "$([ -f out/one.digest ] && echo yes)"
d1=$(digestof out/one)
same "digest: out/one.digest is index.json's manifest digest and a newline" "$d1" "$(cat out/one.digest)"
same "digest: 72 bytes, sha256:<hex> and a newline" 72 "$(wc -c < out/one.digest)"
same "digest: that digest is the sha256 of the manifest's bytes" "$d1" "$(hashof out/one "$d1")"
same "digest: the manifest is an image manifest" application/vnd.oci.image.manifest.v1+json \
	"$(jget out/one/index.json "j['manifests'][0]['mediaType']")"
d2=$(digestof out/two)
same "digest: an image of several platforms: out/two.digest is the image index's digest" "$d2" "$(cat out/two.digest)"
same "digest: ... whose media type is an index" application/vnd.oci.image.index.v1+json \
	"$(jget out/two/index.json "j['manifests'][0]['mediaType']")"
same "digest: ... the sha256 of the index's bytes" "$d2" "$(hashof out/two "$d2")"
check "digest: build.ninja names out/one.digest as an output of the layout edge" \
	grep -q '^build out/one/index.json out/one.digest: layout ' build.ninja

# restat: an edit that leaves the image as it was leaves the file alone
before=$(stat -c %Y.%y out/one.digest)
sleep 1
touch ../src/build.lua
"$IMAGEGEN" ../src/build.lua && ninja > ninja2.log 2>&1
same "digest: regenerating with no change leaves out/one.digest untouched" "$before" "$(stat -c %Y.%y out/one.digest)"
check "digest: ... and ninja has nothing left to do" sh -c 'ninja -n | grep -q "no work to do"'
sed -i 's|echo hi|echo hello|' ../src/build.lua
"$IMAGEGEN" ../src/build.lua && ninja > ninja3.log 2>&1
d1b=$(digestof out/one)
same "digest: a changed image changes out/one.digest to its new digest" "$d1b" "$(cat out/one.digest)"
check "digest: ... which is another digest" test "$d1" != "$d1b"
same "digest: out/two.digest, whose image did not change, is untouched" "$d2" "$(cat out/two.digest)"
sed -i 's|echo hello|echo hi|' ../src/build.lua
"$IMAGEGEN" ../src/build.lua && ninja > ninja4.log 2>&1
same "digest: the edit undone, out/one.digest is the first digest again" "$d1" "$(cat out/one.digest)"

# make: the same file, the same bytes
cd "$W/m" || exit 1
"$IMAGEGEN" -G make ../src/build.lua && make -f images.mk images > make.log 2>&1
same "digest: make builds out/one.digest with the same bytes as ninja" "$d1" "$(cat out/one.digest 2>&1)"
same "digest: make builds out/two.digest, the index's" "$d2" "$(cat out/two.digest 2>&1)"
before=$(stat -c %Y.%y out/one.digest)
make -f images.mk images > make2.log 2>&1
check "digest: make after a build is content (make -q)" make -q -f images.mk images
same "digest: a make with nothing to do leaves out/one.digest untouched" "$before" "$(stat -c %Y.%y out/one.digest)"

# inspect --json: one canonical document with what the layout says
cd "$W/b" || exit 1
"$IMAGEGEN" inspect --json out/one > inspect.json 2> inspect.err
same "inspect --json: exit 0, nothing on stderr" "0:" "$?:$(cat inspect.err)"
same "inspect --json: one line" 1 "$(wc -l < inspect.json)"
check "inspect --json: canonical (sorted keys, no spaces, a newline at the end)" python3 -c '
import json, sys
t = open(sys.argv[1]).read()
sys.exit(t != json.dumps(json.loads(t), sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")' inspect.json
m=$(blob out/one "$d1")
same "inspect --json: digest is out/one.digest's" "$d1" "$(jget inspect.json "j['digest']")"
same "inspect --json: index is null (the tag names the manifest)" None "$(jget inspect.json "j['index']")"
same "inspect --json: config is the manifest's" "$(jget "$m" "j['config']['digest']")" "$(jget inspect.json "j['config']")"
same "inspect --json: the layers are the manifest's, in order, with size and media type" \
	"$(jget "$m" "[(l['digest'], l['size'], l['mediaType']) for l in j['layers']]")" \
	"$(jget inspect.json "[(l['digest'], l['size'], l['mediaType']) for l in j['layers']]")"
c=$(blob out/one "$(jget "$m" "j['config']['digest']")")
same "inspect --json: diffids are the config's" "$(jget "$c" "j['rootfs']['diff_ids']")" \
	"$(jget inspect.json "[l['diffid'] for l in j['layers']]")"
same "inspect --json: size is the layers' compressed bytes" "$(jget "$m" "sum(l['size'] for l in j['layers'])")" \
	"$(jget inspect.json "j['size']")"
same "inspect --json: entrypoint and env as the config has them" "['/bin/tool'] ['MODE=json']" \
	"$(jget inspect.json "j['entrypoint']") $(jget inspect.json "j['env']")"
same "inspect --json: cmd, user, workdir absent: null" "None None None" \
	"$(jget inspect.json "j['cmd']") $(jget inspect.json "j['user']") $(jget inspect.json "j['workdir']")"
same "inspect --json: platform and platforms" "linux/$(jget inspect.json "j['platform'].split('/')[1]") ['$(jget inspect.json "j['platform']")']" \
	"$(jget inspect.json "j['platform']") $(jget inspect.json "j['platforms']")"
same "inspect --json: the setuid file, its mode and layer" "[{'layer': 1, 'mode': '4755', 'path': '/bin/tool', 'special': 'setuid'}]" \
	"$(jget inspect.json "j['special']")"
same "inspect --json: two files, no packages, nothing wasted" "2 [] {'bytes': 0, 'files': 0}" \
	"$(jget inspect.json "j['files']") $(jget inspect.json "j['packages']") $(jget inspect.json "j['wasted']")"
"$IMAGEGEN" inspect out/one > inspect.txt
contains "inspect: the text says the same digest" inspect.txt "digest     $d1"
contains "inspect: ... and the same setuid file" inspect.txt "4755 /bin/tool (setuid; layer 1)"
"$IMAGEGEN" inspect --json --platform linux/arm64 out/two > two.json 2>&1
same "inspect --json --platform: the arm64 image of the index" linux/arm64 "$(jget two.json "j['platform']")"
same "inspect --json: index is the index's digest (out/two.digest)" "$d2" "$(jget two.json "j['index']")"
same "inspect --json: both platforms" "['linux/amd64', 'linux/arm64']" "$(jget two.json "sorted(j['platforms'])")"

# the errors: one line, non-zero, nothing on stdout
"$IMAGEGEN" inspect --json out/nothing > err.out 2> err.err
st=$?
same "inspect --json of no image: exit 1, one line, nothing on stdout" "1 1 0" "$st $(wc -l < err.err) $(wc -c < err.out)"
"$IMAGEGEN" inspect --jsn out/one > err.out 2> err.err
same "inspect with an unknown option: usage, exit 2" "2" "$?"
contains "inspect: the usage names --json" err.err "imagegen inspect [--json] [--platform OS/ARCH] [--check waste=LIMIT] IMAGE"
"$IMAGEGEN" push --digest-file > err.out 2> err.err
same "push --digest-file without a file: usage, exit 2" 2 "$?"
contains "push: the usage names --json and --digest-file" err.err \
	"usage: imagegen push [--json] [--digest-file FILE] LAYOUT HOST/REPOSITORY[:TAG]"
mkdir -p adir
"$IMAGEGEN" push --json --digest-file adir out/one 127.0.0.1:1/x/one:1 > err.out 2> err.err
st=$?
same "push --digest-file FOLDER: exit 1, nothing on stdout, before any request" "1 0" "$st $(wc -c < err.out)"
same "push --digest-file FOLDER: one line naming it" "imagegen: push 127.0.0.1:1/x/one:1: --digest-file adir is a folder" \
	"$(cat err.err)"
"$IMAGEGEN" push --json --digest-file pushed.digest out/one 127.0.0.1:1/x/one:1 > err.out 2> err.err
st=$?
same "push --json to a registry that is not there: exit 1, one line, no JSON, no digest file" "1 1 0 no" \
	"$st $(wc -l < err.err) $(wc -c < err.out) $([ -e pushed.digest ] && echo yes || echo no)"
"$IMAGEGEN" lock --jsn ../src/build.lua > err.out 2> err.err
same "lock with an unknown option: exit 2" 2 "$?"
contains "lock: the usage names --json" err.err "imagegen lock [--json] [-D NAME=VALUE]... DEFINITION.lua"

# lock --json over a signed synthetic repository: added, nothing, removed, changed
for tool in gpg gpgv; do
	if ! have $tool; then
		fail "json: $tool is not installed (apt-get install gnupg gpgv)"
		exit 0
	fi
done
export GNUPGHOME="$W/gnupg"
ARCH=$(dpkg --print-architecture)
mkdir -m 700 "$GNUPGHOME" && mkdir -p "$W/lock/keys"
atexit 'gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null'
REPO=$W/repo
. "$TOP/tests/debrepo.sh"
mkkey "imagegen tests" tests@example.invalid "$W/lock/keys/test.gpg"
# chainrepo N: the signed repository $W/chain of p00000 -> ... -> p0000(N-1)
chainrepo() {
	python3 "$TOP/tests/synthrepo.py" "$W/chain/dists/synthetic" "$ARCH" "$1" chain
	gpg --batch --quiet --yes --pinentry-mode loopback --passphrase '' --default-key tests@example.invalid \
		--clearsign -o "$W/chain/dists/synthetic/InRelease" "$W/chain/dists/synthetic/Release"
}
cd "$W/lock" || exit 1
printf 'local r = repository { url = "file:%s", suite = "synthetic", keyring = "keys/test.gpg" }\nimage { name = "chain", repositories = { r }, packages = { "p00000" } }\n' \
	"$W/chain" > build.lua
chainrepo 3
"$IMAGEGEN" lock --json build.lua > lock1.json 2> lock1.err
same "lock --json: exit 0" 0 "$?"
check "lock --json: canonical, one line" python3 -c '
import json, sys
t = open(sys.argv[1]).read()
sys.exit(t != json.dumps(json.loads(t), sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")' lock1.json
same "lock --json: the first lock adds the image's three packages" \
	"True True chain added [('p00000', 'added', None, '1.0'), ('p00001', 'added', None, '1.0'), ('p00002', 'added', None, '1.0')]" \
	"$(jget lock1.json "j['changed'], j['written'], j['images'][0]['image'], j['images'][0]['status'], [(p['name'], p['status'], p['a'], p['b']['version']) for p in j['images'][0]['packages']]")"
same "lock --json: each added package's sha256 is the lock's" \
	"$(jget imagegen.lock "[p['sha256'] for p in j['images']['chain']['packages']]")" \
	"$(jget lock1.json "[p['b']['sha256'] for p in j['images'][0]['packages']]")"
same "lock --json: the repository added, with its InRelease's sha256" \
	"added None $(sha256sum "$W/chain/dists/synthetic/InRelease" | cut -d' ' -f1)" \
	"$(jget lock1.json "j['repositories'][0]['status'], j['repositories'][0]['a'], j['repositories'][0]['b']" | tr -d "(),'")"
cp imagegen.lock lock1
"$IMAGEGEN" lock --json build.lua > lock2.json 2> lock2.err
same "lock --json: locking again changes nothing and says so" \
	'{"bases":[],"changed":false,"imagegen-lock-changes":1,"images":[],"lock":"imagegen.lock","repositories":[],"written":false}' \
	"$(cat lock2.json)"
check "lock --json: ... and leaves imagegen.lock as it was" cmp lock1 imagegen.lock
chainrepo 2
"$IMAGEGEN" lock --json build.lua > lock3.json 2> lock3.err
same "lock --json: a package gone from the repository's closure is removed, the image changed" \
	"True changed [('p00002', 'removed', '1.0', None)]" \
	"$(jget lock3.json "j['changed'], j['images'][0]['status'], [(p['name'], p['status'], p['a']['version'], p['b']) for p in j['images'][0]['packages']]")"
same "lock --json: the repository changed, from the old InRelease to the new" \
	"changed $(jget lock1 "j['repositories']['file:$W/chain synthetic']['inrelease_sha256']") $(sha256sum "$W/chain/dists/synthetic/InRelease" | cut -d' ' -f1)" \
	"$(jget lock3.json "j['repositories'][0]['status'], j['repositories'][0]['a'], j['repositories'][0]['b']" | tr -d "(),'")"
"$IMAGEGEN" lock build.lua > lock4.out 2>&1
same "lock without --json prints nothing" "" "$(cat lock4.out)"
# a package whose version the lock had otherwise: changed, from the lock's to the repository's
python3 - imagegen.lock <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for p in j["images"]["chain"]["packages"]:
    if p["name"] == "p00001":
        p["version"], p["sha256"] = "0.9", "ab" * 32
        p["filename"] = p["filename"].replace("_1.0_", "_0.9_")
        p["url"] = p["url"].replace("_1.0_", "_0.9_")
json.dump(j, open(sys.argv[1], "w"))
PY
"$IMAGEGEN" lock --json build.lua > lock5.json 2> lock5.err
same "lock --json: a package at another version is changed, with both versions and sha256s" \
	"True chain changed [('p00001', 'changed', '0.9', '1.0', '$(printf 'ab%.0s' $(seq 32))', '$(jget imagegen.lock "[p['sha256'] for p in j['images']['chain']['packages'] if p['name'] == 'p00001'][0]")')]" \
	"$(jget lock5.json "j['changed'], j['images'][0]['image'], j['images'][0]['status'], [(p['name'], p['status'], p['a']['version'], p['b']['version'], p['a']['sha256'], p['b']['sha256']) for p in j['images'][0]['packages']]")"
same "lock --json: ... and the repository, unchanged, is not listed" "[]" "$(jget lock5.json "j['repositories']")"
