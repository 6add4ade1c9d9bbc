#!/bin/sh
# fuzz.sh SECONDS [TARGET...]: build the fuzz targets of plugin/fuzz with
# clang's libFuzzer and AddressSanitizer/UBSan, and run each for SECONDS on
# its corpus (tests/fuzz/TARGET, seeds committed; what a run finds that is
# new is kept in tests/work/fuzz/TARGET). Prints each target's executions;
# exits 1 when one crashed (the input is saved as tests/work/fuzz/crash-*).
# `make fuzz` runs it for 60 s a target; CI for a short smoke.
# The modules compile, and the targets link and run, N at a time (a fuzzer
# is one process on one core): FUZZJOBS, default the number of cores.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
CC=${FUZZCC:-clang}
work=$top/tests/work/fuzz
flags="-std=c99 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -DFUZZING
 -D_XOPEN_SOURCE=700 -DVERSION=\"fuzz\" -I$top/plugin $(pkg-config --cflags lua5.4 libarchive jansson libcurl libcrypto nettle libdeflate libzstd)"
libs="$(pkg-config --libs lua5.4 libarchive jansson libcurl libcrypto nettle libdeflate libzstd) -pthread"

# --compile SRC OBJ: one module
if [ "${1:-}" = --compile ]; then
	exec $CC $flags -c -o "$3" "$2"
fi

# --one SECONDS TARGET: link fuzz-TARGET (without the module it includes
# whole, for its static parsers) and run it; its log in TARGET.log, and its
# exit status, or "link" when it did not link, in TARGET.rc
if [ "${1:-}" = --one ]; then
	secs=$2 t=$3
	case $t in
	challenge) skip=registry ;;
	depends|maint|maintpath|lock) skip=host ;;
	*) skip=none ;;
	esac
	linkobjs=
	for o in $(cat "$work/objs"); do
		[ "$(basename "$o" .o)" = "$skip" ] || linkobjs="$linkobjs $o"
	done
	if ! $CC $flags -fsanitize=fuzzer -o "$work/fuzz-$t" "$top/plugin/fuzz/$t.c" $linkobjs $libs > "$work/$t.log" 2>&1; then
		echo link > "$work/$t.rc"
		exit 0
	fi
	mkdir -p "$work/$t"
	ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 UBSAN_OPTIONS=halt_on_error=1 \
		"$work/fuzz-$t" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/crash-$t-" -print_final_stats=1 \
		"$work/$t" "$top/tests/fuzz/$t" > "$work/$t.log" 2>&1
	echo $? > "$work/$t.rc"
	exit 0
fi

secs=${1:-60}
shift 2>/dev/null
targets=${*:-"control depends challenge auth oci archive deb layer tar license maint maintpath lock pattern elf facts apkindex apk hashes jsonquote"}
jobs=${FUZZJOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}
case $jobs in '' | *[!0-9]* | 0) echo "fuzz: FUZZJOBS=$jobs is not a number of processes" >&2; exit 2 ;; esac
if ! command -v "$CC" > /dev/null 2>&1; then
	echo "fuzz: $CC is not installed (apt-get install clang); skipped"
	exit 0
fi
mkdir -p "$work/obj"

# every module of the binary but the command line, the make plugin and the
# embedder; those whose object is missing or older than the module (or than
# this script) compiled again
: > "$work/objs"
for c in "$top"/plugin/*/*.c; do
	name=$(basename "$c" .c)
	case $c in */fuzz/*|*/cmd/*) continue ;; esac
	[ "$name" = embed ] && continue
	o=$work/obj/$name.o
	if [ ! -e "$o" ] || [ "$c" -nt "$o" ] || [ "$0" -nt "$o" ]; then
		rm -f "$o"
		printf '%s\0%s\0' "$c" "$o"
	fi
	echo "$o" >> "$work/objs"
done | xargs -0 -r -n 2 -P "$jobs" sh "$0" --compile || exit 1

rm -f "$work"/*.rc
for t in $targets; do
	printf '%s\0' "$t"
done | xargs -0 -n 1 -P "$jobs" sh "$0" --one "$secs"

status=0
for t in $targets; do
	rc=$(cat "$work/$t.rc" 2>/dev/null || echo link)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
	if [ "$rc" = link ]; then
		echo "fuzz-$t: did not link (see $work/$t.log)"
		sed 's/^/    /' "$work/$t.log" | head -n 5
		status=1
	elif [ "$rc" -ne 0 ]; then
		echo "fuzz-$t: CRASH after ${runs:-?} executions (see $work/$t.log)"
		grep -m 3 -E 'ERROR|SUMMARY|runtime error' "$work/$t.log" | sed 's/^/    /'
		status=1
	else
		echo "fuzz-$t: ${runs:-?} executions in ${secs} s, no crash"
	fi
done
exit $status
