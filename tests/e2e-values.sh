# Values that generation accepts work in podman: an image named with a
# capital letter whose repository is its tag's, a name that is its own
# repository (dots, dashes, underscores), a host:port repository; cmd as
# sh "...", env of whole numbers, a user that is an account of the base.
# Each docker-archive is loaded by podman and run by the name it loads as.
. "$TOP/tests/lib.sh"

workdir values-e2e
mkdir -p "$W/src" "$W/b"
cp /bin/busybox "$W/src/busybox" 2>/dev/null || cp /usr/bin/busybox "$W/src/busybox"
printf 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/:/bin/sh\n' > "$W/src/passwd"
printf 'root:x:0:\nwww:x:33:\n' > "$W/src/group"
cat > "$W/src/build.lua" <<'EOF'
image {
  name = "bb", tag = "bb-base:1",
  files = { { "/bin/busybox", "busybox" }, { "/bin/sh", symlink "busybox" }, { "/bin/id", symlink "busybox" },
    { "/etc/passwd", "passwd" }, { "/etc/group", "group" } },
}
image {
  name = "Web", tag = "web-app:v1", base = "bb", user = "www",
  env = { PORT = 3000 },
  cmd = sh 'echo "port $PORT user $(id -un)"',
}
image { name = "my.app_x-2", base = "bb", cmd = sh "echo my.app_x-2 runs" }
image { name = "far", tag = "localhost:5000/team/far__x:1.0_rc-1", base = "bb", cmd = { "/bin/busybox", "echo", "far runs" } }
EOF
cd "$W/b" || exit 1
check "imagegen accepts the names and values" "$IMAGEGEN" ../src/build.lua
check "ninja builds the images and their archives" ninja Web my.app_x-2 far out/Web.tar out/my.app_x-2.tar out/far.tar
same "Web: RepoTags is its tag's repository" '["web-app:v1"]' \
	"$(tar -xOf out/Web.tar manifest.json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0]["RepoTags"]))')"

if pmsetup; then
	atexit pmdone
	for t in Web:localhost/web-app:v1 my.app_x-2:localhost/my.app_x-2:latest far:localhost:5000/team/far__x:1.0_rc-1; do
		name=${t%%:*}
		ref=${t#*:}
		if pm load -i "out/$name.tar" > "$W/load-$name.out" 2>&1; then
			ok "$name: podman loads the archive"
		else
			fail "$name: podman loads the archive"
			sed 's/^/    /' "$W/load-$name.out"
		fi
		contains "$name: podman names it $ref" "$W/load-$name.out" "$ref"
		pm run --rm "$ref" > "$W/run-$name.out" 2>&1
		case $name in
		Web) same "Web: podman runs it by name: sh, env and user as declared" "port 3000 user www" "$(cat "$W/run-$name.out")" ;;
		*) same "$name: podman runs it by name" "$name runs" "$(cat "$W/run-$name.out")" ;;
		esac
	done
else
	fail "podman is not installed"
fi
