# Golden tests of the language: a definition in, the build file and specs
# (g-*.lua, expected in g-*.out) or the one-line error (e-*.lua, e-*.err) out.
. "$TOP/tests/lib.sh"

golden() {
	# print build.ninja (the binary's path masked) and every spec file
	sed 's|^imagegen = .*|imagegen = IMAGEGEN|' build.ninja
	find .imagegen/spec -type f | sort | while read -r f; do
		echo "== $f"
		cat "$f"
	done
}

for def in "$TOP"/tests/golden/*.lua; do
	name=$(basename "$def" .lua)
	workdir "golden/$name"
	cp -R "$TOP"/tests/golden/files/. "$W"/
	ln -s loop "$W/loop"
	cp "$def" "$W/build.lua"
	cd "$W" || exit 1
	"$IMAGEGEN" build.lua >stdout 2>stderr
	status=$?
	case $name in
	g-*)
		if [ $status -ne 0 ]; then
			fail "$name: imagegen failed: $(cat stderr)"
		else
			golden > actual
			if diff -u "$TOP/tests/golden/$name.out" actual > diff; then
				ok "$name: build file and specs as expected"
			else
				fail "$name: build file differs"
				head -n 40 diff | sed 's/^/    /'
			fi
		fi ;;
	e-*)
		if [ $status -eq 1 ] && [ ! -e build.ninja ] && [ ! -e .imagegen ] &&
		    [ "$(wc -l < stderr)" -eq 1 ] && diff -u "$TOP/tests/golden/$name.err" stderr > diff; then
			ok "$name: one-line error, exit 1, nothing written"
		else
			fail "$name: exit $status, expected one line: $(cat "$TOP/tests/golden/$name.err")"
			sed 's/^/    /' stderr
			ls -a | sed 's/^/    wrote: /'
		fi ;;
	esac
	cd "$TOP" || exit 1
done
