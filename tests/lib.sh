# lib.sh: sourced by each test script. Checks append "ok ...", "FAIL ..." or
# "skip ..." (a check that cannot run here: an optional tool is missing) to
# the script's own results, $RUN/results (run.sh gives each script
# tests/work/NAME); a script keeps going after a failed check.
# Everything the tests need is in tests/; the one thing outside is optional:
# the OCI layout validator ../shared/tools/oci-validate, run when present.
IMAGEGEN=$TOP/imagegen
RUN=${RUN:-$TOP/tests/work/$(basename "$0" .sh)}
RESULTS=$RUN/results
VALIDATOR=$TOP/../shared/tools/oci-validate
export LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH=0
mkdir -p "$RUN"

ok() {
	echo "ok $*"
	echo "ok $*" >> "$RESULTS"
}

fail() {
	echo "FAIL $*"
	echo "FAIL $*" >> "$RESULTS"
}

skip() {
	echo "skip $*"
	echo "skip $*" >> "$RESULTS"
}

# check DESCRIPTION COMMAND...: ok when the command exits 0
check() {
	desc=$1
	shift
	if "$@" >"$RUN/check.out" 2>&1; then
		ok "$desc"
	else
		fail "$desc"
		sed 's/^/    /' "$RUN/check.out" | head -n 20
	fi
}

# same DESCRIPTION EXPECTED ACTUAL: ok when the two strings are equal
same() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1"
		echo "    expected: $2"
		echo "    actual:   $3"
	fi
}

# contains DESCRIPTION FILE TEXT: ok when FILE has a line containing TEXT
contains() {
	if grep -q -F -e "$3" "$2"; then
		ok "$1"
	else
		fail "$1"
		echo "    no line with '$3' in:"
		sed 's/^/    /' "$2" | head -n 20
	fi
}

# workdir NAME: a fresh folder for this test, as $W
workdir() {
	W=$TOP/tests/work/$1
	rm -rf "$W"
	mkdir -p "$W"
}

# blob LAYOUT DIGEST: the path of a blob in an OCI layout
blob() {
	echo "$1/blobs/sha256/${2#sha256:}"
}

# jget FILE EXPR: a value from a JSON file (python3 expression on j)
jget() {
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

# count FILE TEXT: how many lines of FILE contain TEXT
count() {
	grep -c -F -e "$2" "$1"
}

# have COMMAND: whether a tool is installed
have() {
	command -v "$1" >/dev/null 2>&1
}

# canvalidate: whether the OCI validator and python3's jsonschema are here
canvalidate() {
	[ -f "$VALIDATOR" ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null
}

# checkvalid DESCRIPTION [--epoch N] LAYOUT: check the layout with the OCI
# validator, or say the check was skipped when the validator cannot run here
checkvalid() {
	desc=$1
	shift
	if canvalidate; then
		check "$desc" /usr/bin/python3 "$VALIDATOR" "$@"
	else
		skip "$desc (no ../shared/tools/oci-validate or no python3-jsonschema here)"
	fi
}

# listenport PID: wait until the server PID (started on port 0) listens, and
# print its port; fails if it exits first or does not listen within 10 s
listenport() {
	python3 "$TOP/tests/listenport.py" "$1"
}

# stop PID: end a server this script started, and reap it
stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# atexit COMMAND: run COMMAND (a line of shell) when the test exits, after
# the ones given before it; what a helper starts, it stops this way
ATEXIT=:
atexit() {
	ATEXIT="$ATEXIT; $1"
	trap 'eval "$ATEXIT"' EXIT
}

# pmsetup: podman's settings for these machines (tests/containers) with a
# private storage under $W/podman; fails if podman is missing
pmsetup() {
	have podman || return 1
	mkdir -p "$W/podman"
	sed -e "s|^graphroot *=.*|graphroot = \"$W/podman/graph\"|" \
	    -e "s|^runroot *=.*|runroot = \"$W/podman/run\"|" \
	    "$TOP/tests/containers/storage.conf" > "$W/podman/storage.conf"
	# podman's own temporary folder private too (the default, /run/libpod, is
	# the machine's, and another podman's reset removes it)
	sed -e "s|^\[engine\]|[engine]\ntmp_dir = \"$W/podman/tmp\"|" \
	    "$TOP/tests/containers/containers.conf" > "$W/podman/containers.conf"
}

# pm ARG...: podman with the settings and the private storage
pm() {
	CONTAINERS_CONF=$W/podman/containers.conf \
	CONTAINERS_STORAGE_CONF=$W/podman/storage.conf \
	timeout 120 podman "$@" < /dev/null
}

# pmcopy LAYOUT:TAG NAME: the image of an OCI layout into the private storage
# as NAME (skopeo copy to containers-storage), for pm run NAME. Not pm run
# oci:LAYOUT:TAG: podman names that image after the layout's path, and
# refuses a path with a capital letter in it
pmcopy() {
	CONTAINERS_CONF=$W/podman/containers.conf \
	CONTAINERS_STORAGE_CONF=$W/podman/storage.conf \
	timeout 120 skopeo copy -q "oci:$1" "containers-storage:$2" < /dev/null
}

# pmdone: remove the private storage
pmdone() {
	pm system reset -f > /dev/null 2>&1
	rm -rf "$W/podman"
}

# runin LAYOUT:TAG CMD...: run CMD in the image with runc (unpacked once into
# $W/run/NAME), on the host's network, as root with the capabilities
# container engines give by default; prints what it prints
runin() {
	ref=$1
	shift
	b=$W/run/$(echo "$ref" | tr ':/' '__')
	if [ ! -d "$b" ]; then
		mkdir -p "$W/run" && umoci unpack --image "$ref" "$b" > /dev/null || return 1
	fi
	python3 - "$b/config.json" "$@" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["args"] = sys.argv[2:]
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
c["process"]["env"] = [e for e in c["process"].get("env", []) if not e.startswith("PATH=")] + \
    ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
c["root"]["readonly"] = False
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE",
        "CAP_SETFCAP"]
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] = caps
json.dump(c, open(sys.argv[1], "w"))
PY
	(cd "$b" && timeout 120 runc run "imagegen-test-$$-$(basename "$b")" < /dev/null)
}

# signedrepo: a signed Debian repository for the test, in $W/repo: the
# functions of tests/debrepo.sh, with ARCH (and DEBARCH) this machine's
# architecture and the key in $W/test.gpg; gpg's agent and the server whose
# PID the test puts in SERVER are stopped at exit
signedrepo() {
	export REPO="$W/repo" GNUPGHOME="$W/gnupg"
	DEBARCH=$(dpkg --print-architecture)
	mkdir -p "$REPO" && mkdir -m 700 "$GNUPGHOME"
	ARCH=$DEBARCH
	. "$TOP/tests/debrepo.sh"
	SERVER=
	atexit '[ -z "$SERVER" ] || stop "$SERVER"; gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null'
	mkkey "imagegen tests" tests@example.invalid "$W/test.gpg"
}

# imagegensources PORT KEYRING: the apt sources an image built from the test
# repository on 127.0.0.1:PORT verified with KEYRING names
# (/etc/apt/sources.list.d/imagegen.sources)
imagegensources() {
	printf '%s\n' "# the repositories this image was built from (imagegen)" "" "Types: deb" \
		"URIs: http://127.0.0.1:$1" "Suites: stable" "Components: main" \
		"Signed-By: /etc/apt/keyrings/$2"
}

# specargs SPEC: a helper's spec arguments for SPEC as ./build.ninja gives
# them: "--part BUNDLE SUM SPEC" for a spec in a definition's bundle, else SPEC
specargs() {
	sed -n "s|^  part = \(--part [^ ]* [^ ]* $1\)\$|\1|p" build.ninja | grep . || printf '%s\n' "$1"
}

# needdebtools WHAT: the tools a test repository (tests/debrepo.sh) needs;
# when one is missing, a failure naming the packages, and 1 (the test stops)
needdebtools() {
	for tool in dpkg-deb dpkg-scanpackages apt-ftparchive gpg gpgv xz; do
		if ! have $tool; then
			fail "$1: $tool is not installed (apt-get install dpkg-dev apt-utils gnupg gpgv xz-utils)"
			return 1
		fi
	done
}

# registry NAME [HTPASSWD]: start Debian's docker-registry storing in $W/NAME
# (with basic auth from HTPASSWD), on the port the kernel gives it; sets
# REGPID and, once it listens, REG (host:port). stopregistry ends it.
registry() {
	sed "s|^\( *rootdirectory:\).*|\1 $W/$1|" "$TOP/tests/containers/registry.yml" > "$W/$1.yml"
	if [ -n "${2:-}" ]; then
		printf 'auth:\n  htpasswd:\n    realm: basic-realm\n    path: %s\n' "$2" >> "$W/$1.yml"
	fi
	startregistry "$1"
}

# startregistry NAME: run the registry of $W/NAME.yml (which says 127.0.0.1:0)
startregistry() {
	docker-registry serve "$W/$1.yml" >> "$W/$1.log" 2>&1 &
	REGPID=$!
	if ! port=$(listenport "$REGPID" 2>> "$W/$1.log"); then
		fail "registry: $1 did not start: $(tail -n 3 "$W/$1.log")"
		return 1
	fi
	REG=127.0.0.1:$port
}

stopregistry() {
	[ -z "${REGPID:-}" ] || stop "$REGPID"
	REGPID=
}

# startdockerd NAME: a private Docker 20.10 daemon (/usr/sbin/dockerd, its
# own containerd) with everything under $W/NAME: data root, exec root,
# pidfile, unix socket; overlay2 where the kernel mounts overlays here, else
# vfs (which copies each layer's parent whole); no bridge or iptables. Sets DOCKERDPID and
# DOCKERHOST (unix://SOCKET) for dk; 1 when it does not answer within 30 s
# (its log in $W/NAME.log). stopdockerd ends it.
startdockerd() {
	DOCKERDPID=
	[ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || return 1
	mkdir -p "$W/$1/probe/l" "$W/$1/probe/u" "$W/$1/probe/w" "$W/$1/probe/m"
	DOCKERDRIVER=vfs
	if mount -t overlay overlay -o "lowerdir=$W/$1/probe/l,upperdir=$W/$1/probe/u,workdir=$W/$1/probe/w" \
		"$W/$1/probe/m" 2>/dev/null; then
		umount "$W/$1/probe/m" && DOCKERDRIVER=overlay2
	fi
	DOCKERDATA=$W/$1/data
	DOCKERHOST=unix://$W/$1/sock
	/usr/sbin/dockerd --data-root "$W/$1/data" --exec-root "$W/$1/exec" --pidfile "$W/$1/pid" \
		-H "$DOCKERHOST" --bridge none --iptables=false --ip6tables=false --ip-masq=false \
		--storage-driver "$DOCKERDRIVER" --default-ulimit nofile=1024:1024 --userland-proxy=false \
		${2:+--insecure-registry "$2"} > "$W/$1.log" 2>&1 &
	DOCKERDPID=$!
	for _ in $(seq 150); do
		dk version > /dev/null 2>&1 && return 0
		kill -0 "$DOCKERDPID" 2>/dev/null || break
		sleep 0.2
	done
	stopdockerd
	return 1
}

# dk ARG...: the Docker 20.10 client (/usr/bin/docker, not a newer one on the
# PATH) of the daemon startdockerd started, with its own client config
dk() {
	DOCKER_CONFIG=$W/dockercfg DOCKER_CLI_EXPERIMENTAL=enabled timeout 120 /usr/bin/docker -H "$DOCKERHOST" "$@" < /dev/null
}

# stopdockerd: remove the daemon's containers, end it by its PID (its
# containerd with it) and wait for it
stopdockerd() {
	[ -n "${DOCKERDPID:-}" ] || return 0
	ids=$(dk ps -aq 2>/dev/null)
	[ -z "$ids" ] || dk rm -f $ids > /dev/null 2>&1
	kill "$DOCKERDPID" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$DOCKERDPID" 2>/dev/null || break
		sleep 0.2
	done
	kill -9 "$DOCKERDPID" 2>/dev/null
	wait "$DOCKERDPID" 2>/dev/null
	DOCKERDPID=
	# a daemon killed leaves its data root bound on itself, and overlays under it
	for m in $(awk -v d="$DOCKERDATA" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null
	done
	rm -rf "$DOCKERDATA"
}

# startcontainerd NAME: a private containerd (Debian's, 1.6) with its root,
# state and sockets under $W/NAME, the CRI plugin off. Sets CTRDPID and
# CTRADDR (its socket) for ctr; 1 when it does not answer within 10 s (its
# log in $W/NAME/log). stopcontainerd ends it.
startcontainerd() {
	CTRDPID=
	have containerd && have ctr || return 1
	mkdir -p "$W/$1"
	CTRADDR=$W/$1/sock
	cat > "$W/$1/config.toml" <<CONF
version = 2
root = "$W/$1/root"
state = "$W/$1/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTRADDR"
[ttrpc]
  address = "$CTRADDR.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
CONF
	containerd --config "$W/$1/config.toml" > "$W/$1/log" 2>&1 &
	CTRDPID=$!
	for _ in $(seq 50); do
		[ -S "$CTRADDR" ] && ctr version > /dev/null 2>&1 && return 0
		kill -0 "$CTRDPID" 2>/dev/null || break
		sleep 0.2
	done
	stopcontainerd
	return 1
}

# ctr ARG...: containerd's client, of the daemon startcontainerd started, in the namespace imagegen
ctr() {
	timeout 120 /usr/bin/ctr --address "$CTRADDR" --namespace imagegen "$@" < /dev/null
}

stopcontainerd() {
	[ -z "${CTRDPID:-}" ] || stop "$CTRDPID"
	CTRDPID=
}

# imgfile LAYOUT PATH: the file PATH of the image in an OCI layout (its top
# layer that has it)
imgfile() {
	python3 - "$1" "$2" <<'EOF'
import json, sys, tarfile
lay, want = sys.argv[1], sys.argv[2].lstrip("/")
blob = lambda d: lay + "/blobs/sha256/" + d.split(":")[1]
idx = json.load(open(lay + "/index.json"))
m = json.load(open(blob([x for x in idx["manifests"] if "artifactType" not in x][0]["digest"])))
for l in reversed(m["layers"]):
    with tarfile.open(blob(l["digest"])) as t:
        try:
            sys.stdout.write(t.extractfile(want).read().decode())
            break
        except KeyError:
            pass
EOF
}
