/*
 * rootfs: an image's root file system, unpacked once for every step that
 * runs in it.
 *
 * .imagegen/root/HEX/ is the file system of the image whose manifest has
 * the digest sha256:HEX: its layers (its bases' first) applied in order,
 * as a container runtime applies them (layer/unpack.c: whiteouts, nothing
 * written outside it, modes kept, owners not: files belong to whoever runs
 * the build, and a user namespace shows them as the step's user's).
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
#include "base/store.h"
#include "layer/unpack.h"
#include "cache/cache.h"
#include "step/sandbox.h"
#include "step/rootfs.h"

/* unpack the image's layers into the new folder root, and make its mount points */
static void
unpack(const char *root, json_t *image, const char *store, const char *ctx)
{
	struct archive *disk = unpack_new(ctx);
	struct stepuser u;
	json_t *l;
	char *blob, *what;
	size_t i;

	json_array_foreach(json_object_get(image, "layers"), i, l) {
		const char *digest = json_string_value(json_object_get(l, "digest"));
		if (!digest || !store_validdigest(digest))
			fatal("%s: the image file's layer %zu has no digest", ctx, i);
		blob = store_path(store, digest);
		what = xasprintf("%s: layer %s", ctx, digest);
		unpack_layer(disk, root, blob, what);
		free(what);
		free(blob);
	}
	unpack_done(disk, ctx);
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
