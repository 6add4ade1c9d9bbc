# Compression: parallel gzip in independent members and multithreaded zstd
# give the same bytes whatever the number of threads; the compressor is
# recorded in each layer's annotations. (e2e-examples runs a zstd image in
# podman.)
. "$TOP/tests/lib.sh"

workdir compress
mkdir -p "$W/src/tree"
cd "$W/src" || exit 1
# 12 MiB, some compressible, some not, over several chunks
for i in 1 2 3 4 5 6; do
	head -c 1048576 /dev/urandom > "tree/random$i"
	yes "line $i of compressible text" | head -c 1048576 > "tree/text$i"
done
cat > build.lua <<'LUA'
image { name = "g", files = { { "/data", tree "tree" } } }
image { name = "z", compression = "zstd", files = { { "/data", tree "tree" } } }
LUA

layerof() {
	jget ".imagegen/layer/$1/files.json" "j['$2']"
}

for threads in 1 2 5; do
	mkdir -p "$W/t$threads" && cd "$W/t$threads" || exit 1
	"$IMAGEGEN" ../src/build.lua && IMAGEGEN_THREADS=$threads ninja > /dev/null 2>&1
	eval "g$threads=\$(layerof g digest) z$threads=\$(layerof z digest)"
done
same "gzip: 1, 2 and 5 threads write the same layer" "$g1 $g1" "$g2 $g5"
same "zstd: 1, 2 and 5 threads write the same layer" "$z1 $z1" "$z2 $z5"

cd "$W/t2" || exit 1
gblob=.imagegen/blobs/sha256/${g2#sha256:}
zblob=.imagegen/blobs/sha256/${z2#sha256:}
check "gzip: several members (one a MiB), which gzip reads as one stream" \
	test "$(python3 -c "import sys; d=open(sys.argv[1],'rb').read(); print(d.count(b'\x1f\x8b\x08\x00\x00\x00\x00\x00'))" "$gblob")" -ge 12
same "gzip: the members decompress to the diff_id" "$(layerof g diffid)" "sha256:$(gzip -dc "$gblob" | sha256sum | cut -d' ' -f1)"
same "zstd: the frame decompresses to the diff_id" "$(layerof z diffid)" "sha256:$(zstd -dcq "$zblob" | sha256sum | cut -d' ' -f1)"
same "the same tar under both" "$(layerof g diffid)" "$(layerof z diffid)"
same "zstd: the media type" "application/vnd.oci.image.layer.v1.tar+zstd" "$(layerof z mediaType)"
same "gzip: the annotation records the compressor" "gzip: libdeflate level 6, independent 1048576-byte members" \
	"$(jget .imagegen/layer/g/files.json "j['annotations']['imagegen.compression']")"
same "zstd: the annotation records the compressor" "zstd: libzstd level 3, multithreaded" \
	"$(jget .imagegen/layer/z/files.json "j['annotations']['imagegen.compression']")"
checkvalid "zstd: oci-validate" out/z

# the docker-archive of a zstd image has its layer as gzip, for Docker before 23
ninja out/z.tar > archive.log 2>&1
contains "zstd: the archive says it writes the layer with gzip" archive.log \
	"out/z.tar: 1 zstd layer written with gzip for Docker before 23"
mkdir -p zt && tar -xf out/z.tar -C zt
zlayer=$(jget zt/manifest.json "j[0]['Layers'][0]")
same "zstd: the archive's layer is gzip" 1f8b "$(head -c 2 "zt/$zlayer" | od -An -tx1 | tr -d ' \n')"
same "zstd: the archive's layer is named by its digest" "${zlayer#blobs/sha256/}" "$(sha256sum < "zt/$zlayer" | cut -d' ' -f1)"
same "zstd: the archive's layer is the same tar" "$(layerof z diffid)" "sha256:$(gzip -dc "zt/$zlayer" | sha256sum | cut -d' ' -f1)"
same "zstd: the archive's config is the layout's" \
	"blobs/sha256/$(jget "$(blob out/z "$(jget out/z/index.json "j['manifests'][0]['digest']")")" "j['config']['digest'][7:]")" \
	"$(jget zt/manifest.json "j[0]['Config']")"
same "zstd: no zstd blob in the archive" 0 \
	"$(python3 -c 'import glob; print(sum(open(f, "rb").read(4) == b"\x28\xb5\x2f\xfd" for f in glob.glob("zt/blobs/sha256/*")))')"

# hello, --compression zstd for the whole build
mkdir -p "$W/hello" && cd "$W/hello" || exit 1
"$IMAGEGEN" --compression zstd "$TOP/examples/hello/build.lua" && ninja > /dev/null 2>&1
same "--compression zstd applies to every image" "application/vnd.oci.image.layer.v1.tar+zstd" \
	"$(jget .imagegen/layer/hello/files.json "j['mediaType']")"
contains "--compression is kept for regeneration" build.ninja "--compression zstd"

# one layer cannot be compressed two ways
mkdir -p "$W/conflict" && cd "$W/conflict" || exit 1
printf 'local l = layer { name = "shared", files = { { "/a", text "a" } } }\nimage { name = "a", layers = { l } }\nimage { name = "b", compression = "zstd", layers = { l } }\n' > build.lua
"$IMAGEGEN" build.lua > err 2>&1
same "a layer shared by a gzip and a zstd image: an error" \
	"imagegen: build.lua:3: layer 'shared' is compressed with gzip for image 'a', and image 'b' wants zstd" "$(cat err)"
