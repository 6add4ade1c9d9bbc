/*
 * pkglayer: Debian packages as entries of a layer.
 *
 * A "deb" entry adds the files of the package's data.tar as they are in
 * the package (owners, modes, setuid bits, links), their mtimes clamped to
 * the layer's epoch; the file bytes go to a spool file of the store while
 * the headers are collected, since the layer is written in path order. It
 * also adds what dpkg and scanners read: var/lib/dpkg/status.d/NAME (the
 * control paragraph, with "Status: install ok installed"),
 * var/lib/dpkg/info/NAME.md5sums and NAME.list (NAME:ARCH for Multi-Arch:
 * same packages). A "dpkgstatus" entry writes var/lib/dpkg/status: every
 * listed package's paragraph, sorted by name.
 *
 * A cached package that does not match its sha256 is fetched again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include "util.h"
#include "store.h"
#include "nodes.h"
#include "pkglayer.h"
#include "deb.h"
#include "fetch.h"

/* one package being added to the layer */
struct debctx {
	struct layer *l;
	const char *ctx;
	const char *pkg;
	/* the dpkg file list: "/.", then every path */
	struct buf list;
};

/* "./usr/bin/x" or "usr/bin/x/" -> "usr/bin/x"; NULL for the root */
static char *
debpath(const struct debctx *c, const char *name)
{
	char *p, *part, *save = NULL;
	size_t n;

	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (*name == '/')
		name++;
	if (*name == '\0' || strcmp(name, ".") == 0)
		return NULL;
	p = xstrdup(name);
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	name = xstrdup(p);
	for (part = strtok_r((char *)name, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (strcmp(part, "..") == 0 || strcmp(part, ".") == 0)
			fatal("%s: package %s: '%s' is not a clean relative path", c->ctx, c->pkg, showname(p));
		if (strncmp(part, ".wh.", 4) == 0)
			fatal("%s: package %s: '%s' is named like a whiteout", c->ctx, c->pkg, showname(p));
	}
	free((char *)name);
	return p;
}

static void
spool(struct layer *l, struct archive *a, struct node *n, const char *ctx)
{
	char chunk[1 << 16], *tmp;
	la_ssize_t r;

	if (l->spool < 0) {
		l->spool = store_tmp(l->store, &tmp);
		unlink(tmp);
		free(tmp);
	}
	n->off = l->spoolsize;
	while ((r = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if (pwrite(l->spool, chunk, (size_t)r, (off_t)l->spoolsize) != r)
			fatal("%s: write the spool:", ctx);
		l->spoolsize += r;
	}
	if (r < 0)
		fatal("%s: %s", ctx, archiveerr(a));
	n->size = l->spoolsize - n->off;
}

static void
debentry(void *arg, struct archive *a, struct archive_entry *e)
{
	struct debctx *c = arg;
	struct node *n;
	char *path = debpath(c, archive_entry_pathname(e));
	long long mtime = archive_entry_mtime(e);

	if (!path)
		return;
	n = nodes_add(c->l);
	n->path = path;
	n->ctx = c->ctx;
	n->uid = archive_entry_uid(e);
	n->gid = archive_entry_gid(e);
	n->mode = archive_entry_perm(e);
	n->mtime = mtime < c->l->epoch ? (mtime < 0 ? 0 : mtime) : c->l->epoch;
	bufprintf(&c->list, "/%s\n", path);
	if (archive_entry_hardlink(e)) {
		n->kind = KHARD;
		n->src = debpath(c, archive_entry_hardlink(e));
		if (!n->src)
			fatal("%s: package %s: %s: hard link to the root", c->ctx, c->pkg, showname(path));
		return;
	}
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		n->kind = KDIR;
		break;
	case AE_IFLNK:
		n->kind = KLINK;
		n->mode = 0777;
		n->src = xstrdup(archive_entry_symlink(e));
		break;
	case AE_IFREG:
		n->kind = KSPOOL;
		spool(c->l, a, n, c->ctx);
		break;
	default:
		fatal("%s: package %s: /%s: device files, fifos and sockets are not supported",
		      c->ctx, c->pkg, showname(path));
	}
}

/* make sure the cached package is the one the lock names, or fetch it again */
static void
debcheck(const char *ctx, const char *src, const char *sha256, const char *url, long long size)
{
	if (sha256verify(src, sha256) == 0)
		return;
	if (access(src, F_OK) == 0)
		warn("%s: %s does not match its sha256; fetching it again", ctx, showname(src));
	if (!url)
		fatal("%s: %s does not match its sha256 %s", ctx, showname(src), sha256);
	unlink(src);
	fetch_file(url, src, sha256, size);
}

/* "Package: x" first, then "Status: install ok installed", then the rest */
static void
statusentry(struct buf *out, const char *control)
{
	const char *nl = strchr(control, '\n');
	size_t first = nl ? (size_t)(nl - control) + 1 : strlen(control);

	bufadd(out, control, first);
	bufstr(out, "Status: install ok installed\n");
	bufstr(out, control + first);
}

/* the name dpkg files a package's lists under: name, or name:arch for Multi-Arch: same */
static char *
dpkgname(const char *control, const char *ctx)
{
	char *pkg = deb_field(control, "Package"), *ma = deb_field(control, "Multi-Arch");
	char *arch = deb_field(control, "Architecture"), *name;

	if (!pkg || !arch)
		fatal("%s: the package's control file has no Package or Architecture", ctx);
	if (!deb_validname(pkg, 0) || !deb_validname(arch, 1))
		fatal("%s: the package's control file names a malformed Package or Architecture", ctx);
	name = ma && strcmp(ma, "same") == 0 ? xasprintf("%s:%s", pkg, arch) : xstrdup(pkg);
	free(pkg);
	free(ma);
	free(arch);
	return name;
}

void
pkglayer_deb(struct layer *l, json_t *e, const char *ctx)
{
	struct debctx c = {0};
	struct deb d;
	struct buf status = {0};
	const char *src = nodes_specstr(e, "src", ctx);
	char *name;

	debcheck(ctx, src, nodes_specstr(e, "sha256", ctx), json_string_value(json_object_get(e, "url")),
	         nodes_specint(e, "size", -1));
	c.l = l;
	c.ctx = ctx;
	c.pkg = nodes_specstr(e, "package", ctx);
	if (!deb_validname(c.pkg, 0))
		fatal("%s: spec: '%s' is not a package name", ctx, c.pkg);
	bufstr(&c.list, "/.\n");
	deb_read(src, &d, debentry, &c);
	name = dpkgname(d.control.data, ctx);
	statusentry(&status, d.control.data);
	nodes_addtext(l, ctx, xasprintf("var/lib/dpkg/status.d/%s", c.pkg), status.data, status.len);
	if (d.md5sums.len > 0)
		nodes_addtext(l, ctx, xasprintf("var/lib/dpkg/info/%s.md5sums", name), d.md5sums.data, d.md5sums.len);
	nodes_addtext(l, ctx, xasprintf("var/lib/dpkg/info/%s.list", name), c.list.data, c.list.len);
	free(name);
	free(status.data);
	free(c.list.data);
	deb_free(&d);
}

struct statusent {
	char *pkg;
	struct buf text;
};

static int
bypkg(const void *a, const void *b)
{
	return strcmp(((const struct statusent *)a)->pkg, ((const struct statusent *)b)->pkg);
}

/* /var/lib/dpkg/status: every package's status entry, by name */
void
pkglayer_status(struct layer *l, json_t *e, const char *ctx)
{
	json_t *debs = json_object_get(e, "debs"), *x;
	struct statusent *ents;
	struct buf out = {0};
	struct deb d;
	size_t i, n = json_array_size(debs);

	ents = xcalloc(n, sizeof(*ents));
	json_array_foreach(debs, i, x) {
		const char *src = nodes_specstr(x, "src", ctx);
		debcheck(ctx, src, nodes_specstr(x, "sha256", ctx), json_string_value(json_object_get(x, "url")),
		         nodes_specint(x, "size", -1));
		deb_read(src, &d, NULL, NULL);
		ents[i].pkg = deb_field(d.control.data, "Package");
		if (!ents[i].pkg)
			fatal("%s: %s: the control file has no Package field", ctx, showname(src));
		statusentry(&ents[i].text, d.control.data);
		deb_free(&d);
	}
	qsort(ents, n, sizeof(*ents), bypkg);
	for (i = 0; i < n; i++) {
		if (i > 0)
			bufstr(&out, "\n");
		bufadd(&out, ents[i].text.data, ents[i].text.len);
		free(ents[i].pkg);
		free(ents[i].text.data);
	}
	nodes_addtext(l, ctx, xstrdup(nodes_specstr(e, "path", ctx)), out.data ? out.data : "", out.len);
	free(out.data);
	free(ents);
}

