/*
 * pkglayer: Debian packages as entries of a layer.
 *
 * A "deb" entry adds the files of the package's data.tar as they are in
 * the package (owners, modes, setuid bits, links), their mtimes clamped to
 * the layer's epoch; the file bytes go to a spool file of the store while
 * the headers are collected, since the layer is written in path order.
 * With "mergedusr", paths under /bin, /sbin and /lib* are written under
 * /usr (the image has /bin -> usr/bin and so on, from another layer), as
 * dpkg unpacking through those links would put them.
 *
 * It also adds what dpkg keeps in its database, as dpkg would: status.d/NAME
 * (the control paragraph with "Status: install ok installed", read by
 * scanners), info/NAME.list (every path as the package names it),
 * info/NAME.md5sums (made here when the package has none), conffiles and
 * the maintainer scripts (kept, never run), under NAME:ARCH for Multi-Arch:
 * same packages. What the image's dpkg layer needs (see system.c) goes to
 * the layer's dpkg sidecar: each package's status paragraph, with its
 * Conffiles and their md5sums, its file list, its folders with their modes
 * and owners (for the scripts' chown and chmod), its scripts, and the
 * contents of the few files that maintainer scripts read (certificates,
 * base-passwd's master files).
 *
 * The .deb is read once: hashed as it is read, and checked against the
 * lock's sha256 at the end. A cached package that does not match is
 * fetched again and read again. One that does must have the Package,
 * Version and Architecture of its lock line in its control file, else the
 * lock lies and the package is refused.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/spec.h"
#include "base/arc.h"
#include "base/store.h"
#include "net/fetch.h"
#include "debian/deb.h"
#include "debian/ldcache.h"
#include "layer/nodes.h"
#include "layer/system.h"
#include "layer/apklayer.h"
#include "layer/pkglayer.h"
#include <jansson.h>
#include <nettle/md5.h>

/* the top folders that merged /usr moves under /usr */
static const char *const usrdirs[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32", "libo32", NULL };

/* the most of such a file kept (a certificate is a few KB), and the most
   entries a package's data.tar may have (Debian's largest have 10^5) */
enum { MAXKEPT = 16 << 20, MAXENTRIES = 1 << 20 };

/* files whose contents the image's dpkg layer reads, by prefix */
static const char *const keptfiles[] = {
	"usr/share/ca-certificates/",
	"usr/share/base-passwd/passwd.master",
	"usr/share/base-passwd/group.master",
	/* update-shells reads every package's shells; postgresql's scripts source this */
	"usr/share/debianutils/shells",
	/* PAM's profiles and templates, and the locales (imagegen.sysconf) */
	"usr/share/pam-configs/",
	"usr/share/pam/common-",
	"usr/share/i18n/SUPPORTED",
	/* the dynamic linker's folders (imagegen.system's ld.so.cache) */
	"etc/ld.so.conf",
	NULL,
};

/* the most of a file named by the package's own scripts kept (a helper they
   source, a default they copy), and the most of such files a package keeps */
enum { MAXNAMED = 256 << 10, MAXNAMEDTOTAL = 4 << 20, MAXSHLIB = 64 << 10 };

/* where the paths a script names may lead to files kept for it, and where not */
static const char *const namedunder = "usr/share/";
static const char *const notnamed[] = { "usr/share/doc/", "usr/share/man/", "usr/share/locale/", NULL };

/* one package being added to the layer */
struct debctx {
	struct layer *l;
	const char *ctx;
	const char *pkg;
	int mergedusr;
	/* the dpkg file list: "/.", then every path */
	struct buf list;
	/* the package has no md5sums: make them */
	int summing;
	struct buf md5sums;
	/* conffiles ("/etc/x"), and their md5sums as they are read */
	char **conf;
	char (*confmd5)[33];
	size_t nconf;
	/* kept file contents, as sidecar records */
	struct buf kept;
	/* the paths under namedunder the package's preinst, postinst and config
	   name (without the "/"), each a prefix of the files kept for them */
	char **named;
	size_t nnamed, namedsize;
	/* the folders: "MODE UID GID /path" a line, the mode in octal */
	struct buf dirs;
	/* the entries of data.tar so far */
	size_t entries;
};

char *
pkglayer_usrpath(const char *path)
{
	size_t i, n;

	for (i = 0; usrdirs[i]; i++) {
		n = strlen(usrdirs[i]);
		if (strncmp(path, usrdirs[i], n) == 0 && (path[n] == '/' || path[n] == '\0'))
			return xasprintf("usr/%s", path);
	}
	return xstrdup(path);
}

const char *const *
pkglayer_usrdirs(void)
{
	return usrdirs;
}

/* the package refused over path, which is freed first: a refusal leaves
   behind only what the layer holds (fmt's arguments are shown already) */
static void
refuse(const struct debctx *c, char *path, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	free(path);
	fatal("%s: package %s: %s", c->ctx, c->pkg, msg);
}

/* nodes_memberpath, the package refused over a name it does not take */
static char *
debpath(const struct debctx *c, const char *name)
{
	const char *why;
	char *p = nodes_memberpath(name, &why);

	if (why)
		refuse(c, p, "'%s' %s", showname(p), why);
	return p;
}

/* the path in the layer of a path the package names */
static char *
layerpath(const struct debctx *c, char *path)
{
	char *p;

	if (!c->mergedusr)
		return path;
	p = pkglayer_usrpath(path);
	free(path);
	return p;
}

static int
kept(const char *path)
{
	size_t i;

	for (i = 0; keptfiles[i]; i++) {
		if (strncmp(path, keptfiles[i], strlen(keptfiles[i])) == 0)
			return 1;
	}
	return 0;
}

/* whether the file at path, of size bytes, is one the package's scripts
   name (a path they name is a prefix of it), and there is room for it */
static int
named(const struct debctx *c, const char *path, long long size)
{
	size_t i;

	if (size > MAXNAMED || c->namedsize + (size_t)size > MAXNAMEDTOTAL)
		return 0;
	for (i = 0; notnamed[i]; i++) {
		if (strncmp(path, notnamed[i], strlen(notnamed[i])) == 0)
			return 0;
	}
	for (i = 0; i < c->nnamed; i++) {
		if (strncmp(path, c->named[i], strlen(c->named[i])) == 0)
			return 1;
	}
	return 0;
}

/* whether the file may be a shell library other packages' scripts source
   (postgresql-common's maintscripts-functions): not executable, small,
   under namedunder and not its documentation */
static int
shlibcandidate(const struct debctx *c, const char *path, long long size, int mode)
{
	size_t i;

	if ((mode & 0111) || size > MAXSHLIB || c->namedsize + (size_t)size > MAXNAMEDTOTAL ||
	    strncmp(path, namedunder, strlen(namedunder)) != 0)
		return 0;
	for (i = 0; notnamed[i]; i++) {
		if (strncmp(path, notnamed[i], strlen(notnamed[i])) == 0)
			return 0;
	}
	return 1;
}

/* whether text defines a shell function at the start of a line: "name() {" */
static int
shlib(const struct buf *text)
{
	size_t i = 0, j;

	while (i < text->len) {
		for (j = i; j < text->len && (text->data[j] == '_' || ((text->data[j] | 32) >= 'a' &&
		     (text->data[j] | 32) <= 'z') || (j > i && text->data[j] >= '0' && text->data[j] <= '9')); j++)
			;
		if (j > i) {
			while (j < text->len && text->data[j] == ' ')
				j++;
			if (j + 1 < text->len && text->data[j] == '(' && text->data[j + 1] == ')')
				return 1;
		}
		while (i < text->len && text->data[i] != '\n')
			i++;
		i++;
	}
	return 0;
}

/* the paths under namedunder a script names: each "/usr/share/..." up to a
   byte no literal path has ("$", a quote, a space, ...) */
static void
readnamed(struct debctx *c, const struct buf *script)
{
	const char *p, *end, *q;
	size_t n = strlen(namedunder), len;

	if (!script->data)
		return;
	end = script->data + script->len;
	for (p = script->data; p + n + 1 <= end; p++) {
		if (*p != '/' || memcmp(p + 1, namedunder, n) != 0)
			continue;
		for (q = p + 1; q < end && !strchr(" \t\n\"'$`;|&<>(){}*?[]\\", *q) && *q != '\0'; q++)
			;
		len = (size_t)(q - p - 1);
		if (len > n && c->nnamed < 256) {
			c->named = xrealloc(c->named, (c->nnamed + 1) * sizeof(*c->named));
			c->named[c->nnamed] = xmalloc(len + 1);
			memcpy(c->named[c->nnamed], p + 1, len);
			c->named[c->nnamed][len] = '\0';
			c->nnamed++;
		}
		p = q - 1;
	}
}

/* one record of the dpkg sidecar: "LENGTH KEY\nBYTES\n" */
static void
record(struct buf *out, const char *key, const char *data, size_t len)
{
	bufprintf(out, "%zu %s\n", len, key);
	bufadd(out, data ? data : "", len);
	bufstr(out, "\n");
}

/* the spool's bytes of a file, for the ELF reader */
struct spoolsrc {
	int fd;
	long long off;
};

static int
spoolread(void *ctx, unsigned long long off, void *buf, size_t len)
{
	struct spoolsrc *s = ctx;

	return pread(s->fd, buf, len, (off_t)(s->off + (long long)off)) == (ssize_t)len ? 0 : -1;
}

/* a name ldconfig looks at (glibc's _dl_is_dso): lib*.so*, ld-*.so*, ld.so.*, ld64.so.* */
static int
dsoname(const char *path)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	return ((strncmp(name, "lib", 3) == 0 || strncmp(name, "ld-", 3) == 0) && strstr(name, ".so")) ||
	       strncmp(name, "ld.so.", 6) == 0 || strncmp(name, "ld64.so.", 8) == 0;
}

/* for the image's /etc/ld.so.cache (imagegen.system): what ldconfig reads of
   a shared object ("elf PATH"), and where a link of such a name points
   ("ldlink PATH") */
static void
dsorecord(struct debctx *c, const struct node *n, const char *path)
{
	struct spoolsrc src = { c->l->spool, n->off };
	struct elfsrc elf = { spoolread, &src, (unsigned long long)n->size };
	struct buf info = {0};
	char *key;

	if (!dsoname(path))
		return;
	if (n->kind == KLINK) {
		key = xasprintf("ldlink %s", path);
		record(&c->kept, key, n->src, strlen(n->src));
	} else if (ldcache_elf(&elf, &info) == 0) {
		key = xasprintf("elf %s", path);
		record(&c->kept, key, info.data, info.len);
	} else {
		return;
	}
	free(key);
	free(info.data);
}

/* the file's bytes into the spool; their md5 into md5 (when not NULL), and
   into text (when not NULL) */
static void
spool(struct layer *l, struct archive *a, struct node *n, const char *ctx, char *md5, struct buf *text)
{
	char chunk[1 << 16], *tmp;
	unsigned char md[MD5_DIGEST_SIZE];
	struct md5_ctx m;
	la_ssize_t r;

	if (l->spool < 0) {
		l->spool = store_tmp(l->store, &tmp);
		unlink(tmp);
		free(tmp);
	}
	if (md5)
		md5_init(&m);
	n->off = l->spoolsize;
	while ((r = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if (pwrite(l->spool, chunk, (size_t)r, (off_t)l->spoolsize) != r)
			fatal("%s: write the spool:", ctx);
		if (md5)
			md5_update(&m, (size_t)r, (const uint8_t *)chunk);
		if (text)
			bufadd(text, chunk, (size_t)r);
		l->spoolsize += r;
	}
	if (r < 0)
		fatal("%s: %s", ctx, archiveerr(a));
	n->size = l->spoolsize - n->off;
	if (md5) {
		md5_digest(&m, sizeof(md), md);
		hexstr(md, sizeof(md), md5);
	}
}

static void
debentry(void *arg, struct archive *a, struct archive_entry *e)
{
	struct debctx *c = arg;
	struct node *n;
	struct buf text = {0};
	char *path = debpath(c, archive_entry_pathname(e)), md5[33] = "", *want, *key;
	long long mtime = archive_entry_mtime(e);
	size_t i;
	int keep, lib;

	if (!path)
		return;
	if (++c->entries > MAXENTRIES)
		refuse(c, path, "more than %d files", MAXENTRIES);
	n = nodes_add(c->l);
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
			refuse(c, path, "%s: hard link to the root", showname(path));
		n->src = layerpath(c, n->src);
		n->path = layerpath(c, path);
		return;
	}
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		n->kind = KDIR;
		bufprintf(&c->dirs, "%o %lld %lld /%s\n", n->mode, n->uid, n->gid, path);
		break;
	case AE_IFLNK:
		n->kind = KLINK;
		n->mode = 0777;
		n->src = xstrdup(archive_entry_symlink(e));
		dsorecord(c, n, path);
		break;
	case AE_IFREG:
		n->kind = KSPOOL;
		want = c->summing ? md5 : NULL;
		for (i = 0; i < c->nconf; i++) {
			if (strcmp(c->conf[i] + 1, path) == 0)
				want = c->confmd5[i];
		}
		if (kept(path) && archive_entry_size(e) > MAXKEPT)
			refuse(c, path, "%s: larger than %d MiB, more than imagegen reads of a file maintainer "
			       "scripts use", showname(path), MAXKEPT >> 20);
		keep = kept(path) || named(c, path, archive_entry_size(e));
		if (keep && !kept(path))
			c->namedsize += (size_t)archive_entry_size(e);
		lib = !keep && shlibcandidate(c, path, archive_entry_size(e), archive_entry_perm(e));
		spool(c->l, a, n, c->ctx, want, keep || lib ? &text : NULL);
		if (lib && shlib(&text)) {
			keep = 1;
			c->namedsize += text.len;
		}
		if (!keep) {
			free(text.data);
			text = (struct buf){0};
		}
		dsorecord(c, n, path);
		if (c->summing)
			bufprintf(&c->md5sums, "%s  %s\n", want, path);
		if (text.data) {
			key = xasprintf("file %s", path);
			record(&c->kept, key, text.data, text.len);
			free(key);
		}
		free(text.data);
		break;
	default:
		refuse(c, path, "/%s: device files, fifos and sockets are not supported", showname(path));
	}
	n->path = layerpath(c, path);
}

/* the name dpkg files a package's lists under: name, or name:arch for Multi-Arch: same */
static char *
dpkgname(const char *control, const char *ctx)
{
	char *pkg = deb_field(control, "Package"), *ma = deb_field(control, "Multi-Arch");
	char *arch = deb_field(control, "Architecture"), *name;
	const char *what;

	if (!pkg || !arch || !deb_validname(pkg, 0) || !deb_validname(arch, 1)) {
		what = pkg && arch ? "names a malformed" : "has no";
		free(pkg);
		free(ma);
		free(arch);
		fatal("%s: the package's control file %s Package or Architecture", ctx, what);
	}
	name = ma && strcmp(ma, "same") == 0 ? xasprintf("%s:%s", pkg, arch) : xstrdup(pkg);
	free(pkg);
	free(ma);
	free(arch);
	return name;
}

/* "Package: x" first, then "Status: install ok installed", then the rest,
   with conffiles (when any) before the Description, where dpkg puts them */
static void
statusentry(struct buf *out, const char *control, const struct debctx *c)
{
	const char *nl = strchr(control, '\n'), *desc;
	size_t first = nl ? (size_t)(nl - control) + 1 : strlen(control), i;

	bufadd(out, control, first);
	bufstr(out, "Status: install ok installed\n");
	if (!c || c->nconf == 0) {
		bufstr(out, control + first);
		return;
	}
	desc = strstr(control + first, "\nDescription:");
	desc = desc ? desc + 1 : control + strlen(control);
	bufadd(out, control + first, (size_t)(desc - (control + first)));
	bufstr(out, "Conffiles:\n");
	for (i = 0; i < c->nconf; i++)
		bufprintf(out, " %s %s\n", c->conf[i], c->confmd5[i][0] ? c->confmd5[i] : "newconffile");
	bufstr(out, desc);
}

/* conffiles: one absolute path a line ("remove-on-upgrade" lines aside),
   normalised inside the image's root; one above it refuses the package */
static void
readconffiles(struct debctx *c, const struct buf *b)
{
	const char *p = b->data ? b->data : "", *end = p + b->len, *nl, *why;
	char *path;
	size_t len, n;
	int line;

	for (line = 1; p < end; p = nl + 1, line++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		while (p < nl && (*p == ' ' || *p == '\t'))
			p++;
		if (p == nl || *p != '/')
			continue;
		len = (size_t)(nl - p);
		path = xmalloc(len + 1);
		why = deb_rootpath(p, len, path, &n);
		if (why) {
			memcpy(path, p, len);
			path[len] = '\0';
			while (c->nconf > 0)
				free(c->conf[--c->nconf]);
			free(c->conf);
			free(c->confmd5);
			c->conf = NULL;
			c->confmd5 = NULL;
			refuse(c, path, "conffiles line %d: '%s' %s", line, showname(path), why);
		}
		c->conf = xrealloc(c->conf, (c->nconf + 1) * sizeof(*c->conf));
		c->confmd5 = xrealloc(c->confmd5, (c->nconf + 1) * sizeof(*c->confmd5));
		c->conf[c->nconf] = path;
		c->confmd5[c->nconf][0] = '\0';
		c->nconf++;
	}
}

static void
freectx(struct debctx *c)
{
	size_t i;

	for (i = 0; i < c->nconf; i++)
		free(c->conf[i]);
	free(c->conf);
	free(c->confmd5);
	for (i = 0; i < c->nnamed; i++)
		free(c->named[i]);
	free(c->named);
	free(c->list.data);
	free(c->md5sums.data);
	free(c->kept.data);
	free(c->dirs.data);
}

/* md5sums and conffiles, known before the first file of data.tar */
static void
debcontrol(void *arg, const struct deb *d)
{
	struct debctx *c = arg;

	c->summing = d->info[DEB_MD5SUMS].len == 0;
	readconffiles(c, &d->info[DEB_CONFFILES]);
	readnamed(c, &d->info[DEB_PREINST]);
	readnamed(c, &d->info[DEB_POSTINST]);
	readnamed(c, &d->info[DEB_CONFIG]);
}

void
pkglayer_deb(struct layer *l, json_t *e, const char *ctx)
{
	struct debctx c;
	struct debreader r = { debcontrol, debentry, &c };
	struct deb d;
	struct buf status = {0};
	struct stat st;
	const char *src = specstr(e, "src", ctx), *sha256 = specstr(e, "sha256", ctx);
	const char *url = json_string_value(json_object_get(e, "url"));
	long long size = specint(e, "size", -1);
	size_t start = l->len;
	char *name, hex[65], why[512];
	int i, try;

	for (try = 0;; try++) {
		memset(&c, 0, sizeof(c));
		c.l = l;
		c.ctx = ctx;
		c.pkg = specstr(e, "package", ctx);
		if (!deb_validname(c.pkg, 0))
			fatal("%s: spec: '%s' is not a package name", ctx, c.pkg);
		c.mergedusr = json_is_true(json_object_get(e, "mergedusr"));
		bufstr(&c.list, "/.\n");
		d.err[0] = '\0';
		if (stat(src, &st) == 0 && (size < 0 || st.st_size == size)) {
			if (deb_read(src, &d, &r) == 0 && strcmp(d.sha256, sha256) == 0)
				break;
			/* the package the lock names, and imagegen cannot take it: fetching it again would not help */
			if (d.err[0] && sha256file(src, hex) == 0 && strcmp(hex, sha256) == 0) {
				nodes_truncate(l, start);
				deb_free(&d);
				freectx(&c);
				fatal("%s: package %s: %s", ctx, c.pkg, d.err);
			}
			nodes_truncate(l, start);
			deb_free(&d);
		}
		freectx(&c);
		if (try > 0 || !url)
			fatal("%s: %s is not the package the lock names (sha256 %s)%s%s", ctx, src, sha256,
			      d.err[0] ? ": " : "", d.err);
		if (access(src, F_OK) == 0)
			warn("%s: %s does not match its sha256; fetching it again", ctx, src);
		unlink(src);
		fetch_file(url, src, sha256, size);
	}
	if (deb_matches(&d, c.pkg, specstr(e, "version", ctx), specstr(e, "architecture", ctx), why,
	                sizeof(why)) < 0) {
		nodes_truncate(l, start);
		deb_free(&d);
		freectx(&c);
		fatal("%s: package %s: %s", ctx, c.pkg, why);
	}
	name = dpkgname(d.control.data, ctx);
	statusentry(&status, d.control.data, NULL);
	nodes_addtext(l, ctx, xasprintf("var/lib/dpkg/status.d/%s", c.pkg), status.data, status.len);
	status.len = 0;
	statusentry(&status, d.control.data, &c);
	if (c.summing) {
		free(d.info[DEB_MD5SUMS].data);
		d.info[DEB_MD5SUMS] = c.md5sums;
		c.md5sums = (struct buf){0};
	}
	nodes_addtext(l, ctx, xasprintf("var/lib/dpkg/info/%s.list", name), c.list.data, c.list.len);
	record(&l->dpkg, "package", c.pkg, strlen(c.pkg));
	record(&l->dpkg, "name", name, strlen(name));
	record(&l->dpkg, "status", status.data, status.len);
	record(&l->dpkg, "list", c.list.data, c.list.len);
	record(&l->dpkg, "dirs", c.dirs.data, c.dirs.len);
	for (i = 0; i < DEB_NINFO; i++) {
		struct buf *b = &d.info[i];
		struct node *n;
		char *k;
		if (b->len == 0 && i != DEB_MD5SUMS)
			continue;
		n = nodes_addtext(l, ctx, xasprintf("var/lib/dpkg/info/%s.%s", name, deb_infonames[i]),
		                  b->data ? b->data : "", b->len);
		if (i == DEB_PREINST || i == DEB_POSTINST || i == DEB_PRERM || i == DEB_POSTRM || i == DEB_CONFIG)
			n->mode = 0755;
		if (i == DEB_PREINST || i == DEB_POSTINST || i == DEB_TRIGGERS || i == DEB_TEMPLATES) {
			k = xasprintf("script %s", deb_infonames[i]);
			record(&l->dpkg, k, b->data, b->len);
			free(k);
		}
	}
	bufadd(&l->dpkg, c.kept.data, c.kept.len);
	free(name);
	free(status.data);
	freectx(&c);
	deb_free(&d);
}

/*
 * Kept layers. A layer of packages alone is the same bytes for the same
 * packages, epoch, compression and /usr layout, whichever build folder makes
 * it, so each is kept in the download folder and a new build folder takes it
 * from there: the spec's "layercache" ($IMAGEGEN_CACHE/layer when the build
 * file was written) holds KEY.json (the descriptor), KEY.dpkg or KEY.apk (its
 * sidecar, as the layer's entries are .debs or one .apk) and sha256/HEX (the
 * blob, verified before it is used). KEY is the sha256 of what the bytes
 * depend on, and of the version and architecture each .deb was checked
 * against (a layer made for an honest lock line is not taken on the word of
 * one that lies), with the layer format's version (the words are from when
 * kept layers were called the layer cache: other words would make every kept
 * layer again); an apk layer's is apklayer_key's.
 */
#define KEYFORMAT "imagegen layer cache 5 (files scripts name, shared objects, folders' owners) " VERSION

int
pkglayer_key(json_t *spec, char key[65])
{
	json_t *entries = json_object_get(spec, "entries"), *e;
	struct buf b = {0};
	const char *type;
	size_t i;

	bufprintf(&b, "%s\n%s %lld %lld\n", KEYFORMAT,
	          json_string_value(json_object_get(spec, "compression")),
	          specint(spec, "level", -1), specint(spec, "epoch", -1));
	if ((type = json_string_value(json_object_get(json_array_get(entries, 0), "type"))) && strcmp(type, "apk") == 0) {
		free(b.data);
		return apklayer_key(spec, key);
	}
	json_array_foreach(entries, i, e) {
		type = json_string_value(json_object_get(e, "type"));
		if (!type || strcmp(type, "deb") != 0 || !json_is_string(json_object_get(e, "sha256")) ||
		    !json_is_string(json_object_get(e, "version")) || !json_is_string(json_object_get(e, "architecture"))) {
			free(b.data);
			return -1;
		}
		/* the version and architecture the .deb is checked against: a layer
		   kept for another lock line is not this one */
		bufprintf(&b, "%s %s %s %s %d\n", json_string_value(json_object_get(e, "sha256")),
		          json_string_value(json_object_get(e, "package")),
		          json_string_value(json_object_get(e, "version")),
		          json_string_value(json_object_get(e, "architecture")),
		          json_is_true(json_object_get(e, "mergedusr")));
	}
	if (i == 0) {
		free(b.data);
		return -1;
	}
	sha256hex(b.data, b.len, key);
	free(b.data);
	return 0;
}

/* the sidecar's kind, as its file name ends: "apk" for a layer of an apk entry, else "dpkg" */
static const char *
sidecarkind(json_t *spec)
{
	const char *type = json_string_value(json_object_get(json_array_get(json_object_get(spec, "entries"), 0), "type"));

	return type && strcmp(type, "apk") == 0 ? "apk" : "dpkg";
}

char *
pkglayer_sidecar(json_t *spec, const char *descpath, const char **kind)
{
	if (kind)
		*kind = sidecarkind(spec);
	return strcmp(sidecarkind(spec), "apk") == 0 ? apklayer_sidecar(descpath) : system_sidecar(descpath);
}

/* the blob digest names, from the store from into the store to: a hard link,
   else a copy; -1 if from has no such blob */
static int
blobcopy(const char *from, const char *to, const char *digest)
{
	char *src = store_path(from, digest), *dst = store_path(to, digest), *tmp, chunk[1 << 16];
	ssize_t n;
	int in, out, ret = 0;

	if (access(dst, F_OK) == 0)
		goto done;
	if (mkparent(dst) < 0)
		fatal("mkdir for %s:", dst);
	if (link(src, dst) == 0 || (access(dst, F_OK) == 0))
		goto done;
	in = open(src, O_RDONLY);
	if (in < 0) {
		ret = -1;
		goto done;
	}
	out = store_tmp(to, &tmp);
	while ((n = read(in, chunk, sizeof(chunk))) > 0) {
		if (write(out, chunk, (size_t)n) != n)
			fatal("write %s:", tmp);
	}
	if (n < 0 || close(out) < 0)
		fatal("copy %s:", src);
	close(in);
	store_commit(to, tmp, digest);
	free(tmp);
done:
	free(src);
	free(dst);
	return ret;
}

int
pkglayer_take(json_t *spec, const char *key, const char *descpath, const char *deppath, const char *store)
{
	char *dir, *path, *hex;
	struct buf desc = {0}, side = {0}, dep = {0};
	const char *digest;
	json_t *d = NULL;
	int ret = 0;

	if (!json_is_string(json_object_get(spec, "layercache")))
		return 0;
	dir = xstrdup(json_string_value(json_object_get(spec, "layercache")));
	path = xasprintf("%s/%s.json", dir, key);
	if (readall(path, &desc) < 0 || !(d = json_loadb(desc.data, desc.len, 0, NULL)))
		goto out;
	free(path);
	path = xasprintf("%s/%s.%s", dir, key, sidecarkind(spec));
	digest = json_string_value(json_object_get(d, "digest"));
	if (readall(path, &side) < 0 || !digest || !store_validdigest(digest))
		goto out;
	free(path);
	path = store_path(dir, digest);
	if (sha256verify(path, digest + 7) != 0) {
		/* a damaged blob: gone, so that this build keeps a good one */
		unlink(path);
		goto out;
	}
	if (blobcopy(dir, store, digest) < 0)
		goto out;
	hex = pkglayer_sidecar(spec, descpath, NULL);
	updatefile(hex, side.data, side.len);
	free(hex);
	bufprintf(&dep, "%s:\n", descpath);
	xreplacefile(deppath, dep.data, dep.len);
	updatefile(descpath, desc.data, desc.len);
	ret = 1;
out:
	json_decref(d);
	free(desc.data);
	free(side.data);
	free(dep.data);
	free(path);
	free(dir);
	return ret;
}

void
pkglayer_keep(json_t *spec, const char *key, const char *descpath, const char *store, const char *digest)
{
	char *dir, *path, *sidepath;
	struct buf b = {0};

	if (!json_is_string(json_object_get(spec, "layercache")))
		return;
	dir = xstrdup(json_string_value(json_object_get(spec, "layercache")));
	sidepath = pkglayer_sidecar(spec, descpath, NULL);
	/* a folder that cannot be written is no error: the next build makes the layer again */
	if (mkdirs(dir) == 0 && blobcopy(store, dir, digest) == 0 && readall(sidepath, &b) == 0) {
		path = xasprintf("%s/%s.%s", dir, key, sidecarkind(spec));
		replacefile(path, b.data, b.len);
		free(path);
		b.len = 0;
		if (readall(descpath, &b) == 0) {
			path = xasprintf("%s/%s.json", dir, key);
			replacefile(path, b.data, b.len);
			free(path);
		}
	}
	free(b.data);
	free(sidepath);
	free(dir);
}
