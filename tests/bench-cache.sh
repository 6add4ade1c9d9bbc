# bench-cache.sh, sourced by bench.sh (PARTS=cache): a cold machine (a new
# build folder and download cache) building and pushing examples/monorepo and
# examples/debian to Debian's docker-registry on 127.0.0.1, without a build
# cache and with a warm one (filled once by another folder with --cache-push):
# build and push, and push alone (push-NAME with nothing built). Each run
# pushes into repositories emptied first, so that nothing is already there.
cachebench() {
	if ! have docker-registry; then
		echo "(cache: docker-registry is not installed)"
		return
	fi
	rm -rf creg && mkdir -p creg
	sed "s|^\( *rootdirectory:\).*|\1 $B/creg/data|" "$top/tests/containers/registry.yml" > creg/registry.yml
	docker-registry serve creg/registry.yml > creg/log 2>&1 &
	cregpid=$!
	if ! creg=127.0.0.1:$(python3 "$top/tests/listenport.py" "$cregpid"); then
		echo "(cache: the registry did not start)"
		return
	fi
	repos=$B/creg/data/docker/registry/v2/repositories/bench
	: > results
	for ex in monorepo debian; do
		[ $ex = debian ] && [ ! -d /etc/apt/sources.list.d ] && continue
		rm -rf "c-$ex" && mkdir -p "c-$ex" && cp -R "$top/examples/$ex" "c-$ex/src"
		for f in $(grep -rl 'tag = "' "c-$ex/src"); do
			sed "s|tag = \"|tag = \"$creg/bench/|" "$f" > "$f.new" && mv "$f.new" "$f"
		done
		rm -f "c-$ex/src/imagegen.lock"
		(mkdir -p "c-$ex/fill" && cd "c-$ex/fill" && IMAGEGEN_CACHE=$B/c-$ex/dl "$IMAGEGEN" lock ../src/build.lua > /dev/null 2>&1)
		(cd "c-$ex/fill" && IMAGEGEN_CACHE=$B/c-$ex/dl "$IMAGEGEN" ../src/build.lua > /dev/null &&
			sed -n 's/^build \(push-[^:]*\):.*/\1/p' build.ninja > ../pushes)
		pushes=$(sed 's/.*/ninja & > \/dev\/null \&\&/' "c-$ex/pushes" | tr '\n' ' ')
		# the cache, filled by another machine
		(cd "c-$ex/fill" && IMAGEGEN_CACHE=$B/c-$ex/dl "$IMAGEGEN" --locked --cache "$creg/cache" --cache-push \
			../src/build.lua > /dev/null && ninja > /dev/null 2>&1)
		PRE="rm -rf c-$ex/b c-$ex/cold $repos && mkdir c-$ex/b"
		measure "$ex:_build_and_push,_no_cache" "cd c-$ex/b && IMAGEGEN_CACHE=$B/c-$ex/cold $IMAGEGEN --locked ../src/build.lua && ninja > /dev/null && $pushes true"
		measure "$ex:_build_and_push,_warm_cache" "cd c-$ex/b && IMAGEGEN_CACHE=$B/c-$ex/cold $IMAGEGEN --locked --cache $creg/cache ../src/build.lua && ninja > /dev/null && $pushes true"
		measure "$ex:_push_alone,_no_cache" "cd c-$ex/b && IMAGEGEN_CACHE=$B/c-$ex/cold $IMAGEGEN --locked ../src/build.lua && $pushes true"
		measure "$ex:_push_alone,_warm_cache" "cd c-$ex/b && IMAGEGEN_CACHE=$B/c-$ex/cold $IMAGEGEN --locked --cache $creg/cache ../src/build.lua && $pushes true"
	done
	kill "$cregpid" 2>/dev/null
	wait "$cregpid" 2>/dev/null
	echo "## A cold machine with and without a warm build cache, $RUNS runs"
	echo
	echo "A new build folder and download cache each run, pushing to repositories emptied first;"
	echo "the registry on 127.0.0.1. Warm cache: filled once by another build folder with --cache-push."
	echo
	python3 - <<'PY'
rows = [l.split() for l in open("results") if l.strip()]
secs = {r[0]: float(r[1]) for r in rows}
print("| example | step | no cache s | warm cache s | warm / none | peak RSS MB (warm) |")
print("|---|---|---:|---:|---:|---:|")
for name, s, kb in rows:
    if not name.endswith(",_warm_cache"):
        continue
    ex, step = name[:-len(",_warm_cache")].split(":_")
    none = secs.get("%s:_%s,_no_cache" % (ex, step))
    print("| %s | %s | %.2f | %.2f | %.2f | %.0f |" % (ex, step.replace("_", " "), none, float(s), float(s) / none, int(kb) / 1024))
PY
	echo
}
cachebench
