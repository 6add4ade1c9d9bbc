#!/bin/sh
# run.sh [TEST...]: run the test scripts (tests/t-*.sh by default) and print
# one line per check, then "N passed, N failed" (and ", N skipped" for checks
# that could not run here: neither passed nor failed). Exit 1 if any check failed.
top=$(cd "$(dirname "$0")/.." && pwd)
export TOP="$top"
rm -rf "$top/tests/work"
mkdir -p "$top/tests/work"
: > "$top/tests/work/results"
if [ $# -eq 0 ]; then
	set -- "$top"/tests/t-*.sh
fi
for t; do
	name=$(basename "$t" .sh)
	echo "# $name"
	if ! sh "$t"; then
		echo "FAIL $name: the script stopped early" | tee -a "$top/tests/work/results"
	fi
done
passed=$(grep -c '^ok ' "$top/tests/work/results")
failed=$(grep -c '^FAIL ' "$top/tests/work/results")
skipped=$(grep -c '^skip ' "$top/tests/work/results")
summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary="$summary, $skipped skipped"
echo
echo "$summary"
[ "$failed" -eq 0 ]
