# Steps in images, end to end, with the machine's Debian mirror and the npm
# registry: examples/node (npm ci in a builder image of Debian's nodejs and
# npm, a runtime image of nodejs alone) built by its README.md's commands,
# word for word, in a folder with capital letters and a space (one imagegen
# && ninja), run under podman and runc as a user without privileges, answering HTTP
# with Debian's Node; a second ninja does nothing; an edit of the lock
# reruns npm ci and its layer alone, one of the app its layer alone; two
# build folders (another umask and time zone, and file order shuffled by
# disorderfs where it is installed) give the same layer. examples/gcc: a C
# program built without the network by a Debian toolchain, its README.md's
# commands word for word, run.
# The downloads are kept in $IMAGEGEN_TEST_CACHE (default
# ~/.cache/imagegen-tests).
. "$TOP/tests/lib.sh"

export IMAGEGEN_CACHE="${IMAGEGEN_TEST_CACHE:-$HOME/.cache/imagegen-tests}"

for tool in bwrap podman runc umoci curl; do
	if ! have $tool; then
		fail "e2e-steps: $tool is not installed (apt-get install bubblewrap podman runc umoci curl)"
		exit 0
	fi
done

# layer B IMAGE NAME: the digest of IMAGE's layer created by "imagegen layer IMAGE/NAME" in build folder B
layer() {
	jget "$1/.imagegen/image/$2.json" \
		'[l["digest"] for l, h in zip(j["layers"], [x for x in j["config"]["history"] if not x.get("empty_layer")]) if h.get("created_by") == "imagegen layer '"$2/$3"'"][0]'
}

# freeport: a TCP port of 127.0.0.1 that nothing listens on now
freeport() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# answer PORT: what GET / says on 127.0.0.1:PORT, tried for 30 s
answer() {
	for _ in $(seq 60); do
		if curl -s -f "http://127.0.0.1:$1/" 2> /dev/null; then
			return 0
		fi
		sleep 0.5
	done
	return 1
}

workdir steps-e2e
# the repository as a user has it, in a folder whose path has capital letters
# and a space: the binary at its top, the examples without a lock
R="$W/My Projects/imagegen"
mkdir -p "$R/examples"
cp -R "$TOP/examples/node" "$TOP/examples/gcc" "$R/examples/"
find "$R/examples" -name imagegen.lock -exec rm -f {} +
ln -s "$TOP/imagegen" "$R/imagegen"
SRC=$R/examples/node
A=$R/build/node
# a network that intercepts TLS has certificate authorities of its own,
# which this machine trusts: the builder image trusts them too (as the
# example's README.md says)
certs=
for c in /usr/local/share/ca-certificates/*.crt; do
	[ -f "$c" ] && certs="$certs { \"/usr/local/share/ca-certificates/$(basename "$c")\", \"$c\" },"
done
if [ -n "$certs" ]; then
	sed -i "s|^  essential = true,\$|  essential = true,\n  files = { $certs },|" "$SRC/build.lua"
fi

# readme NAME: run examples/NAME/README.md's sh blocks, in order, as one
# shell script (set -e, each command echoed) from the top of the copy; its
# output in $W/NAME.out
readme() {
	awk '/^```sh$/ { on = 1; next } /^```$/ { on = 0 } on' "$R/examples/$1/README.md" > "$W/$1.sh"
	(cd "$R" && timeout 900 sh -ex "$W/$1.sh" < /dev/null) > "$W/$1.out" 2>&1
}

# podman: the machine's settings (tests/containers), a private storage
if ! pmsetup; then
	fail "e2e-steps: podman is not installed"
	exit 0
fi
export CONTAINERS_CONF="$W/podman/containers.conf" CONTAINERS_STORAGE_CONF="$W/podman/storage.conf"
atexit 'pm rm -f node > /dev/null 2>&1; pmdone'

# node: the README's commands, word for word: one imagegen && ninja builds
# it, podman runs it as the image's user, and it answers HTTP with Debian's Node
readme node
same "node: the README's commands build it, and podman runs it" 0 $?
tail -n 5 "$W/node.out" | sed 's/^/    /'
same "node: npm ci ran in the graph" 1 "$(count "$W/node.out" 'NPM ci')"
cd "$A" || exit 1
check "node: express is in the deps layer" test -f gen/node_modules/express/package.json
ninja -n > n.log 2>&1
contains "node: a second ninja does nothing" n.log "no work to do"
deps=$(layer . node deps)
app=$(layer . node app)
check "node: the deps and app layers" test -n "$deps" -a -n "$app"
# v18.20.4 for 18.20.4+dfsg-1~deb12u3
debian=$(jget "$SRC/imagegen.lock" \
	'"v" + [p["version"] for p in j["images"]["node"]["packages"] if p["name"] == "nodejs"][0].split("+")[0].split("-")[0]')
check "node: the lock pins Debian's nodejs" test -n "$debian"
contains "node: podman: it answers HTTP with Debian's Node as uid 1000" "$W/node.out" \
	"hello from express on node $debian, uid 1000"
host=$(node --version 2> /dev/null || echo none)
check "node: not this machine's Node ($host)" test "$host" != "$debian"
# runc: the OCI layout, unpacked by umoci; the config's user
rm -rf bundle
if umoci unpack --image out/node:1 bundle > /dev/null 2>&1; then
	port=$(freeport)
	python3 - bundle/config.json "$port" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["env"] = [e for e in c["process"]["env"] if not e.startswith("PORT=")] + ["PORT=" + sys.argv[2]]
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
json.dump(c, open(sys.argv[1], "w"))
EOF
	same "node: runc: the config's user" "1000 1000" "$(jget bundle/config.json 'str(j["process"]["user"]["uid"]) + " " + str(j["process"]["user"]["gid"])')"
	(cd bundle && exec timeout 120 runc run "imagegen-steps-$$" < /dev/null > ../runc.log 2>&1) &
	runcpid=$!
	answer "$port" > answer-runc.txt
	same "node: runc: it answers HTTP with Debian's Node as uid 1000" \
		"hello from express on node $debian, uid 1000" "$(cat answer-runc.txt)"
	runc kill "imagegen-steps-$$" KILL > /dev/null 2>&1
	wait "$runcpid" 2> /dev/null
	runc delete -f "imagegen-steps-$$" > /dev/null 2>&1
else
	fail "node: umoci unpacks out/node"
fi

# another build folder, umask and time zone, and file order shuffled by
# disorderfs where it is installed (one build for the three: each was a
# build of its own): the same layers. The folder of the roots steps run in
# (.imagegen/root: the builder image's Debian npm, thousands of files that
# npm alone reads, no byte of them in a layer) is a folder of the disk bound
# there: unpacked through FUSE it took minutes
mkdir -p "$W/b-real" "$W/b" "$W/b-roots"
onfuse=
if have disorderfs && [ -e /dev/fuse ]; then
	if disorderfs --shuffle-dirents=yes --multi-user=yes "$W/b-real" "$W/b" > /dev/null 2>&1; then
		atexit "umount '$W/b/.imagegen/root' 2> /dev/null; fusermount -u '$W/b' 2> /dev/null"
		onfuse=yes
		mkdir -p "$W/b/.imagegen/root"
		mount --bind "$W/b-roots" "$W/b/.imagegen/root" 2> /dev/null ||
			echo "    (the roots on disorderfs too: mount --bind refused here)"
	else
		skip "node: disorderfs cannot mount here"
	fi
else
	skip "node: disorderfs is not installed (apt-get install disorderfs), or no /dev/fuse"
fi
cd "$W/b" || exit 1
(umask 077 && "$IMAGEGEN" "$SRC/build.lua" > gen.log 2>&1 && TZ=Pacific/Chatham ninja > 1.log 2>&1)
same "node: another build folder, umask 077, time zone${onfuse:+, on disorderfs}: builds" 0 $?
same "node: another build folder, umask 077, time zone${onfuse:+, on disorderfs}: the same deps layer" "$deps" "$(layer . node deps)"
same "node: another build folder, umask 077, time zone${onfuse:+, on disorderfs}: the same image" \
	"$(jget "$A/.imagegen/image/node.json" 'j["manifest"]["digest"]')" "$(jget .imagegen/image/node.json 'j["manifest"]["digest"]')"
if [ -n "$onfuse" ]; then
	# disorderfs shuffles each listing anew: two listings of npm's output differ
	check "node: on disorderfs, the folders are read in shuffled order" \
		sh -c '[ "$(ls -f gen/node_modules)" != "$(ls -f gen/node_modules)" ]'
	check "node: on disorderfs, the same manifest of npm's output folder" diff -r "$A/.imagegen/folder" .imagegen/folder
	cd "$W" && umount "$W/b/.imagegen/root" 2> /dev/null
	fusermount -u "$W/b" 2> /dev/null
fi

# an edit of the lock reruns npm ci and the deps layer alone
cd "$A" || exit 1
python3 - "$SRC/package-lock.json" <<'EOF'
import json, sys
p = sys.argv[1]
lock = json.load(open(p))
lock["packages"]["node_modules/ms"]["license"] = "MIT-0"
open(p, "w").write(json.dumps(lock, indent=2) + "\n")
EOF
ninja > 2.log 2>&1
same "node: editing package-lock.json reruns npm ci" 1 "$(count 2.log 'NPM ci')"
same "node: editing package-lock.json reruns the deps layer, not the app's" "1 0" \
	"$(count 2.log 'LAYER node/deps') $(count 2.log 'LAYER node/app')"
check "node: the edit is in the deps layer" test "$(layer . node deps)" != "$deps"
ninja -n > n.log 2>&1
contains "node: after the lock's edit, nothing to do" n.log "no work to do"
# an edit of the app reruns its layer alone
sed -i 's/hello from express/hello again from express/' "$SRC/server.js"
ninja > 3.log 2>&1
same "node: editing server.js reruns the app layer alone" "0 0 1" \
	"$(count 3.log 'NPM ci') $(count 3.log 'LAYER node/deps') $(count 3.log 'LAYER node/app')"

# gcc: no network, a Debian toolchain, a folder laid over the runtime image;
# the README's commands, word for word (podman runs it by name: an image of
# oci:PATH is named after the path, which may not hold capital letters)
readme gcc
same "gcc: the README's commands build it, and podman runs it as nobody" 0 $?
tail -n 5 "$W/gcc.out" | sed 's/^/    /'
same "gcc: make ran in the builder image" 1 "$(count "$W/gcc.out" 'MAKE greet')"
contains "gcc: it prints its message" "$W/gcc.out" "hello from a program built by the toolchain of a Debian builder image"
contains "gcc: built by Debian's gcc 12" "$W/gcc.out" "built by gcc 12."
mkdir "$W/gcc2" && cd "$W/gcc2" || exit 1
(umask 077 && "$IMAGEGEN" "$R/examples/gcc/build.lua" > gen.log 2>&1 && ninja > 1.log 2>&1)
same "gcc: another build folder and umask: the same image" \
	"$(jget "$R/build/gcc/.imagegen/image/greet.json" 'j["manifest"]["digest"]')" "$(jget .imagegen/image/greet.json 'j["manifest"]["digest"]')"
