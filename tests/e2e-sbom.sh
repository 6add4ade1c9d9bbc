# An image's SBOM pushed with it to a registry (Debian's docker-registry on
# 127.0.0.1, started and stopped here): the monorepo's api with its SPDX
# document attached as an OCI artifact (t-sbom.sh checks what it says); the
# referrers of the manifest list it, through the referrers tag schema, a
# second push uploads nothing, and skopeo copies the artifact back.
. "$TOP/tests/lib.sh"

if ! have docker-registry; then
	fail "sbom: docker-registry is not installed (apt-get install docker-registry)"
	exit 0
fi
workdir sbom-e2e
export IMAGEGEN_CACHE="$W/cache"
REGPID=
atexit stopregistry

mkdir -p "$W/b" && cd "$W/b" || exit 1
"$IMAGEGEN" "$TOP/examples/monorepo/build.lua" && ninja > ninja.log 2>&1
check "the monorepo builds with its SBOMs" test -f out/api.spdx.json
mdigest=$(jget out/api/index.json "j['manifests'][0]['digest']")
art=$(jget out/api/index.json "[m['digest'] for m in j['manifests'] if m.get('artifactType') == 'application/spdx+json'][0]")

# pushed: the referrers of the manifest list the SBOM, and skopeo copies it
registry reg || exit 0
"$IMAGEGEN" push out/api "$REG/t/api:1" > push1.log 2>&1
contains "push: the SBOM and the provenance go with the image" push1.log "attached: 1 SBOM, 1 provenance"
"$IMAGEGEN" push out/api "$REG/t/api:1" > push2.log 2>&1
contains "push: a second push uploads nothing" push2.log "0 blob(s) uploaded, 0 mounted"
# this registry has no referrers API: the referrers tag schema's index
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$REG/v2/t/api/referrers/$mdigest")
if [ "$code" = 200 ]; then
	refs=$(curl -s "http://$REG/v2/t/api/referrers/$mdigest")
else
	refs=$(curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$REG/v2/t/api/manifests/sha256-${mdigest#sha256:}")
fi
same "push: the referrers of the manifest list the SBOM, once" "$art application/spdx+json" \
	"$(echo "$refs" | python3 -c 'import json,sys; print(" ".join(m["digest"] + " " + m["artifactType"] for m in json.load(sys.stdin)["manifests"] if m["artifactType"] == "application/spdx+json"))')"
check "push: skopeo copies the SBOM artifact" \
	skopeo copy --src-tls-verify=false "docker://$REG/t/api@$art" "oci:$W/copied:sbom"
check "push: and it is the document" sh -c "cmp '$W/copied/blobs/sha256/$(sha256sum < out/api.spdx.json | cut -d' ' -f1)' out/api.spdx.json"
