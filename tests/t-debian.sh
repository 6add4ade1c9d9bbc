# Debian packages, hermetic: a signed repository made here and served on
# 127.0.0.1 covers dependencies, alternatives, virtual packages, version
# relations, essential packages, conflicts, missing packages, a tampered
# .deb, a bad signature, a changed Release, the lock and the cache.
. "$TOP/tests/lib.sh"

needdebtools debian || exit 0

workdir debian
export IMAGEGEN_CACHE="$W/cache"
signedrepo
# busybox's server and the agent of the key that did not sign go at exit too
BB=
atexit '[ -z "$BB" ] || stop "$BB"; gpgconf --homedir "$W/othergpg" --kill gpg-agent 2>/dev/null'

mkpkg libfoo 1.0 "$ARCH" "Multi-Arch: same" 'mkdir -p usr/lib && echo v1 > usr/lib/libfoo.so.1'
mkpkg libfoo 1.3 "$ARCH" "Multi-Arch: same" 'mkdir -p usr/lib && echo v13 > usr/lib/libfoo.so.1'
mkpkg prelib 1.0 "$ARCH" "" 'mkdir -p usr/lib && echo pre > usr/lib/prelib'
mkpkg app 2.0 "$ARCH" "Pre-Depends: prelib
Depends: libfoo (>= 1.2), httpd | web-server, base-x" \
	'mkdir -p usr/bin && printf "#!/bin/sh\necho app\n" > usr/bin/app && chmod 4755 usr/bin/app && ln usr/bin/app usr/bin/app-hard && ln -s app usr/bin/app-link'
mkpkg tinyhttpd 1.0 "$ARCH" "Provides: httpd"
mkpkg otherhttpd 1.0 "$ARCH" "Provides: httpd"
mkpkg base-x 1.0 all "Essential: yes"
mkpkg interp 3.0 all "Multi-Arch: allowed"
mkpkg tool 1.0 "$ARCH" "Depends: interp:any (>= 2)"
mkpkg broken 1.0 "$ARCH" "Depends: ghost (>= 1)"
mkpkg needold 1.0 "$ARCH" "Depends: libfoo (<< 1.1)"
mkpkg tilde 2:1.0~beta1 "$ARCH" ""
mkpkg clash 1.0 "$ARCH" "Conflicts: otherhttpd
Depends: app"
# what maintainer scripts would make: accounts, alternatives, conffiles,
# md5sums, trust stores; merged /usr
mkpkg base-passwd 3.6.1 "$ARCH" "Essential: yes" 'mkdir -p usr/share/base-passwd &&
	printf "root:*:0:0:root:/root:/bin/bash\ndaemon:*:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nwww-data:*:33:33:www-data:/var/www:/usr/sbin/nologin\n_apt:*:42:65534::/nonexistent:/usr/sbin/nologin\nnobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" > usr/share/base-passwd/passwd.master &&
	printf "root:*:0:\nadm:*:4:\nwww-data:*:33:\nnogroup:*:65534:\n" > usr/share/base-passwd/group.master'
mkpkg pick-one 1.0 "$ARCH" "" 'mkdir -p usr/bin usr/share/man/man1 && echo one > usr/bin/pick-one && chmod 755 usr/bin/pick-one &&
	echo man > usr/share/man/man1/pick-one.1.gz && cat > DEBIAN/postinst <<"SH" && chmod 755 DEBIAN/postinst
#!/bin/sh
set -e
if [ "$1" = configure ]; then
	update-alternatives --install /usr/bin/pick pick /usr/bin/pick-one 10 \
		--slave /usr/share/man/man1/pick.1.gz pick.1.gz /usr/share/man/man1/pick-one.1.gz
	adduser --system --quiet pickd
fi
SH'
mkpkg pick-two 1.0 "$ARCH" "" 'mkdir -p usr/lib/pick-two/bin usr/lib/pick-two/man && echo two > usr/lib/pick-two/bin/pick &&
	echo pack > usr/lib/pick-two/bin/pack && echo man > usr/lib/pick-two/man/pack.1.gz && cat > DEBIAN/postinst <<"SH" && chmod 755 DEBIAN/postinst
#!/bin/sh
set -e
basedir=/usr/lib/pick-two
priority=20
tools="pick pack"
case "$1" in
configure)
	for i in $tools; do
		unset slave1 || true
		if [ -e $basedir/man/$i.1.gz ]; then
			slave1="--slave \
				/usr/share/man/man1/$i.1.gz $i.1.gz $basedir/man/$i.1.gz"
		fi
		update-alternatives --install /usr/bin/$i $i $basedir/bin/$i $priority $slave1
	done
	[ -e /var/lib/pick-two ] || mkdir -p /var/lib/pick-two
	ln -s /usr/lib/pick-two/bin/pick /usr/bin/pick2
	cat > /etc/pick.conf <<EOT
ln -s /nowhere /usr/bin/bogus
EOT
	;;
esac
SH'
mkpkg confpkg 1.0 "$ARCH" "" 'mkdir -p etc && echo "setting = 1" > etc/confpkg.conf && echo /etc/confpkg.conf > DEBIAN/conffiles &&
	echo "interest-noawait /usr/share/confpkg.d" > DEBIAN/triggers'
NOSUMS=1 mkpkg nosums 1.0 "$ARCH" "" 'mkdir -p usr/share/nosums && echo data > usr/share/nosums/data'
mkpkg mergepkg 1.0 "$ARCH" "" 'mkdir -p bin sbin lib/mlib lib64 && echo tool > bin/mtool && chmod 755 bin/mtool &&
	ln bin/mtool bin/mtool2 && ln -s mtool bin/mtool-link && echo sbin > sbin/msbin && echo lib > lib/mlib/x && echo ld > lib64/ld.so'
# test certificates: a space, parentheses and UTF-8 in their names, as Debian's have
mkdir -p "$W/certs"
for c in "Alpha Root" Beta "Főtanúsítvány (x)" Local; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=imagegen test $c" \
		-days 3650 -keyout "$W/certs/$c.key" -out "$W/certs/$c.crt" 2> /dev/null
done
mkpkg ca-certificates 20230311 all "" 'mkdir -p usr/share/ca-certificates/test etc/ssl/certs &&
	cp "$W/certs/Alpha Root.crt" "$W/certs/Beta.crt" "$W/certs/Főtanúsítvány (x).crt" usr/share/ca-certificates/test/ &&
	printf "#!/bin/sh\nset -e\nupdate-ca-certificates --hooksdir \\"\\"\ndpkg-trigger --no-await update-ca-certificates\n" > DEBIAN/postinst &&
	chmod 755 DEBIAN/postinst'
mkpkg ca-certificates-java 20230710 all "Depends: ca-certificates" 'mkdir -p etc/ssl/certs/java'
mkpkg names 1.0 "$ARCH" "" 'python3 "$TOP/tests/names.py" debtree usr/share/names'
python3 "$TOP/tests/names.py" deb "$REPO/pool/main/names2_1.0_all.deb" names2
# more than imagegen reads into memory: a certificate of 17 MB, an md5sums of 70 MB, 2^20 + 1 files
python3 "$TOP/tests/names.py" manydeb "$REPO/pool/main/many_1.0_all.deb" many 1048577
mkpkg bigcert 1.0 all "" 'mkdir -p usr/share/ca-certificates/big && head -c 17000000 /dev/zero | tr "\0" x > usr/share/ca-certificates/big/big.crt'
NOSUMS=1 mkpkg bigsums 1.0 all "" 'yes "d41d8cd98f00b204e9800998ecf8427e  usr/share/doc/bigsums/README" | head -c 70000000 > DEBIAN/md5sums'
python3 "$TOP/tests/names.py" badeb "$REPO/pool/main/dotdot_1.0_all.deb" dotdot './usr/../../etc/passwd'
python3 "$TOP/tests/names.py" badeb "$REPO/pool/main/wh_1.0_all.deb" wh './usr/share/.wh.new
line'
if ! mkindex stable; then
	fail "debian: signing the test repository failed"
	exit 0
fi
if ! serve "$REPO"; then
	fail "debian: the test repository's HTTP server did not start"
	exit 0
fi
URL=http://127.0.0.1:$PORT

# define NAME PACKAGES [EXTRA]: a definition in $W/NAME/src, a build folder $W/NAME/b
define() {
	mkdir -p "$W/$1/src" "$W/$1/b"
	cat > "$W/$1/src/build.lua" <<EOF
local repo = repository { url = "$URL", suite = "stable", keyring = "$W/test.gpg" }
image {
  name = "$1",
  packages = { $2 },
  repositories = { repo },
  $3
}
EOF
	cd "$W/$1/b" || exit 1
}

# the resolver's choices
define app '"app", "tool"' 'users = { { name = "www-data", uid = 33, gid = 33, home = "/var/www" } },
  groups = { { name = "www-data", gid = 33 } }, user = "www-data",'
check "app: imagegen lock resolves and writes imagegen.lock" "$IMAGEGEN" lock ../src/build.lua
lockpkgs=$(python3 -c "import json;l=json.load(open('../src/imagegen.lock'));print(' '.join(p['name']+'='+p['version'] for p in l['images']['app']['packages']))")
same "app: dependencies, Pre-Depends, the higher fitting version, the first virtual provider, :any, an Essential dependency, base-passwd by default" \
	"app=2.0 base-passwd=3.6.1 base-x=1.0 interp=3.0 libfoo=1.3 otherhttpd=1.0 prelib=1.0 tool=1.0" "$lockpkgs"
check "app: the lock has the Release digest" grep -q '"inrelease_sha256":"[0-9a-f]\{64\}"' ../src/imagegen.lock
check "app: the lock has one package a line" test "$(grep -c '^{"architecture"' ../src/imagegen.lock)" -eq 8
"$IMAGEGEN" ../src/build.lua 2> gen.err
same "app: a matching lock is used without a word" "" "$(cat gen.err)"
check "app: ninja builds the image" ninja
checkvalid "app: oci-validate" out/app
rm -rf bundle
check "app: umoci unpacks it" umoci unpack --image out/app:latest bundle
R=bundle/rootfs
check "app: the package's files are there, setuid kept" test -u "$R/usr/bin/app"
same "app: a hard link within a package stays one" "$(stat -c %i "$R/usr/bin/app")" "$(stat -c %i "$R/usr/bin/app-hard")"
same "app: a symlink within a package stays one" "app" "$(readlink "$R/usr/bin/app-link")"
same "app: dpkg-query sees the packages" "app base-passwd base-x interp libfoo otherhttpd prelib tool" \
	"$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Package} ' | sed 's/ $//')"
same "app: dpkg-query sees them installed" "install ok installed" \
	"$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${Status}\n' libfoo)"
check "app: status.d and md5sums for scanners" test -f "$R/var/lib/dpkg/status.d/libfoo" -a -f "$R/var/lib/dpkg/info/libfoo:$ARCH.md5sums"
check "app: the Essential package it depends on came along" test -e "$R/usr/share/doc/base-x"
contains "app: /etc/passwd has the declared user" "$R/etc/passwd" "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin"
contains "app: /etc/group has the declared group" "$R/etc/group" "www-data:x:33:"
same "app: user = \"www-data\" resolves to its ids" "33:33" \
	"$(jget "$(blob out/app "$(jget "$(blob out/app "$(jget out/app/index.json "j['manifests'][0]['digest']")")" "j['config']['digest']")")" "j['config']['User']")"

# the make backend builds the same image from the same lock
mkdir -p "$W/app/mk" && cd "$W/app/mk" || exit 1
"$IMAGEGEN" -G make ../src/build.lua && printf 'include images.mk\n' > Makefile
check "app: make builds it too" make -j2 images
check "app: make and ninja build the same layout" diff -r ../b/out/app out/app
cd "$W/app/b" || exit 1

# the same lock in another folder, with the cache: the same image, nothing fetched
mkdir -p "$W/app2/b" && cd "$W/app2/b" || exit 1
cp -R "$W/app/src" ../src
gets=$(grep -c 'GET /pool' "$W/http.log")
"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1
same "app: a second folder from the same lock: the same image" "$(cat "$W/app/b/out/app/index.json")" "$(cat out/app/index.json)"
same "app: an unchanged lock fetches nothing" "0 $gets" "$(count ninja.log FETCH) $(grep -c 'GET /pool' "$W/http.log")"

# a new build folder takes the package layers from the layer cache: the .debs are not read
f=$(ls "$IMAGEGEN_CACHE"/deb/*.deb | head -n 1)
cp "$f" "$W/good.deb"
echo corrupt >> "$f"
rm -rf .imagegen out
ninja > layercache.log 2>&1
same "layer cache: a new build folder builds the same image" "$(cat "$W/app/b/out/app/index.json")" "$(cat out/app/index.json)"
check "layer cache: without reading a .deb (a corrupted one goes unnoticed)" sh -c "! grep -q 'does not match' layercache.log"
b=$(ls "$IMAGEGEN_CACHE"/layer/sha256/* | head -n 1)
echo damaged >> "$b"
rm -rf .imagegen out
ninja > damaged.log 2>&1
same "layer cache: a damaged cached layer is made again, the same" "$(cat "$W/app/b/out/app/index.json")" "$(cat out/app/index.json)"
same "layer cache: and the good one is kept in its place" "${b##*/}" "$(sha256sum < "$b" | cut -d' ' -f1)"

# a corrupted cache file is found and fetched again
rm -rf "$IMAGEGEN_CACHE/layer" .imagegen out
ninja > corrupt.log 2>&1
check "cache: a build over a corrupted cached .deb still succeeds" test -f out/app/index.json
contains "cache: the corruption is reported" corrupt.log "does not match its sha256; fetching it again"
same "cache: and the image is the same" "$(cat "$W/app/b/out/app/index.json")" "$(cat out/app/index.json)"

# --locked: a definition that no longer matches its lock
sed 's/"app", "tool"/"app"/' ../src/build.lua > ../src/build.new && mv ../src/build.new ../src/build.lua
"$IMAGEGEN" --locked ../src/build.lua > locked.err 2>&1
same "--locked: a stale lock fails" 1 $?
if grep -q "no longer matches the definition; run: imagegen lock ../src/build.lua" locked.err; then
	ok "--locked: the message names the command"
else
	fail "--locked: message: $(cat locked.err)"
fi
"$IMAGEGEN" ../src/build.lua 2> relock.err
n=$(grep -c '^{"architecture"' ../src/imagegen.lock)
same "without --locked the lock is brought up to date, with one line that says so (not an error)" \
	"imagegen: updated ../src/imagegen.lock: packages resolved for image 'app' (its definition changed): $n packages for 1 image" \
	"$(cat relock.err)"
check "and the lock no longer has tool" sh -c "! grep -q '\"name\":\"tool\"' ../src/imagegen.lock"
rm ../src/imagegen.lock
"$IMAGEGEN" ../src/build.lua 2> first.err
same "the first build writes the lock, and says so in one line" \
	"imagegen: wrote ../src/imagegen.lock (first build): $n packages for 1 image" "$(cat first.err)"
check "and the lock has the packages" grep -q '"name":"app"' ../src/imagegen.lock

# resolution failures: one line with the chain that needed the package
resolvefails() {
	define "$1" "$2"
	"$IMAGEGEN" lock ../src/build.lua > err 2>&1
	status=$?
	if [ $status -eq 1 ] && [ "$(wc -l < err)" -eq 1 ] && grep -q -F -e "$3" err; then
		ok "$1: $3"
	else
		fail "$1: exit $status: $(cat err)"
	fi
	check "$1: no lock written" test ! -e ../src/imagegen.lock
}
resolvefails missing '"broken"' "no package satisfies ghost (>= 1) (needed by broken)"
resolvefails unknown '"nosuch"' "package nosuch not found in $URL stable"
resolvefails conflict '"app", "needold"' "conflict: needold needs libfoo (<< 1.1), but libfoo 1.3 was chosen for app -> libfoo"
resolvefails conflicts '"clash"' "conflict: clash 1.0 (clash) conflicts with otherhttpd, chosen for clash -> app -> otherhttpd"
define old '"needold"'
"$IMAGEGEN" lock ../src/build.lua
check "version relations: needold gets libfoo 1.0" grep -q '"name":"libfoo".*"version":"1.0"' ../src/imagegen.lock
define essential '"base-x"'
"$IMAGEGEN" lock ../src/build.lua
check "an essential package asked for by name comes" grep -q '"name":"base-x"' ../src/imagegen.lock

# the dpkg layer: accounts, alternatives, conffiles, md5sums, trust stores, merged /usr
define sys '"libfoo", "pick-one", "pick-two", "confpkg", "nosums", "mergepkg", "ca-certificates", "ca-certificates-java", "base-passwd"' \
	'users = { { name = "app", uid = 1000, gid = 1000, home = "/srv/app" }, { name = "www-data", uid = 33, gid = 33, home = "/srv" } },
  groups = { { name = "app", gid = 1000 } },
  files = { { "/usr/local/share/ca-certificates/local.crt", "local.crt" } },'
cp "$W/certs/Local.crt" ../src/local.crt
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > ninja.log 2>&1
check "sys: builds" test -f out/sys/index.json
rm -rf bundle && umoci unpack --image out/sys:latest bundle > /dev/null
R=$W/sys/b/bundle/rootfs
same "sys: dpkg --audit finds nothing" "" "$(dpkg --root="$R" --audit 2>&1)"
same "sys: dpkg -V finds every file as packaged" "" "$(dpkg --root="$R" -V 2>&1)"
check "sys: info/format says the multiarch layout" test "$(cat "$R/var/lib/dpkg/info/format")" = 1
check "sys: dpkg -L answers for a Multi-Arch: same package" dpkg --root="$R" -L "libfoo:$ARCH"
md5=$(echo "setting = 1" | md5sum | cut -d' ' -f1)
contains "sys: the status has the package's Conffiles" "$R/var/lib/dpkg/status" " /etc/confpkg.conf $md5"
check "sys: md5sums are made for a package without them" grep -q "usr/share/nosums/data" "$R/var/lib/dpkg/info/nosums.md5sums"
check "sys: maintainer scripts are kept in info/" test -x "$R/var/lib/dpkg/info/pick-one.postinst"
# accounts: base-passwd's master files, the declared accounts over them
same "sys: /etc/passwd is base-passwd's master with the declared accounts over it, then adduser --system's (nogroup, no shadow)" \
"root:*:0:0:root:/root:/bin/bash
daemon:*:1:1:daemon:/usr/sbin:/usr/sbin/nologin
www-data:x:33:33:www-data:/srv:/usr/sbin/nologin
_apt:*:42:65534::/nonexistent:/usr/sbin/nologin
nobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
app:x:1000:1000:app:/srv/app:/usr/sbin/nologin
pickd:!:100:65534::/nonexistent:/usr/sbin/nologin" "$(cat "$R/etc/passwd")"
contains "sys: /etc/group has the master's groups and the declared one" "$R/etc/group" "app:x:1000:"
contains "sys: /etc/group keeps nogroup" "$R/etc/group" "nogroup:*:65534:"
# alternatives: the higher priority wins; a slave whose choice lacks it gets no link
same "sys: /usr/bin/pick links to the alternative" "/etc/alternatives/pick" "$(readlink "$R/usr/bin/pick")"
same "sys: auto mode takes the highest priority" "/usr/lib/pick-two/bin/pick" "$(readlink "$R/etc/alternatives/pick")"
same "sys: a variable, a for loop and a conditional slave: pack and its slave" \
	"/usr/lib/pick-two/man/pack.1.gz" "$(readlink "$R/etc/alternatives/pack.1.gz")"
check "sys: no slave link where the best choice has none" test ! -e "$R/usr/share/man/man1/pick.1.gz" -a ! -L "$R/usr/share/man/man1/pick.1.gz"
printf 'auto\n/usr/bin/pick\npick.1.gz\n/usr/share/man/man1/pick.1.gz\n\n/usr/bin/pick-one\n10\n/usr/share/man/man1/pick-one.1.gz\n/usr/lib/pick-two/bin/pick\n20\n\n\n' > pick.want
check "sys: var/lib/dpkg/alternatives/pick as update-alternatives writes it" cmp pick.want "$R/var/lib/dpkg/alternatives/pick"
update-alternatives --root "$R" --display pick > display.out 2>&1
contains "sys: update-alternatives --display reads it: auto mode" display.out "pick - auto mode"
contains "sys: update-alternatives --display reads it: the current link" display.out "link currently points to /usr/lib/pick-two/bin/pick"
contains "sys: update-alternatives --display reads it: the slave of the other choice" display.out "slave pick.1.gz: /usr/share/man/man1/pick-one.1.gz"
same "sys: a script's ln -s is reproduced" "/usr/lib/pick-two/bin/pick" "$(readlink "$R/usr/bin/pick2")"
check "sys: a script's mkdir is reproduced" test -d "$R/var/lib/pick-two"
check "sys: a here-document's text is not read as commands" test ! -L "$R/usr/bin/bogus"
check "sys: the here-document is the file it writes" test "$(cat "$R/etc/pick.conf")" = "ln -s /nowhere /usr/bin/bogus"
check "sys: so its command is not listed" sh -c "! grep -q pick.conf out/sys.maintscripts"
check "sys: a script's adduser is reproduced, not listed" sh -c "! grep -q adduser out/sys.maintscripts"
printf 'confpkg\ttriggers\t1\tinterest-noawait /usr/share/confpkg.d\t(not run)\n' > want.txt
contains "sys: a trigger imagegen does not run is listed" out/sys.maintscripts "$(cat want.txt)"
check "sys: what it does reproduce is not listed" sh -c "! grep -q -e update-alternatives -e update-ca-certificates -e 'ln -s' out/sys.maintscripts"
# merged /usr: package paths under /usr, /bin and friends links to them
same "sys: /bin is a link to usr/bin" "usr/bin" "$(readlink "$R/bin")"
same "sys: /lib is a link to usr/lib" "usr/lib" "$(readlink "$R/lib")"
check "sys: a file the package puts in /bin is in /usr/bin" test -f "$R/usr/bin/mtool"
same "sys: and its hard link too" "$(stat -c %i "$R/usr/bin/mtool")" "$(stat -c %i "$R/usr/bin/mtool2")"
check "sys: /sbin and /lib64 files under /usr" test -f "$R/usr/sbin/msbin" -a -f "$R/usr/lib64/ld.so" -a -f "$R/usr/lib/mlib/x"
check "sys: dpkg's list keeps the path the package names" grep -qx /bin/mtool "$R/var/lib/dpkg/info/mergepkg.list"
same "sys: dpkg -S answers for it" "mergepkg: /bin/mtool" "$(dpkg --root="$R" -S /bin/mtool 2>&1)"
layers=$(jget "$(blob out/sys "$(jget out/sys/index.json "j['manifests'][0]['digest']")")" "' '.join(l['digest'][7:] for l in j['layers'])")
bins=$(for l in $layers; do tar -tzf "out/sys/blobs/sha256/$l"; done | grep -c -E '^(bin|sbin|lib|lib64)/.')
same "sys: no layer has a path under the /bin or /lib links (overlayfs would hide the links)" 0 "$bins"
# trust stores
same "sys: the conf lists the packaged certificates" "test/Alpha Root.crt
test/Beta.crt
test/Főtanúsítvány (x).crt" "$(grep -v '^#' "$R/etc/ca-certificates.conf")"
same "sys: a certificate's link, named as update-ca-certificates names it" \
	"/usr/share/ca-certificates/test/Főtanúsítvány (x).crt" "$(readlink "$R/etc/ssl/certs/Főtanúsítvány_=x=.pem")"
same "sys: the bundle: the packaged certificates in the conf's order, then the local ones" \
	"$(cat "$W/certs/Alpha Root.crt" "$W/certs/Beta.crt" "$W/certs/Főtanúsítvány (x).crt" "$W/certs/Local.crt")" \
	"$(cat "$R/etc/ssl/certs/ca-certificates.crt")"
h=$(openssl x509 -noout -subject_hash -in "$W/certs/Local.crt")
same "sys: the local certificate's subject-hash link" "local.pem" "$(readlink "$R/etc/ssl/certs/$h.0")"
if [ -x /usr/sbin/update-ca-certificates ]; then
	# Debian's own script, run here on a copy of the image's files, writes the same
	mkdir -p uca/etc uca/hooks && cp "$R/etc/ca-certificates.conf" uca/ca.conf
	/usr/sbin/update-ca-certificates --certsconf "$PWD/uca/ca.conf" --certsdir "$R/usr/share/ca-certificates" \
		--localcertsdir "$R/usr/local/share/ca-certificates" --etccertsdir "$PWD/uca/etc" --hooksdir "$PWD/uca/hooks" > /dev/null 2>&1
	check "sys: update-ca-certificates would write the same bundle" cmp uca/etc/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
	same "sys: and the same hash links" "$(cd uca/etc && for f in *.[0-9]; do echo "$f $(readlink "$f")"; done)" \
		"$(cd "$R/etc/ssl/certs" && for f in *.[0-9]; do echo "$f $(readlink "$f")"; done)"
fi
openssl pkcs12 -in "$R/etc/ssl/certs/java/cacerts" -passin pass:changeit -nokeys -info > p12.out 2>&1
same "sys: the Java store holds the four certificates" 4 "$(grep -c -- '-----BEGIN CERTIFICATE-----' p12.out)"
same "sys: each trusted by Java (its trusted-certificate attribute)" 4 "$(grep -c '2.16.840.1.113894.746875.1.1' p12.out)"
contains "sys: named as ca-certificates-java names them" p12.out "friendlyName: debian:local.pem"
if have keytool; then
	same "sys: keytool lists them as trusted entries" 4 \
		"$(keytool -list -keystore "$R/etc/ssl/certs/java/cacerts" -storepass changeit 2>/dev/null | grep -c trustedCertEntry)"
fi
# libcrypto is loaded for the trust stores alone: with a broken one first on
# the library path, the dpkg layer fails in one line naming the package
so=$(strings -a "$IMAGEGEN" | grep -m 1 '^libcrypto\.so')
mkdir -p broken && : > "broken/$so"
LD_LIBRARY_PATH=broken "$IMAGEGEN" layer $(specargs .imagegen/spec/layer/sys/dpkg.json) dpkg.desc dpkg.d .imagegen/blobs > crypto.out 2>&1
same "sys: without a usable $so, the trust stores fail, exit 1" 1 $?
check "sys: in one line naming the package to install" \
	sh -c "test \$(wc -l < crypto.out) -eq 1 && grep -q '$so.*; trust stores need libcrypto: apt-get install [a-z0-9.+-]*\$' crypto.out"
check "sys: and the dpkg layer without the broken one is the build's" sh -c \
	"'$IMAGEGEN' layer $(specargs .imagegen/spec/layer/sys/dpkg.json) dpkg.desc dpkg.d .imagegen/blobs && cmp dpkg.desc .imagegen/layer/sys/dpkg.json"
# memory: the package layer helper (from the layer cache and from the .deb) and the dpkg layer's
# (not under check-asan: valgrind cannot run a binary built with ASan)
if have valgrind && [ -z "${ASAN_OPTIONS:-}" ]; then
	vg() {
		valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$@"
	}
	vglayer() {
		check "valgrind: layer $1$2" vg "$IMAGEGEN" layer $(specargs ".imagegen/spec/layer/$1.json") ".imagegen/layer/$1.json" \
			".imagegen/layer/$1.json.d" .imagegen/blobs
	}
	vglayer deb/ca-certificates_20230311_all ", from the layer cache"
	mv "$IMAGEGEN_CACHE/layer" "$IMAGEGEN_CACHE/layer.off"
	vglayer deb/ca-certificates_20230311_all ", from the .deb"
	rm -rf "$IMAGEGEN_CACHE/layer" && mv "$IMAGEGEN_CACHE/layer.off" "$IMAGEGEN_CACHE/layer"
	vglayer sys/dpkg ""
fi

# a dpkg layer that cannot be made: one line naming the image's declaration
mv .imagegen/layer/deb/nosums_1.0_$ARCH.dpkg nosums.dpkg
"$IMAGEGEN" layer $(specargs .imagegen/spec/layer/sys/dpkg.json) dpkg.json dpkg.json.d .imagegen/blobs > err 2>&1
same "dpkg layer error: exit 1, one line" "1 1" "$? $(wc -l < err)"
contains "dpkg layer error: the line names the declaration and the file" err "build.lua:2: packages: dpkg layer: .imagegen/layer/deb/nosums_1.0_$ARCH.dpkg: No such file"
check "dpkg layer error: no descriptor written" test ! -e dpkg.json
mv nosums.dpkg .imagegen/layer/deb/nosums_1.0_$ARCH.dpkg

# the same definition builds the same bytes
mkdir -p "$W/sys/b2" && cd "$W/sys/b2" && "$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > /dev/null 2>&1
same "sys: a second build folder: the same image" "$(cat "$W/sys/b/out/sys/index.json")" "$(cat out/sys/index.json)"

# certificates for the trust store come as files or text, not trees
define certtree '"ca-certificates"' 'files = { { "/usr/local/share/ca-certificates", tree "certs" } },'
mkdir -p ../src/certs && cp "$W/certs/Local.crt" ../src/certs/
"$IMAGEGEN" ../src/build.lua > err 2>&1
same "trust store: a tree of certificates is one error line, exit 1" "1 1" "$? $(wc -l < err)"
contains "trust store: the line names the entry" err "build.lua:2: files[1]: /usr/local/share/ca-certificates: the trust store reads"
check "trust store: nothing written" test ! -e build.ninja

# an image keeps its base's /usr layout
mkdir -p "$W/layout/src" "$W/layout/b" && cd "$W/layout/b" || exit 1
cat > ../src/build.lua <<EOF
local repo = repository { url = "$URL", suite = "stable", keyring = "$W/test.gpg" }
image { name = "a", packages = { "prelib" }, repositories = { repo } }
image { name = "b", base = "a", packages = { "mergepkg" }, repositories = { repo }, mergedusr = false }
EOF
"$IMAGEGEN" ../src/build.lua > err 2>&1
same "mergedusr: against its base's layout, exit 1" 1 $?
contains "mergedusr: one line says so" err "build.lua:3: mergedusr = false, but its base 'a' has a merged /usr"
check "mergedusr: nothing written" test ! -e build.ninja

# merged /usr can be turned off; essential = true adds the Essential set
define split '"mergepkg"' 'mergedusr = false,'
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > ninja.log 2>&1
rm -rf bundle && umoci unpack --image out/split:latest bundle > /dev/null
check "mergedusr = false: /bin is a folder with the package's file" test -d bundle/rootfs/bin -a ! -L bundle/rootfs/bin -a -f bundle/rootfs/bin/mtool
check "mergedusr = false: nothing under /usr/bin" test ! -e bundle/rootfs/usr/bin/mtool
define ess '"prelib"' 'essential = true,'
"$IMAGEGEN" lock ../src/build.lua
lockpkgs=$(python3 -c "import json;l=json.load(open('../src/imagegen.lock'));print(' '.join(p['name'] for p in l['images']['ess']['packages']))")
same "essential = true: the Essential packages come with what was asked for" "base-passwd base-x prelib" "$lockpkgs"
check "essential = true: the lock records it" grep -q '"essential":true' ../src/imagegen.lock
"$IMAGEGEN" ../src/build.lua 2> gen.err
same "essential = true: and the lock then matches" "" "$(cat gen.err)"

# a version with an epoch and a tilde: layer ids that ninja's and samurai's depfiles can carry
define tilde '"tilde"'
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > ninja.log 2>&1
check "versions with ':' and '~' build" test -f out/tilde/index.json
contains "their layer ids spell ':' and '~' as @3a and @7e" build.ninja "deb/tilde_2@3a1.0@7ebeta1_$ARCH"
if have samu; then
	rm -rf .imagegen out && "$IMAGEGEN" ../src/build.lua 2> /dev/null
	check "samurai builds it and reads its depfiles" sh -c "samu > samu.log 2>&1 && samu -n 2>&1 | grep -q 'nothing to do'"
fi

# every name a package can hold: as dpkg-deb writes them (GNU tar, not UTF-8
# as it is), and a package made by hand: a newline, and a pax path record
# that is not UTF-8 without hdrcharset=BINARY
define names '"names", "names2"'
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > ninja.log 2>&1
check "names: packages with awkward names build" test -f out/names/index.json
rm -rf bundle
check "names: umoci unpacks the image" umoci unpack --image out/names:latest bundle
check "names: the package's files, links and hard links, byte for byte" \
	python3 "$TOP/tests/names.py" compare "$REPO/build/names-1.0-$ARCH/usr/share/names" bundle/rootfs/usr/share/names
same "names: a file named with a newline" newline "$(cat 'bundle/rootfs/usr/share/names2/new
line')"
same "names: a pax name that is not UTF-8 and says nothing of it" latin-1 "$(cat "bundle/rootfs/usr/share/names2/$(printf 'caf\351')")"
check "names: the dpkg file list has them" grep -q "^/usr/share/names2/$(printf 'caf\351')\$" bundle/rootfs/var/lib/dpkg/info/names2.list

# a package layer two images have is in a bundle of its own: renaming the
# image declared first does not run its edge again (it did when the layer's
# spec went in the first image's bundle)
define shared '"prelib"'
sed 's/^image {$/for _, n in ipairs { "first", "second" } do image {/; s/name = "shared",/name = n,/; s/^}$/} end/' \
	../src/build.lua > ../src/new.lua && mv ../src/new.lua ../src/build.lua
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > ninja.log 2>&1
check "shared: two images of one package build" test -f out/second/index.json
sed 's/"first"/"renamed"/' ../src/build.lua > ../src/new.lua && mv ../src/new.lua ../src/build.lua
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > ninja.log 2>&1
check "shared: the renamed image builds" test -f out/renamed/index.json
check "shared: the package's layer is not made again" sh -c "! grep -q 'LAYER deb/prelib' ninja.log"

# names that cannot go into an image: one line naming the file, nothing built
badpackage() {
	define "$1" "\"$1\""
	"$IMAGEGEN" ../src/build.lua 2> /dev/null
	ninja > ninja.log 2>&1
	grep '^imagegen: ' ninja.log > err.log
	same "$1: one error line" 1 "$(wc -l < err.log)"
	contains "$1: the message names the file" err.log "$2"
	check "$1: no image" test ! -e "out/$1/index.json"
}
badpackage dotdot "package dotdot: 'usr/../../etc/passwd' is not a clean relative path"
badpackage wh "package wh: 'usr/share/.wh.new\\nline' is named like a whiteout"
badpackage bigcert "package bigcert: usr/share/ca-certificates/big/big.crt: larger than 16 MiB"
badpackage many "package many: more than 1048576 files"
# (its layer and its SBOM's package record both read the control.tar, a line each; -k 0 runs both)
define bigsums '"bigsums"'
"$IMAGEGEN" ../src/build.lua 2> /dev/null
ninja -k 0 > ninja.log 2>&1
contains "bigsums: the layer's message names the package and the bound" ninja.log \
	"packages: bigsums: package bigsums: control.tar: md5sums is larger than 64 MiB"
contains "bigsums: the SBOM's package record names the package" ninja.log \
	"imagegen: package bigsums ($IMAGEGEN_CACHE/deb/"
check "bigsums: the package is not fetched again (its digest is the lock's)" sh -c "! grep -q 'fetching it again' ninja.log"
same "bigsums: nothing else is said" 0 "$(grep '^imagegen: ' ninja.log | grep -vc 'md5sums is larger than 64 MiB')"
check "bigsums: no image" test ! -e out/bigsums/index.json

# grouping: all in one layer, or groups
define onelayer '"app"' 'packagelayers = "one",'
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > /dev/null 2>&1
same "packagelayers = \"one\": the merged-/usr links, packages in one layer, then the dpkg layer" 3 \
	"$(jget "$(blob out/onelayer "$(jget out/onelayer/index.json "j['manifests'][0]['digest']")")" "len(j['layers'])")"
define groups '"app"' 'packagelayers = { { "libfoo", "prelib" } },'
"$IMAGEGEN" ../src/build.lua 2> /dev/null && ninja > /dev/null 2>&1
same "packagelayers = { group }: the links, the group, the rest, then the dpkg layer" 4 \
	"$(jget "$(blob out/groups "$(jget out/groups/index.json "j['manifests'][0]['digest']")")" "len(j['layers'])")"

# the machine's apt sources as the default (deb822 and one-line forms, read from IMAGEGEN_APTROOT)
mkdir -p "$W/apt/sources.list.d"
printf 'Types: deb\n# a comment\nURIs: %s\nSuites: stable\nComponents: main\nSigned-By: %s\n' "$URL" "$W/test.gpg" > "$W/apt/sources.list.d/test.sources"
mkdir -p "$W/aptdefault/src" "$W/aptdefault/b" && cd "$W/aptdefault/b" || exit 1
printf 'image { name = "d", packages = { "prelib" } }\n' > ../src/build.lua
check "apt sources (deb822): the default repository" env IMAGEGEN_APTROOT="$W/apt" "$IMAGEGEN" lock ../src/build.lua
rm -f "$W/apt/sources.list.d/test.sources" ../src/imagegen.lock
printf 'deb [signed-by=%s] %s stable main\n' "$W/test.gpg" "$URL" > "$W/apt/sources.list"
check "apt sources (one-line): the default repository" env IMAGEGEN_APTROOT="$W/apt" "$IMAGEGEN" lock ../src/build.lua
check "the lock names that repository" grep -q "\"$URL stable\"" ../src/imagegen.lock

# trust: a key that did not sign the Release
mkdir -p "$W/othergpg" && chmod 700 "$W/othergpg"
GNUPGHOME="$W/othergpg" mkkey "someone else" other@example.invalid "$W/other.gpg"
define badsig '"prelib"'
sed "s|keyring = \"$W/test.gpg\"|keyring = \"$W/other.gpg\"|" ../src/build.lua > ../src/b.new && mv ../src/b.new ../src/build.lua
"$IMAGEGEN" lock ../src/build.lua > err 2>&1
same "bad signature: lock fails" 1 $?
contains "bad signature: the message says so" err "the Release signature does not verify"

# a .deb replaced in the repository after locking
define tamper '"prelib"'
"$IMAGEGEN" lock ../src/build.lua
cp "$REPO/pool/main/prelib_1.0_$ARCH.deb" "$W/prelib.deb.good"
printf 'tampered' >> "$REPO/pool/main/prelib_1.0_$ARCH.deb"
prelibsha=$(python3 -c "import json;print([p for p in json.load(open('../src/imagegen.lock'))['images']['tamper']['packages'] if p['name']=='prelib'][0]['sha256'])")
rm -f "$IMAGEGEN_CACHE/deb/$prelibsha.deb"
"$IMAGEGEN" ../src/build.lua 2>/dev/null
ninja > ninja.log 2>&1
same "tampered .deb: the build fails" 1 "$(test -f out/tamper/index.json && echo 0 || echo 1)"
contains "tampered .deb: the fetch says the sha256 differs" ninja.log "bytes with sha256 $prelibsha"
same "tampered .deb: nothing left in the cache" "" "$(ls "$IMAGEGEN_CACHE"/deb/ | grep -v '\.deb$' | grep part)"
cp "$W/prelib.deb.good" "$REPO/pool/main/prelib_1.0_$ARCH.deb"

# a Release changed after it was signed, and an index that is not the one the Release names
sed -i 's/^Suite: stable/Suite: stable-changed/' "$REPO/dists/stable/InRelease"
define changed '"prelib"'
"$IMAGEGEN" lock ../src/build.lua > err 2>&1
same "changed Release: lock fails" 1 $?
contains "changed Release: the signature no longer verifies" err "the Release signature does not verify"
mkindex stable
echo "Package: sneaky" >> "$REPO/dists/stable/main/binary-$ARCH/Packages"
xz -kf "$REPO/dists/stable/main/binary-$ARCH/Packages"
rm -rf "$IMAGEGEN_CACHE/index"
define index '"prelib"'
"$IMAGEGEN" lock ../src/build.lua > err 2>&1
same "changed index: lock fails" 1 $?
contains "changed index: the index does not match the Release" err "does not match the sha256 and size in Release"

# a compressed index that the Release names, whose contents are not the
# uncompressed index it names: changed, and a bomb (what it holds past the
# size of the uncompressed index is not read)
mkindex stable
P=$REPO/dists/stable/main/binary-$ARCH/Packages
rm "$P.gz"
sed 's/^Package: prelib$/Package: prelix/' "$P" | xz > "$P.xz"
mkrelease stable
rm -rf "$IMAGEGEN_CACHE/index"
"$IMAGEGEN" lock ../src/build.lua > err 2>&1
same "uncompressed index changed: lock fails" 1 $?
same "uncompressed index changed: one line naming the files" \
	"imagegen: ../src/build.lua:2: image 'index': $URL stable: main/binary-$ARCH/Packages.xz, uncompressed, does not match the sha256 and size in Release for main/binary-$ARCH/Packages" \
	"$(cat err)"
{ cat "$P"; head -c 100000000 /dev/zero; } | xz -1 > "$P.xz"
mkrelease stable
rm -rf "$IMAGEGEN_CACHE/index"
"$IMAGEGEN" lock ../src/build.lua > err 2>&1
same "an index bomb: lock fails" 1 $?
same "an index bomb: one line, the bound the Release gives" \
	"imagegen: ../src/build.lua:2: image 'index': $URL stable: main/binary-$ARCH/Packages.xz: uncompressed, it is longer than $(wc -c < "$P") bytes" \
	"$(cat err)"
mkindex stable

# downloads resume: a part file from an earlier attempt is continued with an
# HTTP range (busybox httpd honours ranges; python's http.server does not)
deb=$REPO/pool/main/app_2.0_$ARCH.deb
sha=$(sha256sum < "$deb" | cut -d' ' -f1)
size=$(wc -c < "$deb")
half=$((size / 2))
mkdir -p "$W/resume"
if ! have busybox; then
	skip "resume: a download continues a part file (busybox httpd is missing: apt-get install busybox-static)"
else
	busybox httpd -f -p 127.0.0.1:0 -h "$REPO" &
	BB=$!
	if ! BBPORT=$(listenport "$BB"); then
		fail "resume: busybox httpd did not start"
	else
		head -c "$half" "$deb" > "$W/resume/a.deb.part"
		check "resume: a download continues a part file" \
			"$IMAGEGEN" fetch "http://127.0.0.1:$BBPORT/pool/main/app_2.0_$ARCH.deb" "$sha" "$size" "$W/resume/a.deb"
		same "resume: and the result is the package" "$sha" "$(sha256sum < "$W/resume/a.deb" | cut -d' ' -f1)"
		# a part whose bytes are wrong shows the range was used: the whole does not verify
		head -c "$half" /dev/zero > "$W/resume/b.deb.part"
		"$IMAGEGEN" fetch "http://127.0.0.1:$BBPORT/pool/main/app_2.0_$ARCH.deb" "$sha" "$size" "$W/resume/b.deb" > bad.log 2>&1
		contains "resume: only the rest was fetched (a wrong part fails the sha256)" bad.log "expected $size bytes with sha256 $sha"
		check "resume: the bad part is removed" test ! -e "$W/resume/b.deb.part" -a ! -e "$W/resume/b.deb"
		check "resume: so the next try starts over and succeeds" \
			"$IMAGEGEN" fetch "http://127.0.0.1:$BBPORT/pool/main/app_2.0_$ARCH.deb" "$sha" "$size" "$W/resume/b.deb"
	fi
	stop "$BB"
	BB=
fi
head -c "$half" "$deb" > "$W/resume/c.deb.part"
check "resume: a server that ignores the range sends it all, and the download starts over" \
	"$IMAGEGEN" fetch "$URL/pool/main/app_2.0_$ARCH.deb" "$sha" "$size" "$W/resume/c.deb"
same "resume: and the result is the package" "$sha" "$(sha256sum < "$W/resume/c.deb" | cut -d' ' -f1)"
