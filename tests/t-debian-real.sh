# Debian packages, for real: examples/debian resolves nginx-light and its
# dependencies against the machine's own apt sources, and runc runs the
# image; the test asks it for a page over HTTP on 127.0.0.1, inside the
# container's own network namespace.
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

# examples/multiarch: busybox from the apt sources for amd64 and arm64 under one tag
if have aarch64-linux-gnu-gcc && have skopeo; then
	rm -rf "$W/ma" && mkdir -p "$W/ma/b" && cp -R "$TOP/examples/hello" "$TOP/examples/multiarch" "$W/ma/"
	rm -f "$W/ma/multiarch/imagegen.lock"
	cd "$W/ma/b" || exit 1
	check "multiarch: the example builds (hello cross-compiled, busybox per architecture)" \
		sh -c "'$IMAGEGEN' ../multiarch/build.lua 2> gen.log && ninja > ninja.log 2>&1"
	same "multiarch: the lock holds busybox for amd64 and arm64" "amd64 arm64" \
		"$(jget ../multiarch/imagegen.lock "' '.join(j['images'][k]['architecture'] for k in sorted(j['images']))")"
	checkvalid "multiarch: oci-validate busybox" --epoch 0 out/busybox
	rm -rf "$W/ma/arm" "$W/ma/arm.layout"
	if skopeo copy --override-arch arm64 oci:out/busybox:latest "oci:$W/ma/arm.layout:latest" > /dev/null 2>&1 &&
	    umoci unpack --image "$W/ma/arm.layout:latest" "$W/ma/arm" > /dev/null 2>&1 && have qemu-aarch64-static; then
		# binfmt_misc is not set up here: qemu runs the arm64 busybox directly
		same "multiarch: the arm64 busybox runs under qemu-aarch64-static" "hello from busybox" \
			"$(qemu-aarch64-static "$W/ma/arm/rootfs/bin/busybox" echo hello from busybox 2>&1)"
	else
		fail "multiarch: the arm64 busybox could not be unpacked and run"
	fi
else
	skip "multiarch: gcc-aarch64-linux-gnu or skopeo missing"
fi
