# Memory errors and leaks: the generator and every helper under valgrind.
. "$TOP/tests/lib.sh"

if ! have valgrind; then
	fail "valgrind is not installed (apt-get install valgrind)"
	exit 0
fi
workdir memory
cp -R "$TOP/examples/monorepo" "$W/src"
mkdir "$W/b" && cd "$W/b" || exit 1

vg() {
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$@"
}

check "valgrind: the generator" vg "$IMAGEGEN" ../src/build.lua
check "valgrind: the generator, make backend" vg "$IMAGEGEN" -G make ../src/build.lua
ninja gen/services/web/web gen/services/api/api > /dev/null 2>&1
for l in base/etc web/site web/app api/config; do
	check "valgrind: layer $l" vg "$IMAGEGEN" layer ".imagegen/spec/layer/$l.json" ".imagegen/layer/$l.json" \
		".imagegen/layer/$l.json.d" .imagegen/blobs
done
ninja .imagegen/layer/api/app.json .imagegen/image/base.json > /dev/null 2>&1
check "valgrind: image (make mode)" vg "$IMAGEGEN" image -m .imagegen/spec/image/api.json .imagegen/image/api.json .imagegen/blobs
check "valgrind: layout" vg "$IMAGEGEN" layout .imagegen/image/api.json out/api .imagegen/blobs
check "valgrind: archive" vg "$IMAGEGEN" archive .imagegen/image/api.json out/api.tar .imagegen/blobs
check "valgrind: a definition error" sh -c "cd '$W/src' && printf 'image { name = 1 }\n' > bad.lua && \
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite '$IMAGEGEN' bad.lua 2>&1 | grep -q 'name must be'"
check "the images built under valgrind are whole" ninja

# names that take escapes, aliases, byte escapes in the spec and hdrcharset=BINARY
mkdir -p "$W/names/src/t/new
line" "$W/names/b" && cd "$W/names/src" || exit 1
printf x > "t/new
line/$(printf 'caf\351') [\$x]"
printf y > 'a|b'
printf 'image { name = "n", files = { { "/t", tree "t" }, { "/caf\\xe9", "a|b" }, { "/l", symlink "\\xff" } } }\n' > build.lua
cd "$W/names/b" || exit 1
check "valgrind: the generator, awkward names" vg "$IMAGEGEN" ../src/build.lua
check "valgrind: layer, awkward names (a part of a bundle)" vg "$IMAGEGEN" layer \
	$(specargs .imagegen/spec/layer/n/files.json) \
	.imagegen/layer/n/files.json .imagegen/layer/n/files.json.d .imagegen/blobs
check "valgrind: layer (make mode), awkward names" vg "$IMAGEGEN" layer -m \
	$(specargs .imagegen/spec/layer/n/files.json) \
	.imagegen/layer/n/files.json .imagegen/layer/n/files.json.d .imagegen/blobs
cd "$W/b" || exit 1
check "valgrind: sbom" vg "$IMAGEGEN" sbom .imagegen/spec/sbom/api.json .imagegen/image/api.json .imagegen/sbom/api.json \
	out/api.spdx.json .imagegen/blobs
check "valgrind: report" vg "$IMAGEGEN" report .imagegen/spec/report/api.json out/api.html .imagegen/blobs
check "valgrind: inspect" vg "$IMAGEGEN" inspect out/api
check "valgrind: diff of a layout and its docker-archive" vg "$IMAGEGEN" diff out/api out/api.tar
vg "$IMAGEGEN" diff --json out/api out/web > /dev/null
same "valgrind: diff of two images that differ (exit 1, not 99)" 1 $?
