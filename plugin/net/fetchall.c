/*
 * fetchall: the files of a build (its .debs) downloaded together, by one
 * process, as apt does: a few workers (FETCH_CONNECTIONS threads), each
 * over one kept connection (http_connnew: HTTP keep-alive) that it reuses
 * from one file to the next, all sharing one cache of name lookups.
 *
 * A host is looked up once: the first file from an origin (scheme://
 * host:port) goes alone, the smallest of its files, and the other workers
 * wait for it before they open their connections to that origin (a
 * resolver that drops one parallel lookup in some is met once, not once a
 * file). Then the files go largest first, so that the last to finish is
 * a small one.
 *
 * Each file is fetched as fetch_file fetches one (fetch.c): to PATH.part,
 * locked against another process, resumed from the part an earlier try
 * or run left, hashed as it arrives, renamed into place only with its
 * size and sha256. A file already in place with its sha256 is not fetched.
 * The first failure stops the batch: the workers finish the files they
 * have (whole and verified, or not renamed), and the one line names the
 * package and its URL.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/json.h"
#include "base/store.h"
#include "net/http.h"
#include "net/fetchall.h"

enum {
	/* the connections (and workers) of a batch, at most */
	FETCH_CONNECTIONS = 4,
	/* a file larger than this gets a line when it is done */
	BIGFILE = 1 << 20,
};

/* an origin's first file: not yet taken, being fetched, or done */
enum warmth { COLD, WARMING, WARM };

struct item {
	/* snapshot: where the file is in a snapshot archive, if the mirror no longer has it (or NULL) */
	const char *url, *path, *sha256, *name, *snapshot;
	long long size;
	/* the index of its origin in the batch's */
	size_t origin;
	int taken;
};

struct batch {
	struct item *items;
	size_t nitems;
	char (*origins)[512];
	enum warmth *warmth;
	size_t norigins;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* the first failure's line (the batch stops), or NULL */
	char *err;
};

struct worker {
	struct batch *b;
	struct httpconn *conn;
	pthread_t thread;
};

static int
success(long status)
{
	/* status 0: a file: URL, which has none */
	return status == 0 || (status >= 200 && status < 300);
}

/* the file of it fetched from url and in place: NULL, or why not (free
   it), and the HTTP status in *status */
static char *
fetchfrom(const struct item *it, const char *url, struct httpconn *conn, long *status)
{
	struct httpreq req = {0};
	struct httpres res;
	char *part, *why = NULL, hex[65];
	int fd;

	if (sha256verify(it->path, it->sha256) == 0)
		return NULL;
	if (mkparent(it->path) < 0)
		return xasprintf("fetch %s: mkdir for %s: %s", it->name, it->path, strerror(errno));
	part = xasprintf("%s.part", it->path);
	fd = open(part, O_RDWR | O_CREAT, 0644);
	/* one download at a time into a part file; another may have finished it */
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		why = xasprintf("fetch %s: open %s: %s", it->name, part, strerror(errno));
		goto out;
	}
	if (sha256verify(it->path, it->sha256) == 0)
		goto out;
	req.method = "GET";
	req.url = url;
	req.follow = 1;
	req.maxbody = it->size;
	req.conn = conn;
	http_init(&res);
	res.fd = fd;
	res.resume = 1;
	if (http_do(&req, &res) < 0 || !success(res.status)) {
		*status = res.status;
		if (res.toolarge) {
			unlink(part);
			why = xasprintf("fetch %s from %s: got more than %lld bytes, expected %lld bytes with sha256 %s",
			                it->name, url, it->size, it->size, it->sha256);
		} else {
			/* a refusal will not change: do not resume from what it left */
			if (res.status >= 400 && res.status < 500)
				unlink(part);
			why = success(res.status) ? xasprintf("fetch %s from %s: %s", it->name, url, res.err)
			                          : xasprintf("fetch %s from %s: HTTP %ld", it->name, url, res.status);
		}
		http_free(&res);
		goto out;
	}
	sha256done(res.hash, hex);
	res.hash = NULL;
	if (res.size != it->size || strcmp(hex, it->sha256) != 0) {
		unlink(part);
		why = xasprintf("fetch %s from %s: got %lld bytes with sha256 %s, expected %lld bytes with sha256 %s",
		                it->name, url, res.size, hex, it->size, it->sha256);
	} else if (fchmod(fd, 0644) < 0 || rename(part, it->path) < 0) {
		why = xasprintf("fetch %s: rename %s: %s", it->name, it->path, strerror(errno));
	} else if (it->size > BIGFILE) {
		fprintf(stderr, "  fetch %s: %.1f MB\n", it->name, it->size / 1048576.0);
	}
	http_free(&res);
out:
	/* the lock goes with the descriptor, after the rename */
	if (fd >= 0 && close(fd) < 0 && !why)
		why = xasprintf("fetch %s: write %s: %s", it->name, part, strerror(errno));
	free(part);
	return why;
}

/* the file of it fetched and in place: NULL, or why not (free it); a
   file the mirror no longer has (404, 410) from the snapshot archive, with
   one line saying so, verified the same */
static char *
fetchone(const struct item *it, struct httpconn *conn)
{
	long status = 0;
	char *why = fetchfrom(it, it->url, conn, &status);

	if (why && it->snapshot && (status == 404 || status == 410)) {
		fprintf(stderr, "imagegen: fetch %s: %s is gone from the mirror (HTTP %ld); fetching it from the "
		        "snapshot archive: %s\n", it->name, it->url, status, it->snapshot);
		free(why);
		status = 0;
		why = fetchfrom(it, it->snapshot, conn, &status);
	}
	return why;
}

/* the next item for a worker, under the batch's lock: NULL when none is
   left or the batch failed; an origin not looked up yet gets its smallest
   file fetched alone first */
static struct item *
take(struct batch *b)
{
	struct item *it;
	size_t i, j;
	int left;

	for (;;) {
		if (b->err)
			return NULL;
		left = 0;
		for (i = 0; i < b->nitems; i++) {
			it = &b->items[i];
			if (it->taken)
				continue;
			left = 1;
			if (b->warmth[it->origin] == WARMING)
				continue;
			if (b->warmth[it->origin] == COLD) {
				/* items go largest first: the origin's last is its smallest */
				for (j = b->nitems; j-- > i;) {
					if (!b->items[j].taken && b->items[j].origin == it->origin)
						break;
				}
				it = &b->items[j];
				b->warmth[it->origin] = WARMING;
			}
			it->taken = 1;
			return it;
		}
		if (!left)
			return NULL;
		pthread_cond_wait(&b->cond, &b->lock);
	}
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct batch *b = w->b;
	struct item *it;
	char *why;

	pthread_mutex_lock(&b->lock);
	while ((it = take(b))) {
		pthread_mutex_unlock(&b->lock);
		why = fetchone(it, w->conn);
		pthread_mutex_lock(&b->lock);
		if (b->warmth[it->origin] == WARMING)
			b->warmth[it->origin] = WARM;
		if (why && !b->err)
			b->err = why;
		else
			free(why);
		pthread_cond_broadcast(&b->cond);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* larger first; the order of the list among equals */
static int
bysize(const void *x, const void *y)
{
	const struct item *a = x, *b = y;

	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return strcmp(a->path, b->path);
}

/* the items of list, checked */
static void
readitems(struct batch *b, const json_t *list, const char *ctx)
{
	char digest[72];
	json_t *f, *v;
	size_t i, k;

	if (!json_is_array(list))
		fatal("%s: malformed fetch list", ctx);
	b->nitems = json_array_size(list);
	b->items = xcalloc(b->nitems ? b->nitems : 1, sizeof(*b->items));
	json_array_foreach(list, i, f) {
		struct item *it = &b->items[i];
		const char **s[] = {&it->url, &it->path, &it->sha256, &it->name};
		const char *keys[] = {"url", "path", "sha256", "name"};

		for (k = 0; k < 4; k++) {
			v = json_object_get(f, keys[k]);
			*s[k] = json_string_value(v);
			if (!*s[k] && k == 3)
				*s[k] = it->path;
			if (!*s[k])
				fatal("%s: malformed fetch list (item %zu has no %s)", ctx, i + 1, keys[k]);
		}
		it->snapshot = json_string_value(json_object_get(f, "snapshot"));
		v = json_object_get(f, "size");
		it->size = json_integer_value(v);
		snprintf(digest, sizeof(digest), "sha256:%s", it->sha256);
		if (!json_is_integer(v) || it->size < 0 || !store_validdigest(digest))
			fatal("%s: malformed fetch list (item %zu: '%s' is not a sha256 and a size)", ctx, i + 1,
			      it->sha256);
	}
}

void
fetch_all(const json_t *list, const char *ctx)
{
	struct batch b = {0};
	struct worker w[FETCH_CONNECTIONS];
	char err[256], origin[512];
	size_t i, j, n;

	readitems(&b, list, ctx);
	/* none is fetched when every file is there: no connection, no thread */
	for (i = n = 0; i < b.nitems; i++) {
		if (sha256verify(b.items[i].path, b.items[i].sha256) == 0)
			b.items[i].taken = 1;
		else
			n++;
	}
	if (n == 0) {
		free(b.items);
		return;
	}
	qsort(b.items, b.nitems, sizeof(*b.items), bysize);
	b.origins = xcalloc(b.nitems, sizeof(*b.origins));
	b.warmth = xcalloc(b.nitems, sizeof(*b.warmth));
	for (i = 0; i < b.nitems; i++) {
		/* a file: URL has no host to look up: "" is always warm */
		if (http_origin(b.items[i].url, origin, sizeof(origin)) < 0)
			origin[0] = '\0';
		for (j = 0; j < b.norigins && strcmp(b.origins[j], origin) != 0; j++)
			;
		if (j == b.norigins) {
			memcpy(b.origins[j], origin, sizeof(origin));
			b.warmth[j] = origin[0] ? COLD : WARM;
			b.norigins++;
		}
		b.items[i].origin = j;
	}
	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.cond, NULL);
	if (n > FETCH_CONNECTIONS)
		n = FETCH_CONNECTIONS;
	for (i = 0; i < n; i++) {
		w[i].b = &b;
		if (!(w[i].conn = http_connnew(err, sizeof(err))))
			fatal("fetch: %s", err);
	}
	for (i = 0; i < n; i++) {
		if ((errno = pthread_create(&w[i].thread, NULL, work, &w[i])) != 0)
			fatal("fetch: start a thread:");
	}
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		http_connfree(w[i].conn);
	}
	pthread_cond_destroy(&b.cond);
	pthread_mutex_destroy(&b.lock);
	free(b.items);
	free(b.origins);
	free(b.warmth);
	if (b.err)
		fatal("%s", b.err);
}
