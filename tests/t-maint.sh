# The maintainer-script reader, hermetic (issue 27 parts 3 and 6): packages
# of a signed test repository whose scripts source a helper of another
# package and call its functions with arguments ($1, $@, local, return),
# copy and install files of the image, write files with echo, printf and
# here-documents, link with ln -sf, divert with dpkg-divert, add shells
# (update-shells over every package's shells.d), and ask debconf; the image
# holds what they make (content, mode, link target), and .maintscripts lists
# only the actions whose products are missing, each with its paths.
. "$TOP/tests/lib.sh"

needdebtools maint || exit 0

workdir maint
export IMAGEGEN_CACHE="$W/cache"
signedrepo

mkdir -p "$W/scripts"
# the helper, in a package of its own (as postgresql-common's functions)
cat > "$W/scripts/helper.sh" <<'SH'
# functions for the scripts of other packages
put_line() {
	local file="$1"
	shift
	echo "$@" >> "$file"
}
link_version() {
	[ -n "$1" ] || return 0
	ln -sf "/usr/lib/tool-$1/bin/tool" "/usr/bin/tool"
	return 0
	echo never > /etc/never
}
SH
mkpkg helper 1.0 "$ARCH" "" 'mkdir -p usr/share/helper && cp "$W/scripts/helper.sh" usr/share/helper/functions'
cat > "$W/scripts/tool.postinst" <<'SH'
#!/bin/sh
set -e
VERSION=${DPKG_MAINTSCRIPT_PACKAGE##*-}
. /usr/share/helper/functions
if [ "$1" = configure ] && [ -z "$2" ]; then
	link_version $VERSION
	put_line /etc/tool.conf "version" "$VERSION"
	put_line /etc/tool.conf "arch $(dpkg --print-architecture)"
	printf '%s=%s\n' name tool mode "$(uname -s)" > /etc/tool.env
	cp -p /usr/share/tool-7/default.conf /etc/tool-default.conf
	install -m 0755 /usr/share/tool-7/run.sh /usr/local/bin/tool-run
	install -d -m 0750 /var/lib/tool
	cat > /etc/tool.d.conf <<EOT
# written by tool $VERSION
include /etc/tool.conf
EOT
	# a comment's "<< 4.38" (as netbase's) begins no here-document
	cat > /etc/tool.after <<-EOT
		after the comment
	EOT
	# a here-document whose command goes on over a continuation line
	cat > /etc/tool.joined \
		<<EOT
joined $VERSION
EOT
	: > /var/log/tool.log
	touch /var/log/tool.err
	ln -sf ../tool.conf /etc/tool-7.conf
	mkdir -p /var/tmp/tool
	cp /usr/share/tool-7/missing.conf /etc/missing.conf || true
	dpkg-divert --package tool-7 --no-rename --divert /usr/bin/tool.real --add /usr/bin/tool
	[ "$(dpkg-divert --listpackage /usr/bin/tool)" = tool-7 ] && echo diverted > /etc/tool.diverted
	db_get tool/colour
	echo "colour=$RET" > /etc/tool.colour
	add-shell /usr/bin/toolsh
	chown tool /etc/tool.conf
fi
SH
mkpkg tool-7 1.0 "$ARCH" "Depends: helper" 'mkdir -p usr/lib/tool-7/bin usr/share/tool-7 usr/share/debianutils/shells.d &&
	echo tool > usr/lib/tool-7/bin/tool && chmod 755 usr/lib/tool-7/bin/tool &&
	printf "colour = blue\n" > usr/share/tool-7/default.conf && printf "#!/bin/sh\necho run\n" > usr/share/tool-7/run.sh &&
	printf "/bin/toolsh2\n" > usr/share/debianutils/shells.d/tool &&
	printf "Template: tool/colour\nType: string\nDefault: green\nDescription: colour\n" > DEBIAN/templates &&
	cp "$W/scripts/tool.postinst" DEBIAN/postinst && chmod 755 DEBIAN/postinst'
# a package shipping the shells template and update-shells' call (as debianutils)
mkpkg shells 1.0 "$ARCH" "" 'mkdir -p usr/share/debianutils/shells.d &&
	printf "# /etc/shells: valid login shells\n/bin/sh\n" > usr/share/debianutils/shells &&
	printf "/bin/bash\n" > usr/share/debianutils/shells.d/bash &&
	printf "#!/bin/sh\nset -e\nif test -z \"\$2\" && test ! -f /etc/shells; then\n\tcp -p /usr/share/debianutils/shells /etc/shells\nfi\nupdate-shells\n" > DEBIAN/postinst &&
	chmod 755 DEBIAN/postinst'
if ! mkindex stable || ! serve "$REPO"; then
	fail "maint: the test repository did not start"
	exit 0
fi
mkdir -p "$W/src" "$W/b"
cat > "$W/src/build.lua" <<EOF
local repo = repository { url = "http://127.0.0.1:$PORT", suite = "stable", keyring = "$W/test.gpg" }
image { name = "m", packages = { "tool-7", "shells" }, repositories = { repo } }
EOF
cd "$W/b" || exit 1
"$IMAGEGEN" ../src/build.lua 2> gen.err && ninja > ninja.log 2>&1
check "builds" test -f out/m/index.json
rm -rf bundle && umoci unpack --image out/m:latest bundle > /dev/null
R=bundle/rootfs
same "a function of a sourced file, called with \$VERSION from \${VAR##*-}: ln -sf" /usr/lib/tool-7/bin/tool "$(readlink "$R/usr/bin/tool")"
same "echo \"\$@\" >> FILE in a function, with local and shift" "$(printf 'version 7\narch %s' "$ARCH")" "$(cat "$R/etc/tool.conf")"
same "printf's format reused, \$(uname -s)" "$(printf 'name=tool\nmode=Linux')" "$(cat "$R/etc/tool.env")"
same "cp -p of a file of the image" "colour = blue" "$(cat "$R/etc/tool-default.conf")"
same "install -m 0755: the bytes" "$(printf '#!/bin/sh\necho run')" "$(cat "$R/usr/local/bin/tool-run")"
same "install -m 0755: the mode" 755 "$(stat -c %a "$R/usr/local/bin/tool-run")"
same "install -d -m 0750" 750 "$(stat -c %a "$R/var/lib/tool")"
same "a here-document, \$VERSION expanded" "$(printf '# written by tool 7\ninclude /etc/tool.conf')" "$(cat "$R/etc/tool.d.conf")"
same "a here-document after a comment that names << 4.38" "after the comment" "$(cat "$R/etc/tool.after")"
same "a here-document begun on a continuation line" "joined 7" "$(cat "$R/etc/tool.joined")"
check ": > FILE makes it empty" test -f "$R/var/log/tool.log" -a ! -s "$R/var/log/tool.log"
check "touch makes an empty file" test -f "$R/var/log/tool.err" -a ! -s "$R/var/log/tool.err"
same "ln -sf, relative" ../tool.conf "$(readlink "$R/etc/tool-7.conf")"
check "after return, nothing of the function runs" test ! -e "$R/etc/never"
same "dpkg-divert: the diversions file" "$(printf '/usr/bin/tool\n/usr/bin/tool.real\ntool-7')" "$(cat "$R/var/lib/dpkg/diversions")"
same "\$(dpkg-divert --listpackage)" diverted "$(cat "$R/etc/tool.diverted")"
same "db_get: the template's default" colour=green "$(cat "$R/etc/tool.colour")"
same "update-shells and add-shell: /etc/shells" "$(printf '# /etc/shells: valid login shells\n/bin/sh\n/bin/bash\n/bin/toolsh2\n/usr/bin/sh\n/usr/bin/bash\n/usr/bin/toolsh2\n/usr/bin/toolsh')" "$(cat "$R/etc/shells")"
same "update-shells: its state, each shell then its path through /bin -> usr/bin" "$(printf '/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/toolsh2\n/usr/bin/toolsh2')" "$(cat "$R/var/lib/shells.state")"
check "the helper's functions are not listed" sh -c "! grep -q -e put_line -e link_version -e functions out/m.maintscripts"
contains "a copy whose source is missing is listed with the path it would make" out/m.maintscripts \
	"$(printf 'tool-7\tpostinst\t30\tcp /usr/share/tool-7/missing.conf /etc/missing.conf || true\t(would make /etc/missing.conf)')"
contains "an action with no path is listed" out/m.maintscripts "$(printf 'tool-7\tpostinst\t36\tchown tool /etc/tool.conf')"
same "nothing else is listed" 2 "$(grep -vc '^#' out/m.maintscripts)"
