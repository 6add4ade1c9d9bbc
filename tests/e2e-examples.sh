# End-to-end tests: build the examples with imagegen and ninja, then hand the
# images to the real tools (umoci + runc, skopeo, podman) and run them. The
# build folders' paths have capital letters and spaces, as a user's may
# (/home/Alice/My Projects): podman runs an image of a layout it was handed
# in any folder (podman load of the docker-archive, or skopeo copy to its
# storage), hello with zstd layers too. A missing tool is a failure: CI
# installs them all. The OCI validator (../shared/tools/oci-validate) is the
# exception: its checks are skipped when it is not there.
. "$TOP/tests/lib.sh"

# to FILE COMMAND...: run the command with its output in FILE
to() {
	to_file=$1
	shift
	"$@" >"$to_file" 2>&1
}

# ref LAYOUT: the tag of the first image in a layout
ref() {
	jget "$1/index.json" 'j["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]'
}

# bundle LAYOUT:TAG DIR: unpack an image into a runc bundle, off the terminal
bundle() {
	umoci unpack --image "$1" "$2" &&
	python3 -c 'import json,sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
json.dump(c, open(p, "w"))' "$2/config.json"
}

# runbundle DIR ID: run the bundle's container, then make sure it is gone
runbundle() {
	(cd "$1" && timeout 120 runc run "$2" </dev/null)
	runbundle_status=$?
	timeout 30 runc delete -f "$2" >/dev/null 2>&1
	return $runbundle_status
}

workdir e2e
hello="$W/Upper Case/hello"
mono="$W/Upper Case/monorepo"
zstd="$W/Upper Case/hello zstd"
mkdir -p "$hello" "$mono" "$zstd"

for tool in umoci runc skopeo podman; do
	check "e2e: $tool is installed" have "$tool"
done

# hello: build the layout and the docker-archive
cd "$hello" || exit 1
check "hello: imagegen writes build.ninja" "$IMAGEGEN" "$TOP/examples/hello/build.lua"
check "hello: ninja builds the image" ninja
check "hello: ninja builds the docker-archive" ninja out/hello.tar
same "hello: tagged latest" latest "$(ref out/hello)"
checkvalid "hello: oci-validate --epoch 0" --epoch 0 out/hello

# hello with zstd layers (--compression zstd for the whole build)
cd "$zstd" || exit 1
check "hello zstd: imagegen --compression zstd writes build.ninja" "$IMAGEGEN" --compression zstd "$TOP/examples/hello/build.lua"
check "hello zstd: ninja builds the image" ninja
check "hello zstd: ninja builds the docker-archive" ninja out/hello.tar
same "hello zstd: its layer is zstd" "application/vnd.oci.image.layer.v1.tar+zstd" \
	"$(jget .imagegen/layer/hello/files.json "j['mediaType']")"

# monorepo: four images from one definition
cd "$mono" || exit 1
check "monorepo: imagegen writes build.ninja" "$IMAGEGEN" "$TOP/examples/monorepo/build.lua"
check "monorepo: ninja builds the images" ninja
check "monorepo: ninja builds api's docker-archive" ninja out/api.tar
for image in base:1 api:1 web:1 tool:latest; do
	name=${image%%:*}
	same "monorepo: $name tagged ${image#*:}" "${image#*:}" "$(ref "out/$name")"
	checkvalid "monorepo: $name: oci-validate --epoch 0" --epoch 0 "out/$name"
done

# umoci + runc: unpack each image with a program and run it
if have umoci && have runc; then
	id=imagegen-test-$$
	cd "$hello" || exit 1
	check "hello: umoci unpacks it" bundle out/hello:latest "$W/b-hello"
	check "hello: runc runs it" to "$W/hello.out" runbundle "$W/b-hello" "$id-hello"
	contains "hello: runc output" "$W/hello.out" "hello from an imagegen image"

	cd "$mono" || exit 1
	for image in api:1 web:1 tool:latest; do
		name=${image%%:*}
		check "$name: umoci unpacks it" bundle "out/$image" "$W/b-$name"
		check "$name: runc runs it" to "$W/$name.out" runbundle "$W/b-$name" "$id-$name"
	done
	contains "api: runc output, greeting" "$W/api.out" "hello from the api service"
	contains "api: runc output, its config (readable by group 1000)" "$W/api.out" "config: listen=127.0.0.1:8080"
	same "api: runs as 1000:1000" "1000:1000" \
	    "$(jget "$W/b-api/config.json" '"%d:%d" % (j["process"]["user"]["uid"], j["process"]["user"]["gid"])')"
	same "api: runs in /home/app" /home/app "$(jget "$W/b-api/config.json" 'j["process"]["cwd"]')"
	contains "web: runc output, greeting" "$W/web.out" "hello from the web service, serving:"
	contains "web: runc output, index.html" "$W/web.out" "  index.html"
	contains "web: runc output, css" "$W/web.out" "  css"
	contains "tool: runc output, cmd passed as argument" "$W/tool.out" "hello from the tool, 1 argument(s)"
fi

# skopeo: the digest it reads is the one in index.json; a copy verifies blobs
if have skopeo; then
	cd "$hello" || exit 1
	check "hello: skopeo inspect" to "$W/inspect.json" skopeo inspect oci:out/hello:latest
	same "hello: skopeo's digest is index.json's" \
	    "$(jget out/hello/index.json 'j["manifests"][0]["digest"]')" \
	    "$(jget "$W/inspect.json" 'j["Digest"]')"
	check "hello: skopeo copy to a docker-archive" \
	    skopeo copy oci:out/hello:latest "docker-archive:$W/copy.tar:hello:latest"
	cd "$mono" || exit 1
	for image in base:1 api:1 web:1 tool:latest; do
		name=${image%%:*}
		check "$name: skopeo copy to an oci layout" \
		    skopeo copy "oci:out/$image" "oci:$W/copy-$name:$name"
	done
fi

# podman: the machine's settings (tests/containers), private storage under $W, removed afterwards
if pmsetup; then
	same "podman: it runs with the settings in tests/containers and the private storage" \
	    "vfs runc cgroupfs $W/podman/graph" \
	    "$(pm info --format '{{.Store.GraphDriverName}} {{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}} {{.Store.GraphRoot}}' 2>&1)"
	# zstd first, each way into a storage of its own: a storage that has the
	# layers (the gzip image's have the same diff_ids) takes none of them again
	cd "$zstd" || exit 1
	check "zstd: skopeo copies the oci layout into podman's storage" pmcopy out/hello:latest localhost/hello-zstd:latest
	pm run --rm localhost/hello-zstd:latest > "$W/podman-zstd.out" 2>&1
	contains "zstd: podman runs the image" "$W/podman-zstd.out" "hello from an imagegen image"
	pmdone
	pmsetup
	check "zstd: podman load of the docker-archive" to "$W/load-zstd.out" pm load -i out/hello.tar
	pm run --rm localhost/hello:latest > "$W/podman-zstd-loaded.out" 2>&1
	contains "zstd: podman runs the loaded image" "$W/podman-zstd-loaded.out" "hello from an imagegen image"
	pmdone
	pmsetup
	cd "$hello" || exit 1
	check "hello: podman load" to "$W/load.out" pm load -i out/hello.tar
	contains "hello: podman load names it from RepoTags" "$W/load.out" "localhost/hello:latest"
	check "hello: podman run the loaded image" to "$W/podman-loaded.out" pm run --rm localhost/hello:latest
	contains "hello: podman run output (loaded)" "$W/podman-loaded.out" "hello from an imagegen image"
	check "hello: skopeo copies the oci layout into podman's storage" pmcopy out/hello:latest localhost/hello-oci:latest
	check "hello: podman run the copied image" to "$W/podman-oci.out" pm run --rm localhost/hello-oci:latest
	contains "hello: podman run output (oci layout)" "$W/podman-oci.out" "hello from an imagegen image"
	cd "$mono" || exit 1
	check "api: podman load" to "$W/load-api.out" pm load -i out/api.tar
	check "api: podman run the loaded image" to "$W/podman-api.out" pm run --rm localhost/monorepo/api:1
	contains "api: podman run output" "$W/podman-api.out" "config: listen=127.0.0.1:8080"
	pmdone
fi
cd "$TOP" || exit 1
