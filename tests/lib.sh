# lib.sh: sourced by each test script. Checks append "ok ..." or "FAIL ..." to
# tests/work/results; a script keeps going after a failed check. A check that
# cannot run here (an optional tool is missing) appends "skip ...".
# Everything the tests need is in tests/; the one thing outside is optional:
# the OCI layout validator ../shared/tools/oci-validate, run when present.
IMAGEGEN=$TOP/imagegen
RESULTS=$TOP/tests/work/results
VALIDATOR=$TOP/../shared/tools/oci-validate
export LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH=0

ok() {
	echo "ok $*" | tee -a "$RESULTS"
}

fail() {
	echo "FAIL $*" | tee -a "$RESULTS"
}

skip() {
	echo "skip $*" | tee -a "$RESULTS"
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

# pmdone: remove the private storage
pmdone() {
	pm system reset -f > /dev/null 2>&1
	rm -rf "$W/podman"
}
