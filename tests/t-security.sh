# Hostile input: registries that would take the credentials elsewhere,
# endless and trickling servers, malformed manifests and layouts, a
# repository that lies, definitions that loop, eat memory or escape the
# sandbox, a killed writer's leftovers and a full disk. Each check fails on
# an imagegen that trusts what it is given.
. "$TOP/tests/lib.sh"

workdir security
cd "$W" || exit 1
export IMAGEGEN_CACHE="$W/cache"
PIDS=
cleanup() {
	for p in $PIDS; do stop "$p"; done
	[ -z "${GNUPGHOME:-}" ] || gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null
}
trap cleanup EXIT

# hostile MODE LOG [OTHER [ADDRESS]]: start tests/hostile.py; sets HPORT
hostile() {
	python3 "$TOP/tests/hostile.py" "$@" > "$W/hostile.err" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	HPORT=$(listenport "$pid")
}

# a small image to push, with credentials for every registry of the tests
mkdir -p "$W/img/src" "$W/img/b"
printf 'image { name = "x", files = { { "/f", text "x\\n" } } }\n' > "$W/img/src/build.lua"
(cd "$W/img/b" && "$IMAGEGEN" ../src/build.lua > /dev/null && ninja > /dev/null)
LAYOUT=$W/img/b/out/x
secret=$(printf 'user:secret' | base64)
mkauth() {
	printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$1" "$secret" > "$W/auth.json"
}
export REGISTRY_AUTH_FILE="$W/auth.json"

# 1. an upload location on another origin gets no credentials
: > "$W/else.log"
hostile collect "$W/else.log" "" 127.0.0.2
ELSE=127.0.0.2:$HPORT
: > "$W/reg.log"
hostile upload-elsewhere "$W/reg.log" "$ELSE"
mkauth "$HPORT"
"$IMAGEGEN" push "$LAYOUT" "127.0.0.1:$HPORT/r:1" > push.out 2>&1
contains "upload elsewhere: the registry itself got the credentials" "$W/reg.log" "$(printf 'Basic %s' "$secret")"
contains "upload elsewhere: the upload went to the other host" "$W/else.log" "PUT /upload/x?digest=sha256:"
same "upload elsewhere: without the credentials" "" "$(grep -v ' -$' "$W/else.log")"

# 1. https is never followed down to plain http (a repository's URL here)
if have openssl; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$W/tls.key" -out "$W/tls.crt" > /dev/null 2>&1
	: > "$W/else.log"
	: > "$W/down.log"
	CERT=$W/tls.crt KEY=$W/tls.key hostile downgrade "$W/down.log" "$ELSE"
	mkdir -p "$W/down"
	printf 'image { name = "d", packages = { "x" }, repositories = { repository { url = "https://127.0.0.1:%s", suite = "s" } } }\n' \
		"$HPORT" > "$W/down/build.lua"
	(cd "$W/down" && SSL_CERT_FILE=$W/tls.crt "$IMAGEGEN" build.lua > down.out 2>&1)
	contains "https redirected to http: the TLS request was made" "$W/down.log" "GET /dists/s/InRelease"
	contains "https redirected to http: refused" "$W/down/down.out" "redirected from https down to plain http"
	same "https redirected to http: nothing went to plain http" "" "$(cat "$W/else.log")"
else
	skip "https downgrade: openssl is not installed"
fi

# 2. a Bearer realm on another host over plain http gets no credentials
: > "$W/else.log"
: > "$W/realm.log"
hostile realm-elsewhere "$W/realm.log" "$ELSE"
mkauth "$HPORT"
"$IMAGEGEN" push "$LAYOUT" "127.0.0.1:$HPORT/r:1" > realm.out 2>&1
status=$?
check "realm elsewhere: the push fails" test $status -ne 0
same "realm elsewhere: one line" 1 "$(wc -l < realm.out)"
contains "realm elsewhere: naming the realm and why" realm.out "token realm http://$ELSE/token is plain http on another host"
same "realm elsewhere: the realm got no credentials" "" "$(grep -v ' -$' "$W/else.log")"

# 3. a token with CR LF does not become a header
: > "$W/crlf.log"
hostile crlf-token "$W/crlf.log"
"$IMAGEGEN" push "$LAYOUT" "127.0.0.1:$HPORT/r:1" > crlf.out 2>&1
check "CR LF token: the push fails" test $? -ne 0
contains "CR LF token: saying why" crlf.out "gave a token with control characters"
same "CR LF token: no header was injected" "" "$(grep INJECTED "$W/crlf.log")"
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$HPORT" "$(printf 'user:sec\r\nX-Injected: 1' | base64)" > "$W/auth.json"
"$IMAGEGEN" push "$LAYOUT" "127.0.0.1:$HPORT/r:1" > crlf2.out 2>&1
contains "CR LF credentials: refused" crlf2.out "have control characters"

# 5, 6, 8. endless, trickling, silent servers and malformed manifests
export IMAGEGEN_HTTP_STALL=2 IMAGEGEN_HTTP_TIMEOUT=20
for mode in endless trickle silent noconfig badsize; do
	: > "$W/$mode.log"
	hostile "$mode" "$W/$mode.log"
	eval "P_$mode=$HPORT"
done
digest=$(sed -n 's/^DIGEST //p' "$W/noconfig.log")
start=$(date +%s)
"$IMAGEGEN" base pull "127.0.0.1:$P_endless/r@$digest" linux/amd64 "$W/base.json" "$W/store" > endless.out 2>&1
check "endless manifest: refused" test $? -ne 0
contains "endless manifest: larger than the cap" endless.out "larger than 4194304 bytes"
"$IMAGEGEN" base pull "127.0.0.1:$P_trickle/r@$digest" linux/amd64 "$W/base.json" "$W/store" > trickle.out 2>&1
check "trickle: refused" test $? -ne 0
contains "trickle: naming the limits" trickle.out "IMAGEGEN_HTTP_STALL=2"
"$IMAGEGEN" base pull "127.0.0.1:$P_silent/r@$digest" linux/amd64 "$W/base.json" "$W/store" > silent.out 2>&1
check "silent: refused" test $? -ne 0
took=$(( $(date +%s) - start ))
check "endless, trickle and silent took under 20 s together ($took s)" test "$took" -lt 20
"$IMAGEGEN" base pull "127.0.0.1:$P_noconfig/r@$digest" linux/amd64 "$W/base.json" "$W/store" > noconfig.out 2>&1
same "no config: an error, not a crash (exit 1)" 1 "$?"
contains "no config: saying so" noconfig.out "the manifest's config is not a descriptor object"
digest=$(sed -n 's/^DIGEST //p' "$W/badsize.log")
"$IMAGEGEN" base pull "127.0.0.1:$P_badsize/r@$digest" linux/amd64 "$W/base.json" "$W/store" > badsize.out 2>&1
contains "size -5: refused" badsize.out "has no size"
unset IMAGEGEN_HTTP_STALL IMAGEGEN_HTTP_TIMEOUT

# 8. a layout whose manifest lacks config, pushed: an error, not a crash
rm -rf "$W/bad" && cp -R "$LAYOUT" "$W/bad"
mdigest=$(jget "$W/bad/index.json" "j['manifests'][0]['digest']")
python3 - "$W/bad" "$mdigest" <<'EOF'
import hashlib, json, os, sys
d, digest = sys.argv[1], sys.argv[2]
m = json.load(open(f"{d}/blobs/sha256/{digest[7:]}"))
del m["config"]
b = json.dumps(m).encode()
h = hashlib.sha256(b).hexdigest()
open(f"{d}/blobs/sha256/{h}", "wb").write(b)
i = json.load(open(f"{d}/index.json"))
i["manifests"][0]["digest"] = "sha256:" + h
i["manifests"][0]["size"] = len(b)
json.dump(i, open(f"{d}/index.json", "w"))
EOF
"$IMAGEGEN" push "$W/bad" "127.0.0.1:$P_noconfig/r:1" > pushbad.out 2>&1
same "push of a manifest without config: exit 1" 1 "$?"
contains "push of a manifest without config: saying so" pushbad.out "config is not a descriptor object"

# 5, 8. layout bases: sizes, media types and diff_ids as they are, blobs that are not files
# mutate NAME PYTHON: $W/NAME, a copy of the layout with PYTHON run on m (manifest) and c (config)
mutate() {
	rm -rf "$W/$1" && cp -R "$LAYOUT" "$W/$1"
	python3 - "$W/$1" "$2" <<'EOF'
import hashlib, json, sys
d, code = sys.argv[1], sys.argv[2]
i = json.load(open(f"{d}/index.json"))
mdesc = i["manifests"][0]
m = json.load(open(f"{d}/blobs/sha256/{mdesc['digest'][7:]}"))
c = json.load(open(f"{d}/blobs/sha256/{m['config']['digest'][7:]}"))
exec(code)
def put(doc):
    b = json.dumps(doc).encode()
    h = "sha256:" + hashlib.sha256(b).hexdigest()
    open(f"{d}/blobs/sha256/{h[7:]}", "wb").write(b)
    return h, len(b)
m["config"]["digest"], m["config"]["size"] = put(c)
mdesc["digest"], mdesc["size"] = put(m)
json.dump(i, open(f"{d}/index.json", "w"))
EOF
}
mutate size "m['layers'][0]['size'] = -5"
mutate bigsize "m['layers'][0]['size'] = 'big'"
mutate html "m['layers'][0]['mediaType'] = 'text/html'"
mutate diffid "c['rootfs']['diff_ids'] = [12345]"
for t in size:"has no size" bigsize:"has no size" html:"media type 'text/html'" diffid:"diff_ids[0] is not a sha256 digest"; do
	name=${t%%:*}
	"$IMAGEGEN" base oci "$W/$name" latest linux/amd64 "$W/$name.json" "$W/store2" > "$name.out" 2>&1
	same "layout base with $name: exit 1" 1 "$?"
	contains "layout base with $name: saying so" "$name.out" "${t#*:}"
done
rm -rf "$W/zero" && cp -R "$LAYOUT" "$W/zero"
layer=$(python3 -c "import json,sys; i=json.load(open(sys.argv[1]+'/index.json')); m=json.load(open(sys.argv[1]+'/blobs/sha256/'+i['manifests'][0]['digest'][7:])); print(m['layers'][0]['digest'][7:])" "$W/zero")
rm -f "$W/zero/blobs/sha256/$layer" "$W/store3/sha256/$layer"
ln -s /dev/zero "$W/zero/blobs/sha256/$layer"
timeout 20 "$IMAGEGEN" base oci "$W/zero" latest linux/amd64 "$W/zero.json" "$W/store3" > zero.out 2>&1
same "a blob that is a symlink to /dev/zero: exit 1, at once" 1 "$?"
contains "a blob that is a symlink to /dev/zero: refused" zero.out "blob $W/zero/blobs/sha256/$layer:"
rm -f "$W/zero/blobs/sha256/$layer"
mkfifo "$W/zero/blobs/sha256/$layer"
timeout 20 "$IMAGEGEN" base oci "$W/zero" latest linux/amd64 "$W/zero.json" "$W/store3" > fifo.out 2>&1
same "a blob that is a FIFO: exit 1, at once" 1 "$?"
contains "a blob that is a FIFO: not a regular file" fifo.out "is not a regular file"

# 15. docker-archive bases: no message carries (null)
mkdir -p "$W/arch"
(cd "$W/arch" && printf '[{"Config":"c.json","Layers":[7]}]' > manifest.json && echo '{}' > c.json && tar cf ../a1.tar manifest.json c.json)
(cd "$W/arch" && printf '[{"Layers":["x"]}]' > manifest.json && tar cf ../a2.tar manifest.json)
(cd "$W/arch" && printf '{"Config":1}' > manifest.json && tar cf ../a3.tar manifest.json)
for a in a1 a2 a3; do
	"$IMAGEGEN" base archive "$W/$a.tar" linux/amd64 "$W/$a.json" "$W/store4" > "$a.out" 2>&1
	check "docker-archive $a: exit 1 and no (null)" sh -c "test \$(wc -l < $a.out) -eq 1 && ! grep -q '(null)' $a.out"
done

# 7. definitions that loop, eat memory or read a FIFO
mkdir -p "$W/def"
cd "$W/def" || exit 1
printf 'local n = 0\nwhile true do n = n + 1 end\n' > loop.lua
IMAGEGEN_EVAL_SECONDS=1 timeout 30 "$IMAGEGEN" loop.lua > loop.out 2>&1
same "endless loop: exit 1 within the budget" 1 "$?"
contains "endless loop: one line naming the definition" loop.out "imagegen: loop.lua:2: the definitions ran for more than 1 s of CPU"
# the lines after a declaration are followed again (a declaration runs without the line hook)
printf 'image { name = "a" }\nlocal n = 0\nwhile true do n = n + 1 end\n' > after.lua
IMAGEGEN_EVAL_SECONDS=1 timeout 30 "$IMAGEGEN" after.lua > after.out 2>&1
contains "endless loop after a declaration: its line named" after.out "imagegen: after.lua:3: the definitions ran for more than 1 s of CPU"
# a budget larger than the CPU clock counts is no budget, not one already spent
printf 'local n = 0\nfor i = 1, 100000 do n = n + i end\nimage { name = "big" }\n' > big.lua
IMAGEGEN_EVAL_SECONDS=9223372036854775807 timeout 30 "$IMAGEGEN" -o big.ninja big.lua > big.out 2>&1
same "the largest budget: the definitions run" 0 "$?"
printf 'local t = {}\nwhile true do t[#t + 1] = string.rep("x", 1000) .. #t end\n' > bomb.lua
IMAGEGEN_EVAL_MEMORY=64 timeout 60 "$IMAGEGEN" bomb.lua > bomb.out 2>&1
same "memory bomb: exit 1" 1 "$?"
contains "memory bomb: one line naming the definition" bomb.out "imagegen: bomb.lua:2: the definitions used more memory than allowed (IMAGEGEN_EVAL_MEMORY=64 MiB)"
# definitions that fit the budget, and a build from them that does not
# (2,000 images: the definitions take under 6 MiB, the build over 24)
printf 'for i = 1, 2000 do image { name = "m" .. i, files = { { "/i", text(string.rep("x", 100) .. i) } } } end\n' > many.lua
IMAGEGEN_EVAL_MEMORY=6 timeout 60 "$IMAGEGEN" -o many.ninja many.lua > many.out 2>&1
same "a build past the memory budget: exit 1, one line" "1 1" "$? $(wc -l < many.out)"
contains "a build past the memory budget: the line names the budget" many.out \
	"imagegen: generating the build needs more than IMAGEGEN_EVAL_MEMORY=6 MiB; set it higher"
check "a build past the memory budget: no build file" test ! -e many.ninja
# within the default budget it is built (past 16 MiB the arena's chunks are
# faulted in ahead by a thread, and the spec files written by another):
# the same files twice
mkdir many1 many2
(cd many1 && "$IMAGEGEN" ../many.lua > ../many1.out 2>&1)
same "the 2,000 images within the default budget: exit 0" 0 "$?"
(cd many2 && "$IMAGEGEN" ../many.lua > ../many2.out 2>&1)
same "one bundle an image" 2000 "$(ls many1/.imagegen/spec/bundle | wc -l)"
check "and again in another folder: the same build file and specs" diff -r many1/.imagegen/spec many2/.imagegen/spec
check "... the same build.ninja" cmp many1/build.ninja many2/build.ninja
printf 'while true do pcall(function() while true do end end) end\n' > stubborn.lua
IMAGEGEN_EVAL_SECONDS=1 timeout 30 "$IMAGEGEN" stubborn.lua > stubborn.out 2>&1
same "a loop that catches the budget's error: still stopped" 1 "$?"
mkfifo fifo
printf 'image { name = "f", files = { { "/f", text(read "fifo") } } }\n' > fifo.lua
timeout 10 "$IMAGEGEN" fifo.lua > fifo.out 2>&1
same "read of a FIFO: exit 1, no hang" 1 "$?"
contains "read of a FIFO: saying so" fifo.out "fifo.lua:1: read: 'fifo': not a regular file"

# 10. NUL bytes refused where they are declared
printf 'image { name = "n", files = { { "/f", text "a\\0b" } } }\n' > nul1.lua
printf 'image { name = "n", env = { A = "a\\0b" } }\n' > nul2.lua
printf 'image { name = "n", labels = { a = "a\\0b" } }\n' > nul3.lua
printf 'image { name = "n", annotations = { a = "a\\0b" } }\n' > nul4.lua
printf 'image { name = "n", entrypoint = { "/a\\0b" } }\n' > nul5.lua
for i in 1 2 3 4 5; do
	"$IMAGEGEN" nul$i.lua > nul$i.out 2>&1
	check "NUL byte $i: refused at its line" sh -c "grep -q '^imagegen: nul$i.lua:1: .*NUL byte' nul$i.out && test ! -e build.ninja"
done

# 11. the sandbox: a patched string library, a changed image, a metatable
printf 'string.sub = function() return "" end\nstring.match = function() return "x" end\nlocal mt = getmetatable("")\nassert(mt == "string", tostring(mt))\nimage { name = "s", files = { { "/f", text(read "../def/loop.lua") } } }\n' > patch.lua
"$IMAGEGEN" patch.lua > patch.out 2>&1
check "patched string functions: the generator does not use them" test -e build.ninja
rm -f build.ninja
printf 'local i = image { name = "ok" }\ni.name = "../../escape"\n' > change.lua
"$IMAGEGEN" change.lua > change.out 2>&1
contains "an image cannot be changed after its declaration" change.out "change.lua:2: imagegen.image: 'name' cannot be set after it is declared"
printf 'local i = image { name = "ok" }\nlocal mt = getmetatable(i)\nassert(type(mt) == "string")\nassert(rawget(i, "name") == nil and i.name == "ok")\nimage { name = "two", base = i }\n' > view.lua
check "definitions see views: read through, metatable hidden" "$IMAGEGEN" view.lua
rm -rf build.ninja .imagegen

# 12. confinement follows symlinks
mkdir -p proj && ln -sfn /etc proj/link
printf 'image { name = "p", files = { { "/f", text(read "link/passwd") } } }\n' > proj/read.lua
printf 'listdir "link"\nimage { name = "p" }\n' > proj/list.lua
printf 'include "link"\nimage { name = "p" }\n' > proj/inc.lua
for d in read list inc; do
	(cd proj && "$IMAGEGEN" $d.lua > ../$d.out 2>&1)
	contains "a symlink out of the project: $d refused" $d.out "is outside the project folder"
done

# 9. a package named '..' in a signed index; a lock whose sha256 climbs out
if have dpkg-deb && have apt-ftparchive && have gpg; then
	export REPO="$W/repo" GNUPGHOME="$W/gnupg"
	ARCH=$(dpkg --print-architecture)
	mkdir -p "$REPO" && mkdir -m 700 "$GNUPGHOME"
	. "$TOP/tests/debrepo.sh"
	mkkey "imagegen tests" tests@example.invalid "$W/test.gpg"
	mkpkg good 1.0 "$ARCH" ""
	mkindex stable
	(cd "$REPO" && exec python3 -m http.server --bind 127.0.0.1 0) > "$W/http.log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	URL=http://127.0.0.1:$(listenport "$pid")
	mkdir -p "$W/deb/src" "$W/deb/b"
	cat > "$W/deb/src/build.lua" <<EOF
image { name = "d", packages = { "good" },
  repositories = { repository { url = "$URL", suite = "stable", keyring = "$W/test.gpg" } } }
EOF
	cd "$W/deb/b" || exit 1
	check "a good repository resolves" "$IMAGEGEN" ../src/build.lua
	cp ../src/imagegen.lock good.lock
	# the lock says the .deb's sha256 is ../../victim
	touch "$W/victim.deb"
	sed 's/"sha256":"[0-9a-f]*"/"sha256":"..\/..\/victim"/' good.lock > ../src/imagegen.lock
	"$IMAGEGEN" ../src/build.lua > lock.out 2>&1
	same "a lock with sha256 ../../victim: exit 1" 1 "$?"
	contains "a lock with sha256 ../../victim: refused" lock.out "is not a sha256"
	check "a lock with sha256 ../../victim: nothing outside the cache removed" test -e "$W/victim.deb"
	"$IMAGEGEN" fetch "$URL/x.deb" ../../victim 1 "$W/cache/deb/x.deb" > fetch.out 2>&1
	check "fetch with sha256 ../../victim: refused" grep -q "is not a sha256 and a size" fetch.out
	# the index names a package '..'
	sed -i 's/^Package: good$/Package: ../' "$REPO/dists/stable/main/binary-$ARCH/Packages"
	rm -f "$REPO/dists/stable/main/binary-$ARCH/Packages.xz" "$REPO/dists/stable/main/binary-$ARCH/Packages.gz"
	xz -k "$REPO/dists/stable/main/binary-$ARCH/Packages"
	resign() {
		dist=$REPO/dists/stable
		(cd "$dist" && apt-ftparchive -o APT::FTPArchive::Release::Suite="${2:-stable}" \
			-o APT::FTPArchive::Release::Codename="${2:-stable}" \
			-o APT::FTPArchive::Release::Architectures="$ARCH" \
			-o APT::FTPArchive::Release::Components=main release . > Release.new && mv Release.new Release)
		[ -z "$1" ] || sed -i "1a Valid-Until: $1" "$dist/Release"
		rm -f "$dist/InRelease" "$dist/Release.gpg"
		gpg --batch --quiet --yes --pinentry-mode loopback --passphrase '' --default-key tests@example.invalid \
			--clearsign -o "$dist/InRelease" "$dist/Release"
	}
	resign ""
	sed -i 's/"good"/"good", "app"/' ../src/build.lua
	rm -f ../src/imagegen.lock
	"$IMAGEGEN" ../src/build.lua > dotdot.out 2>&1
	same "a package named '..': exit 1" 1 "$?"
	contains "a package named '..': refused" dotdot.out "names a package '..', not a Debian package name"
	# 4. an expired Release, and one for another suite
	resign "Sat, 01 Jan 2000 00:00:00 UTC"
	"$IMAGEGEN" ../src/build.lua > expired.out 2>&1
	contains "an expired Release: refused, with the date" expired.out "the Release expired: Valid-Until Sat, 01 Jan 2000 00:00:00 UTC"
	resign "" oldstable
	"$IMAGEGEN" ../src/build.lua > suite.out 2>&1
	contains "a Release for another suite: refused" suite.out "the Release is for suite 'oldstable' (codename 'oldstable'), not 'stable'"
else
	skip "repository checks: dpkg-dev, apt-utils or gnupg missing"
fi

# 13. a killed writer's temporaries are removed by the next
cd "$W/img/b" || exit 1
sh -c 'exit 0' &
dead=$!
wait $dead
mkdir -p .imagegen/blobs/tmp
head -c 100000 /dev/zero > ".imagegen/blobs/tmp/$dead.abcdef"
echo y > ../src/more && printf 'image { name = "x", files = { { "/f", text "x\\n" }, { "/g", "more" } } }\n' > ../src/build.lua
ninja > /dev/null 2>&1
check "a dead writer's temporary is removed" test ! -e ".imagegen/blobs/tmp/$dead.abcdef"

# 14. a full disk says so, and names the layer
if unshare -m true 2>/dev/null; then
	head -c 3000000 /dev/urandom > ../src/big
	printf 'image { name = "x", files = { { "/big", "big" } } }\n' > ../src/build.lua
	"$IMAGEGEN" ../src/build.lua > /dev/null
	unshare -m sh -c 'mount -t tmpfs -o size=1m tmpfs .imagegen/blobs && ninja' > full.out 2>&1
	contains "a full disk: No space left on device, naming the layer" full.out "x/files: write layer"
	contains "a full disk: the reason" full.out "No space left on device"
	check "a full disk: no (null)" sh -c "! grep -q '(null)' full.out"
else
	skip "full disk: unshare -m is not allowed here"
fi
