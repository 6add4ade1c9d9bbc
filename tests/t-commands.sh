# The commands as a table: each command's usage from one text (help CMD,
# CMD --help, a wrong call, the generator's own errors), unknown commands,
# the version; and natives whose trouble is a Lua error, never an exit
# (which inside the make plugin would end make itself).
. "$TOP/tests/lib.sh"

workdir commands
cd "$W" || exit 1
"$IMAGEGEN" --help > help.out 2> help.err
same "--help: exit 0" 0 $?
same "--help: nothing on stderr" "" "$(cat help.err)"

for cmd in generate lock push copy diff inspect help layer image index layout archive pkginfo sbom report base cached fetch; do
	"$IMAGEGEN" help "$cmd" > "help-$cmd.out" 2>&1
	same "help $cmd: exit 0" 0 $?
	"$IMAGEGEN" "$cmd" --help > "$cmd-help.out" 2>&1
	same "$cmd --help: exit 0" 0 $?
	check "help $cmd and $cmd --help print the same" cmp "help-$cmd.out" "$cmd-help.out"
	first=$(head -n 1 "help-$cmd.out")
	case $first in
	"usage: imagegen $cmd "* | "usage: imagegen [$cmd] "*) ok "help $cmd: starts with its usage" ;;
	*) fail "help $cmd: starts with its usage (got: $first)" ;;
	esac
	# --help lists the same usage line
	contains "--help lists $cmd's usage" help.out "${first#usage: }"
done

# a wrong call prints that command's usage, the same text, and exits 2
"$IMAGEGEN" diff onlyone > diff.out 2> diff.err
same "diff with one image: exit 2" 2 $?
same "diff with one image: its usage from the table" "$(head -n 1 help-diff.out)" "$(cat diff.err)"
"$IMAGEGEN" layer a b > layer.out 2> layer.err
same "layer with two arguments: exit 2" 2 $?
same "layer with two arguments: its usage from the table" "$(head -n 1 help-layer.out)" "$(cat layer.err)"
# the generator (Lua) prints the same usage as --help
"$IMAGEGEN" -G > gen.out 2> gen.err
same "-G without a value: exit 2" 2 $?
same "the generator's usage error: one line, then the usage" "imagegen: option -G needs a value" "$(head -n 1 gen.err)"
same "the generator's usage is --help's" "$(head -n 4 help.out)" "$(sed -n 2,5p gen.err)"
"$IMAGEGEN" generate -G > gen2.out 2> gen2.err
same "generate -G without a value: the same error" "$(cat gen.err)" "$(cat gen2.err)"

"$IMAGEGEN" frobnicate > unknown.out 2> unknown.err
same "an unknown command: exit 2" 2 $?
same "an unknown command: one line" "imagegen: unknown command 'frobnicate' (see imagegen --help)" "$(cat unknown.err)"
same "an unknown command: nothing on stdout" "" "$(cat unknown.out)"
"$IMAGEGEN" help frobnicate > unknown.out 2> unknown.err
same "help of an unknown command: exit 2" 2 $?
same "help of an unknown command: one line" "imagegen: unknown command 'frobnicate' (see imagegen --help)" \
	"$(cat unknown.err)"

version=$(sed -n 's/^VERSION = //p' "$TOP/Makefile.in")
same "-V prints the version" "imagegen $version" "$("$IMAGEGEN" -V)"
same "--version prints the version" "imagegen $version" "$("$IMAGEGEN" --version)"

# a definition named without .lua is still a definition, when it exists;
# one that does not exist is named once, with one prefix
printf 'image { name = "t", files = { { "/t", text "t\\n" } } }\n' > images
check "a definition file without .lua generates" "$IMAGEGEN" images
mkdir g && (cd g && "$IMAGEGEN" generate ../images)
same "generate DEFINITION writes the build file too" 0 $?
mkdir n && (cd n && "$IMAGEGEN" ../images)
check "generate: the same build file" cmp n/build.ninja g/build.ninja
"$IMAGEGEN" nosuch.lua > missing.out 2> missing.err
same "a missing definition: exit 1" 1 $?
same "a missing definition: one line, one prefix" "imagegen: nosuch.lua: No such file or directory" \
	"$(cat missing.err)"

# natives: a bad IMAGEGEN_HTTP_TIMEOUT reached while resolving a pull was
# an exit from inside the native; it is the request's error, named where
# the definition asked for it, so make's plugin stops make with its own
# status (2) and the one line
printf 'image { name = "p", base = pull "127.0.0.1:1/p:latest" }\n' > pull.lua
pullerr="imagegen: pull.lua:1: pull: resolve 127.0.0.1:1/p:latest: get manifest latest: IMAGEGEN_HTTP_TIMEOUT='abc' is not a number of seconds (http://127.0.0.1:1)"
IMAGEGEN_HTTP_TIMEOUT=abc "$IMAGEGEN" pull.lua > pull.out 2> pull.err
same "a bad IMAGEGEN_HTTP_TIMEOUT in a native: exit 1" 1 $?
same "a bad IMAGEGEN_HTTP_TIMEOUT in a native: one line, where it was asked for" "$pullerr" "$(cat pull.err)"
if [ ! -f "$TOP/imagegen.so" ]; then
	skip "make plugin: imagegen.so is not built (check-asan builds the binary alone)"
elif have make; then
	printf 'load %s\n$(imagegen pull.lua)\nall: images\n' "$TOP/imagegen.so" > Makefile
	IMAGEGEN_HTTP_TIMEOUT=abc IMAGEGEN="$IMAGEGEN" make > make.out 2> make.err
	same "make plugin, a native's error: make stops with its status 2" 2 $?
	same "make plugin, a native's error: one line" "$pullerr" "$(grep -v '^make' make.err)"
	IMAGEGEN_EVAL_MEMORY=lots IMAGEGEN="$IMAGEGEN" make > make.out 2> make.err
	same "make plugin, a bad IMAGEGEN_EVAL_MEMORY: make stops with its status 2" 2 $?
	same "make plugin, a bad IMAGEGEN_EVAL_MEMORY: one line" \
		"imagegen: IMAGEGEN_EVAL_MEMORY='lots' is not a number of MiB" "$(grep -v '^make' make.err)"
	IMAGEGEN_EVAL_SECONDS=lots IMAGEGEN="$IMAGEGEN" make > make.out 2> make.err
	same "make plugin, a bad IMAGEGEN_EVAL_SECONDS: one line, one prefix" \
		"imagegen: IMAGEGEN_EVAL_SECONDS='lots' is not a positive whole number" "$(grep -v '^make' make.err)"
	# every error path of the plugin tried here: no line has the prefix twice
	{
		IMAGEGEN_EVAL_SECONDS=lots make
		make IMAGEGEN_ARG_1x=2
		printf 'load %s\n$(imagegen nosuch.lua)\n' "$TOP/imagegen.so" | make -f -
		printf 'load %s\n$(imagegen pull.lua)\n' "$TOP/imagegen.so" | IMAGEGEN_HTTP_TIMEOUT=abc make -f -
		printf 'error("imagegen: the definition says so")\n' > says.lua
		printf 'load %s\n$(imagegen says.lua)\n' "$TOP/imagegen.so" | make -f -
	} > prefix.out 2> prefix.err
	same "make plugin: each error path printed its line" 5 "$(grep -c '^imagegen: ' prefix.err)"
	check "make plugin: no line of stderr starts with 'imagegen: imagegen:'" sh -c "! grep '^imagegen: imagegen:' prefix.err"
else
	fail "make plugin: make is missing"
fi

# imagegen itself in a folder whose path has a space (a clone under "My
# Projects"): build.ninja and the makefile name it as an input, which the
# shell-quoted $imagegen / $(IMAGEGEN) cannot be
mkdir -p "$W/Sp Ace/nb" "$W/Sp Ace/mb"
cp "$IMAGEGEN" "$W/Sp Ace/imagegen"
cd "$W/Sp Ace/nb" || exit 1
check "a binary under a space: imagegen writes build.ninja" "$W/Sp Ace/imagegen" "$TOP/examples/hello/build.lua"
check "a binary under a space: ninja builds" ninja
same "a binary under a space: a second ninja has no work" "ninja: no work to do." "$(ninja)"
cd "$W/Sp Ace/mb" || exit 1
check "a binary under a space: imagegen -G make" "$W/Sp Ace/imagegen" -G make -o images.mk "$TOP/examples/hello/build.lua"
printf 'include images.mk\nall: images\n' > Makefile
check "a binary under a space: make builds" make
check "a binary under a space: make -q after it" make -q
check "a binary under a space: the same image from make" diff -r "$W/Sp Ace/nb/out/hello" out/hello
