# SBOMs: every image gets an SPDX 2.3 document (out/NAME.spdx.json), valid
# against the SPDX schema when ../shared has it, the same bytes in another
# build folder and timezone, listing every package of the lock (deb purl,
# sha256, supplier, DEP-5 licence) and nothing else as a Debian package, the
# project's files by layer, a base from outside with its oci purl; attached
# to the layout as an OCI artifact whose subject is the manifest.
# (e2e-sbom pushes it to a registry.)
. "$TOP/tests/lib.sh"

needdebtools sbom || exit 0
workdir sbom
cd "$W" || exit 1
export IMAGEGEN_CACHE="$W/cache"
signedrepo
PIDS=
atexit 'for p in $PIDS; do stop "$p"; done'
SCHEMA=$TOP/../shared/spdx-schema/spdx-2.3-schema.json

# spdxvalid DESCRIPTION DOC: the document against the SPDX 2.3 JSON schema, where it is here
spdxvalid() {
	if [ -f "$SCHEMA" ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
		check "$1" /usr/bin/python3 -c 'import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' "$SCHEMA" "$2"
	else
		skip "$1 (no ../shared/spdx-schema or no python3-jsonschema here)"
	fi
}

# a repository of packages with copyright files of every kind
dep5='Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: tool

Files: *
Copyright: 2020 Someone
License: GPL-2+

Files: lib/*
Copyright: 2021 Someone Else
License: Expat or Apache-2.0

Files: odd/*
Copyright: 2022 Odd
License: odd-licence

Files: lib/more/*
Copyright: 2023 Someone Else
License: Expat and GPL-2+, Expat or Apache-2.0 or Expat

Files: m4/*
Copyright: 2020 Autotools
License: --AUTO-PERMISSIVE--

License: odd-licence
 You may do odd things with this.'
# a draft DEP-5 file: Format-Specification and a dep5 URL
dep5draft='Format-Specification: http://svn.debian.org/wsvn/dep/web/deps/dep5.mdwn?op=file&rev=135

Files: *
Copyright: 2009 Old
License: BSD-3-clause'
mkpkg tool 1.0 "$ARCH" "Depends: libtool1, oldtool
Homepage: https://tool.example.invalid/" \
	"mkdir -p usr/bin usr/share/doc/tool && echo tool > usr/bin/tool && printf '%s\n' '$dep5' > usr/share/doc/tool/copyright"
mkpkg libtool1 2:1.5~rc1-2 "$ARCH" "Multi-Arch: same" \
	"mkdir -p usr/lib usr/share/doc/libtool1 && echo lib > usr/lib/libtool.so.1 && echo 'free-form copyright text' > usr/share/doc/libtool1/copyright"
mkpkg oldtool 0.9 "$ARCH" "" \
	"mkdir -p usr/share/doc/oldtool && printf '%s\n' '$dep5draft' > usr/share/doc/oldtool/copyright"
mkindex stable
(cd "$REPO" && exec python3 -m http.server --bind 127.0.0.1 0) > "$W/http.log" 2>&1 &
pid=$!
PIDS="$PIDS $pid"
URL=http://127.0.0.1:$(listenport "$pid")

mkdir -p src && cp -R "$TOP/examples/monorepo/." src/mono && cp "$W/test.gpg" src/
cat > src/build.lua <<EOF
include "mono"
local repo = repository { url = "$URL", suite = "stable", keyring = "test.gpg" }
image { name = "tools", packages = { "tool" }, repositories = { repo },
  files = { { "/etc/tools.conf", text "x = 1\n" } } }
image { name = "plain", base = "api", sbom = false }
EOF
mkdir b && cd b || exit 1
check "the build makes the images and their SBOMs" sh -c "'$IMAGEGEN' ../src/build.lua 2> gen.log && ninja > ninja.log 2>&1"
for n in api web tools; do
	spdxvalid "$n: the SPDX document is valid SPDX 2.3" "out/$n.spdx.json"
done
# written piece by piece (sbom.c), the bytes of one dump by jansson (t-sbombytes: names of every kind)
if python3 "$TOP/tests/spdxbytes.py" /dev/null > /dev/null 2>&1 || [ $? != 2 ]; then
	check "api, web, tools: each document is jansson's dump of itself, its namespace the digest of the rest" \
		python3 "$TOP/tests/spdxbytes.py" out/api.spdx.json out/web.spdx.json out/tools.spdx.json
fi
check "sbom = false: no document" test ! -e out/plain.spdx.json
same "sbom = false: no SBOM in the layout" 0 \
	"$(jget out/plain/index.json "sum(1 for m in j['manifests'] if m.get('artifactType') == 'application/spdx+json')")"

# what it says: every package of the lock, by purl and sha256; nothing else a deb
python3 - out/tools.spdx.json ../src/imagegen.lock "$ARCH" > pkgs.out 2>&1 <<'PY'
import json, sys
doc, lock, arch = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
want = {}
for p in lock["images"]["tools"]["packages"]:
    want[p["name"]] = p
debs = {}
for p in doc["packages"]:
    purls = [r["referenceLocator"] for r in p.get("externalRefs", []) if r["referenceType"] == "purl"]
    if any(u.startswith("pkg:deb/") for u in purls):
        debs[p["name"]] = (p, purls[0])
assert set(debs) == set(want), (sorted(debs), sorted(want))
for name, (p, purl) in debs.items():
    lp = want[name]
    v = lp["version"].replace(":", "%3A").replace("~", "~").replace("+", "%2B")
    assert purl == "pkg:deb/debian/%s@%s?arch=%s&distro=stable" % (name, v, arch), purl
    assert {"algorithm": "SHA256", "checksumValue": lp["sha256"]} in p["checksums"], p["checksums"]
    assert p["versionInfo"] == lp["version"] and p["downloadLocation"] == lp["url"], p
    assert p["supplier"] == "Person: imagegen tests (tests@example.invalid)", p.get("supplier")
print("ok")
PY
same "tools: every package of the lock, with its purl, version, sha256, URL and supplier; nothing else a deb" \
	ok "$(tail -n 1 pkgs.out)"
same "tools: a DEP-5 copyright file gives an SPDX expression, each term once" \
	"GPL-2.0-or-later AND (MIT OR Apache-2.0) AND LicenseRef-odd-licence AND MIT AND LicenseRef-AUTO-PERMISSIVE" \
	"$(jget out/tools.spdx.json "[p['licenseDeclared'] for p in j['packages'] if p['name'] == 'tool'][0]")"
same "tools: the licence of its own name is declared with its text" "You may do odd things with this." \
	"$(jget out/tools.spdx.json "[x['extractedText'] for x in j['hasExtractedLicensingInfos'] if x['licenseId'] == 'LicenseRef-odd-licence'][0]")"
same "tools: a draft DEP-5 file (Format-Specification) is machine-readable too" BSD-3-Clause \
	"$(jget out/tools.spdx.json "[p['licenseDeclared'] for p in j['packages'] if p['name'] == 'oldtool'][0]")"
same "tools: a copyright file that is not machine-readable: NOASSERTION" NOASSERTION \
	"$(jget out/tools.spdx.json "[p['licenseDeclared'] for p in j['packages'] if p['name'] == 'libtool1'][0]")"
same "tools: the homepage" "https://tool.example.invalid/" \
	"$(jget out/tools.spdx.json "[p['homepage'] for p in j['packages'] if p['name'] == 'tool'][0]")"
same "tools: tool DEPENDS_ON libtool1, as resolved" 1 \
	"$(jget out/tools.spdx.json "sum(1 for r in j['relationships'] if r['relationshipType'] == 'DEPENDS_ON' and 'tool-1.0' in r['spdxElementId'] and 'libtool1' in r['relatedSpdxElement'])")"
same "tools: the document DESCRIBES the image, which CONTAINS each package" "1 3" \
	"$(jget out/tools.spdx.json "str(sum(1 for r in j['relationships'] if r['relationshipType'] == 'DESCRIBES' and r['relatedSpdxElement'] == 'SPDXRef-Image')) + ' ' + str(sum(1 for r in j['relationships'] if r['relationshipType'] == 'CONTAINS' and r['relatedSpdxElement'].startswith('SPDXRef-deb-')))")"
same "tools: the project's file, with its sha256, and where it was declared" \
	"./etc/tools.conf $(printf 'x = 1\n' | sha256sum | cut -d' ' -f1) declared at build.lua:3: files[1]: /etc/tools.conf" \
	"$(jget out/tools.spdx.json "' '.join([f['fileName'], [c['checksumValue'] for c in f['checksums'] if c['algorithm'] == 'SHA256'][0], f['comment']] ) if False else [' '.join([f['fileName'], [c['checksumValue'] for c in f['checksums'] if c['algorithm'] == 'SHA256'][0], f['comment']]) for f in j['files'] if f['fileName'] == './etc/tools.conf'][0]")"
same "api: the built binary's file says which command made it" 1 \
	"$(jget out/api.spdx.json "sum(1 for f in j['files'] if f['fileName'] == './usr/local/bin/api' and 'built by the command at mono/services/api/build.lua' in f.get('comment', ''))")"
same "api: its base's files are there too (base/etc's passwd)" 1 \
	"$(jget out/api.spdx.json "sum(1 for f in j['files'] if f['fileName'] == './etc/passwd')")"
mdigest=$(jget out/api/index.json "j['manifests'][0]['digest']")
same "api: the image's purl is its manifest's digest" "pkg:oci/api@sha256%3A${mdigest#sha256:}?arch=$(jget .imagegen/image/api.json "j['platform']['architecture']")&repository_url=monorepo%2Fapi&tag=1" \
	"$(jget out/api.spdx.json "[r['referenceLocator'] for p in j['packages'] if p['SPDXID'] == 'SPDXRef-Image' for r in p['externalRefs']][0]")"
same "api: created is SOURCE_DATE_EPOCH" "1970-01-01T00:00:00Z" "$(jget out/api.spdx.json "j['creationInfo']['created']")"

# attached: an artifact manifest in the layout whose subject is the image manifest
art=$(jget out/api/index.json "[m['digest'] for m in j['manifests'] if m.get('artifactType') == 'application/spdx+json'][0]")
same "api: the artifact's subject is the image's manifest" "$mdigest" "$(jget "$(blob out/api "$art")" "j['subject']['digest']")"
same "api: the artifact's layer is the document, byte for byte" "$(sha256sum < out/api.spdx.json | cut -d' ' -f1)" \
	"$(jget "$(blob out/api "$art")" "j['layers'][0]['digest'][7:]")"
checkvalid "api: oci-validate with the artifact" out/api

# the same bytes in another folder, another timezone, another day's clock
mkdir -p "$W/elsewhere/deeper/b" && cd "$W/elsewhere/deeper/b" || exit 1
cp -R "$W/src" ../../src2
TZ=Pacific/Kiritimati "$IMAGEGEN" ../../src2/build.lua 2> /dev/null && TZ=Pacific/Kiritimati ninja > /dev/null 2>&1
for n in api web tools; do
	check "$n: the same document in another folder and timezone" cmp out/$n.spdx.json "$W/b/out/$n.spdx.json"
done
cd "$W/b" || exit 1

# make writes the same document
mkdir -p "$W/mk" && cd "$W/mk" || exit 1
"$IMAGEGEN" -G make -o images.mk ../src/build.lua 2> /dev/null && printf 'include images.mk\n' > Makefile
check "make: the same documents" sh -c "make -j2 images > make.log 2>&1 && cmp out/api.spdx.json '$W/b/out/api.spdx.json' && cmp out/tools.spdx.json '$W/b/out/tools.spdx.json'"

# a base from outside: its oci purl and digest
mkdir -p "$W/ext/src" "$W/ext/b" && cp -R "$W/b/out/api" "$W/ext/src/layout"
printf 'image { name = "ext", base = oci_layout("layout", "1"), files = { { "/x", text "x" } } }\n' > "$W/ext/src/build.lua"
cd "$W/ext/b" || exit 1
"$IMAGEGEN" ../src/build.lua && ninja > /dev/null 2>&1
same "a base from outside: a package with its oci purl and manifest digest" "pkg:oci/layout@sha256%3A${mdigest#sha256:}" \
	"$(jget out/ext.spdx.json "[r['referenceLocator'] for p in j['packages'] if p['SPDXID'] == 'SPDXRef-Base' for r in p['externalRefs']][0]")"
spdxvalid "ext: valid SPDX 2.3" out/ext.spdx.json
