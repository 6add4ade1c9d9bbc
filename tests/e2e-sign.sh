# Signatures and provenance in a registry (Debian's docker-registry on
# 127.0.0.1, started and stopped here): a signed layout pushed puts its
# signature under cosign's tag sha256-HEX.sig and among the referrers, with
# the provenance; IMAGEGEN_SIGN_KEY signs what push pushes; sign REF signs
# an image already in the registry, adding to its signatures; openssl
# verifies every signature the registry serves over its payload.
. "$TOP/tests/lib.sh"

if ! have docker-registry || ! have openssl; then
	fail "sign: docker-registry and openssl are needed (apt-get install docker-registry openssl)"
	exit 0
fi
workdir sign-e2e
export IMAGEGEN_CACHE="$W/cache"
REGPID=
atexit stopregistry
cd "$W" || exit 1
mkdir -p src b keys
cat > src/build.lua <<'EOF'
image { name = "one", tag = "1", base = scratch, files = { { "/x", "x.txt" } } }
image { name = "two", tag = "1", base = scratch, files = { { "/y", "y.txt" } } }
EOF
echo x > src/x.txt
echo y > src/y.txt
openssl ecparam -name prime256v1 -genkey -noout -out keys/ec.pem 2> /dev/null
openssl ec -in keys/ec.pem -pubout -out keys/ec.pub 2> /dev/null
cd b || exit 1
"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1
registry reg || exit 0

# the .sig tag's manifest: each layer's signature checked by openssl over its payload
# (sigcheck REPO DIGEST: "LAYERS GOOD SUBJECT")
sigcheck() {
	curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"http://$REG/v2/$1/manifests/sha256-${2#sha256:}.sig" > sig.json
	n=0 good=0
	for l in $(python3 -c 'import json;print(" ".join(l["digest"] for l in json.load(open("sig.json"))["layers"]))'); do
		n=$((n + 1))
		curl -s "http://$REG/v2/$1/blobs/$l" > payload
		python3 -c 'import base64,json,sys;m=json.load(open("sig.json"));l=[x for x in m["layers"] if x["digest"]==sys.argv[1]][0]
open("sig.der","wb").write(base64.b64decode(l["annotations"]["dev.cosignproject.cosign/signature"]))' "$l"
		if openssl dgst -sha256 -verify ../keys/ec.pub -signature sig.der payload > /dev/null 2>&1 &&
			grep -q "\"docker-manifest-digest\":\"$2\"" payload; then
			good=$((good + 1))
		fi
	done
	echo "$n $good $(python3 -c 'import json;print(json.load(open("sig.json"))["subject"]["digest"])')"
}

# a signed layout, pushed
d1=$(cat out/one.digest)
"$IMAGEGEN" sign --key ../keys/ec.pem out/one > sign1.log 2>&1
"$IMAGEGEN" push out/one "$REG/t/one:1" > push1.log 2>&1
contains "push of a signed layout: the SBOM, provenance and signature go with it" push1.log \
	"attached: 1 SBOM, 1 provenance, 1 signature"
same "the registry has the signature under sha256-HEX.sig, and openssl verifies it" "1 1 $d1" "$(sigcheck t/one "$d1")"
refs=$(curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$REG/v2/t/one/manifests/sha256-${d1#sha256:}")
same "the referrers of the image: its SBOM, provenance and signature" \
	"application/spdx+json application/vnd.dev.cosign.artifact.sig.v1+json application/vnd.in-toto+json" \
	"$(echo "$refs" | python3 -c 'import json,sys; print(" ".join(sorted(m["artifactType"] for m in json.load(sys.stdin)["manifests"])))')"

# signing at push: IMAGEGEN_SIGN_KEY
d2=$(cat out/two.digest)
IMAGEGEN_SIGN_KEY=../keys/ec.pem "$IMAGEGEN" push out/two "$REG/t/two:1" > push2.log 2>&1
contains "push with IMAGEGEN_SIGN_KEY signs the image" push2.log "1 signature"
same "and the registry has a good signature" "1 1 $d2" "$(sigcheck t/two "$d2")"
same "the key's path and bytes are in no log" "" "$(grep -l -e 'BEGIN' -e 'ec.pem' push2.log)"

# sign REF: one more signature in the registry, the first kept
check "sign REF signs an image in the registry" "$IMAGEGEN" sign --key ../keys/ec.pem "$REG/t/two:1"
same "now two signatures, both good" "2 2 $d2" "$(sigcheck t/two "$d2")"

# pulled back into a layout by skopeo, the signature tag and all: imagegen verify accepts it
check "skopeo copies the signature manifest" \
	skopeo copy --src-tls-verify=false "docker://$REG/t/two:sha256-${d2#sha256:}.sig" "oci:$W/sigcopy:sig"

# verify of a registry reference: copied with its referrers, then checked
"$IMAGEGEN" verify --key ../keys/ec.pub "$REG/t/two:1" > v1.out 2>&1
same "verify REF: exit 0" 0 $?
contains "verify REF: both signatures good" v1.out "(2 of 2 signatures good)"
"$IMAGEGEN" push out/two "$REG/t/plain:1" > /dev/null 2>&1
"$IMAGEGEN" verify --key ../keys/ec.pub "$REG/t/plain:1" > v2.out 2>&1
same "verify REF of an image pushed unsigned: exit 1" 1 $?
contains "and its provenance is shown" v2.out "provenance: two (linux/"
