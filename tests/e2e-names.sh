# Every name Linux allows, as a container sees it: t-names.sh's project
# (tests/names.py project), built by ninja in a folder whose path has
# capital letters and a space, copied into podman's storage and run; the
# files it copies out of the container are the sources byte for byte, and
# hard links are one file.
. "$TOP/tests/lib.sh"

NAMES="$TOP/tests/names.py"

workdir names-e2e
P="$W/Upper Case"
python3 "$NAMES" project "$P/src"
mkdir -p "$P/b" "$P/copy" && cd "$P/b" || exit 1
"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1
check "the image with every name builds" test -f out/names/index.json

# podman: the container sees every name as it was
if pmsetup; then
	check "podman: skopeo copies the image into its storage" pmcopy out/names:latest localhost/names:latest
	check "podman runs the image and copies the files out" pm run --rm -v "$P/copy:/out" \
		localhost/names:latest /bin/busybox cp -a /srv/names /single /out/
	check "podman: the tree, byte for byte" python3 "$NAMES" compare "$P/src/names" "$P/copy/names"
	check "podman: the single files, byte for byte" python3 "$NAMES" compare "$P/src/single" "$P/copy/single"
	check "podman: hard links are one file" pm run --rm localhost/names:latest /bin/busybox test \
		/srv/names/hard/first -ef "/srv/names/hard/new
line"
	pmdone
else
	fail "podman and its settings (tests/containers) are needed"
fi
