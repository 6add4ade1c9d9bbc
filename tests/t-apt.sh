# What an image of Debian packages gets besides its request, and what apt in
# it knows, on a signed test repository (tests/debrepo.sh) served on
# 127.0.0.1: base-passwd by default (base-files too, where the repository
# has it), nothing more with minimal = true, the lock's "added" and the
# SBOM's comment on each package; with a package named apt, the image's
# /etc/apt/sources.list.d/imagegen.sources names the repository with the
# keyring it was verified with, and /var/lib/apt/extended_states marks the
# packages the request did not name. (Run for real, with apt-get update and
# apt-mark, in e2e-debian-apt.sh.)
. "$TOP/tests/lib.sh"

workdir apt
signedrepo
mkpkg base-passwd 3.6.1 "$ARCH" "Essential: yes" 'mkdir -p usr/share/base-passwd &&
	printf "root:*:0:0:root:/root:/bin/bash\n_apt:*:42:65534::/nonexistent:/usr/sbin/nologin\n" > usr/share/base-passwd/passwd.master &&
	printf "root:*:0:\nnogroup:*:65534:\n" > usr/share/base-passwd/group.master'
mkpkg libapt 1.0 all ""
mkpkg apt 1.0 "$ARCH" "Depends: libapt"
mkpkg tool 1.0 all ""
mkindex stable || fail "apt: signing the test repository failed"
serve "$REPO" || fail "apt: the test repository's server did not start"

mkdir -p "$W/src" "$W/b"
cp "$W/test.gpg" "$W/src/archive.gpg"
cat > "$W/src/build.lua" <<EOF
local repo = repository { url = "http://127.0.0.1:$PORT", suite = "stable", keyring = "archive.gpg" }
image { name = "withapt", packages = { "apt", "tool" }, repositories = { repo } }
image { name = "noapt", packages = { "tool" }, repositories = { repo } }
image { name = "bare", packages = { "apt" }, minimal = true, repositories = { repo } }
EOF
cd "$W/b" || exit 1
check "apt: the images build" sh -c "'$IMAGEGEN' ../src/build.lua 2> gen.log && ninja > ninja.log 2>&1"
names() {
	jget ../src/imagegen.lock "' '.join(p['name'] for p in j['images']['$1']['packages'])"
}
same "defaults: base-passwd comes with the request (the repository has no base-files)" "apt base-passwd libapt tool" "$(names withapt)"
same "defaults: minimal = true gives the request and its dependencies alone" "apt libapt" "$(names bare)"
same "defaults: the lock says what the image asked for besides its request" '["base-files", "base-passwd"] None' \
	"$(jget ../src/imagegen.lock "json.dumps(j['images']['withapt']['added']), j['images']['bare'].get('added')")"
same "defaults: the SBOM says why each package is there" \
	"apt: asked for by the definition|base-passwd: added by default (minimal = false): the FHS tree and the static accounts|libapt: a dependency of apt|tool: asked for by the definition" \
	"$(jget out/withapt.spdx.json "'|'.join(sorted(p['name'] + ': ' + p['comment'] for p in j['packages'] if p['SPDXID'].startswith('SPDXRef-deb')))")"

for i in withapt noapt bare; do
	rm -rf "$i" && umoci unpack --image "out/$i:latest" "$i" > /dev/null
done
same "apt: the image's sources are the repository it was built from, with its keyring" \
	"$(imagegensources "$PORT" archive.gpg)" "$(cat withapt/rootfs/etc/apt/sources.list.d/imagegen.sources)"
check "apt: the keyring is the one the repository was verified with" cmp "$W/test.gpg" withapt/rootfs/etc/apt/keyrings/archive.gpg
same "apt: extended_states marks the one package the request did not name" \
	"Package: libapt
Architecture: $ARCH
Auto-Installed: 1" "$(cat withapt/rootfs/var/lib/apt/extended_states)"
check "apt: a minimal image with apt has its sources too" test -f bare/rootfs/etc/apt/sources.list.d/imagegen.sources
check "apt: an image without apt has no sources, no keyring, no extended_states" \
	sh -c '! test -e noapt/rootfs/etc/apt && ! test -e noapt/rootfs/var/lib/apt'
same "apt: and its files are root's, 0644" "644 0 0|644 0 0|644 0 0" \
	"$(cd withapt/rootfs && stat -c '%a %u %g' etc/apt/sources.list.d/imagegen.sources etc/apt/keyrings/archive.gpg var/lib/apt/extended_states | paste -sd '|')"

# another keyring: the layer is made again, with the new bytes
cp "$W/test.gpg" "$W/src/archive.gpg" && printf 'x' >> "$W/src/archive.gpg"
ninja > again.log 2>&1
rm -rf again && umoci unpack --image out/withapt:latest again > /dev/null
check "apt: a changed keyring file is in the image after ninja" cmp "$W/src/archive.gpg" again/rootfs/etc/apt/keyrings/archive.gpg
