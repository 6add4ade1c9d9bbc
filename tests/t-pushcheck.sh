# imagegen push checks the layout it reads before it speaks to the registry
# (issue 24, item 6), as a base's layout is checked: descriptors (a size of
# 2^62 for a blob the registry already has), the manifest, the config (JSON,
# the config of an image), the blobs' sizes and digests, the SBOM's. The
# registry is tests/hostile.py's "collect", which answers 200 to everything:
# it "has" every blob, so a push that trusts the layout mounts nothing,
# uploads nothing and checks nothing. Each damaged layout must be refused in
# one line, with no request made.
. "$TOP/tests/lib.sh"

workdir pushcheck
cd "$W" || exit 1
export IMAGEGEN_CACHE="$W/cache"
PIDS=
trap 'for p in $PIDS; do stop "$p"; done' EXIT

mkdir -p "$W/img/src" "$W/img/b"
printf 'image { name = "x", files = { { "/f", text "x\\n" } } }\n' > "$W/img/src/build.lua"
(cd "$W/img/b" && "$IMAGEGEN" ../src/build.lua > /dev/null && ninja > /dev/null)
LAYOUT=$W/img/b/out/x

# the registry that has everything: every request it gets is a line of $W/reg.log
: > "$W/reg.log"
python3 "$TOP/tests/hostile.py" collect "$W/reg.log" > "$W/hostile.err" 2>&1 &
pid=$!
PIDS="$PIDS $pid"
PORT=$(listenport "$pid")

# the layout as it is: the push speaks to the registry
"$IMAGEGEN" push "$LAYOUT" "127.0.0.1:$PORT/r:1" > good.out 2>&1
contains "a sound layout: the registry is asked for its blobs" "$W/reg.log" "HEAD /v2/r/blobs/sha256:"

# mutate NAME PYTHON: $W/NAME, a copy of the layout with PYTHON run on i
# (index.json), m (the image's manifest), c (its config), s (the SBOM's
# manifest) and the blobs (put(bytes) -> digest, size; path(digest)); the
# documents changed are written again and the descriptors of them updated
mutate() {
	rm -rf "$W/$1" && cp -R "$LAYOUT" "$W/$1"
	python3 - "$W/$1" "$2" <<'EOF'
import hashlib, json, os, sys
d, code = sys.argv[1], sys.argv[2]
path = lambda digest: f"{d}/blobs/sha256/{digest[7:]}"
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open(f"{d}/blobs/sha256/{h}", "wb").write(b)
    return "sha256:" + h, len(b)
load = lambda desc: json.load(open(path(desc["digest"])))
i = json.load(open(f"{d}/index.json"))
m, s = load(i["manifests"][0]), load(i["manifests"][1])
c = load(m["config"])
was = [json.dumps(x) for x in (c, m, s)]
exec(code)
if json.dumps(c) != was[0]:
    m["config"]["digest"], m["config"]["size"] = put(json.dumps(c).encode())
if json.dumps(m) != was[1]:
    i["manifests"][0]["digest"], i["manifests"][0]["size"] = put(json.dumps(m).encode())
    s["subject"]["digest"], s["subject"]["size"] = i["manifests"][0]["digest"], i["manifests"][0]["size"]
if json.dumps(s) != was[2]:
    i["manifests"][1]["digest"], i["manifests"][1]["size"] = put(json.dumps(s).encode())
json.dump(i, open(f"{d}/index.json", "w"))
EOF
}

# refused NAME TEXT: the push of $W/NAME fails in one line containing TEXT, before any request
refused() {
	: > "$W/reg.log"
	"$IMAGEGEN" push "$W/$1" "127.0.0.1:$PORT/r:1" > "$1.out" 2>&1
	same "$1: exit 1 and one line" "1 1" "$? $(wc -l < "$1.out")"
	contains "$1: saying so" "$1.out" "$2"
	same "$1: no request made" "" "$(cat "$W/reg.log")"
}

mutate hugelayer 'm["layers"][0]["size"] = 1 << 62'
refused hugelayer "the manifest's layers[0]: blob sha256:"
contains "hugelayer: naming both sizes" hugelayer.out "has 99 bytes, its descriptor says 4611686018427387904"
mutate hugeconfig 'm["config"]["size"] = 1 << 62'
refused hugeconfig "the manifest's config: blob sha256:"
contains "hugeconfig: at most 4 MiB" hugeconfig.out "is larger than 4194304 bytes, the most a document may have"
mutate notjson 'm["config"]["digest"], m["config"]["size"] = put(b"not JSON at all")'
refused notjson "the manifest's config: blob sha256:"
contains "notjson: not JSON" notjson.out "is not a JSON object"
mutate notimage 'c = {"created": "1970-01-01T00:00:00Z"}'
refused notimage "the config names no architecture and os"
mutate diffids 'c["rootfs"]["diff_ids"] = []'
refused diffids "the config has 0 diff_ids for 1 layers"
mutate manifestsize 'i["manifests"][0]["size"] += 1'
refused manifestsize "the image's manifest: blob"
msize=$(wc -c < "$LAYOUT/blobs/sha256/$(jget "$LAYOUT/index.json" "j['manifests'][0]['digest'][7:]")")
contains "manifestsize: naming both sizes" manifestsize.out "has $msize bytes, its descriptor says $((msize + 1))"
mutate manifesthuge 'i["manifests"][0]["size"] = 1 << 62'
refused manifesthuge "is larger than 4194304 bytes, the most a document may have"
mutate notmanifest 'del m["config"]'
refused notmanifest "the manifest's config is not a descriptor object"
mutate badmt 'm["layers"][0]["mediaType"] = "text/plain"'
refused badmt "the manifest's layers[0] has the media type 'text/plain', not one an image has here"
# bytes that are not the blob's: same size, other digest; a blob missing; a symlink
mutate otherbytes 'open(path(m["layers"][0]["digest"]), "r+b").write(b"\0")'
refused otherbytes "the manifest's layers[0]: blob sha256:"
contains "otherbytes: not its digest" otherbytes.out "does not match its digest"
mutate missing 'os.remove(path(m["layers"][0]["digest"]))'
refused missing "the manifest's layers[0]: blob sha256:"
mutate symlink 'p = path(m["layers"][0]["digest"]); os.rename(p, p + ".real"); os.symlink(p + ".real", p)'
refused symlink "the manifest's layers[0]: blob sha256:"
mutate manifestbytes 'open(path(i["manifests"][0]["digest"]), "r+b").write(b" ")'
refused manifestbytes "the image's manifest: blob sha256:"
# the SBOM: its layer's size, its subject
mutate sbomsize 's["layers"][0]["size"] = 1 << 62'
refused sbomsize "the artifact's layers[0]: blob sha256:"
mutate nosubject 'del s["subject"]'
refused nosubject "the artifact has no subject"
