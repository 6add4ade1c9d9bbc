# The .debs of a build fetched by one edge, one process, over a few kept
# connections: a signed repository made here and served on 127.0.0.1 by a
# mirror with keep-alive and range requests (tests/mirror.py, which logs
# each connection it accepts). A cold build of 16 packages opens at most 4
# connections; a no-op build fetches nothing; a .deb gone from the
# download folder is fetched alone; a mirror that drops every connection
# mid-body is resumed from; a 404 is one line naming the package and URL.
. "$TOP/tests/lib.sh"

needdebtools fetch || exit 0

workdir fetch
export IMAGEGEN_CACHE="$W/cache"
signedrepo

N=16
i=1
pkgs=
while [ $i -le $N ]; do
	# some 64 KiB of incompressible bytes each, so that transfers overlap
	mkpkg "pkg$i" 1.0 "$ARCH" "" "mkdir -p usr/share/pkg$i && head -c 65536 /dev/urandom > usr/share/pkg$i/data"
	pkgs="$pkgs\"pkg$i\", "
	i=$((i + 1))
done
if ! mkindex stable; then
	fail "fetch: signing the test repository failed"
	exit 0
fi

# mirror: start tests/mirror.py on $REPO, logging to $W/mirror.log; sets SERVER, URL
mirror() {
	: > "$W/mirror.log"
	python3 "$TOP/tests/mirror.py" "$REPO" "$W/mirror.log" &
	SERVER=$!
	PORT=$(listenport "$SERVER") || {
		fail "fetch: the test mirror did not start"
		exit 0
	}
	URL=http://127.0.0.1:$PORT
}
# conns, gets: the connections the mirror accepted and the .debs asked for, since it started
conns() { count "$W/mirror.log" CONNECTION; }
gets() { grep -c '^GET /pool/.*\.deb ' "$W/mirror.log"; }

mirror
mkdir -p "$W/src" "$W/b"
cat > "$W/src/build.lua" <<EOF
local repo = repository { url = "$URL", suite = "stable", keyring = "$W/test.gpg" }
image { name = "many", packages = { $pkgs }, repositories = { repo } }
EOF
cd "$W/b" || exit 1
check "lock: $N packages" "$IMAGEGEN" lock ../src/build.lua
check "generate" "$IMAGEGEN" ../src/build.lua
same "one fetch edge whose outputs are the $N .debs" "1 $N" "$(grep -c ': fetch$' build.ninja) $(python3 -c "
import re, sys
text = open('build.ninja').read().replace(' \$\n', ' ')
edge = [l for l in text.split('\n') if l.endswith(': fetch')][0]
print(len([w for w in edge[len('build '):-len(': fetch')].split() if w.endswith('.deb')]))")"

# cold: every .deb over at most 4 connections
: > "$W/mirror.log"
check "cold: ninja builds the image" sh -c "ninja > ninja.log 2>&1"
same "cold: one FETCH line for the $N packages" "1" "$(count ninja.log "FETCH $N packages")"
same "cold: each .deb asked for once" "$N" "$(gets)"
c=$(conns)
check "cold: $N packages over at most 4 connections (here $c)" test "$c" -ge 1 -a "$c" -le 4
same "cold: the download folder holds the .debs and no part file" "$N 0" \
	"$(ls "$IMAGEGEN_CACHE"/deb/*.deb | wc -l) $(ls "$IMAGEGEN_CACHE"/deb/ | grep -c '\.part$')"
digest=$(cat out/many.digest)

# no-op: nothing to do, nothing asked of the mirror
: > "$W/mirror.log"
ninja > noop.log 2>&1
contains "no-op: ninja has no work to do" noop.log "no work to do"
same "no-op: no connection" "0" "$(conns)"

# one .deb gone from the download folder: that one is fetched, the image is the same
rm "$(ls "$IMAGEGEN_CACHE"/deb/*.deb | head -n 1)"
check "one .deb missing: ninja builds" sh -c "ninja > one.log 2>&1"
same "one .deb missing: it alone is fetched, over one connection" "1 1" "$(gets) $(conns)"
same "one .deb missing: the same image" "$digest" "$(cat out/many.digest)"

# one name lookup: where this machine's name is 127.0.0.1 in /etc/hosts, a
# mirror named by it is looked up there (an open of /etc/hosts) once
me=$(hostname 2> /dev/null)
if have strace && [ -n "$me" ] && [ "$(getent hosts "$me" | cut -d' ' -f1)" = 127.0.0.1 ]; then
	mkdir -p "$W/named/src" "$W/named/b" && cd "$W/named/b" || exit 1
	sed "s|http://127.0.0.1:|http://$me:|" "$W/src/build.lua" > ../src/build.lua
	IMAGEGEN_CACHE=$W/named/cache "$IMAGEGEN" lock ../src/build.lua > /dev/null 2>&1 &&
		IMAGEGEN_CACHE=$W/named/cache "$IMAGEGEN" ../src/build.lua > /dev/null 2>&1
	: > "$W/mirror.log"
	# (LeakSanitizer cannot run under ptrace: no leak check in a check-asan run)
	check "one lookup: a cold build from the mirror named $me" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=open,openat -o strace.log ninja
	same "one lookup: /etc/hosts read once, $N packages over at most 4 connections" "1 yes" \
		"$(grep -c '"/etc/hosts"' strace.log) $(test "$(conns)" -le 4 && echo yes)"
else
	skip "one lookup (no strace, or this machine's name is not 127.0.0.1 in /etc/hosts)"
fi

# make: the same edge, one recipe
mkdir -p "$W/mk" && cd "$W/mk" || exit 1
rm -rf "$IMAGEGEN_CACHE"
"$IMAGEGEN" -G make ../src/build.lua && printf 'include images.mk\n' > Makefile
: > "$W/mirror.log"
check "make: a cold build" sh -c "make -j2 images > make.log 2>&1"
c=$(conns)
same "make: one FETCH line, each .deb once" "1 $N" "$(count make.log "FETCH $N packages") $(gets)"
check "make: at most 4 connections (here $c)" test "$c" -ge 1 -a "$c" -le 4
same "make: the same image" "$digest" "$(cat out/many.digest)"
check "make: then nothing to do" sh -c "make -q images"

# a mirror that drops every connection halfway through each .deb's body: resumed
cd "$W/b" || exit 1
rm -rf "$IMAGEGEN_CACHE" .imagegen out
: > "$W/mirror.log"
touch "$W/mirror.log.cut"
check "cut mid-body: ninja builds the image" sh -c "ninja > cut.log 2>&1"
same "cut mid-body: each .deb cut once, then resumed from its half" "$N $N" \
	"$(grep -c '^GET /pool/.*\.deb -$' "$W/mirror.log") $(grep -c '^GET /pool/.*\.deb bytes=[1-9][0-9]*-$' "$W/mirror.log")"
same "cut mid-body: the same image" "$digest" "$(cat out/many.digest)"
rm "$W/mirror.log.cut"

# a 404: one line naming the package and its URL, no file left
lost=$(ls "$REPO"/pool/main/pkg7_*.deb)
mv "$lost" "$W/lost.deb"
rm -rf "$IMAGEGEN_CACHE" .imagegen out
ninja > 404.log 2>&1
same "404: ninja fails" 1 $?
contains "404: the line names the package and the URL" 404.log \
	"imagegen: fetch pkg7 from $URL/pool/main/${lost##*/}: HTTP 404"
same "404: one line from imagegen" 1 "$(grep -c '^imagegen:' 404.log)"
lostpath=$(python3 -c "import json,sys; print([f['path'] for f in json.load(open(sys.argv[1]))['fetch'] if f['name'] == 'pkg7'][0])" .imagegen/spec/fetch.json)
check "404: neither the .deb nor a part file" test ! -e "$lostpath" -a ! -e "$lostpath.part"
mv "$W/lost.deb" "$lost"
check "404: once the file is back, the build goes on" sh -c "ninja > back.log 2>&1"
same "404: the same image" "$digest" "$(cat out/many.digest)"
stop "$SERVER"
SERVER=

# a malformed fetch spec: one line
printf '{"fetch":[{"url":"%s/x.deb","path":"%s/x.deb","sha256":"../../x","size":1}]}\n' "$URL" "$W" > bad.json
"$IMAGEGEN" fetch bad.json > bad.log 2>&1
same "a malformed fetch spec: exit 1" 1 $?
contains "a malformed fetch spec: one line naming the spec" bad.log \
	"imagegen: bad.json: malformed fetch list (item 1: '../../x' is not a sha256 and a size)"
