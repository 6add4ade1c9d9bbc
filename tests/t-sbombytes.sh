# The SBOM's bytes: sbom.c writes the document piece by piece (the files and
# the layers' packages directly, the rest through jansson), and it must be
# what one dump of it by jansson writes (keys sorted, compact), its namespace
# the digest of the rest. Held to that with every name Linux allows (the
# project of tests/names.py: newlines, quotes, backslashes, bytes that are
# not UTF-8, in files, declarations and a command's outputs), controls JSON
# spells as \u00XX, a document of no files, files setuid and world-writable
# (annotations on the file and on its layer), checked by the machine's own
# jansson (tests/spdxbytes.py). The Debian packages' side: t-sbom.
. "$TOP/tests/lib.sh"

workdir sbombytes
cd "$W" || exit 1
python3 "$TOP/tests/names.py" project src
# controls a name may hold that JSON escapes as \u00XX (and DEL, which it does not)
mkdir -p src/ctl src/modes/open
for n in "$(printf 'one\001')" "$(printf 'unit\037sep')" "$(printf 'del\177')" "$(printf 'bell\007\010\014')"; do
	printf '%s\n' "$n" > "src/ctl/$n"
done
printf 'root\n' > src/modes/su && chmod 4755 src/modes/su
printf 'shared\n' > src/modes/open/w && chmod 0666 src/modes/open/w
cat >> src/build.lua <<'EOF'
image { name = "ctl", files = { { "/ctl \"q\" \\ é", tree "ctl" }, { "/m", tree { "modes", mode = "0644" } },
  { "/bin/su", "modes/su", mode = "4755" }, { "/w", "modes/open/w", mode = "0666" } } }
image { name = "empty", files = { { "/d", dir() } } }
EOF
mkdir b && cd b || exit 1
check "the build makes the images and their SBOMs" sh -c "'$IMAGEGEN' ../src/build.lua 2> gen.log && ninja > ninja.log 2>&1"
if python3 "$TOP/tests/spdxbytes.py" /dev/null > /dev/null 2>&1 || [ $? != 2 ]; then
	for n in names ctl empty; do
		check "$n: the document is jansson's dump of itself, its namespace the digest of the rest" \
			python3 "$TOP/tests/spdxbytes.py" "out/$n.spdx.json"
	done
else
	skip "the documents against jansson's dump (no libjansson.so.4 here)"
fi
same "ctl: a control in a name is \\u0001 (jansson's spelling), DEL as it is" "1 1" \
	"$(grep -c -F '\u0001' out/ctl.spdx.json) $(grep -c "$(printf 'del\177')" out/ctl.spdx.json)"
same "ctl: the setuid and world-writable files, each annotated on the file and on its layer" \
	"[['./bin/su', 'setuid (mode 4755): /bin/su'], ['./w', 'world-writable (mode 0666): /w']] 2" \
	"$(jget out/ctl.spdx.json "str(sorted([f['fileName'], a['comment']] for f in j['files'] for a in f.get('annotations', []))) + ' ' + str(sum(len(p.get('annotations', [])) for p in j['packages'] if p['SPDXID'].startswith('SPDXRef-Layer')))")"
same "empty: a layer of no files has an empty list and the verification code of nothing" \
	"0 $(printf '' | sha1sum | cut -d' ' -f1)" \
	"$(jget out/empty.spdx.json "str(len(j['files'])) + ' ' + [p['packageVerificationCode']['packageVerificationCodeValue'] for p in j['packages'] if p['SPDXID'].startswith('SPDXRef-Layer')][0]")"
