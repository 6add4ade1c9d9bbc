/*
 * dpkgdb: the packages of an image, as dpkg would list them, from the
 * files its layers leave: var/lib/dpkg/status and var/lib/dpkg/status.d/NAME
 * (one paragraph a package, as distroless images and imagegen write it),
 * each package's file list (var/lib/dpkg/info/NAME.list or NAME:ARCH.list)
 * and its copyright file (usr/share/doc/NAME/copyright). A package counts
 * when its Status says installed, or (status.d) says nothing.
 *
 * Licences: those a machine-readable copyright file (DEP-5) declares, as
 * the SPDX expression the SBOM gives them (debian/license.c); none for
 * another one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "debian/deb.h"
#include "debian/license.h"
#include "read/fstree.h"
#include "read/dpkgdb.h"

enum { MAXPACKAGES = 100000 };

int
dpkgdb_wants(const char *path, enum dpkgread what)
{
	size_t n = strlen(path);

	if (strcmp(path, "var/lib/dpkg/status") == 0 || strncmp(path, "var/lib/dpkg/status.d/", 22) == 0)
		return 1;
	if (what == DPKG_STATUS)
		return 0;
	if (strncmp(path, "var/lib/dpkg/info/", 18) == 0 && n > 23 && strcmp(path + n - 5, ".list") == 0)
		return 1;
	return what == DPKG_ALL && strncmp(path, "usr/share/doc/", 14) == 0 && n > 24 && strchr(path + 14, '/') == path + n - 10 &&
	       strcmp(path + n - 10, "/copyright") == 0;
}

/* the licences a copyright file declares, as the SBOM has them (license.c): an
   SPDX expression, or "" when the file is not machine-readable */
static char *
licences(const struct buf *text)
{
	json_t *refs = json_object();
	char *lic;

	if (!refs)
		fatal("out of memory");
	lic = text->data ? license_dep5(text->data, refs) : NULL;
	json_decref(refs);
	if (!lic || strcmp(lic, "NOASSERTION") == 0) {
		free(lic);
		return xstrdup("");
	}
	return lic;
}

static char *
field(const char *para, const char *name)
{
	char *v = deb_field(para, name);

	return v ? v : xstrdup("");
}

/* the packages of one status file's paragraphs */
static void
readstatus(const struct buf *text, struct dpkgdb *db)
{
	const char *p = text->data, *end;
	struct dpkgpkg *k;
	char *para, *status, *name;

	while (p && *p) {
		end = strstr(p, "\n\n");
		para = end ? xasprintf("%.*s\n", (int)(end - p), p) : xstrdup(p);
		p = end ? end + 2 : NULL;
		name = deb_field(para, "Package");
		status = deb_field(para, "Status");
		if (name && deb_validname(name, 0) && (!status || strstr(status, " installed"))) {
			if (db->len == MAXPACKAGES)
				fatal("more than %d packages in the dpkg database", MAXPACKAGES);
			db->p = xrealloc(db->p, (db->len + 1) * sizeof(*db->p));
			k = &db->p[db->len++];
			memset(k, 0, sizeof(*k));
			k->name = name;
			k->arch = field(para, "Architecture");
			k->version = field(para, "Version");
			name = NULL;
		}
		free(name);
		free(status);
		free(para);
	}
}

static int
bypkg(const void *a, const void *b)
{
	const struct dpkgpkg *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->arch, y->arch);
}

/* the package's files: their nodes take its index, and it their count and bytes */
static void
readlist(struct fstree *t, struct dpkgdb *db, size_t i)
{
	struct dpkgpkg *k = &db->p[i];
	char *path = xasprintf("var/lib/dpkg/info/%s:%s.list", k->name, k->arch), *line;
	struct fsnode *n = fstree_get(t, path);
	const char *p, *end;

	if (!n || !n->e || !n->e->data.data) {
		free(path);
		path = xasprintf("var/lib/dpkg/info/%s.list", k->name);
		n = fstree_get(t, path);
	}
	free(path);
	if (!n || !n->e || !n->e->data.data)
		return;
	for (p = n->e->data.data; *p; p = end ? end + 1 : p + strlen(p)) {
		end = strchr(p, '\n');
		while (*p == '/')
			p++;
		line = end ? xasprintf("%.*s", (int)(end - p), p) : xstrdup(p);
		n = fstree_get(t, line);
		free(line);
		if (!n || !n->e || n->e->type == 'd' || n->pkg >= 0)
			continue;
		n->pkg = (int)i;
		k->files++;
		k->bytes += n->e->type == 'f' ? n->e->size : 0;
	}
}

static void
readcopyright(struct fstree *t, struct dpkgpkg *k)
{
	char *path = xasprintf("usr/share/doc/%s", k->name), *file;
	struct fsnode *n = fstree_resolve(t, path);

	free(path);
	if (n) {
		file = xasprintf("%s/copyright", n->path);
		n = fstree_resolve(t, file);
		free(file);
	}
	k->licence = n && n->e && n->e->type == 'f' ? licences(&n->e->data) : xstrdup("");
}

void
dpkgdb_read(struct fstree *t, enum dpkgread what, struct dpkgdb *db)
{
	struct fsnode *n = fstree_get(t, "var/lib/dpkg/status"), *c;
	size_t i, j;

	memset(db, 0, sizeof(*db));
	if (n && n->e && n->e->type == 'f')
		readstatus(&n->e->data, db);
	n = fstree_get(t, "var/lib/dpkg/status.d");
	for (c = n ? n->child : NULL; c; c = c->next) {
		if (c->e && c->e->type == 'f')
			readstatus(&c->e->data, db);
	}
	if (db->len > 1)
		qsort(db->p, db->len, sizeof(*db->p), bypkg);
	/* the status file and status.d name the same package: once */
	for (i = 0, j = 0; i < db->len; i++) {
		if (j > 0 && bypkg(&db->p[j - 1], &db->p[i]) == 0) {
			free(db->p[i].name);
			free(db->p[i].arch);
			free(db->p[i].version);
			continue;
		}
		db->p[j++] = db->p[i];
	}
	db->len = j;
	for (i = 0; i < db->len; i++) {
		if (what != DPKG_STATUS)
			readlist(t, db, i);
		if (what == DPKG_ALL)
			readcopyright(t, &db->p[i]);
		else
			db->p[i].licence = xstrdup("");
	}
}

void
dpkgdb_free(struct dpkgdb *db)
{
	size_t i;

	for (i = 0; i < db->len; i++) {
		free(db->p[i].name);
		free(db->p[i].arch);
		free(db->p[i].version);
		free(db->p[i].licence);
	}
	free(db->p);
	memset(db, 0, sizeof(*db));
}
