/*
 * unpack: a layer's tar applied to a folder, as a container runtime
 * applies it: its whiteouts first, on what the layers below made
 * (".wh.NAME" removes NAME, ".wh..wh..opq" empties its folder; two passes
 * over the tar, so that they apply to the lower layers alone, wherever
 * they are in it), then its files, folders, symlinks and hard links, each
 * replacing what was at its path. Devices and FIFOs are left out. A member
 * whose path climbs out ("..") or goes through a symlink is refused, and
 * so is a whiteout's (libarchive's secure extraction, and the same check
 * here). Modes are kept, owners and times not: the files belong to whoever
 * unpacks them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/file.h"
#include "base/arc.h"
#include "layer/unpack.h"

/* a member's path, relative, without "./" or slashes at the ends (free
   it); NULL when a name of it is ".." */
static char *
cleanpath(const char *name)
{
	struct buf b = {0};
	const char *p = name, *end;

	bufstr(&b, "");
	while (*p) {
		while (*p == '/')
			p++;
		end = p + strcspn(p, "/");
		if (end - p == 2 && p[0] == '.' && p[1] == '.') {
			free(b.data);
			return NULL;
		}
		if (end > p && !(end - p == 1 && *p == '.'))
			bufprintf(&b, "%s%.*s", b.len ? "/" : "", (int)(end - p), p);
		p = end;
	}
	return b.data;
}

/* whether a folder on the way to path (in root) is a symlink */
static int
throughlink(const char *root, const char *path)
{
	struct stat st;
	char *host = xasprintf("%s/%s", root, path), *p;
	int link = 0;

	for (p = host + strlen(root) + 1; (p = strchr(p, '/')) && !link; p++) {
		*p = '\0';
		link = lstat(host, &st) == 0 && S_ISLNK(st.st_mode);
		*p = '/';
	}
	free(host);
	return link;
}

/* remove what folder dir of root holds */
static void
emptyfolder(const char *dir, const char *what)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char *p;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (removetree(p) < 0)
			fatal("%s: remove %s:", what, showname(p));
		free(p);
	}
	closedir(d);
}

static struct archive *
openlayer(const char *blob, const char *what)
{
	struct archive *a = archive_read_new();

	if (!a || archive_read_support_filter_all(a) != ARCHIVE_OK || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_filename(a, blob, 1 << 16) != ARCHIVE_OK)
		fatal("%s: %s", what, archiveerr(a));
	return a;
}

/* the whiteouts of a layer, on the layers below */
static void
whiteouts(const char *root, const char *blob, const char *what)
{
	struct archive *a = openlayer(blob, what);
	struct archive_entry *e;
	const char *base;
	char *path, *target;
	int r;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		path = cleanpath(archive_entry_pathname(e));
		if (!path)
			fatal("%s: member %s climbs out with '..'", what, showname(archive_entry_pathname(e)));
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (strncmp(base, ".wh.", 4) == 0) {
			if (throughlink(root, path))
				fatal("%s: whiteout %s goes through a symlink", what, showname(path));
			if (strcmp(base, ".wh..wh..opq") == 0) {
				target = xasprintf("%s/%.*s", root, (int)(base - path), path);
				emptyfolder(target, what);
			} else {
				target = xasprintf("%s/%.*s%s", root, (int)(base - path), path, base + 4);
				if (removetree(target) < 0)
					fatal("%s: remove %s:", what, showname(target));
			}
			free(target);
		}
		free(path);
		if (archive_read_data_skip(a) != ARCHIVE_OK)
			fatal("%s: %s", what, archiveerr(a));
	}
	if (r != ARCHIVE_EOF)
		fatal("%s: %s", what, archiveerr(a));
	archive_read_free(a);
}

/* the files, folders and links of a layer, through disk */
static void
members(const char *root, const char *blob, const char *what, struct archive *disk)
{
	struct archive *a = openlayer(blob, what);
	struct archive_entry *e;
	struct stat st;
	const char *base, *link;
	char *path, *host, *hlink, chunk[1 << 16];
	la_ssize_t n;
	int r, type;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		path = cleanpath(archive_entry_pathname(e));
		base = path ? strrchr(path, '/') : NULL;
		base = base ? base + 1 : path;
		type = (int)archive_entry_filetype(e);
		if (!path || !*path || strncmp(base, ".wh.", 4) == 0 ||
		    (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)) {
			free(path);
			continue;
		}
		host = xasprintf("%s/%s", root, path);
		/* a folder replaces what is not one, and the other way round */
		if (lstat(host, &st) == 0 && (S_ISDIR(st.st_mode) != (type == AE_IFDIR)) && removetree(host) < 0)
			fatal("%s: remove %s:", what, showname(host));
		archive_entry_set_pathname(e, host);
		if ((link = archive_entry_hardlink(e))) {
			if (!(hlink = cleanpath(link)))
				fatal("%s: %s: hard link to %s climbs out with '..'", what, showname(path), showname(link));
			free(host);
			host = xasprintf("%s/%s", root, hlink);
			archive_entry_set_hardlink(e, host);
			free(hlink);
		}
		if (archive_write_header(disk, e) != ARCHIVE_OK)
			fatal("%s: %s: %s", what, showname(path), archiveerr(disk));
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
			if (archive_write_data(disk, chunk, (size_t)n) != n)
				fatal("%s: %s: %s", what, showname(path), archiveerr(disk));
		}
		if (n < 0)
			fatal("%s: %s", what, archiveerr(a));
		if (archive_write_finish_entry(disk) != ARCHIVE_OK)
			fatal("%s: %s: %s", what, showname(path), archiveerr(disk));
		free(host);
		free(path);
	}
	if (r != ARCHIVE_EOF)
		fatal("%s: %s", what, archiveerr(a));
	archive_read_free(a);
}


struct archive *
unpack_new(const char *what)
{
	struct archive *disk = archive_write_disk_new();

	/* one writer for every layer: it sets the modes of folders at the end,
	   so that a read-only one still takes the files of later layers */
	if (!disk || archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_UNLINK |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT) != ARCHIVE_OK)
		fatal("%s: unpack: %s", what, archiveerr(disk));
	return disk;
}

void
unpack_layer(struct archive *disk, const char *root, const char *blob, const char *what)
{
	whiteouts(root, blob, what);
	members(root, blob, what, disk);
}

void
unpack_done(struct archive *disk, const char *what)
{
	if (archive_write_close(disk) != ARCHIVE_OK)
		fatal("%s: unpack: %s", what, archiveerr(disk));
	archive_write_free(disk);
}
