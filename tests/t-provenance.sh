# Provenance: each image's SLSA statement names its manifest, the definition
# files it came from (and only those), the lock, its packages and base, the
# commands that made its files with their inputs' digests, and the build
# arguments; it is attached in the layout; an edit of another image's
# definition leaves it as it was; provenance = false leaves it out.
. "$TOP/tests/lib.sh"

workdir provenance
cd "$W" || exit 1

# jq-like reads of a statement: prov FILE EXPR (python, EXPR over d)
prov() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
deps = {x.get("name"): x for x in d["predicate"]["buildDefinition"]["resolvedDependencies"]}
print(eval(sys.argv[2]))' "$@"
}

# a project: build.lua includes two definitions, one image each; app's
# file is made by a command from an input, and app's definition reads a file
mkdir -p src/app src/web b
cat > src/build.lua <<'EOF'
include "app/build.lua"
include "web/build.lua"
EOF
cat > src/app/build.lua <<'EOF'
local motto = read "motto.txt"
local gen = command { outputs = "greeting", inputs = { "in.txt" }, run = "tr a-z A-Z < $in > $out" }
image {
  name = "app", tag = "1.0", base = scratch,
  files = { { "/greeting", gen } },
  labels = { motto = motto, version = arg("VERSION", "dev") },
}
EOF
printf 'hello\n' > src/app/in.txt
printf 'be kind\n' > src/app/motto.txt
cat > src/web/build.lua <<'EOF'
image { name = "web", base = scratch, files = { { "/index.html", "index.html" } } }
EOF
printf '<p>hi</p>\n' > src/web/index.html

cd b || exit 1
check "imagegen -D VERSION=2 generates" "$IMAGEGEN" -D VERSION=2 ../src/build.lua
check "ninja builds" ninja
P=out/app.provenance.json
check "out/app.provenance.json is written" test -s $P
same "the statement is in-toto v1" "https://in-toto.io/Statement/v1" "$(prov $P 'd["_type"]')"
same "its predicate is SLSA provenance v1" "https://slsa.dev/provenance/v1" "$(prov $P 'd["predicateType"]')"
manifest=$(python3 -c 'import json;print(json.load(open("out/app/index.json"))["manifests"][0]["digest"][7:])')
same "its subject is the image's manifest" "app:1.0 $manifest" "$(prov $P 'd["subject"][0]["name"] + " " + d["subject"][0]["digest"]["sha256"]')"
for f in app/build.lua app/motto.txt app/in.txt; do
	same "it names $f with its sha256" "$(sha256sum < ../src/$f | cut -d' ' -f1)" \
		"$(prov $P "deps['$f']['digest']['sha256']")"
done
same "the definition file comes first, then what it read" "app/build.lua app/motto.txt" \
	"$(prov $P '" ".join(x["name"] for x in d["predicate"]["buildDefinition"]["resolvedDependencies"][:2])')"
same "it does not name the other image's definition" "False" "$(prov $P '"web/build.lua" in deps')"
same "it names the command, where it is declared and its input" "app/build.lua:2 tr a-z A-Z < \$in > \$out app/in.txt" \
	"$(prov $P 'd["predicate"]["buildDefinition"]["internalParameters"]["commands"][0]["where"] + " " + d["predicate"]["buildDefinition"]["internalParameters"]["commands"][0]["run"] + " " + d["predicate"]["buildDefinition"]["internalParameters"]["commands"][0]["inputs"][0]["path"]')"
same "it names the build argument and its value" "{'VERSION': '2'}" \
	"$(prov $P 'd["predicate"]["buildDefinition"]["externalParameters"]["arguments"]')"
same "it names the builder and imagegen's version" "urn:imagegen:builder $("$IMAGEGEN" --version | sed 's/^imagegen //')" \
	"$(prov $P 'd["predicate"]["runDetails"]["builder"]["id"] + " " + d["predicate"]["runDetails"]["builder"]["version"]["imagegen"]')"
same "nothing of the build folder is in it" "" "$(grep -o "$W" $P)"

# attached in the layout: an artifact whose subject is the manifest and whose layer is the statement
python3 - "$manifest" "$(sha256sum < $P | cut -d' ' -f1)" > attached.out <<'EOF'
import json, sys
manifest, statement = sys.argv[1:]
idx = json.load(open("out/app/index.json"))
arts = [m for m in idx["manifests"] if m.get("artifactType") == "application/vnd.in-toto+json"]
a = json.load(open("out/app/blobs/sha256/" + arts[0]["digest"][7:]))
print(len(arts), a["subject"]["digest"] == "sha256:" + manifest, a["layers"][0]["digest"] == "sha256:" + statement,
      a["layers"][0]["annotations"]["in-toto.io/predicate-type"])
EOF
same "the layout attaches it to the manifest" "1 True True https://slsa.dev/provenance/v1" "$(cat attached.out)"
checkvalid "oci-validate of the layout" out/app

# another image's definition edited: this statement and layout stay as they were
cp $P app.before
cp out/app/index.json index.before
echo '-- edited' >> ../src/web/build.lua
ninja > edit.log 2>&1
same "web's edit leaves app's statement as it was" "" "$(cmp $P app.before)"
same "and app's layout" "" "$(cmp out/app/index.json index.before)"
same "web's statement has its definition's new digest" "$(sha256sum < ../src/web/build.lua | cut -d' ' -f1)" \
	"$(prov out/web.provenance.json "deps['web/build.lua']['digest']['sha256']")"
# the command's input edited: the statement follows, the definition did not change
printf 'bye\n' > ../src/app/in.txt
ninja > input.log 2>&1
same "an edited command input changes its digest in the statement" "$(sha256sum < ../src/app/in.txt | cut -d' ' -f1)" \
	"$(prov $P "deps['app/in.txt']['digest']['sha256']")"

# provenance = false
mkdir -p "$W/off/src" "$W/off/b" && cd "$W/off/b" || exit 1
cat > ../src/build.lua <<'EOF'
image { name = "off", base = scratch, files = { { "/x", "x" } }, provenance = false }
EOF
echo x > ../src/x
"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1
check "provenance = false: the image is built" test -f out/off/index.json
check "provenance = false: no statement" test ! -e out/off.provenance.json
same "provenance = false: nothing attached" "0" "$(grep -c in-toto out/off/index.json)"
cat > ../src/build.lua <<'EOF'
image { name = "off", base = scratch, files = { { "/x", "x" } }, provenance = "no" }
EOF
"$IMAGEGEN" ../src/build.lua > bad.out 2>&1
contains "provenance = \"no\": one line at the field" bad.out "build.lua:1: provenance: expected true or false"

# verify --rebuild: the image built again from its definition and lock, as the provenance says
cd "$W/b" || exit 1
SOURCE_DATE_EPOCH=1700000000 "$IMAGEGEN" -D VERSION=3 ../src/build.lua && SOURCE_DATE_EPOCH=1700000000 ninja > epoch.log 2>&1
same "the provenance names the epoch" 1700000000 "$(prov $P 'd["predicate"]["buildDefinition"]["externalParameters"]["epoch"]')"
"$IMAGEGEN" verify --rebuild ../src/build.lua out/app > rebuild.out 2>&1
same "verify --rebuild: the same image from the definition, its epoch and its argument: exit 0" 0 $?
contains "and it says so" rebuild.out "rebuilt app: the same image, $(cat out/app.digest)"
printf 'changed\n' > ../src/app/in.txt
"$IMAGEGEN" verify --rebuild ../src/build.lua out/app > rebuild2.out 2>&1
same "verify --rebuild after a command input changed: exit 1" 1 $?
contains "it names the other digest" rebuild2.out "rebuilt app: another image"
contains "and imagegen diff shows the file that differs" rebuild2.out "/greeting"
"$IMAGEGEN" verify --rebuild ../src/nothere.lua out/app > rebuild3.out 2>&1
same "verify --rebuild of a definition that is not there: exit 2" 2 $?
