/*
 * deb: reading Debian binary packages.
 *
 * A .deb is an ar archive: debian-binary, control.tar[.gz|.xz|.zst] (the
 * control file, md5sums, maintainer scripts) and data.tar[...] (the files).
 * libarchive reads the ar, and each member as a tar through a nested
 * reader, without unpacking anything to disk. Maintainer scripts are never
 * read, let alone run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include "util.h"
#include "deb.h"

/* the members deb_read has seen */
enum {
	SEEN_CONTROL = 1,
	SEEN_DATA = 2,
};

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
openmember(struct archive *outer, const char *path, const char *what)
{
	struct archive *a = archive_read_new();

	if (!a)
		fatal("out of memory");
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open(a, outer, NULL, memberread, NULL) != ARCHIVE_OK)
		fatal("%s: %s: %s", path, what, archiveerr(a));
	return a;
}

static void
readfile(struct archive *a, struct buf *out, const char *what, const char *path)
{
	char chunk[8192];
	la_ssize_t n;

	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		bufadd(out, chunk, (size_t)n);
	if (n < 0)
		fatal("%s: %s: %s", path, what, archiveerr(a));
}

static void
readcontrol(struct archive *outer, struct deb *d, const char *path)
{
	struct archive *a = openmember(outer, path, "control.tar");
	struct archive_entry *e;
	const char *name;
	int r;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		if (strncmp(name, "./", 2) == 0)
			name += 2;
		if (strcmp(name, "control") == 0)
			readfile(a, &d->control, "control", path);
		else if (strcmp(name, "md5sums") == 0)
			readfile(a, &d->md5sums, "md5sums", path);
	}
	if (r != ARCHIVE_EOF)
		fatal("%s: control.tar: %s", path, archiveerr(a));
	archive_read_free(a);
	if (d->control.len == 0)
		fatal("%s: no control file: not a Debian package", path);
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

static void
readdata(struct archive *outer, const char *path, debentryfn fn, void *arg)
{
	struct archive *a = openmember(outer, path, "data.tar");
	struct archive_entry *e;
	int r;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || (r == ARCHIVE_WARN && namewarning(e)))
		fn(arg, a, e);
	if (r != ARCHIVE_EOF)
		fatal("%s: data.tar: %s", path, archiveerr(a));
	archive_read_free(a);
}

void
deb_read(const char *path, struct deb *d, debentryfn fn, void *arg)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	const char *name;
	int r, seen = 0;

	memset(d, 0, sizeof(*d));
	if (!a)
		fatal("out of memory");
	archive_read_support_format_ar(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK)
		fatal("%s: %s", path, archiveerr(a));
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		if (strncmp(name, "control.tar", 11) == 0) {
			readcontrol(a, d, path);
			seen |= SEEN_CONTROL;
			if (!fn)
				break;
		} else if (strncmp(name, "data.tar", 8) == 0 && fn) {
			if (!(seen & SEEN_CONTROL))
				fatal("%s: data.tar comes before control.tar", path);
			readdata(a, path, fn, arg);
			seen |= SEEN_DATA;
		}
	}
	if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
		fatal("%s: %s", path, archiveerr(a));
	archive_read_free(a);
	if (!(seen & SEEN_CONTROL) || (fn && !(seen & SEEN_DATA)))
		fatal("%s: not a Debian package (no control.tar or data.tar)", path);
	if (d->control.data[d->control.len - 1] != '\n')
		bufstr(&d->control, "\n");
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

void
deb_free(struct deb *d)
{
	free(d->control.data);
	free(d->md5sums.data);
}
