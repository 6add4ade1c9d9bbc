# The layer budget (issue 26, item 1), hermetic: on a synthetic index
# (tests/budgetrepo.py: big is 162 packages, small 42, 41 of them big's)
# what the generator groups (counts, which packages keep their own layer,
# what stays apart when images share packages, the same on every run and
# stable under a small change), maxlayers and --max-layers, the errors of an
# image over its budget, the report's words; then a small repository of
# real .debs built into an image of 6 layers, its dpkg database whole.
. "$TOP/tests/lib.sh"

needdebtools budget || exit 0

workdir budget
export IMAGEGEN_CACHE="$W/cache"
signedrepo
python3 "$TOP/tests/budgetrepo.py" "$W/synth/dists/synthetic" "$ARCH"
gpg --batch --quiet --yes --pinentry-mode loopback --passphrase '' --default-key tests@example.invalid \
	--clearsign -o "$W/synth/dists/synthetic/InRelease" "$W/synth/dists/synthetic/Release"
mkdir -p "$W/src/keys" && cp "$W/test.gpg" "$W/src/keys/test.gpg"

# layers NAME: the image's own layers as generated (the bundles build.ninja
# names, not those of earlier runs), one a line: the layer's id, and for a
# layer of several packages their names
layers() {
	python3 - "$1" <<'PY'
import json, re, sys
specs = {}
for f in sorted(set(re.findall(r"\.imagegen/spec/bundle/[0-9a-f]+\.json", open("build.ninja").read()))):
    specs.update(json.load(open(f)))
for l in specs[".imagegen/spec/image/%s.json" % sys.argv[1]]["layers"]:
    lid = l["created_by"].split(" ", 2)[2]
    spec = specs.get(".imagegen/spec/layer/%s.json" % lid, {"entries": []})
    debs = [e["package"] for e in spec["entries"] if e.get("type") == "deb"]
    print(lid + ("" if len(debs) < 2 else " " + " ".join(debs)))
PY
}

# apart NAME: the packages with a layer of their own in the image, sorted
apart() {
	layers "$1" | sed -n 's|^deb/\([^_]*\)_.*|\1|p' | sort | tr '\n' ' '
}

# expected FILE IMAGE BUDGET OTHER...: the packages the rule keeps apart in
# IMAGE of the lock (the other images' packages count for sharing),
# worked out here from the lock's depends: the most shared, then the most
# depended on, then by name; BUDGET less the links and the dpkg layer, less
# the merged one
expected() {
	python3 - "$@" <<'PY'
import json, sys
lock, img, budget, others = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3]), sys.argv[4:]
pkgs = lock["images"][img]["packages"]
names = {p["name"] for p in pkgs}
shared = {n: 1 + sum(n in {p["name"] for p in lock["images"][o]["packages"]} for o in others) for n in names}
needed = {n: 0 for n in names}
for p in pkgs:
    for d in p.get("depends") or []:
        if d in names and d != p["name"]:
            needed[d] += 1
ranked = sorted(names, key=lambda n: (-shared[n], -needed[n], n))
print(" ".join(sorted(ranked[:budget - 2 - 1])) + " ")
PY
}

# synth LINES...: build.lua over the synthetic repository, with these lines after it
synth() {
	{
		echo "local r = repository { url = \"file:$W/synth\", suite = \"synthetic\", keyring = \"keys/test.gpg\" }"
		for line; do echo "$line"; done
	} > build.lua
}

cd "$W/src" || exit 1
synth 'image { name = "big", repositories = { r }, packages = { "big" } }' \
	'image { name = "small", repositories = { r }, packages = { "small" } }'
"$IMAGEGEN" build.lua > gen.out 2>&1
same "two images: generated" 0 "$?"
same "big: 162 packages in the lock" 162 "$(jget imagegen.lock 'len(j["images"]["big"]["packages"])')"
same "big: 100 layers (the budget)" 100 "$(layers big | wc -l)"
same "big: the links, 97 packages apart, the merged layer, the dpkg layer" \
	"debian/usrmerge-$ARCH 97 big/packages big/dpkg" \
	"$(layers big | sed -n 1p) $(layers big | grep -c '^deb/') $(layers big | sed -n '99p' | cut -d' ' -f1) $(layers big | sed -n '100p')"
same "big: the merged layer holds the other 65 packages" 65 "$(layers big | sed -n 99p | wc -w | awk '{print $1 - 1}')"
same "big: every package once" 162 "$(layers big | sed -n '2,99p' | sed 's|^deb/\([^_]*\)_.*|\1|; s|^big/packages ||' | tr ' ' '\n' | sort -u | wc -l)"
same "big: apart as the rule says (shared with small, then the most depended on, then by name)" \
	"$(expected imagegen.lock big 100 small)" "$(apart big)"
apart big | tr ' ' '\n' > big.apart
same "big: the 41 packages it shares with small keep their own layers" 41 \
	"$(jget imagegen.lock '"\n".join(p["name"] for p in j["images"]["small"]["packages"])' | grep -c -x -F -f big.apart)"
same "big: then the 20 libraries only big has (3 apps depend on each)" "lib00 lib19 20" \
	"$(grep -x 'lib[01][0-9]' big.apart | sed -n '1p;$p' | tr '\n' ' ')$(grep -c -x 'lib[01][0-9]' big.apart)"
same "big: then 36 apps by name: app000 to app035 apart, app036 merged" "app000 app035 36 app036" \
	"$(grep -x 'app0[0-9][0-9]' big.apart | sed -n '1p;$p' | tr '\n' ' ')$(grep -c -x 'app0[0-9][0-9]' big.apart) $(layers big | sed -n 99p | cut -d' ' -f2)"
same "small: within the budget, one layer a package" "44 42" "$(layers small | wc -l) $(apart small | wc -w)"
same "small's layers are big's, but for small itself" "small" "$(apart small | tr ' ' '\n' | grep . | grep -v -x -F -f big.apart)"
cat $(grep -o '[.]imagegen/spec/bundle/[0-9a-f]*[.]json' build.ninja | sort -u) > bundles.json
contains "report: the merged layer says which packages and why" bundles.json \
	"merged by the layer budget: 100 layers, 162 packages, 97 kept apart; each of these is in 1 image of the build, and at most 1 of its packages depends on it"
layers big > run1.layers
# (again, now that the lock exists and is an input of the regeneration)
"$IMAGEGEN" build.lua > gen.out 2>&1
same "two images: generated again, the same layers" "$(cat run1.layers)" "$(layers big)"
cp -r .imagegen/spec spec1 && cp build.ninja run1.ninja

# the same definition in another folder: the same build file and specs
mkdir -p "$W/other" && cp build.lua imagegen.lock "$W/other/" && cp -r keys "$W/other/"
(cd "$W/other" && "$IMAGEGEN" build.lua > gen.out 2>&1)
same "another folder: the same build.ninja" "" "$(diff run1.ninja "$W/other/build.ninja" | head -3)"
same "another folder: the same specs" "" "$(diff -r spec1 "$W/other/.imagegen/spec" | head -3)"

# a third image that has app099: app099 joins the layers apart, app035 (the last by name) leaves
synth 'image { name = "big", repositories = { r }, packages = { "big" } }' \
	'image { name = "small", repositories = { r }, packages = { "small" } }' \
	'image { name = "one", repositories = { r }, packages = { "app099" } }'
"$IMAGEGEN" build.lua > gen.out 2>&1
same "a third image sharing app099: generated" 0 "$?"
same "big: still 100 layers" 100 "$(layers big | wc -l)"
same "big: app099 now apart, app035 merged, nothing else moved" "> app099 < app035" \
	"$(apart big | tr ' ' '\n' | grep . | diff big.apart - | grep '^[<>]' | sort -r | tr '\n' ' ' | sed 's/ $//')"
same "big: apart as the rule says" "$(expected imagegen.lock big 100 small one)" "$(apart big)"
cat $(grep -o '[.]imagegen/spec/bundle/[0-9a-f]*[.]json' build.ninja | sort -u) > bundles.json
contains "report: the merged layer's packages are still each in 1 image" bundles.json \
	"97 kept apart; each of these is in 1 image of the build"

# maxlayers on an image, --max-layers for the build
synth 'image { name = "big", repositories = { r }, packages = { "big" }, maxlayers = 50 }' \
	'image { name = "small", repositories = { r }, packages = { "small" }, maxlayers = 30 }'
"$IMAGEGEN" build.lua > gen.out 2>&1
same "maxlayers = 50 and 30: generated" 0 "$?"
same "maxlayers = 50 and 30: big has 50 layers, small 30" "50 30" "$(layers big | wc -l) $(layers small | wc -l)"
same "maxlayers = 30: small's apart as the rule says (sharing with big)" \
	"$(expected imagegen.lock small 30 big)" "$(apart small)"
synth 'image { name = "big", repositories = { r }, packages = { "big" } }' \
	'image { name = "small", repositories = { r }, packages = { "small" }, maxlayers = 150 }'
"$IMAGEGEN" --max-layers 40 build.lua > gen.out 2>&1
same "--max-layers 40: generated" 0 "$?"
same "--max-layers 40: big has 40 layers, small (maxlayers = 150) 44" "40 44" "$(layers big | wc -l) $(layers small | wc -l)"
contains "--max-layers is kept for regeneration" build.ninja "--max-layers 40"
"$IMAGEGEN" --max-layers 0 build.lua > gen.out 2>&1
same "--max-layers 0: a usage error" "2 imagegen: --max-layers takes a number of layers from 1 to 10000" \
	"$? $(head -n 1 gen.out)"

# errors: one line with the file and line, and the counts
# err DESCRIPTION EXPECTED LINES...: generating fails with exit 1 and one line, EXPECTED
err() {
	desc=$1 want=$2
	shift 2
	synth "$@"
	"$IMAGEGEN" build.lua > err.out 2>&1
	same "$desc" "1 1 $want" "$? $(grep -c . err.out) $(cat err.out)"
}
err "no room for the packages" \
	"imagegen: build.lua:2: image 'big': 0 layers of its bases and 2 of its own leave no room for a layer of its 162 packages within its budget of 2 (maxlayers)" \
	'image { name = "big", repositories = { r }, packages = { "big" }, maxlayers = 2 }'
err "bases over the budget" \
	"imagegen: build.lua:3: image 'app': 101 layers, over its budget of 100 (maxlayers): 100 of its bases and 1 of its own" \
	'image { name = "big", repositories = { r }, packages = { "big" } }' \
	'image { name = "app", base = "big", files = { { "/etc/motd", text "hi" } } }'
err "packagelayers groups are counted" \
	"imagegen: build.lua:2: image 'small': 5 layers, over its budget of 4 (maxlayers): 0 of its bases and 5 of its own (3 package layers)" \
	'image { name = "small", repositories = { r }, packages = { "small" }, maxlayers = 4, packagelayers = { { "core" }, { "app100" } } }'
err "maxlayers: not a number" \
	"imagegen: build.lua:2: maxlayers: expected a number of layers from 1 to 10000" \
	'image { name = "small", repositories = { r }, packages = { "small" }, maxlayers = "many" }'
# the merged layer's id, IMAGE/packages, is no declared layer's: a clash is refused, naming both
err "a layer named packages beside the merged layer" \
	"imagegen: build.lua:2: image 'big': its layers[1] ('packages') and the layer the layer budget merges its packages into both have the id big/packages: name the layer otherwise" \
	'image { name = "big", repositories = { r }, packages = { "big" }, layers = { { name = "packages", files = { { "/p", text "p" } } } } }'
synth 'image { name = "small", repositories = { r }, packages = { "small" }, layers = { { name = "packages", files = { { "/p", text "p" } } } } }'
"$IMAGEGEN" build.lua > gen.out 2>&1
same "a layer named packages where nothing is merged: generated" "0 small/packages" "$? $(layers small | tail -n 1)"
# an image over big: big's layers as grouped count, and its dpkg layer reads big's merged layer
synth 'image { name = "big", repositories = { r }, packages = { "big" }, maxlayers = 90 }' \
	'image { name = "over", base = "big", repositories = { r }, packages = { "small" } }'
"$IMAGEGEN" build.lua > gen.out 2>&1
same "over a base of 90 layers: generated; its own layers: small's and the dpkg layer" \
	"0 deb/small_1.0_$ARCH over/dpkg" "$? $(layers over | tr '\n' ' ' | sed 's/ $//')"
python3 - > dpkg.out <<'PY'
import json, re
specs = {}
for f in set(re.findall(r"\.imagegen/spec/bundle/[0-9a-f]+\.json", open("build.ninja").read())):
    specs.update(json.load(open(f)))
print(json.dumps(specs[".imagegen/spec/layer/over/dpkg.json"]))
PY
contains "over a base: its dpkg layer reads the base's merged layer" dpkg.out ".imagegen/layer/big/packages.dpkg"
err "over a base: the base's layers as grouped are counted" \
	"imagegen: build.lua:3: image 'over': 92 layers, over its budget of 91 (maxlayers): 90 of its bases and 2 of its own (1 package layer)" \
	'image { name = "big", repositories = { r }, packages = { "big" }, maxlayers = 90 }' \
	'image { name = "over", base = "big", repositories = { r }, packages = { "small" }, maxlayers = 91 }'
synth 'image { name = "small", repositories = { r }, packages = { "small" }, maxlayers = 5, packagelayers = { { "core" }, { "app100" } } }'
"$IMAGEGEN" build.lua > gen.out 2>&1
same "packagelayers groups within the budget: honoured as they are" \
	"0 debian/usrmerge-$ARCH small/packages-1 small/packages-2 small/packages small/dpkg" \
	"$? $(layers small | cut -d' ' -f1 | tr '\n' ' ' | sed 's/ $//')"
synth 'image { name = "big", repositories = { r }, packages = { "big" }, maxlayers = 3 }'
"$IMAGEGEN" build.lua > gen.out 2>&1
same "maxlayers = 3: every package in one layer" "0 3 162" "$? $(layers big | wc -l) $(layers big | sed -n 2p | wc -w | awk '{print $1 - 1}')"

# a real build: 8 packages of a repository made here, maxlayers = 6: the
# links, 3 packages apart, the merged layer, the dpkg layer
cd "$W" || exit 1
for i in 1 2 3 4 5 6; do
	mkpkg "leaf$i" 1.0 "$ARCH" "Depends: libshared" "mkdir -p usr/share/leaf && echo leaf$i > usr/share/leaf/$i"
done
mkpkg libshared 1.0 "$ARCH" "" 'mkdir -p usr/lib && echo shared > usr/lib/libshared'
mkpkg top 1.0 "$ARCH" "Depends: leaf1, leaf2, leaf3, leaf4, leaf5, leaf6" 'mkdir -p usr/bin && echo top > usr/bin/top'
mkindex stable
mkdir -p "$W/real/b" && cp "$W/test.gpg" "$W/real/test.gpg"
cat > "$W/real/build.lua" <<EOF
local r = repository { url = "file:$REPO", suite = "stable", keyring = "test.gpg" }
image { name = "real", repositories = { r }, packages = { "top" }, maxlayers = 6 }
EOF
cd "$W/real/b" || exit 1
"$IMAGEGEN" ../build.lua > gen.out 2>&1 && ninja > ninja.log 2>&1
same "real: generated and built" 0 "$?"
manifest=$(jget out/real/index.json 'j["manifests"][0]["digest"]')
same "real: the image has 6 layers" 6 "$(jget "$(blob out/real "$manifest")" 'len(j["layers"])')"
same "real: libshared (needed by 6) apart, then leaf1 and leaf2 by name" "leaf1 leaf2 libshared " \
	"$(layers real | sed -n 's|^deb/\([^_]*\)_.*|\1|p' | sort | tr '\n' ' ')"
same "real: leaf3 to leaf6 and top merged" "real/packages leaf3 leaf4 leaf5 leaf6 top" "$(layers real | sed -n 5p)"
python3 - "$W/real/b/out/real" > files.out <<'PY'
import json, sys, tarfile, gzip, io
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
for l in m["layers"]:
    t = tarfile.open(fileobj=io.BytesIO(gzip.decompress(open(d + "/blobs/sha256/" + l["digest"][7:], "rb").read())))
    for n in t.getnames():
        if n.startswith("usr/share/leaf/") or n in ("usr/bin/top", "usr/lib/libshared") or n == "var/lib/dpkg/status":
            print(n)
        if n == "var/lib/dpkg/status":
            print("status:", " ".join(sorted(l.split(": ")[1] for l in t.extractfile(n).read().decode().splitlines()
                                             if l.startswith("Package: "))))
PY
same "real: every package's files are in the image" "8" "$(grep -c '^usr/' files.out)"
same "real: the dpkg status lists all 8 packages" "status: leaf1 leaf2 leaf3 leaf4 leaf5 leaf6 libshared top" \
	"$(grep '^status:' files.out)"

# over a base from outside the graph (this layout of 6 layers), the budget
# is checked when the image is built: one line, and no layout
cat > "$W/real/outside.lua" <<EOF
image { name = "onreal", base = oci_layout("b/out/real"), files = { { "/x", text "x" } }, maxlayers = 6 }
image { name = "fits", base = oci_layout("b/out/real"), files = { { "/x", text "x" } }, maxlayers = 7 }
EOF
mkdir -p "$W/real/o" && cd "$W/real/o" || exit 1
"$IMAGEGEN" ../outside.lua > gen.out 2>&1
same "an outside base: generated (its layers are not known yet)" 0 "$?"
ninja out/fits/index.json > fits.log 2>&1
same "an outside base within the budget: built, 7 layers" "0 7" \
	"$? $(jget "$(blob out/fits "$(jget out/fits/index.json 'j["manifests"][0]["digest"]')")" 'len(j["layers"])')"
ninja out/onreal/index.json > onreal.log 2>&1
same "an outside base over the budget: the build fails" 1 "$?"
same "... with one line naming the definition and the counts" \
	"imagegen: ../outside.lua:1: image onreal: 7 layers, over its budget of 6 (maxlayers): 6 of its bases and 1 of its own" \
	"$(grep '^imagegen:' onreal.log)"
check "... and no image or layout written" test ! -e .imagegen/image/onreal.json -a ! -e out/onreal/index.json
