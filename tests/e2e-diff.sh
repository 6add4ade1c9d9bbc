# imagegen diff and imagegen inspect of what a registry serves (Debian's
# docker-registry on 127.0.0.1, started and stopped here): an image pushed
# is the layout it was pushed from, a rebuild after a one-file edit is not,
# and a tag the registry lacks is one line.
. "$TOP/tests/lib.sh"

if ! have docker-registry; then
	fail "diff: docker-registry is not installed (apt-get install docker-registry)"
	exit 0
fi
workdir diff-e2e
export IMAGEGEN_CACHE="$W/cache"
REGPID=
atexit stopregistry

# the monorepo in b1, then in b2 after a one-file edit
cp -R "$TOP/examples/monorepo" "$W/src"
for b in b1 b2; do
	[ $b = b1 ] || echo "workers = 8" >> "$W/src/services/api/api.conf"
	mkdir "$W/$b" && cd "$W/$b" || exit 1
	"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1 || fail "diff: the monorepo does not build in $b"
done
cd "$W" || exit 1

registry registry || exit 0
"$IMAGEGEN" push b1/out/api "$REG/test/api:1" > push.log 2>&1
"$IMAGEGEN" diff b1/out/api "$REG/test/api:1" > reg.out 2>&1
same "registry: the pushed image is the layout's: exit 0" 0 $?
"$IMAGEGEN" inspect "$REG/test/api:1" > reginspect.out 2>&1
contains "registry: inspect names the manifest digest" reginspect.out \
	"digest     $(jget b1/out/api/index.json 'j["manifests"][0]["digest"]')"
"$IMAGEGEN" diff b2/out/api "$REG/test/api:1" > reg2.out 2>&1
same "registry: against the edited build: exit 1" 1 $?
"$IMAGEGEN" inspect "$REG/test/nothere:1" > regmiss.err 2>&1
contains "registry: a missing tag is one line" regmiss.err "404 not found by the registry $REG"
