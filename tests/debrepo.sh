# debrepo.sh: build a small signed Debian repository for the tests, with
# dpkg-deb, dpkg-scanpackages, apt-ftparchive and a throwaway gpg key.
#   mkpkg NAME VERSION ARCH "CONTROL LINES" [SETUP]   build pool/NAME_VERSION_ARCH.deb;
#        SETUP is a shell snippet run in the package root ($R), where it may
#        add DEBIAN/postinst or DEBIAN/conffiles; with NOSUMS set the
#        package has no md5sums
#   mkindex SUITE                                      Packages, Release, InRelease, Release.gpg
#   mkrelease SUITE                                    Release, InRelease, Release.gpg of the files there
# Uses $REPO (the repository folder), $GNUPGHOME (made here) and $ARCH (the
# machine's Debian architecture).

mkpkg() {
	name=$1 version=$2 arch=$3 extra=$4 setup=${5:-}
	R=$REPO/build/$name-$version-$arch
	rm -rf "$R"
	mkdir -p "$R/DEBIAN" "$R/usr/share/doc/$name"
	printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: imagegen tests <tests@example.invalid>\n%sDescription: test package %s\n' \
		"$name" "$version" "$arch" "${extra:+$extra
}" "$name" > "$R/DEBIAN/control"
	echo "$name $version" > "$R/usr/share/doc/$name/README"
	if [ -n "$setup" ]; then
		(cd "$R" && eval "$setup")
	fi
	if [ -z "${NOSUMS:-}" ]; then
		(cd "$R" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
	fi
	mkdir -p "$REPO/pool/main"
	dpkg-deb --root-owner-group -Zxz --build "$R" "$REPO/pool/main/${name}_${version}_$arch.deb" > /dev/null
}

mkindex() {
	suite=$1
	dist=$REPO/dists/$suite
	mkdir -p "$dist/main/binary-$ARCH"
	# the pool is scanned again only when a package in it changed since the
	# last scan (a test that makes the index again after changing the Release)
	sums=$(cd "$REPO" && find pool -name '*.deb' | LC_ALL=C sort | xargs cksum)
	if [ "$sums" != "$(cat "$REPO/.scanned" 2> /dev/null)" ]; then
		(cd "$REPO" && dpkg-scanpackages --multiversion pool > .Packages 2>/dev/null) &&
		printf '%s\n' "$sums" > "$REPO/.scanned"
	fi
	cp "$REPO/.Packages" "$dist/main/binary-$ARCH/Packages"
	xz -kf "$dist/main/binary-$ARCH/Packages"
	gzip -kfn "$dist/main/binary-$ARCH/Packages"
	mkrelease "$suite"
}

mkrelease() {
	suite=$1
	dist=$REPO/dists/$suite
	(cd "$dist" && apt-ftparchive -o APT::FTPArchive::Release::Suite="$suite" \
		-o APT::FTPArchive::Release::Codename="$suite" \
		-o APT::FTPArchive::Release::Architectures="$ARCH" \
		-o APT::FTPArchive::Release::Components=main release . > Release.new && mv Release.new Release)
	rm -f "$dist/InRelease" "$dist/Release.gpg"
	gpg --batch --quiet --yes --pinentry-mode loopback --passphrase '' --default-key tests@example.invalid \
		--clearsign -o "$dist/InRelease" "$dist/Release" &&
	gpg --batch --quiet --yes --pinentry-mode loopback --passphrase '' --default-key tests@example.invalid \
		--detach-sign -o "$dist/Release.gpg" "$dist/Release"
}

# mkkey NAME EMAIL KEYRING: a new signing key, its public part exported to KEYRING
mkkey() {
	gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
		--quick-gen-key "$1 <$2>" rsa2048 sign never 2> /dev/null &&
	gpg --batch --quiet --export "$2" > "$3" && test -s "$3"
}

# serve DIR: an HTTP server for DIR on 127.0.0.1, on a port the kernel picks;
# sets SERVER (its PID) and PORT once it listens. Requests are logged in DIR/../http.log
serve() {
	python3 -m http.server --bind 127.0.0.1 --directory "$1" 0 > "$1/../http.log" 2>&1 &
	SERVER=$!
	PORT=$(listenport "$SERVER")
}
