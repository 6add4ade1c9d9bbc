# imagegen's own tar writer (plugin/layer/tar.c) against libarchive's, which
# wrote every layer before it (kept in tar.c, chosen by IMAGEGEN_TAR=libarchive):
# the examples that build alone, without a network (hello, monorepo),
# and a definition of awkward entries (names of 99 to 300 bytes, unicode and
# not UTF-8, long and unicode link targets, hard links, setuid and sticky
# modes, uids and gids past ustar's 2^18 and 2^21, xattrs in a declared
# order, an epoch past 2038, gzip, zstd and no compression) each built with
# both writers, in folders and download folders of their own: every blob
# (layers, configs, manifests) and every index.json the same. And a layer
# edge loads no libarchive, unless asked to. (fuzz-tar compares the two on
# random entries; e2e-tar.sh on images of real Debian packages.)
. "$TOP/tests/lib.sh"

workdir tar

# both NAME DEFINITION [IMAGEGEN ARGS]: build DEFINITION with each writer, in
# $W/NAME/own and $W/NAME/libarchive, and compare what they wrote
both() {
	both_name=$1
	both_def=$2
	shift 2
	for both_w in own libarchive; do
		mkdir -p "$W/$both_name/$both_w" && cd "$W/$both_name/$both_w" || return 1
		if ! env IMAGEGEN_CACHE="$W/$both_name/$both_w.cache" IMAGEGEN_TAR=$both_w \
		    "$IMAGEGEN" "$@" "$both_def" > gen.log 2>&1 ||
		   ! env IMAGEGEN_CACHE="$W/$both_name/$both_w.cache" IMAGEGEN_TAR=$both_w ninja > ninja.log 2>&1; then
			fail "$both_name: the build with the $both_w writer failed"
			tail -n 5 gen.log ninja.log | sed 's/^/    /'
			return 1
		fi
	done
	cd "$W/$both_name" || return 1
	for both_w in own libarchive; do
		(cd "$both_w" && ls .imagegen/blobs/sha256 | sort && find out -name index.json | sort | xargs cat) > "$both_w.blobs"
	done
	both_layers=$(find own/.imagegen/layer -name '*.json' ! -name '*.dpkg.json' | wc -l)
	check "$both_name: layers were written ($both_layers)" test "$both_layers" -gt 0
	if cmp -s own.blobs libarchive.blobs; then
		ok "$both_name: the same blobs and index.json from both writers"
	else
		fail "$both_name: the writers' blobs differ"
		diff own.blobs libarchive.blobs | head -n 10 | sed 's/^/    /'
	fi
}

both hello "$TOP/examples/hello/build.lua"
both monorepo "$TOP/examples/monorepo/build.lua"

# awkward entries
mkdir -p "$W/src" && cd "$W/src" || exit 1
python3 - <<'PY'
import os
def mk(path, data=b"x"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
t = b"tree/"
for n in (98, 99, 100, 101, 154, 155, 156, 250):
    mk(t + b"n" * n, b"%d" % n)
mk(t + b"/".join(b"d%03d" % i for i in range(40)) + b"/file", b"deep")
mk(t + b"/".join([b"q" * 60] * 3) + b"/" + b"z" * 99, b"split")
mk(t + b"w" * 160 + b"/f")
mk(t + b"/".join([b"\xc3\xa9" * 40] * 3) + b"/f")
mk(t + "caf\u00e9/\u65e5\u672c\u8a9e.txt".encode())
mk(t + b"bad\xff\xfename")
mk(t + b"dir\xe9/inner")
mk(t + b"big", bytes(range(256)) * 300)
mk(t + b"empty", b"")
os.symlink(b"n" * 100, t + b"link100")
os.symlink(b"t" * 200, t + b"link200")
os.symlink("\u00e9t\u00e9".encode(), t + b"linkutf8")
os.symlink(b"\xff\xfe", t + b"linkbad")
os.link(t + b"n" * 98, t + b"h" * 120)
os.link(t + b"empty", t + b"hardempty")
os.chmod(t + b"big", 0o4755)
PY
cat > build.lua <<'LUA'
image {
  name = "awkward",
  layers = {
    { name = "declared", files = {
      { "/etc/conf", text "c\n", mode = "0640", uid = 262144, gid = 2097152,
        xattrs = { ["user.b"] = "2", ["user.a"] = "1", ["security.capability"] = "\1\2\255", ["user.x"] = "" } },
      { "/" .. string.rep("p", 120) .. "/" .. string.rep("q", 120), text "long\n", uid = 2147483647 },
      { "/caf\195\169/\230\151\165", text "u\n" },
      { "/bin/sh", symlink(string.rep("s", 150)) },
      { "/tmp", dir(), mode = "1777" },
      { "/srv/setgid", dir(), mode = "2755", gid = 262143 },
    } },
    { name = "tree", files = { { "/srv", tree "tree" } } },
  },
}
image { name = "zstd", compression = "zstd", layers = { { name = "t", files = { { "/t", tree "tree" } } } } }
image { name = "none", compression = "none", layers = { { name = "t", files = { { "/t", tree "tree" } } } } }
LUA
export SOURCE_DATE_EPOCH=4102444800
both awkward "$W/src/build.lua"
unset SOURCE_DATE_EPOCH

# the layer helper loads libarchive only when asked to write through it
cd "$W/hello/own" || exit 1
spec=.imagegen/spec/layer/hello/files.json
rm -rf store && mkdir store
args=$(specargs "$spec")
# shellcheck disable=SC2086
LD_DEBUG=files "$IMAGEGEN" layer $args files.desc files.d store > ld.log 2>&1
check "the layer helper writes a layer" test -s files.desc
same "the layer helper loads no libarchive" 0 "$(count ld.log libarchive.so)"
rm -rf store && mkdir store
# shellcheck disable=SC2086
IMAGEGEN_TAR=libarchive LD_DEBUG=files "$IMAGEGEN" layer $args files.desc files.d store > ld.log 2>&1
check "IMAGEGEN_TAR=libarchive loads it" grep -q libarchive.so ld.log
