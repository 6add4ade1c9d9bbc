/*
 * cache: a repository of an OCI registry as the build cache that every
 * machine of a fleet shares.
 *
 * The generator writes .imagegen/cache.json (beside the store) when the
 * build has a cache: {"repo": "host[:port]/repository", "push": bool}.
 * An edge that can take what it makes from the cache first works out its
 * key, the sha256 of everything that decides the bytes it makes, after
 * "imagegen cache 1", this imagegen's version and its compressors':
 *   a layer of project files  the sha256 of its canonical tar (its diff_id,
 *                             worked out here without compressing), and
 *                             the compression and level
 *   a layer of packages alone each package's sha256, name and /usr layout,
 *                             the epoch, compression and level: known
 *                             without the .debs
 *   outputs (imagegen cached) what the spec says decides them (a command's
 *                             run, platform, and input and output names),
 *                             and the sha256 of each input
 *   a step (imagegen step) what the step's spec says decides them (its
 *                             run, input and output names, network,
 *                             platform), its image's manifest digest (in
 *                             an image) or the machine (on it), and the
 *                             sha256 of each input (of a folder's manifest
 *                             for a folder)
 * and asks the repository for the manifest tagged with the key's 64 hex
 * digits: the entry. An entry is an OCI artifact manifest (artifactType
 * MT_CACHE_LAYER, MT_CACHE_OUTPUTS or MT_CACHE_STEP, the empty config,
 * annotated with its key) whose layers are what the edge made:
 *   a layer    the layer blob, annotated imagegen.diffid; for packages,
 *              then their sidecar (MT_DPKG; MT_APK for an apk package's)
 *   outputs    each output file, annotated imagegen.output (its index) and
 *              imagegen.mode; then the store blobs the spec's record lists
 *   a step     each output, annotated imagegen.output: a file as for
 *              outputs; a folder as the canonical gzip layer of it (a tree
 *              of it at the top), made anew from it on a hit
 *
 * An entry is a claim. A layer hit takes the entry's descriptor without
 * the blob, once its diff_id is the one worked out here (a layer of files),
 * and leaves a hint, .imagegen/cache/blob/HEX.json: where the blob is and
 * how to make it here. The blob is downloaded when a helper needs its
 * bytes (layout, archive, report, SBOM: cache_ready) and verified by its
 * digest, size and diff_id. Where the cache cannot give it, the layer is
 * made here from its spec, the same bytes; where it gives other content,
 * or the layer made here is another blob, the entry lied: one warning, and
 * the image files that took its word are made again (the hint says
 * "made"). A push mounts a blob the hint places on the same registry
 * (cache_mountfrom): an image the cache had goes up without its layers
 * being downloaded.
 *
 * The cache never fails a build. A registry that cannot be asked (no
 * answer within IMAGEGEN_CACHE_TIMEOUT seconds, a refusal) is one warning
 * line, by whichever edge meets it first: it makes .imagegen/cache/
 * unreachable, and every edge goes on without the cache for RETRY seconds;
 * one that takes no upload likewise (.imagegen/cache/readonly).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <jansson.h>
#include <libdeflate.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/env.h"
#include "base/json.h"
#include "base/spec.h"
#include "base/arc.h"
#include "base/store.h"
#include "base/oci.h"
#include "base/zst.h"
#include "net/registry.h"
#include "net/fetchall.h"
#include "layer/sink.h"
#include "layer/layer.h"
#include "layer/pkglayer.h"
#include "layer/nodes.h"
#include "layer/unpack.h"
#include "image/image.h"
#include "cache/cache.h"


enum {
	/* how long a registry that failed is left alone, seconds */
	RETRY = 300,
	/* the default of IMAGEGEN_CACHE_TIMEOUT, seconds */
	TIMEOUT = 10,
	/* the largest sidecar (dpkg or apk) taken, read whole into memory */
	SIDECARMAX = 64 << 20,
};

/* the build's cache, as cache.json says */
struct conf {
	char *repo;
	int push;
	/* "the build cache HOST/REPO", for messages */
	char *what;
};

/* a string member, "" when absent */
static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static const char *
annotation(json_t *o, const char *key)
{
	return str(json_object_get(o, "annotations"), key);
}

/* a path beside the store: "NAME" in ".imagegen" for ".imagegen/blobs" (free it) */
static char *
statepath(const char *store, const char *name)
{
	const char *slash = strrchr(store, '/');

	if (!slash)
		return xstrdup(name);
	return xasprintf("%.*s/%s", (int)(slash - store), store, name);
}

/* the build's cache, read once; NULL when it has none */
static const struct conf *
getconf(const char *store)
{
	static struct conf c;
	static int read;
	char *path;
	json_t *j;

	if (read)
		return c.repo ? &c : NULL;
	read = 1;
	path = statepath(store, "cache.json");
	if (access(path, F_OK) == 0) {
		j = readjson(path);
		if (*str(j, "repo")) {
			c.repo = xstrdup(str(j, "repo"));
			c.push = json_is_true(json_object_get(j, "push"));
			c.what = xasprintf("the build cache %s", c.repo);
		}
		json_decref(j);
	}
	free(path);
	return c.repo ? &c : NULL;
}

static long
timeoutsecs(void)
{
	const char *e = getenv("IMAGEGEN_CACHE_TIMEOUT");
	char *end;
	long n;

	if (!e || !*e)
		return TIMEOUT;
	n = strtol(e, &end, 10);
	if (*end || n < 1)
		fatal("IMAGEGEN_CACHE_TIMEOUT='%s' is not a number of seconds", e);
	return n;
}

/* whether the marker name was made in the last RETRY seconds */
static int
marked(const char *store, const char *name)
{
	char *path = statepath(store, name);
	struct stat st;
	int fresh = stat(path, &st) == 0 && time(NULL) - st.st_mtime < RETRY;

	free(path);
	return fresh;
}

/* make the marker name; whoever makes it says why, so a build says it once */
static void
mark(const char *store, const char *name, const char *fmt, ...)
{
	char *path = statepath(store, name), why[1200];
	struct stat st;
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* one left from an earlier build goes; one made a moment ago by another edge stays */
	if (stat(path, &st) == 0 && time(NULL) - st.st_mtime >= RETRY)
		unlink(path);
	if (mkparent(path) < 0) {
		warn("%s", why);
	} else if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) >= 0) {
		if (write(fd, why, strlen(why)) < 0 || close(fd) < 0)
			warn("write %s:", path);
		warn("%s", why);
	} else if (errno != EEXIST) {
		warn("%s", why);
	}
	free(path);
}

static void
unreachable(const char *store, struct client *cl)
{
	mark(store, "cache/unreachable", "warning: %s; building without it", registry_err(cl));
}

/* a client of the cache; NULL when it failed a moment ago (to push: or took no upload) */
static struct client *
opencache(const struct conf *c, const char *store, int push)
{
	struct client *cl;
	char err[1024];

	if (marked(store, "cache/unreachable") || (push && marked(store, "cache/readonly")))
		return NULL;
	cl = registry_open(c->repo, c->what, push, timeoutsecs(), timeoutsecs(), err, sizeof(err));
	if (!cl)
		mark(store, "cache/unreachable", "warning: %s; building without it", err);
	return cl;
}

/* the key of what decides the bytes */
static void
keyof(const struct buf *what, char key[65])
{
	struct buf b = {0};

	bufprintf(&b, "imagegen cache 1\nimagegen %s libdeflate %s zstd %s\n", VERSION, LIBDEFLATE_VERSION_STRING,
	          ZSTD_versionString());
	bufadd(&b, what->data, what->len);
	sha256hex(b.data, b.len, key);
	free(b.data);
}

/* whether m is an entry of type for key, every blob well described; why not in why */
static int
checkentry(json_t *m, const char *key, const char *type, char *why, size_t len)
{
	json_t *layers = json_object_get(m, "layers"), *l;
	size_t i;

	if (json_integer_value(json_object_get(m, "schemaVersion")) != 2 || strcmp(str(m, "mediaType"), MT_MANIFEST) != 0 ||
	    strcmp(str(m, "artifactType"), type) != 0) {
		snprintf(why, len, "not an imagegen cache entry of type %s", type);
		return -1;
	}
	if (strcmp(annotation(m, "imagegen.cache.key"), key) != 0) {
		snprintf(why, len, "made for another key");
		return -1;
	}
	if (!json_is_array(layers) || json_array_size(layers) < 1) {
		snprintf(why, len, "no blobs");
		return -1;
	}
	json_array_foreach(layers, i, l) {
		if (oci_checkdescriptor(l, "a blob", why, len) < 0)
			return -1;
	}
	return 0;
}

/* the entry tagged key, checked: NULL on a miss, and when the cache cannot be asked (then marked) */
static json_t *
lookup(struct client *cl, const char *store, const char *key, const char *type, const char *name)
{
	struct buf body = {0};
	char why[256];
	json_t *m = NULL;
	int r = registry_gettag(cl, key, &body);

	if (r < 0)
		unreachable(store, cl);
	if (r == 1) {
		m = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
		if (!m)
			snprintf(why, sizeof(why), "not JSON");
		if (!m || checkentry(m, key, type, why, sizeof(why)) < 0) {
			warn("warning: %s: the build cache's entry %s is malformed (%s); making it here", name, key, why);
			json_decref(m);
			m = NULL;
		}
	}
	free(body.data);
	return m;
}

/* a file into the store: its digest and size */
static int
storefile(const char *store, const char *path, char digest[72], long long *size)
{
	char chunk[1 << 16], *tmp;
	struct sha256 *ctx;
	ssize_t n;
	int in, out;

	in = open(path, O_RDONLY);
	if (in < 0)
		return -1;
	out = store_tmp(store, &tmp);
	ctx = sha256new();
	*size = 0;
	while ((n = read(in, chunk, sizeof(chunk))) > 0) {
		sha256add(ctx, chunk, (size_t)n);
		if (write(out, chunk, (size_t)n) != n)
			fatal("write %s:", tmp);
		*size += n;
	}
	if (n < 0)
		fatal("read %s:", path);
	close(in);
	if (close(out) < 0)
		fatal("write %s:", tmp);
	memcpy(digest, "sha256:", 7);
	sha256done(ctx, digest + 7);
	store_commit(store, tmp, digest);
	free(tmp);
	return 0;
}

/* put an entry of type under key, its blobs (in the store) first; a
   registry that takes no upload is marked */
static void
putentry(struct client *cl, const char *store, const char *key, const char *type, json_t *layers)
{
	char empty[72], *text, *record = xasprintf("%s/pushed", downloaddir());
	json_t *m, *l;
	size_t i;
	int ret;

	store_put(store, "{}", 2, empty);
	/* a blob may be large: it has the environment's time, but the cache's
	   patience with a stall; and a push of this machine's to the registry
	   mounts it from the cache, as from any repository it pushed it to */
	registry_limits(cl, 0, timeoutsecs());
	ret = registry_putblob(cl, store, empty, 2, record, NULL);
	json_array_foreach(layers, i, l) {
		if (ret >= 0)
			ret = registry_putblob(cl, store, str(l, "digest"), json_integer_value(json_object_get(l, "size")),
			                       record, NULL);
	}
	registry_limits(cl, timeoutsecs(), timeoutsecs());
	m = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:i}, s:O, s:{s:s}}", "schemaVersion", 2, "mediaType", MT_MANIFEST,
	              "artifactType", type, "config", "mediaType", MT_EMPTY, "digest", empty, "size", 2, "layers", layers,
	              "annotations", "imagegen.cache.key", key);
	if (!m)
		fatal("out of memory");
	text = dumpjson(m);
	if (ret >= 0)
		ret = registry_putmanifest(cl, text, strlen(text), MT_MANIFEST, key, NULL);
	if (ret < 0)
		mark(store, "cache/readonly", "warning: %s; not uploading to it", registry_err(cl));
	free(record);
	free(text);
	json_decref(m);
}

/* the media type of a packages layer's sidecar in an entry, by its kind (pkglayer_sidecar) */
static const char *
sidecartype(const char *kind)
{
	return strcmp(kind, "apk") == 0 ? MT_APK : MT_DPKG;
}

/* the key of a layer: of its tar (diffid) and compression, or of its packages */
static void
layerkey(const struct layerbuild *l, const char *diffid, char key[65])
{
	struct buf b = {0};

	if (diffid)
		bufprintf(&b, "layer %s %d\ntar %s\n", str(l->spec, "compression"), l->level, diffid);
	else
		bufprintf(&b, "layer packages %s\n", l->key);
	keyof(&b, key);
	free(b.data);
}

/* the hint of what a layer hit claimed: that the blob digest holds the
   tar of diff_id diffid (NULL: any claim of the blob, or NULL if none; free it) */
static char *
hintpath(const char *store, const char *digest, const char *diffid)
{
	char *dir = statepath(store, "cache/blob"), *path = NULL, *prefix;
	struct dirent *de;
	DIR *d;

	if (diffid) {
		path = xasprintf("%s/%s-%s.json", dir, digest + 7, diffid + 7);
	} else if ((d = opendir(dir))) {
		prefix = xasprintf("%s-", digest + 7);
		while (!path && (de = readdir(d))) {
			if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
				path = xasprintf("%s/%s", dir, de->d_name);
		}
		closedir(d);
		free(prefix);
	}
	free(dir);
	return path;
}

static json_t *
readhint(const char *path)
{
	struct buf b = {0};
	json_t *h = NULL;

	if (path && readall(path, &b) == 0)
		h = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
	free(b.data);
	return h;
}

static void
writehint(const char *path, json_t *h)
{
	char *text = dumpjson(h);

	xreplacefile(path, text, strlen(text));
	free(text);
}

/* a blob of an entry into the store: 0; -1 when the cache cannot be
   asked (then marked), -2 when the blob is missing or other bytes */
static int
entryblob(struct client *cl, const char *store, json_t *d, const char *name, const char *key)
{
	int r;

	registry_limits(cl, 0, timeoutsecs());
	r = registry_getblob(cl, store, str(d, "digest"), json_integer_value(json_object_get(d, "size")));
	registry_limits(cl, timeoutsecs(), timeoutsecs());
	if (r == -1)
		unreachable(store, cl);
	if (r == -2)
		warn("warning: %s: the build cache's entry %s is wrong (%s); making it here", name, key, registry_err(cl));
	return r;
}

/* the layer from the cache (diffid: of its tar; NULL: of its packages): on a
   hit its descriptor is written (and for packages their sidecar and the
   depfile), its blob left where it is: 1 */
static int
layerget(const struct layerbuild *l, const char *diffid)
{
	const struct conf *conf = getconf(l->store);
	struct client *cl;
	struct buf b = {0};
	json_t *m, *blob, *side, *h = NULL;
	const char *digest, *claimed, *kind;
	char key[65], *path, *sidepath = NULL, *hp = NULL;
	int hit = 0;

	if (!conf || !(cl = opencache(conf, l->store, 0)))
		return 0;
	layerkey(l, diffid, key);
	m = lookup(cl, l->store, key, MT_CACHE_LAYER, l->name);
	if (!m)
		goto out;
	blob = json_array_get(json_object_get(m, "layers"), 0);
	digest = str(blob, "digest");
	claimed = annotation(blob, "imagegen.diffid");
	if (strcmp(str(blob, "mediaType"), sink_mediatype(l->comp)) != 0 || !store_validdigest(claimed) ||
	    (diffid && strcmp(claimed, diffid) != 0)) {
		warn("warning: %s: the build cache's entry %s is not of this layer; making it here", l->name, key);
		goto out;
	}
	/* an entry caught lying before (and said so then) */
	hp = hintpath(l->store, digest, claimed);
	h = readhint(hp);
	if (*str(h, "made"))
		goto out;
	json_decref(h);
	h = NULL;
	if (!diffid) {
		/* packages: their sidecar, which the image's dpkg (or apk) layer reads */
		sidepath = pkglayer_sidecar(l->spec, l->descpath, &kind);
		side = json_array_get(json_object_get(m, "layers"), 1);
		if (strcmp(str(side, "mediaType"), sidecartype(kind)) != 0 ||
		    json_integer_value(json_object_get(side, "size")) > SIDECARMAX) {
			warn("warning: %s: the build cache's entry %s has no %s sidecar; making it here", l->name, key, kind);
			goto out;
		}
		if (entryblob(cl, l->store, side, l->name, key) < 0)
			goto out;
		path = store_path(l->store, str(side, "digest"));
		if (readall(path, &b) < 0)
			fatal("read %s:", path);
		free(path);
		updatefile(sidepath, b.data ? b.data : "", b.len);
		b.len = 0;
		bufprintf(&b, "%s:\n", l->descpath);
		xreplacefile(l->deppath, b.data, b.len);
	}
	h = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:s}", "repo", conf->repo, "key", key, "name",
	              l->name, "spec", l->specpath, "desc", l->descpath, "dep", l->deppath, "mediaType",
	              str(blob, "mediaType"), "digest", digest, "size", json_object_get(blob, "size"), "diffid", claimed);
	if (!h)
		fatal("out of memory");
	writehint(hp, h);
	layer_describe(l->descpath, l->comp, l->level, digest, json_integer_value(json_object_get(blob, "size")),
	              claimed);
	hit = 1;
out:
	free(b.data);
	free(sidepath);
	free(hp);
	json_decref(h);
	json_decref(m);
	registry_close(cl);
	return hit;
}

/* a layer written here (its descriptor is): with --cache-push, into the cache */
static void
layerput(const struct layerbuild *l, const char *diffid)
{
	const struct conf *conf = getconf(l->store);
	struct client *cl;
	json_t *desc, *layers;
	char key[65], digest[72], *side;
	const char *kind;
	long long size;

	if (!conf || !conf->push || !(cl = opencache(conf, l->store, 1)))
		return;
	layerkey(l, diffid, key);
	desc = readjson(l->descpath);
	layers = json_pack("[{s:O, s:O, s:O, s:{s:O}}]", "mediaType", json_object_get(desc, "mediaType"), "digest",
	                   json_object_get(desc, "digest"), "size", json_object_get(desc, "size"), "annotations",
	                   "imagegen.diffid", json_object_get(desc, "diffid"));
	if (!layers)
		fatal("%s: malformed descriptor", l->descpath);
	if (!diffid) {
		side = pkglayer_sidecar(l->spec, l->descpath, &kind);
		if (storefile(l->store, side, digest, &size) < 0)
			fatal("read %s:", side);
		if (json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType", sidecartype(kind), "digest",
		                                            digest, "size", (json_int_t)size)) < 0)
			fatal("out of memory");
		free(side);
	}
	putentry(cl, l->store, key, MT_CACHE_LAYER, layers);
	json_decref(layers);
	json_decref(desc);
	registry_close(cl);
}

/* a layer edge: from the build cache where it has the layer (lookup),
   else made here and, with --cache-push, put there */
static void
layeredge(const char *spec, const char *desc, const char *dep, const char *store, int lookup)
{
	struct layerbuild *l;
	char diffid[72];

	if (!getconf(store) || marked(store, "cache/unreachable")) {
		layer_build(spec, desc, dep, store);
		return;
	}
	l = layer_open(spec, desc, dep, store);
	if (layer_takekept(l)) {
		layerput(l, NULL);
		goto done;
	}
	/* a layer of packages alone: known by its spec, the .debs never read */
	if (lookup && l->kind == LAYER_PACKAGES && layerget(l, NULL))
		goto done;
	layer_collect(l);
	/* a layer of files: known by its tar, hashed without compressing it */
	if (l->kind == LAYER_FILES) {
		layer_diffid(l, diffid);
		if (lookup && layerget(l, diffid)) {
			layer_writedeps(l);
			goto done;
		}
	}
	layer_write(l);
	if (l->kind != LAYER_MIXED)
		layerput(l, l->kind == LAYER_FILES ? diffid : NULL);
done:
	layer_close(l);
}

void
cache_layer(const char *spec, const char *desc, const char *dep, const char *store)
{
	layeredge(spec, desc, dep, store, 1);
}

/* whether a layer blob's uncompressed bytes have the sha256 diffid */
static int
diffidok(const char *store, const char *digest, const char *mt, const char *diffid)
{
	char *path = store_path(store, digest), chunk[1 << 16], hex[65];
	struct archive *a;
	struct archive_entry *e;
	struct sha256 *ctx;
	la_ssize_t n;
	int ok = 0;

	if (strcmp(mt, MT_LAYER) == 0) {
		free(path);
		return strcmp(digest, diffid) == 0;
	}
	a = archive_read_new();
	if (!a)
		fatal("out of memory");
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	ctx = sha256new();
	if (archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			sha256add(ctx, chunk, (size_t)n);
		ok = n == 0;
	}
	sha256done(ctx, hex);
	archive_read_free(a);
	free(path);
	return ok && strcmp(hex, diffid + 7) == 0;
}

int
cache_blob(const char *store, const char *digest, const char *diffid)
{
	const struct conf *conf;
	struct client *cl = NULL;
	json_t *h = NULL, *desc;
	const char *made;
	char *path = store_path(store, digest), *hp = hintpath(store, digest, diffid);
	int there = access(path, F_OK) == 0, fd = -1, r = -1, ret = there ? 0 : -1;

	/* no claim of the cache's: the blob is there or not */
	if (!hp || (fd = open(hp, O_RDONLY)) < 0)
		goto out;
	/* one download, or one maker, of a claim at a time */
	if (flock(fd, LOCK_EX) < 0)
		fatal("lock %s:", hp);
	there = access(path, F_OK) == 0;
	ret = there ? 0 : -1;
	h = readhint(hp);
	if (!h)
		goto out;
	if (*str(h, "made")) {
		ret = -2;
		goto out;
	}
	/* the bytes alone (a push), or a claim checked already */
	if (there && (!diffid || json_is_true(json_object_get(h, "checked"))))
		goto out;
	conf = getconf(store);
	if (!there && conf && (cl = opencache(conf, store, 0)))
		there = (r = entryblob(cl, store, h, str(h, "name"), str(h, "key"))) == 0;
	if (there && diffidok(store, digest, str(h, "mediaType"), str(h, "diffid"))) {
		if (json_object_set_new(h, "checked", json_true()) < 0)
			fatal("out of memory");
		writehint(hp, h);
		ret = 0;
		goto out;
	}
	if (there) {
		warn("warning: %s: the build cache's entry %s names %s, which holds another layer; making it here",
		     str(h, "name"), str(h, "key"), digest);
		r = -2;
	}
	/* made here from its spec: the same bytes, unless the entry lied */
	layeredge(str(h, "spec"), str(h, "desc"), str(h, "dep"), store, 0);
	desc = readjson(str(h, "desc"));
	made = str(desc, "digest");
	if (strcmp(made, digest) == 0 && strcmp(str(desc, "diffid"), str(h, "diffid")) == 0) {
		ret = 0;
	} else {
		if (r != -2)
			warn("warning: %s: made here it is %s, not the %s its build cache entry %s claims; the images "
			     "with it are made again", str(h, "name"), made, digest, str(h, "key"));
		if (json_object_set_new(h, "made", json_string(made)) < 0)
			fatal("out of memory");
		writehint(hp, h);
		ret = -2;
	}
	json_decref(desc);
out:
	if (fd >= 0)
		close(fd);
	registry_close(cl);
	json_decref(h);
	free(hp);
	free(path);
	return ret;
}

/* an image file (or index file) made again from its spec, its graph base's first */
static void
remake(const char *image, const char *store, int depth)
{
	json_t *img = readjson(image), *files = json_object_get(img, "files"), *spec, *base, *f;
	char **paths;
	size_t i, n;

	if (depth > 64)
		fatal("%s: image files nested more than 64 deep", image);
	if (json_is_array(files)) {
		n = json_array_size(files);
		paths = xcalloc(n ? n : 1, sizeof(*paths));
		json_array_foreach(files, i, f) {
			paths[i] = xstrdup(json_string_value(f) ? json_string_value(f) : "");
			remake(paths[i], store, depth + 1);
		}
		image_index(image, store, paths, (int)n);
		for (i = 0; i < n; i++)
			free(paths[i]);
		free(paths);
	} else if (*str(img, "spec")) {
		spec = readjson(str(img, "spec"));
		if (*str(spec, "base")) {
			base = readjson(str(spec, "base"));
			if (*str(base, "spec") || json_is_array(json_object_get(base, "files")))
				remake(str(spec, "base"), store, depth + 1);
			json_decref(base);
		}
		image_build(str(img, "spec"), image, store);
		json_decref(spec);
	}
	json_decref(img);
}

void
cache_ready(const char *image, const char *store)
{
	json_t *img, *images, *one, *l;
	size_t i, j, n;
	int round, lied;

	for (round = 0;; round++) {
		img = readjson(image);
		images = json_object_get(img, "images");
		n = json_is_array(images) ? json_array_size(images) : 1;
		lied = 0;
		for (i = 0; i < n; i++) {
			one = json_is_array(images) ? json_array_get(images, i) : img;
			json_array_foreach(json_object_get(one, "layers"), j, l) {
				if (store_validdigest(str(l, "digest")) && store_validdigest(str(l, "diffid")) &&
				    cache_blob(store, str(l, "digest"), str(l, "diffid")) == -2)
					lied = 1;
			}
		}
		json_decref(img);
		if (!lied || round == 2)
			return;
		remake(image, store, 0);
	}
}

char *
cache_mountfrom(const char *store, const char *host, const char *digest, const char *repo)
{
	char *hp = hintpath(store, digest, NULL);
	json_t *h = readhint(hp);
	const char *r = str(h, "repo"), *slash = strchr(r, '/');
	size_t n = strlen(host);
	char *from = NULL;

	if (slash && (size_t)(slash - r) == n && strncmp(r, host, n) == 0 && strcmp(slash + 1, repo) != 0 &&
	    !*str(h, "made"))
		from = xstrdup(slash + 1);
	json_decref(h);
	free(hp);
	return from;
}

/* copy a blob of the store to path with mode, unless it holds those bytes already */
static void
place(const char *store, const char *digest, const char *path, unsigned mode)
{
	char *src = store_path(store, digest), *tmp, chunk[1 << 16];
	struct stat st;
	ssize_t n;
	int in, out;

	if (stat(path, &st) == 0 && (st.st_mode & 07777) == mode && sha256verify(path, digest + 7) == 0) {
		if (makemode && utimensat(AT_FDCWD, path, NULL, 0) < 0)
			fatal("touch %s:", path);
		free(src);
		return;
	}
	if (mkparent(path) < 0)
		fatal("mkdir for %s:", path);
	tmp = tmpname(path);
	in = open(src, O_RDONLY);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in < 0 || out < 0)
		fatal("copy %s to %s:", src, tmp);
	removeonfatal(tmp);
	while ((n = read(in, chunk, sizeof(chunk))) > 0) {
		if (write(out, chunk, (size_t)n) != n)
			fatal("write %s:", tmp);
	}
	if (n < 0 || fchmod(out, mode) < 0 || close(out) < 0 || rename(tmp, path) < 0)
		fatal("write %s:", path);
	removeonfatal(NULL);
	close(in);
	free(tmp);
	free(src);
}

/* the spec's outputs, and the store blobs its record lists, from an entry: 0, or -1 (then they are made) */
static int
restore(struct client *cl, const char *store, json_t *spec, json_t *m, const char *key)
{
	json_t *outputs = json_object_get(spec, "outputs"), *layers = json_object_get(m, "layers"), *l, *rec, *d;
	const char *name = str(spec, "name");
	char index[32], *path;
	size_t i, j, n = json_array_size(outputs);
	int ret = 0;

	json_array_foreach(layers, i, l) {
		snprintf(index, sizeof(index), "%zu", i);
		if (i < n && (strcmp(annotation(l, "imagegen.output"), index) != 0 ||
		    (strcmp(annotation(l, "imagegen.mode"), "0755") != 0 && strcmp(annotation(l, "imagegen.mode"), "0644") != 0))) {
			warn("warning: %s: the build cache's entry %s is malformed (output %zu); making it here", name, key, i);
			return -1;
		}
	}
	if (json_array_size(layers) < n) {
		warn("warning: %s: the build cache's entry %s has %zu outputs, not %zu; making them here", name, key,
		     json_array_size(layers), n);
		return -1;
	}
	json_array_foreach(layers, i, l) {
		if (entryblob(cl, store, l, name, key) < 0)
			return -1;
	}
	/* a record's blobs must all have come with it */
	if (*str(spec, "record")) {
		for (i = 0; i < n; i++) {
			if (strcmp(json_string_value(json_array_get(outputs, i)), str(spec, "record")) != 0)
				continue;
			path = store_path(store, str(json_array_get(layers, i), "digest"));
			rec = readjson(path);
			free(path);
			json_array_foreach(json_object_get(rec, "blobs"), j, d) {
				if (!store_validdigest(json_string_value(d) ? json_string_value(d) : "") ||
				    cache_blob(store, json_string_value(d), NULL) != 0)
					ret = -1;
			}
			json_decref(rec);
			if (ret < 0) {
				warn("warning: %s: the build cache's entry %s lacks blobs its record lists; making it here", name, key);
				return -1;
			}
			break;
		}
	}
	json_array_foreach(layers, i, l) {
		if (i < n)
			place(store, str(l, "digest"), json_string_value(json_array_get(outputs, i)),
			      strcmp(annotation(l, "imagegen.mode"), "0755") == 0 ? 0755 : 0644);
	}
	return 0;
}

/* the outputs of a spec just made (and the store blobs its record lists), into the cache */
static void
putoutputs(const struct conf *conf, const char *store, json_t *spec, const char *key)
{
	json_t *layers = json_array(), *o, *rec = NULL, *d;
	struct client *cl;
	struct stat st;
	char digest[72], index[32];
	long long size;
	size_t i;

	if (!layers)
		fatal("out of memory");
	json_array_foreach(json_object_get(spec, "outputs"), i, o) {
		if (stat(json_string_value(o), &st) < 0 || storefile(store, json_string_value(o), digest, &size) < 0)
			goto out;
		snprintf(index, sizeof(index), "%zu", i);
		if (json_array_append_new(layers, json_pack("{s:s, s:s, s:I, s:{s:s, s:s}}", "mediaType", MT_FILE, "digest",
		    digest, "size", (json_int_t)size, "annotations", "imagegen.output", index, "imagegen.mode",
		    (st.st_mode & 0111) ? "0755" : "0644")) < 0)
			fatal("out of memory");
	}
	if (*str(spec, "record")) {
		rec = readjson(str(spec, "record"));
		json_array_foreach(json_object_get(rec, "blobs"), i, d) {
			char *path;
			if (!store_validdigest(json_string_value(d) ? json_string_value(d) : ""))
				goto out;
			path = store_path(store, json_string_value(d));
			if (stat(path, &st) < 0)
				fatal("blob %s is missing from the store %s:", json_string_value(d), store);
			free(path);
			if (json_array_append_new(layers, json_pack("{s:s, s:O, s:I, s:{s:s}}", "mediaType", MT_FILE, "digest",
			    d, "size", (json_int_t)st.st_size, "annotations", "imagegen.blob", "record")) < 0)
				fatal("out of memory");
		}
	}
	cl = opencache(conf, store, 1);
	if (cl)
		putentry(cl, store, key, MT_CACHE_OUTPUTS, layers);
	registry_close(cl);
out:
	json_decref(rec);
	json_decref(layers);
}

/* run argv, and wait: its exit status (128 + the signal that ended it) */
static int
run(char *const argv[])
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		fatal("fork:");
	if (pid == 0) {
		execvp(argv[0], argv);
		warn("run %s:", argv[0]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			fatal("wait:");
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int
cache_run(const char *specpath, const char *store, char *const argv[])
{
	const struct conf *conf = getconf(store);
	struct client *cl = NULL;
	struct buf what = {0};
	json_t *spec = readspec(specpath), *m = NULL, *f;
	char key[65], hex[65];
	size_t i;
	int status, keyed = conf != NULL;

	if (!json_is_array(json_object_get(spec, "outputs")) || !json_is_string(json_object_get(spec, "key")))
		fatal("%s: malformed spec", specpath);
	bufprintf(&what, "outputs\n%s\n", str(spec, "key"));
	json_array_foreach(json_object_get(spec, "outputs"), i, f)
		bufprintf(&what, "out %s\n", json_string_value(f) ? json_string_value(f) : "");
	/* an input that cannot be read: no key, and the command says what is wrong */
	json_array_foreach(json_object_get(spec, "inputs"), i, f) {
		if (keyed && sha256file(json_string_value(f) ? json_string_value(f) : "", hex) < 0)
			keyed = 0;
		if (keyed)
			bufprintf(&what, "in %s\n", hex);
	}
	keyof(&what, key);
	if (keyed && (cl = opencache(conf, store, 0)) && (m = lookup(cl, store, key, MT_CACHE_OUTPUTS, str(spec, "name"))) &&
	    restore(cl, store, spec, m, key) == 0) {
		status = 0;
		goto out;
	}
	/* the .debs of a layer of packages, together over a few kept connections */
	if (json_array_size(json_object_get(spec, "fetch")) > 0)
		fetch_all(json_object_get(spec, "fetch"), specpath);
	status = run(argv);
	if (status == 0 && keyed && conf->push)
		putoutputs(conf, store, spec, key);
out:
	registry_close(cl);
	json_decref(m);
	json_decref(spec);
	free(what.data);
	return status;
}

/* the canonical layer of a step's folder path into the store: its descriptor (json_decref it) */
static json_t *
folderblob(const char *store, const char *path, const char *name, const char *ctx, const char *key, size_t i)
{
	char *dir = statepath(store, "cache"), *spec, *desc, *dep, *text;
	json_t *s, *d;
	int saved = makemode;

	spec = xasprintf("%s/folder-%.16s-%zu.json", dir, key, i);
	free(dir);
	/* the whole folder: a .imagegenignore in it is one of its files (noignore) */
	s = json_pack("{s:s, s:i, s:s, s:i, s:[{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:b}]}", "name", name, "epoch", 0,
	              "compression", "gzip", "level", 6, "entries", "ctx", ctx, "path", "", "type", "tree", "src", path,
	              "srcname", name, "uid", 0, "gid", 0, "noignore", 1);
	if (!s || !(text = dumpjson(s)))
		fatal("out of memory");
	desc = xasprintf("%s.desc", spec);
	dep = xasprintf("%s.d", spec);
	if (mkparent(spec) < 0)
		fatal("mkdir for %s:", spec);
	xreplacefile(spec, text, strlen(text));
	/* (the layer helper's make mode would report it) */
	makemode = 0;
	layer_build(spec, desc, dep, store);
	makemode = saved;
	d = readjson(desc);
	unlink(spec);
	unlink(desc);
	unlink(dep);
	free(text);
	free(desc);
	free(dep);
	free(spec);
	json_decref(s);
	return d;
}

/* the key of a step's entry */
static void
stepkey(const char *what, char key[65])
{
	struct buf b = {0};

	bufprintf(&b, "step\n%s", what);
	keyof(&b, key);
	free(b.data);
}

int
cache_stepget(const char *store, const char *what, json_t *outputs, const char *name)
{
	const struct conf *conf = getconf(store);
	struct client *cl;
	struct archive *disk;
	json_t *m, *layers, *l, *o;
	const char *path;
	char key[65], index[32], *blob;
	size_t i, n = json_array_size(outputs);
	int folder;

	if (!conf)
		return 0;
	stepkey(what, key);
	if (!(cl = opencache(conf, store, 0)))
		return 0;
	if (!(m = lookup(cl, store, key, MT_CACHE_STEP, name))) {
		registry_close(cl);
		return 0;
	}
	layers = json_object_get(m, "layers");
	json_array_foreach(layers, i, l) {
		snprintf(index, sizeof(index), "%zu", i);
		o = json_array_get(outputs, i);
		folder = json_object_get(o, "manifest") != NULL;
		if (json_array_size(layers) != n || strcmp(annotation(l, "imagegen.output"), index) != 0 ||
		    strcmp(str(l, "mediaType"), folder ? MT_LAYER_GZIP : MT_FILE) != 0) {
			warn("warning: %s: the build cache's entry %s is malformed (output %zu); making it here", name, key, i);
			goto miss;
		}
		if (entryblob(cl, store, l, name, key) < 0)
			goto miss;
	}
	json_array_foreach(layers, i, l) {
		o = json_array_get(outputs, i);
		path = str(o, "path");
		if (json_object_get(o, "manifest")) {
			if (removetree(path) < 0 || mkdirs(path) < 0)
				fatal("%s: make the folder %s anew:", name, path);
			blob = store_path(store, str(l, "digest"));
			disk = unpack_new(name);
			unpack_layer(disk, path, blob, name);
			unpack_done(disk, name);
			free(blob);
		} else {
			place(store, str(l, "digest"), path, strcmp(annotation(l, "imagegen.mode"), "0755") == 0 ? 0755 : 0644);
		}
	}
	registry_close(cl);
	json_decref(m);
	return 1;
miss:
	registry_close(cl);
	json_decref(m);
	return 0;
}

void
cache_stepput(const char *store, const char *what, json_t *outputs, const char *name)
{
	const struct conf *conf = getconf(store);
	struct client *cl;
	struct stat st;
	json_t *layers, *o, *d;
	char key[65], digest[72], index[32];
	long long size;
	size_t i;

	if (!conf || !conf->push)
		return;
	stepkey(what, key);
	if (!(layers = json_array()))
		fatal("out of memory");
	json_array_foreach(outputs, i, o) {
		snprintf(index, sizeof(index), "%zu", i);
		if (json_object_get(o, "manifest")) {
			d = folderblob(store, str(o, "path"), str(o, "name"), name, key, i);
			jsonappend(layers, json_pack("{s:s, s:O, s:O, s:{s:s}}", "mediaType", MT_LAYER_GZIP, "digest",
			           json_object_get(d, "digest"), "size", json_object_get(d, "size"), "annotations",
			           "imagegen.output", index));
			json_decref(d);
			continue;
		}
		if (stat(str(o, "path"), &st) < 0 || storefile(store, str(o, "path"), digest, &size) < 0)
			goto out;
		jsonappend(layers, json_pack("{s:s, s:s, s:I, s:{s:s, s:s}}", "mediaType", MT_FILE, "digest", digest, "size",
		           (json_int_t)size, "annotations", "imagegen.output", index, "imagegen.mode",
		           (st.st_mode & 0111) ? "0755" : "0644"));
	}
	if ((cl = opencache(conf, store, 1)))
		putentry(cl, store, key, MT_CACHE_STEP, layers);
	registry_close(cl);
out:
	json_decref(layers);
}
