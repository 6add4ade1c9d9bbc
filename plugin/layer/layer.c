/*
 * layer: write one canonical layer from the spec the generator wrote.
 *
 * The canonical layer, the form every layer imagegen writes takes:
 *  - a POSIX tar (pax_restricted: ustar headers, a pax record only where
 *    ustar cannot hold a value, such as a long or non-ASCII path), written
 *    by tar.c, whose top says it byte by byte;
 *  - names are bytes, any but '/' and NUL, kept as they are: a path or
 *    link target that is not valid UTF-8 goes in its pax record as it is,
 *    with "hdrcharset=BINARY" in the same header, as POSIX allows;
 *  - entries sorted by the bytes of their path without the trailing slash
 *    (so "etc", "etc-old", "etc/conf"), every parent directory present
 *    before its children (missing ones synthesised as 0755, 0:0);
 *    paths are relative, without "./" or "..", directories end in '/';
 *  - mtime = the spec's epoch (SOURCE_DATE_EPOCH when the definition was
 *    read, 0 when unset) on every entry; no atime, ctime or creation time;
 *  - uid/gid numeric as declared (default 0), uname/gname empty;
 *  - modes as declared; an undeclared file mode is 0755 when the source has
 *    any execute bit and 0644 otherwise, directories 0755, symlinks 0777:
 *    the builder's umask and the source's other bits never leak in;
 *  - files that are hard links of each other within one source tree are
 *    stored once, the others as hard links to the first in path order;
 *  - extended attributes only where the definition declares them (written as
 *    SCHILY.xattr pax records), never copied from the sources;
 *  - whiteouts only where the definition removes a base's file (".wh.NAME")
 *    or makes a folder opaque (".wh..wh..opq"): empty files, mode 0644;
 *  - a source or destination named ".wh.*" is refused, since
 *    whiteouts mean deletion to the runtime;
 *  - compressed by the sink (see sink.c) in the same pass that hashes the
 *    tar (diff_id) and the blob (digest): gzip by libdeflate at a pinned
 *    level in independent 1 MiB members (the default), zstd, or none; the
 *    descriptor's "imagegen.compression" annotation says which and how.
 *
 * Every file and directory read is listed in the depfile, so ninja reruns
 * the layer when a file in a tree is added, removed or changed; a name the
 * depfile's grammar cannot spell is listed by its alias (see names.c).
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
#include "base/text.h"
#include "base/file.h"
#include "base/spec.h"
#include "base/store.h"
#include "base/names.h"
#include "base/pattern.h"
#include "layer/sink.h"
#include "layer/tar.h"
#include "layer/nodes.h"
#include "layer/tree.h"
#include "layer/pkglayer.h"
#include "layer/apklayer.h"
#include "layer/system.h"
#include "layer/facts.h"
#include "layer/layer.h"
#include <jansson.h>
#include <nettle/sha2.h>

static void
addentry(struct layer *l, json_t *e)
{
	struct treeopts o;
	struct patterns exclude = {0};
	struct node *n;
	struct stat st;
	const char *type, *ctx, *path, *manifest, *err;
	json_t *pats, *pat;
	size_t i;

	ctx = json_string_value(json_object_get(e, "ctx"));
	if (!ctx)
		ctx = l->name;
	type = specstr(e, "type", ctx);
	if (strcmp(type, "deb") == 0) {
		pkglayer_deb(l, e, ctx);
		return;
	}
	if (strcmp(type, "dpkg") == 0) {
		system_add(l, e, ctx);
		return;
	}
	if (strcmp(type, "apk") == 0) {
		apklayer_apk(l, e, ctx);
		return;
	}
	if (strcmp(type, "apkdb") == 0) {
		apklayer_db(l, e, ctx);
		return;
	}
	path = specstr(e, "path", ctx);
	if (nodes_iswhiteout(path))
		fatal("%s: names starting with .wh. are whiteouts and cannot be declared", ctx);
	if (strcmp(type, "tree") == 0) {
		o.ctx = ctx;
		o.srcname = specstr(e, "srcname", ctx);
		o.uid = specint(e, "uid", 0);
		o.gid = specint(e, "gid", 0);
		o.filemode = (long)specint(e, "mode", -1);
		o.dirmode = (long)specint(e, "dirmode", -1);
		o.follow = json_is_true(json_object_get(e, "follow"));
		o.nodeps = 0;
		o.noignore = json_is_true(json_object_get(e, "noignore"));
		o.exclude = NULL;
		pats = json_object_get(e, "exclude");
		json_array_foreach(pats, i, pat) {
			if (!json_is_string(pat))
				fatal("%s: spec: exclude[%zu] is not a string", ctx, i + 1);
			err = patterns_add(&exclude, json_string_value(pat), json_string_length(pat), 0);
			if (err)
				fatal("%s: tree '%s': exclude[%zu]: '%s' %s", ctx, o.srcname, i + 1,
				      showname(json_string_value(pat)), *err ? err : "is blank or a comment");
			o.exclude = &exclude;
		}
		if (*path) {
			n = nodes_add(l);
			n->path = xstrdup(path);
			n->kind = KDIR;
			n->mode = o.dirmode >= 0 ? (unsigned)o.dirmode : 0755;
			n->uid = o.uid;
			n->gid = o.gid;
			n->ctx = ctx;
		}
		manifest = json_string_value(json_object_get(e, "manifest"));
		if (manifest) {
			/* a folder a step wrote: its manifest stands for its files */
			if (access(manifest, F_OK) < 0)
				fatal("%s: the folder %s has no manifest %s (its step has not run):", ctx, o.srcname, manifest);
			nodes_dep(l, ctx, manifest);
			o.nodeps = 1;
		}
		tree_walk(l, &o, specstr(e, "src", ctx), path);
		patterns_free(&exclude);
		return;
	}
	n = nodes_add(l);
	n->path = xstrdup(path);
	n->uid = specint(e, "uid", 0);
	n->gid = specint(e, "gid", 0);
	n->ctx = ctx;
	n->xattrs = json_object_get(e, "xattrs");
	if (strcmp(type, "dir") == 0) {
		n->kind = KDIR;
		n->mode = (unsigned)specint(e, "mode", 0755);
	} else if (strcmp(type, "whiteout") == 0 || strcmp(type, "opaque") == 0) {
		/* "a/b" gone: the empty file "a/.wh.b"; "a" opaque: "a/" and "a/.wh..wh..opq" */
		const char *slash = strrchr(path, '/');
		free(n->path);
		if (strcmp(type, "whiteout") == 0) {
			n->path = slash ? xasprintf("%.*s/.wh.%s", (int)(slash - path), path, slash + 1)
			                : xasprintf(".wh.%s", path);
		} else {
			n->kind = KDIR;
			n->mode = (unsigned)specint(e, "mode", 0755);
			n->path = xstrdup(path);
			n = nodes_add(l);
			n->uid = n->gid = 0;
			n->ctx = ctx;
			n->path = *path ? xasprintf("%s/.wh..wh..opq", path) : xstrdup(".wh..wh..opq");
		}
		n->kind = KTEXT;
		n->mode = 0644;
		n->src = xstrdup("");
		n->textlen = 0;
	} else if (strcmp(type, "symlink") == 0) {
		n->kind = KLINK;
		n->mode = 0777;
		n->src = xstrdup(specstr(e, "target", ctx));
	} else if (strcmp(type, "text") == 0) {
		json_t *data = json_object_get(e, "data");
		if (!json_is_string(data))
			fatal("%s: spec: 'data' is not a string", ctx);
		n->kind = KTEXT;
		n->mode = (unsigned)specint(e, "mode", 0644);
		n->textlen = json_string_length(data);
		n->src = xmalloc(n->textlen + 1);
		memcpy(n->src, json_string_value(data), n->textlen + 1);
	} else if (strcmp(type, "file") == 0) {
		const char *src = specstr(e, "src", ctx);
		const char *srcname = specstr(e, "srcname", ctx);
		if (stat(src, &st) < 0) {
			if (errno == ENOENT)
				fatal("%s: source '%s' not found", ctx, srcname);
			if (errno == ELOOP)
				fatal("%s: source '%s' is a symlink loop", ctx, srcname);
			fatal("%s: source '%s':", ctx, srcname);
		}
		if (!S_ISREG(st.st_mode))
			fatal("%s: source '%s' is not a regular file", ctx, srcname);
		nodes_dep(l, ctx, src);
		n->kind = KFILE;
		n->mode = (unsigned)specint(e, "mode", nodes_filemode(st.st_mode));
		n->src = xstrdup(src);
	} else {
		fatal("%s: spec: unknown entry type '%s'", ctx, type);
	}
}

static struct node *
findnode(struct layer *l, const char *path)
{
	struct node key = {0};

	key.path = (char *)path;
	return bsearch(&key, l->nodes, l->len, sizeof(*l->nodes), nodes_bypath);
}

/*
 * A package's hard links name a target that a tar reader must have seen
 * first; after sorting, the target may come later. Then the first member
 * of the group in path order takes the bytes and the others link to it.
 */
static void
hardlinkorder(struct layer *l)
{
	struct node *h, *t, tmp;
	size_t i, j;
	char *old;

	for (i = 0; i < l->len; i++) {
		h = &l->nodes[i];
		if (h->kind != KHARD)
			continue;
		t = findnode(l, h->src);
		if (!t || (t->kind != KFILE && t->kind != KSPOOL && t->kind != KHARD))
			fatal("%s: /%s: hard link to '%s', which is not a file of this layer", h->ctx, showname(h->path),
			      showname(h->src));
		if (t->kind == KHARD)
			fatal("%s: /%s: hard link to another hard link, '%s'", h->ctx, showname(h->path),
			      showname(h->src));
		if (t > h) {
			old = t->path;
			tmp = *h;
			*h = *t;
			h->path = tmp.path;
			t->kind = KHARD;
			t->src = xstrdup(h->path);
			t->path = old;
			free(tmp.src);
			for (j = i + 1; j < l->len; j++) {
				if (l->nodes[j].kind == KHARD && strcmp(l->nodes[j].src, old) == 0) {
					free(l->nodes[j].src);
					l->nodes[j].src = xstrdup(h->path);
				}
			}
		}
	}
}

/*
 * A member's path, and a hard link's target, must be clean and relative:
 * whoever asked for the member (a declaration, a tree, a package, a
 * maintainer script, a spec written by hand), one with a ".." could climb
 * out of the folder a tool unpacks the layer into.
 */
static void
checkmember(const struct layer *l, const struct node *n, const char *path)
{
	const char *p = path, *c, *ctx = n->ctx ? n->ctx : l->name;
	size_t len;
	int clean = 1;

	for (;; p = c + 1) {
		c = strchr(p, '/');
		len = c ? (size_t)(c - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			fatal("%s: layer member '%s' has a '..': it could climb out of the root", ctx, showname(path));
		if (len == 0 || (len == 1 && p[0] == '.'))
			clean = 0;
		if (!c)
			break;
	}
	if (!clean)
		fatal("%s: layer member '%s' is not a clean relative path", ctx, showname(path));
}

/* add the missing parents of every node, then sort and merge duplicates */
static void
canonicalise(struct layer *l)
{
	size_t i, j, n = l->len;
	char *p, *slash;
	struct node *d;

	for (i = 0; i < n; i++) {
		checkmember(l, &l->nodes[i], l->nodes[i].path);
		if (l->nodes[i].kind == KHARD)
			checkmember(l, &l->nodes[i], l->nodes[i].src);
	}
	for (i = 0; i < n; i++) {
		p = xstrdup(l->nodes[i].path);
		while ((slash = strrchr(p, '/'))) {
			*slash = '\0';
			d = nodes_add(l);
			d->path = xstrdup(p);
			d->kind = KDIR;
			d->mode = 0755;
			d->synthetic = 1;
		}
		free(p);
	}
	if (l->len > 1)
		qsort(l->nodes, l->len, sizeof(*l->nodes), nodes_bypath);
	for (i = 0, j = 0; i < l->len; i++) {
		struct node *a = &l->nodes[i];
		if (j > 0 && strcmp(l->nodes[j - 1].path, a->path) == 0) {
			struct node *prev = &l->nodes[j - 1];
			if ((a->synthetic && prev->kind == KDIR) ||
			    (prev->kind == KDIR && a->kind == KDIR && !prev->synthetic &&
			     prev->mode == a->mode && prev->uid == a->uid && prev->gid == a->gid)) {
				free(a->path);
				continue;
			}
			if (prev->synthetic && a->kind == KDIR) {
				free(prev->path);
				*prev = *a;
				continue;
			}
			if (a->synthetic || prev->synthetic)
				fatal("%s: /%s: declared as a file but other entries are inside it",
				      a->synthetic ? prev->ctx : a->ctx, showname(a->path));
			fatal("%s: /%s: destination declared twice (also at %s)", a->ctx, showname(a->path), prev->ctx);
		}
		l->nodes[j++] = *a;
	}
	l->len = j;
	nodes_linkgroups(l);
	hardlinkorder(l);
}

/* where writetar's bytes go: the sink, or only a hash (the build
   cache's key), for the layer named; and the scan of its facts */
struct tarsink {
	struct sink *sink;
	struct sha256_ctx *hash;
	const char *name;
	int err;
	struct factscan *facts;
};

static int
towrite(void *arg, const void *data, size_t len)
{
	struct tarsink *t = arg;

	errno = 0;
	if (t->facts) {
		/* the facts' digests of each file and the diff_id in one walk */
		if (facts_feedtar(t->facts, t->hash ? t->hash : sink_diffid(t->sink), data, len) < 0)
			fatal("%s: tar: %s", t->name, facts_error(t->facts));
	} else if (t->hash) {
		sha256_update(t->hash, len, data);
	}
	if (t->hash)
		return 0;
	if ((t->facts ? sink_writehashed(t->sink, data, len) : sink_write(t->sink, data, len)) < 0) {
		t->err = errno;
		return -1;
	}
	return 0;
}

/* a tar call failed for n (NULL: the end of the layer) */
NORETURN static void
tarfailed(struct tar *w, struct tarsink *t, const struct node *n)
{
	const char *why = tar_error(w);
	const char *ctx = n ? n->ctx : t->name;

	if (!*why)
		fatal("%s: tar: write layer %s: %s", ctx, t->name, t->err ? strerror(t->err) : "the compressor failed");
	fatal("%s: tar: %s", ctx, showname(why));
}

static void
writeheader(struct tar *w, struct tarsink *t, const struct node *n, const struct tarhead *h)
{
	if (tar_header(w, h) < 0)
		tarfailed(w, t, n);
}

static void
writefile(struct tar *w, struct tarsink *t, struct tarhead *h, const struct node *n)
{
	char chunk[1 << 16];
	struct stat st;
	long long left;
	ssize_t r;
	int fd;

	fd = open(n->src, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		fatal("%s: open %s:", n->ctx, showname(n->src));
	h->size = st.st_size;
	writeheader(w, t, n, h);
	for (left = st.st_size; left > 0; left -= r) {
		r = read(fd, chunk, left < (long long)sizeof(chunk) ? (size_t)left : sizeof(chunk));
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r < 0)
			fatal("%s: read %s:", n->ctx, showname(n->src));
		if (r == 0)
			fatal("%s: %s changed while it was read", n->ctx, showname(n->src));
		if (tar_data(w, chunk, (size_t)r) < 0)
			tarfailed(w, t, n);
	}
	close(fd);
}

static void
writespooled(struct tar *w, struct tarsink *t, struct tarhead *h, struct layer *l, const struct node *n)
{
	char chunk[1 << 16];
	long long off, left;
	ssize_t r;

	h->size = n->size;
	writeheader(w, t, n, h);
	for (off = n->off, left = n->size; left > 0; off += r, left -= r) {
		r = pread(l->spool, chunk, left < (long long)sizeof(chunk) ? (size_t)left : sizeof(chunk),
		          (off_t)off);
		if (r <= 0)
			fatal("%s: read the spool:", n->ctx);
		if (tar_data(w, chunk, (size_t)r) < 0)
			tarfailed(w, t, n);
	}
}

/* n's declared extended attributes into xs (grown as needed), in their order */
static size_t
xattrsof(const struct node *n, struct tarxattr **xs, size_t *cap)
{
	const char *key;
	json_t *v;
	size_t len = 0;

	json_object_foreach(n->xattrs, key, v) {
		if (!json_is_string(v))
			fatal("%s: xattr %s is not a string", n->ctx, key);
		if (len == *cap) {
			*cap = *cap ? 2 * *cap : 4;
			*xs = xrealloc(*xs, *cap * sizeof(**xs));
		}
		(*xs)[len].name = key;
		(*xs)[len].value = json_string_value(v);
		(*xs)[len].len = json_string_length(v);
		len++;
	}
	return len;
}

/* IMAGEGEN_TAR=libarchive: write through libarchive (see tar.c), for the
   tests that hold tar.c to it */
static int
uselibarchive(void)
{
	const char *e = getenv("IMAGEGEN_TAR");

	return e && strcmp(e, "libarchive") == 0;
}

static void
writetar(struct layer *l, struct sink *s, struct sha256_ctx *hash, long long epoch, struct factscan *facts)
{
	struct tarsink t = {s, hash, l->name, 0, facts};
	struct tar *w = tar_open(towrite, &t, uselibarchive());
	struct tarxattr *xs = NULL;
	struct tarhead h;
	size_t i, cap = 0;
	struct node *n;

	for (i = 0; i < l->len; i++) {
		n = &l->nodes[i];
		memset(&h, 0, sizeof(h));
		h.path = n->path;
		h.mode = n->mode;
		h.uid = n->uid;
		h.gid = n->gid;
		h.mtime = n->mtime >= 0 ? n->mtime : epoch;
		switch (n->kind) {
		case KDIR:
			h.type = TAR_DIR;
			break;
		case KLINK:
			h.type = TAR_SYMLINK;
			h.mode = 0777;
			h.link = n->src;
			break;
		case KHARD:
			h.type = TAR_HARDLINK;
			h.link = n->src;
			break;
		case KTEXT:
		case KFILE:
		case KSPOOL:
			h.type = TAR_FILE;
			break;
		}
		if (n->xattrs) {
			h.nxattrs = xattrsof(n, &xs, &cap);
			h.xattrs = xs;
		}
		if (n->kind == KSPOOL) {
			writespooled(w, &t, &h, l, n);
			continue;
		}
		if (n->kind == KFILE) {
			writefile(w, &t, &h, n);
			continue;
		}
		h.size = n->kind == KTEXT ? (long long)n->textlen : 0;
		writeheader(w, &t, n, &h);
		if (n->kind == KTEXT && n->textlen > 0 && tar_data(w, n->src, n->textlen) < 0)
			tarfailed(w, &t, n);
	}
	free(xs);
	if (tar_close(w) < 0)
		tarfailed(w, &t, NULL);
	tar_free(w);
}

static void
freelayer(struct layer *l)
{
	size_t i;

	for (i = 0; i < l->len; i++) {
		free(l->nodes[i].path);
		free(l->nodes[i].src);
	}
	free(l->nodes);
	free(l->deps.data);
	free(l->phony.data);
	free(l->dpkg.data);
	free(l->apk.data);
	if (l->spool >= 0)
		close(l->spool);
}

void
layer_describe(const char *descpath, int comp, int level, const char *digest, long long size, const char *diffid)
{
	json_t *desc;
	char *text, *how = sink_describe((enum compression)comp, level);

	desc = json_pack("{s:s, s:s, s:I, s:s, s:{s:s}}", "mediaType", sink_mediatype((enum compression)comp),
	                 "digest", digest, "size", (json_int_t)size, "diffid", diffid,
	                 "annotations", "imagegen.compression", how);
	free(how);
	if (!desc)
		fatal("out of memory");
	text = json_dumps(desc, JSON_SORT_KEYS | JSON_COMPACT);
	if (!text)
		fatal("out of memory");
	updatefile(descpath, text, strlen(text));
	free(text);
	json_decref(desc);
}

/* what the spec's entries are: no packages, packages alone (their key in
   key), or both */
static enum layerkind
kindof(json_t *spec, char key[65])
{
	json_t *entries = json_object_get(spec, "entries"), *e;
	const char *type;
	size_t i, debs = 0;

	json_array_foreach(entries, i, e) {
		type = json_string_value(json_object_get(e, "type"));
		debs += type && (strcmp(type, "deb") == 0 || strcmp(type, "apk") == 0);
	}
	if (debs == 0)
		return LAYER_FILES;
	return debs == json_array_size(entries) && pkglayer_key(spec, key) == 0 ? LAYER_PACKAGES : LAYER_MIXED;
}

struct layerbuild *
layer_open(const char *specpath, const char *descpath, const char *deppath, const char *store)
{
	struct layerbuild *b = xcalloc(1, sizeof(*b));
	const char *compname;

	b->spec = readspec(specpath);
	b->name = specstr(b->spec, "name", specpath);
	b->specpath = specpath;
	b->descpath = descpath;
	b->deppath = deppath;
	b->store = store;
	compname = specstr(b->spec, "compression", b->name);
	if (strcmp(compname, "gzip") == 0)
		b->comp = COMPRESS_GZIP;
	else if (strcmp(compname, "zstd") == 0)
		b->comp = COMPRESS_ZSTD;
	else if (strcmp(compname, "none") == 0)
		b->comp = COMPRESS_NONE;
	else
		fatal("%s: unknown compression '%s'", b->name, compname);
	if (!json_is_integer(json_object_get(b->spec, "level")) || !json_is_integer(json_object_get(b->spec, "epoch")))
		fatal("%s: spec: no compression level or epoch", specpath);
	b->level = (int)specint(b->spec, "level", 0);
	b->epoch = specint(b->spec, "epoch", 0);
	if (!json_is_array(json_object_get(b->spec, "entries")))
		fatal("%s: spec has no entries", specpath);
	b->kind = kindof(b->spec, b->key);
	b->l = xcalloc(1, sizeof(*b->l));
	b->l->name = b->name;
	b->l->epoch = b->epoch;
	b->l->store = store;
	b->l->spool = -1;
	b->l->make = makemode;
	if (makemode) {
		printf("  LAYER   %s\n", b->name);
		fflush(stdout);
	}
	return b;
}

int
layer_takekept(struct layerbuild *b)
{
	return b->kind == LAYER_PACKAGES && pkglayer_take(b->spec, b->key, b->descpath, b->deppath, b->store);
}

void
layer_collect(struct layerbuild *b)
{
	json_t *entries = json_object_get(b->spec, "entries");
	size_t i;

	bufprintf(&b->l->deps, "%s:", b->descpath);
	for (i = 0; i < json_array_size(entries); i++)
		addentry(b->l, json_array_get(entries, i));
	canonicalise(b->l);
}

void
layer_diffid(struct layerbuild *b, char diffid[72])
{
	struct factscan *facts = facts_scan();
	unsigned char md[SHA256_DIGEST_SIZE];
	struct sha256_ctx hash;

	sha256_init(&hash);
	writetar(b->l, NULL, &hash, b->epoch, facts);
	sha256_digest(&hash, sizeof(md), md);
	memcpy(diffid, "sha256:", 7);
	hexstr(md, sizeof(md), diffid + 7);
	/* the facts of a layer the build cache may have: the SBOM needs no blob */
	facts_save(facts, b->store, diffid);
	b->facts = 1;
}

void
layer_writedeps(struct layerbuild *b)
{
	struct layer *l = b->l;

	bufstr(&l->deps, "\n");
	if (l->make)
		bufadd(&l->deps, l->phony.data, l->phony.len);
	xreplacefile(b->deppath, l->deps.data, l->deps.len);
}

void
layer_write(struct layerbuild *b)
{
	struct sinkresult r;
	struct sink *s;
	struct factscan *facts = b->facts ? NULL : facts_scan();
	char *tmp;
	int fd;

	fd = store_tmp(b->store, &tmp);
	removeonfatal(tmp);
	s = sink_open(fd, (enum compression)b->comp, b->level);
	writetar(b->l, s, NULL, b->epoch, facts);
	if (sink_close(s, &r) < 0 || close(fd) < 0) {
		unlink(tmp);
		fatal("%s: write layer %s:", b->name, tmp);
	}
	store_commit(b->store, tmp, r.digest);
	removeonfatal(NULL);
	free(tmp);
	/* the facts the SBOM reads instead of the blob, before the descriptor */
	if (facts)
		facts_save(facts, b->store, r.diffid);

	/* the packages' dpkg sidecar, before the descriptor that stands for both */
	if (b->l->dpkg.len > 0) {
		char *side = system_sidecar(b->descpath);
		updatefile(side, b->l->dpkg.data, b->l->dpkg.len);
		free(side);
	}
	if (b->l->apk.len > 0) {
		char *side = apklayer_sidecar(b->descpath);
		updatefile(side, b->l->apk.data, b->l->apk.len);
		free(side);
	}
	layer_writedeps(b);
	layer_describe(b->descpath, b->comp, b->level, r.digest, r.size, r.diffid);
	if (b->kind == LAYER_PACKAGES)
		pkglayer_keep(b->spec, b->key, b->descpath, b->store, r.digest);
}

void
layer_close(struct layerbuild *b)
{
	json_decref(b->spec);
	freelayer(b->l);
	free(b->l);
	free(b);
}

void
layer_build(const char *specpath, const char *descpath, const char *deppath, const char *store)
{
	struct layerbuild *b = layer_open(specpath, descpath, deppath, store);

	if (!layer_takekept(b)) {
		layer_collect(b);
		layer_write(b);
	}
	layer_close(b);
}
