# How a name leaves as text (docs/names.md, "Names as text"): one spelling,
# one-to-one, everywhere. A file named a + the byte 0xff and one named
# with the four characters a\xff, side by side in a tree, come out as two
# names in the SBOM, in imagegen diff (--json and text), in imagegen
# inspect, on the report page and in a message; a maintainer script's command with such bytes and
# a tab is one valid UTF-8 field of the .maintscripts file.
. "$TOP/tests/lib.sh"

workdir spelling
cd "$W" || exit 1
export IMAGEGEN_CACHE="$W/cache"

mkdir -p src/t b && printf 'image { name = "amb", files = { { "/t", tree "t" } } }\n' > src/build.lua
python3 -c 'import sys
for n in (b"a\xff", b"a\\xff", b"b\\", b"c\\\\", b"tab\tname", b"tab\\tname"):
    open(b"src/t/" + n, "wb").write(b"x\n")'
printf 'image { name = "none", files = { { "/x", text "x" } } }\n' >> src/build.lua
printf 'image { name = "suid", files = { { "/t", tree { "t", mode = "4755" } } } }\n' >> src/build.lua
cd b || exit 1
"$IMAGEGEN" ../src/build.lua > gen.log 2>&1 && ninja all out/amb.html > ninja.log 2>&1 || fail "spelling: the images do not build"

# the names, one a line, as each output spells them (JSON strings decoded)
WANT='/t/a\\xff
/t/a\xff
/t/b\\
/t/c\\\\
/t/tab\\tname
/t/tab\tname'
# (JSON keeps a tab as a tab: shown here as \t, which a name's own backslash cannot be)
same "SBOM: each name once, the byte and the backslash spelt" "$WANT" \
	"$(jget out/amb.spdx.json '"\n".join(sorted(f["fileName"][1:].replace("\t", "\\t") for f in j["files"] if f["fileName"].startswith("./t/")))')"
"$IMAGEGEN" diff --json out/none out/amb > d.json
same "diff --json: the same spelling" "$WANT" \
	"$(jget d.json '"\n".join(sorted(f["path"].replace("\t", "\\t") for f in j["files"] if f["path"].startswith("/t/")))')"
"$IMAGEGEN" diff out/none out/amb > d.out
same "diff: the same spelling on the terminal" "$WANT" "$(sed -n 's|^  + \(/t/.*\)|\1|p' d.out | sort)"
"$IMAGEGEN" inspect out/suid > i.out
same "inspect: the same spelling (its setuid files)" "$WANT" "$(sed -n 's|^[a-z ]*4755 \(/t/.*\) (setuid; layer 1)$|\1|p' i.out | sort)"
same "report page: the same spelling" "$WANT" "$(python3 "$TOP/tests/pagecheck.py" out/amb.html - data \
	'print("\n".join(sorted("/t/" + c[0] for c in [c for c in d["platforms"][0]["tree"][4] if c[0] == "t"][0][4]))) or True')"

# a message: a destination that cannot be, with a backslash and a byte that is not UTF-8
mkdir -p ../msg && printf 'image { name = "m", files = { { "/a\\\\xff\\xff/.wh.x", text "x" } } }\n' > ../msg/build.lua
"$IMAGEGEN" ../msg/build.lua > msg.err 2>&1
contains "a message spells the name the same way" msg.err "destination '/a\\\\xff\\xff/.wh.x': names starting with .wh. are whiteouts"

# .maintscripts: a command with a byte that is not UTF-8, a backslash and a tab
needdebtools spelling || exit 0
signedrepo
mkpkg odd 1.0 "$DEBARCH" "" 'printf "#!/bin/sh\nset -e\nfrobnicate /etc/a\377\nfrobnicate '"'"'/etc/a\\\\xff'"'"'\nfrobnicate \"a\tb\"\n" > DEBIAN/postinst && chmod 755 DEBIAN/postinst'
ARCH=$DEBARCH mkindex stable && serve "$REPO" || { fail "spelling: the test repository did not start"; exit 0; }
mkdir -p "$W/deb/src" "$W/deb/b" && cd "$W/deb/b" || exit 1
cat > ../src/build.lua <<EOF
local repo = repository { url = "http://127.0.0.1:$PORT", suite = "stable", keyring = "$W/test.gpg" }
image { name = "odd", packages = { "odd" }, repositories = { repo } }
EOF
"$IMAGEGEN" lock ../src/build.lua > gen.log 2>&1 && "$IMAGEGEN" --locked ../src/build.lua >> gen.log 2>&1 &&
	ninja > ninja.log 2>&1 || fail "spelling: the Debian image does not build"
check ".maintscripts: valid UTF-8" python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' out/odd.maintscripts
same ".maintscripts: the commands, spelt one-to-one, one field each" 'frobnicate /etc/a\xff
frobnicate '"'"'/etc/a\\xff'"'"'
frobnicate "a\tb"' "$(awk -F "\t" '!/^#/ && NF == 4 && $1 == "odd" { print $4 }' out/odd.maintscripts)"
