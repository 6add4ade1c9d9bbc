# Accounts and owners from maintainer scripts, hermetic: packages of a
# signed repository made here whose postinsts run adduser, addgroup,
# useradd, groupadd, usermod, shadowconfig, chown, chmod, install -d and
# dpkg-statoverride as Debian's do (passwd's, ssl-cert's and
# postgresql-common's shapes). The expected lines are worked out from
# adduser's and shadow's rules (docs/debian.md), not copied from a run.
. "$TOP/tests/lib.sh"

needdebtools debian-accounts || exit 0

workdir debian-accounts
export IMAGEGEN_CACHE="$W/cache"
signedrepo

mkpkg base-passwd 3.6.1 "$ARCH" "Essential: yes" 'mkdir -p usr/share/base-passwd &&
	printf "root:*:0:0:root:/root:/bin/bash\ndaemon:*:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nnobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" > usr/share/base-passwd/passwd.master &&
	printf "root:*:0:\nshadow:*:42:\nusers:*:100:\nnogroup:*:65534:\n" > usr/share/base-passwd/group.master'
# base-files' folders, as Debian's: /var/run and /var/lock become links to
# /run and /run/lock on a fresh install (imagegen.sysconf)
mkpkg base-files 12.4 "$ARCH" "Essential: yes" 'mkdir -p run var/run var/lock etc && chmod 1777 var/lock'
# passwd's postinst, as Debian's: the shadow group is there, so only shadowconfig on
mkpkg passwd 1.0 "$ARCH" "Depends: base-passwd" 'cat > DEBIAN/postinst <<"SH" && chmod 755 DEBIAN/postinst
#!/bin/sh
set -e
case "$1" in
configure)
	if ! getent group shadow | grep -q '"'"'^shadow:[^:]*:42'"'"'
	then
		groupadd -g 42 shadow || (
			echo "Group ID 42 has been allocated for the shadow group." >&2
			exit 1
		)
	fi
    ;;
esac
# Run shadowconfig only on new installs
[ -z "$2" ] && shadowconfig on
exit 0
SH'
# ssl-cert's: a system group, and a stat override on a folder it ships 0700
mkpkg zz-cert 1.0 all "Depends: passwd" 'mkdir -p etc/ssl/private && chmod 700 etc/ssl/private &&
	cat > DEBIAN/postinst <<"SH" && chmod 755 DEBIAN/postinst
#!/bin/sh
set -e
# Create the ssl-cert system group (it isn'"'"'t there on a fresh install)
if ! getent group ssl-cert >/dev/null; then
	addgroup --quiet --system --force-badname ssl-cert
fi
if ! dpkg-statoverride --list /etc/ssl/private >/dev/null 2>&1
then
    dpkg-statoverride --update --add root ssl-cert 710 /etc/ssl/private
fi
SH'
# postgresql-common's, and more: named to come first by name, configured last
mkpkg aa-db 1.0 all "Depends: zz-cert, passwd" 'mkdir -p etc/aadb var/lib/aadb srv/aadb/data usr/share/aadb && chmod 750 etc/aadb &&
	echo "port = 1" > usr/share/aadb/default.conf &&
	echo data > srv/aadb/data/file && cat > DEBIAN/postinst <<"SH" && chmod 755 DEBIAN/postinst
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    quiet="--quiet"
    if ! getent passwd aadb > /dev/null; then
        adduser --system $quiet --home /var/lib/aadb --no-create-home \
            --shell /bin/bash --group --gecos "AA database administrator" aadb
    fi
    if ! getent group aadb > /dev/null; then
        addgroup --system $quiet aadb
    fi
    if ! id -Gn aadb | grep -qw aadb; then
        adduser $quiet aadb aadb
    fi
    if [ "`id -u aadb`" -eq 0 ]; then
        echo "The aadb system user must not have uid 0 (root)." >&2
        exit 1
    fi
    mkdir -p /var/lib/aadb
    su -s /bin/sh aadb -c "test -O /var/lib/aadb &&
            test -G /var/lib/aadb" || \
        chown aadb:aadb /var/lib/aadb
    chown aadb:aadb /etc/aadb
    mkdir -p /var/log/aadb
    chmod 1775 /var/log/aadb
    chown root:aadb /var/log/aadb
    [ -d /var/run/aadb ] || \
       install -d -m 2775 -o aadb -g aadb /var/run/aadb
    if [ -z "$2" ]; then
        if getent group ssl-cert >/dev/null; then
            if ! id -Gn aadb 2> /dev/null | grep -qw ssl-cert; then
                adduser $quiet aadb ssl-cert
            fi
        fi
    fi
    chown -R aadb: /srv/aadb
    useradd -r -s /usr/sbin/nologin -d /nonexistent aasvc
    groupadd -r aagrp
    usermod -a -G aagrp,ssl-cert aasvc
    adduser --system --home /home/aahome aahome
    chmod g+w,o-rx /home/aahome
    chown aadb /srv/app
    install -o aadb -g aadb -m 640 /usr/share/aadb/default.conf /etc/aadb/aadb.conf
    echo "listen = *" > /etc/aadb/listen.conf
    chown aadb /etc/aadb/listen.conf
    chmod g+w /etc/aadb/listen.conf
    make-aadb-cluster
fi
SH'
if ! mkindex stable; then
	fail "debian-accounts: signing the test repository failed"
	exit 0
fi
if ! serve "$REPO"; then
	fail "debian-accounts: the test repository's HTTP server did not start"
	exit 0
fi
URL=http://127.0.0.1:$PORT

mkdir -p "$W/src" "$W/b"
# a declared user with uid 100 and group with gid 101: the scripts' accounts go round them
cat > "$W/src/build.lua" <<EOF
local repo = repository { url = "$URL", suite = "stable", keyring = "$W/test.gpg" }
image {
  name = "db",
  packages = { "aa-db", "base-files" },
  repositories = { repo },
  users = { { name = "app", uid = 100, gid = 101, home = "/srv/app" } },
  groups = { { name = "app", gid = 101 } },
  user = "aadb:ssl-cert",
}
EOF
cd "$W/b" || exit 1
# a day of 2023: /etc/shadow's days of the last change
export SOURCE_DATE_EPOCH=1700000000
"$IMAGEGEN" ../src/build.lua 2> gen.err && ninja > ninja.log 2>&1
check "db: builds, its user a script's account" test -f out/db/index.json
[ -f out/db/index.json ] || sed 's/^/    /' ninja.log | tail -n 5
rm -rf bundle && umoci unpack --image out/db:latest bundle > /dev/null
R=$W/b/bundle/rootfs

same "db: /etc/passwd: base-passwd's, the declared user, then adduser's and useradd's in configure order" \
"root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
app:x:100:101:app:/srv/app:/usr/sbin/nologin
aadb:x:101:103:AA database administrator,,,:/var/lib/aadb:/bin/bash
aasvc:x:999:999::/nonexistent:/usr/sbin/nologin
aahome:x:102:65534::/home/aahome:/usr/sbin/nologin" "$(cat "$R/etc/passwd")"
same "db: /etc/group: ssl-cert (configured first) 102, aadb 103, useradd's and groupadd's from 999 down, members" \
"root:x:0:
shadow:x:42:
users:x:100:
nogroup:x:65534:
app:x:101:
ssl-cert:x:102:aadb,aasvc
aadb:x:103:
aasvc:x:999:
aagrp:x:998:aasvc" "$(cat "$R/etc/group")"
same "db: /etc/shadow: pwconv's lines for the accounts there at shadowconfig on, useradd's for the later ones" \
"root:*:19675:0:99999:7:::
daemon:*:19675:0:99999:7:::
nobody:*:19675:0:99999:7:::
app:*:19675:0:99999:7:::
aadb:!:19675::::::
aasvc:!:19675::::::
aahome:!:19675::::::" "$(cat "$R/etc/shadow")"
same "db: /etc/gshadow: grpconv's, then groupadd's" \
"root:*::
shadow:*::
users:*::
nogroup:*::
app:*::
ssl-cert:!::aadb,aasvc
aadb:!::
aasvc:!::
aagrp:!::aasvc" "$(cat "$R/etc/gshadow")"
same "db: var/lib/dpkg/statoverride" "root ssl-cert 710 /etc/ssl/private" "$(cat "$R/var/lib/dpkg/statoverride")"

# owners and modes, as the layers have them (whatever user unpacks them)
layers=$(jget "$(blob out/db "$(jget out/db/index.json "j['manifests'][0]['digest']")")" "' '.join(l['digest'][7:] for l in j['layers'])")
last=${layers##* }
python3 "$TOP/tests/tarlist.py" "out/db/blobs/sha256/$last" | awk '{print $2, $3, $4}' > dpkg.entries
entry() {
	same "db: $1" "$2" "$(grep "^$3/\{0,1\} " dpkg.entries | cut -d' ' -f2,3)"
}
entry "/etc/ssl/private, shipped 0700: 0710 root:ssl-cert by the stat override" "0710 0:102" etc/ssl/private
entry "/etc/aadb, shipped 0750: chown keeps the mode" "0750 101:103" etc/aadb
entry "/var/lib/aadb: chowned after su's test -O failed" "0755 101:103" var/lib/aadb
entry "/var/log/aadb: mkdir, chmod 1775, chown root:aadb" "1775 0:103" var/log/aadb
entry "/var/run/aadb: install -d -m 2775 -o -g, under /run" "2775 101:103" run/aadb
entry "chown -R: the folder" "0755 101:103" srv/aadb
entry "chown -R: a folder below it" "0755 101:103" srv/aadb/data
entry "adduser --system --home: the home made 0755, then chmod g+w,o-rx" "0770 102:65534" home/aahome
entry "/etc/shadow: root:shadow 0640" "0640 0:42" etc/shadow
# files the script writes itself (imagegen.maint) take the owners and modes given them
entry "install -o -g -m 640 of a file of the image" "0640 101:103" etc/aadb/aadb.conf
same "db: with its bytes" "port = 1" "$(cat "$R/etc/aadb/aadb.conf")"
entry "echo > FILE, then chown aadb and chmod g+w" "0664 101:0" etc/aadb/listen.conf
check "db: a package's folder no script touched is not written again" sh -c "! grep -q '^usr/share/' dpkg.entries"
check "db: nor is a package's file (its bytes stay in its layer)" sh -c "! grep -q '^srv/aadb/data/file ' dpkg.entries"
same "db: /var/run is base-files' link to /run" /run "$(readlink "$R/var/run")"
check "db: with no folder under it in the dpkg layer" sh -c "! grep -q '^var/run/' dpkg.entries"
entry "/run/lock: base-files' 1777, not its /var/lock (a link to it)" "1777 0:0" run/lock

# the report lists what was not done, and nothing that was
M=out/db.maintscripts
printf 'aa-db\tpostinst\t' > want.txt
check "db: the report lists the package file chown -R left" grep -q "$(cat want.txt)[0-9]*	chown -R aadb: /srv/aadb	(the folders are done; the package files below (1) keep their owners and modes)" $M
check "db: and a command imagegen does not know" grep -q "$(cat want.txt)[0-9]*	make-aadb-cluster" $M
check "db: and a chown of a declared home, which keeps its declared owner" grep -q "$(cat want.txt)[0-9]*	chown aadb /srv/app	(a declared account's home keeps its declared owner and mode)" $M
entry "a declared home: as declared" "0755 100:101" srv/app
check "db: no account, owner or question command is listed" sh -c "! grep -E -e 'adduser|addgroup|useradd|groupadd|usermod|shadowconfig|statoverride|chmod|install -d|su -s|getent|id -' $M"
same "db: the report has those three lines alone" 3 "$(grep -c -v '^#' $M)"

# dpkg reads the database
same "db: dpkg --audit finds nothing" "" "$(dpkg --root="$R" --audit 2>&1)"
same "db: dpkg -V finds every file as packaged" "" "$(dpkg --root="$R" -V 2>&1)"

# the same definition, another build folder: the same bytes
mkdir -p "$W/b2" && cd "$W/b2" || exit 1
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > /dev/null 2>&1
same "db: built again elsewhere, the same image" "$(cat "$W/b/out/db/index.json")" "$(cat out/db/index.json)"

# without SOURCE_DATE_EPOCH, /etc/shadow leaves the day of the last change empty (not 0: a new password due)
cd "$W/b" || exit 1
SOURCE_DATE_EPOCH=0 "$IMAGEGEN" ../src/build.lua 2> /dev/null && SOURCE_DATE_EPOCH=0 ninja > /dev/null 2>&1
rm -rf bundle && umoci unpack --image out/db:latest bundle > /dev/null
same "db: epoch 0: no day of the last change" "root:*::0:99999:7:::
aadb:!:::::::" "$(grep -e ^root: -e ^aadb: "$R/etc/shadow")"

# a user the scripts do not make is still an error, in one line
sed 's/user = "aadb:ssl-cert"/user = "nosuch"/' ../src/build.lua > ../src/build.new && mv ../src/build.new ../src/build.lua
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > bad.log 2>&1
same "db: a user no script makes fails the build" 1 $?
check "db: in one line that lists the scripts' accounts" grep -q "user 'nosuch' is not an account of the image (its /etc/passwd has root, daemon, nobody, app, aadb, aasvc, aahome)" bad.log
