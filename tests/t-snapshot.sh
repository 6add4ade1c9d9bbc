# Locks that stay buildable: the lock records each repository's Release
# date; when the mirror no longer has a locked .deb (a test mirror on
# 127.0.0.1 that dropped it), the build fetches it from the repository's
# snapshot archive (a second server, Debian's scheme URL/TIMESTAMP/pool/...)
# as of that date, verified against the lock's sha256, with one line saying
# so. Without a snapshot, or with a snapshot that serves other bytes, the
# build fails in one line naming the package.
. "$TOP/tests/lib.sh"

needdebtools snapshot || exit 0
workdir snapshot
export IMAGEGEN_CACHE="$W/cache"
signedrepo
SNAPSERVER=
atexit '[ -z "$SNAPSERVER" ] || stop "$SNAPSERVER"'

mkpkg hello-snap 1.0 "$ARCH" "" 'mkdir -p usr/share/hello && echo "version one" > usr/share/hello/text'
if ! mkindex stable || ! serve "$REPO"; then
	fail "snapshot: the test repository could not be made or served"
	exit 0
fi
URL=http://127.0.0.1:$PORT
MIRRORPID=$SERVER
mkdir -p "$W/snap"
python3 -m http.server --bind 127.0.0.1 --directory "$W/snap" 0 > "$W/snap.log" 2>&1 &
SNAPSERVER=$!
SNAPPORT=$(listenport "$SNAPSERVER")

mkdir -p "$W/src" "$W/b"
cat > "$W/src/build.lua" <<EOF
local repo = repository { url = "$URL", suite = "stable", keyring = "$W/test.gpg",
  snapshot = "http://127.0.0.1:$SNAPPORT/archive/test" }
image { name = "snap", packages = { "hello-snap" }, repositories = { repo }, minimal = true }
EOF
cd "$W/b" || exit 1
check "imagegen lock" "$IMAGEGEN" lock ../src/build.lua
date=$(python3 -c "import json;l=json.load(open('../src/imagegen.lock'));print(list(l['repositories'].values())[0]['date'])")
release=$(sed -n 's/^Date: //p' "$REPO/dists/stable/Release")
same "the lock records the Release's date" "$release" "$date"
stamp=$(python3 -c 'import email.utils, sys; print(email.utils.parsedate_to_datetime(sys.argv[1]).strftime("%Y%m%dT%H%M%SZ"))' "$date")
deb=$(python3 -c "import json;l=json.load(open('../src/imagegen.lock'));print(l['images']['snap']['packages'][0]['filename'])")

# the mirror moves on: version 1.0 is gone from its pool
mkdir -p "$W/snap/archive/test/$stamp/$(dirname "$deb")"
mv "$REPO/$deb" "$W/snap/archive/test/$stamp/$deb"

"$IMAGEGEN" --locked ../src/build.lua > gen.out 2>&1 && ninja > ninja.log 2>&1
same "the locked build succeeds though the mirror dropped the .deb" 0 $?
contains "one line says the .deb came from the snapshot archive" ninja.log \
	"imagegen: fetch hello-snap: $URL/$deb is gone from the mirror (HTTP 404); fetching it from the snapshot archive: http://127.0.0.1:$SNAPPORT/archive/test/$stamp/$deb"
same "the image holds the locked version's file" "version one" "$(imgfile out/snap /usr/share/hello/text)"
check "the snapshot server was asked for that timestamp's path" grep -q "GET /archive/test/$stamp/$deb" "$W/snap.log"

# a snapshot that serves other bytes: refused against the lock's sha256
rm -rf "$IMAGEGEN_CACHE/deb" .imagegen out
printf 'not the package' > "$W/snap/archive/test/$stamp/$deb"
"$IMAGEGEN" --locked ../src/build.lua > gen2.out 2>&1 && ninja > ninja2.log 2>&1
same "other bytes from the snapshot: the build fails" 1 "$([ $? -ne 0 ] && echo 1 || echo 0)"
contains "in one line naming the package and the snapshot's URL" ninja2.log \
	"imagegen: fetch hello-snap from http://127.0.0.1:$SNAPPORT/archive/test/$stamp/$deb: got 15 bytes with sha256"
check "and no .deb is left in the download folder" sh -c "! ls '$IMAGEGEN_CACHE'/deb/*.deb 2> /dev/null"

# no snapshot: the 404 is the error, naming the package and the URL
sed -i '/snapshot = /d; s/keyring = "\([^"]*\)",$/keyring = "\1" }/' ../src/build.lua
"$IMAGEGEN" --locked ../src/build.lua > gen3.out 2>&1 && ninja > ninja3.log 2>&1
same "without a snapshot: the build fails" 1 "$([ $? -ne 0 ] && echo 1 || echo 0)"
contains "one line naming the package, its URL and the 404" ninja3.log "imagegen: fetch hello-snap from $URL/$deb: HTTP 404"

# a snapshot that is not a URL: one line at the field
cat > ../src/build.lua <<EOF
local repo = repository { url = "$URL", suite = "stable", snapshot = "snapshots" }
EOF
"$IMAGEGEN" ../src/build.lua > bad.out 2>&1
contains "snapshot = \"snapshots\": one line at its line" bad.out "build.lua:1: repository: snapshot must be the http, https or file URL"
