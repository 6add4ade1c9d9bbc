# Layer facts (plugin/layer/facts.c): the layer edge writes each layer's
# members and their files' SHA1 and SHA256 to .imagegen/facts/DIFFID, and the
# SBOM edge reads them instead of the layer's blob: strace over the SBOM
# edge's command (as build.ninja has it) sees no open of a layer blob. The
# facts agree with Python's tarfile over the blob and with the sources'
# digests; a layer without facts has them made once from its blob, the same
# bytes, the same document; a damaged facts file is one line naming it and
# its line, and no document. The report page's edge reads the facts too.
. "$TOP/tests/lib.sh"

workdir sbomfacts
cd "$W" || exit 1
export IMAGEGEN_CACHE="$W/cache"

# files of every kind the scan must read: a hard link, a name of 120 bytes and
# one not UTF-8 (pax records), spaces and '%', an empty file, a file over 64 KiB
mkdir -p "src/t/d e/%x" b && cd b || exit 1
long=$(printf 'n%.0s' $(seq 1 120))
printf 'one\n' > "../src/t/d e/%x/f g"
ln "../src/t/d e/%x/f g" ../src/t/hard
: > ../src/t/empty
printf 'x' > "../src/t/$long"
printf 'bin' > "$(printf '../src/t/\377name')"
head -c 300000 /dev/urandom > ../src/t/big
cat > ../src/build.lua <<'EOF'
image { name = "base", files = {
  { "/etc/tool", text "tool", mode = "4755" },
} }
image { name = "app", base = "base", files = {
  { "/srv", tree "t" },
  { "/srv/link", symlink "big" },
} }
EOF
"$IMAGEGEN" ../src/build.lua > gen.log 2>&1 && ninja > ninja.log 2>&1 || fail "sbomfacts: the images do not build"

# every layer of the images has its facts, beside the store, by diff_id
for d in .imagegen/layer/*/*.json; do
	diffid=$(jget "$d" 'j["diffid"][7:]')
	check "facts: ${d#.imagegen/layer/} has its facts file" test -f ".imagegen/facts/$diffid"
done

# the facts against an independent reading of each blob: Python's tarfile
cat > factscheck.py <<'EOF'
import glob, hashlib, json, sys, tarfile
def unescape(s):
    out, i = bytearray(), 0
    b = s.encode("latin-1")
    while i < len(b):
        if b[i:i + 1] == b"%":
            out.append(int(b[i + 1:i + 3], 16)); i += 3
        else:
            out.append(b[i]); i += 1
    return bytes(out)
n = 0
for d in glob.glob(".imagegen/layer/*/*.json"):
    desc = json.load(open(d))
    lines = open(".imagegen/facts/" + desc["diffid"][7:], encoding="latin-1").read().split("\n")
    assert lines[0] == "imagegen-facts 1 " + desc["diffid"], lines[0]
    end = lines[-2].split(" ")
    assert end[:2] == ["end", "%d" % (len(lines) - 3)] and len(end) == 3 and lines[-1] == "", lines[-2:]
    facts = [l.split(" ") for l in lines[1:-2]]
    tf = tarfile.open(".imagegen/blobs/sha256/" + desc["digest"][7:], encoding="latin-1")
    members = tf.getmembers()
    assert int(end[2]) == tf.offset + 1024, (end, tf.offset)
    assert len(members) == len(facts), (d, len(members), len(facts))
    for m, f in zip(members, facts):
        kind = "f" if m.isreg() else "h" if m.islnk() else "d" if m.isdir() else "l" if m.issym() else "?"
        assert f[0] == kind, (m.name, f)
        assert int(f[1], 8) == m.mode and int(f[2]) == m.uid and int(f[3]) == m.gid, (m.name, f)
        path = m.name.encode("latin-1") + (b"/" if m.isdir() else b"")
        assert unescape(f[7]) == path, (path, f[7])
        if kind == "f":
            data = tf.extractfile(m).read()
            assert int(f[4]) == len(data) and f[5] == hashlib.sha1(data).hexdigest() and \
                f[6] == hashlib.sha256(data).hexdigest(), (m.name, f)
            n += 1
        else:
            assert f[5] == f[6] == "-", f
        if kind in "hl":
            assert unescape(f[8]) == m.linkname.encode("latin-1"), (m.linkname, f)
assert n == 6, n
EOF
check "facts: each member's type, mode, owner, name, link and digests are the tar's (tarfile)" python3 factscheck.py

same "SBOM: the files' SHA256s are the sources'" "$(cd ../src/t && find . -type f ! -name hard -links 1 | LC_ALL=C sort | xargs -d '\n' sha256sum | cut -c1-64 | LC_ALL=C sort | tr '\n' ' ')" \
	"$(jget out/app.spdx.json '" ".join(sorted(c["checksumValue"] for f in j["files"] if f["fileName"].startswith("./srv/") and "hard" not in f["fileName"] and "f g" not in f["fileName"] for c in f["checksums"] if c["algorithm"] == "SHA256")) + " "')"
same "SBOM: the SHA1 of a file is the source's" "$(sha1sum < ../src/t/big | cut -c1-40)" \
	"$(jget out/app.spdx.json '[c["checksumValue"] for f in j["files"] if f["fileName"] == "./srv/big" for c in f["checksums"] if c["algorithm"] == "SHA1"][0]')"

# the SBOM edge under strace: its command as ninja runs it
cmd=$(ninja -t commands out/app.spdx.json | tail -n 1)
case $cmd in *" sbom "*) ok "strace: the SBOM edge's command from build.ninja" ;; *) fail "strace: no SBOM command ($cmd)" ;; esac
layers=$(jget .imagegen/image/app.json '" ".join(l["digest"][7:] for l in j["layers"])' 2>/dev/null)
[ -n "$layers" ] || layers=$(for d in .imagegen/layer/*/*.json; do jget "$d" 'j["digest"][7:]'; done)
same "strace: the image's two layers" 2 "$(echo $layers | wc -w)"
cp out/app.spdx.json app.before
if have strace; then
	# (LeakSanitizer does not run under ptrace: under make check-asan it would fail the edge)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=open,openat -o trace.txt sh -c "$cmd" > sbom.log 2>&1
	same "strace: the SBOM edge succeeds" 0 $?
	check "strace: it opened the layers' facts (what strace sees)" grep -q '\.imagegen/facts/' trace.txt
	opened=0
	for l in $layers; do grep -q "blobs/sha256/$l" trace.txt && opened=$((opened + 1)); done
	same "strace: no open of a layer's blobs/sha256/... by the SBOM edge" 0 "$opened"
	check "strace: the same document" cmp -s app.before out/app.spdx.json

	# a layer without facts: they are made once from its blob, the same bytes
	mkdir -p kept && cp .imagegen/facts/* kept/ && rm -r .imagegen/facts
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=open,openat -o trace2.txt sh -c "$cmd" > sbom2.log 2>&1
	same "no facts: the SBOM edge succeeds" 0 $?
	opened=0
	for l in $layers; do grep -q "blobs/sha256/$l" trace2.txt && opened=$((opened + 1)); done
	check "no facts: the blobs are read then (what the first trace would have seen)" test "$opened" -gt 0
else
	fail "strace is not installed (apt-get install strace)"
	mkdir -p kept && cp .imagegen/facts/* kept/ && rm -r .imagegen/facts
	sh -c "$cmd" > sbom2.log 2>&1
fi
check "no facts: the same document" cmp -s app.before out/app.spdx.json
for f in .imagegen/facts/*; do
	check "no facts: $(basename "$f" | cut -c1-12)'s made again byte for byte" cmp -s "$f" "kept/$(basename "$f")"
done

# the report page's edge too: its layers' files from their facts, the same page as from the blobs
ninja out/app.html > report.log 2>&1 || fail "report: the page does not build"
rcmd=$(ninja -t commands out/app.html | tail -n 1)
cp out/app.html app.html.before
if have strace; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=open,openat -o trace3.txt sh -c "$rcmd" > report2.log 2>&1
	same "report: the edge succeeds" 0 $?
	check "report: it opened the layers' facts" grep -q '\.imagegen/facts/' trace3.txt
	opened=0
	for l in $layers; do grep -q "blobs/sha256/$l" trace3.txt && opened=$((opened + 1)); done
	same "report: no open of a layer's blobs/sha256/... by the report edge" 0 "$opened"
fi
check "report: the same page" cmp -s app.html.before out/app.html
mv .imagegen/facts facts.aside
sh -c "$rcmd" > report3.log 2>&1
check "report: without facts, from the blobs: the same page" cmp -s app.html.before out/app.html
mv facts.aside .imagegen/facts

# damaged facts: one line naming the file and line, exit 1, no document
one=$(for d in .imagegen/layer/*/*.json; do jget "$d" 'j["diffid"][7:]'; done | while read -r h; do
	grep -q '^f .* srv/big$' ".imagegen/facts/$h" && echo "$h"; done)
F=.imagegen/facts/$one
damaged() { # DESCRIPTION LINE WHY SED-SCRIPT
	cp "kept/$one" "$F" && sed -i "$4" "$F"
	rm -f out/app.spdx.json
	sh -c "$cmd" > bad.out 2>&1
	same "damaged ($1): exit 1" 1 $?
	same "damaged ($1): one line naming the file and line" \
		"imagegen: $F:$2: malformed layer facts ($3); remove the file to have it made again" "$(cat bad.out)"
	check "damaged ($1): no document" test ! -e out/app.spdx.json
}
big=$(grep -n ' srv/big$' "kept/$one" | cut -d: -f1)
damaged "a digest" "$big" "malformed digests" "${big}s/ [0-9a-f]\{64\} / $(printf 'z%.0s' $(seq 1 64)) /"
# (the diff_id's first digit made another: 0, or 1 where it was 0)
damaged "another layer's" 1 "not the facts of this layer" "1{s/sha256:0/sha256:1/;t;s/sha256:./sha256:0/}"
damaged "no end" "$(wc -l < "kept/$one")" "no end line" '$d'
damaged "a count" "$(wc -l < "kept/$one")" "an end line that does not count the members" 's/^end \([0-9]*\) /end 9\1 /'
damaged "a field more" "$big" "too many fields" "${big}s/\$/ x y/"
damaged "a NUL in a path" "$big" "a malformed path" "${big}s/srv\/big\$/srv%00big/"
damaged "a type" "$big" "an unknown type" "${big}s/^f /z /"
damaged "a mode" "$big" "a malformed mode" "${big}s/^f [0-7]* /f 99999 /"
cp "kept/$one" "$F" && truncate -s 600M "$F"
rm -f out/app.spdx.json
sh -c "$cmd" > bad.out 2>&1
same "damaged (600 MB): exit 1" 1 $?
same "damaged (600 MB): one line, the file unread" \
	"imagegen: $F: layer facts over 512 MiB; remove the file to have it made again" "$(cat bad.out)"
rm -f "$F" && sh -c "$cmd" > ok.out 2>&1
check "removed: made again, the same document" cmp -s app.before out/app.spdx.json
