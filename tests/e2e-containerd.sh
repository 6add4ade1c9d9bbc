# containerd 1.6 (Debian's containerd, a private daemon with its own root,
# state and sockets, stopped by its PID) as a consumer: the hello example's
# layout (tarred, as ctr takes it) and its docker-archive imported and run
# with ctr; the layout's image named by its whole name (repository and tag:
# io.containerd.image.name), not import-DATE; a second image imported keeps
# its own name; a two-platform layout imported with --all-platforms; the
# hello and two-platform images pushed to a registry (Debian's
# docker-registry on 127.0.0.1), pulled with ctr and run.
. "$TOP/tests/lib.sh"

workdir containerd
CTRDPID=
REGPID=
trap 'stopcontainerd; stopregistry' EXIT

if ! have containerd || ! have ctr; then
	fail "containerd: containerd is not installed (apt-get install containerd, or docker.io)"
	exit 0
fi

mkdir -p "$W/b" "$W/src"
cp -R "$TOP/examples/hello/." "$W/src/"
cat >> "$W/src/build.lua" <<'EOF'
image { name = "second", tag = "team/second:2", base = "hello", files = { { "/etc/second", text "2\n" } } }
image { name = "multi", tag = "team/multi:1", platforms = { "linux/amd64", "linux/arm64" },
  files = { { "/etc/multi", text "m\n" } } }
EOF
cd "$W/b" || exit 1
check "build: hello, an image over it and a two-platform image" \
	sh -c "'$IMAGEGEN' ../src/build.lua > gen.log 2>&1 && ninja out/hello.tar > ninja.log 2>&1 && ninja >> ninja.log 2>&1"
same "the layout names the image for containerd" "hello:latest team/second:2" \
	"$(jget out/hello/index.json "j['manifests'][0]['annotations']['io.containerd.image.name']") $(jget out/second/index.json "j['manifests'][0]['annotations']['io.containerd.image.name']")"

# the daemon: its own root, state and sockets under the test's folder
if ! startcontainerd c; then
	skip "containerd: the daemon did not start here ($(tail -n 1 "$W/c/log"))"
	exit 0
fi

tar -C out/hello -cf hello-oci.tar . && tar -C out/second -cf second-oci.tar . && tar -C out/multi -cf multi-oci.tar .
check "ctr images import: the layout" ctr images import hello-oci.tar
check "ctr images import: a second layout" ctr images import second-oci.tar
check "ctr images import: a two-platform layout" ctr images import --all-platforms multi-oci.tar
ctr images ls -q > names.txt 2>&1
contains "the layout's image is named hello:latest" names.txt "hello:latest"
contains "the second keeps its own name" names.txt "team/second:2"
contains "the two-platform image is named too" names.txt "team/multi:1"
same "no image named import-DATE" 0 "$(grep -c '^import-' names.txt)"
# the native snapshotter: no overlay mounts needed
same "ctr run: the layout's image says hello" "hello from an imagegen image" \
	"$(ctr run --rm --snapshotter native hello:latest imagegen-test-$$ 2>&1 | head -n 1)"
ctr images rm hello:latest > /dev/null 2>&1
check "ctr images import: the docker-archive" ctr images import --digests out/hello.tar
contains "the docker-archive is named by its RepoTags" "$(ctr images ls -q > names2.txt 2>&1; echo names2.txt)" "hello:latest"
same "ctr run: the docker-archive's image says hello" "hello from an imagegen image" \
	"$(ctr run --rm --snapshotter native docker.io/library/hello:latest imagegen-test-$$-2 2>&1 | head -n 1)"

# after a push: ctr pulls from the registry and runs
if have docker-registry && registry reg; then
	check "push: hello and the two-platform image" sh -c "'$IMAGEGEN' push out/hello '$REG/test/hello:1' > push.log 2>&1 &&
		'$IMAGEGEN' push out/multi '$REG/team/multi:1' >> push.log 2>&1"
	check "ctr pull: the pushed hello" ctr images pull --plain-http "$REG/test/hello:1"
	same "ctr run: the pulled hello says hello" "hello from an imagegen image" \
		"$(ctr run --rm --snapshotter native "$REG/test/hello:1" imagegen-test-$$-3 2>&1 | head -n 1)"
	check "ctr pull: both platforms of the pushed two-platform image" \
		ctr images pull --plain-http --all-platforms "$REG/team/multi:1"
	ctr content ls -q > content.txt 2>&1
	idx=$(jget out/multi/index.json "j['manifests'][0]['digest']")
	same "ctr pull --all-platforms: both platforms' manifests are in containerd's store" 2 \
		"$(jget "$(blob out/multi "$idx")" "' '.join(m['digest'] for m in j['manifests'])" | tr ' ' '\n' | grep -c -x -F -f content.txt)"
	same "ctr images check: this machine's platform is whole" "complete" \
		"$(ctr images check 2>&1 | grep "$REG/team/multi:1" | grep -o complete)"
	stopregistry
else
	skip "containerd: no registry here (apt-get install docker-registry)"
fi
