# What maintainer scripts leave, against Debian's own (issue 27 parts 3 and
# 6): an Essential image with nginx-light, fontconfig-config and
# postgresql-client-15 from the machine's apt sources (no host is named
# here), beside mmdebstrap --variant=essential of the same packages, which
# runs the scripts. Compared path by path (content, mode, owner, link
# target): base-files' copies of /usr/share/base-files, /etc/shells and
# update-shells' state, the pager alternative, nginx's default page and
# modules-enabled link, fontconfig's conf.d links as debconf's defaults
# choose them, dash's diversions and /bin/sh; and .maintscripts lists no
# action whose products are there. Downloads are cached across runs in
# $IMAGEGEN_TEST_CACHE (default ~/.cache/imagegen-tests), mmdebstrap's too.
. "$TOP/tests/lib.sh"

workdir debian-products
if ! command -v mmdebstrap > /dev/null; then
	skip "debian-products: mmdebstrap is not installed"
	exit 0
fi
CACHE="${IMAGEGEN_TEST_CACHE:-$HOME/.cache/imagegen-tests}"
export IMAGEGEN_CACHE="$CACHE"
PKGS="nginx-light fontconfig-config postgresql-client-15"
SOURCES=
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
	[ -s "$f" ] && SOURCES="$SOURCES $f"
done

# imagegen's image, from the machine's sources
mkdir -p "$W/src" "$W/b"
cat > "$W/src/build.lua" <<EOF
image { name = "p", packages = { "$(echo $PKGS | sed 's/ /", "/g')" }, essential = true }
EOF
cd "$W/b" || exit 1
check "imagegen builds the image" sh -c "'$IMAGEGEN' ../src/build.lua > gen.log 2>&1 && ninja > ninja.log 2>&1"
rm -rf bundle && umoci unpack --image out/p:latest bundle > /dev/null
R=bundle/rootfs
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")

# mmdebstrap's, its .debs kept between runs, and its tarball kept by what
# decides it: the request, mmdebstrap's version and the indexes (the
# InRelease digests imagegen's lock records of the same sources); a new
# one replaces the former (beside the .debs: sync-in copies their folder whole)
MMCACHE=$CACHE/mmdebstrap-products
MMTARS=$CACHE/mmdebstrap-products-root
mkdir -p "$MMCACHE" "$MMTARS"
indexes=$(jget ../src/imagegen.lock "'\\n'.join(sorted(r['inrelease_sha256'] for r in j['repositories'].values()))" 2> /dev/null)
key=$( { echo "$PKGS"; mmdebstrap --version; echo "$indexes"; } | sha256sum | cut -c1-16)
tarball=$MMTARS/essential-$key.tar
# no lock (the build failed): nothing kept
[ -n "$indexes" ] || tarball=$W/mm.tar
if [ ! -s "$tarball" ]; then
	[ -z "$indexes" ] || rm -f "$MMTARS"/essential-*.tar
	mmdebstrap --quiet --variant=essential --include="$(echo $PKGS | tr ' ' ,)" \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
		--setup-hook="sync-in $MMCACHE /var/cache/apt/archives/" \
		--customize-hook="sync-out /var/cache/apt/archives $MMCACHE" \
		"$suite" "$tarball.part.tar" $SOURCES > mm.log 2>&1 &&
		mv "$tarball.part.tar" "$tarball"
fi
check "mmdebstrap builds the same packages" test -s "$tarball"
mkdir -p "$W/mm" && tar -C "$W/mm" -xf "$tarball" 2> /dev/null
M=$W/mm

# what a path is: its kind, mode, owner and group, and its target or its bytes' sha256
what() {
	if [ -L "$1" ]; then echo "link $(readlink "$1")"
	elif [ -d "$1" ]; then stat -c 'dir %a %U:%G' "$1"
	elif [ -f "$1" ]; then echo "$(stat -c 'file %a %U:%G' "$1") $(sha256sum < "$1" | cut -c1-16)"
	else echo missing; fi
}
alike() {
	same "$1 as Debian's (mmdebstrap)" "$(what "$M$1")" "$(what "$R$1")"
}
for p in /etc/profile /etc/motd /root/.bashrc /root/.profile /usr/share/info/dir \
	/etc/shells /var/lib/shells.state /etc/dpkg/origins/default /usr/local/man /var/spool/mail \
	/usr/bin/pager /etc/alternatives/pager /bin/sh /usr/share/man/man1/sh.1.gz /var/lib/dpkg/diversions \
	/var/www/html/index.nginx-debian.html /etc/nginx/modules-enabled/50-mod-http-echo.conf \
	/etc/fonts/conf.d/10-hinting-slight.conf /etc/fonts/conf.d/70-no-bitmaps.conf /etc/nsswitch.conf; do
	alike "$p"
done
# every conf.d link alike
same "fontconfig: conf.d as Debian's" "$(ls "$M/etc/fonts/conf.d")" "$(ls "$R/etc/fonts/conf.d")"
# postgresql-client-15's man pages through alternatives (a function of
# postgresql-common's that dpkg -L and sed feed)
same "postgresql: the alternatives as Debian's" "$(ls "$M/var/lib/dpkg/alternatives")" "$(ls "$R/var/lib/dpkg/alternatives")"
alike /usr/share/man/man1/psql.1.gz
alike /etc/alternatives/psql.1.gz
same "postgresql: psql.1.gz's alternative as Debian's" "$(cat "$M/var/lib/dpkg/alternatives/psql.1.gz")" \
	"$(cat "$R/var/lib/dpkg/alternatives/psql.1.gz" 2> /dev/null)"
# the report: no action whose product is there
for p in /etc/shells /etc/profile index.nginx-debian.html modules-enabled passwd.master; do
	check "report: no line for $p, which is made" sh -c "! grep -q '$p' out/p.maintscripts"
done
