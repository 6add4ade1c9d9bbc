/*
 * layout: an image file (see image.c) made into what tools load.
 *
 * OCI image layout DIR: oci-layout, blobs/sha256/<hex> hard-linked from the
 * store (reflinked or copied when the store is on another file system), and
 * index.json with one descriptor whose org.opencontainers.image.ref.name is
 * the tag (and io.containerd.image.name the whole name, REPO:TAG, which
 * ctr images import names the image after): the image's manifest, or for an image of several platforms the
 * image index of their manifests; then, for each SBOM the image has, the
 * artifact manifest whose subject is the manifest it describes.
 * index.json is written last, by rename, and only when it changed: it is
 * the file ninja tracks, so a layout is either whole or not done. Blobs
 * that no longer belong to the image are removed. Beside DIR, DIR.digest
 * holds the digest index.json tags ("sha256:<hex>\n": the manifest's, or
 * the image index's), written before index.json, also by rename and only
 * when it changed.
 *
 * docker-archive TAR: the blobs under blobs/sha256/ and the manifest.json
 * that docker load and podman load read (no index.json: podman would take
 * the tar for an OCI archive and name the image after the bare tag). Entries sorted, mtime = epoch,
 * owner 0:0, modes 0644/0755, written to a temporary file and renamed.
 * Docker before 23 reads no zstd layer (and says only "invalid tar
 * header"): a zstd layer goes into the archive compressed again with gzip
 * (the same tar, so the same diff_id; the layout keeps zstd), with a note.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/json.h"
#include "base/arc.h"
#include "base/store.h"
#include "base/oci.h"
#include "base/zst.h"
#include "layer/sink.h"
#include "image/layout.h"
#include <jansson.h>

#define LAYOUT "{\"imageLayoutVersion\":\"1.0.0\"}"

/* the image's blobs in order: config, layers, manifest (borrowed digests) */
struct blobs {
	const char **digest;
	size_t len;
};

/* the blobs of one image file: config, layers, manifest */
static void
addblobs(json_t *img, struct blobs *b)
{
	json_t *l;
	size_t i;

	b->digest[b->len++] = json_string_value(json_object_get(json_object_get(img, "configdesc"), "digest"));
	json_array_foreach(json_object_get(img, "layers"), i, l)
		b->digest[b->len++] = json_string_value(json_object_get(l, "digest"));
	b->digest[b->len++] = json_string_value(json_object_get(json_object_get(img, "manifest"), "digest"));
}

/* an image file, or an index file and its platforms' image files (see
   image.c), and the blobs of the SBOM artifacts in records (see sbom.c) */
static json_t *
loadimage(const char *path, json_t *records, struct blobs *b)
{
	json_t *img = readjson(path), *images = json_object_get(img, "images"), *one, *d;
	size_t i, j, n = 1;

	json_array_foreach(images, i, one)
		n += json_array_size(json_object_get(one, "layers")) + 2;
	n += json_array_size(json_object_get(img, "layers")) + 2;
	json_array_foreach(records, i, one)
		n += json_array_size(json_object_get(one, "blobs"));
	b->digest = xcalloc(n, sizeof(*b->digest));
	b->len = 0;
	if (json_object_get(img, "index")) {
		b->digest[b->len++] = json_string_value(json_object_get(json_object_get(img, "index"), "digest"));
		json_array_foreach(images, i, one)
			addblobs(one, b);
	} else {
		addblobs(img, b);
	}
	json_array_foreach(records, i, one) {
		json_array_foreach(json_object_get(one, "blobs"), j, d)
			b->digest[b->len++] = json_string_value(d);
	}
	for (i = 0; i < b->len; i++) {
		if (!b->digest[i] || !store_validdigest(b->digest[i]))
			fatal("%s: malformed image file", path);
	}
	return img;
}

/* index.json: the image's manifest (or the index of its platforms),
   tagged, then the artifacts that refer to it */
static json_t *
indexdoc(json_t *img, json_t *records)
{
	json_t *index, *m, *r;
	size_t i;

	if (json_object_get(img, "index")) {
		m = json_deep_copy(json_object_get(img, "index"));
	} else {
		m = json_deep_copy(json_object_get(img, "manifest"));
		if (m && json_object_set(m, "platform", json_object_get(img, "platform")) < 0)
			fatal("malformed image file");
	}
	/* the tag as the image-spec says, and the whole name as containerd reads it on import */
	if (!m || json_object_set_new(m, "annotations", json_pack("{s:O, s:s++}",
	    "org.opencontainers.image.ref.name", json_object_get(img, "ref"), "io.containerd.image.name",
	    json_string_value(json_object_get(img, "repo")), ":", json_string_value(json_object_get(img, "ref")))) < 0)
		fatal("malformed image file");
	index = json_pack("{s:i, s:s, s:[o]}", "schemaVersion", 2, "mediaType", MT_INDEX,
	                  "manifests", m);
	if (!index)
		fatal("out of memory");
	json_array_foreach(records, i, r) {
		if (!json_is_object(json_object_get(r, "artifact")) ||
		    json_array_append(json_object_get(index, "manifests"), json_object_get(r, "artifact")) < 0)
			fatal("malformed SBOM record");
	}
	return index;
}

/* the records' files read into one array */
static json_t *
readrecords(char *const records[], int nrecords)
{
	json_t *recs = json_array();
	int r;

	if (!recs)
		fatal("out of memory");
	for (r = 0; r < nrecords; r++) {
		if (json_array_append_new(recs, readjson(records[r])) < 0)
			fatal("out of memory");
	}
	return recs;
}

json_t *
layout_index(const char *image, char *const records[], int nrecords)
{
	struct blobs b;
	json_t *recs = readrecords(records, nrecords), *img, *index;

	img = loadimage(image, recs, &b);
	index = indexdoc(img, recs);
	free(b.digest);
	json_decref(img);
	json_decref(recs);
	return index;
}

/* a reflink where the file system can share the blocks, else a copy */
static void
copyfile(const char *from, const char *to)
{
	char chunk[1 << 16];
	ssize_t n;
	int in, out;

	in = open(from, O_RDONLY);
	if (in < 0)
		fatal("open %s:", from);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		fatal("create %s:", to);
#ifdef FICLONE
	if (ioctl(out, FICLONE, in) == 0) {
		close(in);
		if (close(out) < 0)
			fatal("write %s:", to);
		return;
	}
#endif
	while ((n = read(in, chunk, sizeof(chunk))) > 0) {
		if (write(out, chunk, (size_t)n) != n)
			fatal("write %s:", to);
	}
	if (n < 0)
		fatal("read %s:", from);
	close(in);
	if (close(out) < 0)
		fatal("write %s:", to);
}

static void
linkblob(const char *store, const char *digest, const char *dir)
{
	char *src = store_path(store, digest), *dst, *tmp;
	struct stat a, b;

	dst = xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
	if (stat(src, &a) < 0)
		fatal("blob %s is missing from the store %s:", digest, store);
	if (stat(dst, &b) == 0 && a.st_size == b.st_size)
		goto done;
	tmp = tmpname(dst);
	unlink(tmp);
	if (link(src, tmp) < 0) {
		if (errno != EXDEV && errno != EPERM && errno != EMLINK)
			fatal("link %s:", tmp);
		copyfile(src, tmp);
	}
	if (rename(tmp, dst) < 0)
		fatal("rename %s:", dst);
	free(tmp);
done:
	free(src);
	free(dst);
}

static int
listed(const struct blobs *b, const char *hex)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		if (strcmp(b->digest[i] + 7, hex) == 0)
			return 1;
	}
	return 0;
}

static void
prune(const struct blobs *b, const char *dir)
{
	char *blobdir = xasprintf("%s/blobs/sha256", dir), *path;
	struct dirent *de;
	DIR *d;

	d = opendir(blobdir);
	if (!d)
		fatal("open %s:", blobdir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (listed(b, de->d_name))
			continue;
		path = xasprintf("%s/%s", blobdir, de->d_name);
		if (unlink(path) < 0)
			fatal("remove %s:", path);
		free(path);
	}
	closedir(d);
	free(blobdir);
}

void
layout_write(const char *image, const char *dir, const char *store, char *const records[], int nrecords)
{
	struct blobs b;
	json_t *recs = readrecords(records, nrecords), *img, *doc;
	char *blobdir, *path, *index, *digest;
	size_t i, n;

	img = loadimage(image, recs, &b);
	blobdir = xasprintf("%s/blobs/sha256", dir);
	if (mkdirs(blobdir) < 0)
		fatal("mkdir %s:", blobdir);
	for (i = 0; i < b.len; i++)
		linkblob(store, b.digest[i], dir);
	path = xasprintf("%s/oci-layout", dir);
	xreplacefile(path, LAYOUT, strlen(LAYOUT));
	free(path);
	doc = indexdoc(img, recs);
	index = dumpjson(doc);
	/* the image's digest first: index.json, last, says the layout is done */
	digest = xasprintf("%s\n", json_string_value(json_object_get(json_array_get(json_object_get(doc, "manifests"),
	                   0), "digest")));
	json_decref(doc);
	for (n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
		;
	path = xasprintf("%.*s.digest", (int)n, dir);
	updatefile(path, digest, strlen(digest));
	free(path);
	path = xasprintf("%s/index.json", dir);
	if (updatefile(path, index, strlen(index)) && makemode)
		printf("  LAYOUT  %s\n", dir);
	prune(&b, dir);
	free(path);
	free(digest);
	free(index);
	free(blobdir);
	free(b.digest);
	json_decref(img);
	json_decref(recs);
}

static void
tarentry(struct archive *a, struct archive_entry *e, const char *name, int dir,
         long long size, long long epoch)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0755 : 0644);
	archive_entry_set_mtime(e, epoch, 0);
	archive_entry_set_size(e, dir ? 0 : size);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		fatal("tar: %s", archiveerr(a));
}

static void
tardata(struct archive *a, const char *data, size_t len)
{
	if (len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len)
		fatal("tar: %s", archiveerr(a));
}

/* a blob's bytes from fd (closed after) as the tar's member name */
static void
tarfd(struct archive *a, struct archive_entry *e, int fd, const char *name, long long size, long long epoch)
{
	char chunk[1 << 16];
	ssize_t n;

	tarentry(a, e, name, 0, size, epoch);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		tardata(a, chunk, (size_t)n);
	if (n < 0)
		fatal("read %s:", name);
	close(fd);
}

static void
tarblob(struct archive *a, struct archive_entry *e, const char *store, const char *digest,
        long long epoch)
{
	char *path = store_path(store, digest), *name;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		fatal("open %s:", path);
	name = xasprintf("blobs/sha256/%s", digest + 7);
	tarfd(a, e, fd, name, st.st_size, epoch);
	free(name);
	free(path);
}

/* a zstd blob of the store as gzip, in an unlinked temporary file beside tar
   (its fd, at its start), with its digest and size in r */
static int
regzip(const char *store, const char *digest, const char *tar, struct sinkresult *r)
{
	char in[1 << 16], out[1 << 17], *path = store_path(store, digest), *tmp = xasprintf("%s.gz.XXXXXX", tar);
	ZSTD_DCtx *z = ZSTD_createDCtx();
	ZSTD_inBuffer ib;
	ZSTD_outBuffer ob;
	struct sink *s;
	ssize_t n;
	size_t ret = 0;
	int fd, gz;

	if (!z)
		fatal("out of memory");
	if ((fd = open(path, O_RDONLY)) < 0)
		fatal("open %s:", path);
	if ((gz = mkstemp(tmp)) < 0)
		fatal("mkstemp %s:", tmp);
	unlink(tmp);
	s = sink_open(gz, COMPRESS_GZIP, 6);
	while ((n = read(fd, in, sizeof(in))) > 0) {
		ib = (ZSTD_inBuffer){in, (size_t)n, 0};
		/* until the input is used and the output no longer fills the buffer */
		do {
			ob = (ZSTD_outBuffer){out, sizeof(out), 0};
			ret = ZSTD_decompressStream(z, &ob, &ib);
			if (ZSTD_isError(ret))
				fatal("%s: layer %s: %s", tar, digest, ZSTD_getErrorName(ret));
			if (sink_write(s, out, ob.pos) < 0)
				fatal("%s: write:", tar);
		} while (ib.pos < ib.size || ob.pos == ob.size);
	}
	if (n < 0)
		fatal("read %s:", path);
	if (ret != 0)
		fatal("%s: layer %s: the zstd stream ends early", tar, digest);
	if (sink_close(s, r) < 0 || lseek(gz, 0, SEEK_SET) < 0)
		fatal("%s: write:", tar);
	ZSTD_freeDCtx(z);
	close(fd);
	free(path);
	free(tmp);
	return gz;
}

static int
bystr(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* a zstd layer of the archive, and the gzip blob that stands for it */
struct regz {
	const char *zstd;
	char gzip[72];
	long long size;
	int fd;
};

void
layout_archive(const char *image, const char *tar, const char *store)
{
	struct blobs b;
	struct regz *rz;
	struct sinkresult r;
	json_t *img, *dm, *l;
	struct archive *a;
	struct archive_entry *e;
	long long epoch;
	const char **sorted, *digest;
	char *tmp, *manifest, *repotag, *name;
	size_t i, j, nrz = 0;
	int fd;

	img = loadimage(image, NULL, &b);
	epoch = json_integer_value(json_object_get(img, "epoch"));
	if (json_object_get(img, "index"))
		fatal("archive %s: %s has several platforms; a docker-archive holds one platform's image", tar, image);
	if (mkparent(tar) < 0)
		fatal("mkdir for %s:", tar);
	sweeptmp(tar);
	/* zstd layers again as gzip, for Docker before 23 */
	rz = xcalloc(json_array_size(json_object_get(img, "layers")) + 1, sizeof(*rz));
	json_array_foreach(json_object_get(img, "layers"), i, l) {
		digest = json_string_value(json_object_get(l, "digest"));
		if (!digest || !json_is_string(json_object_get(l, "mediaType")) ||
		    strcmp(json_string_value(json_object_get(l, "mediaType")), MT_LAYER_ZSTD) != 0)
			continue;
		for (j = 0; j < nrz && strcmp(rz[j].zstd, digest) != 0; j++)
			;
		if (j < nrz)
			continue;
		rz[nrz].fd = regzip(store, digest, tar, &r);
		rz[nrz].zstd = digest;
		memcpy(rz[nrz].gzip, r.digest, sizeof(r.digest));
		rz[nrz++].size = r.size;
	}
	if (nrz > 0)
		warn("%s: %zu zstd layer%s written with gzip for Docker before 23, which reads no zstd (the layout keeps "
		     "zstd)", tar, nrz, nrz > 1 ? "s" : "");
	/* docker's manifest.json: config, tags and layers by path in the tar */
	repotag = xasprintf("%s:%s", json_string_value(json_object_get(img, "repo")),
	                    json_string_value(json_object_get(img, "ref")));
	dm = json_pack("[{s:s+, s:[s], s:[]}]", "Config", "blobs/sha256/", b.digest[0] + 7,
	               "RepoTags", repotag, "Layers");
	if (!dm)
		fatal("out of memory");
	json_array_foreach(json_object_get(img, "layers"), i, l) {
		digest = json_string_value(json_object_get(l, "digest"));
		for (j = 0; digest && j < nrz; j++) {
			if (strcmp(rz[j].zstd, digest) == 0)
				digest = rz[j].gzip;
		}
		if (!digest || json_array_append_new(json_object_get(json_array_get(dm, 0), "Layers"),
		    json_sprintf("blobs/sha256/%s", digest + 7)) < 0)
			fatal("%s: malformed image file", image);
	}
	manifest = dumpjson(dm);

	/* the blobs by name (the gzip ones for the zstd ones); a layer shared twice in one image is stored once */
	sorted = xcalloc(b.len, sizeof(*sorted));
	for (i = 0; i < b.len; i++) {
		sorted[i] = b.digest[i];
		for (j = 0; j < nrz; j++) {
			if (strcmp(rz[j].zstd, b.digest[i]) == 0)
				sorted[i] = rz[j].gzip;
		}
	}
	qsort(sorted, b.len, sizeof(*sorted), bystr);

	tmp = tmpname(tar);
	removeonfatal(tmp);
	a = archive_write_new();
	e = archive_entry_new();
	if (!a || !e)
		fatal("out of memory");
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, tmp) != ARCHIVE_OK)
		fatal("%s: %s", tmp, archiveerr(a));
	tarentry(a, e, "blobs", 1, 0, epoch);
	tarentry(a, e, "blobs/sha256", 1, 0, epoch);
	for (i = 0; i < b.len; i++) {
		if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		for (j = 0; j < nrz && sorted[i] != rz[j].gzip; j++)
			;
		if (j == nrz) {
			tarblob(a, e, store, sorted[i], epoch);
			continue;
		}
		fd = rz[j].fd;
		rz[j].fd = -1;
		name = xasprintf("blobs/sha256/%s", sorted[i] + 7);
		tarfd(a, e, fd, name, rz[j].size, epoch);
		free(name);
	}
	tarentry(a, e, "manifest.json", 0, (long long)strlen(manifest), epoch);
	tardata(a, manifest, strlen(manifest));
	if (archive_write_close(a) != ARCHIVE_OK) {
		unlink(tmp);
		fatal("%s: %s", tmp, archiveerr(a));
	}
	archive_write_free(a);
	archive_entry_free(e);
	if (chmod(tmp, 0644) < 0 || rename(tmp, tar) < 0) {
		unlink(tmp);
		fatal("rename %s:", tar);
	}
	removeonfatal(NULL);
	for (j = 0; j < nrz; j++) {
		if (rz[j].fd >= 0)
			close(rz[j].fd);
	}
	free(rz);
	free(tmp);
	free(sorted);
	free(manifest);
	free(repotag);
	free(b.digest);
	json_decref(dm);
	json_decref(img);
}
