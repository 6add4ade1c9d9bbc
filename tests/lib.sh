# lib.sh: sourced by each test script. Checks append "ok ..." or "FAIL ..." to
# tests/work/results; a script keeps going after a failed check.
IMAGEGEN=$TOP/imagegen
RESULTS=$TOP/tests/work/results
SHARED=$TOP/../shared
export LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH=0

ok() {
	echo "ok $*" | tee -a "$RESULTS"
}

fail() {
	echo "FAIL $*" | tee -a "$RESULTS"
}

# check DESCRIPTION COMMAND...: ok when the command exits 0
check() {
	desc=$1
	shift
	if "$@" >"$TOP/tests/work/check.out" 2>&1; then
		ok "$desc"
	else
		fail "$desc"
		sed 's/^/    /' "$TOP/tests/work/check.out" | head -n 20
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

# validate LAYOUT [--epoch N]: the shared OCI validator, when it can run here
canvalidate() {
	[ -f "$SHARED/tools/oci-validate" ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null
}

validate() {
	/usr/bin/python3 "$SHARED/tools/oci-validate" "$@"
}

# pmsetup: podman's settings for these machines (shared/containers) with a
# private storage under $W/podman; fails if podman or the settings are missing
pmsetup() {
	have podman && [ -r "$SHARED/containers/containers.conf" ] && [ -r "$SHARED/containers/storage.conf" ] ||
		return 1
	mkdir -p "$W/podman"
	cp "$SHARED/containers/containers.conf" "$W/podman/containers.conf"
	sed -e "s|^graphroot *=.*|graphroot = \"$W/podman/graph\"|" \
	    -e "s|^runroot *=.*|runroot = \"$W/podman/run\"|" \
	    "$SHARED/containers/storage.conf" > "$W/podman/storage.conf"
}

# pm ARG...: podman with the private configuration and storage
pm() {
	CONTAINERS_CONF=$W/podman/containers.conf \
	CONTAINERS_STORAGE_CONF=$W/podman/storage.conf \
	timeout 120 podman "$@" < /dev/null
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
