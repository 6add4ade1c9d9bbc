/*
 * fetch: downloads over http, https and file URLs with libcurl.
 *
 * Transient failures (connection refused or dropped, timeouts, HTTP 5xx and
 * 429) are retried with backoff; a download to a file continues from the
 * partial file a failed attempt left (HTTP Range), restarting when the
 * server ignores the range. A file is hashed as it arrives and renamed into
 * place only when its size and sha256 are the expected ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include "util.h"
#include "fetch.h"
#include "deb.h"


struct dest {
	/* to memory */
	struct buf *mem;
	/* to a file */
	FILE *file;
	EVP_MD_CTX *hash;
	long long have, total;
	const char *name;
	int tty;
	time_t shown;
};

static void
curlinit(void)
{
	static int done;

	if (!done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			fatal("curl_global_init failed");
		done = 1;
	}
}

static size_t
towrite(char *p, size_t size, size_t n, void *arg)
{
	struct dest *d = arg;

	n *= size;
	if (d->mem) {
		bufadd(d->mem, p, n);
		return n;
	}
	if (fwrite(p, 1, n, d->file) != n || !EVP_DigestUpdate(d->hash, p, n))
		return 0;
	d->have += (long long)n;
	if (d->tty && d->total > (1 << 20) && time(NULL) != d->shown) {
		d->shown = time(NULL);
		fprintf(stderr, "\r  fetch %s: %lld%% of %.1f MB", d->name, d->have * 100 / d->total,
		        d->total / 1048576.0);
	}
	return n;
}

/* one attempt; 0 done, 1 worth retrying, 2 start over (the server ignored
   the range), -1 final failure (err filled) */
static int
attempt(const char *url, struct dest *d, long long from, long *status, char *err, size_t errlen)
{
	CURL *c = curl_easy_init();
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	if (!c)
		fatal("curl_easy_init failed");
	*status = 0;
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, towrite) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, d) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "imagegen/" VERSION) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)from) != CURLE_OK)
		fatal("curl_easy_setopt failed");
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	if (rc == CURLE_OK && (*status < 400 || *status == 0))
		return 0;
	if (rc == CURLE_RANGE_ERROR)
		return 2;
	if (rc == CURLE_OK || rc == CURLE_HTTP_RETURNED_ERROR)
		snprintf(err, errlen, "HTTP %ld", *status);
	else
		snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
	return fetch_transient(rc == CURLE_HTTP_RETURNED_ERROR ? CURLE_OK : rc, *status) ? 1 : -1;
}

int
fetch_transient(int rc, long status)
{
	switch (rc) {
	case CURLE_OK:
		return status >= 500 || status == 429;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return 1;
	}
	return 0;
}

void
fetch_backoff(int try)
{
	sleep(1u << (try < 4 ? try : 4));
}

int
fetch_mem(const char *url, struct buf *out, char *err, size_t errlen)
{
	struct dest d = {0};
	long status;
	int try, ret = -1;

	curlinit();
	d.mem = out;
	for (try = 0; try < FETCH_TRIES; try++) {
		out->len = 0;
		ret = attempt(url, &d, 0, &status, err, errlen);
		if (ret <= 0)
			break;
		fetch_backoff(try);
	}
	return ret == 0 ? 0 : -1;
}

/* hash the part of the file a failed attempt left, to continue from it */
static long long
hashpart(FILE *f, EVP_MD_CTX *hash)
{
	char chunk[1 << 16];
	size_t n;
	long long have = 0;

	rewind(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (!EVP_DigestUpdate(hash, chunk, n))
			fatal("sha256 failed");
		have += (long long)n;
	}
	return have;
}

void
fetch_file(const char *url, const char *path, const char *sha256, long long size)
{
	struct dest d = {0};
	char *part = xasprintf("%s.part", path), err[CURL_ERROR_SIZE + 32] = "", hex[65];
	long status;
	int try, ret = -1;

	curlinit();
	if (mkparent(path) < 0)
		fatal("mkdir for %s:", path);
	d.file = fopen(part, "a+b");
	if (!d.file)
		fatal("open %s:", part);
	/* one download at a time into a part file; another may have finished it */
	if (flock(fileno(d.file), LOCK_EX) < 0)
		fatal("lock %s:", part);
	if (access(path, F_OK) == 0 && deb_verify(path, sha256) == 0) {
		fclose(d.file);
		free(part);
		return;
	}
	d.name = strrchr(url, '/') ? strrchr(url, '/') + 1 : url;
	d.total = size;
	d.tty = isatty(2);
	for (try = 0; try < FETCH_TRIES; try++) {
		if (d.hash)
			EVP_MD_CTX_free(d.hash);
		d.hash = sha256new();
		d.have = hashpart(d.file, d.hash);
		if (d.have >= size && size > 0) {
			/* a complete part from an earlier run: check it, or start over */
			ret = 0;
			break;
		}
		ret = attempt(url, &d, d.have, &status, err, sizeof(err));
		if (ret == 2) {
			/* the server will not send a range: start over, at once */
			if (fflush(d.file) != 0 || ftruncate(fileno(d.file), 0) < 0)
				fatal("truncate %s:", part);
			continue;
		}
		if (ret <= 0)
			break;
		if (fflush(d.file) != 0)
			fatal("write %s:", part);
		fetch_backoff(try);
	}
	/* a large file gets a line: the end of the progress on a terminal, else a summary */
	if (size > (1 << 20) && ret == 0)
		fprintf(stderr, "%s  fetch %s: %.1f MB\n", d.tty ? "\r" : "", d.name, size / 1048576.0);
	if (ret != 0) {
		fclose(d.file);
		if (strstr(err, "HTTP 4"))
			unlink(part);
		fatal("fetch %s: %s", url, err);
	}
	if (fclose(d.file) != 0)
		fatal("write %s:", part);
	sha256done(d.hash, hex);
	if (d.have != size || strcmp(hex, sha256) != 0) {
		unlink(part);
		fatal("fetch %s: got %lld bytes with sha256 %s, expected %lld bytes with sha256 %s",
		      url, d.have, hex, size, sha256);
	}
	if (chmod(part, 0644) < 0 || rename(part, path) < 0)
		fatal("rename %s:", path);
	free(part);
}
