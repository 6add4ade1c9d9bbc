/*
 * apklayer: Alpine packages as entries of a layer.
 *
 * An "apk" entry adds the files of the package's data tar as they are in
 * the package (owners, modes, links), their mtimes clamped to the layer's
 * epoch, the bytes spooled as a .deb's are (pkglayer.c); apk's checksum
 * records stay out of the layer. The package is read once (alpine/apk.c):
 * its signature by one of the entry's keys, its control stream against the
 * lock's Q1 checksum, .PKGINFO against the lock's name, version and
 * architecture, every file against its SHA-1, the data stream against the
 * datahash, the whole file against the lock's sha256. Files named .keep_*
 * are left out, as apk leaves them.
 *
 * What the image's apk database needs goes to the layer's apk sidecar
 * (ID.apk beside its descriptor), one JSON object: package, version,
 * architecture, checksum, pkginfo (a field, or a list of the values of a
 * field given more than once), installed (the package's block of
 * /lib/apk/db/installed, as apk-tools' apk_db_write_fdb writes it: the
 * index fields C P V A S I T U L o m t c k, then D p i, r q, then F: a
 * folder, M: its owner and mode when not 0:0:755, R: each file in it, a:
 * when not 0:0:644, Z: its Q1 checksum), scripts (by name) and triggers.
 *
 * An "apkdb" entry writes /lib/apk/db/installed (the blocks by package
 * name, as apk sorts them), scripts.tar (in install order), triggers, and
 * /etc/apk's world, repositories, arch and keys; with users or groups,
 * /etc/passwd, group and shadow: the last package's, the accounts added.
 *
 * Owners by name: abuild writes a file owned by an account (nginx's
 * /var/lib/nginx) with uid 0 and the account's name, and apk gives it the
 * ids the name has in the root's /etc/passwd and /etc/group when it
 * installs it. The package's layer cannot know them; its sidecar lists such
 * entries ("owners": path, type, mode, ids, names, and a small file's text),
 * and the apkdb entry makes each again with the ids the image's accounts
 * give the names, and patches their M:/a: lines. A noarch package is indexed
 * under the repository's arch (abuild's --rewrite-arch): its A: is the
 * lock's, as apk's database has it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/spec.h"
#include "base/json.h"
#include "base/store.h"
#include "net/fetch.h"
#include "alpine/stream.h"
#include "alpine/rsa.h"
#include "alpine/apk.h"
#include "layer/nodes.h"
#include "layer/tar.h"
#include "layer/apklayer.h"

/* the most entries a package's data tar may have, the most a sidecar may hold, the most keys */
enum { MAXENTRIES = 1 << 20, MAXSIDECAR = 64 << 20, MAXKEYS = 64 };

/* the account files an "apkdb" entry merges its users and groups over */
static const char *const accountfiles[] = { "etc/passwd", "etc/group", "etc/shadow" };

/* the most of an account file kept */
enum { MAXACCOUNTS = 1 << 20 };

/* the most entries owned by name a package may have, and the most bytes of such files kept */
enum { MAXOWNERS = 4096, MAXOWNEDTEXT = 1 << 20 };

/* a folder of the package, as apk's database lists it */
struct apkdir {
	char *name;
	unsigned mode;
	long long uid, gid;
	/* its R:, a: and Z: lines */
	struct buf files;
};

/* one package being added */
struct apkctx {
	struct layer *l;
	json_t *e;
	const char *ctx, *pkg;
	struct sha256 *sha;
	int fd;
	struct apkdir *dirs;
	size_t ndirs, entries;
	/* the files read so far and their Q1 checksums, for hard links to them */
	struct apksum {
		char *path;
		char q1[32];
	} *sums;
	size_t nsums;
	/* the package file's size */
	long long size;
	/* the contents of the account files it holds (etc/passwd, etc/group, etc/shadow) */
	struct buf accounts[3];
	/* their modes and owners */
	unsigned accmode[3];
	long long accuid[3], accgid[3];
	/* the entries owned by name (uname, gname other than root), for apkdb */
	json_t *owners;
	size_t ownedtext;
	/* a refusal from an entry, raised once apk_read is done */
	char err[512];
};

static ssize_t
source(void *arg, void *buf, size_t n)
{
	struct apkctx *c = arg;
	ssize_t r = apk_fdsource(&c->fd, buf, n);

	if (r > 0)
		sha256add(c->sha, buf, (size_t)r);
	return r;
}

char *
apklayer_sidecar(const char *descpath)
{
	size_t n = strlen(descpath);

	if (n > 5 && strcmp(descpath + n - 5, ".json") == 0)
		n -= 5;
	return xasprintf("%.*s.apk", (int)n, descpath);
}

/* the words of the kept layers' key of an apk layer, with its format's version */
#define KEYFORMAT "imagegen apk layer 1 " VERSION

int
apklayer_key(json_t *spec, char key[65])
{
	static const char *const fields[] = { "sha256", "package", "version", "architecture", "checksum" };
	json_t *entries = json_object_get(spec, "entries"), *e = json_array_get(entries, 0), *keys, *k;
	const char *type = json_string_value(json_object_get(e, "type")), *v;
	struct buf b = {0}, kb = {0};
	char hex[65];
	size_t i;
	int ret = -1;

	keys = json_object_get(e, "keys");
	if (json_array_size(entries) != 1 || !type || strcmp(type, "apk") != 0 || !json_is_array(keys))
		return -1;
	bufprintf(&b, "%s\n%s %lld %lld\n", KEYFORMAT, json_string_value(json_object_get(spec, "compression")),
	          specint(spec, "level", -1), specint(spec, "epoch", -1));
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!(v = json_string_value(json_object_get(e, fields[i]))))
			goto out;
		bufprintf(&b, "%s %s\n", fields[i], v);
	}
	/* the keys it is verified with, by name and contents: a layer kept for
	   other keys is not taken on their word */
	json_array_foreach(keys, i, k) {
		if (!json_is_string(json_object_get(k, "name")) || !json_is_string(json_object_get(k, "path")))
			goto out;
		kb.len = 0;
		if (readall(json_string_value(json_object_get(k, "path")), &kb) < 0)
			goto out;
		sha256hex(kb.data ? kb.data : "", kb.len, hex);
		bufprintf(&b, "key %s %s\n", json_string_value(json_object_get(k, "name")), hex);
	}
	sha256hex(b.data, b.len, key);
	ret = 0;
out:
	free(b.data);
	free(kb.data);
	return ret;
}

static int
control(void *arg, struct apkpkg *p)
{
	struct apkctx *c = arg;
	static const char *const fields[] = { "pkgname", "pkgver", "arch" };
	static const char *const specs[] = { "package", "version", "architecture" };
	const char *want = specstr(c->e, "checksum", c->ctx), *have;
	int i;

	for (i = 0; i < 3; i++) {
		have = apk_field(p, fields[i]);
		/* a noarch package is indexed under the repository's arch (abuild's --rewrite-arch) */
		if (i == 2 && have && strcmp(have, "noarch") == 0)
			continue;
		if (!have || strcmp(have, specstr(c->e, specs[i], c->ctx)) != 0) {
			snprintf(p->err, sizeof(p->err), "the lock says %s %s, the .apk says %s", specs[i],
			         showname(specstr(c->e, specs[i], c->ctx)), have ? showname(have) : "none");
			return -1;
		}
	}
	if (strcmp(p->checksum, want) != 0) {
		snprintf(p->err, sizeof(p->err), "its control stream is %s, the lock says %s", p->checksum,
		         showname(want));
		return -1;
	}
	return 0;
}

/* nodes_memberpath; NULL for the root or a name it does not take (err set) */
static char *
cleanpath(struct apkctx *c, const char *name)
{
	const char *why;
	char *p = nodes_memberpath(name, &why);

	if (why) {
		if (!c->err[0])
			snprintf(c->err, sizeof(c->err), "'%s' %s", showname(p), why);
		free(p);
		return NULL;
	}
	return p;
}

static struct apkdir *
finddir(struct apkctx *c, const char *name, size_t len)
{
	size_t i;

	for (i = c->ndirs; i-- > 0;) {
		if (strlen(c->dirs[i].name) == len && memcmp(c->dirs[i].name, name, len) == 0)
			return &c->dirs[i];
	}
	c->dirs = xrealloc(c->dirs, (c->ndirs + 1) * sizeof(*c->dirs));
	memset(&c->dirs[c->ndirs], 0, sizeof(c->dirs[0]));
	c->dirs[c->ndirs].name = xmalloc(len + 1);
	memcpy(c->dirs[c->ndirs].name, name, len);
	c->dirs[c->ndirs].name[len] = '\0';
	c->dirs[c->ndirs].mode = 0755;
	return &c->dirs[c->ndirs++];
}

/* the file's bytes into the layer's spool (and into keep, when not NULL) */
static void
spool(struct apkctx *c, struct apkfile *f, struct node *n, struct buf *keep)
{
	struct layer *l = c->l;
	char chunk[1 << 16], *tmp;
	ssize_t r;

	if (l->spool < 0) {
		l->spool = store_tmp(l->store, &tmp);
		unlink(tmp);
		free(tmp);
	}
	n->off = l->spoolsize;
	while ((r = apk_data(f, chunk, sizeof(chunk))) > 0) {
		if (pwrite(l->spool, chunk, (size_t)r, (off_t)l->spoolsize) != r)
			fatal("%s: write the spool:", c->ctx);
		if (keep && keep->len + (size_t)r <= MAXACCOUNTS)
			bufadd(keep, chunk, (size_t)r);
		l->spoolsize += r;
	}
	n->size = l->spoolsize - n->off;
}

/* whether a member is owned by a name apk resolves at install time (abuild
   writes uid 0 with the owner's name) */
static int
named(const struct tarmember *m)
{
	return (m->uname[0] && strcmp(m->uname, "root") != 0) || (m->gname[0] && strcmp(m->gname, "root") != 0);
}

/* an entry owned by name, for the apkdb entry to give the ids the image's
   accounts have: { path, type, mode, uid, gid, uname, gname[, link | text] } */
static void
owner(struct apkctx *c, const struct node *n, const struct tarmember *m, const struct buf *text)
{
	json_t *o, *t = NULL;

	if (!c->owners && !(c->owners = json_array()))
		fatal("out of memory");
	if (json_array_size(c->owners) >= MAXOWNERS) {
		if (!c->err[0])
			snprintf(c->err, sizeof(c->err), "more than %d entries owned by name", MAXOWNERS);
		return;
	}
	/* a file whose bytes are not kept keeps its numeric owner */
	if (n->kind == KSPOOL && (!text || !(t = json_stringn(text->data ? text->data : "", text->len))))
		return;
	o = json_pack("{s:s, s:s, s:i, s:I, s:I, s:s, s:s}", "path", n->path,
	              "type", n->kind == KDIR ? "dir" : n->kind == KLINK ? "link" : n->kind == KHARD ? "hard" : "file",
	              "mode", (int)n->mode, "uid", (json_int_t)n->uid, "gid", (json_int_t)n->gid,
	              "uname", m->uname, "gname", m->gname);
	if (!o) {
		json_decref(t);
		if (!c->err[0])
			snprintf(c->err, sizeof(c->err), "%s: an owner's name that is not UTF-8", showname(n->path));
		return;
	}
	if (n->kind == KLINK || n->kind == KHARD)
		jsonset(o, "link", json_string(n->src));
	if (n->kind == KSPOOL) {
		jsonset(o, "text", t);
		c->ownedtext += text->len;
	}
	jsonappend(c->owners, o);
}

static void
entry(void *arg, struct apkfile *f)
{
	struct apkctx *c = arg;
	struct tarmember *m = f->m;
	struct apkdir *d;
	struct node *n;
	char *path, q1[32];
	const char *base;
	long long mtime = m->mtime;
	struct buf *keep = NULL, owned = {0};
	size_t i;

	if (c->err[0] || !(path = cleanpath(c, m->name)))
		return;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (m->type != '5' && strncmp(base, ".keep_", 6) == 0) {
		free(path);
		return;
	}
	if (++c->entries > MAXENTRIES) {
		snprintf(c->err, sizeof(c->err), "more than %d files", MAXENTRIES);
		free(path);
		return;
	}
	n = nodes_add(c->l);
	n->ctx = c->ctx;
	n->path = path;
	n->uid = m->uid;
	n->gid = m->gid;
	n->mode = m->mode;
	n->mtime = mtime < c->l->epoch ? (mtime < 0 ? 0 : mtime) : c->l->epoch;
	if (m->type == '5') {
		n->kind = KDIR;
		d = finddir(c, path, strlen(path));
		d->mode = m->mode;
		d->uid = m->uid;
		d->gid = m->gid;
		if (named(m))
			owner(c, n, m, NULL);
		return;
	}
	d = finddir(c, path, (size_t)(base - path) - (base > path));
	bufprintf(&d->files, "R:%s\n", base);
	switch (m->type) {
	case '0':
		n->kind = KSPOOL;
		keep = named(m) && m->size <= MAXOWNEDTEXT && c->ownedtext + (size_t)m->size <= MAXOWNEDTEXT ? &owned : NULL;
		for (i = 0; i < 3; i++) {
			if (strcmp(path, accountfiles[i]) == 0) {
				keep = &c->accounts[i];
				keep->len = 0;
				c->accmode[i] = n->mode;
				c->accuid[i] = n->uid;
				c->accgid[i] = n->gid;
			}
		}
		spool(c, f, n, keep);
		if (keep != &owned)
			keep = NULL;
		break;
	case '2':
		n->kind = KLINK;
		n->mode = 0777;
		n->src = xstrdup(m->link);
		break;
	case '1':
		n->kind = KHARD;
		n->src = cleanpath(c, m->link);
		if (!n->src && !c->err[0])
			snprintf(c->err, sizeof(c->err), "%s: a hard link to the root", showname(path));
		break;
	default:
		snprintf(c->err, sizeof(c->err), "/%s: device files, fifos and sockets are not supported",
		         showname(path));
		return;
	}
	if (n->uid != 0 || n->gid != 0 || n->mode != 0644)
		bufprintf(&d->files, "a:%lld:%lld:%o\n", n->uid, n->gid, n->mode);
	if (named(m))
		owner(c, n, m, keep == &owned ? &owned : NULL);
	free(owned.data);
	if (m->hassha1) {
		apk_q1(m->sha1, q1);
		bufprintf(&d->files, "Z:%s\n", q1);
		c->sums = xrealloc(c->sums, (c->nsums + 1) * sizeof(*c->sums));
		c->sums[c->nsums].path = xstrdup(path);
		memcpy(c->sums[c->nsums].q1, q1, sizeof(q1));
		c->nsums++;
	} else if (m->type == '1' && n->src) {
		/* a hard link has its target's checksum, as apk gives it */
		for (i = c->nsums; i-- > 0;) {
			if (strcmp(c->sums[i].path, n->src) == 0) {
				bufprintf(&d->files, "Z:%s\n", c->sums[i].q1);
				break;
			}
		}
	}
}

/* the index fields of the package's block, as apk_pkg_write_index_header writes them */
static void
installed(struct buf *b, struct apkctx *c, const struct apkpkg *p)
{
	static const struct { const char *key, *field; int always; } head[] = {
		{ "A", NULL, 1 }, { "S", NULL, 1 }, { "I", "size", 1 }, { "T", "pkgdesc", 1 }, { "U", "url", 1 },
		{ "L", "license", 1 }, { "o", "origin", 0 }, { "m", "maintainer", 0 }, { "t", "builddate", 0 },
		{ "c", "commit", 0 }, { "k", "provider_priority", 0 },
	};
	static const struct { const char *key, *field; } lists[] = {
		{ "D", "depend" }, { "p", "provides" }, { "i", "install_if" }, { "r", "replaces" },
	};
	const char *v;
	size_t i, j, k;
	int first;

	bufprintf(b, "C:%s\nP:%s\nV:%s\n", p->checksum, apk_field(p, "pkgname"), apk_field(p, "pkgver"));
	for (i = 0; i < sizeof(head) / sizeof(head[0]); i++) {
		if (!head[i].field) {
			/* the arch the index gives (a noarch package's is the repository's), the file's size */
			if (strcmp(head[i].key, "A") == 0)
				bufprintf(b, "A:%s\n", specstr(c->e, "architecture", c->ctx));
			else
				bufprintf(b, "%s:%lld\n", head[i].key, c->size);
			continue;
		}
		v = apk_field(p, head[i].field);
		if ((v && *v && strcmp(v, "0") != 0) || head[i].always)
			bufprintf(b, "%s:%s\n", head[i].key, v ? v : (strcmp(head[i].key, "I") == 0 ? "0" : ""));
	}
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		first = 1;
		for (j = 0; j < p->nfields; j++) {
			if (strcmp(p->fields[j].key, lists[i].field) != 0 || !p->fields[j].value[0])
				continue;
			bufprintf(b, first ? "%s:%s" : " %s", first ? lists[i].key : p->fields[j].value,
			          p->fields[j].value);
			first = 0;
		}
		if (!first)
			bufstr(b, "\n");
	}
	v = apk_field(p, "replaces_priority");
	if (v && *v && strcmp(v, "0") != 0)
		bufprintf(b, "q:%s\n", v);
	for (k = 0; k < c->ndirs; k++) {
		struct apkdir *d = &c->dirs[k];
		bufprintf(b, "F:%s\n", d->name);
		if (d->uid != 0 || d->gid != 0 || d->mode != 0755)
			bufprintf(b, "M:%lld:%lld:%o\n", d->uid, d->gid, d->mode);
		bufadd(b, d->files.data, d->files.len);
	}
}

static json_t *
text(const char *ctx, const char *pkg, const char *what, const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);

	if (!j)
		fatal("%s: package %s: %s is not UTF-8 text", ctx, pkg, what);
	return j;
}

/* the sidecar's object */
static json_t *
sidecar(struct apkctx *c, const struct apkpkg *p, const struct buf *inst)
{
	json_t *o = json_object(), *info = json_object(), *scripts = json_object(), *v, *a;
	size_t i;

	if (!o || !info || !scripts)
		fatal("out of memory");
	jsonset(o, "package", text(c->ctx, c->pkg, "pkgname", c->pkg, strlen(c->pkg)));
	jsonset(o, "version", text(c->ctx, c->pkg, "pkgver", apk_field(p, "pkgver"), strlen(apk_field(p, "pkgver"))));
	jsonset(o, "architecture", jsontext(specstr(c->e, "architecture", c->ctx)));
	jsonset(o, "checksum", json_string(p->checksum));
	for (i = 0; i < p->nfields; i++) {
		v = text(c->ctx, c->pkg, ".PKGINFO", p->fields[i].value, strlen(p->fields[i].value));
		a = json_object_get(info, p->fields[i].key);
		if (!a) {
			jsonset(info, p->fields[i].key, v);
			continue;
		}
		if (!json_is_array(a)) {
			json_incref(a);
			json_t *list = json_array();
			jsonappend(list, a);
			jsonset(info, p->fields[i].key, list);
			a = list;
		}
		jsonappend(a, v);
	}
	jsonset(o, "pkginfo", info);
	jsonset(o, "installed", text(c->ctx, c->pkg, "the installed block", inst->data, inst->len));
	for (i = 0; i < APK_NSCRIPTS; i++) {
		if (p->scripts[i])
			jsonset(scripts, apk_scriptnames[i],
			        text(c->ctx, c->pkg, apk_scriptnames[i], p->scripts[i], p->scriptlen[i]));
	}
	jsonset(o, "scripts", scripts);
	v = json_object_get(info, "triggers");
	jsonset(o, "triggers", json_string(json_is_string(v) ? json_string_value(v) : ""));
	a = json_object();
	for (i = 0; i < 3; i++) {
		if (c->accounts[i].data) {
			json_t *f = json_pack("{s:i, s:I, s:I}", "mode", (int)c->accmode[i], "uid", (json_int_t)c->accuid[i],
			                      "gid", (json_int_t)c->accgid[i]);
			if (!f)
				fatal("out of memory");
			jsonset(f, "text", text(c->ctx, c->pkg, accountfiles[i], c->accounts[i].data, c->accounts[i].len));
			jsonset(a, accountfiles[i], f);
		}
	}
	jsonset(o, "files", a);
	if (c->owners) {
		json_incref(c->owners);
		jsonset(o, "owners", c->owners);
	}
	return o;
}

/* the entry's keys, { name, path } each */
static struct apkkey *
speckeys(json_t *e, const char *ctx, size_t *n)
{
	json_t *keys = json_object_get(e, "keys"), *k;
	struct apkkey *out;
	size_t i;

	if (!json_is_array(keys) || json_array_size(keys) > MAXKEYS)
		fatal("%s: spec: keys is not a list of at most %d keys", ctx, MAXKEYS);
	out = xcalloc(json_array_size(keys) + 1, sizeof(*out));
	json_array_foreach(keys, i, k) {
		out[i].name = specstr(k, "name", ctx);
		out[i].path = specstr(k, "path", ctx);
		if (strchr(out[i].name, '/') || !out[i].name[0] || strcmp(out[i].name, ".") == 0 ||
		    strcmp(out[i].name, "..") == 0)
			fatal("%s: spec: '%s' is not a key name", ctx, showname(out[i].name));
	}
	*n = json_array_size(keys);
	return out;
}

static void
freectx(struct apkctx *c)
{
	size_t i;

	for (i = 0; i < c->ndirs; i++) {
		free(c->dirs[i].name);
		free(c->dirs[i].files.data);
	}
	free(c->dirs);
	for (i = 0; i < c->nsums; i++)
		free(c->sums[i].path);
	free(c->sums);
	c->dirs = NULL;
	c->sums = NULL;
	c->ndirs = c->entries = c->nsums = c->ownedtext = 0;
	json_decref(c->owners);
	c->owners = NULL;
	for (i = 0; i < 3; i++) {
		free(c->accounts[i].data);
		c->accounts[i] = (struct buf){0};
	}
}

static int
verifying(void *arg, struct apkpkg *p)
{
	struct apkctx *c = arg;
	size_t n;
	struct apkkey *keys = speckeys(c->e, c->ctx, &n);
	int r = apk_verify(p, keys, n);

	free(keys);
	return r < 0 ? -1 : control(arg, p);
}

void
apklayer_apk(struct layer *l, json_t *e, const char *ctx)
{
	struct apkctx c;
	struct apkreader r = { verifying, entry, &c, NULL, 0 };
	struct apkpkg p;
	struct buf inst = {0};
	struct stat st;
	const char *src = specstr(e, "src", ctx), *sha256 = specstr(e, "sha256", ctx);
	const char *url = json_string_value(json_object_get(e, "url"));
	long long size = specint(e, "size", -1);
	size_t start = l->len, nkeys;
	struct apkkey *keys = speckeys(e, ctx, &nkeys);
	char hex[65];
	json_t *side;
	int try, ok;

	if (l->apk.len > 0)
		fatal("%s: spec: a layer holds one apk entry", ctx);
	r.keys = keys;
	r.nkeys = nkeys;
	for (try = 0;; try++) {
		memset(&c, 0, sizeof(c));
		c.l = l;
		c.e = e;
		c.ctx = ctx;
		c.pkg = specstr(e, "package", ctx);
		c.fd = -1;
		memset(&p, 0, sizeof(p));
		hex[0] = '\0';
		if (stat(src, &st) == 0 && (size < 0 || st.st_size == size) && (c.fd = open(src, O_RDONLY)) >= 0) {
			c.sha = sha256new();
			c.size = (long long)st.st_size;
			ok = apk_read(source, &c, &p, &r) == 0 && !c.err[0];
			/* whatever was not read is hashed too */
			while (source(&c, hex, 64) > 0)
				;
			close(c.fd);
			sha256done(c.sha, hex);
			if (ok && strcmp(hex, sha256) == 0)
				break;
			if (strcmp(hex, sha256) == 0) {
				/* the package the lock names, and it is refused: fetching it again would not help */
				nodes_truncate(l, start);
				freectx(&c);
				fatal("%s: package %s: %s", ctx, c.pkg, c.err[0] ? c.err : p.err);
			}
			nodes_truncate(l, start);
			apk_free(&p);
		}
		freectx(&c);
		if (try > 0 || !url)
			fatal("%s: %s is not the package the lock names (sha256 %s)", ctx, src, sha256);
		if (access(src, F_OK) == 0)
			warn("%s: %s does not match its sha256; fetching it again", ctx, src);
		unlink(src);
		fetch_file(url, src, sha256, size);
	}
	free(keys);
	installed(&inst, &c, &p);
	side = sidecar(&c, &p, &inst);
	free(inst.data);
	inst.data = dumpjson(side);
	json_decref(side);
	bufstr(&l->apk, inst.data);
	bufstr(&l->apk, "\n");
	free(inst.data);
	apk_free(&p);
	freectx(&c);
}

/* the package sidecars the entry names, read */
static json_t **
readsidecars(struct layer *l, json_t *e, const char *ctx, size_t *n)
{
	json_t *list = json_object_get(e, "apk"), *v, **out;
	struct buf b = {0};
	json_error_t err;
	size_t i;

	if (!json_is_array(list))
		fatal("%s: spec: apk is not a list of sidecars", ctx);
	out = xcalloc(json_array_size(list) + 1, sizeof(*out));
	json_array_foreach(list, i, v) {
		const char *path = json_string_value(v);
		if (!path)
			fatal("%s: spec: apk[%zu] is not a path", ctx, i + 1);
		b.len = 0;
		nodes_dep(l, ctx, path);
		if (readall(path, &b) < 0 || b.len > MAXSIDECAR)
			fatal("%s: the package sidecar %s cannot be read (its layer has not been made?):", ctx, path);
		out[i] = json_loadb(b.data, b.len, 0, &err);
		if (!out[i] || !json_is_string(json_object_get(out[i], "installed")) ||
		    !json_is_string(json_object_get(out[i], "package")))
			fatal("%s: %s: not an apk sidecar", ctx, path);
	}
	free(b.data);
	*n = json_array_size(list);
	return out;
}

static int
bypackage(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int r = strcmp(json_string_value(json_object_get(x, "package")), json_string_value(json_object_get(y, "package")));

	return r ? r : strcmp(json_string_value(json_object_get(x, "version")), json_string_value(json_object_get(y, "version")));
}

static int
tobuf(void *arg, const void *data, size_t len)
{
	bufadd(arg, data, len);
	return 0;
}

static int
bytext(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* a list of strings of the entry as lines, sorted when asked */
static void
lines(json_t *e, const char *key, const char *ctx, int sorted, struct buf *out)
{
	json_t *list = json_object_get(e, key), *v;
	const char **s;
	size_t i, n = json_array_size(list);

	if (list && !json_is_array(list))
		fatal("%s: spec: %s is not a list", ctx, key);
	s = xcalloc(n + 1, sizeof(*s));
	json_array_foreach(list, i, v) {
		if (!(s[i] = json_string_value(v)) || strchr(s[i], '\n'))
			fatal("%s: spec: %s[%zu] is not a line of text", ctx, key, i + 1);
	}
	if (sorted)
		qsort(s, n, sizeof(*s), bytext);
	for (i = 0; i < n; i++)
		bufprintf(out, "%s\n", s[i]);
	free(s);
}

/* whether the account file text has a line for name ("name:...") */
static int
hasname(const struct buf *text, const char *name)
{
	size_t n = strlen(name);
	const char *p = text->data;

	while (p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == ':')
			return 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

/* an account field of the entry, which may not hold ':' or a line's end */
static const char *
accountfield(json_t *o, const char *key, const char *ctx, const char *def)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_is_string(v) ? json_string_value(v) : def;

	if (!s || strpbrk(s, ":\n"))
		fatal("%s: spec: an account's %s is missing or holds ':' or a line's end", ctx, key);
	return s;
}

/* /etc/passwd, /etc/group and /etc/shadow: the last package's that has
   each, with the entry's users and groups added when they are not there,
   into f[3]; written into the layer when the entry has users or groups.
   An entry's "accounts" (passwd and group, the files the generator writes
   after the install scripts) are taken as they are, to look names up */
static void
accounts(struct layer *l, json_t *e, const char *ctx, json_t **pkgs, size_t n, struct buf f[3])
{
	json_t *users = json_object_get(e, "users"), *groups = json_object_get(e, "groups"), *u, *m;
	json_t *given = json_object_get(e, "accounts");
	size_t i, j, k;
	const char *name;
	unsigned mode[3];
	long long uid[3], gid[3];

	if (json_is_object(given)) {
		for (i = 0; i < 2; i++) {
			json_t *v = json_object_get(given, i == 0 ? "passwd" : "group");
			if (v && !json_is_string(v))
				fatal("%s: spec: accounts' %s is not text", ctx, i == 0 ? "passwd" : "group");
			bufadd(&f[i], v ? json_string_value(v) : "", v ? json_string_length(v) : 0);
		}
		return;
	}

	for (i = 0; i < 3; i++) {
		mode[i] = i == 2 ? 0640 : 0644;
		uid[i] = gid[i] = 0;
		for (j = n; j-- > 0;) {
			json_t *file = json_object_get(json_object_get(pkgs[j], "files"), accountfiles[i]);
			json_t *v = json_object_get(file, "text");
			if (json_is_string(v)) {
				bufadd(&f[i], json_string_value(v), json_string_length(v));
				mode[i] = (unsigned)specint(file, "mode", mode[i]) & 07777;
				uid[i] = specint(file, "uid", 0);
				gid[i] = specint(file, "gid", 0);
				break;
			}
		}
		if (f[i].len > 0 && f[i].data[f[i].len - 1] != '\n')
			bufstr(&f[i], "\n");
	}
	if (json_array_size(users) == 0 && json_array_size(groups) == 0)
		return;
	json_array_foreach(groups, i, u) {
		name = accountfield(u, "name", ctx, NULL);
		if (hasname(&f[1], name))
			continue;
		bufprintf(&f[1], "%s:x:%lld:", name, specint(u, "gid", 0));
		json_array_foreach(json_object_get(u, "members"), k, m) {
			if (!json_is_string(m) || strpbrk(json_string_value(m), ":,\n"))
				fatal("%s: spec: group %s: a member is not a user name", ctx, name);
			bufprintf(&f[1], "%s%s", k ? "," : "", json_string_value(m));
		}
		bufstr(&f[1], "\n");
	}
	json_array_foreach(users, i, u) {
		name = accountfield(u, "name", ctx, NULL);
		if (!hasname(&f[0], name))
			bufprintf(&f[0], "%s:x:%lld:%lld:%s:%s:%s\n", name, specint(u, "uid", 0), specint(u, "gid", 0),
			          accountfield(u, "gecos", ctx, ""), accountfield(u, "home", ctx, "/"),
			          accountfield(u, "shell", ctx, "/sbin/nologin"));
		if (!hasname(&f[2], name))
			bufprintf(&f[2], "%s:!::0:::::\n", name);
	}
	for (i = 0; i < 3; i++) {
		struct node *nd = nodes_addtext(l, ctx, xstrdup(accountfiles[i]), f[i].data ? f[i].data : "", f[i].len);
		nd->mode = mode[i];
		nd->uid = uid[i];
		nd->gid = gid[i];
	}
}

/* the id of name in an account file's text (the third field), or -1 */
static long long
idof(const struct buf *text, const char *name)
{
	size_t n = strlen(name);
	const char *p = text->data, *q;

	while (n > 0 && p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == ':' && (q = strchr(p + n + 1, ':')) && q[1] >= '0' && q[1] <= '9')
			return strtoll(q + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* an entry whose owner apk resolves by name, with the ids it gets */
struct owned {
	const char *path;
	int dir;
	unsigned mode;
	long long uid, gid;
};

/* the entries of a package owned by name, resolved against the image's
   accounts; those whose ids change are made again in the layer (dirs,
   links, and files whose bytes the sidecar kept) */
static struct owned *
resolveowners(struct layer *l, const char *ctx, json_t *pkg, const struct buf f[3], size_t *n)
{
	json_t *owners = json_object_get(pkg, "owners"), *o;
	struct owned *out = xcalloc(json_array_size(owners) + 1, sizeof(*out));
	struct node *nd;
	const char *type;
	long long uid, gid;
	size_t i;

	*n = 0;
	json_array_foreach(owners, i, o) {
		type = json_string_value(json_object_get(o, "type"));
		if (!type || !json_is_string(json_object_get(o, "path")))
			fatal("%s: %s: a malformed owner record", ctx, json_string_value(json_object_get(pkg, "package")));
		uid = specint(o, "uid", 0);
		gid = specint(o, "gid", 0);
		if (json_string_length(json_object_get(o, "uname")) && idof(&f[0], json_string_value(json_object_get(o, "uname"))) >= 0)
			uid = idof(&f[0], json_string_value(json_object_get(o, "uname")));
		if (json_string_length(json_object_get(o, "gname")) && idof(&f[1], json_string_value(json_object_get(o, "gname"))) >= 0)
			gid = idof(&f[1], json_string_value(json_object_get(o, "gname")));
		if (uid == specint(o, "uid", 0) && gid == specint(o, "gid", 0))
			continue;
		if (strcmp(type, "hard") == 0)
			continue;
		nd = nodes_add(l);
		nd->ctx = ctx;
		nd->path = xstrdup(json_string_value(json_object_get(o, "path")));
		nd->uid = uid;
		nd->gid = gid;
		nd->mode = (unsigned)specint(o, "mode", 0644);
		if (strcmp(type, "dir") == 0) {
			nd->kind = KDIR;
		} else if (strcmp(type, "link") == 0) {
			nd->kind = KLINK;
			nd->src = xstrdup(specstr(o, "link", ctx));
		} else {
			json_t *t = json_object_get(o, "text");
			nd->kind = KTEXT;
			nd->textlen = json_string_length(t);
			nd->src = xmalloc(nd->textlen + 1);
			memcpy(nd->src, json_string_value(t) ? json_string_value(t) : "", nd->textlen);
			nd->src[nd->textlen] = '\0';
		}
		out[*n].path = nd->path;
		out[*n].dir = nd->kind == KDIR;
		out[*n].mode = nd->mode;
		out[*n].uid = uid;
		out[*n].gid = gid;
		(*n)++;
	}
	return out;
}

/* the package's installed block with the M: and a: lines of the entries in
   own (n) given their resolved ids */
static void
patchblock(struct buf *out, const char *block, const struct owned *own, size_t n)
{
	const char *p = block, *nl, *dir = "";
	size_t dirlen = 0, len, i;
	char *path;
	int skip = 0;

	for (; *p; p = nl) {
		nl = strchr(p, '\n');
		nl = nl ? nl + 1 : p + strlen(p);
		len = (size_t)(nl - p);
		if (skip && ((skip == 'M' && strncmp(p, "M:", 2) == 0) || (skip == 'a' && strncmp(p, "a:", 2) == 0))) {
			skip = 0;
			continue;
		}
		skip = 0;
		bufadd(out, p, len);
		if (n == 0 || (strncmp(p, "F:", 2) != 0 && strncmp(p, "R:", 2) != 0))
			continue;
		if (p[0] == 'F') {
			dir = p + 2;
			dirlen = len - 3;
			path = xasprintf("%.*s", (int)dirlen, dir);
		} else {
			path = dirlen ? xasprintf("%.*s/%.*s", (int)dirlen, dir, (int)(len - 3), p + 2)
			              : xasprintf("%.*s", (int)(len - 3), p + 2);
		}
		for (i = 0; i < n; i++) {
			if (strcmp(own[i].path, path) != 0 || own[i].dir != (p[0] == 'F'))
				continue;
			if (own[i].uid != 0 || own[i].gid != 0 || own[i].mode != (own[i].dir ? 0755u : 0644u))
				bufprintf(out, "%c:%lld:%lld:%o\n", own[i].dir ? 'M' : 'a', own[i].uid, own[i].gid, own[i].mode);
			skip = own[i].dir ? 'M' : 'a';
		}
		free(path);
	}
}

void
apklayer_db(struct layer *l, json_t *e, const char *ctx)
{
	size_t n, i, j, nkeys;
	json_t **pkgs = readsidecars(l, e, ctx, &n), **sorted, *scripts, *v;
	struct apkkey *keys = speckeys(e, ctx, &nkeys);
	struct buf inst = {0}, trig = {0}, tarb = {0}, b = {0}, acc[3] = {{0}};
	struct tar *t = tar_open(tobuf, &tarb, 0);
	struct tarhead h;
	const char *name, *arch = specstr(e, "arch", ctx);
	char *member;

	sorted = xcalloc(n + 1, sizeof(*sorted));
	memcpy(sorted, pkgs, n * sizeof(*pkgs));
	qsort(sorted, n, sizeof(*sorted), bypackage);
	accounts(l, e, ctx, pkgs, n, acc);
	for (i = 0; i < n; i++) {
		size_t nown;
		struct owned *own = resolveowners(l, ctx, sorted[i], acc, &nown);
		patchblock(&inst, json_string_value(json_object_get(sorted[i], "installed")), own, nown);
		bufstr(&inst, "\n");
		free(own);
	}
	nodes_addtext(l, ctx, xstrdup("lib/apk/db/installed"), inst.data ? inst.data : "", inst.len);
	/* scripts.tar and triggers, in install order */
	for (i = 0; i < n; i++) {
		const char *pkg = json_string_value(json_object_get(pkgs[i], "package"));
		const char *ver = json_string_value(json_object_get(pkgs[i], "version"));
		const char *sum = json_string_value(json_object_get(pkgs[i], "checksum"));
		const char *bd = json_string_value(json_object_get(json_object_get(pkgs[i], "pkginfo"), "builddate"));
		long long builddate = bd ? strtoll(bd, NULL, 10) : -1;
		scripts = json_object_get(pkgs[i], "scripts");
		for (j = 0; j < APK_NSCRIPTS; j++) {
			v = json_object_get(scripts, apk_scriptnames[j]);
			if (!json_is_string(v))
				continue;
			member = xasprintf("%s-%s.%s%s", pkg, ver ? ver : "", sum ? sum : "", apk_scriptnames[j]);
			memset(&h, 0, sizeof(h));
			h.path = member;
			h.type = TAR_FILE;
			h.mode = 0755;
			/* the package's build time, as apk has it, clamped to the epoch */
			h.mtime = builddate < 0 || builddate > l->epoch ? l->epoch : builddate;
			h.size = (long long)json_string_length(v);
			if (tar_header(t, &h) < 0 || tar_data(t, json_string_value(v), json_string_length(v)) < 0)
				fatal("%s: scripts.tar: %s", ctx, tar_error(t));
			free(member);
		}
		v = json_object_get(pkgs[i], "triggers");
		if (json_is_string(v) && json_string_length(v) > 0)
			bufprintf(&trig, "%s %s\n", sum ? sum : "", json_string_value(v));
	}
	if (tar_close(t) < 0)
		fatal("%s: scripts.tar: %s", ctx, tar_error(t));
	tar_free(t);
	nodes_addtext(l, ctx, xstrdup("lib/apk/db/scripts.tar"), tarb.data ? tarb.data : "", tarb.len);
	nodes_addtext(l, ctx, xstrdup("lib/apk/db/triggers"), trig.data ? trig.data : "", trig.len);
	nodes_addtext(l, ctx, xstrdup("lib/apk/db/lock"), "", 0)->mode = 0600;
	lines(e, "world", ctx, 1, &b);
	nodes_addtext(l, ctx, xstrdup("etc/apk/world"), b.data ? b.data : "", b.len);
	b.len = 0;
	lines(e, "repositories", ctx, 0, &b);
	nodes_addtext(l, ctx, xstrdup("etc/apk/repositories"), b.data ? b.data : "", b.len);
	b.len = 0;
	bufprintf(&b, "%s\n", arch);
	nodes_addtext(l, ctx, xstrdup("etc/apk/arch"), b.data, b.len);
	for (i = 0; i < nkeys; i++) {
		b.len = 0;
		name = keys[i].name;
		if (readall(keys[i].path, &b) < 0)
			fatal("%s: the key %s cannot be read:", ctx, keys[i].path);
		nodes_dep(l, ctx, keys[i].path);
		nodes_addtext(l, ctx, xasprintf("etc/apk/keys/%s", name), b.data, b.len);
	}
	for (i = 0; i < 3; i++)
		free(acc[i].data);
	for (i = 0; i < n; i++)
		json_decref(pkgs[i]);
	free(pkgs);
	free(sorted);
	free(keys);
	free(inst.data);
	free(trig.data);
	free(tarb.data);
	free(b.data);
}
