/*
 * layout: an image file (see image.c) made into what tools load.
 *
 * OCI image layout DIR: oci-layout, blobs/sha256/<hex> hard-linked from the
 * store (reflinked or copied when the store is on another file system), and
 * index.json with one descriptor whose org.opencontainers.image.ref.name is
 * the tag: the image's manifest, or for an image of several platforms the
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
	if (!m || json_object_set_new(m, "annotations", json_pack("{s:O}",
	    "org.opencontainers.image.ref.name", json_object_get(img, "ref"))) < 0)
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

static void
tarblob(struct archive *a, struct archive_entry *e, const char *store, const char *digest,
        long long epoch)
{
	char chunk[1 << 16], *path = store_path(store, digest), *name;
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		fatal("open %s:", path);
	name = xasprintf("blobs/sha256/%s", digest + 7);
	tarentry(a, e, name, 0, st.st_size, epoch);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		tardata(a, chunk, (size_t)n);
	if (n < 0)
		fatal("read %s:", path);
	close(fd);
	free(name);
	free(path);
}

static int
bystr(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

void
layout_archive(const char *image, const char *tar, const char *store)
{
	struct blobs b;
	json_t *img, *dm, *l;
	struct archive *a;
	struct archive_entry *e;
	long long epoch;
	const char **sorted;
	char *tmp, *manifest, *repotag;
	size_t i;

	img = loadimage(image, NULL, &b);
	epoch = json_integer_value(json_object_get(img, "epoch"));
	if (json_object_get(img, "index"))
		fatal("archive %s: %s has several platforms; a docker-archive holds one platform's image", tar, image);
	/* docker's manifest.json: config, tags and layers by path in the tar */
	repotag = xasprintf("%s:%s", json_string_value(json_object_get(img, "repo")),
	                    json_string_value(json_object_get(img, "ref")));
	dm = json_pack("[{s:s+, s:[s], s:[]}]", "Config", "blobs/sha256/", b.digest[0] + 7,
	               "RepoTags", repotag, "Layers");
	if (!dm)
		fatal("out of memory");
	json_array_foreach(json_object_get(img, "layers"), i, l) {
		if (json_array_append_new(json_object_get(json_array_get(dm, 0), "Layers"),
		    json_sprintf("blobs/sha256/%s", json_string_value(json_object_get(l, "digest")) + 7)) < 0)
			fatal("%s: malformed image file", image);
	}
	manifest = dumpjson(dm);

	/* a layer shared twice in one image is stored once */
	sorted = xcalloc(b.len, sizeof(*sorted));
	memcpy(sorted, b.digest, b.len * sizeof(*sorted));
	qsort(sorted, b.len, sizeof(*sorted), bystr);

	tmp = tmpname(tar);
	if (mkparent(tar) < 0)
		fatal("mkdir for %s:", tar);
	sweeptmp(tar);
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
		if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0)
			tarblob(a, e, store, sorted[i], epoch);
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
	free(tmp);
	free(sorted);
	free(manifest);
	free(repotag);
	free(b.digest);
	json_decref(dm);
	json_decref(img);
}
