# The rooms of plugin/ (docs/architecture.md): every include goes to the
# file's own room or one below it, and no module includes itself around.
. "$TOP/tests/lib.sh"

workdir rooms
check "rooms: every include follows docs/architecture.md, no cycle" python3 "$TOP/tests/rooms.py" "$TOP"

# the check itself fails on an include of a higher room, naming file and line
mkdir -p "$W/tree/docs"
cp -R "$TOP/plugin" "$W/tree/plugin"
cp "$TOP/docs/architecture.md" "$W/tree/docs/"
printf '#include "cache/cache.h"\n' >> "$W/tree/plugin/layer/sink.c"
python3 "$TOP/tests/rooms.py" "$W/tree" > "$W/up.out" 2>&1
same "rooms: an include of a higher room fails" 1 $?
n=$(wc -l < "$TOP/plugin/layer/sink.c")
contains "rooms: the failure names the file, the line and the rooms" "$W/up.out" \
	"plugin/layer/sink.c:$((n + 1)): #include \"cache/cache.h\": room layer may not include room cache"

# and on a cycle within a room
cp "$TOP/plugin/layer/sink.c" "$W/tree/plugin/layer/sink.c"
printf '#include "layer/layer.h"\n' >> "$W/tree/plugin/layer/sink.c"
printf '#include "layer/sink.h"\n' >> "$W/tree/plugin/layer/layer.h"
python3 "$TOP/tests/rooms.py" "$W/tree" > "$W/cycle.out" 2>&1
same "rooms: an include cycle fails" 1 $?
contains "rooms: the failure names the cycle" "$W/cycle.out" "include cycle of layer, sink"

# the tests run images by name, never as "podman run oci:PATH": podman names
# such an image after the path, which may not hold capital letters (a clone
# under /home/Alice fails: issue 31)
grep -n -E '(pm|podman) +run[^|;&]*["[:space:]]oci:' "$TOP"/tests/*.sh | grep -v '^[^:]*/t-rooms.sh:' > "$W/ocirun.out"
same "tests: no podman run of oci:PATH" "" "$(cat "$W/ocirun.out")"
