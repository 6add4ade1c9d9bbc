# Machine-readable output against a registry (Debian's docker-registry on
# 127.0.0.1, started and stopped here): push --json and --digest-file
# (uploaded, then present, then mounted in another repository; an image of
# several platforms), out/NAME.digest equal to what the registry serves for
# the tag (skopeo inspect) and to push-NAME's .imagegen/pushed/NAME.digest,
# progress lines on a terminal (script(1)) and none on a pipe for push,
# inspect of a registry image, and lock --json of a pulled base whose tag
# moved.
. "$TOP/tests/lib.sh"

if ! have docker-registry; then
	fail "json: docker-registry is not installed (apt-get install docker-registry)"
	exit 0
fi
workdir json-e2e
export IMAGEGEN_CACHE="$W/cache"
REGPID=
trap 'stopregistry' EXIT
registry reg || exit 0

mkdir -p "$W/src" "$W/b"
# a layer of 3 MB, for a progress line in MB
head -c 3000000 /dev/urandom > "$W/src/big"
cat > "$W/src/build.lua" <<EOF
image {
  name = "one",
  tag = "$REG/test/one:1",
  layers = {
    { name = "big", files = { { "/big", file "big" } } },
    { name = "etc", files = { { "/etc/motd", text "one\\n" } } },
  },
}
image {
  name = "multi",
  tag = "$REG/test/multi:1",
  platforms = { "linux/amd64", "linux/arm64" },
  files = { { "/etc/motd", text "multi\\n" } },
}
EOF
cd "$W/b" || exit 1
"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1
d=$(cat out/one.digest)
same "digest: out/one.digest is index.json's" "$(jget out/one/index.json "j['manifests'][0]['digest']")" "$d"

# skopeo DIGEST-OF REF: the digest the registry serves for REF
served() {
	skopeo inspect --raw --tls-verify=false "docker://$1" | sha256sum | sed 's/^\([0-9a-f]*\).*/sha256:\1/'
}

# the first push: everything uploaded; JSON on stdout, nothing on stderr (a pipe)
"$IMAGEGEN" push --json --digest-file pushed1 out/one "$REG/test/one:1" > push1.json 2> push1.err
same "push --json: exit 0" 0 "$?"
same "push --json: nothing on stderr when it is not a terminal (no progress)" "" "$(cat push1.err)"
check "push --json: one canonical line" python3 -c '
import json, sys
t = open(sys.argv[1]).read()
sys.exit(t != json.dumps(json.loads(t), sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")' push1.json
same "push --json: the reference and digest (out/one.digest's)" "$REG/test/one:1 $d" \
	"$(jget push1.json "j['reference'] + ' ' + j['digest']")"
same "push --json: the registry serves that digest for the tag (skopeo)" "$d" "$(served "$REG/test/one:1")"
same "push --json: skopeo inspect's Digest too" "$d" \
	"$(skopeo inspect --tls-verify=false "docker://$REG/test/one:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')"
same "push --digest-file: the file holds the digest and a newline" "$d" "$(cat pushed1)"
same "push --digest-file: 72 bytes" 72 "$(wc -c < pushed1)"
same "push --json: size and media type are the manifest's" \
	"$(wc -c < "$(blob out/one "$d")") application/vnd.oci.image.manifest.v1+json" \
	"$(jget push1.json "str(j['size']) + ' ' + j['mediaType']")"
m=$(blob out/one "$d")
same "push --json: the manifest's config and layers, in order, with sizes, all uploaded" \
	"$(jget "$m" "[(b['digest'], b['size'], 'uploaded') for b in [j['config']] + j['layers']]")" \
	"$(jget push1.json "[(b['digest'], b['size'], b['status']) for b in j['manifests'][0]['blobs']]")"
same "push --json: the counts agree" "3 0 0" "$(jget push1.json "'%d %d %d' % (j['uploaded'], j['mounted'], j['present'])")"
same "push --json: the SBOM, its subject the image" "1 $d application/spdx+json" \
	"$(jget push1.json "'%d %s %s' % (len([s for s in j['sboms'] if s['artifactType'] == 'application/spdx+json']), j['sboms'][0]['subject'], j['sboms'][0]['artifactType'])")"
same "push --json: the manifest's platform" "linux/$(dpkg --print-architecture | sed 's/^i386$/386/')" \
	"$(jget push1.json "j['manifests'][0]['platform']")"

# again: everything present
"$IMAGEGEN" push --json out/one "$REG/test/one:1" > push2.json 2> push2.err
same "push --json again: every blob present, none uploaded" "['present', 'present', 'present'] 0 3" \
	"$(jget push2.json "[b['status'] for b in j['manifests'][0]['blobs']], j['uploaded'], j['present']" | tr -d '()' | sed 's/, \([0-9]\)/ \1/g')"
# to another repository: mounted from the first
"$IMAGEGEN" push --json out/one "$REG/test/other:1" > push3.json 2> push3.err
same "push --json to another repository: every blob mounted" "['mounted', 'mounted', 'mounted'] 3" \
	"$(jget push3.json "[b['status'] for b in j['manifests'][0]['blobs']], j['mounted']" | tr -d '()' | sed 's/, \([0-9]\)/ \1/g')"
# without --json: the summary line, as before
"$IMAGEGEN" push out/one "$REG/test/one:1" > push4.out 2>&1
same "push without --json: the one summary line" \
	"push $REG/test/one:1: $d, 0 blob(s) uploaded, 0 mounted, 3 already there, attached: 1 SBOM, 1 provenance" "$(cat push4.out)"

# an image of several platforms: the index's digest
dm=$(cat out/multi.digest)
"$IMAGEGEN" push --json --digest-file pushedm out/multi "$REG/test/multi:1" > pushm.json 2> pushm.err
same "push --json of an index: its digest is out/multi.digest, the index's" "$dm application/vnd.oci.image.index.v1+json" \
	"$(jget pushm.json "j['digest'] + ' ' + j['mediaType']")"
same "push --json of an index: the registry serves it for the tag" "$dm" "$(served "$REG/test/multi:1")"
same "push --json of an index: its manifests, by platform" "['linux/amd64', 'linux/arm64']" \
	"$(jget pushm.json "sorted(m['platform'] for m in j['manifests'])")"
same "push --json of an index: the manifests are the index's" \
	"$(jget "$(blob out/multi "$dm")" "sorted(m['digest'] for m in j['manifests'])")" \
	"$(jget pushm.json "sorted(m['digest'] for m in j['manifests'])")"
same "push --digest-file of an index: the index's digest" "$dm" "$(cat pushedm)"

# push-NAME leaves the digest it pushed in .imagegen/pushed/NAME.digest
rm -f .imagegen/pushed/one.digest
ninja push-one > pushn.log 2>&1
same "ninja push-one: .imagegen/pushed/one.digest is out/one.digest" "$d" "$(cat .imagegen/pushed/one.digest 2>&1)"

# progress lines: on a terminal (script gives the command one), never on a pipe
if have script; then
	script -qec "'$IMAGEGEN' push out/one '$REG/test/tty:1'" /dev/null > tty.out 2>&1
	same "progress: the push under a terminal succeeds" 0 "$?"
	contains "progress: a line for the big layer's upload, in MB" tty.out "pushing one: layer 1/2 "
	contains "progress: ... its size and how it got there (mounted from test/one)" tty.out "pushing one: layer 1/2 3.0 MB mounted"
	check "progress: each update drawn over the last (carriage returns)" grep -q "$(printf '\r')pushing one: config" tty.out
	contains "progress: the summary line after it" tty.out "push $REG/test/tty:1: $d"
	"$IMAGEGEN" push out/one "$REG/test/pipe:1" > pipe.out 2> pipe.err
	same "progress: none on a pipe (stderr empty)" "" "$(cat pipe.err)"
	# without the record of this machine's pushes there is nothing to mount from: an upload
	rm -f "$IMAGEGEN_CACHE/pushed"
	script -qec "'$IMAGEGEN' push out/one '$REG/fresh/one:1'" /dev/null > tty2.out 2>&1
	contains "progress: an upload's line starts at 0" tty2.out "pushing one: layer 1/2 0.0/3.0 MB"
	contains "progress: ... and says uploaded" tty2.out "pushing one: layer 1/2 3.0 MB uploaded"
	script -qec "'$IMAGEGEN' push out/one '$REG/fresh/one:1'" /dev/null > tty3.out 2>&1
	contains "progress: a blob the registry has is 'already there'" tty3.out "pushing one: layer 1/2 3.0 MB already there"
	# inspect of a registry image: the layers' downloads, into a fresh download folder
	IMAGEGEN_CACHE="$W/cache2" script -qec "'$IMAGEGEN' inspect '$REG/test/one:1'" /dev/null > itty.out 2>&1
	contains "progress: inspect of a registry image shows its layers' download" itty.out "pulling test/one: layer 1/2 "
	contains "progress: ... and then the screen" itty.out "digest     $d"
	IMAGEGEN_CACHE="$W/cache3" "$IMAGEGEN" inspect --json "$REG/test/one:1" > ipipe.json 2> ipipe.err
	same "progress: none for inspect on a pipe" "" "$(cat ipipe.err)"
	same "inspect --json of the registry image: the pushed digest" "$d" "$(jget ipipe.json "j['digest']")"
else
	fail "progress: script is not installed (apt-get install util-linux)"
fi

# lock --json: a pulled base's tag pinned, then moved
mkdir -p "$W/child/src" "$W/child/b"
printf 'image { name = "child", base = pull "%s/test/one:1", files = { { "/x", text "x" } } }\n' "$REG" \
	> "$W/child/src/build.lua"
cd "$W/child/b" || exit 1
"$IMAGEGEN" lock --json ../src/build.lua > lock1.json 2> lock1.err
same "lock --json: the pulled tag is added, pinned to its digest" "True added None $d" \
	"$(jget lock1.json "j['changed'], j['bases'][0]['status'], j['bases'][0]['a'], j['bases'][0]['b']" | tr -d "(),'")"
same "lock --json: the base's ref" "$REG/test/one:1" "$(jget lock1.json "j['bases'][0]['ref']")"
"$IMAGEGEN" lock --json ../src/build.lua > lock2.json 2> lock2.err
same "lock --json again: nothing changed" "False [] False" \
	"$(jget lock2.json "j['changed'], j['bases'], j['written']" | tr -d "(),'")"
# the tag moves to another image
cd "$W/b" || exit 1
"$IMAGEGEN" push out/multi "$REG/test/one:1" > /dev/null
cd "$W/child/b" || exit 1
"$IMAGEGEN" lock --json ../src/build.lua > lock3.json 2> lock3.err
same "lock --json: the moved tag's base changed, from the old digest to the new" "True changed $d $dm" \
	"$(jget lock3.json "j['changed'], j['bases'][0]['status'], j['bases'][0]['a'], j['bases'][0]['b']" | tr -d "(),'")"
