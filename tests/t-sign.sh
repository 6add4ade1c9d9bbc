# Signatures: imagegen sign puts cosign's simple-signing signature of a
# layout's image in the layout; openssl (another implementation) verifies
# it over the payload, which names the manifest; imagegen verify accepts the
# signer's public key and refuses another's, a tampered signature and a
# layout without one; a key command signs instead of a key file; keys of
# other kinds and encrypted ones are one line.
. "$TOP/tests/lib.sh"

if ! have openssl; then
	skip "sign: openssl is not installed (apt-get install openssl)"
	exit 0
fi
workdir sign
cd "$W" || exit 1
mkdir -p src b keys
cat > src/build.lua <<'EOF'
image { name = "signed", tag = "1", base = scratch, files = { { "/x", "x.txt" } } }
EOF
echo x > src/x.txt
openssl ecparam -name prime256v1 -genkey -noout -out keys/ec.pem 2> /dev/null
openssl ec -in keys/ec.pem -pubout -out keys/ec.pub 2> /dev/null
openssl genpkey -algorithm ed25519 -out keys/ed.pem 2> /dev/null
openssl pkey -in keys/ed.pem -pubout -out keys/ed.pub 2> /dev/null
openssl genpkey -algorithm ed25519 -out keys/other.pem 2> /dev/null
openssl pkey -in keys/other.pem -pubout -out keys/other.pub 2> /dev/null

cd b || exit 1
"$IMAGEGEN" ../src/build.lua && ninja > ninja.log 2>&1
manifest=$(python3 -c 'import json;print(json.load(open("out/signed/index.json"))["manifests"][0]["digest"])')
cp -R out/signed unsigned
check "sign --key (ECDSA P-256) signs the layout" "$IMAGEGEN" sign --key ../keys/ec.pem out/signed
checkvalid "the signed layout is valid" out/signed

# the signature as cosign lays it out, taken apart with python, checked with openssl
sigparts() {
	python3 - "$1" "$2" "$3" <<'EOF'
import base64, json, sys
layout, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
idx = json.load(open(layout + "/index.json"))
image = idx["manifests"][0]
sigs = [m for m in idx["manifests"] if m.get("artifactType") == "application/vnd.dev.cosign.artifact.sig.v1+json"]
m = json.load(open(layout + "/blobs/sha256/" + sigs[0]["digest"][7:]))
l = m["layers"][n]
open(out + ".payload", "wb").write(open(layout + "/blobs/sha256/" + l["digest"][7:], "rb").read())
open(out + ".sig", "wb").write(base64.b64decode(l["annotations"]["dev.cosignproject.cosign/signature"]))
p = json.load(open(out + ".payload"))
print(len(sigs), sigs[0]["annotations"]["org.opencontainers.image.ref.name"] == "sha256-" + image["digest"][7:] + ".sig",
      m["subject"]["digest"] == image["digest"], l["mediaType"], p["critical"]["image"]["docker-manifest-digest"],
      p["critical"]["type"], p["critical"]["identity"]["docker-reference"])
EOF
}
same "one signature artifact under sha256-HEX.sig, subject the manifest, the payload naming it" \
	"1 True True application/vnd.dev.cosign.simplesigning.v1+json $manifest cosign container image signature signed" \
	"$(sigparts out/signed 0 ec)"
check "openssl dgst -sha256 -verify accepts the ECDSA signature over the payload" \
	openssl dgst -sha256 -verify ../keys/ec.pub -signature ec.sig ec.payload
check "imagegen verify accepts the ECDSA key" "$IMAGEGEN" verify --key ../keys/ec.pub out/signed
check "sign --key (Ed25519) adds a second signature" "$IMAGEGEN" sign --key ../keys/ed.pem out/signed
same "the artifact has both" "1 True True" "$(sigparts out/signed 1 ed | cut -d' ' -f1-3)"
check "openssl pkeyutl -verify accepts the Ed25519 signature" \
	openssl pkeyutl -verify -pubin -inkey ../keys/ed.pub -rawin -in ed.payload -sigfile ed.sig
check "imagegen verify accepts the Ed25519 key" "$IMAGEGEN" verify --key ../keys/ed.pub out/signed
"$IMAGEGEN" verify --key ../keys/other.pub out/signed > other.out 2>&1
same "imagegen verify refuses another key: exit 1" 1 $?
contains "and says so" other.out "not signed by ../keys/other.pub (2 signatures, none good)"
"$IMAGEGEN" verify --key ../keys/ec.pub unsigned > unsigned.out 2>&1
same "an unsigned layout: exit 1" 1 $?
contains "and it says none" unsigned.out "(0 signatures, none good)"
contains "verify shows the provenance" unsigned.out "provenance: signed (linux/amd64) from build.lua"

# a tampered signature: the payload rewritten to name another manifest, the blob's digest made right
cp -R out/signed tampered
python3 - tampered <<'EOF'
import hashlib, json, os, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json"))
for m in idx["manifests"]:
    if m.get("artifactType") == "application/vnd.dev.cosign.artifact.sig.v1+json":
        art = json.load(open(d + "/blobs/sha256/" + m["digest"][7:]))
        for l in art["layers"]:
            p = open(d + "/blobs/sha256/" + l["digest"][7:], "rb").read().replace(b'"signed"', b'"signer"')
            h = hashlib.sha256(p).hexdigest()
            open(d + "/blobs/sha256/" + h, "wb").write(p)
            l["digest"], l["size"] = "sha256:" + h, len(p)
        b = json.dumps(art, separators=(",", ":"), sort_keys=True).encode()
        h = hashlib.sha256(b).hexdigest()
        open(d + "/blobs/sha256/" + h, "wb").write(b)
        m["digest"], m["size"] = "sha256:" + h, len(b)
open(d + "/index.json", "w").write(json.dumps(idx, separators=(",", ":"), sort_keys=True))
EOF
"$IMAGEGEN" verify --key ../keys/ec.pub tampered > tampered.out 2>&1
same "a payload changed after signing: exit 1" 1 $?

# a key command: openssl signs what it reads, the public key checks it
cp -R unsigned bycommand
check "sign --key-command with --public-key" "$IMAGEGEN" sign --key-command "openssl dgst -sha256 -sign ../keys/ec.pem" \
	--public-key ../keys/ec.pub bycommand
check "imagegen verify accepts what the command signed" "$IMAGEGEN" verify --key ../keys/ec.pub bycommand
cp -R unsigned wrongcmd
"$IMAGEGEN" sign --key-command "openssl dgst -sha256 -sign ../keys/ec.pem" --public-key ../keys/ed.pub wrongcmd \
	> wrongcmd.out 2>&1
same "a command's signature the public key refuses: exit 1" 1 $?
contains "in one line" wrongcmd.out "imagegen: sign: the signature does not verify with ../keys/ed.pub"
same "and the layout is left unsigned" 0 "$(grep -c cosign wrongcmd/index.json)"
"$IMAGEGEN" sign --key-command "exit 3" wrongcmd > failcmd.out 2>&1
contains "a command that fails: one line" failcmd.out "imagegen: sign: the key command failed (exit status 3): exit 3"

# keys imagegen does not take
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out ../keys/rsa.pem 2> /dev/null
"$IMAGEGEN" sign --key ../keys/rsa.pem unsigned > rsa.out 2>&1
contains "an RSA key: one line" rsa.out "imagegen: ../keys/rsa.pem: not an ECDSA P-256 or Ed25519 key"
openssl pkey -in ../keys/ed.pem -aes256 -passout pass:secret -out ../keys/enc.pem 2> /dev/null
"$IMAGEGEN" sign --key ../keys/enc.pem unsigned > enc.out 2>&1
contains "an encrypted key: one line that points to --key-command" enc.out "--key-command"
"$IMAGEGEN" sign unsigned > nokey.out 2>&1
contains "no key: one line" nokey.out "imagegen: sign unsigned: no key: --key KEY.pem, --key-command COMMAND, or IMAGEGEN_SIGN_KEY"
same "none of them signed the layout" 0 "$(grep -c cosign unsigned/index.json)"
check "IMAGEGEN_SIGN_KEY signs when no key is given" env IMAGEGEN_SIGN_KEY=../keys/ed.pem "$IMAGEGEN" sign unsigned
check "and verify accepts it" "$IMAGEGEN" verify --key ../keys/ed.pub unsigned

# --attachments: the SBOM and provenance signed too
cp -R out/signed attach
check "sign --attachments" "$IMAGEGEN" sign --attachments --key ../keys/ed.pem attach
same "three subjects signed: the image, its SBOM and its provenance" 3 \
	"$(python3 -c 'import json;print(sum(1 for m in json.load(open("attach/index.json"))["manifests"] if "cosign" in m.get("artifactType","")))')"
checkvalid "and the layout stays valid" attach
