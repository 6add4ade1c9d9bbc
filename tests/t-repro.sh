# Reproducibility: two builds of the monorepo in different folders, with a
# different umask, TZ, locale, source mtimes and file creation order, write
# byte-identical out/ trees and docker-archives.
. "$TOP/tests/lib.sh"

workdir repro
mkdir -p "$W/one" "$W/two/deeper"
cp -R "$TOP/examples/monorepo" "$W/one/src"

# the second copy: files created in reverse order, with odd mtimes and modes
(cd "$TOP/examples/monorepo" && find . -type d | sort) | while read -r d; do
	mkdir -p "$W/two/deeper/src/$d"
done
(cd "$TOP/examples/monorepo" && find . -type f | sort -r) | while read -r f; do
	cp "$TOP/examples/monorepo/$f" "$W/two/deeper/src/$f"
done
find "$W/two/deeper/src" -exec touch -d '2011-11-11 11:11:11' {} +
chmod -R go-rwx "$W/two/deeper/src"
mkdir "$W/two/deeper/b"

build() {
	(
		cd "$1" || exit 1
		"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1 && ninja out/api.tar out/tool.tar >> ninja.log 2>&1
	)
}

mkdir "$W/one/b"
(umask 022; TZ=UTC LANG=C LC_ALL=C build "$W/one/b")
(umask 077; TZ=Pacific/Kiritimati LANG=de_DE.UTF-8 LC_ALL=C.UTF-8 build "$W/two/deeper/b")
check "repro: both builds succeed" test -f "$W/one/b/out/api/index.json" -a -f "$W/two/deeper/b/out/api/index.json"
check "repro: the out/ trees are byte-identical" diff -r "$W/one/b/out" "$W/two/deeper/b/out"
same "repro: the same files in both out/ trees" \
	"$(cd "$W/one/b/out" && find . | sort | md5sum)" "$(cd "$W/two/deeper/b/out" && find . | sort | md5sum)"
check "repro: blobs are world-readable under umask 077" \
	sh -c "! find '$W/two/deeper/b/out' -type f ! -perm -0444 | grep -q ."

# a second build in the same folder from scratch gives the same digests
cd "$W/one/b" || exit 1
first=$(cat out/*/index.json | md5sum)
rm -rf out .imagegen gen
ninja > /dev/null 2>&1
same "repro: a clean rebuild gives the same index.json files" "$first" "$(cat out/*/index.json | md5sum)"

# SOURCE_DATE_EPOCH moves every timestamp, and only when set
mkdir "$W/epoch" && cd "$W/epoch" || exit 1
SOURCE_DATE_EPOCH=1700000000 "$IMAGEGEN" ../one/src/build.lua && ninja > ninja.log 2>&1
created=$(jget "out/tool/blobs/sha256/$(jget "out/tool/blobs/sha256/$(jget out/tool/index.json "j['manifests'][0]['digest'][7:]")" "j['config']['digest'][7:]")" "j['created']")
same "repro: SOURCE_DATE_EPOCH sets the config's created" "2023-11-14T22:13:20Z" "$created"
checkvalid "repro: every mtime is SOURCE_DATE_EPOCH (oci-validate --epoch)" --epoch 1700000000 out/api
