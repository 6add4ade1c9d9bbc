/*
 * fstree: the filesystem an image's layers make, as a runtime unpacks it.
 *
 * A layer is read once into its entries (fstree_readlayer); the bytes of
 * the blob are hashed as libarchive takes them, and the digest and size
 * must be the descriptor's, or nothing read counts. Paths are made
 * relative ("./a/b/" is "a/b"); one that climbs with ".." is refused.
 * A layer holds at most 2^20 entries, a path or link target 4096 bytes.
 *
 * Layers are laid over each other in order (fstree_apply), with the OCI
 * rules: a layer's whiteouts remove what the layers below have (".wh.NAME"
 * the path NAME and everything under it; ".wh..wh..opq" everything in its
 * folder), then its entries are added: a directory over a directory takes
 * its mode and owner, anything else replaces what was there with
 * everything under it. A file of a lower layer that is replaced or removed
 * is waste: bytes the image carries that nothing can see.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/digest.h"
#include "base/arc.h"
#include "layer/facts.h"
#include "read/fstree.h"

enum { MAXENTRIES = 1 << 20, MAXPATH = 4096 };
/* the most of one file's contents kept */
enum { MAXKEEP = 16 << 20 };

/* the blob as libarchive reads it: hashed and counted on the way */
struct hashed {
	int fd;
	struct sha256 *ctx;
	long long n, size;
	char buf[1 << 16];
};

/* a layer being read: libarchive, the blob's hash and the hash of the member being read */
struct fsreading {
	struct archive *a;
	struct hashed h;
	struct sha256 *member;
	long long maxkept;
};

static la_ssize_t
hashedread(struct archive *a, void *arg, const void **out)
{
	struct hashed *h = arg;
	ssize_t r;

	do
		r = read(h->fd, h->buf, sizeof(h->buf));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	if (h->n + r > h->size) {
		archive_set_error(a, EFBIG, "the blob is longer than its descriptor says");
		return -1;
	}
	sha256add(h->ctx, h->buf, (size_t)r);
	h->n += r;
	*out = h->buf;
	return r;
}

/* path made relative and plain in out ("" for the root); ".." is refused,
   or with climb goes up a folder (staying at the root); -1 if refused or too long */
static int
cleanpath(const char *path, char *out, int climb)
{
	const char *p = path, *end;
	size_t n, len = 0;
	char *up;

	while (*p) {
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (!climb)
				return -1;
			out[len] = '\0';
			up = strrchr(out, '/');
			len = up ? (size_t)(up - out) : 0;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (len + n + 2 > MAXPATH)
				return -1;
			if (len)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	out[len] = '\0';
	return 0;
}

static int
bypath(const void *a, const void *b)
{
	return strcmp((*(struct fsentry *const *)a)->path, (*(struct fsentry *const *)b)->path);
}

/* hard links take their target's digest and, as stored once, no size */
static void
linktargets(struct fslayer *l, const char *what)
{
	struct fsentry **sorted = xcalloc(l->len, sizeof(*sorted)), key, *k = &key, **t;
	size_t i, n = 0;

	for (i = 0; i < l->len; i++) {
		if (l->e[i].type == 'f')
			sorted[n++] = &l->e[i];
	}
	qsort(sorted, n, sizeof(*sorted), bypath);
	for (i = 0; i < l->len; i++) {
		if (l->e[i].type != 'h')
			continue;
		key.path = l->e[i].link;
		t = bsearch(&k, sorted, n, sizeof(*sorted), bypath);
		if (!t)
			fatal("%s: /%s is a hard link to '%s', which is not a file of the layer", what, showname(l->e[i].path),
			      showname(l->e[i].link));
		memcpy(l->e[i].sha256, (*t)->sha256, sizeof(l->e[i].sha256));
		l->e[i].size = 0;
	}
	free(sorted);
}

/* the contents of the member being read: hashed, and kept in e when keep */
static void
readdata(struct fsreading *rd, struct fsentry *e, int keep, long long *kept, const char *what)
{
	char chunk[1 << 16];
	la_ssize_t r;

	rd->member = sha256new();
	while ((r = archive_read_data(rd->a, chunk, sizeof(chunk))) > 0) {
		sha256add(rd->member, chunk, (size_t)r);
		if (!keep)
			continue;
		if ((*kept += r) > rd->maxkept)
			fatal("%s: /%s: the files read whole (the dpkg database, copyright files) take more than %lld MiB",
			      what, showname(e->path), rd->maxkept >> 20);
		bufadd(&e->data, chunk, (size_t)r);
	}
	if (r < 0)
		fatal("%s: /%s: %s", what, showname(e->path), archiveerr(rd->a));
	sha256done(rd->member, e->sha256);
	rd->member = NULL;
}

/* the entry of the member name, its path made plain; NULL when there is no
   more to it: the root, or a whiteout (made whole here) */
static struct fsentry *
newentry(struct fslayer *l, const char *name, const char *what)
{
	char path[MAXPATH];
	const char *base;
	struct fsentry *e;
	char *slash;

	if (!name || cleanpath(name, path, 0) < 0)
		fatal("%s: the member '%.200s' climbs out of the image or is too long", what, showname(name ? name : ""));
	if (!*path)
		return NULL;
	if (l->len == MAXENTRIES)
		fatal("%s: more than %d entries", what, MAXENTRIES);
	l->e = xrealloc(l->e, (l->len + 1) * sizeof(*l->e));
	e = &l->e[l->len++];
	memset(e, 0, sizeof(*e));
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (strncmp(base, ".wh.", 4) == 0) {
		if (slash)
			*slash = '\0';
		e->type = strcmp(base, ".wh..wh..opq") == 0 ? 'o' : 'w';
		e->path = e->type == 'o' ? xstrdup(slash ? path : "") :
		          slash ? xasprintf("%s/%s", path, base + 4) : xstrdup(base + 4);
		return NULL;
	}
	e->path = xstrdup(path);
	return e;
}

static void
readentry(struct fsreading *rd, struct archive_entry *ae, int (*keep)(const char *), const char *what,
          struct fslayer *l)
{
	char link[MAXPATH];
	const char *target, *path;
	struct fsentry *e = newentry(l, archive_entry_pathname(ae), what);

	if (!e)
		return;
	path = e->path;
	e->mode = (unsigned)archive_entry_perm(ae);
	e->uid = archive_entry_uid(ae);
	e->gid = archive_entry_gid(ae);
	if ((target = archive_entry_hardlink(ae))) {
		if (cleanpath(target, link, 0) < 0 || !*link)
			fatal("%s: /%s: the hard link target '%.200s' climbs out or is too long", what, showname(path),
			      showname(target));
		e->type = 'h';
		e->link = xstrdup(link);
		return;
	}
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG:
		e->type = 'f';
		e->size = archive_entry_size(ae);
		readdata(rd, e, keep && keep(e->path) && e->size <= MAXKEEP, &l->kept, what);
		break;
	case AE_IFDIR:
		e->type = 'd';
		break;
	case AE_IFLNK:
		target = archive_entry_symlink(ae);
		if (!target || strlen(target) >= MAXPATH)
			fatal("%s: /%s: a symlink without a target, or one too long", what, showname(path));
		e->type = 'l';
		e->link = xstrdup(target);
		break;
	case AE_IFCHR:
		e->type = 'c';
		break;
	case AE_IFBLK:
		e->type = 'b';
		break;
	default:
		e->type = 'p';
		break;
	}
}

/* the reader of a layer, when it is done or an error stopped it */
static void
freereading(struct fslayer *l)
{
	struct fsreading *rd = l->reading;

	if (!rd)
		return;
	if (rd->a)
		archive_read_free(rd->a);
	sha256free(rd->h.ctx);
	sha256free(rd->member);
	free(rd);
	l->reading = NULL;
}

void
fstree_readlayer(int fd, const char *digest, long long size, int (*keep)(const char *path), long long maxkept,
                 const char *what, struct fslayer *l)
{
	struct fsreading *rd = xcalloc(1, sizeof(*rd));
	struct hashed *h = &rd->h;
	struct archive_entry *ae;
	const void *rest;
	char hex[65];
	int r;

	memset(l, 0, sizeof(*l));
	l->reading = rd;
	rd->maxkept = maxkept;
	h->fd = fd;
	h->size = size;
	h->ctx = sha256new();
	rd->a = archive_read_new();
	if (!rd->a || archive_read_support_format_tar(rd->a) != ARCHIVE_OK ||
	    archive_read_support_filter_all(rd->a) != ARCHIVE_OK ||
	    archive_read_open(rd->a, h, NULL, hashedread, NULL) != ARCHIVE_OK)
		fatal("%s: %s", what, archiveerr(rd->a));
	while ((r = archive_read_next_header(rd->a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN)
		readentry(rd, ae, keep, what, l);
	if (r != ARCHIVE_EOF)
		fatal("%s: %s", what, archiveerr(rd->a));
	l->usize = archive_filter_bytes(rd->a, 0);
	/* what libarchive left unread still counts for the digest */
	while (hashedread(rd->a, h, &rest) > 0)
		;
	close(fd);
	sha256done(h->ctx, hex);
	h->ctx = NULL;
	if (h->n != size || strncmp(digest, "sha256:", 7) != 0 || strcmp(hex, digest + 7) != 0)
		fatal("%s: the blob does not match its digest and size (%lld bytes, sha256:%s)", what, h->n, hex);
	freereading(l);
	linktargets(l, what);
}

int
fstree_fromfacts(const struct layerfacts *f, int (*keep)(const char *path), long long maxkept, const char *what,
                 struct fslayer *l)
{
	char path[MAXPATH], link[MAXPATH];
	const struct fact *m;
	struct fsentry *e;
	long long kept = 0;
	size_t i;

	/* a file whose contents are wanted: the facts must have kept them */
	for (i = 0; keep && i < f->len; i++) {
		m = &f->e[i];
		if (m->type == 'f' && m->size <= MAXKEEP && cleanpath(m->path, path, 0) == 0 && keep(path) &&
		    (!m->data || (kept += m->size) > maxkept))
			return -1;
	}
	memset(l, 0, sizeof(*l));
	l->usize = f->usize;
	l->kept = kept;
	for (i = 0; i < f->len; i++) {
		m = &f->e[i];
		if (!(e = newentry(l, m->path, what)))
			continue;
		e->mode = m->mode;
		e->uid = m->uid;
		e->gid = m->gid;
		e->type = m->type;
		if (m->type == 'h') {
			if (cleanpath(m->link, link, 0) < 0 || !*link)
				fatal("%s: /%s: the hard link target '%.200s' climbs out or is too long", what,
				      showname(e->path), showname(m->link));
			e->link = xstrdup(link);
		} else if (m->type == 'l') {
			if (strlen(m->link) >= MAXPATH)
				fatal("%s: /%s: a symlink without a target, or one too long", what, showname(e->path));
			e->link = xstrdup(m->link);
		} else if (m->type == 'f') {
			e->size = m->size;
			memcpy(e->sha256, m->sha256, sizeof(e->sha256));
			if (keep && m->data && m->size <= MAXKEEP && keep(e->path))
				bufadd(&e->data, m->data, (size_t)m->size);
		}
	}
	linktargets(l, what);
	return 0;
}

void
fstree_freelayer(struct fslayer *l)
{
	size_t i;

	freereading(l);
	for (i = 0; i < l->len; i++) {
		free(l->e[i].path);
		free(l->e[i].link);
		free(l->e[i].data.data);
	}
	free(l->e);
	memset(l, 0, sizeof(*l));
}

static size_t
hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

void
fstree_init(struct fstree *t)
{
	memset(t, 0, sizeof(*t));
	t->root.path = xstrdup("");
	t->root.name = t->root.path;
	t->root.pkg = -1;
	t->nbuckets = 1024;
	t->table = xcalloc(t->nbuckets, sizeof(*t->table));
}

struct fsnode *
fstree_get(const struct fstree *t, const char *path)
{
	struct fsnode *n;

	if (!*path)
		return (struct fsnode *)&t->root;
	for (n = t->table[hash(path) % t->nbuckets]; n; n = n->hnext) {
		if (strcmp(n->path, path) == 0)
			return n;
	}
	return NULL;
}

static void
rehash(struct fstree *t)
{
	struct fsnode **old = t->table, *n, *next;
	size_t i, nold = t->nbuckets;

	t->nbuckets *= 4;
	t->table = xcalloc(t->nbuckets, sizeof(*t->table));
	for (i = 0; i < nold; i++) {
		for (n = old[i]; n; n = next) {
			next = n->hnext;
			n->hnext = t->table[hash(n->path) % t->nbuckets];
			t->table[hash(n->path) % t->nbuckets] = n;
		}
	}
	free(old);
}

static struct fsnode *
addnode(struct fstree *t, struct fsnode *parent, const char *path, const struct fsentry *e, int layer)
{
	struct fsnode *n = xcalloc(1, sizeof(*n));
	const char *slash = strrchr(path, '/');
	size_t b;

	if (t->count >= t->nbuckets)
		rehash(t);
	n->path = xstrdup(path);
	n->name = slash ? n->path + (slash - path) + 1 : n->path;
	n->e = e;
	n->layer = layer;
	n->pkg = -1;
	n->parent = parent;
	n->next = parent->child;
	parent->child = n;
	b = hash(path) % t->nbuckets;
	n->hnext = t->table[b];
	t->table[b] = n;
	t->count++;
	return n;
}

static void
addwaste(struct fstree *t, const struct fsnode *n, int by, int deleted)
{
	struct fswaste *w;

	if (!n->e || n->e->type != 'f' || n->e->size <= 0)
		return;
	if (t->nwaste == t->capwaste) {
		t->capwaste = t->capwaste ? 2 * t->capwaste : 64;
		t->waste = xrealloc(t->waste, t->capwaste * sizeof(*t->waste));
	}
	w = &t->waste[t->nwaste++];
	w->path = xstrdup(n->path);
	w->size = n->e->size;
	w->layer = n->layer;
	w->by = by;
	w->deleted = deleted;
	t->wasted += n->e->size;
}

static void
unhash(struct fstree *t, struct fsnode *n)
{
	struct fsnode **p = &t->table[hash(n->path) % t->nbuckets];

	while (*p != n)
		p = &(*p)->hnext;
	*p = n->hnext;
	t->count--;
}

/* remove n and everything under it, counting the files as waste hidden by layer by */
static void
delnode(struct fstree *t, struct fsnode *n, int by, int deleted)
{
	struct fsnode **p, *c, *next;

	for (c = n->child; c; c = next) {
		next = c->next;
		c->parent = NULL;
		delnode(t, c, by, deleted);
	}
	addwaste(t, n, by, deleted);
	if (n->parent) {
		for (p = &n->parent->child; *p != n; p = &(*p)->next)
			;
		*p = n->next;
	}
	unhash(t, n);
	free(n->path);
	free(n);
}

/* the directory at path, made (as no layer's entry) where missing; a file or
   link of a lower layer in the way goes, as waste hidden by layer */
static struct fsnode *
ensuredir(struct fstree *t, const char *path, int layer)
{
	struct fsnode *n = fstree_get(t, path), *parent;
	const char *slash;
	char *up;

	if (n && (!n->e || n->e->type == 'd'))
		return n;
	if (n)
		delnode(t, n, layer, 0);
	slash = strrchr(path, '/');
	up = slash ? xasprintf("%.*s", (int)(slash - path), path) : xstrdup("");
	parent = ensuredir(t, up, layer);
	free(up);
	return addnode(t, parent, path, NULL, layer);
}

void
fstree_apply(struct fstree *t, const struct fslayer *l, int index)
{
	struct fsnode *n, *c, *next, *parent;
	const struct fsentry *e;
	const char *slash;
	char *up;
	size_t i;

	for (i = 0; i < l->len; i++) {
		e = &l->e[i];
		if (e->type == 'w' && (n = fstree_get(t, e->path)) && n != &t->root) {
			delnode(t, n, index, 1);
		} else if (e->type == 'o' && (n = fstree_get(t, e->path))) {
			for (c = n->child; c; c = next) {
				next = c->next;
				delnode(t, c, index, 1);
			}
		}
	}
	for (i = 0; i < l->len; i++) {
		e = &l->e[i];
		if (e->type == 'w' || e->type == 'o')
			continue;
		n = fstree_get(t, e->path);
		if (n && (!n->e || n->e->type == 'd') && e->type == 'd') {
			n->e = e;
			n->layer = index;
			continue;
		}
		if (n)
			delnode(t, n, index, 0);
		slash = strrchr(e->path, '/');
		up = slash ? xasprintf("%.*s", (int)(slash - e->path), e->path) : xstrdup("");
		parent = ensuredir(t, up, index);
		free(up);
		addnode(t, parent, e->path, e, index);
	}
}

static int
byname(const void *a, const void *b)
{
	return strcmp((*(struct fsnode *const *)a)->name, (*(struct fsnode *const *)b)->name);
}

static long long
finish(struct fsnode *n)
{
	struct fsnode *c, **kids;
	size_t i, k = 0;

	if (n->e && n->e->type != 'd') {
		n->total = n->e->type == 'f' ? n->e->size : 0;
		return n->total;
	}
	for (c = n->child; c; c = c->next)
		k++;
	kids = xcalloc(k, sizeof(*kids));
	for (c = n->child, k = 0; c; c = c->next)
		kids[k++] = c;
	qsort(kids, k, sizeof(*kids), byname);
	n->child = NULL;
	n->total = 0;
	for (i = k; i-- > 0;) {
		kids[i]->next = n->child;
		n->child = kids[i];
		n->total += finish(kids[i]);
	}
	free(kids);
	return n->total;
}

void
fstree_finish(struct fstree *t)
{
	finish(&t->root);
}

struct fsnode *
fstree_resolve(const struct fstree *t, const char *path)
{
	struct fsnode *n = fstree_get(t, path);
	char clean[MAXPATH], *p;
	const char *slash;
	int hops, bad;

	for (hops = 0; n && n->e && n->e->type == 'l' && hops < 16; hops++) {
		slash = strrchr(n->path, '/');
		if (n->e->link[0] == '/')
			p = xstrdup(n->e->link);
		else
			p = xasprintf("%.*s/%s", slash ? (int)(slash - n->path) : 0, n->path, n->e->link);
		bad = cleanpath(p, clean, 1) < 0;
		free(p);
		n = bad ? NULL : fstree_get(t, clean);
	}
	return n && n->e && n->e->type == 'l' ? NULL : n;
}

static void
special(const struct fsnode *n, struct fsnode ***list, size_t *len, size_t *cap)
{
	const struct fsnode *c;
	char flags[40];

	if (n->e && *modeflags(n->e->type, n->e->mode, flags)) {
		if (*len == *cap) {
			*cap = *cap ? 2 * *cap : 16;
			*list = xrealloc(*list, *cap * sizeof(**list));
		}
		(*list)[(*len)++] = (struct fsnode *)n;
	}
	for (c = n->child; c; c = c->next)
		special(c, list, len, cap);
}

struct fsnode **
fstree_special(const struct fstree *t, size_t *count)
{
	struct fsnode **list = NULL;
	size_t cap = 0;

	*count = 0;
	special(&t->root, &list, count, &cap);
	return list;
}

static void
freenode(struct fsnode *n)
{
	struct fsnode *c, *next;

	for (c = n->child; c; c = next) {
		next = c->next;
		freenode(c);
		free(c->path);
		free(c);
	}
}

void
fstree_free(struct fstree *t)
{
	size_t i;

	freenode(&t->root);
	free(t->root.path);
	free(t->table);
	for (i = 0; i < t->nwaste; i++)
		free(t->waste[i].path);
	free(t->waste);
	memset(t, 0, sizeof(*t));
}
