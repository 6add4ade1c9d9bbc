# The dpkg layer's products of a fresh install's configure step, hermetic:
# PAM's common-* files from pam-configs profiles (priorities, Default,
# -Initial lines, a disabled profile, the Primary and Additional blocks),
# tzdata's and locales' files, login's, base-files' folders and links,
# /var/lib/dpkg/arch, each only with its package; and /etc/ld.so.cache
# compared byte for byte with the one this machine's `ldconfig -X -r` writes
# in the unpacked image (shared objects built here, ld.so.conf.d, links).
. "$TOP/tests/lib.sh"

needdebtools debian-system || exit 0
have gcc || { skip "debian-system: gcc is not installed"; exit 0; }

workdir debian-system
export IMAGEGEN_CACHE="$W/cache"
signedrepo
MA=$(gcc -print-multiarch)
LIBCVER=$(dpkg-query -W -f '${Version}' libc-bin)

# PAM: the templates as libpam-runtime ships them, and test profiles
mkpkg libpam-runtime 1.5.2 all "" "mkdir -p usr/share/pam usr/share/pam-configs &&
	cp /usr/share/pam/common-auth /usr/share/pam/common-account /usr/share/pam/common-password \
		/usr/share/pam/common-session /usr/share/pam/common-session-noninteractive usr/share/pam/"
mkpkg pam-zeta 1.0 all "" 'mkdir -p usr/share/pam-configs && printf "Name: Zeta\nDefault: yes\nPriority: 256\nAuth-Type: Primary\nAuth:\n\t[success=end default=ignore]\tpam_zeta.so try_first_pass\nAuth-Initial:\n\t[success=end default=ignore]\tpam_zeta.so\n" > usr/share/pam-configs/zeta'
mkpkg pam-alpha 1.0 all "" 'mkdir -p usr/share/pam-configs && printf "Name: Alpha\nDefault: yes\nPriority: 128\nAuth-Type: Primary\nAuth:\n\t[success=end default=ignore]\tpam_alpha.so use_first_pass\nSession-Type: Additional\nSession-Interactive-Only: yes\nSession:\n\toptional\tpam_alpha.so\n" > usr/share/pam-configs/alpha &&
	printf "Name: Off\nDefault: no\nPriority: 300\nSession-Type: Additional\nSession:\n\toptional\tpam_off.so\n" > usr/share/pam-configs/off &&
	printf "Name: Tally\nDefault: yes\nPriority: 512\nAuth-Type: Primary\nAuth:\n\trequired\tpam_tally.so\n" > usr/share/pam-configs/tally'
mkpkg tzdata 2024a all ""
mkpkg locales 2.36 all "" 'mkdir -p usr/share/i18n && printf "en_US.UTF-8 UTF-8\n# a comment\nC.UTF-8 UTF-8  \naa_DJ ISO-8859-1\nen_US.UTF-8 UTF-8\n" > usr/share/i18n/SUPPORTED'
mkpkg login 1.0 "$ARCH" ""
mkpkg dpkg 1.21 "$ARCH" ""
mkpkg base-passwd 3.6.1 "$ARCH" "" 'mkdir -p usr/share/base-passwd &&
	printf "root:*:0:0:root:/root:/bin/bash\nnobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" > usr/share/base-passwd/passwd.master &&
	printf "root:*:0:\nmail:*:8:\nutmp:*:43:\nnogroup:*:65534:\n" > usr/share/base-passwd/group.master'
mkpkg base-files 12.4 "$ARCH" "" 'mkdir -p var/run var/lock var/log var/spool usr/local etc'
# the dynamic linker's files: ld.so.conf with an include, a folder of its own
mkpkg libc-bin "$LIBCVER" "$ARCH" "" "mkdir -p etc/ld.so.conf.d && echo 'include /etc/ld.so.conf.d/*.conf' > etc/ld.so.conf &&
	printf '# multiarch\n/lib/$MA\n/usr/lib/$MA\n' > etc/ld.so.conf.d/$MA.conf && printf '/opt/extra/ # a comment\n' > etc/ld.so.conf.d/zz-extra.conf"
mkdir -p "$W/so" && printf 'int f(void) { return 1; }\n' > "$W/so/f.c"
gcc -shared -fPIC -Wl,-soname,libdemo.so.1 -o "$W/so/libdemo.so.1.2.3" "$W/so/f.c" &&
gcc -shared -fPIC -Wl,-soname,libdemo.so.10 -o "$W/so/libdemo.so.10.0" "$W/so/f.c" &&
gcc -shared -fPIC -nostdlib -Wl,-soname,libextra.so.3 -o "$W/so/libextra.so.3" "$W/so/f.c" &&
gcc -shared -fPIC -o "$W/so/libnosoname.so.7" "$W/so/f.c" || fail "debian-system: gcc could not build the shared objects"
mkpkg libdemo1 1.2.3 "$ARCH" "" "mkdir -p usr/lib/$MA opt/extra && cp '$W/so/libdemo.so.1.2.3' '$W/so/libdemo.so.10.0' '$W/so/libnosoname.so.7' usr/lib/$MA/ &&
	ln -s libdemo.so.1.2.3 usr/lib/$MA/libdemo.so.1 && ln -s libdemo.so.10.0 usr/lib/$MA/libdemo.so.10 && ln -s libdemo.so.1 usr/lib/$MA/libdemo.so &&
	ln -s libgone.so.1.0 usr/lib/$MA/libgone.so.1 && echo 'GROUP ( libdemo.so.1 )' > usr/lib/$MA/libscript.so &&
	cp '$W/so/libextra.so.3' opt/extra/ && cp '$W/so/libextra.so.3' usr/lib/$MA/notalib.so.3"
if ! mkindex stable || ! serve "$REPO"; then
	fail "debian-system: the test repository did not start"
	exit 0
fi
URL=http://127.0.0.1:$PORT

# build NAME PACKAGES: image NAME of PACKAGES built in $W/NAME, unpacked in $W/NAME/bundle; R its root
build() {
	mkdir -p "$W/$1/src" "$W/$1/b" && cd "$W/$1/b" || exit 1
	cat > ../src/build.lua <<EOF
local repo = repository { url = "$URL", suite = "stable", keyring = "$W/test.gpg" }
image { name = "$1", packages = { $2 }, repositories = { repo } }
EOF
	"$IMAGEGEN" ../src/build.lua 2> gen.log && ninja > ninja.log 2>&1
	check "$1: builds" test -f "out/$1/index.json"
	rm -rf bundle && umoci unpack --image "out/$1:latest" bundle > /dev/null
	R=$W/$1/b/bundle/rootfs
}

build sys '"libpam-runtime", "pam-zeta", "pam-alpha", "tzdata", "locales", "login", "dpkg", "base-passwd", "base-files", "libc-bin", "libdemo1"'
# the profiles by priority (Tally's pam_tally disables it): zeta's -Initial
# lines first, alpha's after it; the jumps count the lines of the block
same "pam: common-auth's Primary block" "$(printf 'auth\t[success=2 default=ignore]\tpam_zeta.so \nauth\t[success=1 default=ignore]\tpam_alpha.so use_first_pass')" \
	"$(sed -n '/the "Primary" block/,/fallback/p' "$R/etc/pam.d/common-auth" | sed '1d;$d')"
same "pam: common-auth keeps the template's other lines" "$(sed -n '/fallback/,$p' /usr/share/pam/common-auth | grep -v '^\$auth_additional')" \
	"$(sed -n '/fallback/,$p' "$R/etc/pam.d/common-auth")"
same "pam: no Primary session module: pam_permit with [default=1]; alpha's Additional line" \
	"$(printf 'session\t[default=1]\t\t\tpam_permit.so\n# here'"'"'s the fallback if no module succeeds')" \
	"$(sed -n '/the "Primary" block/,/fallback/p' "$R/etc/pam.d/common-session" | sed '1d')"
contains "pam: alpha's Additional session line" "$R/etc/pam.d/common-session" "$(printf 'session\toptional\tpam_alpha.so ')"
check "pam: not in the noninteractive session (Session-Interactive-Only)" sh -c "! grep -q pam_alpha '$R/etc/pam.d/common-session-noninteractive'"
check "pam: Default: no is not enabled" sh -c "! grep -rq pam_off '$R/etc/pam.d'"
same "pam: /var/lib/pam/seen lists every profile but the disabled one, by priority" "off zeta alpha" "$(echo $(cat "$R/var/lib/pam/seen"))"
same "pam: /var/lib/pam/auth as pam-auth-update saves it" "$(printf 'Module: zeta\n[success=end default=ignore]\tpam_zeta.so\nModule: alpha\n[success=end default=ignore]\tpam_alpha.so use_first_pass')" \
	"$(cat "$R/var/lib/pam/auth")"
check "pam: the report no longer lists pam-auth-update" sh -c "! grep -q pam-auth-update out/sys.maintscripts"
same "tzdata: /etc/localtime" /usr/share/zoneinfo/Etc/UTC "$(readlink "$R/etc/localtime")"
same "tzdata: /etc/timezone" Etc/UTC "$(cat "$R/etc/timezone")"
same "locales: /etc/locale.gen lists SUPPORTED's locales once each, commented, in byte order" \
	"$(printf '# this file, you need to rerun locale-gen.\n\n\n# C.UTF-8 UTF-8\n# aa_DJ ISO-8859-1\n# en_US.UTF-8 UTF-8')" "$(sed -n '4,$p' "$R/etc/locale.gen")"
same "locales: /etc/default/locale" "#  File generated by update-locale" "$(cat "$R/etc/default/locale")"
same "login: /etc/subuid and /etc/subgid, empty" "-rw-r--r-- 0 -rw-r--r-- 0" "$(stat -c '%A %s' "$R/etc/subuid" "$R/etc/subgid" | tr '\n' ' ' | sed 's/ $//')"
same "base-files: /var/run and /var/lock are links" "/run /run/lock" "$(readlink "$R/var/run") $(readlink "$R/var/lock")"
same "base-files: /var/mail 2775 root:mail, /run/lock 1777" "drwxrwsr-x 0 8 drwxrwxrwt" "$(stat -c '%A %u %g' "$R/var/mail") $(stat -c %A "$R/run/lock")"
same "base-files: /var/log/btmp 660 root:utmp" "-rw-rw---- 43" "$(stat -c '%A %g' "$R/var/log/btmp")"
same "dpkg: /var/lib/dpkg/arch" "$ARCH" "$(cat "$R/var/lib/dpkg/arch")"

# ld.so.cache: this machine's ldconfig over the same root writes the same bytes
cp "$R/etc/ld.so.cache" ours.cache
ldconfig -X -r "$R" 2> ldconfig.log
check "ld.so.cache: the same bytes as ldconfig -X -r writes ($(ldconfig -C ours.cache -p | head -n 1))" cmp ours.cache "$R/etc/ld.so.cache"
ldconfig -C ours.cache -p > ours.txt
check "ld.so.cache: a SONAME through its link, in the conf's first spelling of the folder" grep -q "^	libdemo\.so\.1 (libc6.*) => /lib/$MA/libdemo\.so\.1\$" ours.txt
check "ld.so.cache: the folder of an included conf" grep -q "^	libextra\.so\.3 (libc6.*) => /opt/extra/libextra\.so\.3\$" ours.txt
same "ld.so.cache: the entries in ldconfig's order (numbers compared as numbers), dev links and no SONAME" \
	"libnosoname.so.7 libextra.so.3 libdemo.so.10 libdemo.so.1 libdemo.so" \
	"$(echo $(grep -o -e 'libnosoname[^ ]*' -e 'libextra[^ ]*' -e 'libdemo[^ ]*' ours.txt | grep -v / | awk '!s[$0]++'))"
check "ld.so.cache: not a dangling link, a linker script or a name ldconfig passes over" \
	sh -c "! grep -e libgone -e libscript -e notalib ours.txt"

# without the packages, none of it
build bare '"tzdata"'
check "bare: no PAM files, locale.gen, subuid or ld.so.cache without their packages" \
	sh -c "! ls '$R/etc/pam.d' '$R/etc/locale.gen' '$R/etc/subuid' '$R/etc/ld.so.cache' '$R/var/lib/dpkg/arch' 2> /dev/null | grep ."
check "bare: tzdata's files alone" test -L "$R/etc/localtime" -a -f "$R/etc/timezone"
