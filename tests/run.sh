#!/bin/sh
# run.sh [-j N] [-e | -a] [TEST...]: run test scripts, N at a time (default:
# the number of cores), print each script's checks as one block when it
# ends, then "N passed, N failed" over all of them (and ", N skipped" for
# checks that could not run here: neither passed nor failed). Exit 1 if a
# check failed; a script that stops early (exits other than 0) counts as a
# failed check.
#
# Two sets of scripts, told apart by their names:
#   tests/t-*.sh    hermetic, `make check` (the default): this machine's own
#                   files and processes only. No network: the servers a test
#                   starts (the signed Debian repositories debrepo.sh makes,
#                   hostile.py) listen on 127.0.0.1 and serve what the test
#                   made. No registry, no container run (umoci unpack reads a
#                   layout into a folder and runs nothing), no Chromium, no
#                   other architecture.
#   tests/e2e-*.sh  end to end, `make check-e2e` (-e): images run by runc and
#                   podman, copied by skopeo, pushed to and pulled from
#                   docker-registry; the machine's Debian mirror; report pages
#                   in headless Chromium; cross-compilers and qemu.
# -a runs both; TEST... runs those scripts, whatever their set.
#
# Each script has tests/work/NAME (NAME: the script's name without .sh) to
# itself: its results and check.out (lib.sh), and its output until it ends.
# The slowest scripts start first, so that a run takes about as long as the
# slowest of them.
top=$(cd "$(dirname "$0")/.." && pwd)
export TOP="$top"
work=$top/tests/work

# --one SCRIPT: run one script and print its block (each is run this way)
if [ "${1:-}" = --one ]; then
	name=$(basename "$2" .sh)
	export RUN="$work/$name"
	mkdir -p "$RUN"
	: > "$RUN/results"
	start=$(date +%s)
	sh "$2" > "$RUN/output" 2>&1 < /dev/null
	status=$?
	if [ $status -ne 0 ]; then
		echo "FAIL $name: the script stopped early (exit $status)" | tee -a "$RUN/results" >> "$RUN/output"
	fi
	secs=$(($(date +%s) - start))
	# one block at a time: the one that makes the folder prints
	until mkdir "$work/.print" 2>/dev/null; do
		sleep 0.1
	done
	printf '# %s (%d s)\n' "$name" "$secs"
	cat "$RUN/output"
	rmdir "$work/.print"
	exit 0
fi

usage() {
	echo "usage: sh tests/run.sh [-j N] [-e | -a] [TEST...]" >&2
	exit 2
}
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
set=hermetic
while getopts j:ea opt; do
	case $opt in
	j) jobs=$OPTARG ;;
	e) set=e2e ;;
	a) set=all ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
case $jobs in '' | *[!0-9]* | 0) usage ;; esac
if [ $# -eq 0 ]; then
	case $set in
	hermetic) set -- "$top"/tests/t-*.sh ;;
	e2e) set -- "$top"/tests/e2e-*.sh ;;
	all) set -- "$top"/tests/t-*.sh "$top"/tests/e2e-*.sh ;;
	esac
fi
for t; do
	[ -f "$t" ] || { echo "run.sh: no test script $t" >&2; exit 2; }
done

rm -rf "$work"
mkdir -p "$work"
# Debian's python3 (the one .ci/run installs, with python3-jsonschema and
# python3-jwt) before any other on PATH: pyenv's shim, first on PATH on some
# machines, takes half a second a call, and the tests make hundreds
if [ -x /usr/bin/python3 ] && [ "$(command -v python3)" != /usr/bin/python3 ]; then
	mkdir "$work/.bin" && ln -s /usr/bin/python3 "$work/.bin/python3"
	PATH=$work/.bin:$PATH
	export PATH
fi

# the slowest scripts, slowest first (as measured on 2 cores); then the rest
slow="e2e-steps t-folders e2e-debian-real t-debian e2e-cache t-names t-memory t-security e2e-registry e2e-multiarch e2e-examples
	e2e-report t-diff t-make t-sbom t-report"
isslow() {
	for s in $slow; do
		[ "$s" != "$1" ] || return 0
	done
	return 1
}
{
	for s in $slow; do
		for t; do
			[ "$(basename "$t" .sh)" != "$s" ] || printf '%s\0' "$t"
		done
	done
	for t; do
		isslow "$(basename "$t" .sh)" || printf '%s\0' "$t"
	done
} | xargs -0 -n 1 -P "$jobs" sh "$0" --one

passed=0 failed=0 skipped=0
for t; do
	r=$work/$(basename "$t" .sh)/results
	if [ ! -f "$r" ]; then
		echo "FAIL $(basename "$t" .sh): the script did not run"
		failed=$((failed + 1))
		continue
	fi
	passed=$((passed + $(grep -c '^ok ' "$r")))
	failed=$((failed + $(grep -c '^FAIL ' "$r")))
	skipped=$((skipped + $(grep -c '^skip ' "$r")))
done
summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary="$summary, $skipped skipped"
echo
echo "$summary"
[ "$failed" -eq 0 ]
