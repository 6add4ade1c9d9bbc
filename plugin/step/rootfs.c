/*
 * rootfs: an image's root file system, unpacked once for every step that
 * runs in it.
 *
 * .imagegen/root/HEX/ is the file system of the image whose manifest has
 * the digest sha256:HEX: its layers (its bases' first) applied in order,
 * as a container runtime applies them:
 *  - a layer's whiteouts first, on what the layers below made: ".wh.NAME"
 *    removes NAME, ".wh..wh..opq" empties its folder (two passes over the
 *    layer, so that they apply to the lower layers alone, wherever they
 *    are in the tar);
 *  - then its files, folders, symlinks and hard links, a file or folder
 *    replacing what was at its path; devices and FIFOs are left out (the
 *    sandbox has its own /dev);
 *  - a member whose path climbs out ("..") or goes through a symlink is
 *    refused, and so is a whiteout's (libarchive's secure extraction, and
 *    the same check here);
 *  - modes kept, owners not (files belong to whoever runs the build: a
 *    user namespace shows them as the step's user's), times not.
 * Then the mount points of the image's steps are made (sandbox_prepare).
 * It is unpacked to HEX.tmpPID and renamed, under the lock HEX.lock, so
 * that steps run in parallel unpack it once and none sees half of it; what
 * a killed unpack left is removed by the next. The root of an image file's
 * former digest (its record, IMAGE.image, says which) is removed when a new
 * one is made: one root an image.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/file.h"
#include "base/json.h"
#include "base/digest.h"
#include "base/arc.h"
#include "base/store.h"
#include "cache/cache.h"
#include "step/sandbox.h"
#include "step/rootfs.h"

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

/* unpack the image's layers into the new folder root, and make its mount points */
static void
unpack(const char *root, json_t *image, const char *store, const char *ctx)
{
	struct archive *disk = archive_write_disk_new();
	struct stepuser u;
	json_t *l;
	char *blob, *what;
	size_t i;

	/* one writer for every layer: it sets the modes of folders at the end,
	   so that a read-only one still takes the files of later layers */
	if (!disk || archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_UNLINK |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT) != ARCHIVE_OK)
		fatal("%s: unpack: %s", ctx, archiveerr(disk));
	json_array_foreach(json_object_get(image, "layers"), i, l) {
		const char *digest = json_string_value(json_object_get(l, "digest"));
		if (!digest || !store_validdigest(digest))
			fatal("%s: the image file's layer %zu has no digest", ctx, i);
		blob = store_path(store, digest);
		what = xasprintf("%s: layer %s", ctx, digest);
		whiteouts(root, blob, what);
		members(root, blob, what, disk);
		free(what);
		free(blob);
	}
	if (archive_write_close(disk) != ARCHIVE_OK)
		fatal("%s: unpack: %s", ctx, archiveerr(disk));
	archive_write_free(disk);
	sandbox_user(root, json_object_get(json_object_get(image, "config"), "config"), ctx, &u);
	sandbox_prepare(root, &u, ctx);
	sandbox_freeuser(&u);
}

/* remove what unpacks of hex that did not finish left in dir (the lock held) */
static void
sweep(const char *dir, const char *hex)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char *prefix = xasprintf("%s.tmp", hex), *p;

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		removetree(p);
		free(p);
	}
	if (d)
		closedir(d);
	free(prefix);
}

/* remove the root dir/hex of an image's former digest, unless a step holds its lock */
static void
dropold(const char *dir, const char *hex)
{
	char *lock = xasprintf("%s/%s.lock", dir, hex), *root = xasprintf("%s/%s", dir, hex);
	int fd = open(lock, O_RDWR);

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
		sweep(dir, hex);
		if (removetree(root) == 0)
			unlink(lock);
	}
	if (fd >= 0)
		close(fd);
	free(lock);
	free(root);
}

char *
rootfs_open(const char *imagefile, const char *store, const char *ctx, json_t **image)
{
	const char *digest, *slash = strrchr(store, '/');
	char *dir, *root, *lock, *tmp, *record, key[65];
	struct buf old = {0};
	struct stat st;
	int fd;

	*image = readjson(imagefile);
	digest = json_string_value(json_object_get(json_object_get(*image, "manifest"), "digest"));
	if (!digest || !store_validdigest(digest))
		fatal("%s: %s: no manifest digest", ctx, imagefile);
	dir = slash ? xasprintf("%.*s/root", (int)(slash - store), store) : xstrdup("root");
	root = xasprintf("%s/%s", dir, digest + 7);
	if (stat(root, &st) == 0 && S_ISDIR(st.st_mode)) {
		free(dir);
		return root;
	}
	if (mkdirs(dir) < 0)
		fatal("%s: mkdir %s:", ctx, dir);
	lock = xasprintf("%s/%s.lock", dir, digest + 7);
	if ((fd = open(lock, O_RDWR | O_CREAT, 0644)) < 0 || flock(fd, LOCK_EX) < 0)
		fatal("%s: lock %s:", ctx, lock);
	if (stat(root, &st) < 0) {
		sweep(dir, digest + 7);
		/* the layers' bytes, where a build cache hit left them out of the store */
		cache_ready(imagefile, store);
		tmp = tmpname(root);
		if (mkdir(tmp, 0755) < 0)
			fatal("%s: mkdir %s:", ctx, tmp);
		unpack(tmp, *image, store, ctx);
		if (rename(tmp, root) < 0)
			fatal("%s: rename %s:", ctx, tmp);
		free(tmp);
		/* one root an image file: the former one goes */
		sha256hex(imagefile, strlen(imagefile), key);
		record = xasprintf("%s/%.16s.image", dir, key);
		if (readall(record, &old) == 0 && old.len == 64 && strcmp(old.data, digest + 7) != 0 &&
		    strspn(old.data, "0123456789abcdef") == 64)
			dropold(dir, old.data);
		xreplacefile(record, digest + 7, 64);
		free(old.data);
		free(record);
	}
	close(fd);
	free(lock);
	free(dir);
	return root;
}
