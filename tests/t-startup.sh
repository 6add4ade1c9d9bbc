# What a small layer edge does before and beside its work (issue 28, the
# layer edge's CPU): a gzip layer loads no shared library but libc and libm
# (libzstd, libarchive, libcurl and libcrypto are loaded when needed), reads
# no locale files and no /dev/urandom, and leaves no temporary in its store;
# a zstd layer loads libzstd; the locale set when a library is loaded still
# hands libarchive its names as UTF-8 whatever the caller's locale; store
# temporaries of a dead process are swept, of a live one kept, and a
# name taken skipped.
. "$TOP/tests/lib.sh"

workdir startup
cd "$W" || exit 1
mkdir -p src store
head -c 1024 /dev/zero | tr '\0' 'a' > src/data.bin
printf 'x' > "src/h$(printf '\303\251')llo"
printf 'y' > "src/bad$(printf '\377')name"
# spec NAME COMPRESSION: the spec of a layer of src/data.bin
spec() {
	printf '{"name":"%s","epoch":0,"compression":"%s","level":3,"entries":[{"ctx":"t","path":"data.bin","type":"file","src":"src/data.bin","srcname":"data.bin","uid":0,"gid":0}]}\n' "$1" "$2" > "$1.json"
}
spec gz gzip
spec zs zstd
printf '{"name":"names","epoch":0,"compression":"none","level":0,"entries":[{"ctx":"t","path":"d","type":"tree","src":"src","srcname":"src","uid":0,"gid":0}]}\n' > names.json

# libraries: what the dynamic loader initialised ("calling init: PATH")
LD_DEBUG=files "$IMAGEGEN" layer gz.json gz.desc gz.d store > gz.ld 2>&1
check "a gzip layer edge writes its layer" test -s gz.desc
same "a gzip layer edge loads no libzstd, libarchive, libcurl or libcrypto" 0 \
	"$(grep 'calling init' gz.ld | grep -c -e libzstd -e libarchive -e libcurl -e libcrypto)"
# (the sanitizers' runtimes are libraries of their own)
if [ -z "${IMAGEGEN_TEST_SANITIZERS:-}" ]; then
	same "a gzip layer edge loads libc and libm alone" "libc.so libm.so" \
		"$(sed -n 's|.*calling init: .*/\(lib[a-z]*\.so\).*|\1|p' gz.ld | sort | paste -s -d ' ' -)"
fi
LD_DEBUG=files "$IMAGEGEN" layer zs.json zs.desc zs.d store > zs.ld 2>&1
check "a zstd layer edge writes its layer" grep -q 'tar+zstd' zs.desc
check "a zstd layer edge loads libzstd" grep -q 'calling init: .*libzstd\.so' zs.ld
LD_DEBUG=files "$IMAGEGEN" --version > version.ld 2>&1
same "imagegen --version loads no libzstd" 0 "$(count version.ld libzstd)"

if have strace; then
	rm -rf store && mkdir store
	strace -f -e trace=open,openat -o gz.strace "$IMAGEGEN" layer gz.json gz.desc gz.d store > /dev/null 2>&1
	same "a gzip layer edge opens no locale file" 0 "$(grep -c -e locale -e gconv gz.strace)"
	same "a gzip layer edge opens no /dev/urandom" 0 "$(count gz.strace /dev/urandom)"
	strace -f -e trace=open,openat -o names.strace env IMAGEGEN_TAR=libarchive "$IMAGEGEN" layer names.json n.desc n.d store > /dev/null 2>&1
	check "a layer through libarchive sets the C.UTF-8 locale" grep -q 'C.utf8\|C.UTF-8' names.strace
else
	skip "the files a layer edge opens (no strace)"
fi
same "the store keeps no temporary" "" "$(ls store/tmp)"

# the names of a layer through libarchive, with the caller in the POSIX
# locale, are those of imagegen's own writer (the locale is set on loading)
for w in own libarchive; do
	rm -rf "store.$w"
	env LC_ALL=POSIX LANG= IMAGEGEN_TAR=$w "$IMAGEGEN" layer names.json "names.$w.desc" names.d "store.$w" 2> "names.$w.err"
done
check "a layer of unicode and non-UTF-8 names written" test -s names.own.desc
same "the same layer through libarchive in the POSIX locale" "$(cat names.own.desc)" "$(cat names.libarchive.desc)"

# a dead writer's temporary is swept; a live one's is kept, and its name skipped
mkdir -p store2/tmp
sh -c 'exit 0' & dead=$!
wait "$dead"
: > "store2/tmp/$dead.0"
: > "store2/tmp/$$.0"
"$IMAGEGEN" layer gz.json gz2.desc gz2.d store2
same "the same layer in another store" "$(cat gz.desc)" "$(cat gz2.desc)"
check "a dead writer's temporary is swept" test ! -e "store2/tmp/$dead.0"
check "a live process's temporary is kept" test -e "store2/tmp/$$.0"
# a temporary named as the writer's first one (left by an earlier process of
# its PID): kept, and the writer takes the next name
rm -rf store3 && mkdir -p store3/tmp
sh -c 'mkdir -p store3/sha256 && : > "store3/tmp/$$.0" && echo $$ > pid && exec "$0" layer gz.json gz3.desc gz3.d store3' "$IMAGEGEN"
same "a layer written beside a temporary of the writer's own name" "$(cat gz.desc)" "$(cat gz3.desc)"
same "that temporary left as it was, and no other" "$(cat pid).0" "$(ls store3/tmp)"
