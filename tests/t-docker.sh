# Docker's format, hermetic: the config and manifest of a Docker image
# against their expected text, each one the OCI image's with Docker's media
# types (the same layer and config blobs), a manifest list for several
# platforms, --format for the build (and under make), OCI's bytes
# unchanged by it, the layout and docker-archive as the OCI validator and
# skopeo read them, bases of either format under an image of the other,
# and the one-line error of a zstd base layer in a Docker image.
# (e2e-docker.sh: podman, Docker 20.10 and a registry.)
. "$TOP/tests/lib.sh"

workdir docker
mkdir -p "$W/src" "$W/oci" "$W/docker" "$W/flag" "$W/make" "$W/over"
cd "$W/src" || exit 1
cat > build.lua <<'EOF'
image {
  name = "a", format = FORMAT, files = { { "/etc/motd", text "hello\n" } }, entrypoint = { "/bin/app" },
  healthcheck = HEALTH,
}
image { name = "plain", format = FORMAT, files = { { "/etc/motd", text "hello\n" } }, entrypoint = { "/bin/app" } }
image { name = "m", format = FORMAT, platforms = { "linux/amd64", "linux/arm64" }, files = { { "/etc/m", text "m\n" } } }
EOF
sed -e 's/FORMAT/"oci"/' -e 's/HEALTH/nil/' build.lua > oci.lua
sed -e 's/FORMAT/"docker"/' -e 's/HEALTH/{ test = { "CMD", "\/bin\/app", "--health" }, interval = "2s", timeout = "1s", retries = 2, start_period = "1m" }/' \
	build.lua > docker.lua
sed -e 's/format = FORMAT, //' -e 's/HEALTH/nil/' build.lua > flag.lua

# desc DIR NAME: the manifest descriptor out/NAME/index.json tags
desc() {
	jget "$1/out/$2/index.json" "j['manifests'][0]['$3']"
}
# doc DIR DIGEST: a blob of the build's store, as text
doc() {
	cat "$1/.imagegen/blobs/sha256/${2#sha256:}"
}

(cd "$W/oci" && "$IMAGEGEN" ../src/oci.lua && ninja) > oci.log 2>&1 &&
	(cd "$W/docker" && "$IMAGEGEN" ../src/docker.lua && ninja && ninja out/a.tar) > docker.log 2>&1
same "build: both formats build" 0 $?

cd "$W/docker" || exit 1
same "layout: index.json names a Docker manifest" "application/vnd.docker.distribution.manifest.v2+json" "$(desc . a mediaType)"
manifest=$(doc . "$(desc . a digest)")
config=$(jget "$(blob out/a "$(desc . a digest)")" "j['config']['digest']")
layer=$(jget "$(blob out/a "$(desc . a digest)")" "j['layers'][0]['digest']")
ocilayer=$(jget "$(blob ../oci/out/a "$(desc ../oci a digest)")" "j['layers'][0]['digest']")
same "the layer is the OCI image's blob" "$ocilayer" "$layer"
# the expected texts: canonical JSON, the layer's digest and the config's
# (whose text is the next check) put in
same "the manifest, as expected" \
	"{\"config\":{\"digest\":\"$config\",\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":$(doc . "$config" | wc -c)},\"layers\":[{\"digest\":\"$layer\",\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":$(wc -c < "$(blob out/a "$layer")")}],\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"schemaVersion\":2}" \
	"$manifest"
diffid=$(jget ../oci/.imagegen/layer/a/files.json "j['diffid']")
same "the config, as expected: the healthcheck in nanoseconds" \
	"{\"architecture\":\"$(jget "$(blob ../oci/out/a "$(jget "$(blob ../oci/out/a "$(desc ../oci a digest)")" "j['config']['digest']")")" "j['architecture']")\",\"config\":{\"Entrypoint\":[\"/bin/app\"],\"Healthcheck\":{\"Interval\":2000000000,\"Retries\":2,\"StartPeriod\":60000000000,\"Test\":[\"CMD\",\"/bin/app\",\"--health\"],\"Timeout\":1000000000}},\"created\":\"1970-01-01T00:00:00Z\",\"history\":[{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"imagegen layer a/files\"}],\"os\":\"linux\",\"rootfs\":{\"diff_ids\":[\"$diffid\"],\"type\":\"layers\"}}" \
	"$(doc . "$config")"
# without a healthcheck, the Docker image's config is the OCI image's blob
# and its manifest the OCI one with Docker's media types
python3 - ../oci/out/plain out/plain > plain.out 2>&1 <<'EOF'
import json, sys
def load(d):
    idx = json.load(open(d + "/index.json"))
    m = json.load(open(d + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
    return idx["manifests"][0], m
(od, o), (dd, d) = load(sys.argv[1]), load(sys.argv[2])
docker = {"application/vnd.oci.image.manifest.v1+json": "application/vnd.docker.distribution.manifest.v2+json",
          "application/vnd.oci.image.config.v1+json": "application/vnd.docker.container.image.v1+json",
          "application/vnd.oci.image.layer.v1.tar+gzip": "application/vnd.docker.image.rootfs.diff.tar.gzip"}
o["mediaType"] = docker[o["mediaType"]]
o["config"]["mediaType"] = docker[o["config"]["mediaType"]]
for l in o["layers"]:
    l["mediaType"] = docker[l["mediaType"]]
    l.pop("annotations", None)
# an OCI manifest has the standard annotations (created), a Docker one none
o.pop("annotations", None)
assert o == d, (o, d)
assert dd["mediaType"] == docker[od["mediaType"]]
print("same")
EOF
same "without a healthcheck: the OCI manifest with Docker's media types, the same config blob" same "$(cat plain.out)"
same "several platforms: a Docker manifest list" "application/vnd.docker.distribution.manifest.list.v2+json" "$(desc . m mediaType)"
same "several platforms: the list names Docker manifests" \
	"['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.v2+json']" \
	"$(jget "$(blob out/m "$(desc . m digest)")" "[m['mediaType'] for m in j['manifests']]")"
same "several platforms: its SBOMs are OCI artifacts whose subjects are the Docker manifests" \
	"$(jget "$(blob out/m "$(desc . m digest)")" "sorted(m['digest'] for m in j['manifests'])")" \
	"$(python3 -c "
import json, sys
idx = json.load(open('out/m/index.json'))
print(sorted(json.load(open('out/m/blobs/sha256/' + d['digest'][7:]))['subject']['digest'] for d in idx['manifests'][1:]
             if d['artifactType'] == 'application/spdx+json'))")"
checkvalid "layout: oci-validate --epoch 0" --epoch 0 out/a
checkvalid "layout of several platforms: oci-validate --epoch 0" --epoch 0 out/m
if have skopeo; then
	skopeo inspect --raw docker-archive:out/a.tar > archive.json 2>&1
	same "docker-archive: skopeo reads a Docker manifest" "application/vnd.docker.distribution.manifest.v2+json" \
		"$(jget archive.json "j['mediaType']" 2>&1)"
	skopeo inspect --raw --config docker-archive:out/a.tar > archiveconfig.json 2>&1
	same "docker-archive: skopeo reads the config's healthcheck" "$(doc . "$config")" "$(cat archiveconfig.json)"
else
	skip "docker-archive: skopeo reads it (no skopeo here)"
fi
check "imagegen inspect reads the Docker layout" "$IMAGEGEN" inspect out/a

# --format docker for the build: the images that do not say; OCI's bytes unchanged without it
cd "$W/flag" || exit 1
"$IMAGEGEN" --format docker ../src/flag.lua > flag.log 2>&1 && ninja >> flag.log 2>&1
same "--format docker: builds" 0 $?
same "--format docker: the image is Docker's, the same manifest as format = \"docker\"" \
	"$(desc ../docker plain digest)" "$(desc . plain digest)"
contains "--format docker: regenerating keeps it" build.ninja "--format docker"
"$IMAGEGEN" --format oci ../src/flag.lua > flag.log 2>&1 && ninja >> flag.log 2>&1
same "--format oci: the OCI image's bytes, as format = \"oci\"" "$(desc ../oci plain digest)" "$(desc . plain digest)"
"$IMAGEGEN" --format dockr ../src/flag.lua > badflag.log 2>&1
same "--format dockr: a usage error (exit 2)" 2 $?
contains "--format dockr: says what it takes" badflag.log "imagegen: --format takes oci or docker"
"$IMAGEGEN" --format docker ../src/oci.lua > override.log 2>&1 && ninja >> override.log 2>&1
same "--format docker: an image that says format = \"oci\" stays OCI's" "$(desc ../oci plain digest)" "$(desc . plain digest)"
echo 'image { name = "z", compression = "zstd" }' > ../src/zstd.lua
"$IMAGEGEN" --format docker ../src/zstd.lua > zstd.log 2>&1
same "--format docker with compression = \"zstd\": exit 1" 1 $?
same "--format docker with compression = \"zstd\": one line naming the flag" \
	'imagegen: ../src/zstd.lua:1: compression: zstd has no Docker media type, and this image is format = "docker" (the build'"'"'s --format): use compression = "gzip" or "none", or format = "oci"' \
	"$(cat zstd.log)"

# make: the same bytes
cd "$W/make" || exit 1
if have make; then
	"$IMAGEGEN" -G make --format docker ../src/flag.lua > make.log 2>&1 && make -f images.mk images > make.log 2>&1
	same "make, --format docker: the same image list as ninja" "$(desc "$W/docker" m digest)" "$(desc . m digest 2>&1)"
else
	skip "make, --format docker (no make here)"
fi

# bases: an OCI image over a Docker layout and a Docker archive, a Docker
# image over an OCI layout; a zstd layer of a base in a Docker image
cd "$W/over" || exit 1
(cd ../src && printf 'image { name = "z", compression = "zstd", files = { { "/z", text "z\\n" } } }\n' > zbase.lua)
mkdir zb && (cd zb && "$IMAGEGEN" ../../src/zbase.lua && ninja) > zb.log 2>&1
cat > ../src/over.lua <<EOF
image { name = "l", base = oci_layout("$W/docker/out/a", "latest"), files = { { "/etc/x", text "x\n" } } }
image { name = "t", base = docker_archive "$W/docker/out/a.tar", files = { { "/etc/x", text "x\n" } } }
image { name = "d", format = "docker", base = oci_layout("$W/oci/out/a", "latest"),
  healthcheck = { test = { "CMD", "/bin/app" } } }
EOF
"$IMAGEGEN" ../src/over.lua > over.log 2>&1 && ninja >> over.log 2>&1
same "bases: images over a Docker layout and archive, and a Docker image over an OCI layout, build" 0 $?
same "bases: over a Docker layout, the OCI image's manifest is OCI's, its layer named as OCI's" \
	"application/vnd.oci.image.manifest.v1+json application/vnd.oci.image.layer.v1.tar+gzip" \
	"$(desc . l mediaType) $(jget "$(blob out/l "$(desc . l digest)")" "j['layers'][0]['mediaType']")"
same "bases: the base's layer, the same blob" "$layer" "$(jget "$(blob out/l "$(desc . l digest)")" "j['layers'][0]['digest']")"
same "bases: the healthcheck of a Docker base is inherited" "['CMD', '/bin/app', '--health']" \
	"$(jget "$(blob out/l "$(jget "$(blob out/l "$(desc . l digest)")" "j['config']['digest']")")" "j['config']['Healthcheck']['Test']")"
same "bases: the same image from the Docker archive" \
	"$(jget "$(blob out/l "$(desc . l digest)")" "j['layers']")" "$(jget "$(blob out/t "$(desc . t digest)")" "j['layers']")"
same "bases: over an OCI layout, the Docker image's layer named as Docker's" \
	"application/vnd.docker.image.rootfs.diff.tar.gzip $ocilayer" \
	"$(jget "$(blob out/d "$(desc . d digest)")" "j['layers'][0]['mediaType'], j['layers'][0]['digest']" | tr -d "(),'")"
cat > ../src/overz.lua <<EOF
image { name = "dz", format = "docker", base = oci_layout("$W/over/zb/out/z", "latest") }
EOF
"$IMAGEGEN" ../src/overz.lua > overz.log 2>&1 && ninja > overz.ninja.log 2>&1
same "bases: a zstd layer of a base in a Docker image fails the build" 1 $?
check "bases: one line naming the image, the layer and what to write" \
	grep -q "^imagegen: ../src/overz.lua:1: image dz: layer sha256:[0-9a-f]* is application/vnd.oci.image.layer.v1.tar+zstd, which has no Docker media type: build the image with format = \"oci\", or the layer with compression \"gzip\" or \"none\"\$" overz.ninja.log
check "bases: nothing written for it" test ! -e out/dz/index.json
