# Golden tests of the language: a definition in, the build file and specs
# (g-*.lua, expected in g-*.out) or the one-line error (e-*.lua, e-*.err) out.
#
# When a change alters the output on purpose (or for a new g-*.lua or e-*.lua),
# write the expected files from what imagegen writes now, then read the change
# with git diff tests/golden before committing it:
#   UPDATE=1 sh tests/run.sh tests/t-golden.sh      (or: UPDATE=1 make check)
# UPDATE=1 rewrites only what differs, and only content: a g- definition must
# still build, an e- definition must still fail with one line, exit 1 and
# nothing written, or the check fails as it would without UPDATE.
. "$TOP/tests/lib.sh"
# build arguments of the caller's environment would change what arg returns
for v in $(env | sed -n 's/^\(IMAGEGEN_ARG_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done

# the machine's architecture in OCI's words: the default platform
case $(uname -m) in
x86_64) ARCH=amd64 ;;
aarch64) ARCH=arm64 ;;
*) ARCH=$(uname -m) ;;
esac

golden() {
	# build.ninja and every spec file, with what depends on the machine masked:
	# the binary's path, the default architecture and the ids and the specs'
	# digests derived from it
	{
		cat build.ninja
		find .imagegen/spec -type f | sort | while read -r f; do
			echo "== $f"
			cat "$f"
		done
	} | sed -e 's|^imagegen = .*|imagegen = IMAGEGEN|' -e "s|\"architecture\":\"$ARCH\"|\"architecture\":\"ARCH\"|g" \
		-e "s|linux/$ARCH|linux/ARCH|g" -e 's|\.imagegen/base/[0-9a-f]\{16\}|.imagegen/base/ID|g' \
		-e 's|^\(  part = --part [^ ]*\) [0-9a-f]\{16\} |\1 SUM |'
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
			elif [ "${UPDATE:-}" = 1 ]; then
				cp actual "$TOP/tests/golden/$name.out"
				ok "$name: build file and specs written to tests/golden/$name.out (UPDATE=1)"
			else
				fail "$name: build file differs"
				head -n 40 diff | sed 's/^/    /'
			fi
		fi ;;
	e-*)
		if [ $status -eq 1 ] && [ ! -e build.ninja ] && [ ! -e .imagegen ] &&
		    [ "$(wc -l < stderr)" -eq 1 ] && diff -u "$TOP/tests/golden/$name.err" stderr > diff; then
			ok "$name: one-line error, exit 1, nothing written"
		elif [ "${UPDATE:-}" = 1 ] && [ $status -eq 1 ] && [ ! -e build.ninja ] && [ ! -e .imagegen ] &&
		    [ "$(wc -l < stderr)" -eq 1 ]; then
			cp stderr "$TOP/tests/golden/$name.err"
			ok "$name: one-line error, exit 1, nothing written; the error written to tests/golden/$name.err (UPDATE=1)"
		else
			fail "$name: exit $status, expected one line: $(cat "$TOP/tests/golden/$name.err")"
			sed 's/^/    /' stderr
			ls -a | sed 's/^/    wrote: /'
		fi ;;
	esac
	cd "$TOP" || exit 1
done
