# The examples as a user runs them: each examples/NAME/README.md's sh blocks,
# word for word, from the top of a copy of the repository whose path has
# capital letters and a space, with the machine's Debian mirror, podman,
# skopeo and a registry on 127.0.0.1 (started here, stopped by its PID).
# Then what they print is checked: the Flask app's HTTP answer (its
# Flask the lock's), the app over a docker-archive base and its rebuild
# when the vendor's archive changes, the two-platform images pushed and
# pulled back per platform, the monorepo's three services under ninja, a
# generated makefile and the make plugin (the same bytes).
# examples/node's and examples/gcc's are run by e2e-steps.sh, which builds
# them anyway. Downloads are kept in $IMAGEGEN_TEST_CACHE
# (default ~/.cache/imagegen-tests).
. "$TOP/tests/lib.sh"

export IMAGEGEN_CACHE="${IMAGEGEN_TEST_CACHE:-$HOME/.cache/imagegen-tests}"

for tool in podman skopeo curl docker-registry make x86_64-linux-gnu-gcc aarch64-linux-gnu-gcc; do
	if ! have $tool; then
		fail "e2e-projects: $tool is not installed (see the README's second command)"
		exit 0
	fi
done

workdir projects
# the repository as a user has it: the binary and the plugin at its top, the
# examples without the locks a test run may have left
R="$W/My Projects/imagegen"
mkdir -p "$R"
cp -R "$TOP/examples" "$R/examples"
find "$R/examples" -name imagegen.lock -exec rm -f {} +
ln -s "$TOP/imagegen" "$R/imagegen"
ln -s "$TOP/imagegen.so" "$R/imagegen.so"

pmsetup || exit 0
export CONTAINERS_CONF="$W/podman/containers.conf" CONTAINERS_STORAGE_CONF="$W/podman/storage.conf"
atexit 'pm rm -f flask > /dev/null 2>&1; pmdone; stopregistry'

# readme NAME: run examples/NAME/README.md's sh blocks, in order, as one
# shell script (set -e, each command echoed) from the top of the copy; its
# output in $W/NAME.out, the end of it printed when it fails
readme() {
	awk '/^```sh$/ { on = 1; next } /^```$/ { on = 0 } on' "$R/examples/$1/README.md" > "$W/$1.sh"
	(cd "$R" && timeout 900 sh -ex "$W/$1.sh" < /dev/null) > "$W/$1.out" 2>&1 || {
		tail -n 15 "$W/$1.out"
		return 1
	}
}

# lockversion EXAMPLE IMAGE PACKAGE: a package's upstream version in an example's lock
lockversion() {
	jget "$R/examples/$1/imagegen.lock" \
		'[p["version"] for p in j["images"]["'"$2"'"]["packages"] if p["name"] == "'"$3"'"][0].split(":")[-1].split("-")[0].split("+")[0]'
}

# flask: Debian's python3-flask and gunicorn, answering HTTP as app
check "flask: the README's commands run" readme flask
flask=$(lockversion flask flask python3-flask)
contains "flask: curl gets the app's answer, from the lock's Flask, as app" "$W/flask.out" \
	"hello from flask $flask as app (uid 1000)"
cd "$R/build/flask" || exit 1
sed -i 's/hello from flask/hello again from flask/' "$R/examples/flask/app/app.py"
ninja > edit.log 2>&1
same "flask: an edit of app.py rebuilds its layer alone" "1 0 0" \
	"$(count edit.log 'LAYER flask/app') $(count edit.log 'LAYER flask/tmp') $(count edit.log 'LAYER deb/')"

# archive-base: the vendor's docker-archive as the base; a new archive rebuilds the app
check "archive-base: the README's commands run" readme archive-base
for line in "hello from an app over a docker-archive base" "base: vendor base 1.0" "shell: BusyBox v"; do
	contains "archive-base: the app prints '$line'" "$W/archive-base.out" "$line"
done
sed -i 's/vendor base 1.0/vendor base 1.1/' "$R/examples/archive-base/vendor/build.lua"
(cd "$R/examples/archive-base/vendor" && ninja out/base.tar) > "$W/vendor2.log" 2>&1
cd "$R/build/archive-base" || exit 1
ninja > rebuild.log 2>&1
contains "archive-base: a new archive from the vendor rebuilds the app" rebuild.log "IMAGE app"
ninja out/app.tar > /dev/null 2>&1 && pm load -i out/app.tar > /dev/null 2>&1
pm run --rm localhost/archive-app:1 > run2.out 2>&1
contains "archive-base: and the app runs over the new base" run2.out "base: vendor base 1.1"

# multiarch: pushed to a registry on 127.0.0.1, pulled back per platform
if registry reg; then
	export REGISTRY=$REG
	check "multiarch: the README's commands run" readme multiarch
	cd "$R/build/multiarch" || exit 1
	contains "multiarch: imagegen push sends hello's index" "$W/multiarch.out" \
		"push $REG/multiarch/hello:1: $(jget out/hello/index.json 'j["manifests"][0]["digest"]')"
	contains "multiarch: and busybox's, an SBOM a platform" "$W/multiarch.out" \
		"push $REG/multiarch/busybox:1: $(jget out/busybox/index.json 'j["manifests"][0]["digest"]')"
	same "multiarch: skopeo copy --all pulls back both platforms" "linux/amd64 linux/arm64" \
		"$(skopeo inspect --raw oci:pulled:1 | python3 -c 'import json,sys; print(" ".join(m["platform"]["os"] + "/" + m["platform"]["architecture"] for m in json.load(sys.stdin)["manifests"]))')"
	contains "multiarch: podman pulls the arm64 busybox" "$W/multiarch.out" "linux/arm64"
	contains "multiarch: podman runs the pulled hello" "$W/multiarch.out" "hello from an imagegen image"
	stopregistry
fi

# monorepo: ninja, a generated makefile and the make plugin
if [ -f "$TOP/imagegen.so" ]; then
	check "monorepo: the README's commands run (and the three builds' images are the same)" readme monorepo
	for line in "hello from the api service" "config: listen=127.0.0.1:8080" "hello from the web service, serving:" \
		"  index.html" "hello from the tool, 1 argument(s)"; do
		contains "monorepo: the services print '$line'" "$W/monorepo.out" "$line"
	done
else
	skip "monorepo: its README loads the make plugin, and imagegen.so is not built (check-asan builds the binary alone)"
fi

cd "$TOP" || exit 1
