# The layer pass's digests of each file (SHA1 and SHA256, for its facts) and
# of the tar (SHA256, the diff_id) in one walk (plugin/layer/hashes.c): with
# the CPU's SHA instructions and with nettle alone (IMAGEGEN_HASH=nettle) the
# same layer blob, descriptor and facts, over files of every size around
# SHA's 64-byte blocks, tar's 512-byte blocks, the 64 KiB reads and the
# 1 MiB gzip chunks; the facts agree with Python's hashlib over the sources,
# the diff_id with the SHA256 of the inflated blob.
. "$TOP/tests/lib.sh"

workdir layerhash
cd "$W" || exit 1
export IMAGEGEN_CACHE="$W/cache"

mkdir -p src/t/sub
python3 - src/t <<'PY'
import os, random, sys
rng = random.Random(28)
sizes = [0, 1, 55, 56, 63, 64, 65, 119, 127, 128, 129, 511, 512, 513, 1000, 4095, 4096,
         65471, 65535, 65536, 65537, 131079, 300001, 1048575, 1048576, 1048577, 3 * 1048576 + 77]
for i, n in enumerate(sizes):
    d = sys.argv[1] if i % 2 else os.path.join(sys.argv[1], "sub")
    with open(os.path.join(d, "f%02d-%d" % (i, n)), "wb") as f:
        f.write(rng.randbytes(n) if i % 3 else bytes(rng.choice(b"ab \n") for _ in range(n)))
PY
# a name long enough for a pax record before its file, and a hard link
long=$(printf 'n%.0s' $(seq 1 150))
head -c 70000 src/t/f20-65537 > "src/t/$long"
ln src/t/f01-1 src/t/hard
cat > src/build.lua <<'EOF2'
image { name = "h", files = { { "/t", tree "t" }, { "/etc/x", text "x\n" } } }
EOF2

if grep -q -w sha_ni /proc/cpuinfo; then
	ok "layerhash: this CPU has the SHA instructions (the fused walk is what the default build takes)"
else
	skip "layerhash: this CPU has no SHA instructions: both builds take nettle's"
fi
for how in fused nettle; do
	mkdir -p "$how" && cd "$how" || exit 1
	if [ "$how" = nettle ]; then
		export IMAGEGEN_HASH=nettle
	fi
	"$IMAGEGEN" ../src/build.lua > gen.log 2>&1 && ninja > ninja.log 2>&1 || fail "layerhash: $how: the image does not build"
	unset IMAGEGEN_HASH
	cd ..
done

same "layerhash: the same layer descriptor both ways" \
	"$(cat nettle/.imagegen/layer/h/*.json)" "$(cat fused/.imagegen/layer/h/*.json)"
check "layerhash: the same facts both ways" diff -r nettle/.imagegen/facts fused/.imagegen/facts
same "layerhash: the same image both ways" "$(cat nettle/out/h.digest)" "$(cat fused/out/h.digest)"

cat > hashcheck.py <<'PY'
import glob, gzip, hashlib, json, os, sys
desc = json.load(open(glob.glob("fused/.imagegen/layer/h/*.json")[0]))
blob = open("fused/.imagegen/blobs/sha256/" + desc["digest"][7:], "rb").read()
assert "sha256:" + hashlib.sha256(blob).hexdigest() == desc["digest"], "blob digest"
assert "sha256:" + hashlib.sha256(gzip.decompress(blob)).hexdigest() == desc["diffid"], "diff_id"
files = 0
for line in open("fused/.imagegen/facts/" + desc["diffid"][7:], encoding="latin-1"):
    w = line.split()
    if w[0] != "f":
        continue
    data = b"x\n" if w[7] == "etc/x" else open(os.path.join("src", w[7]), "rb").read()
    assert w[5] == hashlib.sha1(data).hexdigest() and w[6] == hashlib.sha256(data).hexdigest(), w[7]
    assert int(w[4]) == len(data), w[7]
    files += 1
# the 27 sizes, the long name and /etc/x (the hard link is a link)
assert files == 29, files
PY
check "layerhash: the facts' digests are hashlib's of the sources, the diff_id the inflated blob's" python3 hashcheck.py
