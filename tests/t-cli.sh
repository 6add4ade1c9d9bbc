# The command line: help, version, usage errors, -o.
. "$TOP/tests/lib.sh"
workdir cli
cd "$W" || exit 1

"$IMAGEGEN" --help > help.out 2>&1
same "--help exits 0" 0 $?
contains "--help shows the usage" help.out "usage: imagegen [generate] [-G ninja|make] [-o FILE] [--locked]"
contains "--help shows the usage's second line" help.out "[--compression gzip|zstd|none] [--max-layers N] [--format oci|docker]"
contains "--help documents the build cache" help.out "--cache HOST/REPOSITORY"
contains "--help documents who may write it" help.out "whoever writes the cache decides what a hit holds"
contains "--help documents IMAGEGEN_CACHE_REPO" help.out "IMAGEGEN_CACHE_REPO"
contains "--help documents IMAGEGEN_CACHE_TIMEOUT" help.out "IMAGEGEN_CACHE_TIMEOUT"
contains "--help documents the cached helper" help.out "imagegen cached [-m] SPEC STORE COMMAND..."
contains "--help documents the layer helper" help.out "imagegen layer [-m] [--part BUNDLE SUM] SPEC DESC DEPFILE STORE"
contains "--help documents a spec from a bundle" help.out "--part BUNDLE SUM: the spec is the one of that path in BUNDLE"
contains "--help documents SOURCE_DATE_EPOCH" help.out "SOURCE_DATE_EPOCH"
contains "--help documents imagegen diff" help.out "imagegen diff [--json] [--platform OS/ARCH] IMAGE IMAGE"
contains "--help documents imagegen inspect" help.out "imagegen inspect [--json] [--platform OS/ARCH] [--check waste=LIMIT] IMAGE"
contains "--help documents push --json and --digest-file" help.out "imagegen push [--json] [--digest-file FILE] LAYOUT HOST/REPOSITORY[:TAG]"
contains "--help documents lock --json" help.out "imagegen lock [--json] [-D NAME=VALUE]... DEFINITION.lua"
contains "--help documents the report page" help.out "ninja out/NAME.html"
contains "--help documents the report helper" help.out "imagegen report [-m] [--part BUNDLE SUM] REPORT HTML STORE"
same "--version" "imagegen 0.1.0" "$("$IMAGEGEN" --version)"

"$IMAGEGEN" > none.out 2>&1
same "no definition: exit 2" 2 $?
contains "no definition: says so" none.out "imagegen: no definition file"
"$IMAGEGEN" -x build.lua > bad.out 2>&1
same "unknown option: exit 2" 2 $?
contains "unknown option: names it" bad.out "imagegen: unknown option '-x'"
"$IMAGEGEN" -G bazel build.lua > backend.out 2>&1
same "unknown backend: exit 2" 2 $?
contains "unknown backend: names it" backend.out "unknown backend 'bazel'"
"$IMAGEGEN" layer a b > helper.out 2>&1
same "a helper with missing arguments: exit 2" 2 $?
"$IMAGEGEN" missing.lua > missing.out 2>&1
same "a missing definition: exit 1" 1 $?
contains "a missing definition: one line" missing.out "imagegen: missing.lua: No such file or directory"
check "a missing definition writes no build file" test ! -e build.ninja

# libcurl is loaded when a request is made, and libcrypto for a trust store,
# not when imagegen starts: with broken ones first on the library path, the
# rest works, and a download says in one line which package to install
so=$(strings -a "$IMAGEGEN" | grep -m 1 '^libcurl\.so')
mkdir -p broken small && : > "broken/$so" && echo data > small/f
printf '{"name":"s","epoch":0,"compression":"gzip","level":6,"entries":[{"ctx":"t","path":"f","type":"file","src":"small/f","srcname":"small/f","uid":0,"gid":0}]}\n' > small.json
cso=$(strings -a "$IMAGEGEN" | grep -m 1 '^libcrypto\.so')
: > "broken/$cso"
same "without a usable $so or $cso: --version" "imagegen 0.1.0" "$(LD_LIBRARY_PATH=broken "$IMAGEGEN" --version 2>&1)"
check "without a usable $so or $cso: a layer" env LD_LIBRARY_PATH=broken "$IMAGEGEN" layer small.json small.desc small.d store
LD_LIBRARY_PATH=broken "$IMAGEGEN" fetch http://127.0.0.1:9/x 0000000000000000000000000000000000000000000000000000000000000000 1 fetched > curl.out 2>&1
same "without a usable $so: a download fails, exit 1" 1 $?
check "without a usable $so: in one line naming the package to install" \
	sh -c "test \$(wc -l < curl.out) -eq 1 && grep -q '^imagegen: .*$so.*; downloads and registries need libcurl: apt-get install [a-z0-9.+-]*\$' curl.out"
# and libarchive when an archive is read (a layer of files is written by
# imagegen's own tar writer: that needs none)
aso=$(strings -a "$IMAGEGEN" | grep -m 1 '^libarchive\.so')
: > "broken/$aso"
same "without a usable $aso: --version" "imagegen 0.1.0" "$(LD_LIBRARY_PATH=broken "$IMAGEGEN" --version 2>&1)"
rm -rf store
check "without a usable $aso: a layer of files" env LD_LIBRARY_PATH=broken "$IMAGEGEN" layer small.json small.desc small.d store

mkdir b && cd b || exit 1
"$IMAGEGEN" -o images.ninja "$TOP/examples/hello/build.lua"
check "-o names the build file" test -f images.ninja -a ! -e build.ninja
check "ninja -f images.ninja builds the image" ninja -f images.ninja
check "the image is there" test -f out/hello/index.json
LD_LIBRARY_PATH=../broken "$IMAGEGEN" inspect out/hello > archive.out 2>&1
same "without a usable $aso: inspect, which reads layers, fails, exit 1" 1 $?
check "without a usable $aso: in one line naming the package to install" \
	sh -c "test \$(wc -l < archive.out) -eq 1 && grep -q '^imagegen: .*$aso.*; layers and archives need libarchive: apt-get install [a-z0-9.+-]*\$' archive.out"
touch "$TOP/examples/hello/build.lua"
ninja -f images.ninja > regen.log 2>&1
contains "the regeneration rule rewrites images.ninja" regen.log "IMAGEGEN images.ninja"
check "and not build.ninja" test ! -e build.ninja

# a helper's spec from a definition's bundle (--part, as build.ninja runs
# it): a spec the bundle lacks, or a bundle that is not JSON, is one line
# naming the bundle, and nothing is written
workdir cli-part
cd "$W" || exit 1
printf '{"a.json":{}}\n' > bundle.json
"$IMAGEGEN" image --part bundle.json 0123456789abcdef b.json image.json store > part.out 2>&1
same "--part: a spec the bundle lacks: exit 1, one line" "1 1" "$? $(wc -l < part.out)"
contains "--part: the line names the bundle and the spec" part.out \
	"imagegen: bundle.json: no spec b.json in it; run imagegen again"
check "--part: no image file written" test ! -e image.json
printf '{"a.json":' > broken.json
"$IMAGEGEN" layer --part broken.json 0123456789abcdef a.json desc.json desc.json.d store > broken.out 2>&1
same "--part: a bundle that is not JSON: exit 1, one line" "1 1" "$? $(wc -l < broken.out)"
contains "--part: the line names the bundle" broken.out "imagegen: broken.json:1: "
check "--part: no descriptor written" test ! -e desc.json

# no message has the prefix twice ("imagegen: imagegen: ..."): the error
# paths of the command line, the generator's settings, -D and the helpers
printf 'image { name = "a" }\n' > one.lua
IMAGEGEN_EVAL_SECONDS=abc "$IMAGEGEN" one.lua > prefix.out 2> prefix.err
rc=$?
same "a bad IMAGEGEN_EVAL_SECONDS: exit 1, one line, one prefix" \
	"1 imagegen: IMAGEGEN_EVAL_SECONDS='abc' is not a positive whole number" "$rc $(cat prefix.err)"
{
	IMAGEGEN_EVAL_SECONDS=0 "$IMAGEGEN" one.lua
	IMAGEGEN_EVAL_MEMORY=x "$IMAGEGEN" one.lua
	IMAGEGEN_CACHE_REPO=bad "$IMAGEGEN" one.lua
	IMAGEGEN_CACHE_PUSH=2 "$IMAGEGEN" one.lua
	"$IMAGEGEN" -D 1=2 one.lua
	"$IMAGEGEN" -D FOO=1 one.lua
	"$IMAGEGEN" nosuch.lua
	"$IMAGEGEN" lock nosuch.lua
	"$IMAGEGEN" nocommand
	"$IMAGEGEN" help nocommand
	"$IMAGEGEN" layer a b c d
	"$IMAGEGEN" image a b c
	"$IMAGEGEN" layout a b c
	"$IMAGEGEN" fetch u 00 1 f
	"$IMAGEGEN" inspect /nonexistent
	"$IMAGEGEN" diff /nonexistent /nonexistent
	"$IMAGEGEN" push /nonexistent 127.0.0.1:1/x:y
	printf 'error("imagegen: the definition says so")\n' > says.lua
	"$IMAGEGEN" says.lua
} > prefix.out 2> prefix.err
same "each error path printed its line" 18 "$(grep -c '^imagegen: ' prefix.err)"
check "no line of stderr starts with 'imagegen: imagegen:'" sh -c "! grep '^imagegen: imagegen:' prefix.err"

# a spec file that cannot be written (its folder is a file): the spec
# files are written by a thread of their own; its error is the
# generation's one line, with no build file and no temporary
# file left (as root, a folder's mode would not stop a write)
workdir cli-specwrite
mkdir -p "$W/src" "$W/b/.imagegen/spec" && cd "$W/b" || exit 1
for i in 1 2 3; do printf 'x%s\n' "$i" > "$W/src/f$i.txt"; done
printf 'for i = 1, 3 do image { name = "i" .. i, files = { { "/f", "f" .. i .. ".txt" } } } end\n' > "$W/src/build.lua"
: > .imagegen/spec/bundle
"$IMAGEGEN" ../src/build.lua > specwrite.out 2>&1
same "a spec that cannot be written: exit 1" 1 $?
same "and one line" 1 "$(wc -l < specwrite.out)"
contains "naming the spec file and why" specwrite.out "imagegen: write .imagegen/spec/bundle/"
contains "and why" specwrite.out ": Not a directory"
check "no build.ninja written" test ! -e build.ninja
same "no temporary file left" "" "$(find . -name '*.tmp*')"
rm .imagegen/spec/bundle
check "the folder a folder again: the generation writes every spec" "$IMAGEGEN" ../src/build.lua
same "one bundle an image" 3 "$(ls .imagegen/spec/bundle | wc -l)"
cd "$W" || exit 1

# make install puts the binary and the plugin where users look, and the
# installed plugin runs the installed binary
# (not in make check-asan, which builds no plugin)
[ -f "$TOP/imagegen.so" ] || exit 0
workdir cli-install
(cd "$TOP" && make install DESTDIR="$W/root" PREFIX=/usr > /dev/null 2>&1)
check "make install: bin/imagegen" test -x "$W/root/usr/bin/imagegen"
check "make install: lib/imagegen/imagegen.so" test -f "$W/root/usr/lib/imagegen/imagegen.so"
mkdir -p "$W/b" && cd "$W/b" || exit 1
printf 'load %s\n$(imagegen %s)\n' "$W/root/usr/lib/imagegen/imagegen.so" "$TOP/examples/hello/build.lua" > Makefile
make V=1 hello > make.log 2>&1
contains "the installed plugin's recipes run the installed binary" make.log "$W/root/usr/lib/imagegen/../../bin/imagegen layer"
check "and build the image" test -f out/hello/index.json
(cd "$TOP" && make uninstall DESTDIR="$W/root" PREFIX=/usr > /dev/null 2>&1)
check "make uninstall removes both" test ! -e "$W/root/usr/bin/imagegen" -a ! -e "$W/root/usr/lib/imagegen/imagegen.so"
