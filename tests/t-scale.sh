# Generation of a monorepo (the bench's shape: 40 images, 4 of them bases of
# the rest, 5 layers each): what generating again rewrites, by mtime. With
# nothing changed, nothing; with one definition changed, its image's bundle
# of specs and build.ninja, and ninja runs again only the edges whose spec
# in it changed; with an image added over a base, its own bundle and the
# base's layers' users files, and no other image's report spec, which does
# not grow with the images that share a layer. Images declared in one file
# have a bundle each. build.ninja is written by rename.
. "$TOP/tests/lib.sh"

workdir scale
python3 - "$W/src" <<'PY'
import os, sys
root = sys.argv[1]
top = []
for i in range(40):
    d = os.path.join(root, "svc%03d" % i)
    os.makedirs(d)
    for l in range(5):
        with open(os.path.join(d, "file%d.txt" % l), "w") as f:
            f.write("service %d layer %d\n" % (i, l))
    base = "scratch" if i < 4 else '"svc%03d"' % (i % 4)
    layers = ", ".join('{ name = "l%d", files = { { "/etc/file%d.txt", "file%d.txt" } } }' % (l, l, l) for l in range(5))
    with open(os.path.join(d, "build.lua"), "w") as f:
        f.write('image { name = "svc%03d", base = %s, layers = { %s } }\n' % (i, base, layers))
    top.append('include "svc%03d"' % i)
with open(os.path.join(root, "build.lua"), "w") as f:
    f.write("\n".join(top) + "\n")
PY
mkdir "$W/b" && cd "$W/b" || exit 1
"$IMAGEGEN" ../src/build.lua
# bundle SPEC: the bundle that holds SPEC; part SPEC: SPEC's text in it
bundle() {
	grep -l "\"$1\":" .imagegen/spec/bundle/*.json
}
part() {
	python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]], sort_keys=True))' \
		"$(bundle "$1")" "$1"
}
same "one spec file an image, and a users file and a bundle a shared layer: 40 + 20 + 20" 80 "$(find .imagegen/spec -type f | wc -l)"
part .imagegen/spec/report/svc013.json > "$W/report40.json"
ninja svc027 > /dev/null

# rewritten: the files of build.ninja and .imagegen/spec newer than the stamp
rewritten() {
	find build.ninja .imagegen/spec -type f -newer "$W/stamp" | sort | tr '\n' ' ' | sed 's/ $//'
}
# stamp: those files made old, and the stamp newer than them: a file written
# after is newer still, whatever the filesystem's granularity of times
stamp() {
	find build.ninja .imagegen/spec -type f -exec touch -d @1000000000 {} +
	touch -d @1000000001 "$W/stamp"
}

stamp
"$IMAGEGEN" ../src/build.lua
same "generating again with nothing changed rewrites nothing" "" "$(rewritten)"

stamp
sed 's/base = "svc003",/&\n  env = { CHANGED = "1" },/' ../src/svc027/build.lua > "$W/new.lua" && mv "$W/new.lua" ../src/svc027/build.lua
"$IMAGEGEN" ../src/build.lua
same "an env added to one definition rewrites its image's bundle and build.ninja (the edge's digest) alone" \
	"$(bundle .imagegen/spec/image/svc027.json) build.ninja" "$(rewritten)"
# (the edges by name: the provenance and the SBOM run in either order)
same "ninja runs again the image's edges, not its layers'" "IMAGE svc027,LAYOUT out/svc027,PROVENANCE out/svc027.provenance.json,SBOM out/svc027.spdx.json" \
	"$(ninja svc027 | sed -n 's/^\[[0-9/]*\] //p' | grep -v '^IMAGEGEN' | LC_ALL=C sort | paste -s -d, -)"
# one layer's declaration changed (another file in it): that layer's edge
# runs again, and its siblings' do not
sed 's|{ "/etc/file2.txt", "file2.txt" }|&, { "/etc/more.txt", "file4.txt" }|' ../src/svc027/build.lua > "$W/new.lua" &&
	mv "$W/new.lua" ../src/svc027/build.lua
same "a layer's declaration changed: ninja runs that layer's edge, not its siblings'" \
	"IMAGE svc027,LAYER svc027/l2,LAYOUT out/svc027,PROVENANCE out/svc027.provenance.json,SBOM out/svc027.spdx.json" \
	"$(ninja svc027 | sed -n 's/^\[[0-9/]*\] //p' | grep -v '^IMAGEGEN' | LC_ALL=C sort | paste -s -d, -)"

stamp
mkdir ../src/svc040 && cp ../src/svc001/*.txt ../src/svc040/
echo 'image { name = "svc040", base = "svc001", files = { { "/etc/new.txt", "file0.txt" } } }' > ../src/svc040/build.lua
echo 'include "svc040"' >> ../src/build.lua
"$IMAGEGEN" ../src/build.lua
same "an image added over a base rewrites its own bundle, the base's layers' users files and build.ninja" \
	"$(bundle .imagegen/spec/image/svc040.json) .imagegen/spec/users/svc001/l0.json .imagegen/spec/users/svc001/l1.json .imagegen/spec/users/svc001/l2.json .imagegen/spec/users/svc001/l3.json .imagegen/spec/users/svc001/l4.json build.ninja" \
	"$(rewritten)"
part .imagegen/spec/report/svc013.json > "$W/report41.json"
check "the report spec of an image over that base is the same with one more image sharing its layers" \
	cmp "$W/report40.json" "$W/report41.json"
contains "a users file names every image that has the layer" .imagegen/spec/users/svc001/l0.json \
	'["svc001","svc005","svc009","svc013","svc017","svc021","svc025","svc029","svc033","svc037","svc040"]'

# images declared in one file: a bundle each, holding that image's specs
# alone, so that no helper reads the specs of the file's other images
mkdir -p "$W/one/b" && cd "$W/one" || exit 1
printf 'for i = 1, 3 do image { name = "m" .. i, files = { { "/etc/i", text(tostring(i)) } } } end\n' > build.lua
cd b && "$IMAGEGEN" ../build.lua
same "three images in one file: three bundles" 3 "$(ls .imagegen/spec/bundle | wc -l)"
same "m2's bundle holds m2's specs alone" \
	".imagegen/spec/image/m2.json .imagegen/spec/layer/m2/files.json .imagegen/spec/provenance/m2.json .imagegen/spec/report/m2.json .imagegen/spec/sbom/m2.json" \
	"$(python3 -c 'import json, sys; print(" ".join(sorted(json.load(open(sys.argv[1])))))' "$(bundle .imagegen/spec/image/m2.json)")"
cd "$W/b" || exit 1

# build.ninja goes through a temporary file and a rename, so it is never half-written
if have strace; then
	echo 'image { name = "extra" }' >> ../src/build.lua
	strace -f -e trace=openat,rename,renameat,renameat2 -o "$W/strace.log" "$IMAGEGEN" ../src/build.lua
	check "build.ninja is written to a temporary file and renamed into place" \
		sh -c "grep -q 'rename.*\"build.ninja.tmp[0-9]*\", .*\"build.ninja\"' '$W/strace.log' &&
			! grep -q 'openat(.*\"build.ninja\", O_WRONLY' '$W/strace.log'"
else
	skip "build.ninja written by rename (no strace here)"
fi
