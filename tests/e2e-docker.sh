# Docker's format and healthchecks with the real consumers: podman (the
# docker-archive loaded, the healthcheck in inspect and run on a running
# container, passing and failing; an image pulled from the registry), a
# private Docker 20.10 daemon (an OCI image of zstd layers run from its
# docker-archive in an empty store; docker load, docker inspect, the
# container becoming healthy, or unhealthy for a failing check; docker
# manifest inspect and pull of what was pushed; a pushed OCI image and this
# machine's image of a two-platform OCI index pulled and run), Debian's
# docker-registry (a Docker image and a two-platform manifest list pushed,
# their media types as skopeo reads them, the SBOM by the referrers tag),
# images over a Docker base in both formats, and Docker images through the
# build cache.
. "$TOP/tests/lib.sh"

workdir docker
export IMAGEGEN_CACHE="$W/cache"
REGPID=
DOCKERDPID=
trap 'stopdockerd; stopregistry' EXIT

if [ ! -x /bin/busybox ] || ! file -L /bin/busybox 2>/dev/null | grep -q static; then
	fail "docker: a static /bin/busybox is needed (apt-get install busybox-static)"
	exit 0
fi
have docker-registry || { fail "docker: docker-registry is not installed (apt-get install docker-registry)"; exit 0; }
registry reg || exit 0

mkdir -p "$W/src" "$W/b"
cp /bin/busybox "$W/src/busybox"
cat > "$W/src/build.lua" <<'EOF'
local bin = { { "/bin/busybox", "busybox" }, { "/bin/sh", symlink "busybox" }, { "/bin/true", symlink "busybox" },
  { "/bin/false", symlink "busybox" }, { "/bin/sleep", symlink "busybox" } }
image {
  name = "ok", format = "docker", files = bin,
  entrypoint = { "/bin/sleep", "600" },
  healthcheck = { test = { "CMD", "/bin/true" }, interval = "1s", timeout = "3s", retries = 3, start_period = "1s" },
}
-- over the Docker image: a failing check of its own
image {
  name = "bad", base = "ok", format = "docker",
  healthcheck = { test = { "CMD-SHELL", "exit 1" }, interval = "1s", retries = 1 },
}
-- an OCI image over the Docker one
image { name = "oci", base = "ok", files = { { "/etc/oci", text "oci\n" } } }
-- an OCI image of two platforms, pulled by Docker from the registry
image { name = "omulti", platforms = { "linux/amd64", "linux/arm64" }, files = bin,
  cmd = { "/bin/sh", "-c", "echo oci index ok" } }
-- an OCI image of zstd layers: its docker-archive has them as gzip
image { name = "zs", compression = "zstd", files = bin, cmd = { "/bin/sh", "-c", "echo zstd ok" } }
image {
  name = "multi", format = "docker", platforms = { "linux/amd64", "linux/arm64" }, tag = "REGISTRY/test/multi:1",
  files = { { "/etc/multi", text "multi\n" } },
}
EOF
sed -i "s|REGISTRY|$REG|" "$W/src/build.lua"
cd "$W/b" || exit 1
check "build: six images, Docker's and OCI's" sh -c "'$IMAGEGEN' ../src/build.lua && ninja && ninja out/ok.tar out/bad.tar out/oci.tar out/zs.tar"
same "build: the OCI image over a Docker base has an OCI manifest" "application/vnd.oci.image.manifest.v1+json" \
	"$(jget out/oci/index.json "j['manifests'][0]['mediaType']")"

# podman: the docker-archives loaded, the healthcheck seen and run
if pmsetup; then
	pm load -i out/ok.tar > pm.log 2>&1 && pm load -i out/bad.tar >> pm.log 2>&1
	check "podman: loads the docker-archives" pm image exists localhost/ok:latest
	pm inspect localhost/ok:latest --format '{{json .HealthCheck}}' > pmhealth.json 2>&1
	same "podman: inspect shows the healthcheck" \
		'{"Test":["CMD","/bin/true"],"StartPeriod":1000000000,"Interval":1000000000,"Timeout":3000000000,"Retries":3}' \
		"$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' pmhealth.json 2>&1)"
	pm run -d --name okc localhost/ok:latest > /dev/null 2>&1
	pm run -d --name badc localhost/bad:latest > /dev/null 2>&1
	check "podman: healthcheck run on a container whose check passes" pm healthcheck run okc
	if pm healthcheck run badc > badc.log 2>&1; then
		fail "podman: healthcheck run on a container whose check fails succeeded"
	else
		contains "podman: healthcheck run on a container whose check fails says unhealthy" badc.log "unhealthy"
	fi
	pm rm -f -t 0 okc badc > /dev/null 2>&1
	pmcopy out/oci:latest localhost/oci:latest > pm.log 2>&1
	same "podman: the OCI image over the Docker base runs" "oci" "$(pm run --rm --entrypoint /bin/busybox localhost/oci:latest cat /etc/oci 2>&1)"
else
	fail "podman: not installed (apt-get install podman)"
fi

# push: the Docker image, and the two-platform list
check "push: a Docker image" "$IMAGEGEN" push out/ok "$REG/test/ok:1"
check "push: a two-platform Docker image (push-multi)" ninja push-multi
check "push: an OCI image over the Docker one" "$IMAGEGEN" push out/oci "$REG/test/oci:1"
check "push: a two-platform OCI image" "$IMAGEGEN" push out/omulti "$REG/test/omulti:1"
skopeo inspect --raw --tls-verify=false "docker://$REG/test/ok:1" > ok.raw 2>&1
same "push: the manifest's media types, as skopeo reads them" \
	"application/vnd.docker.distribution.manifest.v2+json application/vnd.docker.container.image.v1+json application/vnd.docker.image.rootfs.diff.tar.gzip" \
	"$(jget ok.raw "j['mediaType'], j['config']['mediaType'], *sorted(set(l['mediaType'] for l in j['layers']))" | tr -d "(),'")"
skopeo inspect --raw --tls-verify=false "docker://$REG/test/multi:1" > multi.raw 2>&1
same "push: the list's media types, as skopeo reads them" \
	"application/vnd.docker.distribution.manifest.list.v2+json application/vnd.docker.distribution.manifest.v2+json linux/amd64 linux/arm64" \
	"$(jget multi.raw "j['mediaType'], *sorted(set(m['mediaType'] for m in j['manifests'])), *[m['platform']['os'] + '/' + m['platform']['architecture'] for m in j['manifests']]" | tr -d "(),'")"
digest=$(jget out/ok/index.json "j['manifests'][0]['digest']")
skopeo inspect --raw --tls-verify=false "docker://$REG/test/ok:sha256-${digest#sha256:}" > ref.raw 2>&1
same "push: the SBOM is found by the referrers tag" "application/spdx+json" "$(jget ref.raw "j['manifests'][0]['artifactType']" 2>&1)"
if pmsetup; then
	pm pull -q --tls-verify=false "$REG/test/ok:1" > /dev/null 2>&1
	same "podman: the pulled Docker image has the healthcheck" '["CMD","/bin/true"]' \
		"$(pm inspect "$REG/test/ok:1" --format '{{json .HealthCheck.Test}}' 2>&1)"
	pmdone
fi

# Docker 20.10: a private daemon, the docker-archive loaded and run
if startdockerd dockerd "$REG"; then
	# first, while the daemon's store is empty (a layer it holds would hide a bad one)
	same "docker: runs the docker-archive of a zstd image" "zstd ok" \
		"$(dk load -i out/zs.tar > /dev/null 2>&1 && dk run --rm --network none zs:latest 2>&1)"
	check "docker: loads the docker-archive" dk load -i out/ok.tar
	same "docker: inspect shows the healthcheck" \
		'{"Test":["CMD","/bin/true"],"Interval":1000000000,"Timeout":3000000000,"StartPeriod":1000000000,"Retries":3}' \
		"$(dk inspect ok:latest --format '{{json .Config.Healthcheck}}' 2>&1)"
	dk run -d --network none --name okc ok:latest > /dev/null 2>&1
	status=
	for _ in $(seq 40); do
		status=$(dk inspect okc --format '{{.State.Health.Status}}' 2>&1)
		[ "$status" = healthy ] && break
		sleep 0.5
	done
	same "docker: the container becomes healthy" healthy "$status"
	dk load -i out/bad.tar > /dev/null 2>&1
	dk run -d --network none --name badc bad:latest > /dev/null 2>&1
	for _ in $(seq 40); do
		status=$(dk inspect badc --format '{{.State.Health.Status}}' 2>&1)
		[ "$status" = unhealthy ] && break
		sleep 0.5
	done
	same "docker: a container whose CMD-SHELL check fails becomes unhealthy" unhealthy "$status"
	dk manifest inspect --insecure "$REG/test/ok:1" > dkm.json 2>&1
	same "docker manifest inspect: reads the pushed manifest" \
		"application/vnd.docker.distribution.manifest.v2+json $(jget ok.raw "j['config']['digest']")" \
		"$(jget dkm.json "j['mediaType'], j['config']['digest']" 2>&1 | tr -d "(),'")"
	dk manifest inspect --insecure "$REG/test/multi:1" > dkl.json 2>&1
	same "docker manifest inspect: reads the pushed list" "application/vnd.docker.distribution.manifest.list.v2+json 2" \
		"$(jget dkl.json "j['mediaType'], len(j['manifests'])" 2>&1 | tr -d "(),'")"
	dk pull -q "$REG/test/ok:1" > /dev/null 2>&1
	same "docker: pulls the pushed image, healthcheck and all" '["CMD","/bin/true"]' \
		"$(dk inspect "$REG/test/ok:1" --format '{{json .Config.Healthcheck.Test}}' 2>&1)"
	dk pull -q "$REG/test/oci:1" > /dev/null 2>&1
	same "docker: pulls an OCI manifest and runs it" "oci" "$(dk run --rm --network none --entrypoint /bin/busybox "$REG/test/oci:1" cat /etc/oci 2>&1)"
	dk pull -q "$REG/test/omulti:1" > /dev/null 2>&1
	same "docker: pulls this machine's image of an OCI index and runs it" "oci index ok" \
		"$(dk run --rm --network none "$REG/test/omulti:1" 2>&1)"
	stopdockerd
else
	skip "docker: dockerd did not start here ($(tail -n 1 "$W/dockerd.log" 2>/dev/null))"
fi

# the build cache: a second machine takes the Docker images' layers from it
mkdir -p "$W/ca" "$W/cb"
(cd "$W/ca" && export IMAGEGEN_CACHE="$W/ca/dl" && "$IMAGEGEN" --cache "$REG/cache" --cache-push ../src/build.lua &&
	ninja) > "$W/ca.log" 2>&1
(cd "$W/cb" && export IMAGEGEN_CACHE="$W/cb/dl" && "$IMAGEGEN" --cache "$REG/cache" ../src/build.lua && ninja &&
	ninja push-multi) > "$W/cb.log" 2>&1
same "cache: two machines build" 0 $?
check "cache: the second machine took layers from the cache" test -n "$(ls "$W/cb/.imagegen/cache/blob" 2>/dev/null)"
check "cache: its Docker images are the first's and this folder's" sh -c "diff -r '$W/ca/out' '$W/cb/out' && diff -r '$W/b/out/multi' '$W/cb/out/multi'"
contains "cache: its push of the list finds every blob there (2 configs, the layer twice)" "$W/cb.log" "0 blob(s) uploaded, 0 mounted, 4 already there"
