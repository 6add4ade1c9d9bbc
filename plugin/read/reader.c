/*
 * reader: an image to read, wherever it is: an OCI image layout (DIR, or
 * DIR:TAG), a docker-archive (a tar, as docker save or imagegen's archive
 * helper write it), a registry (HOST/REPO[:TAG][@DIGEST]), or an image
 * file of this build with its store (the report helper).
 *
 * Every source ends as a store (STORE/sha256/<hex>) and a list of
 * manifests, one a platform. A layout's blobs/ is a store already. A
 * docker-archive's members are copied into a private temporary store
 * (base.c), removed at exit. A registry's blobs are fetched into the
 * download folder's store, $IMAGEGEN_CACHE/blobs, each verified as it
 * arrives (registry.c).
 *
 * Nothing read is trusted: index.json, indexes, manifests and configs are
 * at most 4 MiB, must have the digest and size their descriptor gives, and
 * pass oci.c's checks before use; indexes nest at most 8 deep; a layer must
 * be a regular file of its descriptor's size (fstree.c verifies its digest
 * as it reads it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/digest.h"
#include "base/env.h"
#include "base/json.h"
#include "base/store.h"
#include "base/oci.h"
#include "net/registry.h"
#include "layer/facts.h"
#include "image/base.h"
#include "read/fstree.h"
#include "read/reader.h"

enum { LAYOUT, ARCHIVE, REGISTRY, BUILD };

/* the largest document (index.json, index, manifest, config) read */
enum { MAXDOC = 4 << 20 };

/* docker-archives' temporary stores, removed at exit */
static char *tmpstores[8];

static void
rmdirfiles(const char *dir)
{
	struct dirent *de;
	char *p;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void
rmstore(const char *store)
{
	char *p;

	p = xasprintf("%s/sha256", store);
	rmdirfiles(p);
	free(p);
	p = xasprintf("%s/tmp", store);
	rmdirfiles(p);
	free(p);
	rmdir(store);
}

static void
rmtmpstores(void)
{
	size_t i;

	for (i = 0; i < sizeof(tmpstores) / sizeof(tmpstores[0]); i++) {
		if (tmpstores[i])
			rmstore(tmpstores[i]);
	}
}

/* a private temporary store, removed at exit */
static char *
tmpstore(void)
{
	static int registered;
	const char *dir = getenv("TMPDIR");
	char *path = xasprintf("%s/imagegen-XXXXXX", dir && *dir ? dir : "/tmp");
	size_t i;

	if (!registered && atexit(rmtmpstores) != 0)
		fatal("atexit failed");
	registered = 1;
	if (!mkdtemp(path))
		fatal("mkdtemp %s:", path);
	for (i = 0; i < sizeof(tmpstores) / sizeof(tmpstores[0]) && tmpstores[i]; i++)
		;
	if (i == sizeof(tmpstores) / sizeof(tmpstores[0]))
		fatal("too many archives open");
	tmpstores[i] = xstrdup(path);
	return path;
}

/* open a blob or index.json: a regular file, not a link, fifo or device */
static int
openregular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* a document of at most MAXDOC bytes, of size bytes and digest when they are given */
static json_t *
readdoc(struct reader *r, const char *path, const char *digest, long long size, const char *what)
{
	struct buf b = {0};
	struct stat st;
	json_error_t err;
	char hex[65], chunk[1 << 16];
	ssize_t n;
	json_t *j;
	int fd;

	fd = openregular(path, &st);
	if (fd < 0)
		fatal("%s: %s: %s is %s", r->what, what, path, errno == ENOENT ? "missing" : "not a regular file");
	if (st.st_size > MAXDOC)
		fatal("%s: %s: %s is larger than %d bytes", r->what, what, path, MAXDOC);
	if (size >= 0 && st.st_size != size)
		fatal("%s: %s: %s has %lld bytes, its descriptor says %lld", r->what, what, path,
		      (long long)st.st_size, size);
	bufadd(&b, "", 0);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len <= MAXDOC)
		bufadd(&b, chunk, (size_t)n);
	close(fd);
	if (n < 0)
		fatal("%s: read %s:", r->what, path);
	if (b.len > MAXDOC || (size >= 0 && (long long)b.len != size))
		fatal("%s: %s: %s changed while it was read", r->what, what, path);
	if (digest) {
		sha256hex(b.data, b.len, hex);
		if (strcmp(hex, digest + 7) != 0)
			fatal("%s: %s: %s does not match its digest %s", r->what, what, path, digest);
	}
	j = json_loadb(b.data, b.len, 0, &err);
	free(b.data);
	if (!j)
		fatal("%s: %s: not JSON: %s", r->what, what, err.text);
	return j;
}

/* the document a checked descriptor names, from the store */
static json_t *
readblob(struct reader *r, json_t *desc, const char *what)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	char *path = store_path(r->store, digest);
	json_t *j = readdoc(r, path, digest, json_integer_value(json_object_get(desc, "size")), what);

	free(path);
	return j;
}

static void
addmanifest(struct reader *r, json_t *desc)
{
	if (json_array_size(r->manifests) >= 256)
		fatal("%s: more than 256 images in its indexes", r->what);
	if (json_array_append(r->manifests, desc) < 0)
		fatal("out of memory");
}

/* the manifests under a checked descriptor: itself, or its index's, flattened */
static void
walk(struct reader *r, json_t *desc, int depth)
{
	json_t *idx, *m;
	char why[256];
	size_t i;

	if (!oci_isindex(json_string_value(json_object_get(desc, "mediaType")))) {
		addmanifest(r, desc);
		return;
	}
	if (depth == 8)
		fatal("%s: image indexes nested more than 8 deep", r->what);
	if (r->kind == REGISTRY && depth > 0)
		fatal("%s: an index inside an index: not read from registries", r->what);
	idx = readblob(r, desc, "index");
	if (oci_checkindex(idx, why, sizeof(why)) < 0)
		fatal("%s: %s", r->what, why);
	json_array_foreach(json_object_get(idx, "manifests"), i, m)
		walk(r, m, depth + 1);
	json_decref(idx);
}

static const char *
refname(json_t *desc)
{
	return json_string_value(json_object_get(json_object_get(desc, "annotations"),
	                                         "org.opencontainers.image.ref.name"));
}

/* an OCI layout: the manifests tagged tag, or of its one image */
static void
openlayout(struct reader *r, const char *dir, const char *tag)
{
	char *path = xasprintf("%s/index.json", dir), why[256];
	json_t *index, *m, *pick = json_array();
	const char *first = NULL, *name;
	size_t i;

	r->store = xasprintf("%s/blobs", dir);
	index = readdoc(r, path, NULL, -1, "index.json");
	if (oci_checkindex(index, why, sizeof(why)) < 0)
		fatal("%s: index.json: %s", r->what, why);
	if (!pick)
		fatal("out of memory");
	json_array_foreach(json_object_get(index, "manifests"), i, m) {
		name = refname(m);
		/* an artifact (an SBOM) is no image of the layout */
		if (json_object_get(m, "artifactType") || (tag && (!name || strcmp(name, tag) != 0)))
			continue;
		if (!tag && first && name && strcmp(first, name) != 0)
			fatal("%s: holds the images '%s' and '%s': name one as %s:TAG", r->what, first, name, dir);
		if (name && !first)
			first = name;
		json_array_append(pick, m);
	}
	if (json_array_size(pick) == 0)
		fatal("%s: %s", r->what, tag ? "no image with that tag" : "index.json lists no image");
	if (json_array_size(pick) == 1)
		snprintf(r->top, sizeof(r->top), "%s", json_string_value(json_object_get(json_array_get(pick, 0), "digest")));
	json_array_foreach(pick, i, m)
		walk(r, m, 0);
	json_decref(pick);
	json_decref(index);
	free(path);
}

static void
openarchive(struct reader *r, const char *file)
{
	json_t *manifest, *desc;
	char *text;
	char digest[72];

	r->store = tmpstore();
	manifest = base_archivemanifest(file, r->store, r->what);
	text = dumpjson(manifest);
	store_put(r->store, text, strlen(text), digest);
	desc = json_pack("{s:s, s:s, s:I}", "mediaType", MT_MANIFEST, "digest", digest,
	                 "size", (json_int_t)strlen(text));
	if (!desc)
		fatal("out of memory");
	addmanifest(r, desc);
	json_decref(desc);
	json_decref(manifest);
	free(text);
}

static void
openregistry(struct reader *r)
{
	json_t *top, *desc;
	char err[1024], *path;
	struct stat st;

	r->store = xasprintf("%s/blobs", downloaddir());
	if (registry_fetch(r->ref, NULL, r->store, r->top, err, sizeof(err)) < 0)
		fatal("%s", err);
	path = store_path(r->store, r->top);
	if (stat(path, &st) < 0)
		fatal("%s: %s:", r->what, path);
	top = readdoc(r, path, r->top, st.st_size, "manifest");
	desc = json_pack("{s:s, s:s, s:I}", "mediaType", json_object_get(top, "manifests") ? MT_INDEX :
	                 MT_MANIFEST, "digest", r->top, "size", (json_int_t)st.st_size);
	if (!desc)
		fatal("out of memory");
	walk(r, desc, 0);
	json_decref(desc);
	json_decref(top);
	free(path);
}

static struct reader *
newreader(int kind, const char *what)
{
	struct reader *r = xcalloc(1, sizeof(*r));

	r->kind = kind;
	r->what = xstrdup(what);
	r->manifests = json_array();
	if (!r->manifests)
		fatal("out of memory");
	return r;
}

/* whether name starts with a registry host: a name with a '.' or ':', or localhost (as docker takes it) */
static int
registryname(const char *name)
{
	const char *slash = strchr(name, '/');
	size_t n = slash ? (size_t)(slash - name) : 0;

	return n > 0 && (memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && strncmp(name, "localhost", 9) == 0));
}

struct reader *
reader_open(const char *name)
{
	const char *colon = strrchr(name, ':');
	struct reader *r;
	struct stat st;
	char *dir, *what;

	if (stat(name, &st) == 0 && S_ISDIR(st.st_mode)) {
		what = xasprintf("oci layout %s", name);
		r = newreader(LAYOUT, what);
		openlayout(r, name, NULL);
	} else if (stat(name, &st) == 0 && S_ISREG(st.st_mode)) {
		what = xasprintf("docker-archive %s", name);
		r = newreader(ARCHIVE, what);
		openarchive(r, name);
	} else if (colon && (dir = xasprintf("%.*s", (int)(colon - name), name)) &&
	           (stat(dir, &st) == 0 ? S_ISDIR(st.st_mode) : (free(dir), 0))) {
		what = xasprintf("oci layout %s", name);
		r = newreader(LAYOUT, what);
		openlayout(r, dir, colon + 1);
		free(dir);
	} else if (registryname(name)) {
		what = xasprintf("%s", name);
		r = newreader(REGISTRY, what);
		r->ref = xstrdup(name);
		openregistry(r);
	} else {
		fatal("%s: no such OCI layout or docker-archive, and not a registry reference "
		      "(HOST/REPOSITORY[:TAG])", name);
	}
	free(what);
	return r;
}

struct reader *
reader_openbuild(const char *imagefile, const char *store)
{
	struct reader *r = newreader(BUILD, imagefile);
	json_t *img = readjson(imagefile), *desc;

	r->store = xstrdup(store);
	desc = json_deep_copy(json_object_get(img, "manifest"));
	if (!desc || json_object_set(desc, "platform", json_object_get(img, "platform")) < 0 ||
	    !store_validdigest(json_string_value(json_object_get(desc, "digest"))))
		fatal("%s: malformed image file", imagefile);
	snprintf(r->top, sizeof(r->top), "%s", json_string_value(json_object_get(desc, "digest")));
	addmanifest(r, desc);
	json_decref(desc);
	json_decref(img);
	return r;
}

static void
platformof(json_t *p, char out[200])
{
	const char *os = json_string_value(json_object_get(p, "os"));
	const char *arch = json_string_value(json_object_get(p, "architecture"));
	const char *variant = json_string_value(json_object_get(p, "variant"));
	char *a, *b, *c;

	*out = '\0';
	if (!os || !arch)
		return;
	a = utf8show(os, 1);
	b = utf8show(arch, 1);
	c = utf8show(variant ? variant : "", 1);
	snprintf(out, 200, "%.60s/%.60s%s%.60s", a, b, *c ? "/" : "", c);
	free(a);
	free(b);
	free(c);
}

const char *
reader_platform(struct reader *r, size_t i, char out[200])
{
	platformof(json_object_get(json_array_get(r->manifests, i), "platform"), out);
	return out;
}

/* the platforms of the reader, for a message: "linux/amd64, linux/arm64" */
static char *
platformlist(struct reader *r)
{
	struct buf b = {0};
	char p[200];
	size_t i;

	bufadd(&b, "", 0);
	for (i = 0; i < json_array_size(r->manifests); i++)
		bufprintf(&b, "%s%s", i ? ", " : "", *reader_platform(r, i, p) ? p : "unknown");
	return b.data;
}

/* whether have is the platform want: the same, or a variant of it when want names none */
static int
sameplatform(const char *want, const char *have)
{
	size_t n = strlen(want);

	return strcmp(want, have) == 0 ||
	       (strncmp(want, have, n) == 0 && have[n] == '/' && strchr(want, '/') == strrchr(want, '/'));
}

struct rimage *
reader_image(struct reader *r, const char *platform)
{
	struct rimage *img = xcalloc(1, sizeof(*img));
	json_t *desc = NULL, *diffids, *l;
	char p[200], want[200], why[256], err[1024], top[72], *list;
	size_t i, n = json_array_size(r->manifests);

	snprintf(want, sizeof(want), "%s", platform ? platform : "");
	if (n == 1 && !platform) {
		desc = json_array_get(r->manifests, 0);
	} else {
		if (!platform)
			snprintf(want, sizeof(want), "linux/%s", hostarch());
		for (i = 0; i < n && !desc; i++) {
			if (sameplatform(want, reader_platform(r, i, p)))
				desc = json_array_get(r->manifests, i);
		}
		/* one image whose index does not say: its config will */
		if (!desc && n == 1 && !*reader_platform(r, 0, p))
			desc = json_array_get(r->manifests, 0);
		if (!desc) {
			list = platformlist(r);
			fatal("%s: no image for platform %s (it has %s; choose with --platform)", r->what, want, list);
		}
	}
	snprintf(img->digest, sizeof(img->digest), "%s", r->kind == ARCHIVE ? "" :
	         json_string_value(json_object_get(desc, "digest")));
	if (r->kind == REGISTRY) {
		/* the platform's blobs, from the index or manifest read when opened */
		char *ref = strchr(strrchr(r->ref, '/'), '@') ? xstrdup(r->ref) : xasprintf("%s@%s", r->ref, r->top);
		platformof(json_object_get(desc, "platform"), p);
		if (registry_fetch(ref, *p ? p : *want ? want : "linux/any", r->store, top, err, sizeof(err)) < 0)
			fatal("%s", err);
		free(ref);
	}
	img->manifest = readblob(r, desc, "manifest");
	if (oci_checkmanifest(img->manifest, why, sizeof(why)) < 0)
		fatal("%s: %s", r->what, why);
	img->config = readblob(r, json_object_get(img->manifest, "config"), "config");
	n = json_array_size(json_object_get(img->manifest, "layers"));
	if (oci_checkconfig(img->config, n, why, sizeof(why)) < 0)
		fatal("%s: %s", r->what, why);
	snprintf(img->configdigest, sizeof(img->configdigest), "%s",
	         json_string_value(json_object_get(json_object_get(img->manifest, "config"), "digest")));
	platformof(img->config, img->platform);
	if (*want && !sameplatform(want, img->platform))
		fatal("%s: no image for platform %s (it has %s; choose with --platform)", r->what, want, img->platform);
	img->layers = xcalloc(n, sizeof(*img->layers));
	img->nlayers = n;
	diffids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
	json_array_foreach(json_object_get(img->manifest, "layers"), i, l) {
		snprintf(img->layers[i].digest, 72, "%s", json_string_value(json_object_get(l, "digest")));
		snprintf(img->layers[i].diffid, 72, "%s", json_string_value(json_array_get(diffids, i)));
		img->layers[i].mediatype = json_string_value(json_object_get(l, "mediaType"));
		img->layers[i].size = json_integer_value(json_object_get(l, "size"));
		if (strstr(img->layers[i].mediatype, "nondistributable") || strstr(img->layers[i].mediatype, "foreign"))
			fatal("%s: layer %s is non-distributable (%s): its bytes are not here", r->what,
			      img->layers[i].digest, img->layers[i].mediatype);
	}
	return img;
}

int
reader_openlayer(struct reader *r, const struct rimage *img, size_t i)
{
	char *path = store_path(r->store, img->layers[i].digest);
	struct stat st;
	int fd;

	fd = openregular(path, &st);
	if (fd < 0)
		fatal("%s: layer %s: %s is %s", r->what, img->layers[i].digest, path,
		      errno == ENOENT ? "missing" : "not a regular file");
	if (st.st_size != img->layers[i].size)
		fatal("%s: layer %s has %lld bytes, its descriptor says %lld", r->what, img->layers[i].digest,
		      (long long)st.st_size, img->layers[i].size);
	/* reads block from here on */
	if (fcntl(fd, F_SETFL, 0) < 0)
		fatal("%s: fcntl:", path);
	free(path);
	return fd;
}

void
reader_readlayer(struct reader *r, const struct rimage *img, size_t i, int (*keep)(const char *path),
                 long long maxkept, struct fslayer *l)
{
	char *what = xasprintf("%s: layer %zu (%s)", r->what, i + 1, img->layers[i].digest);
	struct layerfacts f;
	int done;

	/* a layer of this build: from its facts, where they have all that is asked */
	if (r->kind == BUILD && store_validdigest(img->layers[i].diffid) &&
	    facts_have(r->store, img->layers[i].diffid)) {
		facts_load(r->store, img->layers[i].diffid, img->layers[i].digest, what, &f);
		done = fstree_fromfacts(&f, keep, maxkept, what, l) == 0;
		facts_free(&f);
		if (done) {
			free(what);
			return;
		}
	}
	fstree_readlayer(reader_openlayer(r, img, i), img->layers[i].digest, img->layers[i].size, keep, maxkept,
	                 what, l);
	free(what);
}

void
reader_freeimage(struct rimage *img)
{
	if (!img)
		return;
	json_decref(img->manifest);
	json_decref(img->config);
	free(img->layers);
	free(img);
}

void
reader_free(struct reader *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < sizeof(tmpstores) / sizeof(tmpstores[0]); i++) {
		if (tmpstores[i] && strcmp(tmpstores[i], r->store) == 0) {
			rmstore(tmpstores[i]);
			free(tmpstores[i]);
			tmpstores[i] = NULL;
		}
	}
	json_decref(r->manifests);
	free(r->what);
	free(r->store);
	free(r->ref);
	free(r);
}
