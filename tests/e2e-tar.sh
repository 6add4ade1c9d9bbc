# imagegen's own tar writer against libarchive's (IMAGEGEN_TAR=libarchive) on
# images of real Debian packages from the machine's apt sources: the
# example's nginx, python3, and apt with the essential packages (their hard
# links, long paths, symlinks, setuid files and the packages' own mtimes), each
# built with both writers from one lock in folders of their own, with no
# kept layers (the downloads are shared): every blob and index.json the same.
# t-tar.sh does the same with the examples that need no network.
. "$TOP/tests/lib.sh"

workdir tar-real
cache="${IMAGEGEN_TEST_CACHE:-$HOME/.cache/imagegen-tests}"
mkdir -p "$W/src" "$cache"
cp "$TOP/examples/debian/nginx.conf" "$TOP/examples/debian/index.html" "$W/src/"
cat "$TOP/examples/debian/build.lua" - > "$W/src/build.lua" <<'LUA'
image { name = "py", packages = { "python3", "ca-certificates", "openssl" } }
image { name = "apt", packages = { "apt" }, essential = true }
LUA
cd "$W/src" || exit 1
check "the lock against the machine's apt sources" env IMAGEGEN_CACHE="$cache" "$IMAGEGEN" lock build.lua

for w in own libarchive; do
	# the downloads shared, the kept layers not: each writer writes every layer
	mkdir -p "$W/$w.cache" "$W/$w" && cd "$W/$w" || exit 1
	for d in deb index; do
		[ -d "$cache/$d" ] && ln -s "$cache/$d" "$W/$w.cache/$d"
	done
	check "the images built with the $w writer" \
		env IMAGEGEN_CACHE="$W/$w.cache" IMAGEGEN_TAR=$w sh -c "'$IMAGEGEN' --locked ../src/build.lua && ninja > ninja.log 2>&1"
	(ls .imagegen/blobs/sha256 | sort && find out -name index.json | sort | xargs cat) > "$W/$w.blobs"
done
layers=$(find "$W/own/.imagegen/layer" -name '*.json' ! -name '*.dpkg.json' | wc -l)
check "layers of packages were written ($layers)" test "$layers" -gt 10
if cmp -s "$W/own.blobs" "$W/libarchive.blobs"; then
	ok "the same blobs and index.json from both writers"
else
	fail "the writers' blobs differ"
	diff "$W/own.blobs" "$W/libarchive.blobs" | head -n 10 | sed 's/^/    /'
fi
