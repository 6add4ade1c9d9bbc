# Build arguments: arg("NAME", default) in a definition, imagegen -D NAME=VALUE
# and IMAGEGEN_ARG_NAME. The value reaches a file (text) and a label of the
# image; another value rebuilds only what it reaches; ninja's and make's own
# regeneration keep the -D value; the make plugin takes make's variables; the
# report page lists the values; a -D nobody asks for warns, a missing one is
# an error at its line; no other environment variable reaches a definition.
. "$TOP/tests/lib.sh"

workdir args
# build arguments of the caller's environment would change what arg returns
for v in $(env | sed -n 's/^\(IMAGEGEN_ARG_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
mkdir -p "$W/src" "$W/b"
cat > "$W/src/build.lua" <<'EOF'
local version = arg("VERSION", "dev")
local note = arg("NOTE", "none")
image { name = "base", files = { { "/etc/base", text "base\n" } } }
image {
  name = "app", base = "base",
  layers = {
    { name = "static", files = { { "/etc/static", text "static\n" } } },
    { name = "version", files = { { "/etc/version", text(version .. "\n") } } },
  },
  labels = { version = version, note = note },
}
EOF

# imglabel LAYOUT KEY: a label of its config
imglabel() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
lay = sys.argv[1]
blob = lambda d: lay + "/blobs/sha256/" + d.split(":")[1]
idx = json.load(open(lay + "/index.json"))
m = json.load(open(blob([x for x in idx["manifests"] if "artifactType" not in x][0]["digest"])))
print(json.load(open(blob(m["config"]["digest"])))["config"]["Labels"][sys.argv[2]])
EOF
}

# ninja: the default, then -D
cd "$W/b" || exit 1
"$IMAGEGEN" ../src/build.lua 2> gen.err && ninja > 0.log 2>&1 || fail "args: the first build fails"
same "no argument given: the defaults, without a word" "dev none " "$(imgfile out/app /etc/version) $(imglabel out/app note) $(cat gen.err)"
same "no argument given: the regeneration command has no -D" "  command = \$imagegen -G ninja -o build.ninja ../src/build.lua" \
	"$(grep '^  command = [^$]*$imagegen -' build.ninja)"
"$IMAGEGEN" -D VERSION=1.2 ../src/build.lua 2> gen.err && ninja > 1.log 2>&1 || fail "args: the -D build fails"
same "-D VERSION=1.2: the value in a file and a label, without a word" "1.2 1.2 " \
	"$(imgfile out/app /etc/version) $(imglabel out/app version) $(cat gen.err)"
same "-D: the regeneration command carries it" "  command = \$imagegen -D 'VERSION=1.2' -G ninja -o build.ninja ../src/build.lua" \
	"$(grep '^  command = [^$]*$imagegen -' build.ninja)"
same "-D: only the layer the value is in, and what is made of it, rebuilt" "1 0 0 1 0" \
	"$(count 1.log 'LAYER app/version') $(count 1.log 'LAYER app/static') $(count 1.log 'LAYER base') $(count 1.log 'IMAGE app') $(count 1.log 'IMAGE base')"
same "then ninja has nothing to do" "ninja: no work to do." "$(ninja)"
cp out/base.digest base.before
"$IMAGEGEN" -DVERSION=1.3 ../src/build.lua && ninja > 2.log 2>&1
same "-DVERSION=1.3 (one word): the new value" "1.3" "$(imgfile out/app /etc/version)"
same "another value: the same layers rebuilt" "1 0 0" \
	"$(count 2.log 'LAYER app/version') $(count 2.log 'LAYER app/static') $(count 2.log 'LAYER base')"
check "another value: the base image is untouched" cmp base.before out/base.digest
touch ../src/build.lua
ninja > 3.log 2>&1
same "ninja regenerates after build.lua is touched, keeping -D VERSION=1.3, and rebuilds nothing" "1 0 1.3" \
	"$(count 3.log 'IMAGEGEN build.ninja') $(count 3.log LAYER) $(imgfile out/app /etc/version)"
check "and the build file still carries it" grep -q -F -e "-D 'VERSION=1.3'" build.ninja

# several -D, the last of a name wins; the report page names each value and where it came from
"$IMAGEGEN" -D VERSION=x -D NOTE=hi -D VERSION=2.0 ../src/build.lua && ninja app out/app.html > 4.log 2>&1
same "several -D: the last of a name wins" "2.0 hi" "$(imgfile out/app /etc/version) $(imglabel out/app note)"
check "the report page lists the arguments, their values and sources" python3 "$TOP/tests/pagecheck.py" out/app.html - data \
	'd["arguments"] == [{"name": "NOTE", "source": "-D", "value": "hi", "where": "../src/build.lua:2"}, {"name": "VERSION", "source": "-D", "value": "2.0", "where": "../src/build.lua:1"}]'

# the environment: IMAGEGEN_ARG_NAME; the regeneration command sets it again; -D wins
IMAGEGEN_ARG_VERSION=env1 "$IMAGEGEN" ../src/build.lua 2> gen.err && ninja app out/app.html > 5.log 2>&1
same "IMAGEGEN_ARG_VERSION: the value, without a word" "env1 " "$(imgfile out/app /etc/version) $(cat gen.err)"
same "IMAGEGEN_ARG_VERSION: the regeneration command sets it" \
	"  command = IMAGEGEN_ARG_VERSION=env1 \$imagegen -G ninja -o build.ninja ../src/build.lua" \
	"$(grep '^  command = [^$]*$imagegen -' build.ninja)"
touch ../src/build.lua
ninja > 5b.log 2>&1
same "IMAGEGEN_ARG_VERSION: ninja regenerating without it in its environment keeps the value, rebuilds nothing" "1 0 env1" \
	"$(count 5b.log 'IMAGEGEN build.ninja') $(count 5b.log LAYER) $(imgfile out/app /etc/version)"
check "IMAGEGEN_ARG_VERSION: the report page says where the value came from" python3 "$TOP/tests/pagecheck.py" \
	out/app.html - data '[(a["value"], a["source"]) for a in d["arguments"]] == [("none", "default"), ("env1", "IMAGEGEN_ARG_VERSION")]'
IMAGEGEN_ARG_VERSION=env2 "$IMAGEGEN" -D VERSION=cli ../src/build.lua && ninja > 6.log 2>&1
same "-D wins over IMAGEGEN_ARG_VERSION, which the regeneration command then does not set" \
	"cli   command = \$imagegen -D 'VERSION=cli' -G ninja -o build.ninja ../src/build.lua" \
	"$(imgfile out/app /etc/version) $(grep '^  command = [^$]*$imagegen -' build.ninja)"

# a -D that no definition asks for: one warning, exit 0
"$IMAGEGEN" -D VERSION=2.0 -D FOO=1 ../src/build.lua > warn.out 2> warn.err
same "-D FOO nobody asks for: exit 0" 0 $?
same "-D FOO nobody asks for: one warning line" "imagegen: warning: -D FOO given but no definition asks for arg \"FOO\"" \
	"$(cat warn.err)"

# asked for without a default and not given: one line with its file:line, exit 1, nothing written
mkdir -p "$W/req" && cd "$W/req" || exit 1
printf 'local v = arg("VERSION", "dev")\n\nimage { name = "a", labels = { tag = arg("TAG") } }\n' > build.lua
"$IMAGEGEN" build.lua > req.out 2> req.err
same "arg without a default, not given: exit 1" 1 $?
same "arg without a default, not given: one line at its file:line" \
	"imagegen: build.lua:3: arg \"TAG\" has no default and is not given: imagegen -D TAG=VALUE (or IMAGEGEN_ARG_TAG=VALUE in the environment), or a default: arg(\"TAG\", \"VALUE\")" \
	"$(cat req.err)"
check "and nothing written" sh -c '! ls build.ninja .imagegen 2>/dev/null'
check "given, it builds" "$IMAGEGEN" -D TAG=t1 build.lua

# bad -D: a usage error (exit 2), its first line what is wrong, and the build file as it was
usage() {
	"$IMAGEGEN" "$@" > bad.out 2> bad.err
	rc=$?
	echo "$rc $(head -n 1 bad.err)"
}
same "-D without NAME=VALUE" "2 imagegen: -D 'VERSION' is not NAME=VALUE" "$(usage -D VERSION build.lua)"
same "-D with a bad name" "2 imagegen: -D '1X=2': the name must be letters, digits and '_', not starting with a digit" \
	"$(usage -D 1X=2 build.lua)"
same "-D with a newline in the value" "2 imagegen: -D X: the value holds a newline, a carriage return or a NUL (a value is one line)" \
	"$(usage -D "X=$(printf 'a\nb')" build.lua)"
same "-D at the end" "2 imagegen: option -D needs NAME=VALUE" "$(usage build.lua -D)"
check "after the usage errors, the build file is as the last good run wrote it" grep -q -F -e "-D 'TAG=t1'" build.ninja

# the sandbox: no os, io or getenv; HOME is reached only as IMAGEGEN_ARG_HOME, through arg
mkdir -p "$W/env" && cd "$W/env" || exit 1
printf 'print(type(os), type(io), type(getenv), type(require), arg("HOME", "unset"), arg("PATH", "unset"))\nimage { name = "e" }\n' > build.lua
HOME=/home/someone "$IMAGEGEN" build.lua > env.out 2> env.err
same "the sandbox has no os, io, getenv or require, and HOME is not an argument" "nil	nil	nil	nil	unset	unset" "$(cat env.err)"
HOME=/home/someone IMAGEGEN_ARG_HOME=given "$IMAGEGEN" build.lua > env.out 2> env.err
same "IMAGEGEN_ARG_HOME is, through arg" "nil	nil	nil	nil	given	unset" "$(cat env.err)"
IMAGEGEN_ARG_HOME="$(printf 'a\nb')" "$IMAGEGEN" build.lua > env.out 2> env.err
same "IMAGEGEN_ARG_HOME with a newline: one line at the arg's line" \
	"imagegen: build.lua:1: arg \"HOME\": IMAGEGEN_ARG_HOME holds a newline, a carriage return or a NUL (a value is one line)" \
	"$(cat env.err)"

# make: the generated makefile carries -D in its regeneration rule
if [ ! -f "$TOP/imagegen.so" ]; then
	skip "args: make and the make plugin: imagegen.so is not built (check-asan builds the binary alone)"
	exit 0
fi
mkdir -p "$W/mk" && cd "$W/mk" || exit 1
"$IMAGEGEN" -G make -D VERSION=m1 ../src/build.lua && printf 'include images.mk\n' > Makefile && make images > 0.log 2>&1 ||
	fail "args: the generated makefile does not build"
same "-G make -D VERSION=m1: the value" "m1 m1" "$(imgfile out/app /etc/version) $(imglabel out/app version)"
check "-G make: the regeneration rule carries -D" grep -q -F -e "-D 'VERSION=m1'" images.mk
touch ../src/build.lua
make images > 1.log 2>&1
same "make regenerates after build.lua is touched, keeping -D VERSION=m1, and rebuilds no layer" "1 0 m1" \
	"$(count 1.log 'IMAGEGEN images.mk') $(count 1.log LAYER) $(imgfile out/app /etc/version)"
"$IMAGEGEN" -G make -D VERSION=m2 ../src/build.lua && make images > 2.log 2>&1
same "-G make, another value: only that layer" "m2 1 0 0" \
	"$(imgfile out/app /etc/version) $(count 2.log 'LAYER   app/version') $(count 2.log 'LAYER   app/static') $(count 2.log 'LAYER   base')"

# (images.mk made old rather than build.lua touched: the file system's clock
# is coarse, and the two could have the same mtime just after generating)
IMAGEGEN_ARG_VERSION=m3 "$IMAGEGEN" -G make ../src/build.lua && touch -d @1000000000 images.mk && make images > 3.log 2>&1
same "-G make, IMAGEGEN_ARG_VERSION=m3: make regenerating without it keeps it" "1 m3" \
	"$(count 3.log 'IMAGEGEN images.mk') $(imgfile out/app /etc/version)"

# the make plugin: make's variable IMAGEGEN_ARG_NAME, from make's command line or the environment
mkdir -p "$W/plugin" && cd "$W/plugin" || exit 1
printf 'load %s\n$(imagegen ../src/build.lua)\n' "$TOP/imagegen.so" > Makefile
make images > 0.log 2>&1 || fail "args: the plugin does not build"
same "plugin, nothing given: the default" "dev" "$(imgfile out/app /etc/version)"
make images IMAGEGEN_ARG_VERSION=p1 > 1.log 2>&1
same "plugin, make IMAGEGEN_ARG_VERSION=p1: the value, that layer alone rebuilt" "p1 1 0 0" \
	"$(imgfile out/app /etc/version) $(count 1.log 'LAYER   app/version') $(count 1.log 'LAYER   app/static') $(count 1.log 'LAYER   base')"
IMAGEGEN_ARG_VERSION=p2 make images > 2.log 2>&1
same "plugin, IMAGEGEN_ARG_VERSION=p2 in the environment: the value" "p2" "$(imgfile out/app /etc/version)"
IMAGEGEN_ARG_VERSION=p2 make -q images
same "plugin: then make -q is content" 0 $?
make images IMAGEGEN_ARG_VERSION=p1 > 3.log 2>&1
mkdir -p "$W/np1" && (cd "$W/np1" && "$IMAGEGEN" -D VERSION=p1 ../src/build.lua && ninja app > 0.log 2>&1)
check "plugin with IMAGEGEN_ARG_VERSION=p1 and ninja with -D VERSION=p1: the same image" \
	cmp out/app/index.json "$W/np1/out/app/index.json"
printf 'load %s\n$(imagegen ../req/build.lua)\n' "$TOP/imagegen.so" > req.mk
make -f req.mk > req.out 2> req.err
same "plugin, arg without a default not given: make stops (exit 2)" 2 $?
same "plugin: with the same line as the command line" \
	"imagegen: ../req/build.lua:3: arg \"TAG\" has no default and is not given: imagegen -D TAG=VALUE (or IMAGEGEN_ARG_TAG=VALUE in the environment), or a default: arg(\"TAG\", \"VALUE\")" \
	"$(cat req.err)"
check "plugin: make IMAGEGEN_ARG_TAG=t1 gives it" make -f req.mk IMAGEGEN_ARG_TAG=t1 images
make images 'IMAGEGEN_ARG_a-b=1' > bad.out 2> bad.err
rc=$?
same "plugin: a make variable IMAGEGEN_ARG_ whose name is no argument's: exit 2, one line" \
	"2 imagegen: make variable IMAGEGEN_ARG_a-b: the name must be letters, digits and '_', not starting with a digit" "$rc $(cat bad.err)"
