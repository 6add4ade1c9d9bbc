#!/bin/sh
# fuzz.sh SECONDS [TARGET...]: build the fuzz targets of plugin/fuzz with
# clang's libFuzzer and AddressSanitizer/UBSan, and run each for SECONDS on
# its corpus (tests/fuzz/TARGET, seeds committed; what a run finds that is
# new is kept in tests/work/fuzz/TARGET). Prints each target's executions;
# exits 1 when one crashed (the input is saved as tests/work/fuzz/crash-*).
# `make fuzz` runs it for 60 s a target; CI for a short smoke.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift 2>/dev/null
targets=${*:-"control depends challenge auth oci archive deb layer tar license maint maintpath lock pattern elf facts apkindex apk"}
CC=${FUZZCC:-clang}
if ! command -v "$CC" > /dev/null 2>&1; then
	echo "fuzz: $CC is not installed (apt-get install clang); skipped"
	exit 0
fi
work=$top/tests/work/fuzz
mkdir -p "$work/obj"
flags="-std=c99 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -DFUZZING
 -D_XOPEN_SOURCE=700 -DVERSION=\"fuzz\" -I$top/plugin $(pkg-config --cflags lua5.4 libarchive jansson libcurl libcrypto nettle libdeflate libzstd)"
libs="$(pkg-config --libs lua5.4 libarchive jansson libcurl libcrypto nettle libdeflate libzstd) -pthread"

# every module of the binary but the command line, the make plugin and the embedder
objs=
for c in "$top"/plugin/*/*.c; do
	name=$(basename "$c" .c)
	case $c in */fuzz/*|*/cmd/*) continue ;; esac
	[ "$name" = embed ] && continue
	o=$work/obj/$name.o
	if [ ! -e "$o" ] || [ "$c" -nt "$o" ] || [ "$0" -nt "$o" ]; then
		$CC $flags -c -o "$o" "$c" || exit 1
	fi
	objs="$objs $o"
done

status=0
for t in $targets; do
	# a target that includes a module whole (for its static parsers) links without it
	case $t in
	challenge) skip=registry ;;
	depends|maint|maintpath|lock) skip=host ;;
	*) skip=none ;;
	esac
	linkobjs=
	for o in $objs; do
		[ "$(basename "$o" .o)" = "$skip" ] || linkobjs="$linkobjs $o"
	done
	$CC $flags -fsanitize=fuzzer -o "$work/fuzz-$t" "$top/plugin/fuzz/$t.c" $linkobjs $libs || exit 1
	mkdir -p "$work/$t"
	ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 UBSAN_OPTIONS=halt_on_error=1 \
		"$work/fuzz-$t" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/crash-$t-" -print_final_stats=1 \
		"$work/$t" "$top/tests/fuzz/$t" > "$work/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
	if [ $rc -ne 0 ]; then
		echo "fuzz-$t: CRASH after ${runs:-?} executions (see $work/$t.log)"
		grep -m 3 -E 'ERROR|SUMMARY|runtime error' "$work/$t.log" | sed 's/^/    /'
		status=1
	else
		echo "fuzz-$t: ${runs:-?} executions in ${secs} s, no crash"
	fi
done
exit $status
