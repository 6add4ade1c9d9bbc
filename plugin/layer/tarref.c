/*
 * tarref: the canonical tar as libarchive writes it ("restricted pax",
 * SCHILY xattr records), the way layer.c wrote every layer before tar.c.
 * It stays as the reference tar.c must equal byte for byte: tar_open with
 * libarchive set (IMAGEGEN_TAR=libarchive for the layer helper, which
 * tests/t-tar.sh builds with) and the fuzz target fuzz-tar.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/arc.h"
#include "layer/tar.h"
#include "layer/tarref.h"

struct tarref {
	struct archive *a;
	struct archive_entry *e;
	int (*out)(void *arg, const void *data, size_t len);
	void *arg;
	/* out failed: the error is the caller's to tell */
	int outfailed;
};

static la_ssize_t
towrite(struct archive *a, void *arg, const void *data, size_t len)
{
	struct tarref *t = arg;

	(void)a;
	if (t->out(t->arg, data, len) < 0) {
		t->outfailed = 1;
		return -1;
	}
	return (la_ssize_t)len;
}

struct tarref *
tarref_open(int (*out)(void *arg, const void *data, size_t len), void *arg)
{
	struct tarref *t = xcalloc(1, sizeof(*t));

	t->out = out;
	t->arg = arg;
	t->a = archive_write_new();
	t->e = archive_entry_new();
	if (!t->a || !t->e)
		fatal("out of memory");
	if (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
	    archive_write_set_format_option(t->a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
	    archive_write_open2(t->a, t, NULL, towrite, NULL, NULL) != ARCHIVE_OK)
		fatal("tar: %s", archiveerr(t->a));
	return t;
}

int
tarref_header(struct tarref *t, const struct tarhead *h)
{
	struct archive_entry *e = t->e;
	size_t i;
	int r;

	archive_entry_clear(e);
	archive_entry_set_pathname(e, h->path);
	archive_entry_set_uid(e, h->uid);
	archive_entry_set_gid(e, h->gid);
	archive_entry_set_mtime(e, h->mtime, 0);
	switch (h->type) {
	case TAR_DIR:
		archive_entry_set_filetype(e, AE_IFDIR);
		break;
	case TAR_SYMLINK:
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, h->link);
		break;
	case TAR_HARDLINK:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, h->link);
		break;
	case TAR_FILE:
		archive_entry_set_filetype(e, AE_IFREG);
		break;
	}
	archive_entry_set_perm(e, h->mode);
	for (i = 0; i < h->nxattrs; i++)
		archive_entry_xattr_add_entry(e, h->xattrs[i].name, h->xattrs[i].value, h->xattrs[i].len);
	archive_entry_set_size(e, h->type == TAR_FILE ? h->size : 0);
	r = archive_write_header(t->a, e);
	/* a warning: a name that is not UTF-8, written as it is (hdrcharset=BINARY) */
	return r == ARCHIVE_OK || r == ARCHIVE_WARN ? 0 : -1;
}

int
tarref_data(struct tarref *t, const void *data, size_t len)
{
	return archive_write_data(t->a, data, len) < 0 ? -1 : 0;
}

int
tarref_close(struct tarref *t)
{
	return archive_write_close(t->a) == ARCHIVE_OK ? 0 : -1;
}

const char *
tarref_error(const struct tarref *t)
{
	return t->outfailed ? "" : archiveerr(t->a);
}

void
tarref_free(struct tarref *t)
{
	archive_entry_free(t->e);
	archive_write_free(t->a);
	free(t);
}
