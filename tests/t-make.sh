# GNU make as a backend: the generated makefile (imagegen -G make) and the
# loaded plugin (imagegen.so) build the same bytes as ninja, incrementally,
# quietly, and stop on errors with the same line as the command line.
. "$TOP/tests/lib.sh"

if [ ! -f "$TOP/imagegen.so" ]; then
	fail "make: imagegen.so is not built"
	exit 0
fi

# reports LOG: the helper lines make printed ("  LAYER   x" ...), one word each
reports() {
	grep -c -E '^  (CC|LAYER|IMAGE|LAYOUT|IMAGEGEN|ARCHIVE|CMD) ' "$1"
}

for example in hello monorepo; do
	workdir "make-$example"
	tarname=$([ $example = hello ] && echo hello || echo api)
	for flavour in ninja mk plugin; do
		mkdir -p "$W/$flavour/b"
		cp -R "$TOP/examples/$example" "$W/$flavour/src"
	done
	(cd "$W/ninja/b" && "$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1)
	cd "$W/mk/b" || exit 1
	check "$example: imagegen -G make writes images.mk" "$IMAGEGEN" -G make ../src/build.lua
	printf 'include images.mk\n' > Makefile
	check "$example: make -j2 images (generated makefile)" make -j2 images
	cd "$W/plugin/b" || exit 1
	printf 'load %s\n$(imagegen ../src/build.lua)\n' "$TOP/imagegen.so" > Makefile
	check "$example: make -j2 images (plugin)" make -j2 images
	check "$example: ninja and the generated makefile build identical out/ trees" diff -r "$W/ninja/b/out" "$W/mk/b/out"
	check "$example: ninja and the plugin build identical out/ trees" diff -r "$W/ninja/b/out" "$W/plugin/b/out"
	(cd "$W/ninja/b" && ninja "out/$tarname.tar" > /dev/null 2>&1)
	(cd "$W/mk/b" && make "out/$tarname.tar" > /dev/null 2>&1)
	(cd "$W/plugin/b" && make "out/$tarname.tar" > /dev/null 2>&1)
	check "$example: out/$tarname.tar from make equals ninja's" cmp "$W/ninja/b/out/$tarname.tar" "$W/mk/b/out/$tarname.tar"
	check "$example: out/$tarname.tar from the plugin equals ninja's" cmp "$W/ninja/b/out/$tarname.tar" "$W/plugin/b/out/$tarname.tar"
done

# incremental, with each flavour of make
for flavour in mk plugin; do
	W=$TOP/tests/work/make-monorepo
	cd "$W/$flavour/b" || exit 1
	T="make ($flavour)"
	check "$T: make -q after a full build" make -q images
	make images > 0.log 2>&1
	contains "$T: a second make has nothing to do" 0.log "Nothing to be done for 'images'"

	sed 's/hello from the api service/hello from api ('"$flavour"')/' ../src/services/api/api.c > api.c.new && mv api.c.new ../src/services/api/api.c
	make images > 1.log 2>&1
	same "$T: editing api.c reports CC, LAYER, IMAGE, LAYOUT of api only" \
		"4 1 1 1 1" "$(reports 1.log) $(count 1.log '  CC api') $(count 1.log 'LAYER   api/app') $(count 1.log 'IMAGE   api') $(count 1.log 'LAYOUT  out/api')"
	check "$T: make -q after editing api.c" make -q images

	touch ../src/services/api/api.c
	make images > 2.log 2>&1
	same "$T: touching api.c rebuilds its binary and layer, and no image" \
		"2 0" "$(reports 2.log) $(count 2.log IMAGE)"
	check "$T: make -q after touching api.c" make -q images

	echo new > "../src/services/web/static/$flavour.txt"
	make images > 3.log 2>&1
	same "$T: a new file in web's tree rebuilds web only" \
		"3 1 1" "$(reports 3.log) $(count 3.log 'IMAGE   web') $(count 3.log 'LAYOUT  out/web')"
	check "$T: make -q after adding a file to a tree" make -q images

	touch ../src/services/web/static/index.html
	make V=1 images > 5.log 2>&1
	contains "$T: V=1 shows the commands" 5.log "imagegen layer -m"
	check "$T: quiet by default: no command lines" sh -c "! grep -q 'imagegen layer' 1.log"
done

cd "$TOP/tests/work/make-monorepo/mk/b" || exit 1
touch ../src/services/web/build.lua
make images > regen.log 2>&1
same "make (mk): touching a definition remakes images.mk and nothing else" "1 1" \
	"$(reports regen.log) $(count regen.log 'IMAGEGEN images.mk')"
check "make (mk): make -q after touching a definition" make -q images

# images.mk leaves the including Makefile's default goal alone
workdir make-goal
mkdir "$W/b" && cd "$W/b" || exit 1
"$IMAGEGEN" -G make -o images.mk "$TOP/examples/hello/build.lua"
printf 'include images.mk\nmine:\n\t@echo the default goal ran\n' > Makefile
make > goal.log 2>&1
contains "the Makefile's first target stays the default goal" goal.log "the default goal ran"

# errors: the plugin stops make with the command line's own line
workdir make-errors
cd "$W" || exit 1
printf 'image {\n  name = "a",\n  entrypiont = { "/a" },\n}\n' > build.lua
"$IMAGEGEN" build.lua > cli.err 2>&1
printf 'load %s\n$(imagegen build.lua)\nall: images\n' "$TOP/imagegen.so" > Makefile
make > make.err 2>&1
same "plugin: a definition error stops make with exit 2" 2 $?
same "plugin: the same one-line message as the command line" "$(cat cli.err)" "$(cat make.err)"

# a failed recipe leaves nothing make would take as done
printf 'local c = command { outputs = "x", run = "echo partial > $out; false" }\nimage { name = "x", files = { { "/x", c } } }\n' > build.lua
rm -f Makefile
"$IMAGEGEN" -G make build.lua
printf 'include images.mk\n' > Makefile
check "a failing build step fails make" sh -c "! make images > fail.log 2>&1"
check "and its half-written output is deleted" test ! -e gen/x
check "make -q still has work" sh -c "! make -q images"
