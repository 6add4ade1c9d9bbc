# Regeneration that skips what has not changed (lua/imagegen/regen.lua):
# after each of a series of random edits, the generation in a build folder
# that generated before writes the same build file, specs and lock as one
# in a new folder, with ninja, with -G make and with the make plugin; when
# nothing changed, the definitions are not evaluated at all (the top
# definition prints a line when it runs), and when anything they read
# changed, they are.
. "$TOP/tests/lib.sh"

workdir regen
mkdir -p "$W/src/app/assets" "$W/src/lib"
cd "$W/src" || exit 1
echo "one" > data.txt
echo "a" > app/assets/a.txt
echo "x" > app/x.bin
printf 'return { tag = "v1" }\n' > lib/common.lua
cat > build.lua <<'EOF'
print("evaluated")
local common = include "lib/common.lua"
include "app"
image {
  name = "top",
  base = pull "127.0.0.1:5999/team/base:1",
  env = { DATA = read("data.txt"):gsub("\n", ""), TAG = common.tag, FLAVOUR = arg("FLAVOUR", "plain") },
  layers = { { name = "d", files = { { "/data.txt", "data.txt" } } } },
}
EOF
# appdef VALUE: app's definition, a glob's files and an env
appdef() {
	cat > "$W/src/app/build.lua" <<EOF
local files = {}
for _, f in ipairs(glob "assets/*.txt") do files[#files + 1] = { "/assets/" .. f, f } end
image { name = "app", env = { N = "$1" },
  layers = { { name = "assets", files = files }, { name = "x", files = { { "/x.bin", "x.bin" } } } } }
EOF
}
appdef 0
lockwith() {
	printf '{"imagegen-lock":1,"bases":{"127.0.0.1:5999/team/base:1":"sha256:%s"},"images":{},"repositories":{}}\n' \
		"$(printf '%s' "$1" | sha256sum | cut -c1-64)" > "$W/src/imagegen.lock"
}
lockwith first
mkdir -p "$W/b-ninja" "$W/b-make" "$W/b-plugin"
printf 'load %s\n$(imagegen ../src/build.lua)\n' "$TOP/imagegen.so" > "$W/b-plugin/Makefile"

# gen FLAVOUR DIR: generate in DIR; its stderr in DIR/gen.err
gen() {
	case $1 in
	ninja) (cd "$2" && "$IMAGEGEN" ../src/build.lua) ;;
	make) (cd "$2" && "$IMAGEGEN" -G make ../src/build.lua) ;;
	plugin) (cd "$2" && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory -n images > make-n.log) ;;
	esac > "$2/gen.out" 2> "$2/gen.err"
}

# what a generation wrote: its build file (for the plugin, what make would
# run), the specs a generation in a new folder wrote (a spec no longer
# named is left behind, as before), and the lock
wrote() {
	(cd "$1" && for f in build.ninja images.mk make-n.log; do [ -f "$f" ] && { echo "== $f"; cat "$f"; }; done
	(cd "$W/fresh" && find .imagegen/spec -type f 2>/dev/null) | LC_ALL=C sort | while IFS= read -r f; do
		echo "== $f"; cat "$f" 2>&1; done
	echo "== lock"; cat "$W/src/imagegen.lock")
}

n=0
FLAVOURS="ninja make plugin"
# step WHAT EVALUATED: after an edit, each flavour again beside a new folder
step() {
	n=$((n + 1))
	for flavour in $FLAVOURS; do
		cp "$W/src/imagegen.lock" "$W/lock.before"
		gen $flavour "$W/b-$flavour"
		incstatus=$?
		cp "$W/src/imagegen.lock" "$W/lock.inc"
		cp "$W/lock.before" "$W/src/imagegen.lock"
		rm -rf "$W/fresh" && mkdir "$W/fresh"
		[ $flavour = plugin ] && cp "$W/b-plugin/Makefile" "$W/fresh/"
		gen $flavour "$W/fresh"
		freshstatus=$?
		wrote "$W/fresh" > "$W/fresh.txt"
		cp "$W/lock.inc" "$W/src/imagegen.lock"
		wrote "$W/b-$flavour" > "$W/inc.txt"
		# an error writes nothing: the folder keeps what it had
		if [ $incstatus != $freshstatus ]; then
			fail "regen $n ($1), $flavour: exit $incstatus again, $freshstatus in a new folder"
		elif [ $incstatus != 0 ]; then
			same "regen $n ($1), $flavour: the same error again as in a new folder" \
				"$(grep -v '^evaluated$' "$W/fresh/gen.err")" "$(grep -v '^evaluated$' "$W/b-$flavour/gen.err")"
		elif ! cmp -s "$W/inc.txt" "$W/fresh.txt"; then
			fail "regen $n ($1), $flavour: not what a new folder gets:"
			diff "$W/inc.txt" "$W/fresh.txt" | head -n 10 | sed 's/^/    /'
		elif [ "$2" = evaluated ] && ! grep -q '^evaluated$' "$W/b-$flavour/gen.err"; then
			fail "regen $n ($1), $flavour: the definitions were not evaluated again"
		elif [ "$2" = skipped ] && grep -q '^evaluated$' "$W/b-$flavour/gen.err"; then
			fail "regen $n ($1), $flavour: nothing changed, yet the definitions were evaluated"
		else
			ok "regen $n ($1), $flavour: the same as a new folder, $2"
		fi
	done
}

# the edits, each once, in an order picked at random (the seed is in the output)
seed=${REGEN_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# t-regen: REGEN_SEED=$seed"
step "first" evaluated
step "nothing changed" skipped
edit() {
	case $1 in
	0) echo "changed $2" >> data.txt; echo "a read file changed" ;;
	1) appdef "$2"; echo "a definition changed" ;;
	2) echo "$2" > "app/assets/n$2.txt"; echo "a glob's folder gained a file" ;;
	3) printf 'return 1\n' > lib/extra.lua; echo 'include "lib/extra.lua" -- extra' >> build.lua; echo "an include added" ;;
	4) lockwith "$2"; echo "the lock changed" ;;
	5) printf 'return { tag = "w%s" }\n' "$2" > lib/common.lua; echo "an included file changed" ;;
	6) echo "an environment variable a definition reads changed" ;;
	7) echo 'image { name = }' > app/build.lua; echo "a definition has an error" ;;
	8) sed -i '/extra/d' build.lua; echo "an include removed" ;;
	esac
}
order=$(python3 -c 'import random, sys; r = random.Random(int(sys.argv[1])); k = list(range(8)); r.shuffle(k); print(" ".join(map(str, k + [8])))' "$seed")
i=0
for k in $order; do
	i=$((i + 1))
	what=$(edit $k $i)
	[ $k = 6 ] && export IMAGEGEN_ARG_FLAVOUR="f$i"
	step "$what" evaluated
	if [ $k = 7 ]; then
		appdef "fixed"
		step "the error fixed" evaluated
	fi
done
step "nothing changed at the end" skipped
unset IMAGEGEN_ARG_FLAVOUR
step "the environment variable unset" evaluated

# modules from IMAGEGEN_LUA's folder (development): never skipped, their edits would not show
(cd "$W/b-ninja" && IMAGEGEN_LUA=$TOP "$IMAGEGEN" ../src/build.lua > /dev/null 2>&1 &&
	IMAGEGEN_LUA=$TOP "$IMAGEGEN" ../src/build.lua > lua.out 2> lua.err)
contains "IMAGEGEN_LUA: the definitions are evaluated each time" "$W/b-ninja/lua.err" "evaluated"

# Part two: one definition among many (lua/imagegen/partial.lua). A
# monorepo: the top includes a file of bases and a file a service, and
# each file prints its name when it runs. When one service's file changed
# and it stands on its own (an env or a layer added, a file it reads
# changed), ninja's generation evaluates that file and its bases' alone;
# any other edit evaluates everything. Either way the output is what a new
# folder gets. (The make plugin runs -G make's generation: part one has it.)
FLAVOURS="ninja make"
rm -rf "$W/src" "$W/b-ninja" "$W/b-make" "$W/b-plugin"
mkdir -p "$W/src/base" "$W/b-ninja" "$W/b-make"
cd "$W/src" || exit 1
cat > base/build.lua <<'EOF2'
print("evaluated base")
image { name = "base0", env = { B = "0" }, layers = { { name = "b", files = { { "/b0", "b.txt" } } } } }
image { name = "base1", layers = { { name = "b", files = { { "/b1", "b.txt" } } } } }
EOF2
echo b > base/b.txt
# svcdef NAME BODY: a service's file, an image NAME based on base0 (BODY: more fields)
svcdef() {
	mkdir -p "$W/src/$1"
	echo "$1" > "$W/src/$1/f.txt"
	cat > "$W/src/$1/build.lua" <<EOF2
print("evaluated $1")
image { name = "$1", base = "base0", $2
  layers = { { name = "l", files = { { "/f", "f.txt" } } } } }
EOF2
}
for s in a b c d; do svcdef $s ""; done
printf 'print("evaluated top")\ninclude "base"\ninclude "a"\ninclude "b"\ninclude "c"\ninclude "d"\n' > build.lua
lockwith mono
# evaluated FOLDER: the files its last generation evaluated, sorted, on one line
evaluated() {
	sed -n 's/^evaluated //p' "$1/gen.err" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}
# step2 WHAT EVALUATED: after an edit, each flavour again beside a new
# folder; EVALUATED is what ninja's generation evaluates ("all": every
# file; make's always does, but when nothing changed, or
# when the third argument is "ninja": the lock ninja's generation wrote
# again is the one they read last)
step2() {
	step "$1" any
	# what a new folder evaluated: every file (up to an error)
	all=$(evaluated "$W/fresh")
	want=$2
	[ "$want" = all ] && want=$all
	same "regen $n ($1), ninja: evaluated $want" "$want" "$(evaluated "$W/b-ninja")"
	for flavour in make; do
		[ "$2" = "" ] || [ "$3" = ninja ] || same "regen $n ($1), $flavour: evaluated all" "$all" "$(evaluated "$W/b-$flavour")"
	done
}
step2 "a monorepo" all
step2 "nothing changed" ""
svcdef a 'env = { ADDED = "1" },'
step2 "an env added to one image" "a base"
sed -i 's/layers = { /layers = { { name = "m", files = { { "\/g", "f.txt" } } }, /' b/build.lua
step2 "a layer added" "b base"
svcdef d 'env = { MOVED = "by b" },'
step2 "an env added to an image whose edges the layer moved" "base d"
sed -i 's/name = "b", base = "base0",/name = "b", base = "base0", env = { AGAIN = "1" },/' b/build.lua
step2 "an env added to the image that gained a layer" "b base"
printf 'print("evaluated c")\nimage { name = "c", base = "base0", env = { R = read("r.txt") },\n  layers = { { name = "l", files = { { "/f", "f.txt" } } } } }\n' > c/build.lua
echo one > c/r.txt
step2 "a file read added (the regeneration's inputs change)" all
echo two > c/r.txt
step2 "a file read changed" "base c"
svcdef a 'env = { ADDED = "2" },'
sed -i 's/base = "base0"/base = "base1"/' a/build.lua
step2 "a base changed to another image" all
sed -i 's/name = "d"/name = "e"/' d/build.lua
step2 "an image renamed" all
sed -i 's/B = "0"/B = "1"/' base/build.lua
step2 "a base defined in another file changed" all
lockwith mono2
step2 "the lock changed" all ninja
sed -n '2,3p' b/build.lua >> a/build.lua
printf 'print("evaluated b")\n' > b/build.lua
step2 "an image moved to another file" all
sed -i '4,5d' a/build.lua
svcdef b 'env = { BACK = "1" },'
step2 "the image moved back" all
printf 'print("evaluated d")\n' > d/build.lua
step2 "an image removed" all
svcdef c 'env = { BROKEN = }'
step2 "a definition has an error" all
svcdef c ""
step2 "the error fixed" all
step2 "nothing changed at the end" ""
