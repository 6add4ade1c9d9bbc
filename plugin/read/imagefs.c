/*
 * imagefs: an image read whole, for inspect, diff and the report page: its
 * layers laid over each other (fstree.c) and the packages dpkg knows in the
 * result (dpkgdb.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "read/reader.h"
#include "read/fstree.h"
#include "read/dpkgdb.h"
#include "read/imagefs.h"

/* the most bytes of an image's dpkg database and copyright files read
   (a system of 900 packages has 28 MB of them) */
enum { MAXKEPT = 256 << 20 };

static int
keepstatus(const char *path)
{
	return dpkgdb_wants(path, DPKG_STATUS);
}

static int
keeplists(const char *path)
{
	return dpkgdb_wants(path, DPKG_LISTS);
}

static int
keepall(const char *path)
{
	return dpkgdb_wants(path, DPKG_ALL);
}

void
imagefs_open(struct imagefs *fs, struct reader *r, const char *platform, enum dpkgread what,
             const struct imagefs *shared)
{
	int (*const keep[])(const char *) = {keepstatus, keeplists, keepall};
	long long kept = 0;
	size_t i, j;

	memset(fs, 0, sizeof(*fs));
	fs->img = reader_image(r, platform);
	fs->layers = xcalloc(fs->img->nlayers, sizeof(*fs->layers));
	fs->own = xcalloc(fs->img->nlayers, 1);
	fstree_init(&fs->t);
	for (i = 0; i < fs->img->nlayers; i++) {
		for (j = 0; shared && j < shared->img->nlayers; j++) {
			if (strcmp(shared->img->layers[j].digest, fs->img->layers[i].digest) == 0)
				break;
		}
		if (shared && j < shared->img->nlayers) {
			fs->layers[i] = shared->layers[j];
		} else {
			reader_readlayer(r, fs->img, i, keep[what], MAXKEPT - kept, &fs->layers[i]);
			fs->own[i] = 1;
		}
		kept += fs->layers[i].kept;
		fstree_apply(&fs->t, &fs->layers[i], (int)i);
		fs->size += fs->img->layers[i].size;
		fs->usize += fs->layers[i].usize;
	}
	fstree_finish(&fs->t);
	dpkgdb_read(&fs->t, what, &fs->db);
}

void
imagefs_free(struct imagefs *fs)
{
	size_t i;

	for (i = 0; fs->img && i < fs->img->nlayers; i++) {
		if (fs->own[i])
			fstree_freelayer(&fs->layers[i]);
	}
	free(fs->layers);
	free(fs->own);
	fstree_free(&fs->t);
	dpkgdb_free(&fs->db);
	reader_freeimage(fs->img);
	memset(fs, 0, sizeof(*fs));
}
