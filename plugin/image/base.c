/*
 * base: images that imagegen did not build, brought in as bases.
 *
 * From an OCI image layout (by tag), a docker-archive (docker save, podman
 * save, skopeo copy) or a registry (registry.c), a base becomes a base
 * file and blobs in the build's store:
 *   {"config": the base's whole config, "layers": [{mediaType, digest,
 *    size, diffid}], "source": what it came from, "configdigest",
 *    "digest": its manifest's digest, when it had one (not an archive)}
 * Layers are kept byte for byte, never recompressed, and each blob is
 * verified against its digest as it is copied. Docker media types are
 * written as their OCI equivalents; the bytes are the same. Its errors
 * start with the line of the declaration (the command's fatalwhere, from
 * OUT with ".where" for ".json").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/json.h"
#include "base/arc.h"
#include "base/store.h"
#include "base/oci.h"
#include "net/registry.h"
#include "image/base.h"
#include <jansson.h>

/* the largest manifest.json a docker-archive may have */
enum { MAXMANIFEST = 4 << 20 };

/* copy the regular file src (no symlink, FIFO or device) of size bytes into
   the store as the blob digest, verifying it */
static void
storefile(const char *store, const char *src, const char *digest, long long size, const char *what)
{
	char *dst = store_path(store, digest), *tmp, chunk[1 << 16], hex[65];
	long long left;
	struct sha256 *ctx;
	struct stat st;
	ssize_t r;
	int in, out;

	if (sha256verify(dst, digest + 7) == 0) {
		free(dst);
		return;
	}
	in = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	if (in < 0)
		fatal("%s: blob %s:", what, src);
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
		fatal("%s: blob %s is not a regular file", what, src);
	if (st.st_size != size)
		fatal("%s: blob %s has %lld bytes, its descriptor says %lld", what, src, (long long)st.st_size, size);
	out = store_tmp(store, &tmp);
	removeonfatal(tmp);
	ctx = sha256new();
	for (left = size; left > 0; left -= r) {
		r = read(in, chunk, left < (long long)sizeof(chunk) ? (size_t)left : sizeof(chunk));
		if (r <= 0)
			fatal("%s: copy %s:", what, src);
		sha256add(ctx, chunk, (size_t)r);
		if (write(out, chunk, (size_t)r) != r)
			fatal("write %s:", tmp);
	}
	if (close(out) < 0)
		fatal("write %s:", tmp);
	close(in);
	sha256done(ctx, hex);
	if (strcmp(hex, digest + 7) != 0)
		fatal("%s: %s does not match its digest %s", what, src, digest);
	store_commit(store, tmp, digest);
	removeonfatal(NULL);
	free(tmp);
	free(dst);
}

/* a JSON blob from the store */
static json_t *
base_readblob(const char *store, const char *digest)
{
	char *path = store_path(store, digest);
	json_t *j = readjson(path);

	free(path);
	return j;
}

void
base_write(const char *out, const char *store, json_t *manifest, const char *digest, const char *source)
{
	json_t *config, *layers, *l, *diffids, *result;
	const char *cdigest;
	char *text, why[256];
	size_t i;

	if (oci_checkmanifest(manifest, why, sizeof(why)) < 0)
		fatal("%s: %s", source, why);
	cdigest = json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
	config = base_readblob(store, cdigest);
	if (oci_checkconfig(config, json_array_size(json_object_get(manifest, "layers")), why, sizeof(why)) < 0)
		fatal("%s: %s", source, why);
	diffids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	layers = json_array();
	if (!layers)
		fatal("out of memory");
	json_array_foreach(json_object_get(manifest, "layers"), i, l) {
		const char *mt = json_string_value(json_object_get(l, "mediaType"));
		const char *ld = json_string_value(json_object_get(l, "digest"));
		if (strstr(mt, "foreign") || strstr(mt, "nondistributable"))
			fatal("%s: layer %s is non-distributable (%s)", source, ld, mt);
		if (strcmp(oci_mediatype(mt), MT_LAYER) == 0 &&
		    !json_equal(json_object_get(l, "digest"), json_array_get(diffids, i)))
			fatal("%s: uncompressed layer %s does not match its diff_id", source, ld);
		if (json_array_append_new(layers, json_pack("{s:s, s:s, s:O, s:O}", "mediaType",
		    oci_mediatype(mt), "digest", ld, "size", json_object_get(l, "size"),
		    "diffid", json_array_get(diffids, i))) < 0)
			fatal("%s: malformed layer descriptor", source);
	}
	result = json_pack("{s:o, s:o, s:s, s:s}", "config", config, "layers", layers, "source", source,
	                   "configdigest", cdigest);
	if (!result)
		fatal("%s: malformed manifest", source);
	if (digest && json_object_set_new(result, "digest", json_string(digest)) < 0)
		fatal("out of memory");
	text = dumpjson(result);
	updatefile(out, text, strlen(text));
	free(text);
	json_decref(result);
}

/* the blob a checked descriptor names, from the layout dir into the store */
static void
copyblob(const char *store, const char *dir, json_t *desc, const char *source)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	char *blob = xasprintf("%s/blobs/sha256/%s", dir, digest + 7);

	storefile(store, blob, digest, json_integer_value(json_object_get(desc, "size")), source);
	free(blob);
}

/* an OCI image layout's manifest for tag and platform */
void
base_fromlayout(const char *dir, const char *tag, const char *platform, const char *out, const char *store)
{
	char *path = xasprintf("%s/index.json", dir), *source, why[256];
	json_t *index = readjson(path), *m, *desc = NULL, *manifest, *sub;
	const char *ref;
	size_t i;
	int depth;

	source = xasprintf("oci layout %s:%s", dir, tag);
	if (oci_checkindex(index, why, sizeof(why)) < 0)
		fatal("%s: index.json: %s", source, why);
	json_array_foreach(json_object_get(index, "manifests"), i, m) {
		ref = json_string_value(json_object_get(json_object_get(m, "annotations"),
		                                        "org.opencontainers.image.ref.name"));
		if (ref && strcmp(ref, tag) == 0) {
			desc = json_incref(m);
			break;
		}
	}
	if (!desc)
		fatal("%s: no image tagged '%s' in %s", source, tag, path);
	/* down through image indexes to the manifest for the platform */
	for (depth = 0;; depth++) {
		copyblob(store, dir, desc, source);
		if (!oci_isindex(json_string_value(json_object_get(desc, "mediaType"))))
			break;
		if (depth == 8)
			fatal("%s: image indexes nested more than 8 deep", source);
		sub = base_readblob(store, json_string_value(json_object_get(desc, "digest")));
		if (oci_checkindex(sub, why, sizeof(why)) < 0)
			fatal("%s: %s", source, why);
		m = oci_pickplatform(sub, platform, source);
		if (!m)
			fatal("%s: no image for platform %s", source, platform);
		json_decref(desc);
		desc = json_incref(m);
		json_decref(sub);
	}
	manifest = base_readblob(store, json_string_value(json_object_get(desc, "digest")));
	if (oci_checkmanifest(manifest, why, sizeof(why)) < 0)
		fatal("%s: %s", source, why);
	copyblob(store, dir, json_object_get(manifest, "config"), source);
	json_array_foreach(json_object_get(manifest, "layers"), i, m)
		copyblob(store, dir, m, source);
	base_write(out, store, manifest, json_string_value(json_object_get(desc, "digest")), source);
	json_decref(manifest);
	json_decref(desc);
	json_decref(index);
	free(path);
	free(source);
}

/* the entry of a tar to a temporary file of the store, hashed; its digest */
static void
tarmember(struct archive *a, const char *store, char digest[72], long long *size, const char *source)
{
	char chunk[1 << 16], *tmp;
	struct sha256 *ctx = sha256new();
	la_ssize_t r;
	int fd;

	fd = store_tmp(store, &tmp);
	removeonfatal(tmp);
	*size = 0;
	while ((r = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		sha256add(ctx, chunk, (size_t)r);
		if (write(fd, chunk, (size_t)r) != r)
			fatal("write %s:", tmp);
		*size += r;
	}
	if (r < 0)
		fatal("%s: %s", source, archiveerr(a));
	if (close(fd) < 0)
		fatal("write %s:", tmp);
	memcpy(digest, "sha256:", 7);
	sha256done(ctx, digest + 7);
	store_commit(store, tmp, digest);
	removeonfatal(NULL);
	free(tmp);
}

static int
gzipped(const char *store, const char *digest)
{
	char *path = store_path(store, digest);
	unsigned char magic[2] = {0, 0};
	int fd = open(path, O_RDONLY), gz;

	free(path);
	if (fd < 0)
		return 0;
	gz = read(fd, magic, 2) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	close(fd);
	return gz;
}

/* the JSON document in the tar member being read */
static json_t *
readmember(struct archive *a, const char *source)
{
	struct buf b = {0};
	char chunk[8192];
	la_ssize_t r;
	json_error_t err;
	json_t *j;

	while ((r = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		bufadd(&b, chunk, (size_t)r);
	if (r < 0)
		fatal("%s: manifest.json: %s", source, archiveerr(a));
	j = json_loadb(b.data ? b.data : "", b.len, 0, &err);
	free(b.data);
	if (!j)
		fatal("%s: manifest.json: %s", source, err.text);
	return j;
}

/*
 * The archive being read. An error ends the process, except in a fuzz
 * build, where the next archive read frees the one an error left open.
 */
static struct archive *reading;

/* a docker-archive: manifest.json names the config and layer files */
json_t *
base_archivemanifest(const char *file, const char *store, const char *source)
{
	struct archive *a;
	struct archive_entry *e;
	json_t *names = json_object(), *dm = NULL, *manifest, *layers, *l, *cfg;
	char digest[72];
	const char *cfgname;
	long long size;
	struct stat st;
	size_t i;
	int r, oci = 0;

	/* one pass: every regular member into the store, by the digest of its bytes */
	if (stat(file, &st) < 0 || !S_ISREG(st.st_mode))
		fatal("%s: not a regular file", source);
	if (reading)
		archive_read_free(reading);
	a = reading = archive_read_new();
	if (!a)
		fatal("out of memory");
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, file, 1 << 16) != ARCHIVE_OK)
		fatal("%s: %s", source, archiveerr(a));
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		if (archive_entry_filetype(e) != AE_IFREG || !name)
			continue;
		if (strncmp(name, "./", 2) == 0)
			name += 2;
		if (strcmp(name, "manifest.json") == 0) {
			if (archive_entry_size(e) > MAXMANIFEST)
				fatal("%s: manifest.json is larger than %d bytes", source, MAXMANIFEST);
			json_decref(dm);
			dm = readmember(a, source);
			continue;
		}
		oci = oci || strcmp(name, "oci-layout") == 0 || strcmp(name, "index.json") == 0;
		tarmember(a, store, digest, &size, source);
		if (json_object_set_new(names, name, json_pack("{s:s, s:I}", "digest", digest,
		                                               "size", (json_int_t)size)) < 0)
			fatal("out of memory");
	}
	if (r != ARCHIVE_EOF)
		fatal("%s: %s", source, archiveerr(a));
	archive_read_free(a);
	reading = NULL;
	if (!json_is_array(dm) || json_array_size(dm) < 1)
		fatal("%s: no manifest.json: not a docker-archive%s", source,
		      oci ? " but an OCI archive (a layout in a tar): unpack it and read the folder as an OCI layout" : "");
	if (json_array_size(dm) > 1)
		fatal("%s: holds %zu images; imagegen reads archives of one", source, json_array_size(dm));
	cfgname = json_string_value(json_object_get(json_array_get(dm, 0), "Config"));
	cfg = cfgname ? json_object_get(names, cfgname) : NULL;
	if (!cfg)
		fatal("%s: manifest.json names no config that is in the archive", source);
	if (!json_is_array(json_object_get(json_array_get(dm, 0), "Layers")))
		fatal("%s: manifest.json has no Layers list", source);
	layers = json_array();
	if (!layers)
		fatal("out of memory");
	json_array_foreach(json_object_get(json_array_get(dm, 0), "Layers"), i, l) {
		json_t *m = json_is_string(l) ? json_object_get(names, json_string_value(l)) : NULL;
		const char *d;
		if (!m)
			fatal("%s: manifest.json's Layers[%zu] is not a file of the archive", source, i);
		d = json_string_value(json_object_get(m, "digest"));
		if (json_array_append_new(layers, json_pack("{s:s, s:s, s:O}", "mediaType",
		    gzipped(store, d) ? MT_LAYER_GZIP :
		    MT_LAYER, "digest", d, "size", json_object_get(m, "size"))) < 0)
			fatal("out of memory");
	}
	manifest = json_pack("{s:i, s:{s:s, s:s, s:O}, s:o}", "schemaVersion", 2, "config", "mediaType",
	                     MT_CONFIG, "digest",
	                     json_string_value(json_object_get(cfg, "digest")), "size",
	                     json_object_get(cfg, "size"), "layers", layers);
	if (!manifest)
		fatal("out of memory");
	json_decref(dm);
	json_decref(names);
	return manifest;
}

void
base_fromarchive(const char *file, const char *out, const char *store)
{
	char *source = xasprintf("docker-archive %s", file);
	json_t *manifest = base_archivemanifest(file, store, source);

	base_write(out, store, manifest, NULL, source);
	json_decref(manifest);
	free(source);
}

void
base_frompull(const char *ref, const char *platform, const char *out, const char *store)
{
	char *what = xasprintf("pull %s", ref), digest[72];
	json_t *manifest = registry_pull(ref, platform, store, what, digest);

	base_write(out, store, manifest, digest, what);
	json_decref(manifest);
	free(what);
}
