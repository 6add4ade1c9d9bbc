# Images of several platforms: one tag, an OCI image index of an amd64 and
# an arm64 image. hello is cross-compiled per platform (a command whose run
# is a function of the platform), the arm64 binary runs under
# qemu-aarch64-static, each platform builds and rebuilds on its own, a
# registry gets the index and podman pulls each platform, a base of the
# graph hands each platform its own image, and Debian packages are resolved
# per architecture with Architecture: all layers shared.
. "$TOP/tests/lib.sh"

for tool in x86_64-linux-gnu-gcc aarch64-linux-gnu-gcc skopeo umoci; do
	if ! have $tool; then
		fail "multiarch: $tool is not installed (apt-get install gcc-x86-64-linux-gnu gcc-aarch64-linux-gnu skopeo umoci)"
		exit 0
	fi
done
workdir multiarch
cd "$W" || exit 1
export IMAGEGEN_CACHE="$W/cache"
PIDS=
cleanup() {
	for p in $PIDS; do stop "$p"; done
	[ -z "${GNUPGHOME:-}" ] || gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null
}
trap cleanup EXIT

mkdir -p src/hello src/multiarch b
cp "$TOP/examples/hello/hello.c" src/hello/
cp "$TOP/examples/multiarch/build.lua" src/multiarch/
# the example without its Debian image (that one needs the machine's apt sources)
sed -i '/^image {$/,$!b;/name = "busybox"/,$d' src/multiarch/build.lua
sed -i '$d' src/multiarch/build.lua
cat >> src/multiarch/build.lua <<'EOF'

-- a child of both platforms on hello, and an image of one platform
image { name = "child", base = "hello", files = { { "/etc/motd", text "child\n" } } }
image { name = "armonly", base = "hello", platform = "linux/arm64", files = { { "/etc/motd", text "arm\n" } } }
EOF
cd b || exit 1
check "the definition generates" "$IMAGEGEN" ../src/multiarch/build.lua
ninja > build.log 2>&1
check "ninja builds it" test -f out/hello/index.json
checkvalid "oci-validate: the index and both images" --epoch 0 out/hello
checkvalid "oci-validate: the child" --epoch 0 out/child

# index.json -> the image index -> one manifest a platform, with its platform
idx=$(blob out/hello "$(jget out/hello/index.json "j['manifests'][0]['digest']")")
same "index.json names an image index, tagged" "application/vnd.oci.image.index.v1+json latest" \
	"$(jget out/hello/index.json "j['manifests'][0]['mediaType'] + ' ' + j['manifests'][0]['annotations']['org.opencontainers.image.ref.name']")"
same "the image index has amd64 and arm64, in that order" "linux/amd64 linux/arm64" \
	"$(jget "$idx" "' '.join(m['platform']['os'] + '/' + m['platform']['architecture'] for m in j['manifests'])")"
for i in 0 1; do
	m=$(blob out/hello "$(jget "$idx" "j['manifests'][$i]['digest']")")
	c=$(blob out/hello "$(jget "$m" "j['config']['digest']")")
	arch=$(jget "$idx" "j['manifests'][$i]['platform']['architecture']")
	same "the $arch config says $arch" "$arch" "$(jget "$c" "j['architecture']")"
done
same "skopeo reads the index" "2" "$(skopeo inspect --raw oci:out/hello:latest | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["manifests"]))')"

# each platform's binary, for real: amd64 under runc, arm64 under qemu-aarch64-static
unpack() {
	rm -rf "$W/$2" "$W/$2.layout"
	skopeo copy --override-arch "$2" "oci:$1:latest" "oci:$W/$2.layout:latest" > /dev/null &&
	umoci unpack --image "$W/$2.layout:latest" "$W/$2" > /dev/null
}
if unpack out/hello amd64; then
	python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["process"]["terminal"]=False; json.dump(c,open(sys.argv[1],"w"))' "$W/amd64/config.json"
	same "amd64: runc runs the amd64 binary" "hello from an imagegen image" \
		"$(cd "$W/amd64" && timeout 60 runc run "imagegen-test-$$-ma" < /dev/null 2>&1)"
else
	fail "amd64: skopeo and umoci could not unpack it"
fi
if unpack out/hello arm64; then
	# the ELF header's e_machine: 183 is AArch64
	same "arm64: the binary is for aarch64" 183 \
		"$(python3 -c 'import sys; print(int.from_bytes(open(sys.argv[1], "rb").read(20)[18:20], "little"))' "$W/arm64/rootfs/hello")"
	if have qemu-aarch64-static; then
		# binfmt_misc is not set up on these machines: qemu is called directly
		same "arm64: qemu-aarch64-static runs the arm64 binary (called directly)" "hello from an imagegen image" \
			"$(qemu-aarch64-static "$W/arm64/rootfs/hello" 2>&1)"
	else
		skip "arm64: qemu-user-static is not installed"
	fi
else
	fail "arm64: skopeo and umoci could not unpack it"
fi

# docker-archives hold one platform: the machine's by default, others by name
ninja out/hello.tar out/hello.linux-arm64.tar > /dev/null 2>&1
case $(uname -m) in x86_64) machine=amd64 ;; aarch64) machine=arm64 ;; *) machine= ;; esac
[ -z "$machine" ] || same "out/hello.tar is this machine's platform" "$machine" \
	"$(skopeo inspect docker-archive:out/hello.tar | python3 -c 'import json,sys; print(json.load(sys.stdin)["Architecture"])')"
same "out/hello.linux-arm64.tar is arm64" "arm64" \
	"$(skopeo inspect docker-archive:out/hello.linux-arm64.tar | python3 -c 'import json,sys; print(json.load(sys.stdin)["Architecture"])')"

# one SBOM a platform, attached to its manifest; one report page with both platforms
for a in amd64 arm64; do
	check "the $a SBOM is there" test -s "out/hello.linux-$a.spdx.json"
	same "the $a SBOM names its platform" "hello (linux/$a)" "$(jget "out/hello.linux-$a.spdx.json" "j['name']")"
done
same "index.json: the index, then an SBOM artifact a platform" "1 2" \
	"$(jget out/hello/index.json "str(sum(1 for m in j['manifests'] if 'artifactType' not in m)) + ' ' + str(sum(1 for m in j['manifests'] if m.get('artifactType') == 'application/spdx+json'))")"
check "ninja out/hello.html writes the report page" sh -c "ninja out/hello.html > report.log 2>&1"
same "the report page has both platforms" "linux/amd64 linux/arm64" \
	"$(python3 -c "import sys; sys.argv=['', 'out/hello.html']; exec(open('$TOP/tests/pagecheck.py').read().split('def main')[0]); d=pagedata('out/hello.html'); print(' '.join(p['platform'] for p in d['platforms']))")"

# a child of a two-platform base: each platform's image has its own base's layers
cidx=$(blob out/child "$(jget out/child/index.json "j['manifests'][0]['digest']")")
for i in 0 1; do
	cm=$(blob out/child "$(jget "$cidx" "j['manifests'][$i]['digest']")")
	hm=$(blob out/hello "$(jget "$idx" "j['manifests'][$i]['digest']")")
	same "child: platform $i has its base's layer for that platform" "$(jget "$hm" "j['layers'][0]['digest']")" \
		"$(jget "$cm" "j['layers'][0]['digest']")"
done
same "armonly: one platform: index.json names its manifest" "application/vnd.oci.image.manifest.v1+json arm64" \
	"$(jget out/armonly/index.json "j['manifests'][0]['mediaType'] + ' ' + j['manifests'][0]['platform']['architecture']")"

# reproducible: another folder, another day, the same index
mkdir -p "$W/b2" && cd "$W/b2" || exit 1
SOURCE_DATE_EPOCH=0 "$IMAGEGEN" ../src/multiarch/build.lua && ninja > /dev/null 2>&1
same "a second build folder gives the same index digest" "$(cat "$W/b/out/hello/index.json")" "$(cat out/hello/index.json)"
cd "$W/b" || exit 1

# incremental, per platform
check "a second ninja has nothing to do" sh -c "ninja -n | grep -q 'no work to do'"
echo 'const char edited[] = "edited";' >> ../src/hello/hello.c
ninja > edit.log 2>&1
same "editing hello.c: both compilers, both layers, both images, the index, the layouts" \
	"2 2 1 1 1 1" "$(count edit.log 'CMD gen/linux-') $(count edit.log 'LAYER hello/files@') $(count edit.log 'IMAGE hello linux/amd64') $(count edit.log 'IMAGE hello linux/arm64') $(count edit.log 'INDEX hello') $(count edit.log 'LAYOUT out/hello')"
# a change for arm64 only: amd64's compile runs again (hello.c changed) but
# makes the same bytes, so no amd64 image is rebuilt
sed -i 's/return cc\[p.arch\] .. " -static/return cc[p.arch] .. (p.arch == "arm64" and " -DARM=1" or "") .. " -static/' \
	../src/multiarch/build.lua
printf '#ifdef ARM\nconst char arm[] = "arm";\n#endif\n' >> ../src/hello/hello.c
ninja > arm.log 2>&1
same "an arm64-only change rebuilds the arm64 image only" "0 1" \
	"$(count arm.log 'IMAGE hello linux/amd64') $(count arm.log 'IMAGE hello linux/arm64')"

# a base of the graph must have every platform asked for: one line naming it
mkdir -p "$W/bad" && cd "$W/bad" || exit 1
printf 'image { name = "a", platform = "linux/amd64" }\nimage { name = "b", base = "a", platforms = { "linux/amd64", "linux/arm64" } }\n' > build.lua
"$IMAGEGEN" build.lua > gen.out 2>&1
same "a base without a platform: one line naming it" \
	"imagegen: build.lua:2: base: image 'a' has no linux/arm64 (it has linux/amd64)" "$(cat gen.out)"

# push: every manifest, then the index under the tag; a second push uploads nothing
if have docker-registry; then
	registry reg && PIDS="$PIDS $REGPID"
	cd "$W/b" || exit 1
	"$IMAGEGEN" push out/hello "$REG/t/hello:1" > push1.log 2>&1
	check "push: the index and both images" grep -q "push $REG/t/hello:1: $(jget out/hello/index.json "j['manifests'][0]['digest']")" push1.log
	"$IMAGEGEN" push out/hello "$REG/t/hello:1" > push2.log 2>&1
	contains "push: a second push uploads nothing" push2.log "0 blob(s) uploaded, 0 mounted"
	same "push: the registry serves the index" "2" \
		"$(skopeo inspect --tls-verify=false --raw "docker://$REG/t/hello:1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["manifests"]))')"
	check "push: skopeo copies every platform back" \
		skopeo copy --all --src-tls-verify=false "docker://$REG/t/hello:1" "oci:$W/back:1"
	if pmsetup; then
		for a in amd64 arm64; do
			pm pull --tls-verify=false --platform "linux/$a" "$REG/t/hello:1" > /dev/null 2>&1
			same "podman pull --platform linux/$a gets the $a image" "$a" \
				"$(pm image inspect "$REG/t/hello:1" --format '{{.Architecture}}' 2>&1)"
		done
		pmdone
	else
		skip "podman is not installed"
	fi
else
	skip "push: docker-registry is not installed"
fi

# make builds the same images, byte for byte
mkdir -p "$W/mk" && cd "$W/mk" || exit 1
"$IMAGEGEN" -G make -o images.mk ../src/multiarch/build.lua && printf 'include images.mk\n' > Makefile
check "make builds the two-platform images" sh -c "make -j2 images > make.log 2>&1"
same "make: the same index as ninja" "$(cat "$W/b/out/hello/index.json")" "$(cat out/hello/index.json)"

# Debian packages for two architectures from the test's own repository
if have dpkg-deb && have apt-ftparchive && have gpg; then
	export REPO="$W/repo" GNUPGHOME="$W/gnupg"
	mkdir -p "$REPO" && mkdir -m 700 "$GNUPGHOME"
	. "$TOP/tests/debrepo.sh"
	mkkey "imagegen tests" tests@example.invalid "$W/test.gpg"
	for a in amd64 arm64; do
		mkpkg tool 1.0 "$a" "Depends: data" "mkdir -p usr/bin && echo $a > usr/bin/tool"
	done
	mkpkg data 1.0 all "" 'mkdir -p usr/share/data && echo shared > usr/share/data/file'
	dist=$REPO/dists/stable
	for a in amd64 arm64; do
		mkdir -p "$dist/main/binary-$a"
		(cd "$REPO" && dpkg-scanpackages --multiversion --arch "$a" pool > "dists/stable/main/binary-$a/Packages" 2>/dev/null)
		xz -kf "$dist/main/binary-$a/Packages"
	done
	(cd "$dist" && apt-ftparchive -o APT::FTPArchive::Release::Suite=stable -o APT::FTPArchive::Release::Codename=stable \
		-o APT::FTPArchive::Release::Architectures="amd64 arm64" -o APT::FTPArchive::Release::Components=main \
		release . > Release.new && mv Release.new Release)
	gpg --batch --quiet --yes --pinentry-mode loopback --passphrase '' --default-key tests@example.invalid \
		--clearsign -o "$dist/InRelease" "$dist/Release"
	(cd "$REPO" && exec python3 -m http.server --bind 127.0.0.1 0) > "$W/http.log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	URL=http://127.0.0.1:$(listenport "$pid")
	mkdir -p "$W/deb/src" "$W/deb/b" && cd "$W/deb/b" || exit 1
	cat > ../src/build.lua <<EOF
image { name = "tools", platforms = { "linux/amd64", "linux/arm64" }, packages = { "tool" },
  repositories = { repository { url = "$URL", suite = "stable", keyring = "$W/test.gpg" } } }
EOF
	check "debian: two architectures resolve" "$IMAGEGEN" ../src/build.lua
	same "debian: the lock holds each architecture" "tools@linux-amd64=amd64 tools@linux-arm64=arm64" \
		"$(jget ../src/imagegen.lock "' '.join(k + '=' + j['images'][k]['architecture'] for k in sorted(j['images']))")"
	check "debian: ninja builds both" sh -c "ninja > ninja.log 2>&1"
	same "debian: the Architecture: all package is one layer, built once" "1" "$(count ninja.log 'LAYER deb/data_1.0_all')"
	tidx=$(blob out/tools "$(jget out/tools/index.json "j['manifests'][0]['digest']")")
	for i in 0 1; do
		tm=$(blob out/tools "$(jget "$tidx" "j['manifests'][$i]['digest']")")
		eval "L$i=\"\$(jget \"\$tm\" \"' '.join(l['digest'] for l in j['layers'])\")\""
	done
	shared=$(printf '%s\n%s\n' "$L0" "$L1" | tr ' ' '\n' | sort | uniq -d | wc -l)
	check "debian: the images share the all layer" test "$shared" -ge 1
	unpack out/tools arm64 > /dev/null 2>&1
	same "debian: the arm64 image has the arm64 package" "arm64" "$(cat "$W/arm64/rootfs/usr/bin/tool" 2>&1)"
else
	skip "debian: dpkg-dev, apt-utils or gnupg missing"
fi
