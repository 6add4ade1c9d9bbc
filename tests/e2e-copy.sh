# imagegen copy with registries (issue 26, item 6): two of Debian's
# docker-registry on 127.0.0.1, started and stopped here. A layout of two
# platforms goes to the first registry with its two SBOMs, then to another
# repository of it (every blob mounted), then to the second registry
# (uploaded) and back into a layout; at each registry skopeo sees the same
# digest, the referrers tag of each platform's manifest lists its SBOM, and
# skopeo copies the SBOM back: the document the build wrote. A Docker-format
# image's SBOM goes by the referrers tag. (Layouts alone: t-copy.sh.)
# (The images have no provenance, so that each platform has one referrer;
# t-copy.sh and e2e-sign.sh carry provenance and signatures.)
. "$TOP/tests/lib.sh"

if ! have docker-registry || ! have skopeo; then
	fail "copy: docker-registry and skopeo are needed (apt-get install docker-registry skopeo)"
	exit 0
fi
workdir copy-e2e
export IMAGEGEN_CACHE="$W/cache"
PA= PB=
atexit 'for p in $PA $PB; do stop "$p"; done'

mkdir -p "$W/src" "$W/b" && cd "$W/b" || exit 1
cat > "$W/src/build.lua" <<'EOF'
image { name = "m", platforms = { "linux/amd64", "linux/arm64" }, files = { { "/g", text "g\n" } }, provenance = false }
image { name = "d", format = "docker", files = { { "/d", text "d\n" } }, provenance = false }
EOF
"$IMAGEGEN" ../src/build.lua > /dev/null && ninja > ninja.log 2>&1
check "the images build, with their SBOMs" test -f out/m.linux-arm64.spdx.json -a -f out/d.spdx.json

registry rega || exit 0
PA=$REGPID A=$REG
registry regb || exit 0
PB=$REGPID B=$REG

# rawdigest REF: the digest of the manifest skopeo reads at REF
rawdigest() {
	echo "sha256:$(skopeo inspect --raw --tls-verify=false "docker://$1" | sha256sum | cut -d' ' -f1)"
}
# referrers REG REPO DIGEST: the artifacts the referrers tag of DIGEST lists, "digest=type ..."
referrers() {
	curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$1/v2/$2/manifests/sha256-${3#sha256:}" |
		python3 -c 'import json, sys; print(" ".join(m["digest"] + "=" + m["artifactType"] for m in json.load(sys.stdin)["manifests"]))'
}
# sboms LAYOUT: each platform's manifest digest and its SBOM's, as the layout says, "manifest sbom=type" lines
sboms() {
	python3 - "$1" <<'EOF'
import json, os, sys
d = sys.argv[1]
for m in json.load(open(os.path.join(d, "index.json")))["manifests"][1:]:
    a = json.load(open(os.path.join(d, "blobs", "sha256", m["digest"][7:])))
    print(a["subject"]["digest"], m["digest"] + "=" + m["artifactType"])
EOF
}
# checkrefs NAME REG REPO: the referrers tag of each of out/m's platforms lists that platform's SBOM
checkrefs() {
	sboms out/m > "$W/want.$1"
	: > "$W/have.$1"
	while read -r subject art; do
		echo "$subject $(referrers "$2" "$3" "$subject")" >> "$W/have.$1"
	done < "$W/want.$1"
	check "$1: the referrers of each platform's manifest list its SBOM" cmp "$W/want.$1" "$W/have.$1"
}

# a layout to the first registry
"$IMAGEGEN" copy out/m "$A/t/m:1" > a.out 2> a.err
same "layout to registry: exit 0, nothing on stderr" "0:" "$?:$(cat a.err)"
contains "layout to registry: the summary" a.out "copy out/m $A/t/m:1: $(cat out/m.digest), "
contains "layout to registry: ... with both SBOMs" a.out "2 referrer(s) copied"
same "layout to registry: skopeo reads the same digest" "$(cat out/m.digest)" "$(rawdigest "$A/t/m:1")"
checkrefs "layout to registry" "$A" t/m

# to another repository of the same registry: mounted, nothing uploaded
"$IMAGEGEN" copy --json "$A/t/m:1" "$A/u/m:2" > mount.json 2> mount.err
same "within a registry: exit 0" "0:" "$?:$(cat mount.err)"
same "within a registry: nothing uploaded, every blob mounted or there, both SBOMs" "imagegen-copy 0 True 2 $A/t/m:1" \
	"$(jget mount.json "' '.join(str(v) for v in ('imagegen-copy' if j.get('imagegen-copy') == 1 else '?', j['uploaded'], j['mounted'] > 0, len(j['sboms']), j['source']))")"
same "within a registry: skopeo reads the same digest" "$(cat out/m.digest)" "$(rawdigest "$A/u/m:2")"
checkrefs "within a registry" "$A" u/m
"$IMAGEGEN" copy "$A/t/m:1" "$A/u/m:2" > again.out 2>&1
contains "within a registry: a second copy sends nothing" again.out "0 blob(s) uploaded, 0 mounted"

# to the second registry: the blobs come down once and go up
"$IMAGEGEN" copy --digest-file b.digest "$A/u/m:2" "$B/v/m:3" > b.out 2> b.err
same "registry to registry: exit 0" "0:" "$?:$(cat b.err)"
contains "registry to registry: uploaded, none mounted" b.out ", 0 mounted, "
same "registry to registry: skopeo reads the same digest" "$(cat out/m.digest)" "$(rawdigest "$B/v/m:3")"
same "registry to registry: --digest-file" "$(cat out/m.digest)" "$(cat b.digest)"
checkrefs "registry to registry" "$B" v/m
# skopeo copies each SBOM from the second registry: the documents the build wrote
for pl in amd64 arm64; do
	art=$(sboms out/m | python3 -c '
import json, sys
idx = json.load(open("out/m/index.json"))
for line in sys.stdin:
    s, a = line.split()
    if any(m["digest"] == s and m["platform"]["architecture"] == sys.argv[1]
           for m in json.load(open("out/m/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))["manifests"]):
        print(a.split("=")[0])' "$pl")
	rm -rf "$W/sbom-$pl"
	skopeo copy -q --src-tls-verify=false "docker://$B/v/m@$art" "oci:$W/sbom-$pl:s" > /dev/null 2>&1
	check "registry to registry: skopeo copies the linux/$pl SBOM back, the document the build wrote" \
		cmp "$W/sbom-$pl/blobs/sha256/$(sha256sum < "out/m.linux-$pl.spdx.json" | cut -d' ' -f1)" "out/m.linux-$pl.spdx.json"
done

# back into a layout, by digest
"$IMAGEGEN" copy "$B/v/m@$(cat out/m.digest)" back:1 > back.out 2>&1
same "registry to layout: exit 0" 0 $?
same "registry to layout: the index and both SBOMs, the build's digests" \
	"$(jget out/m/index.json "' '.join(m['digest'] for m in j['manifests'])")" \
	"$(jget back/index.json "' '.join(m['digest'] for m in j['manifests'])")"
"$IMAGEGEN" diff out/m back:1 > diff.out 2>&1
same "registry to layout: diff sees no difference" 0 $?
checkvalid "registry to layout: a valid OCI layout" back

# Docker's format: the SBOM by the referrers tag, copied with the image
"$IMAGEGEN" copy out/d "$A/t/d:1" > d1.out 2>&1 && "$IMAGEGEN" copy "$A/t/d:1" "$B/w/d:1" > d2.out 2>&1
same "Docker format: layout to registry to registry, exit 0" 0 $?
same "Docker format: skopeo reads the same digest" "$(cat out/d.digest)" "$(rawdigest "$B/w/d:1")"
same "Docker format: the referrers tag lists the SBOM" \
	"$(jget out/d/index.json "j['manifests'][1]['digest'] + '=' + j['manifests'][1]['artifactType']")" \
	"$(referrers "$B" w/d "$(cat out/d.digest)")"

# errors: one line
"$IMAGEGEN" copy "$A/t/none:1" l > none.out 2>&1
same "a tag the registry lacks: exit 1, one line" "1:1" "$?:$(wc -l < none.out)"
contains "... naming what" none.out "imagegen: copy $A/t/none:1 l: get manifest 1: 404"
check "... and no layout written" test ! -e l/index.json
