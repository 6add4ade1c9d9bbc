/*
 * deb: reading Debian binary packages.
 *
 * A .deb is an ar archive: debian-binary, control.tar[.gz|.xz|.zst] (the
 * control file, md5sums, conffiles, maintainer scripts) and data.tar[...]
 * (the files). libarchive reads the ar, and each member as a tar through a
 * nested reader, without unpacking anything to disk. The file is read once:
 * the bytes libarchive asks for are hashed on their way, so the caller can
 * check the package against its sha256 when the read is done. Maintainer
 * scripts are kept as text, never run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/digest.h"
#include "base/arc.h"
#include "debian/deb.h"

/* the most of a control.tar member read into memory (md5sums of 100,000 files is 8 MB) */
enum { MAXMEMBER = 64 << 20 };

const char *const deb_infonames[DEB_NINFO] = {
	"md5sums", "conffiles", "preinst", "postinst", "prerm", "postrm",
	"config", "templates", "triggers", "shlibs", "symbols",
};

/* the outer reader's source: the file, hashed as it is read */
struct source {
	int fd;
	struct sha256 *sha;
	char chunk[1 << 16];
};

static la_ssize_t
sourceread(struct archive *a, void *arg, const void **buf)
{
	struct source *s = arg;
	ssize_t n;

	(void)a;
	do
		n = read(s->fd, s->chunk, sizeof(s->chunk));
	while (n < 0 && errno == EINTR);
	if (n > 0)
		sha256add(s->sha, s->chunk, (size_t)n);
	*buf = s->chunk;
	return n;
}

/* the nested reader's source: the data of the ar member being read */
static la_ssize_t
memberread(struct archive *inner, void *arg, const void **buf)
{
	static char chunk[1 << 16];
	struct archive *outer = arg;
	la_ssize_t n = archive_read_data(outer, chunk, sizeof(chunk));

	(void)inner;
	*buf = chunk;
	return n;
}

/* the ar member being read, as a (compressed) tar */
static struct archive *
openmember(struct archive *outer)
{
	struct archive *a = archive_read_new();

	if (!a)
		fatal("out of memory");
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	/* a failure to open shows at the first header */
	(void)archive_read_open(a, outer, NULL, memberread, NULL);
	return a;
}

static int
failed(struct deb *d, struct archive *a, const char *what)
{
	snprintf(d->err, sizeof(d->err), "%s: %s", what, archiveerr(a));
	archive_read_free(a);
	return -1;
}

static int
readmember(struct archive *a, const char *name, struct buf *out)
{
	char chunk[8192];
	la_ssize_t n;

	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)n > MAXMEMBER) {
			archive_set_error(a, EFBIG, "%s is larger than %d MiB", name, MAXMEMBER >> 20);
			return -1;
		}
		bufadd(out, chunk, (size_t)n);
	}
	return n < 0 ? -1 : 0;
}

static int
readcontrol(struct archive *outer, struct deb *d)
{
	struct archive *a = openmember(outer);
	struct archive_entry *e;
	const char *name;
	int r, i;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		if (strncmp(name, "./", 2) == 0)
			name += 2;
		if (strcmp(name, "control") == 0 && readmember(a, name, &d->control) < 0)
			return failed(d, a, "control.tar");
		for (i = 0; i < DEB_NINFO; i++) {
			if (strcmp(name, deb_infonames[i]) == 0 && readmember(a, name, &d->info[i]) < 0)
				return failed(d, a, "control.tar");
		}
	}
	if (r != ARCHIVE_EOF)
		return failed(d, a, "control.tar");
	archive_read_free(a);
	if (d->control.len == 0) {
		snprintf(d->err, sizeof(d->err), "no control file: not a Debian package");
		return -1;
	}
	if (d->control.data[d->control.len - 1] != '\n')
		bufstr(&d->control, "\n");
	return 0;
}

/* whether a warning on e's header is libarchive's about a name that is not
   UTF-8 (a pax record without hdrcharset=BINARY): the name is then its bytes */
static int
namewarning(struct archive_entry *e)
{
	const char *link = archive_entry_symlink(e);
	const char *hard = archive_entry_hardlink(e);

	return !utf8valid(archive_entry_pathname(e)) || (link && !utf8valid(link)) ||
	       (hard && !utf8valid(hard));
}

static int
readdata(struct archive *outer, struct deb *d, const struct debreader *dr)
{
	struct archive *a = openmember(outer);
	struct archive_entry *e;
	int r;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || (r == ARCHIVE_WARN && namewarning(e))) {
		if (dr->entry)
			dr->entry(dr->arg, a, e);
	}
	if (r != ARCHIVE_EOF)
		return failed(d, a, "data.tar");
	archive_read_free(a);
	return 0;
}

int
deb_read(const char *path, struct deb *d, const struct debreader *dr)
{
	struct source *s = xmalloc(sizeof(*s));
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	const char *name;
	const void *rest;
	int r, ret = -1, control = 0, data = 0;

	memset(d, 0, sizeof(*d));
	if (!a)
		fatal("out of memory");
	s->sha = sha256new();
	s->fd = open(path, O_RDONLY);
	if (s->fd < 0) {
		snprintf(d->err, sizeof(d->err), "open: %s", strerror(errno));
		goto out;
	}
	archive_read_support_format_ar(a);
	if (archive_read_open(a, s, NULL, sourceread, NULL) != ARCHIVE_OK) {
		snprintf(d->err, sizeof(d->err), "%s", archiveerr(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		if (strncmp(name, "control.tar", 11) == 0 && !control) {
			if (readcontrol(a, d) < 0)
				goto out;
			control = 1;
			if (dr->control)
				dr->control(dr->arg, d);
		} else if (strncmp(name, "data.tar", 8) == 0 && !data) {
			if (!control) {
				snprintf(d->err, sizeof(d->err), "data.tar comes before control.tar");
				goto out;
			}
			if (readdata(a, d, dr) < 0)
				goto out;
			data = 1;
		}
	}
	if (r != ARCHIVE_EOF) {
		snprintf(d->err, sizeof(d->err), "%s", archiveerr(a));
		goto out;
	}
	if (!control || !data) {
		snprintf(d->err, sizeof(d->err), "not a Debian package (no control.tar or data.tar)");
		goto out;
	}
	ret = 0;
out:
	archive_read_free(a);
	/* whatever libarchive did not ask for is hashed too */
	if (s->fd >= 0) {
		while (sourceread(NULL, s, &rest) > 0)
			;
		close(s->fd);
	}
	sha256done(s->sha, d->sha256);
	free(s);
	return ret;
}

/* the value of a field in a control paragraph, in a new string, or NULL */
char *
deb_field(const char *control, const char *field)
{
	size_t n = strlen(field);
	const char *p = control, *v, *end;
	char *out;

	while (p && *p) {
		if (strncmp(p, field, n) == 0 && p[n] == ':') {
			for (v = p + n + 1; *v == ' ' || *v == '\t'; v++)
				;
			end = strchr(v, '\n');
			if (!end)
				end = v + strlen(v);
			out = xmalloc((size_t)(end - v) + 1);
			memcpy(out, v, (size_t)(end - v));
			out[end - v] = '\0';
			return out;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int
deb_validname(const char *s, int arch)
{
	const char *p;

	if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) || (!arch && !s[1]))
		return 0;
	for (p = s; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      (!arch && (*p == '+' || *p == '.'))))
			return 0;
	}
	return 1;
}

int
deb_matches(const struct deb *d, const char *package, const char *version, const char *arch, char *why,
            size_t len)
{
	static const char *const fields[] = { "Package", "Version", "Architecture" };
	static const char *const words[] = { "package", "version", "architecture" };
	const char *want[] = { package, version, arch };
	char *have;
	int i, ret = 0;

	for (i = 0; i < 3 && ret == 0; i++) {
		have = deb_field(d->control.data ? d->control.data : "", fields[i]);
		if (!have || strcmp(have, want[i]) != 0) {
			snprintf(why, len, "the lock says %s %s, the .deb says %s", words[i], showname(want[i]),
			         have ? showname(have) : "none");
			ret = -1;
		}
		free(have);
	}
	return ret;
}

const char *
deb_rootpath(const char *path, size_t len, char *out, size_t *outlen)
{
	const char *p = path, *end = path + len, *c;
	size_t n, o = 0;

	*outlen = 0;
	if (memchr(path, '\0', len))
		return "holds a NUL byte";
	if (len == 0 || *path != '/')
		return "is not an absolute path";
	for (; p < end; p = c + 1) {
		c = memchr(p, '/', (size_t)(end - p));
		if (!c)
			c = end;
		n = (size_t)(c - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			/* the root has no parent: a ".." there climbs out */
			if (o == 0)
				return "climbs out of the image's root";
			while (out[--o] != '/')
				;
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, p, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	*outlen = o;
	return NULL;
}

void
deb_free(struct deb *d)
{
	int i;

	free(d->control.data);
	for (i = 0; i < DEB_NINFO; i++)
		free(d->info[i].data);
}
