#!/bin/sh
# bench.sh: imagegen beside the tools a user would use instead, on the same
# trees, in one run. `make bench` runs it; it asserts nothing, it reports.
#
#   layer (100 MB, 2,000 files, half random, half text): imagegen (gzip, zstd)
#     against tar --sort=name | gzip -n, | pigz -n, | zstd -3, umoci repack,
#     buildah commit, where installed: median seconds of RUNS runs, ratio to
#     imagegen's gzip, peak RSS
#   1 GB layer: imagegen's time and peak RSS
#   full build (100 MB, the same tree): the whole `imagegen && ninja` of an
#     image of it (layer, image, SBOM, layout), with and without its SBOM,
#     beside tar | gzip -n, | pigz -n and | zstd -3 -T0, runs alternating;
#     and the SBOM edge's CPU beside the layer edge's (their commands from
#     build.ninja)
#   monorepos of 100 and 1,000 images (shared bases, 5 layers each):
#     generation from scratch and again with nothing changed, full build,
#     no-op ninja, and what a one-file and a one-definition change rerun and
#     rewrite; generation alone for 10,000 images; no-op ninja again with
#     every file of the 100 in a folder of an awkward name; and issue 28's
#     regeneration figures beside their bars (the generation alone after one
#     definition changed at 1,000 images, from scratch and with nothing
#     changed at 10,000)
#   start-up: the CPU time of `imagegen --version` and of one 1 KB layer
#     edge, beside a bare C program and tar | gzip -n of the same file
#   layer edge: the CPU time and page faults of a 1 KB layer edge with
#     imagegen's tar writer and with libarchive's, and of imagegen --version,
#     beside a bare C program that writes the file, all taking turns; the
#     shared libraries each loads
#   resolver: `imagegen lock` of an image whose closure is 10,000 packages,
#     from a synthetic signed repository of 12,000 (made here), beside
#     apt-get --simulate install of the same package from the same index
#   examples/debian (nginx-light) from the machine's apt sources: a cold build
#     (no download cache) and a warm one (downloads and layers cached, a new
#     build folder), beside mmdebstrap --variant=extract of the same packages;
#     the ratio cold / mmdebstrap, and the connections to the mirror and
#     name lookups of one more cold build (strace)
#   cache: a cold machine's build and push of the monorepo and examples/debian
#     with and without a warm build cache, as ratios (tests/bench-cache.sh)
#   step: what a step in an image of Debian's essential packages (from the
#     machine's apt sources) costs beyond its command, its root file system
#     unpacked already: imagegen step of a step that writes one file in a
#     folder, beside its command alone and bwrap alone
#
# Environment: RUNS (default 5), BENCH_DIR (default tests/work/bench),
# PARTS (default "layer big full mono startup layeredge resolver debian cache step"), BIG=0 to skip
# the 1 GB tree, SCALE=0 to keep the monorepo part to 100 images.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
IMAGEGEN=$top/imagegen
RUNS=${RUNS:-5}
B=${BENCH_DIR:-$top/tests/work/bench}
export SOURCE_DATE_EPOCH=0 LC_ALL=C.UTF-8
mkdir -p "$B"
cd "$B" || exit 1
have() { command -v "$1" >/dev/null 2>&1; }

# tree DIR FILES BYTES: FILES files of BYTES each, half random, half text (seeded)
tree() {
	[ -f "$1.done" ] && return 0
	rm -rf "$1"
	python3 - "$1" "$2" "$3" <<'PY'
import os, random, sys
root, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(5000)]
for i in range(n):
    d = os.path.join(root, "d%02d" % (i % 40))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        if i % 2:
            f.write(rng.randbytes(size))
        else:
            out, have = [], 0
            while have < size:
                w = rng.choice(words)
                out.append(w)
                have += len(w) + 1
            f.write(b" ".join(out)[:size])
PY
	touch "$1.done"
}

# measure NAME COMMAND: RUNS runs; appends "NAME median-seconds peak-kB" to results
measure() {
	name=$1
	shift
	: > times
	i=0
	while [ $i -lt "$RUNS" ]; do
		sh -c "$PRE" > /dev/null 2>&1
		/usr/bin/time -f "%e %M" -o one sh -c "$*" > /dev/null 2> err || {
			echo "  $name failed: $(tail -n 2 err)" >&2
			return
		}
		cat one >> times
		i=$((i + 1))
	done
	python3 - "$name" >> results <<'PY'
import statistics, sys
rows = [l.split() for l in open("times") if l.strip()]
print(sys.argv[1], statistics.median(float(r[0]) for r in rows), max(int(r[1]) for r in rows))
PY
}

# runs N PRE COMMAND...: run COMMAND N times (after PRE each time, not
# counted) and print the median wall seconds and the median CPU seconds it
# and its children took, user and system
runs() {
	python3 - "$@" <<'PY'
import os, resource, statistics, subprocess, sys, time
n, pre, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
walls, cpus = [], []
for _ in range(n):
    if pre:
        subprocess.run(pre, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    walls.append(time.perf_counter() - s)
    cpus.append(ru.ru_utime + ru.ru_stime)
    if status != 0:
        sys.exit("failed: %s" % " ".join(cmd))
print("%.6f %.6f" % (statistics.median(walls), statistics.median(cpus)))
PY
}

# table BASE [TITLE]: the results, each as a ratio to BASE's time
table() {
	python3 - "$1" "${2:-x imagegen}" <<'PY'
import sys
rows = [l.split() for l in open("results") if l.strip()]
base = {r[0]: float(r[1]) for r in rows}.get(sys.argv[1])
print("| tool | median s | %s | peak RSS MB |" % sys.argv[2])
print("|---|---:|---:|---:|")
for name, secs, kb in rows:
    ratio = float(secs) / base if base else float("nan")
    print("| %s | %.2f | %.2f | %.0f |" % (name.replace("_", " ").replace("|", "\\|"), float(secs), ratio, int(kb) / 1024))
PY
}

PARTS=${PARTS:-layer big full mono startup layeredge resolver debian cache step}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

echo "# imagegen benchmark: $(uname -m), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1 /proc/loadavg)"
echo
if part layer; then
tree tree100 2000 52428
TAR="tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf - -C tree100 ."
printf '{"name":"bench","epoch":0,"compression":"%s","level":%d,"entries":[{"ctx":"bench","path":"data","type":"tree","src":"tree100","srcname":"tree100","uid":0,"gid":0}]}\n' gzip 6 > gzip.json
sed 's/"gzip","level":6/"zstd","level":3/' gzip.json > zstd.json
: > results
PRE="rm -rf store"
measure imagegen_gzip "$IMAGEGEN layer gzip.json gzip.desc gzip.d store"
measure imagegen_zstd "$IMAGEGEN layer zstd.json zstd.desc zstd.d store"
measure "tar_|_gzip_-n" "$TAR | gzip -n -6 > out.tgz"
have pigz && measure "tar_|_pigz_-n" "$TAR | pigz -n -6 > out.tgz"
have zstd && measure "tar_|_zstd_-3" "$TAR | zstd -q -3 > out.tzst"
if have umoci; then
	rm -rf repack && mkdir -p repack
	umoci init --layout repack/layout > /dev/null 2>&1 && umoci new --image repack/layout:base > /dev/null 2>&1 &&
	umoci unpack --image repack/layout:base repack/bundle > /dev/null 2>&1 && cp -R tree100 repack/bundle/rootfs/data
	PRE="rm -rf repack/layout2 && cp -R repack/layout repack/layout2"
	measure umoci_repack "umoci repack --image repack/layout2:new repack/bundle"
	PRE=""
fi
if have buildah; then
	mkdir -p bstore brun
	printf '[storage]\ndriver = "vfs"\ngraphroot = "%s/bstore"\nrunroot = "%s/brun"\n' "$B" "$B" > storage.conf
	export CONTAINERS_STORAGE_CONF=$B/storage.conf CONTAINERS_CONF=$top/tests/containers/containers.conf
	ctr=$(buildah from scratch 2>/dev/null) && buildah copy "$ctr" tree100 /data > /dev/null 2>&1 &&
		measure buildah_commit "buildah commit --disable-compression=false $ctr bench-image && buildah rmi bench-image"
	[ -n "${ctr:-}" ] && buildah rm "$ctr" > /dev/null 2>&1
	unset CONTAINERS_STORAGE_CONF CONTAINERS_CONF
fi
echo "## One layer: 100 MB in 2,000 files (half random, half text), $RUNS runs"
echo
table imagegen_gzip
echo
same1=$(cat gzip.desc)
IMAGEGEN_THREADS=1 "$IMAGEGEN" layer gzip.json gzip.desc gzip.d store
[ "$same1" = "$(cat gzip.desc)" ] && echo "1 thread and $(nproc) threads wrote the same gzip layer." && echo
fi

if part big && [ "${BIG:-1}" != 0 ]; then
	tree tree1g 1024 1048576
	sed 's/tree100/tree1g/g' gzip.json > big.json
	: > results
	PRE="rm -rf store"
	RUNS=1 measure imagegen_gzip_1GB "$IMAGEGEN layer big.json big.desc big.d store"
	echo "## One layer: 1 GB in 1,024 files"
	echo
	table imagegen_gzip_1GB
	echo
fi

# the whole build of an image of the 100 MB tree, beside tar and a compressor
# of the same tree; then what its SBOM edge costs beside its layer edge
if part full; then
fullbuild() {
	tree tree100 2000 52428
	rm -rf full && mkdir -p full/src full/nosbom && ln -s "$B/tree100" full/src/tree100
	printf 'image { name = "bench", files = { { "/data", tree "tree100" } } }\n' > full/src/build.lua
	printf 'image { name = "bench", sbom = false, files = { { "/data", tree "tree100" } } }\n' > full/nosbom/build.lua
	ln -s "$B/tree100" full/nosbom/tree100
	fulltar="tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf - -C tree100/ ."
	# each round runs every command once, in turn: a load that comes and goes falls on them all
	python3 - "$RUNS" "$IMAGEGEN" "$fulltar" <<'PY'
import os, statistics, subprocess, sys, time
runs, imagegen, tar = int(sys.argv[1]), sys.argv[2], sys.argv[3]
have = lambda t: subprocess.run(["sh", "-c", "command -v " + t], stdout=subprocess.DEVNULL).returncode == 0
cmds = [("imagegen && ninja (layer, image, SBOM, layout)", "rm -rf full/b && mkdir full/b",
         "cd full/b && %s ../src/build.lua && ninja" % imagegen),
        ("the same, sbom = false", "rm -rf full/nb && mkdir full/nb", "cd full/nb && %s ../nosbom/build.lua && ninja" % imagegen),
        ("tar | gzip -n", "", tar + " | gzip -n -6 > full/out.tgz")]
if have("pigz"):
    cmds.append(("tar | pigz -n", "", tar + " | pigz -n -6 > full/out.tgz"))
if have("zstd"):
    cmds.append(("tar | zstd -3 -T0", "", tar + " | zstd -q -3 -T0 > full/out.tzst"))
walls = {c[0]: [] for c in cmds}
cpus = {c[0]: [] for c in cmds}
for _ in range(runs):
    for name, pre, cmd in cmds:
        if pre:
            subprocess.run(pre, shell=True, check=True)
        s = time.perf_counter()
        p = subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        walls[name].append(time.perf_counter() - s)
        cpus[name].append(ru.ru_utime + ru.ru_stime)
        if status != 0:
            sys.exit("failed: " + cmd)
med = {n: statistics.median(walls[n]) for n in walls}
print("## The whole build: an image of 100 MB in 2,000 files, runs alternating, %d runs" % runs)
print()
peers = [n for n in ("tar | pigz -n", "tar | gzip -n", "tar | zstd -3 -T0") if n in med]
print("| command | median wall s | CPU s | %s |" % " | ".join("x " + n.replace("|", "\\|") for n in peers))
print("|---|---:|---:|" + "---:|" * len(peers))
for name, _, _ in cmds:
    print("| %s | %.2f | %.2f | %s |" % (name.replace("|", "\\|"), med[name], statistics.median(cpus[name]),
          " | ".join("%.2f" % (med[name] / med[p]) for p in peers)))
print()
PY
	# the SBOM edge and the layer edge, as build.ninja runs them, in the first build folder
	(cd full/b && ninja -t commands out/bench.spdx.json > ../commands)
	layercmd=$(grep ' layer ' full/commands | head -n 1)
	sbomcmd=$(grep ' sbom ' full/commands | tail -n 1)
	n=$((RUNS * 2))
	set -- $(cd full/b && runs $n "" sh -c "$layercmd"); layercpu=$2 layerwall=$1
	set -- $(cd full/b && runs $n "" sh -c "$sbomcmd"); sbomcpu=$2 sbomwall=$1
	echo "## The SBOM edge beside the layer edge (the same image, their commands from build.ninja, CPU user + system, median of $n runs)"
	echo
	python3 - "$layercpu" "$layerwall" "$sbomcpu" "$sbomwall" <<'PY'
import sys
lc, lw, sc, sw = (float(x) for x in sys.argv[1:])
print("| edge | CPU ms | wall ms | x the layer edge's CPU |")
print("|---|---:|---:|---:|")
print("| layer (the tree: read, tar, gzip, its facts) | %.1f | %.1f | 1.000 |" % (lc * 1000, lw * 1000))
print("| SBOM (from the layer's facts) | %.1f | %.1f | %.3f |" % (sc * 1000, sw * 1000, sc / lc))
PY
	echo
}
fullbuild
fi

# monorepos of N images: base images shared, 5 layers each; in mono-names
# each file is in a folder named with a newline, '$', '[' and 'é', so that
# build.ninja and every depfile name it by its alias
if part mono; then
# monorepo DIR FOLDER N: N services, the first 10 from scratch, each other
# one over one of those
monorepo() {
	[ -f "$1.done" ] && return 0
	aside "$1"
	mkdir -p "$1/src"
	python3 - "$1/src" "$2" "$3" <<'PY'
import os, sys
root, folder, n = sys.argv[1], sys.argv[2].replace("\\n", "\n"), int(sys.argv[3])
name = "svc%%0%dd" % max(3, len(str(n - 1)))
top = []
for i in range(n):
    d = os.path.join(root, name % i)
    os.makedirs(os.path.join(d, folder), exist_ok=True)
    for l in range(5):
        with open(os.path.join(d, folder, "file%d.txt" % l), "w") as f:
            f.write("service %d layer %d\n" % (i, l) * 200)
    base = "scratch" if i < 10 else '"%s"' % (name % (i % 10))
    lua = folder.replace("\n", "\\n")
    layers = ",\n".join('    { name = "l%d", files = { { "/etc/svc/file%d.txt", "%s/file%d.txt" } } }' % (l, l, lua, l) for l in range(5))
    with open(os.path.join(d, "build.lua"), "w") as f:
        f.write('image {\n  name = "%s",\n  base = %s,\n  layers = {\n%s\n  },\n}\n' % (name % i, base, layers))
    top.append('include "%s"' % (name % i))
with open(os.path.join(root, "build.lua"), "w") as f:
    f.write("\n".join(top) + "\n")
PY
	touch "$1.done"
}

# secs WALL: "1.23 s" (3 decimals under a second)
secs() {
	python3 -c 'import sys; v = float(sys.argv[1]); print(("%.3f s" if v < 1 else "%.2f s") % v)' "$1"
}

# aside PATH: moved into trash/, which the end of the part removes. On ext4
# without a journal (this machine's disk) making files is slow for minutes
# after many were deleted, which a user's first generation would not see:
# nothing is deleted while the part measures.
aside() {
	[ -e "$1" ] || return 0
	mkdir -p "$B/trash" && mv "$1" "$(mktemp -d "$B/trash/XXXXXX")/"
}

# generation DIR: generate from scratch (the median of 3 runs, each in a new
# folder) and again with nothing changed in DIR/b (median of 3); sets gen
# and regen
generation() {
	gendir=$1
	aside "$gendir/b"
	mkdir -p "$gendir/b" && cd "$gendir/b" || exit 1
	set -- $(runs 3 sync sh -c 'd=$(mktemp -d ../fresh.XXXXXX) && cd "$d" && exec "$0" ../src/build.lua' "$IMAGEGEN")
	gen=$1
	for d in ../fresh.*; do aside "$d"; done
	"$IMAGEGEN" ../src/build.lua
	set -- $(runs 3 "" "$IMAGEGEN" ../src/build.lua)
	regen=$1
	cd "$B" || exit 1
}

# measuremono DIR N: generation, full build, no-op build, a one-file change
# and a one-definition change; sets gen regen full fullcpu noop change
# changesecs defchange defsecs defspecs
measuremono() {
	dir=$1
	svc=$(python3 -c 'import sys; n = int(sys.argv[1]); print(("svc%%0%dd" % max(3, len(str(n - 1)))) % (n * 57 // 100))' "$2")
	generation "$1"
	cd "$1/b" || exit 1
	set -- $(runs 1 "" sh -c 'ninja > full.log')
	full=$1 fullcpu=$2
	set -- $(runs 5 "" ninja)
	noop=$1
	for f in ../src/$svc/*/file3.txt; do echo "changed" >> "$f"; done
	set -- $(runs 1 "" sh -c 'ninja > change.log')
	changesecs=$1
	change="$(grep -c '^\[' change.log) edges: $(sed 's/^\[[0-9/]*\] //' change.log | tr '\n' ',' | sed 's/,$//;s/,/, /g')"
	sed 's/^  base = .*/&\n  env = { CHANGED = "1" },/' ../src/$svc/build.lua > ../src/$svc/build.lua.new &&
		mv ../src/$svc/build.lua.new ../src/$svc/build.lua
	sleep 1 && touch stamp
	set -- $(runs 1 "" sh -c 'ninja > def.log')
	defsecs=$1
	defchange="$(grep -c '^\[' def.log) edges: $(sed 's/^\[[0-9/]*\] //' def.log | tr '\n' ',' | sed 's/,$//;s/,/, /g')"
	defspecs=$(find .imagegen/spec -newer stamp -type f | wc -l)
	# the generation alone after one definition changed (its env's value, new each run)
	printf '%s\n' 'sed "s/CHANGED = \"[0-9]*\"/CHANGED = \"$(date +%N)\"/" "$1" > "$1.new" && mv "$1.new" "$1"' > ../bump.sh
	set -- $(runs 3 "sh ../bump.sh ../src/$svc/build.lua" "$IMAGEGEN" ../src/build.lua)
	defgen=$1
	cd "$B" || exit 1
	# the sources changed: made again by the next run
	rm -f "$dir.done"
}

monorepo mono-names 'con$f [x]\né' 100
measuremono mono-names 100
noopnames=$noop
for n in 100 1000; do
	[ $n = 1000 ] && [ "${SCALE:-1}" = 0 ] && continue
	monorepo mono$n conf $n
	measuremono mono$n $n
	eval "gen$n=\$gen regen$n=\$regen full$n=\$full fullcpu$n=\$fullcpu noop$n=\$noop"
	eval "edges$n=\$(grep -c '^\[' mono$n/b/full.log) change$n=\"\$change\" changesecs$n=\$changesecs"
	eval "defchange$n=\"\$defchange\" defsecs$n=\$defsecs defspecs$n=\$defspecs specs$n=\$(find mono$n/b/.imagegen/spec -type f | wc -l)"
	eval "defgen$n=\$defgen"
done
if [ "${SCALE:-1}" != 0 ]; then
	monorepo mono10000 conf 10000
	generation mono10000
	gen10000=$gen regen10000=$regen specs10000=$(find mono10000/b/.imagegen/spec -type f | wc -l)
	# the file system's part: copying the spec files alone, with cp
	aside mono10000/copy
	set -- $(runs 1 sync cp -r mono10000/b/.imagegen/spec mono10000/copy)
	copy10000=$1
	aside mono10000/copy
fi
rm -rf "$B/trash"
# per image and per edge, for the table
per() {
	python3 -c 'import sys; print("%.2f ms" % (float(sys.argv[1]) * 1000 / float(sys.argv[2])))' "$1" "$2"
}
echo "## Monorepos: 100 and 1,000 images, 5 layers each, bases shared"
echo
echo "| step | 100 images | 1,000 images | 10,000 images |"
echo "|---|---|---|---|"
if [ "${SCALE:-1}" != 0 ]; then
	echo "| generate build.ninja and the specs, from scratch (median of 3, each in a new folder) | $(secs $gen100) | $(secs $gen1000) ($(per $gen1000 1000) an image) | $(secs $gen10000) ($(per $gen10000 10000) an image) |"
	echo "| generate again, nothing changed (median of 3) | $(secs $regen100) | $(secs $regen1000) | $(secs $regen10000) |"
	echo "| spec files | $specs100 | $specs1000 | $specs10000 |"
	echo "| cp -r of those spec files alone (the file system's share of generating from scratch) | | | $(secs $copy10000) |"
	echo "| full build | $(secs $full100), $edges100 edges | $(secs $full1000), $edges1000 edges, $(per $fullcpu1000 $edges1000) CPU an edge | |"
	echo "| no-op ninja (median of 5) | $(secs $noop100) | $(secs $noop1000) | |"
	echo "| one file changed | $(secs $changesecs100): $change100 | $(secs $changesecs1000): $change1000 | |"
	echo "| one definition changed (an env added) | $(secs $defsecs100): $defchange100; $defspecs100 specs rewritten | $(secs $defsecs1000): $defchange1000; $defspecs1000 specs rewritten | |"
else
	echo "| generate build.ninja and the specs, from scratch | $(secs $gen100) | | |"
	echo "| generate again, nothing changed (median of 3) | $(secs $regen100) | | |"
	echo "| full build | $(secs $full100), $edges100 edges | | |"
	echo "| no-op ninja (median of 5) | $(secs $noop100) | | |"
	echo "| one file changed | $(secs $changesecs100): $change100 | | |"
	echo "| one definition changed (an env added) | $(secs $defsecs100): $defchange100; $defspecs100 specs rewritten | | |"
fi
echo "| no-op ninja, every file in a folder named with a newline, \$, [ and é (median of 5) | $(secs $noopnames) | | |"
echo
# issue 28's three figures of regeneration beside their bars
if [ "${SCALE:-1}" != 0 ]; then
	echo "| regeneration | measured (median of 3) | the bar |"
	echo "|---|---:|---:|"
	echo "| 1,000 images, one definition changed | $(secs $defgen1000) | 0.150 s |"
	echo "| 10,000 images from scratch | $(secs $gen10000) | 5.00 s |"
	echo "| 10,000 images, nothing changed | $(secs $regen10000) | 1.00 s |"
	echo
fi
fi

# start-up: what one helper edge costs in CPU when its work is small
if part startup; then
	mkdir -p small && head -c 1024 /dev/urandom > small/data.bin 2>/dev/null
	printf '{"name":"small","epoch":0,"compression":"gzip","level":6,"entries":[{"ctx":"bench","path":"data.bin","type":"file","src":"small/data.bin","srcname":"small/data.bin","uid":0,"gid":0}]}\n' > small.json
	printf 'int main(void) { return 0; }\n' > bare.c && cc -O2 -o bare bare.c
	n=$((RUNS * 20))
	set -- $(runs $n "" ./bare); bare=$2
	set -- $(runs $n "" "$IMAGEGEN" --version); version=$2
	set -- $(runs $n "rm -rf small.store" "$IMAGEGEN" layer small.json small.desc small.d small.store); layer=$2
	set -- $(runs $n "" sh -c "tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix -cf - -C small . | gzip -n -6 > small.tgz"); targz=$2
	ms() {
		python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) * 1000))' "$1"
	}
	ratio() {
		python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"
	}
	echo "## Start-up: CPU time of one small edge (user + system, median of $n runs)"
	echo
	echo "| command | CPU ms | x imagegen layer |"
	echo "|---|---:|---:|"
	echo "| imagegen layer, one 1 KB file | $(ms $layer) | 1.00 |"
	echo "| imagegen --version | $(ms $version) | $(ratio $version $layer) |"
	echo "| tar \\| gzip -n of the same file | $(ms $targz) | $(ratio $targz $layer) |"
	echo "| a bare C program (int main { return 0; }) | $(ms $bare) | $(ratio $bare $layer) |"
	echo
	echo "Shared libraries loaded: imagegen --version $(LD_DEBUG=files "$IMAGEGEN" --version 2>&1 | grep -c 'calling init'), the layer helper $(LD_DEBUG=files "$IMAGEGEN" layer small.json small.desc small.d small.store 2>&1 | grep -c 'calling init')."
	echo
fi

# layer edge: the CPU time of one layer edge of a 1 KB file with imagegen's
# own tar writer, with libarchive's (IMAGEGEN_TAR=libarchive, which loads
# libarchive and its 19 libraries), and a bare C program that writes the
# same file (read it, write a copy under a temporary name, rename)
layeredge() {
	mkdir -p edge && head -c 1024 /dev/urandom > edge/data.bin 2>/dev/null
	printf '{"name":"edge","epoch":0,"compression":"gzip","level":6,"entries":[{"ctx":"bench","path":"data.bin","type":"file","src":"edge/data.bin","srcname":"edge/data.bin","uid":0,"gid":0}]}\n' > edge.json
	cat > copy.c <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
	char b[4096];
	ssize_t n;
	int in = open("edge/data.bin", O_RDONLY), out = open("edge/copy.tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || out < 0) return 1;
	while ((n = read(in, b, sizeof(b))) > 0)
		if (write(out, b, (size_t)n) != n) return 1;
	return close(out) != 0 || rename("edge/copy.tmp", "edge/copy") != 0;
}
C
	cc -O2 -o copy copy.c || return
	n=$((RUNS * 20))
	# the four take turns, so that a change in the machine's load moves them
	# alike; each figure is the median of n, and so is each ratio to the bare
	# program's run of the same turn
	python3 - "$n" "$IMAGEGEN" <<'PY'
import os, statistics, subprocess, sys
n, ig = int(sys.argv[1]), sys.argv[2]
edge = [ig, "layer", "edge.json", "edge.desc", "edge.d", "edge.store"]
cmds = (("imagegen layer (its own tar writer)", edge, {}),
        ("imagegen layer, IMAGEGEN_TAR=libarchive (libarchive loaded)", edge, {"IMAGEGEN_TAR": "libarchive"}),
        ("imagegen --version", [ig, "--version"], {}),
        ("a bare C program that writes the same file", ["./copy"], {}))
cpu = [[] for _ in cmds]
faults = [[] for _ in cmds]
for _ in range(n):
    for i, (name, cmd, env) in enumerate(cmds):
        subprocess.run(["rm", "-rf", "edge.store"])
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=dict(os.environ, **env))
        _, status, ru = os.wait4(p.pid, 0)
        if status != 0:
            sys.exit("failed: %s" % " ".join(cmd))
        cpu[i].append((ru.ru_utime + ru.ru_stime) * 1000)
        faults[i].append(ru.ru_minflt)
print("## Layer edge: CPU time of a layer of one 1 KB file (user + system, median of %d runs taking turns)" % n)
print()
print("| command | CPU ms | x bare C copy | page faults | beyond the bare program, ms |")
print("|---|---:|---:|---:|---:|")
for i, (name, cmd, env) in enumerate(cmds):
    ratio = statistics.median(a / b for a, b in zip(cpu[i], cpu[-1]) if b > 0)
    beyond = statistics.median(a - b for a, b in zip(cpu[i], cpu[-1]))
    print("| %s | %.2f | %.2f | %d | %.2f |" % (name, statistics.median(cpu[i]), ratio, statistics.median(faults[i]), beyond))
print()
PY
	echo "Shared libraries loaded by the layer edge: $(LD_DEBUG=files "$IMAGEGEN" layer edge.json edge.desc edge.d edge.store 2>&1 | grep -c 'calling init'), with IMAGEGEN_TAR=libarchive $(rm -rf edge.store; IMAGEGEN_TAR=libarchive LD_DEBUG=files "$IMAGEGEN" layer edge.json edge.desc edge.d edge.store 2>&1 | grep -c 'calling init')."
	echo
}
if part layeredge; then
	layeredge
fi

# the resolver: a synthetic signed repository of 12,000 packages, 10,000 of
# them in the closure of one, with versions, alternatives, virtual packages
# and Breaks; imagegen lock beside apt-get --simulate install
if part resolver && have gpg && have apt-get; then
	R=$B/resolver
	ARCH=$(dpkg --print-architecture)
	if [ ! -f "$R.done" ]; then
		rm -rf "$R" && mkdir -p "$R/src/keys" && mkdir -m 700 "$R/gnupg"
		GNUPGHOME=$R/gnupg gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
			--quick-gen-key "imagegen bench <bench@example.invalid>" rsa2048 sign never 2> /dev/null &&
		GNUPGHOME=$R/gnupg gpg --batch --quiet --export bench@example.invalid > "$R/src/keys/bench.gpg"
		python3 "$top/tests/synthrepo.py" "$R/repo/dists/synthetic" "$ARCH" 12000 10000
		GNUPGHOME=$R/gnupg gpg --batch --quiet --yes --pinentry-mode loopback --passphrase '' \
			--default-key bench@example.invalid --clearsign -o "$R/repo/dists/synthetic/InRelease" "$R/repo/dists/synthetic/Release"
		gpgconf --homedir "$R/gnupg" --kill gpg-agent 2> /dev/null
		cat > "$R/src/build.lua" <<LUA
local r = repository { url = "file:$R/repo", suite = "synthetic", keyring = "keys/bench.gpg" }
image { name = "big", repositories = { r }, packages = { "p00000" } }
LUA
		# apt, rooted in a folder of its own
		mkdir -p "$R/apt/etc/apt/sources.list.d" "$R/apt/var/lib/apt/lists/partial" "$R/apt/var/cache/apt/archives/partial" \
			"$R/apt/var/lib/dpkg" "$R/apt/etc/apt/preferences.d" "$R/apt/etc/apt/apt.conf.d"
		: > "$R/apt/var/lib/dpkg/status"
		echo "deb [signed-by=$R/src/keys/bench.gpg] file:$R/repo synthetic main" > "$R/apt/etc/apt/sources.list"
		touch "$R.done"
	fi
	APT="$(command -v apt-get) -q -o Dir=$R/apt -o Dir::State::status=$R/apt/var/lib/dpkg/status -o Debug::NoLocking=1 -o APT::Architecture=$ARCH -o APT::Sandbox::User=root"
	(cd "$R/src" && rm -f imagegen.lock && IMAGEGEN_CACHE=$R/cache "$IMAGEGEN" lock build.lua)
	closure=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["images"]["big"]["packages"]))' "$R/src/imagegen.lock")
	: > results
	PRE="rm -f $R/src/imagegen.lock"
	RUNS=3 measure imagegen_lock "cd $R/src && IMAGEGEN_CACHE=$R/cache $IMAGEGEN lock build.lua"
	PRE="rm -rf $R/apt/var/lib/apt/lists/* $R/apt/var/cache/apt/*.bin && mkdir -p $R/apt/var/lib/apt/lists/partial"
	RUNS=3 measure "apt-get_update_+_--simulate_install" "$APT update && $APT -s install p00000"
	PRE=""
	RUNS=3 measure "apt-get_--simulate_install_(lists_cached)" "$APT -s install p00000"
	$APT -s install p00000 2> /dev/null | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p' | sort > "$R/apt.chosen"
	python3 -c 'import json, sys
for p in json.load(open(sys.argv[1]))["images"]["big"]["packages"]: print(p["name"], p["version"])' "$R/src/imagegen.lock" |
		sort > "$R/imagegen.chosen"
	aptn=$(wc -l < "$R/apt.chosen")
	if cmp -s "$R/apt.chosen" "$R/imagegen.chosen"; then
		aptsame="the same packages at the same versions as imagegen"
	else
		aptsame="$(comm -3 "$R/apt.chosen" "$R/imagegen.chosen" | wc -l) package versions differ from imagegen's (see $R/apt.chosen)"
	fi
	echo "## Resolver: a closure of $closure packages from an index of 12,000 (synthetic, signed), 3 runs"
	echo
	echo "imagegen lock: verify, read and index the repository, resolve, write imagegen.lock. apt-get chose $aptn packages: $aptsame."
	echo
	table imagegen_lock
	echo
fi

# debfetch: after the Debian table, the cold build's ratio to mmdebstrap (the
# bar: at most 0.35), and the connections and name lookups one more cold
# build makes (strace: connect() to an IP address, and to port 53)
debfetch() {
	python3 - <<'PY'
rows = {l.split()[0]: float(l.split()[1]) for l in open("results") if l.strip()}
if "imagegen_cold" in rows and rows.get("mmdebstrap_extract"):
    print("cold / mmdebstrap: %.2fx (the bar: at most 0.35x)" % (rows["imagegen_cold"] / rows["mmdebstrap_extract"]))
    print()
PY
	have strace || return 0
	rm -rf deb/cold deb/b1 && mkdir deb/b1
	(cd deb/b1 && IMAGEGEN_CACHE=$B/deb/cold "$IMAGEGEN" --locked ../src/build.lua > /dev/null &&
		strace -f -qq -e trace=connect -o ../connect.log ninja > /dev/null) || return 0
	echo "One more cold build, under strace: $(grep 'AF_INET' deb/connect.log | grep -vc 'port=htons(53)')" \
		"TCP connections (to the mirror), $(grep -c 'port=htons(53)' deb/connect.log) to a name server, for $npkgs packages."
	echo
}

# examples/debian from the machine's apt sources, beside mmdebstrap
if part debian && [ -d /etc/apt/sources.list.d ]; then
	rm -rf deb && mkdir -p deb/b && cp -R "$top/examples/debian" deb/src && rm -f deb/src/imagegen.lock
	(cd deb/b && IMAGEGEN_CACHE=$B/deb/cache "$IMAGEGEN" lock ../src/build.lua > /dev/null 2>&1 &&
		IMAGEGEN_CACHE=$B/deb/cache "$IMAGEGEN" --locked ../src/build.lua > /dev/null && ninja > /dev/null)
	set -- $(python3 -c "
import json
l = json.load(open('deb/src/imagegen.lock'))
ps = l['images']['nginx']['packages']
print(','.join(p['name'] for p in ps), len(ps), sum(p['size'] for p in ps) // 1024, l['repositories'][l['images']['nginx']['repositories'][0]]['codename'])")
	pkgs=$1 npkgs=$2 kib=$3 codename=$4
	: > results
	PRE="rm -rf deb/cold deb/b1 && mkdir deb/b1"
	measure imagegen_cold "cd deb/b1 && IMAGEGEN_CACHE=$B/deb/cold $IMAGEGEN --locked ../src/build.lua && ninja"
	PRE="rm -rf deb/b1 && mkdir deb/b1"
	measure imagegen_warm "cd deb/b1 && IMAGEGEN_CACHE=$B/deb/cache $IMAGEGEN --locked ../src/build.lua && ninja"
	# mmdebstrap takes the machine's own deb822 sources file for the suite
	sources=$(grep -l "^Suites:.* $codename\( \|$\)" /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
	if have mmdebstrap && [ -n "$sources" ]; then
		PRE="rm -f deb/mm.tar"
		measure mmdebstrap_extract "mmdebstrap --quiet --variant=extract --include=$pkgs $codename deb/mm.tar $sources"
	fi
	echo "## Debian: examples/debian, $npkgs packages ($kib KiB of .deb), $RUNS runs"
	echo
	echo "cold: no download cache, a new build folder; warm: downloads and layers cached, a new build folder."
	echo
	table mmdebstrap_extract "x mmdebstrap"
	echo
	debfetch
fi

# a cold machine with and without a warm build cache (tests/bench-cache.sh)
if part cache; then
	. "$top/tests/bench-cache.sh"
fi

# a step in an image, its root file system unpacked: what imagegen adds to its command
if part step && [ -d /etc/apt/sources.list.d ] && have bwrap; then
	S=$B/step
	rm -rf "$S" && mkdir -p "$S/src" "$S/b"
	cat > "$S/src/build.lua" <<'EOF'
local builder = image { name = "builder", packages = { "dash" }, essential = true, sbom = false }
local c = command { image = builder, outputs = { dir "folder" }, run = "echo x > folder/x" }
image { name = "app", files = { { "/folder", c } }, sbom = false }
EOF
	(cd "$S/b" && IMAGEGEN_CACHE=$B/deb/cache "$IMAGEGEN" ../src/build.lua > /dev/null 2>&1 && ninja > /dev/null 2>&1)
	npkgs=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["images"]["builder"]["packages"]))' "$S/src/imagegen.lock")
	spec=$(cd "$S/b" && sed -n 's/^build .*: step \([^ ]*\) .*/\1/p' build.ninja)
	root=$(ls -d "$S"/b/.imagegen/root/*/)
	set -- $(cd "$S/b" && runs 21 "" "$IMAGEGEN" step "$spec" .imagegen/blobs)
	step=$1 stepcpu=$2
	set -- $(cd "$S/b" && runs 21 "" /bin/sh -c "mkdir -p folder && echo x > folder/x")
	alone=$1
	set -- $(cd "$S/b" && runs 21 "" bwrap --unshare-all --unshare-user --die-with-parent --new-session \
		--ro-bind "$root" / --proc /proc --dev /dev --tmpfs /tmp /bin/sh -c true)
	bwrap=$1
	echo "## A step in an image of $npkgs Debian packages, its root file system unpacked, 21 runs"
	echo
	python3 - "$step" "$stepcpu" "$alone" "$bwrap" <<'PY'
import sys
step, cpu, alone, bwrap = (float(x) * 1000 for x in sys.argv[1:])
print("| | median ms |")
print("|---|---:|")
print("| imagegen step: the sandbox, the folder moved out, its manifest | %.1f (CPU %.1f) |" % (step, cpu))
print("| the command alone, on this machine | %.1f |" % alone)
print("| bwrap alone over the same root, sh -c true | %.1f |" % bwrap)
print("| **the step beyond its command** | **%.1f** |" % (step - alone))
PY
	echo
fi
