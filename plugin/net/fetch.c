/*
 * fetch: downloads over http, https and file URLs (see http.c for the
 * retries, redirects and limits every request has).
 *
 * A download to a file goes to PATH.part, locked so that one process at a
 * time writes it, continues from the part a failed attempt or an earlier
 * run left, is hashed as it arrives, and is renamed into place only when
 * its size and sha256 are the expected ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/digest.h"
#include "net/http.h"
#include "net/fetch.h"

static int
success(long status)
{
	/* status 0: a file: URL, which has none */
	return status == 0 || (status >= 200 && status < 300);
}

int
fetch_mem(const char *url, long long max, struct buf *out, char *err, size_t errlen)
{
	struct httpreq req = {0};
	struct httpres res;
	int ret = 0;

	req.method = "GET";
	req.url = url;
	req.follow = 1;
	req.maxbody = max;
	http_init(&res);
	if (http_do(&req, &res) < 0) {
		snprintf(err, errlen, "%s", res.err);
		ret = res.toolarge ? -2 : -1;
	} else if (!success(res.status)) {
		snprintf(err, errlen, "HTTP %ld", res.status);
		ret = -1;
	} else {
		bufadd(out, res.body.data, res.body.len);
	}
	http_free(&res);
	return ret;
}

void
fetch_file(const char *url, const char *path, const char *sha256, long long size)
{
	struct httpreq req = {0};
	struct httpres res;
	char *part = xasprintf("%s.part", path), hex[65], *label;
	const char *name = strrchr(url, '/') ? strrchr(url, '/') + 1 : url;
	int fd;

	if (mkparent(path) < 0)
		fatal("mkdir for %s:", path);
	fd = open(part, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		fatal("open %s:", part);
	/* one download at a time into a part file; another may have finished it */
	if (flock(fd, LOCK_EX) < 0)
		fatal("lock %s:", part);
	if (sha256verify(path, sha256) == 0) {
		close(fd);
		free(part);
		return;
	}
	req.method = "GET";
	req.url = url;
	req.follow = 1;
	req.maxbody = size;
	/* a large file's progress, on a terminal */
	label = xasprintf("  fetch %s:", name);
	if (size > (1 << 20))
		req.progress = label;
	http_init(&res);
	res.fd = fd;
	res.resume = 1;
	if (http_do(&req, &res) < 0 || !success(res.status)) {
		http_progressend();
		close(fd);
		if (res.toolarge) {
			unlink(part);
			fatal("fetch %s: got more than %lld bytes, expected %lld bytes with sha256 %s", url, size,
			      size, sha256);
		}
		/* a refusal will not change: do not resume from what it left */
		if (res.status >= 400 && res.status < 500)
			unlink(part);
		fatal("fetch %s: %s", url, success(res.status) ? res.err : xasprintf("HTTP %ld", res.status));
	}
	/* a large file gets a line: the end of the progress on a terminal, else a summary */
	http_progressend();
	if (size > (1 << 20))
		fprintf(stderr, "  fetch %s: %.1f MB\n", name, size / 1048576.0);
	if (close(fd) < 0)
		fatal("write %s:", part);
	sha256done(res.hash, hex);
	res.hash = NULL;
	if (res.size != size || strcmp(hex, sha256) != 0) {
		unlink(part);
		fatal("fetch %s: got %lld bytes with sha256 %s, expected %lld bytes with sha256 %s",
		      url, res.size, hex, size, sha256);
	}
	if (chmod(part, 0644) < 0 || rename(part, path) < 0)
		fatal("rename %s:", path);
	http_free(&res);
	free(label);
	free(part);
}
