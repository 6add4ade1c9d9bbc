# Alpine packages (docs/alpine.md), hermetic. First the generator alone,
# from a lock written here (no index, no package): the apk and apkdb layer
# entries, the fetch edge, the accounts nginx's .pre-install makes as
# busybox makes them (worked out from busybox's adduser.c and addgroup.c:
# the first free id from 100, the user a member of its -G group), and the
# language's errors. Then, with the synthetic repository of tests/apkrepo.py
# (signed with a key made here) served on 127.0.0.1: resolution through the
# language, the lock and --locked, the build, the files of /etc/apk and
# /lib/apk/db, the accounts, the SBOM's purls, the package layers kept in
# the download folder for a second build folder, and a tampered index and
# package refused in one line each.
. "$TOP/tests/lib.sh"

workdir alpine
export IMAGEGEN_CACHE="$W/cache"
SHA_A=$(printf a | sha256sum | cut -d' ' -f1)
SHA_B=$(printf b | sha256sum | cut -d' ' -f1)

# --- the generator, from a lock -------------------------------------------
mkdir -p "$W/gen/keys" "$W/gen/b"
cd "$W/gen" || exit 1
printf 'not read: the generator only names it\n' > keys/test@example.invalid-1.rsa.pub
cat > build.lua <<'EOF'
local main = repository { kind = "apk", url = "http://127.0.0.1:9/alpine/main",
  keys = { "keys/test@example.invalid-1.rsa.pub" } }
image {
  name = "web",
  platforms = { "linux/amd64" },
  repositories = { main },
  packages = { "nginx~=1.18" },
  users = { { name = "app", uid = 1000 } },
  entrypoint = { "nginx", "-g", "daemon off;" },
}
EOF
cat > imagegen.lock <<EOF
{"imagegen-lock":1,"images":{"web":{"kind":"apk","architecture":"x86_64","base":[],"repositories":["http://127.0.0.1:9/alpine/main x86_64"],"request":["nginx~=1.18"],"packages":[
{"name":"alpine-baselayout","version":"3.2.0-r7","architecture":"x86_64","filename":"alpine-baselayout-3.2.0-r7.apk","size":10,"sha256":"$SHA_A","checksum":"Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=","repository":"http://127.0.0.1:9/alpine/main x86_64","url":"http://127.0.0.1:9/alpine/main/x86_64/alpine-baselayout-3.2.0-r7.apk","depends":[],"via":"nginx","license":"GPL-2.0-only",
 "files":{"etc/passwd":"root:x:0:0:root:/root:/bin/ash\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n","etc/group":"root:x:0:root\nusers:x:100:games\nwww-data:x:82:\nnogroup:x:65533:\nnobody:x:65534:\n","etc/shadow":"root:!::0:::::\n"},"modes":{"etc/shadow":"640 0 42"}},
{"name":"nginx","version":"1.18.0-r1","architecture":"x86_64","filename":"nginx-1.18.0-r1.apk","size":20,"sha256":"$SHA_B","checksum":"Q1BBBBBBBBBBBBBBBBBBBBBBBBBBB=","repository":"http://127.0.0.1:9/alpine/main x86_64","url":"http://127.0.0.1:9/alpine/main/x86_64/nginx-1.18.0-r1.apk","depends":["alpine-baselayout"],"license":"BSD-2-Clause",
 "scripts":{".pre-install":"#!/bin/sh\naddgroup -S nginx 2>/dev/null\nadduser -S -D -H -h /var/lib/nginx -s /sbin/nologin -G nginx -g nginx nginx 2>/dev/null\naddgroup nginx www-data 2>/dev/null\nexit 0\n",".post-install":"#!/bin/sh\nsetcap cap_net_bind_service=+ep /usr/sbin/nginx\n",".trigger":"#!/bin/sh\n"}}
]}},"bases":{},"repositories":{}}
EOF
cd b || exit 1
check "generator: --locked, from the lock alone (no index read)" "$IMAGEGEN" --locked ../build.lua
# every spec of the build, by path, from the bundles and the files
python3 - > specs.json <<'EOF'
import glob, json, os
out = {}
for f in glob.glob(".imagegen/spec/**/*.json", recursive=True):
    j = json.load(open(f))
    if "/bundle/" in f:
        out.update(j)
    else:
        out[f] = j
json.dump(out, open("specs.json", "w"))
EOF
spec() { python3 -c "import json,sys; j=json.load(open('specs.json')); print($1)"; }
same "generator: a layer a package, apk entries with the lock's checksum and the repository's keys" \
	"apk nginx 1.18.0-r1 Q1BBBBBBBBBBBBBBBBBBBBBBBBBBB= test@example.invalid-1.rsa.pub" \
	"$(spec "' '.join([(e['type'], e['package'], e['version'], e['checksum'], e['keys'][0]['name']) for e in j['.imagegen/spec/layer/apk/nginx_1.18.0-r1_x86_64.json']['entries']][0])")"
same "generator: the fetch edge has both .apks, by sha256" \
	"$(printf '%s\n' "$IMAGEGEN_CACHE/apk/$SHA_A.apk" "$IMAGEGEN_CACHE/apk/$SHA_B.apk" | sort | tr '\n' ' ' | sed 's/ $//')" \
	"$(spec "' '.join(sorted(f['path'] for f in j['.imagegen/spec/fetch.json']['fetch']))")"
apkdb() { spec "[e for e in j['.imagegen/spec/layer/web/apk.json']['entries'] if e['type'] == 'apkdb'][0]$1"; }
same "generator: the apkdb entry's sidecars in install order" \
	"['.imagegen/layer/apk/alpine-baselayout_3.2.0-r7_x86_64.apk', '.imagegen/layer/apk/nginx_1.18.0-r1_x86_64.apk']" \
	"$(apkdb "['apk']")"
same "generator: world (as apk writes it: ~= as ~), arch, repositories" "['nginx~1.18'] x86_64 ['http://127.0.0.1:9/alpine/main']" \
	"$(apkdb "['world']") $(apkdb "['arch']") $(apkdb "['repositories']")"
text() { spec "[e for e in j['.imagegen/spec/layer/web/apk.json']['entries'] if e.get('path') == '$1'][0]$2"; }
text etc/passwd "['data']" > passwd
text etc/group "['data']" > group
text etc/shadow "['data']" > shadow
# busybox: addgroup -S takes the first free gid from 100 (users has 100): 101;
# adduser -S -G nginx takes the first free uid from 100 (none has it): 100,
# and runs addgroup nginx nginx; addgroup nginx www-data makes it a member
contains "accounts: nginx's user as busybox's adduser -S makes it" passwd "nginx:x:100:101:nginx:/var/lib/nginx:/sbin/nologin"
contains "accounts: the declared user over the package's files (the language's defaults)" passwd "app:x:1000:1000:app:/nonexistent:/usr/sbin/nologin"
contains "accounts: alpine-baselayout's accounts kept" passwd "nobody:x:65534:65534:nobody:/:/sbin/nologin"
contains "accounts: nginx's group, the user a member (adduser -G runs addgroup USER GROUP)" group "nginx:x:101:nginx"
contains "accounts: addgroup nginx www-data" group "www-data:x:82:nginx"
contains "accounts: /etc/shadow as busybox's adduser writes it (epoch 0: day 0)" shadow "nginx:!:0:0:99999:7:::"
same "accounts: /etc/shadow keeps the package's owner and mode (0640 root:shadow)" "416 0 42" \
	"$(text etc/shadow "['mode']") $(text etc/shadow "['uid']") $(text etc/shadow "['gid']")"
same "maintscripts: the line not reproduced and the trigger, one line each" \
	"$(printf 'nginx\t.post-install\t2\tsetcap cap_net_bind_service=+ep /usr/sbin/nginx\nnginx\t.trigger\t-\t(not run)')" \
	"$(cat out/web.maintscripts)"
same "sbom spec: the apk packages with kind and licence" "apk BSD-2-Clause apk GPL-2.0-only" \
	"$(spec "' '.join(p['kind'] + ' ' + p['license'] for p in sorted(j['.imagegen/spec/sbom/web.json']['packages'], key=lambda p: p['name'], reverse=True))")"

# the language's errors: one line each, naming the file and line
refused() {
	desc=$1 want=$2
	shift 2
	if "$IMAGEGEN" "$@" ../err.lua > err.out 2>&1; then
		fail "$desc: accepted"
	else
		same "$desc" "$want" "$(cat err.out)"
	fi
}
err() { printf '%s\n' "$@" > ../err.lua; }
err 'local r = repository { kind = "apk", url = "http://127.0.0.1:9/main" }' 'image { name = "x", repositories = { r }, packages = { "a" } }'
refused "error: an apk repository without keys" \
	"imagegen: ../err.lua:1: repository: keys must list the public keys its index is signed with (files named as the signatures name them, e.g. NAME.rsa.pub)"
err 'local r = repository { kind = "apk", url = "http://127.0.0.1:9/main", suite = "v3.12", keys = "keys/test@example.invalid-1.rsa.pub" }'
refused "error: a Debian field in an apk repository" \
	"imagegen: ../err.lua:1: repository: suite is a field of a Debian repository; kind = \"apk\" has url, arch and keys"
err 'local r = repository { kind = "rpm", url = "http://127.0.0.1:9/main" }'
refused "error: an unknown kind" "imagegen: ../err.lua:1: repository: kind must be \"deb\" or \"apk\""
err 'local a = repository { kind = "apk", url = "http://127.0.0.1:9/main", keys = "keys/test@example.invalid-1.rsa.pub" }' \
	'local d = repository { url = "http://127.0.0.1:9/debian", suite = "stable" }' \
	'image { name = "x", repositories = { a, d }, packages = { "a" } }'
refused "error: apk and Debian repositories in one image" \
	"imagegen: ../err.lua:3: repositories: apk and Debian repositories in one image; an image has the packages of one kind"
err 'local d = repository { url = "http://127.0.0.1:9/debian", suite = "stable" }' \
	'image { name = "x", repositories = { d }, packages = { "nginx~=1.18" } }'
refused "error: an apk atom for Debian's repositories" \
	"imagegen: ../err.lua:2: packages[1]: 'nginx~=1.18' is not a Debian package name (or name=version); apk's atoms are for repository { kind = \"apk\" }"
err 'local a = repository { kind = "apk", url = "http://127.0.0.1:9/main", keys = "keys/test@example.invalid-1.rsa.pub" }' \
	'image { name = "x", platforms = { "linux/mips64le" }, repositories = { a }, packages = { "a" } }'
refused "error: a platform Alpine has no packages for" "imagegen: ../err.lua:2: packages: Alpine has no packages for linux/mips64le"
sed 's/entrypoint =/maxlayers = 2, entrypoint =/' ../build.lua > ../err.lua
refused "error: over the layer budget (apk layers are one a package, not merged)" \
	"imagegen: ../err.lua:3: image 'web': 3 layers, over its budget of 2 (maxlayers): 0 of its bases and 3 of its own (2 package layers)"
sed 's/entrypoint =/packagelayers = "one", entrypoint =/' ../build.lua > ../err.lua
refused "error: packagelayers for apk packages" \
	"imagegen: ../err.lua:9: packagelayers: an image of apk packages has one layer a package"
sed -i 's/nginx~=1.18/nginx~=1.20/' ../build.lua
if "$IMAGEGEN" --locked ../build.lua > err.out 2>&1; then
	fail "error: --locked and a request the lock does not have: accepted"
else
	same "error: --locked and a request the lock does not have" \
		"imagegen: ../build.lua:3: image 'web': ../imagegen.lock no longer matches the definition; run: imagegen lock ../build.lua" \
		"$(cat err.out)"
fi

# --- a signed repository, resolved, locked, built -------------------------
cd "$W" || exit 1
if ! have musl-gcc; then
	skip "repository: musl-gcc is not installed (apt-get install musl-tools), which tests/apkrepo.py builds nginx with"
	exit 0
fi
mkdir -p keys src/keys b
openssl genrsa -out keys/test@example.invalid-2.rsa 2048 2>/dev/null
check "repository: tests/apkrepo.py writes the signed synthetic repository" \
	python3 "$TOP/tests/apkrepo.py" repo --key keys/test@example.invalid-2.rsa
cp keys/test@example.invalid-2.rsa.pub src/keys/
python3 "$TOP/tests/mirror.py" "$W/repo" "$W/mirror.log" & SERVER=$!
atexit 'stop $SERVER'
PORT=$(listenport $SERVER)
definition() {
	cat > "$W/src/build.lua" <<EOF
local main = repository { kind = "apk", url = "http://127.0.0.1:$PORT", keys = { "keys/test@example.invalid-2.rsa.pub" } }
image {
  name = "web",
  platforms = { "linux/amd64" },
  repositories = { main },
  packages = { "alpine-baselayout-data", "$1" },
  entrypoint = { "nginx", "-g", "daemon off;" },
}
EOF
}
definition "nginx~=1.18"
cd b || exit 1
check "resolution: imagegen resolves nginx~=1.18 from the served repository and writes the lock" "$IMAGEGEN" ../src/build.lua
lockline() { jget ../src/imagegen.lock "[p for p in j['images']['web']['packages'] if p['name'] == '$1'][0]$2"; }
# the highest 1.18 of the five nginx versions (1.16.1-r8 ... 1.24.0-r7)
same "lock: nginx~=1.18 is 1.18.0-r15" "1.18.0-r15" "$(lockline nginx "['version']")"
same "lock: its file's sha256 (fetched once) and the index's checksum" \
	"$(sha256sum ../repo/x86_64/nginx-1.18.0-r15.apk | cut -d' ' -f1) Q1" \
	"$(lockline nginx "['sha256']") $(lockline nginx "['checksum'][:2]")"
same "lock: what nginx depends on, through so: and /bin/sh" "['busybox', 'musl', 'pcre', 'zlib']" "$(lockline nginx "['depends']")"
check "lock: --locked generates from it" "$IMAGEGEN" --locked ../src/build.lua
check "build: ninja fetches, verifies and lays out the packages" ninja
python3 - out/web root <<'EOF'
import json, os, sys, tarfile
lay, root = sys.argv[1], sys.argv[2]
def blob(d): return os.path.join(lay, "blobs", "sha256", d.split(":")[1])
idx = json.load(open(os.path.join(lay, "index.json")))
man = json.load(open(blob(idx["manifests"][0]["digest"])))
os.makedirs(root, exist_ok=True)
with open(root + ".owners", "w") as f:
    for l in man["layers"]:
        with tarfile.open(blob(l["digest"])) as t:
            for m in t.getmembers():
                f.write("%o %d %d %s\n" % (m.mode | (0o40000 if m.isdir() else 0), m.uid, m.gid, m.name))
                if m.isfile() or m.isdir():
                    t.extract(m, root, set_attrs=False)
EOF
same "image: /etc/apk/world: the request, sorted, as apk writes it" "$(printf 'alpine-baselayout-data\nnginx~1.18')" "$(cat root/etc/apk/world)"
same "image: /etc/apk/arch" "x86_64" "$(cat root/etc/apk/arch)"
same "image: /etc/apk/repositories" "http://127.0.0.1:$PORT" "$(cat root/etc/apk/repositories)"
check "image: /etc/apk/keys has the repository's key" cmp root/etc/apk/keys/test@example.invalid-2.rsa.pub ../keys/test@example.invalid-2.rsa.pub
contains "image: /lib/apk/db/installed has nginx" root/lib/apk/db/installed "P:nginx"
# busybox: gid 100 is users', so addgroup -S nginx takes 101; no user has uid 100
contains "accounts: nginx from its .pre-install, as busybox makes it" root/etc/passwd "nginx:x:100:101:nginx:/var/lib/nginx:/sbin/nologin"
contains "accounts: its group, nginx a member" root/etc/group "nginx:x:101:nginx"
contains "accounts: its /etc/shadow line" root/etc/shadow "nginx:!:0:0:99999:7:::"
contains "accounts: /var/lib/nginx is nginx's, as apk resolves its owner's name" root.owners "40750 100 101 var/lib/nginx"
check "accounts: the installed database records /var/lib/nginx as nginx's (apk audit --check-permissions)" \
	python3 -c 'import sys; sys.exit(0 if "\nF:var/lib/nginx\nM:100:101:750\n" in open(sys.argv[1]).read() else 1)' root/lib/apk/db/installed
contains "sbom: nginx's purl" out/web.spdx.json "pkg:apk/alpine/nginx@1.18.0-r15?arch=x86_64"
contains "sbom: its licence" out/web.spdx.json '"licenseDeclared":"BSD-2-Clause"'
contains "provenance: the apk purls" out/web.provenance.json "pkg:apk/alpine/musl@1.2.3-r0?arch=x86_64"

# kept layers, as Debian's: each package layer is kept in the download
# folder with its apk sidecar, and a second build folder takes it from there
# (its blob a hard link of the kept one, not a layer made again: the .apk is
# not read), the same image
same "kept layers: each package's layer kept, with its apk sidecar" \
	"$(jget ../src/imagegen.lock "len(j['images']['web']['packages'])") $(jget ../src/imagegen.lock "len(j['images']['web']['packages'])")" \
	"$(ls "$IMAGEGEN_CACHE"/layer/*.json | wc -l) $(ls "$IMAGEGEN_CACHE"/layer/*.apk | wc -l)"
mkdir -p ../b2 && cd ../b2 || exit 1
"$IMAGEGEN" --locked ../src/build.lua > /dev/null && ninja > ninja.log 2>&1
same "kept layers: a second build folder builds the same image" "$(cat ../b/out/web.digest)" "$(cat out/web.digest)"
taken=0
for d in .imagegen/layer/apk/*.json; do
	h=$(jget "$d" "j['digest'][7:]")
	[ "$(stat -c %i ".imagegen/blobs/sha256/$h")" != "$(stat -c %i "$IMAGEGEN_CACHE/layer/sha256/$h")" ] || taken=$((taken + 1))
done
same "kept layers: each package layer taken from them, not made again" "$(ls "$IMAGEGEN_CACHE"/layer/*.json | wc -l)" "$taken"
check "kept layers: the package layers' sidecars the same (what the apk database is made from)" \
	sh -c 'for f in ../b/.imagegen/layer/apk/*.apk; do cmp "$f" ".imagegen/layer/apk/${f##*/}" || exit 1; done'
cd ../b || exit 1

# errors, one line each: a request no version meets (with what there is), a
# tampered index, a tampered package
definition "nginx~=1.22"
if "$IMAGEGEN" ../src/build.lua > err.out 2>&1; then fail "error: nginx~=1.22 accepted"; else
	same "error: a version the repository has not, with the chain" \
		"imagegen: ../src/build.lua:2: image 'web': packages: nginx~=1.22: nginx has only 1.24.0-r7, 1.20.2-r2, 1.18.0-r15, 1.18.0-r0, 1.16.1-r8" \
		"$(cat err.out)"
fi
definition "nginx~=1.18"
python3 "$TOP/tests/apkrepo.py" ../tampered --key ../keys/test@example.invalid-2.rsa --tamper-index --tamper-package nginx > /dev/null
# a package changed after it was signed: its size is not the index's, so
# imagegen lock refuses it; a lock that has its sha256 and size anyway (made
# by hand, or trusting a mirror that lied) is refused when the package is
# read: its data no longer what its signed control says
cp ../tampered/x86_64/nginx-1.18.0-r15.apk ../repo/x86_64/
if "$IMAGEGEN" lock ../src/build.lua > err.out 2>&1; then fail "error: a package of another size accepted"; else
	same "error: a package of another size than the index's, one line" 1 "$(wc -l < err.out)"
fi
python3 - ../src/imagegen.lock ../repo/x86_64/nginx-1.18.0-r15.apk <<'PY'
import hashlib, json, sys
lock = json.load(open(sys.argv[1]))
data = open(sys.argv[2], "rb").read()
for p in lock["images"]["web"]["packages"]:
    if p["name"] == "nginx":
        p["sha256"], p["size"] = hashlib.sha256(data).hexdigest(), len(data)
json.dump(lock, open(sys.argv[1], "w"))
PY
"$IMAGEGEN" --locked ../src/build.lua > /dev/null 2>&1
if ninja > err.out 2>&1; then fail "error: a tampered package accepted"; else
	same "error: a tampered package refused in one line" 1 "$(grep -c '^imagegen: ' err.out)"
	grep '^imagegen: ' err.out
fi
cp ../tampered/x86_64/APKINDEX.tar.gz ../repo/x86_64/APKINDEX.tar.gz
if "$IMAGEGEN" lock ../src/build.lua > err.out 2>&1; then fail "error: a tampered index accepted"; else
	same "error: a tampered index refused in one line" 1 "$(wc -l < err.out)"
	cat err.out
fi
