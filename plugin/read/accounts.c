/*
 * accounts: the image's user, checked against its file system when the
 * image is built.
 *
 * A config's User is looked up by the runtime in the image's /etc/passwd
 * (and a group name in /etc/group) when a container starts. A name the
 * generator knew (the image's users and groups, its bases' of the graph)
 * is numbers in the config already; what is left is a name that only the
 * image's last file system answers for: bases from outside, packages,
 * files. So the image edge, once the image file is written, reads the two
 * files from the image's layers, from the last one down: each layer as a
 * tar stream whose other members are skipped (never hashed, never kept),
 * until each file is found, or removed by a whiteout, an opaque folder or
 * a non-folder over /etc. Within a layer its whiteouts come before its
 * entries, as when it is laid over the ones below. A file that is there
 * but not readable as a file (a link, larger than MAXFILE) is not checked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/spec.h"
#include "base/arc.h"
#include "read/reader.h"
#include "read/accounts.h"

/* the most of /etc/passwd or /etc/group read; the most names a message lists */
enum { MAXFILE = 16 << 20, MAXLISTED = 30 };

enum state { UNKNOWN, FOUND, ABSENT, UNCHECKED };

/* a file looked for: its path in a layer, and what the layers above the current one said */
struct wanted {
	const char *path;
	enum state state;
	struct buf data;
	/* in the layer being read: an entry of it, or a whiteout over it */
	enum state here;
	int removed;
};

struct fdsource {
	int fd;
	char buf[1 << 16];
};

static la_ssize_t
fdread(struct archive *a, void *arg, const void **out)
{
	struct fdsource *s = arg;
	ssize_t r;

	do
		r = read(s->fd, s->buf, sizeof(s->buf));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	*out = s->buf;
	return r;
}

/* a member's path as "etc/passwd": no "./", no slash at either end, no "." parts */
static void
cleanpath(const char *p, struct buf *out)
{
	const char *end;
	size_t n;

	out->len = 0;
	while (*p) {
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n > 0 && !(n == 1 && *p == '.')) {
			if (out->len)
				bufadd(out, "/", 1);
			bufadd(out, p, n);
		}
		p += n + (end != NULL);
	}
	bufadd(out, "", 1);
}

/* whether path is at or below dir ("" the root) */
static int
below(const char *path, const char *dir, size_t n)
{
	if (n == 0)
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* what one member of a layer says of w */
static void
member(struct archive *a, struct archive_entry *ae, const char *p, struct wanted *w)
{
	const char *slash = strrchr(p, '/'), *base = slash ? slash + 1 : p;
	size_t dirlen = slash ? (size_t)(slash - p) : 0;
	char chunk[1 << 14];
	la_ssize_t n;

	if (strncmp(base, ".wh.", 4) == 0) {
		if (strcmp(base, ".wh..wh..opq") == 0) {
			/* nothing in the folder is from the layers below */
			if (dirlen == 0 || (strncmp(w->path, p, dirlen) == 0 && w->path[dirlen] == '/'))
				w->removed = 1;
		} else {
			size_t n0 = strlen(base + 4);
			char *gone = xasprintf("%.*s%s%s", (int)dirlen, p, dirlen ? "/" : "", base + 4);

			if (n0 > 0 && below(w->path, gone, strlen(gone)))
				w->removed = 1;
			free(gone);
		}
		return;
	}
	if (strcmp(p, w->path) == 0) {
		if (archive_entry_filetype(ae) != AE_IFREG || archive_entry_size(ae) > MAXFILE) {
			w->here = UNCHECKED;
			return;
		}
		w->here = FOUND;
		w->data.len = 0;
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			bufadd(&w->data, chunk, (size_t)n);
		if (n < 0)
			fatal("%s: %s", w->path, archiveerr(a));
		bufadd(&w->data, "", 1);
		return;
	}
	/* a file, link or other where a folder above w is: w is gone */
	if (archive_entry_filetype(ae) != AE_IFDIR && *p && below(w->path, p, strlen(p)))
		w->removed = 1;
}

/* read layer i of img for the files of w not yet settled */
static void
readlayer(struct reader *r, struct rimage *img, size_t i, struct wanted *w, size_t nw)
{
	struct fdsource *s = xmalloc(sizeof(*s));
	struct archive *a;
	struct archive_entry *ae;
	struct buf p = {0};
	size_t k;
	int ret;

	for (k = 0; k < nw; k++) {
		w[k].here = UNKNOWN;
		w[k].removed = 0;
	}
	s->fd = reader_openlayer(r, img, i);
	a = archive_read_new();
	if (!a || archive_read_support_format_tar(a) != ARCHIVE_OK || archive_read_support_filter_all(a) != ARCHIVE_OK ||
	    archive_read_open(a, s, NULL, fdread, NULL) != ARCHIVE_OK)
		fatal("%s: layer %zu: %s", r->what, i + 1, archiveerr(a));
	while ((ret = archive_read_next_header(a, &ae)) == ARCHIVE_OK || ret == ARCHIVE_WARN) {
		cleanpath(archive_entry_pathname(ae) ? archive_entry_pathname(ae) : "", &p);
		for (k = 0; k < nw; k++) {
			if (w[k].state == UNKNOWN)
				member(a, ae, p.data, &w[k]);
		}
	}
	if (ret != ARCHIVE_EOF)
		fatal("%s: layer %zu: %s", r->what, i + 1, archiveerr(a));
	archive_read_free(a);
	close(s->fd);
	free(s);
	free(p.data);
	for (k = 0; k < nw; k++) {
		if (w[k].state != UNKNOWN)
			continue;
		if (w[k].here != UNKNOWN)
			w[k].state = w[k].here;
		else if (w[k].removed)
			w[k].state = ABSENT;
	}
}

/* whether the passwd or group file in data has an entry for name */
static int
hasname(const char *data, const char *name)
{
	size_t n = strlen(name);
	const char *line = data;

	while (line && *line) {
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			return 1;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 0;
}

/* " (its /etc/passwd has root, daemon, ...)" or " (it has no /etc/passwd)" */
static char *
listnames(const struct wanted *w)
{
	struct buf out = {0};
	const char *line, *colon, *nl;
	size_t count = 0;
	char *name, *shown;

	if (w->state != FOUND) {
		bufprintf(&out, "it has no /%s", w->path);
	} else {
		bufprintf(&out, "its /%s has ", w->path);
		for (line = w->data.data; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			colon = strchr(line, ':');
			if (!colon || (nl && colon > nl) || colon == line || *line == '#' || *line == '+' || *line == '-')
				continue;
			if (++count > MAXLISTED)
				continue;
			name = xasprintf("%.*s", (int)(colon - line), line);
			shown = utf8show(name, 1);
			bufprintf(&out, "%s%s", count > 1 ? ", " : "", shown);
			free(shown);
			free(name);
		}
		if (count == 0)
			bufstr(&out, "no entries");
		else if (count > MAXLISTED)
			bufprintf(&out, ", ... (%zu in all)", count);
	}
	bufadd(&out, "", 1);
	return out.data;
}

/* whether s is a number (a uid or gid the runtime takes as it is) */
static int
numeric(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

void
accounts_check(const char *specpath, const char *image, const char *store,
               void (*ready)(const char *image, const char *store))
{
	json_t *spec = loadspec(specpath, 0);
	const char *user = json_string_value(json_object_get(json_object_get(spec, "config"), "User"));
	const char *ctx = json_string_value(json_object_get(spec, "ctx"));
	const char *name = json_string_value(json_object_get(spec, "name"));
	struct wanted w[2] = {{"etc/passwd", UNKNOWN, {0}, UNKNOWN, 0}, {"etc/group", UNKNOWN, {0}, UNKNOWN, 0}};
	struct reader *r;
	struct rimage *img;
	char *uname, *gname, *colon, *list, *where;
	size_t i, n, len;

	if (!user || !name) {
		json_decref(spec);
		return;
	}
	uname = xstrdup(user);
	colon = strchr(uname, ':');
	gname = colon ? colon + 1 : NULL;
	if (colon)
		*colon = '\0';
	if (numeric(uname))
		w[0].state = UNCHECKED;
	if (!gname || numeric(gname))
		w[1].state = UNCHECKED;
	if (w[0].state == UNCHECKED && w[1].state == UNCHECKED) {
		free(uname);
		json_decref(spec);
		return;
	}
	ready(image, store);
	/* the image file is not left as if done when the check fails */
	removeonfatal(image);
	r = reader_openbuild(image, store);
	img = reader_image(r, NULL);
	for (i = img->nlayers; i-- > 0 && (w[0].state == UNKNOWN || w[1].state == UNKNOWN);)
		readlayer(r, img, i, w, 2);
	/* "build.lua:7: image web" is where the image was declared, and its name */
	n = strlen(name);
	len = ctx ? strlen(ctx) : 0;
	if (len > n + 8 && strcmp(ctx + len - n, name) == 0 && strncmp(ctx + len - n - 8, ": image ", 8) == 0)
		where = xasprintf("%.*s: image '%s'", (int)(len - n - 8), ctx, name);
	else
		where = xasprintf("image '%s'", name);
	if (w[0].state != UNCHECKED && (w[0].state != FOUND || !hasname(w[0].data.data, uname))) {
		list = listnames(&w[0]);
		fatal("%s: user '%s' is not an account of the image (%s); add users = { { name = \"%s\", uid = 1000 } } "
		      "or a package that makes it", where, uname, list, uname);
	}
	if (w[1].state != UNCHECKED && (w[1].state != FOUND || !hasname(w[1].data.data, gname))) {
		list = listnames(&w[1]);
		fatal("%s: group '%s' of user '%s' is not a group of the image (%s); add groups = { { name = \"%s\", "
		      "gid = 1000 } } or a package that makes it", where, gname, user, list, gname);
	}
	removeonfatal(NULL);
	free(where);
	free(w[0].data.data);
	free(w[1].data.data);
	free(uname);
	reader_freeimage(img);
	reader_free(r);
	json_decref(spec);
}
