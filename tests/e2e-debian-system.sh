# The products of a fresh install's configure step, for real: the Essential
# set with tzdata, locales, passwd and libpam-cap from the machine's apt
# sources, compared with what `mmdebstrap --variant=essential --include=...`
# of the same sources leaves (PAM's common-* files and /var/lib/pam, the
# time zone, locale.gen, subuid, base-files' folders and links,
# /var/lib/dpkg/arch, /etc/ld.so.cache byte for byte); then
# `su -s /bin/sh nobody -c id` in the image under runc, as root. Downloads
# and mmdebstrap's tarball (keyed by the lock's packages) are cached in
# $IMAGEGEN_TEST_CACHE (default ~/.cache/imagegen-tests).
. "$TOP/tests/lib.sh"

workdir debian-system-real
export IMAGEGEN_CACHE="${IMAGEGEN_TEST_CACHE:-$HOME/.cache/imagegen-tests}"
for tool in mmdebstrap runc umoci; do
	have $tool || { fail "debian-system: $tool is not installed (apt-get install $tool)"; exit 0; }
done

mkdir -p "$W/src" "$W/b" && cd "$W/b" || exit 1
cat > ../src/build.lua <<'LUA'
image { name = "ess", packages = { "tzdata", "locales", "passwd", "libpam-cap" }, essential = true }
LUA
check "ess: imagegen lock against the machine's apt sources" "$IMAGEGEN" lock ../src/build.lua
check "ess: builds" sh -c "'$IMAGEGEN' --locked ../src/build.lua && ninja > ninja.log 2>&1"
rm -rf bundle && umoci unpack --image out/ess:latest bundle > /dev/null
R=$W/b/bundle/rootfs

# mmdebstrap of the same request and the same sources (the machine's), kept by the lock's packages
sources=
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] && grep -q '^[^#]' "$f" && sources="$sources $f"
done
suite=$(sed -n 's/^Suites: *\([^ ]*\).*/\1/p; s/^deb \(\[[^]]*\] \)\{0,1\}[^ ]* \([^ ]*\).*/\2/p' $sources | head -n 1)
key=$(jget ../src/imagegen.lock "' '.join(sorted(p['name'] + '=' + p['version'] for p in j['images']['ess']['packages']))" | sha256sum | cut -c1-16)
tarball=$IMAGEGEN_CACHE/mmdebstrap-system/ess-$key.tar
if [ ! -s "$tarball" ]; then
	mkdir -p "$IMAGEGEN_CACHE/mmdebstrap-system"
	# apt in mmdebstrap takes the .deb files imagegen fetched (by their pool names) instead of downloading them
	mkdir -p debs
	jget ../src/imagegen.lock "'\\n'.join(p['sha256'] + ' ' + p['filename'].split('/')[-1] for p in j['images']['ess']['packages'])" |
	while read -r sum name; do ln -sf "$IMAGEGEN_CACHE/deb/$sum.deb" "debs/$name"; done
	rm -rf "$tarball.part.tar"
	mmdebstrap --setup-hook="mkdir -p \"\$1/var/cache/apt/archives\" && cp -L '$W/b/debs/'*.deb \"\$1/var/cache/apt/archives/\"" \
		--variant=essential --include=tzdata,locales,passwd,libpam-cap "$suite" "$tarball.part.tar" $sources > mm.log 2>&1 &&
		mv "$tarball.part.tar" "$tarball"
fi
mkdir mm && tar -xf "$tarball" -C mm 2> /dev/null
M=$W/b/mm
check "mmdebstrap: made a root of the same request ($(tail -n 1 mm.log 2> /dev/null))" test -f "$M/var/lib/dpkg/status"
same "mmdebstrap: the same packages and versions" \
	"$(dpkg-query --admindir="$M/var/lib/dpkg" -W -f '${Package} ${Version}\n' | sort)" \
	"$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Package} ${Version}\n' | sort)"

# each product: the same bytes (or link target), mode and owner
for p in etc/pam.d/common-auth etc/pam.d/common-account etc/pam.d/common-password etc/pam.d/common-session \
	etc/pam.d/common-session-noninteractive var/lib/pam var/lib/pam/seen var/lib/pam/auth var/lib/pam/account \
	var/lib/pam/password var/lib/pam/session var/lib/pam/session-noninteractive etc/localtime etc/timezone \
	etc/locale.gen etc/default/locale etc/subuid etc/subgid etc/environment etc/security/opasswd var/log/faillog \
	var/log/wtmp var/log/btmp var/log/lastlog var/run var/lock var/mail run/lock mnt srv opt media etc/opt var/opt \
	var/spool/mail usr/local/man var/lib/dpkg/arch etc/ld.so.cache; do
	a=$(cd "$M" && stat -c '%A %U %G' "$p" 2>&1; readlink "$p"; [ -f "$p" ] && ! [ -L "$p" ] && md5sum < "$p")
	b=$(cd "$R" && stat -c '%A %U %G' "$p" 2>&1; readlink "$p"; [ -f "$p" ] && ! [ -L "$p" ] && md5sum < "$p")
	same "as mmdebstrap: /$p" "$a" "$b"
done
same "as mmdebstrap: ldconfig -p lists the same libraries" "$(ldconfig -C "$M/etc/ld.so.cache" -p | sed 1d)" \
	"$(ldconfig -C "$R/etc/ld.so.cache" -p | sed 1d)"

# su through PAM, in runc as root, with the capabilities to change user
python3 - <<'PY'
import json
c = json.load(open("bundle/config.json"))
c["process"]["terminal"] = False
c["process"]["args"] = ["su", "-s", "/bin/sh", "nobody", "-c", "id"]
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID", "CAP_AUDIT_WRITE"]
for k in c["process"]["capabilities"]:
    c["process"]["capabilities"][k] = caps
json.dump(c, open("bundle/config.json", "w"))
PY
out=$(cd bundle && timeout 60 runc run "imagegen-test-$$-su" < /dev/null 2>&1)
same "su -s /bin/sh nobody -c id, in runc" "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)" "$out"
