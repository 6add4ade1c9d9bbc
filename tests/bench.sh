#!/bin/sh
# bench.sh: imagegen beside the tools a user would use instead, on the same
# trees, in one run. `make bench` runs it; it asserts nothing, it reports.
#
#   layer (100 MB, 2,000 files, half random, half text): imagegen (gzip, zstd)
#     against tar --sort=name | gzip -n, | pigz -n, | zstd -3, umoci repack,
#     buildah commit, where installed: median seconds of RUNS runs, ratio to
#     imagegen's gzip, peak RSS
#   1 GB layer: imagegen's time and peak RSS
#   monorepo of 100 images (shared bases, 5 layers each): generation, full
#     build, no-op ninja, and the edges a one-file change reruns; no-op
#     ninja again with every file in a folder of an awkward name
#   examples/debian (nginx-light) from the machine's apt sources: a cold build
#     (no download cache) and a warm one (downloads and layers cached, a new
#     build folder), beside mmdebstrap --variant=extract of the same packages
#   cache: a cold machine's build and push of the monorepo and examples/debian
#     with and without a warm build cache, as ratios (tests/bench-cache.sh)
#
# Environment: RUNS (default 5), BENCH_DIR (default tests/work/bench),
# PARTS (default "layer big mono debian cache"), BIG=0 to skip the 1 GB tree.
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

PARTS=${PARTS:-layer big mono debian cache}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

echo "# imagegen benchmark: $(uname -m), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1 /proc/loadavg)"
echo
if part layer; then
tree tree100 2000 52428
TAR="tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf - -C tree100 ."
printf '{"name":"bench","epoch":0,"compression":"%s","entries":[{"ctx":"bench","path":"data","type":"tree","src":"tree100","srcname":"tree100","uid":0,"gid":0}]}\n' gzip > gzip.json
sed 's/"gzip"/"zstd"/' gzip.json > zstd.json
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

# a monorepo of 100 images: base images shared, 5 layers each; in mono-names
# each file is in a folder named with a newline, '$', '[' and 'é', so that
# build.ninja and every depfile name it by its alias
if part mono; then
monorepo() {
	[ -f "$1.done" ] && return 0
	rm -rf "$1" && mkdir -p "$1/src"
	python3 - "$1/src" "$2" <<'PY'
import os, sys
root, folder = sys.argv[1], sys.argv[2].replace("\\n", "\n")
top = []
for i in range(100):
    d = os.path.join(root, "svc%03d" % i)
    os.makedirs(os.path.join(d, folder), exist_ok=True)
    for l in range(5):
        with open(os.path.join(d, folder, "file%d.txt" % l), "w") as f:
            f.write("service %d layer %d\n" % (i, l) * 200)
    base = "scratch" if i < 10 else '"svc%03d"' % (i % 10)
    lua = folder.replace("\n", "\\n")
    layers = ",\n".join('    { name = "l%d", files = { { "/etc/svc/file%d.txt", "%s/file%d.txt" } } }' % (l, l, lua, l) for l in range(5))
    with open(os.path.join(d, "build.lua"), "w") as f:
        f.write('image {\n  name = "svc%03d",\n  base = %s,\n  layers = {\n%s\n  },\n}\n' % (i, base, layers))
    top.append('include "svc%03d"' % i)
with open(os.path.join(root, "build.lua"), "w") as f:
    f.write("\n".join(top) + "\n")
PY
	touch "$1.done"
}

# measuremono DIR: generation, full build, no-op build, one change; sets gen full noop
measuremono() {
	rm -rf "$1/b" && mkdir -p "$1/b" && cd "$1/b" || exit 1
	gen=$( { /usr/bin/time -f "%e" "$IMAGEGEN" ../src/build.lua > /dev/null; } 2>&1 | tail -n 1)
	full=$( { /usr/bin/time -f "%e" ninja > full.log; } 2>&1 | tail -n 1)
	noop=$(python3 -c '
import subprocess, time, statistics
t = []
for _ in range(5):
    s = time.perf_counter(); subprocess.run(["ninja"], stdout=subprocess.DEVNULL); t.append(time.perf_counter() - s)
print("%.3f" % statistics.median(t))')
	for f in ../src/svc057/*/file3.txt; do echo "changed" >> "$f"; done
	ninja > change.log
	cd "$B" || exit 1
}

monorepo mono conf
monorepo mono-names 'con$f [x]\né'
measuremono mono-names
noopnames=$noop
measuremono mono
echo "## Monorepo: 100 images, 500 layers, bases shared"
echo
echo "| step | result |"
echo "|---|---|"
echo "| generate build.ninja | ${gen} s |"
echo "| full build ($(grep -c '^\[' mono/b/full.log) edges) | ${full} s |"
echo "| no-op ninja (median of 5) | ${noop} s |"
echo "| no-op ninja, every file in a folder named with a newline, \$, [ and é (median of 5) | ${noopnames} s |"
echo "| one file changed | $(grep -c '^\[' mono/b/change.log) edges: $(sed 's/^\[[0-9/]*\] //' mono/b/change.log | tr '\n' ',' | sed 's/,$//;s/,/, /g') |"
fi

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
fi

# a cold machine with and without a warm build cache (tests/bench-cache.sh)
if part cache; then
	. "$top/tests/bench-cache.sh"
fi
