# The layer budget with Docker 20.10 (issue 26, item 1): an image of 20
# packages (python3, git, curl, perl and friends: about 140 with their
# dependencies) from the machine's Debian mirror is 100 layers under the
# default budget (one layer a package would be more than Docker takes), and
# a dockerd this test starts (its own data root, exec root, pidfile and
# socket; overlay2 where overlays mount, else vfs; no bridge, no iptables;
# an empty data root, stopped by its PID) loads out/NAME.tar and runs it. Why the budget: an image of 130 small
# layers (maxlayers = 130) is refused by that dockerd ("max depth
# exceeded"), and without maxlayers imagegen refuses to write it. Downloads
# are cached across runs in $IMAGEGEN_TEST_CACHE. (vfs copies every layer's
# parent: loading the 20-package image with it writes about 9 GB, removed at exit.)
. "$TOP/tests/lib.sh"

workdir budget-e2e
export IMAGEGEN_CACHE="${IMAGEGEN_TEST_CACHE:-$HOME/.cache/imagegen-tests}"
DOCKERD=/usr/sbin/dockerd
DOCKER=/usr/bin/docker

# budgetdockerd DIR: start Debian's dockerd (20.10) with everything under
# DIR (data root, exec root, pidfile, socket; a containerd of its own under
# the exec root), an empty data root; sets BUDGETSOCK and BUDGETDPID once
# it answers, else returns 1 (its log in DIR/log). budgetdockerdstop ends it.
BUDGETDPID=
budgetdockerd() {
	mkdir -p "$1/data" "$1/exec"
	# the data root in memory (a tmpfs of 4 GB) where one mounts: docker
	# syncs each layer it registers, and on this shared disk loading the
	# 130 layers took over a minute
	mount -t tmpfs -o size=4g,mode=0711 tmpfs "$1/data" 2>/dev/null
	# overlay2 where the kernel mounts overlays there (vfs copies each layer's
	# parent whole: some 9 GB for the 20-package image, on the disk), else vfs
	mkdir -p "$1/data/probe/l" "$1/data/probe/u" "$1/data/probe/w" "$1/data/probe/m"
	driver=vfs
	if mount -t overlay overlay -o "lowerdir=$1/data/probe/l,upperdir=$1/data/probe/u,workdir=$1/data/probe/w" \
		"$1/data/probe/m" 2>/dev/null; then
		umount "$1/data/probe/m" && driver=overlay2
	fi
	rm -rf "$1/data/probe"
	[ "$driver" = overlay2 ] || ! mountpoint -q "$1/data" || umount "$1/data"
	BUDGETSOCK=$1/docker.sock
	"$DOCKERD" --data-root "$1/data" --exec-root "$1/exec" --pidfile "$1/docker.pid" -H "unix://$BUDGETSOCK" \
		--bridge none --iptables=false --ip6tables=false --ip-masq=false --storage-driver "$driver" \
		--default-ulimit nofile=1024:1024 --userland-proxy=false > "$1/log" 2>&1 &
	BUDGETDPID=$!
	for _ in $(seq 1 60); do
		if "$DOCKER" -H "unix://$BUDGETSOCK" version > /dev/null 2>&1; then return 0; fi
		kill -0 "$BUDGETDPID" 2>/dev/null || break
		sleep 0.5
	done
	budgetdockerdstop
	return 1
}
budgetdockerdstop() {
	if [ -n "$BUDGETDPID" ]; then
		kill "$BUDGETDPID" 2>/dev/null
		# dockerd stops its containerd before it exits
		for _ in $(seq 1 40); do kill -0 "$BUDGETDPID" 2>/dev/null || break; sleep 0.5; done
		wait "$BUDGETDPID" 2>/dev/null
		BUDGETDPID=
	fi
	# dockerd binds its data root on itself (left behind if it was killed),
	# over the tmpfs: unmounted, what they held is gone
	while mountpoint -q "$W/docker/data" 2>/dev/null; do umount "$W/docker/data" || break; done
	rm -rf "$W/docker/data"
}
atexit budgetdockerdstop

# layers LAYOUT: the number of layers of the layout's image
layers() {
	python3 - "$1" <<'PY'
import json, sys
d = sys.argv[1]
i = json.load(open(d + "/index.json"))
print(len(json.load(open(d + "/blobs/sha256/" + i["manifests"][0]["digest"][7:]))["layers"]))
PY
}

# speclayers NAME: the number of layers of image NAME as generated here (nothing built)
speclayers() {
	python3 - "$1" <<'PY'
import glob, json, sys
specs = {}
for f in glob.glob(".imagegen/spec/bundle/*.json"):
    specs.update(json.load(open(f)))
print(len(specs[".imagegen/spec/image/%s.json" % sys.argv[1]]["layers"]))
PY
}

mkdir -p "$W/src" "$W/b" && cd "$W/b" || exit 1
cat > "$W/src/build.lua" <<'EOF'
image {
  name = "twenty",
  packages = { "python3", "git", "curl", "perl", "ca-certificates", "openssl", "wget", "less", "procps",
    "xz-utils", "bzip2", "openssh-client", "iproute2", "make", "jq", "file", "tzdata", "vim-tiny", "coreutils",
    "dash" },
  cmd = { "/usr/bin/python3", "-c", "import ssl, sqlite3; print('twenty ok')" },
}
EOF
if ! "$IMAGEGEN" lock ../src/build.lua > lock.out 2>&1; then
	fail "twenty: imagegen lock against the machine's apt sources"
	sed 's/^/    /' lock.out | head -n 5
	exit 0
fi
n=$(jget ../src/imagegen.lock 'len(j["images"]["twenty"]["packages"])')
check "twenty: more than 100 packages in the lock ($n)" test "$n" -gt 100
check "twenty: builds (layout and docker-archive)" sh -c "'$IMAGEGEN' --locked ../src/build.lua && ninja > ninja.log 2>&1 && ninja out/twenty.tar >> ninja.log 2>&1"
same "twenty: 100 layers, the default budget" 100 "$(layers out/twenty)"
same "twenty: the archive's manifest has the same 100" 100 \
	"$(tar -xOf out/twenty.tar manifest.json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["Layers"]))')"

# the same lock, one layer a package: more than Docker takes (generated, not built)
mkdir -p "$W/each/src" "$W/each/b" && cp ../src/imagegen.lock "$W/each/src/"
sed 's|^image {|image { maxlayers = 10000,|' ../src/build.lua > "$W/each/src/build.lua"
(cd "$W/each/b" && "$IMAGEGEN" --locked ../src/build.lua > gen.out 2>&1)
same "without the budget: one layer a package ($n + 2)" "$((n + 2))" "$(cd "$W/each/b" && speclayers twenty)"

# 130 layers of one small file each: over the default budget, an error
mkdir -p "$W/deep/b"
python3 - "$W/deep/build.lua" <<'PY'
import sys
layers = ", ".join('{ name = "l%d", files = { { "/l/%d", text "%d" } } }' % (i, i, i) for i in range(130))
open(sys.argv[1], "w").write('image { name = "deep", layers = { %s }, cmd = { "/x" } }\n' % layers)
PY
(cd "$W/deep/b" && "$IMAGEGEN" ../build.lua > gen.out 2>&1)
same "130 layers: imagegen refuses them under the default budget" \
	"1 imagegen: ../build.lua:1: image 'deep': 130 layers, over its budget of 100 (maxlayers): 0 of its bases and 130 of its own" \
	"$? $(cat "$W/deep/b/gen.out")"
sed -i 's|^image {|image { maxlayers = 130,|' "$W/deep/build.lua"
check "130 layers with maxlayers = 130: built" sh -c "cd '$W/deep/b' && '$IMAGEGEN' ../build.lua && ninja out/deep.tar > ninja.log 2>&1"

if ! [ -x "$DOCKERD" ] || ! [ -x "$DOCKER" ]; then
	skip "docker: Docker 20.10 is not installed here (apt-get install docker.io)"
	exit 0
fi
if ! budgetdockerd "$W/docker"; then
	skip "docker: dockerd did not start here ($(tail -n 1 "$W/docker/log" | cut -c1-160))"
	exit 0
fi
check "docker: an empty data root" test -z "$("$DOCKER" -H "unix://$BUDGETSOCK" images -q)"
check "docker 20.10: docker load -i out/twenty.tar" "$DOCKER" -H "unix://$BUDGETSOCK" load -i out/twenty.tar
"$DOCKER" -H "unix://$BUDGETSOCK" run --rm --network none twenty:latest true > run.out 2>&1
same "docker 20.10: docker run --rm --network none twenty true" 0 "$?"
"$DOCKER" -H "unix://$BUDGETSOCK" run --rm --network none twenty:latest > run.out 2>&1
same "docker 20.10: python3 runs, with ssl and sqlite3" "twenty ok" "$(cat run.out)"
"$DOCKER" -H "unix://$BUDGETSOCK" run --rm --network none twenty:latest sh -c \
	'git --version >/dev/null && curl --version >/dev/null && perl -e1 && wget --version >/dev/null && echo tools ok' \
	> run.out 2>&1
same "docker 20.10: sh, git, curl, perl and wget run" "tools ok" "$(cat run.out)"
# twenty stays until the data root goes at the end: docker rmi of its 100
# layers took minutes, and deep's 130 are refused whatever else is loaded
"$DOCKER" -H "unix://$BUDGETSOCK" load -i "$W/deep/b/out/deep.tar" > deep.out 2>&1 &&
	"$DOCKER" -H "unix://$BUDGETSOCK" run --rm --network none deep:latest >> deep.out 2>&1
contains "docker 20.10: 130 layers are refused (why the budget)" deep.out "max depth exceeded"
pid=$BUDGETDPID
budgetdockerdstop
check "docker: dockerd stopped by its PID" sh -c "! kill -0 $pid 2>/dev/null"
