/*
 * Blobs live once per build under STORE/sha256/<hex>, named by the sha256 of
 * their bytes, and image layouts link to them. A blob is written under a
 * temporary name in STORE/tmp, PID.N, and renamed into place, so a
 * reader never sees part of one; the temporaries of writers that died are
 * removed by the next writer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/json.h"
#include "base/store.h"

int
store_validdigest(const char *digest)
{
	size_t i;

	if (strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 71)
		return 0;
	for (i = 7; i < 71; i++) {
		if (!strchr("0123456789abcdef", digest[i]))
			return 0;
	}
	return 1;
}

char *
store_path(const char *store, const char *digest)
{
	if (!store_validdigest(digest))
		fatal("malformed digest '%s'", digest);
	return xasprintf("%s/sha256/%s", store, digest + 7);
}

int
store_tmp(const char *store, char **tmp)
{
	static int swept, made;
	char *dir = xasprintf("%s/tmp", store), *blobs = xasprintf("%s/sha256", store);
	int fd;

	if (mkdirs(dir) < 0 || mkdirs(blobs) < 0)
		fatal("mkdir %s:", blobs);
	if (!swept) {
		sweepdead(dir, "");
		swept = 1;
	}
	/* PID.N, the Nth of this process: a live process's names are its own
	   (sweepdead removes a dead one's), and O_EXCL skips one left behind
	   by a process of the same PID; no random name, which mkstemp makes
	   from the clock, and the clock's first read is two page faults */
	for (;;) {
		*tmp = xasprintf("%s/%ld.%d", dir, (long)getpid(), made++);
		fd = open(*tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
		free(*tmp);
	}
	free(dir);
	free(blobs);
	if (fd < 0)
		fatal("create %s:", *tmp);
	/* blobs are world-readable whatever the umask */
	if (fchmod(fd, 0644) < 0)
		fatal("chmod %s:", *tmp);
	return fd;
}

void
store_commit(const char *store, const char *tmp, const char *digest)
{
	char *path = store_path(store, digest);
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		unlink(tmp);
		fatal("rename %s:", path);
	}
	free(path);
}

void
store_put(const char *store, const void *data, size_t len, char digest[72])
{
	char *tmp;
	int fd;

	memcpy(digest, "sha256:", 7);
	sha256hex(data, len, digest + 7);
	fd = store_tmp(store, &tmp);
	if (writeall(fd, data, len) < 0 || close(fd) < 0) {
		unlink(tmp);
		fatal("write %s:", tmp);
	}
	store_commit(store, tmp, digest);
	free(tmp);
}

json_t *
store_putjson(const char *store, const char *mediatype, const json_t *doc)
{
	char *text = dumpjson(doc);
	char digest[72];
	size_t len = strlen(text);
	json_t *desc;

	store_put(store, text, len, digest);
	free(text);
	desc = json_pack("{s:s, s:s, s:I}", "mediaType", mediatype, "digest", digest,
	                 "size", (json_int_t)len);
	if (!desc)
		fatal("out of memory");
	return desc;
}
