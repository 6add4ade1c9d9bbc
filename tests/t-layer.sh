# The canonical layer, entry by entry: order, parents, modes, owners,
# mtimes, links, long names, xattrs; and the gzip header.
. "$TOP/tests/lib.sh"

workdir layer
mkdir -p "$W/src/tree/sub" "$W/src/tree/empty" "$W/src/prebuilt" "$W/b"
cd "$W/src" || exit 1
long=$(printf 'd%.0s' $(seq 1 110))
mkdir -p "tree/$long"
echo a > tree/a.txt
printf '#!/bin/sh\n' > tree/run.sh
chmod 700 tree/run.sh
chmod 600 tree/a.txt
ln tree/a.txt tree/sub/hard.txt
ln -s ../a.txt tree/sub/link
echo deep > "tree/$long/f"
echo tool > prebuilt/tool
chmod 750 prebuilt/tool
echo conf > conf.txt
touch -d '2001-02-03 04:05:06' tree/a.txt conf.txt
cat > build.lua <<'LUA'
image {
  name = "l",
  layers = {
    { name = "one", files = {
      { "/usr/bin/tool", external "prebuilt/tool" },
      { "/etc/conf", "conf.txt", mode = "0640", uid = 1000, gid = 50, xattrs = { ["user.note"] = "hi" } },
      { "/etc/motd", text "hello\n" },
      { "/bin/sh", symlink "busybox" },
      { "/tmp", dir(), mode = "1777" },
      { "/etc-old", dir() },
    } },
    { name = "tree", files = { { "/srv", tree "tree" } } },
  },
}
LUA
cd "$W/b" || exit 1
SOURCE_DATE_EPOCH=1234567890 "$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1
check "the layers build" test -f out/l/index.json

layerblob() {
	echo ".imagegen/blobs/sha256/$(jget ".imagegen/layer/l/$1.json" "j['digest'][7:]")"
}

python3 "$TOP/tests/tarlist.py" "$(layerblob one)" > one.list
cat > one.expected <<LIST
d bin/ 0755 0:0 [:] 1234567890 0 - -
l bin/sh 0777 0:0 [:] 1234567890 0 busybox -
d etc/ 0755 0:0 [:] 1234567890 0 - -
d etc-old/ 0755 0:0 [:] 1234567890 0 - -
f etc/conf 0640 1000:50 [:] 1234567890 5 - SCHILY.xattr.user.note=hi
f etc/motd 0644 0:0 [:] 1234567890 6 - -
d tmp/ 1777 0:0 [:] 1234567890 0 - -
d usr/ 0755 0:0 [:] 1234567890 0 - -
d usr/bin/ 0755 0:0 [:] 1234567890 0 - -
f usr/bin/tool 0755 0:0 [:] 1234567890 5 - -
LIST
if diff -u one.expected one.list > one.diff; then ok "layer one: entries, order and headers"; else fail "layer one differs"; sed 's/^/    /' one.diff; fi

python3 "$TOP/tests/tarlist.py" "$(layerblob tree)" > tree.list
cat > tree.expected <<LIST
d srv/ 0755 0:0 [:] 1234567890 0 - -
f srv/a.txt 0644 0:0 [:] 1234567890 2 - -
d srv/$long/ 0755 0:0 [:] 1234567890 0 - -
f srv/$long/f 0644 0:0 [:] 1234567890 5 - -
d srv/empty/ 0755 0:0 [:] 1234567890 0 - -
f srv/run.sh 0755 0:0 [:] 1234567890 10 - -
d srv/sub/ 0755 0:0 [:] 1234567890 0 - -
h srv/sub/hard.txt 0644 0:0 [:] 1234567890 0 srv/a.txt -
l srv/sub/link 0777 0:0 [:] 1234567890 0 ../a.txt -
LIST
if diff -u tree.expected tree.list > tree.diff; then ok "layer tree: entries, order and headers"; else fail "layer tree differs"; sed 's/^/    /' tree.diff; fi

# gzip header: magic, deflate, no flags (so no name), mtime 0, unix
same "the gzip header carries no name and no time" "1f8b08000000000000ff" \
	"$(head -c 10 "$(layerblob one)" | od -An -tx1 | tr -d ' \n' | sed 's/\(....\)\(....\)\(........\)..\(..\)/\1\2\300\4/')"
same "diff_id is the sha256 of the uncompressed tar" \
	"$(jget .imagegen/layer/l/one.json "j['diffid']")" "sha256:$(gzip -dc "$(layerblob one)" | sha256sum | cut -d' ' -f1)"
same "digest is the sha256 of the blob" \
	"$(jget .imagegen/layer/l/one.json "j['digest']")" "sha256:$(sha256sum < "$(layerblob one)" | cut -d' ' -f1)"
same "size is the blob's size" "$(jget .imagegen/layer/l/one.json "j['size']")" "$(wc -c < "$(layerblob one)")"

# a file made outside the definitions: ninja reruns the layer when it changes
echo tool2 > ../src/prebuilt/tool
ninja > ext.log 2>&1
contains "a changed external file reruns its layer" ext.log "LAYER l/one"
