/*
 * fuzz-layer: a layer blob as imagegen diff, inspect and report read it
 * (any compression libarchive takes, tar inside), laid over itself twice so
 * that its whiteouts meet something, then its dpkg database and licences,
 * and its files setuid, setgid or world-writable.
 * The digest is the data's own, so the parsing is what is fuzzed. An error
 * is fatal()'s message, which returns here in fuzz builds; what it left is
 * freed at the next input (a layer frees its reader with itself).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/digest.h"
#include "read/fstree.h"
#include "read/dpkgdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
keep(const char *path)
{
	return dpkgdb_wants(path, DPKG_ALL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/imagegen-fuzz-layer.XXXXXX";
	static char *file;
	static struct fslayer l;
	static struct fstree t;
	static struct dpkgdb db;
	char digest[72];
	jmp_buf back;
	size_t n;
	FILE *f;
	int fd;

	if (!file) {
		if (!mkdtemp(dir))
			return 0;
		file = xasprintf("%s/layer", dir);
	}
	f = fopen(file, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		return 0;
	memcpy(digest, "sha256:", 7);
	sha256hex(data, size, digest + 7);
	fd = open(file, O_RDONLY);
	if (fd < 0)
		return 0;
	dpkgdb_free(&db);
	fstree_free(&t);
	fstree_freelayer(&l);
	fatalreturn = &back;
	if (setjmp(back) == 0) {
		fstree_readlayer(fd, digest, (long long)size, keep, 8 << 20, "fuzz", &l);
		fstree_init(&t);
		fstree_apply(&t, &l, 0);
		fstree_apply(&t, &l, 1);
		fstree_finish(&t);
		dpkgdb_read(&t, DPKG_ALL, &db);
		free(fstree_special(&t, &n));
	} else {
		/* fstree_readlayer closes it when it returns */
		close(fd);
	}
	fatalreturn = NULL;
	return 0;
}
