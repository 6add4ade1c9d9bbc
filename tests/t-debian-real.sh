# Debian packages, for real: examples/debian resolves nginx-light and its
# dependencies against the machine's own apt sources, and runc runs the
# image; the test asks it for a page over HTTP on 127.0.0.1, inside the
# container's own network namespace; and its report page in headless Chromium.
. "$TOP/tests/lib.sh"

workdir debian-real
export IMAGEGEN_CACHE="$W/cache"
cp -R "$TOP/examples/debian" "$W/src"
rm -f "$W/src/imagegen.lock"
mkdir "$W/b" && cd "$W/b" || exit 1
check "nginx: imagegen lock against the machine's apt sources" "$IMAGEGEN" lock ../src/build.lua
for p in nginx-light nginx nginx-common libc6 libssl3 libpcre2-8-0 zlib1g; do
	check "nginx: the lock has $p" grep -q "\"name\":\"$p\"" ../src/imagegen.lock
done
check "nginx: no essential package (dpkg, perl-base) came along" \
	sh -c "! grep -q -E '\"name\":\"(dpkg|perl-base|coreutils)\"' ../src/imagegen.lock"
check "nginx: the build fetches and lays out the packages" sh -c "'$IMAGEGEN' --locked ../src/build.lua && ninja > ninja.log 2>&1"
checkvalid "nginx: oci-validate --epoch 0" --epoch 0 out/nginx

# the same lock in a second folder: the same image, and nothing fetched
mkdir "$W/b2" && cd "$W/b2" || exit 1
"$IMAGEGEN" --locked ../src/build.lua && ninja > ninja.log 2>&1
same "nginx: a second folder builds the same image from the lock" "$(cat "$W/b/out/nginx/index.json")" "$(cat out/nginx/index.json)"
same "nginx: and fetches nothing" 0 "$(count ninja.log FETCH)"

cd "$W/b" || exit 1
rm -rf bundle
check "nginx: umoci unpacks it" umoci unpack --image out/nginx:1 bundle
check "nginx: dpkg-query lists nginx-light as installed" \
	sh -c "dpkg-query --admindir=bundle/rootfs/var/lib/dpkg -W -f '\${Status}' nginx-light | grep -q 'install ok installed'"
# runc as a container engine would: a network namespace of the container's own
# (nginx listens on 8080 there, whatever the host has on it) and the usual
# capabilities for a server that drops to www-data
python3 - <<'PY'
import json
c = json.load(open("bundle/config.json"))
c["process"]["terminal"] = False
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID",
        "CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_AUDIT_WRITE"]
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] = caps
json.dump(c, open("bundle/config.json", "w"))
PY
id=imagegen-test-$$-nginx
(cd bundle && timeout 60 runc run -d "$id" > ../runc.log 2>&1 < /dev/null)
# nginx's PID on the host: wait until it listens, then ask it in its namespace
pid=$(runc state "$id" 2>> runc.log | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>> runc.log)
page=
if [ -n "$pid" ] && port=$(listenport "$pid" 2>> runc.log); then
	page=$(nsenter -t "$pid" -n curl -s -m 10 "http://127.0.0.1:$port/" 2>> runc.log)
fi
# delete -f kills the container and waits until it is gone
timeout 30 runc delete -f "$id" 2>/dev/null
case $page in
*"hello from nginx in an imagegen image"*) ok "nginx: runc runs it and it serves the page over HTTP" ;;
*) fail "nginx: no page from the container: $(cat runc.log)" ;;
esac

# its report page in headless Chromium: the size map, /usr, every package of the lock, nothing fetched
cd "$W/b" || exit 1
check "nginx: ninja out/nginx.html writes its report page" sh -c "ninja out/nginx.html > report.log 2>&1"
if have chromium; then
	timeout 120 python3 "$TOP/tests/chromium.py" out/nginx.html "$W/nginx.png" > "$W/nginx.seen" 2> "$W/nginx.err" ||
		fail "nginx: Chromium: $(tail -n 3 "$W/nginx.err")"
	check "nginx page: a screenshot" sh -c "head -c 8 '$W/nginx.png' | grep -q PNG"
	check "nginx page: a rectangle per top-level folder" python3 "$TOP/tests/pagecheck.py" out/nginx.html "$W/nginx.seen" toplevel
	check "nginx page: a click on /usr shows its children" python3 "$TOP/tests/pagecheck.py" out/nginx.html "$W/nginx.seen" usr
	check "nginx page: the package table lists every package of the lock" \
		python3 "$TOP/tests/pagecheck.py" out/nginx.html "$W/nginx.seen" packages ../src/imagegen.lock nginx
	check "nginx page: nothing fetched, no script error" python3 "$TOP/tests/pagecheck.py" out/nginx.html "$W/nginx.seen" quiet
else
	fail "nginx page: chromium is not installed (apt-get install chromium)"
fi
check "nginx page: every package is there because nginx-light is" python3 "$TOP/tests/pagecheck.py" out/nginx.html - data \
	'all(p["why"][0] == "nginx-light" for p in d["platforms"][0]["packages"])'
