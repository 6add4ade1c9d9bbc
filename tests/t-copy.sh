# imagegen copy between OCI layouts (issue 26, item 6): the image, every
# blob and the artifacts that refer to it (its SBOMs) arrive with the same
# digests; a layout of two images gives the one named and its SBOM alone; a
# second copy copies nothing; --json and --digest-file; the tag the copy
# gets; damaged sources and refused destinations in one line, with no
# index.json written. (Registries: e2e-copy.sh.)
. "$TOP/tests/lib.sh"

workdir copy
cd "$W" || exit 1
export IMAGEGEN_CACHE="$W/cache"

mkdir -p src b
cat > src/build.lua <<'EOF'
image { name = "x", tag = "team/x:1", files = { { "/f", text "x\n" } } }
image { name = "m", platforms = { "linux/amd64", "linux/arm64" }, files = { { "/g", text "g\n" } } }
EOF
(cd b && "$IMAGEGEN" ../src/build.lua > /dev/null && ninja > ninja.log 2>&1)
check "the images build, with their SBOMs" test -f b/out/m/index.json -a -f b/out/x.spdx.json

# closure LAYOUT: the digests index.json names, with every blob they name, sorted
closure() {
	python3 - "$1" <<'EOF'
import json, os, sys
d = sys.argv[1]
seen = set()
def walk(digest):
    if digest in seen:
        return
    seen.add(digest)
    with open(os.path.join(d, "blobs", "sha256", digest[7:]), "rb") as f:
        doc = json.loads(f.read()) if os.path.getsize(f.name) < 1 << 20 else {}
    if not isinstance(doc, dict):
        return
    for m in doc.get("manifests", []):
        walk(m["digest"])
    for b in [doc.get("config")] + doc.get("layers", []):
        if b:
            seen.add(b["digest"])
for m in json.load(open(os.path.join(d, "index.json")))["manifests"]:
    walk(m["digest"])
print(" ".join(sorted(seen)))
EOF
}
# entries LAYOUT: index.json's digests and artifact types, in order
entries() {
	jget "$1/index.json" "' '.join(m['digest'] + '=' + m.get('artifactType', 'image') for m in j['manifests'])"
}
# hashes LAYOUT: whether every blob of the layout hashes to its name
hashes() {
	for f in "$1"/blobs/sha256/*; do
		[ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || return 1
	done
}

# one platform: the same digests, blobs and SBOM
"$IMAGEGEN" copy b/out/x c1 > c1.out 2> c1.err
same "copy: exit 0, nothing on stderr" "0:" "$?:$(cat c1.err)"
same "copy: index.json names the image and its SBOM, the source's digests" "$(entries b/out/x)" "$(entries c1)"
same "copy: every blob they name is there" "$(closure b/out/x)" "$(closure c1)"
check "copy: each blob hashes to its name" hashes c1
contains "copy: the summary names the digest, the SBOM and the provenance" c1.out \
	"copy b/out/x c1: $(cat b/out/x.digest), 8 blob(s) copied, 0 already there, 2 referrer(s) copied"
same "copy: the source's tag and containerd's name" "1 team/x:1" \
	"$(jget c1/index.json "j['manifests'][0]['annotations']['org.opencontainers.image.ref.name'] + ' ' + j['manifests'][0]['annotations']['io.containerd.image.name']")"
check "copy: the SBOM is the document the build wrote" \
	cmp "$(blob c1 "$(jget "$(blob c1 "$(jget c1/index.json "j['manifests'][1]['digest']")")" "j['layers'][0]['digest']")")" b/out/x.spdx.json
"$IMAGEGEN" diff b/out/x c1 > diff.out 2>&1
same "copy: diff sees no difference" "0" "$?"
checkvalid "copy: the copy is a valid OCI layout" c1
if have umoci; then
	same "copy: umoci lists its tag" 1 "$(umoci ls --layout c1 2>&1)"
else
	skip "copy: umoci lists its tag (no umoci)"
fi
"$IMAGEGEN" copy b/out/x c1 > again.out 2>&1
contains "copy: a second copy copies nothing" again.out "0 blob(s) copied, 8 already there"
"$IMAGEGEN" copy b/out/x "$W/other dir" > /dev/null 2>&1
check "copy: the same bytes in another folder" cmp c1/index.json "$W/other dir/index.json"

# several platforms, to a tag: an SBOM a platform, both carried
"$IMAGEGEN" copy --json --digest-file m.digest b/out/m c2:v2 > m.json 2> m.err
same "copy --json: exit 0, one line" "0:1" "$?:$(wc -l < m.json)"
same "copy --json: the digest, 15 blobs, four referrers (an SBOM and a provenance a platform)" "$(cat b/out/m.digest) 15 0 4 b/out/m c2:v2" \
	"$(jget m.json "' '.join(str(v) for v in (j['digest'], j['copied'], j['present'], len(j['referrers']), j['source'], j['reference']))")"
check "copy --json: canonical (sorted keys, no spaces)" python3 -c '
import json, sys
t = open(sys.argv[1]).read()
sys.exit(t != json.dumps(json.loads(t), sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")' m.json
same "copy --digest-file: the digest and a newline" "$(cat b/out/m.digest)" "$(cat m.digest)"
same "copy: the index and both SBOMs, the source's digests" "$(entries b/out/m)" "$(entries c2)"
same "copy: every blob of both platforms" "$(closure b/out/m)" "$(closure c2)"
same "copy: the tag DST names, in both annotations" "v2 m:v2" \
	"$(jget c2/index.json "j['manifests'][0]['annotations']['org.opencontainers.image.ref.name'] + ' ' + j['manifests'][0]['annotations']['io.containerd.image.name']")"

# a layout of two images: the one named and its own SBOM
python3 - b/out/x b/out/m two <<'EOF'
import json, os, shutil, sys
x, m, out = sys.argv[1:]
os.makedirs(os.path.join(out, "blobs", "sha256"))
for d in (x, m):
    for f in os.listdir(os.path.join(d, "blobs", "sha256")):
        shutil.copy(os.path.join(d, "blobs", "sha256", f), os.path.join(out, "blobs", "sha256", f))
shutil.copy(os.path.join(x, "oci-layout"), out)
ix, im = (json.load(open(os.path.join(d, "index.json"))) for d in (x, m))
# m's index first, then x's image, then the artifacts of both, mixed
ix["manifests"] = [im["manifests"][0], ix["manifests"][0]] + [a for pair in zip(im["manifests"][1:], ix["manifests"][1:] + [None] * 9) for a in pair if a]
json.dump(ix, open(os.path.join(out, "index.json"), "w"))
EOF
"$IMAGEGEN" copy two c3 > two.out 2>&1
same "copy: a layout of two images, none named: refused" "1:1" "$?:$(wc -l < two.out)"
contains "copy: ... naming both and how to choose" two.out "imagegen: copy two c3: two holds the images 'latest' and '1': name one as two:TAG"
check "copy: ... nothing written" test ! -e c3/index.json
"$IMAGEGEN" copy two:1 c3 > /dev/null 2>&1
same "copy: DIR:TAG, the image with that tag and its SBOM and provenance alone" "$(entries b/out/x)" "$(entries c3)"
"$IMAGEGEN" copy "two@$(cat b/out/m.digest)" c4:m > /dev/null 2>&1
same "copy: DIR@DIGEST, that image and its two SBOMs and two provenances" "$(entries b/out/m)" "$(entries c4)"

# errors: one line, exit non-zero, no index.json written
# refused NAME EXPECTED SRC DST: the copy fails with a line holding EXPECTED, and DST has no index.json
refused() {
	rm -rf "$4"
	"$IMAGEGEN" copy "$3" "$4" > "$1.out" 2>&1
	st=$?
	same "copy refused: $1: exit 1, one line" "1:1" "$st:$(wc -l < "$1.out")"
	contains "copy refused: $1: the line says why" "$1.out" "$2"
	check "copy refused: $1: no index.json written" test ! -e "${4%:*}/index.json"
}
refused nosuch "imagegen: copy nothere d: nothere: no such OCI layout, and not a registry reference" nothere d
refused notag "imagegen: copy b/out/x:2 d: b/out/x: no image with that tag" b/out/x:2 d
refused badtag "imagegen: copy b/out/x d:-x: '-x' is not a tag" b/out/x d:-x
refused nodigest "no image with that digest" "b/out/x@sha256:$(printf '%064d' 0)" d
refused todigest "copy to a layout's tag, not a digest" b/out/x "d@$(cat b/out/x.digest)"
cp -R c1 taken
"$IMAGEGEN" copy b/out/m taken > taken.out 2>&1
same "copy refused: a layout with another tag: exit 1, one line" "1:1" "$?:$(wc -l < taken.out)"
contains "copy refused: ... naming the tag it holds" taken.out "imagegen: copy b/out/m taken: taken holds the image '1' too: copy into a folder of its own"
same "copy refused: ... and it still holds that image" "$(entries c1)" "$(entries taken)"
# a layer whose bytes were changed in the source
cp -R b/out/x bad
layer=$(jget "$(blob bad "$(cat b/out/x.digest)")" "j['layers'][0]['digest']")
chmod u+w "$(blob bad "$layer")" && printf 'X' | dd of="$(blob bad "$layer")" bs=1 seek=20 conv=notrunc 2>/dev/null
refused damaged "imagegen: copy bad d: blob $layer is missing or does not match its digest" bad d
cp -R b/out/x badsbom
sbom=$(jget badsbom/index.json "j['manifests'][1]['digest']")
chmod u+w "$(blob badsbom "$sbom")" && printf ' ' >> "$(blob badsbom "$sbom")"
refused damagedsbom "imagegen: copy badsbom d: an artifact: blob $sbom does not match its digest" badsbom d
"$IMAGEGEN" copy b/out/x > usage.out 2>&1
same "copy: one operand is a usage error (exit 2)" "2" "$?"
