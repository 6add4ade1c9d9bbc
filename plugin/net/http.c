/*
 * http: every request imagegen makes goes through http_do, over libcurl.
 *
 * Options every request shares: TLS peers and host names verified (curl's
 * defaults; SSL_CERT_FILE or SSL_CERT_DIR name other CAs), our User-Agent, a cap on the body taken (in memory by
 * default; a file download is capped by its expected size), and time
 * limits: a request, its retries included, ends after IMAGEGEN_HTTP_TIMEOUT
 * seconds (default 900); one that connects, answers or moves less than
 * 1 KiB a second for IMAGEGEN_HTTP_STALL seconds (default 30) fails.
 *
 * Retries: connection failures, cut-off transfers, HTTP 5xx and 429 are
 * tried again, HTTP_TRIES times in all, a stalled transfer once, waiting
 * 1, 2, 4, 8 s between tries. A download to a file continues from where
 * the last try stopped (a range request), and starts over when the server
 * ignores the range. Any other answer is final and goes back to the
 * caller, whose business its status is.
 *
 * Redirects are followed here, not by libcurl, hop by hop: only to http
 * and https URLs, never from https down to http, at most 10. The
 * credentials (an Authorization line) go only to the origin, scheme://
 * host:port, they were found for; a hop to another origin (a registry
 * sending blobs to storage elsewhere) goes without them.
 *
 * A kept connection (http_connnew) is a libcurl handle that stays open
 * from one request to the next, so that the requests of a batch (the
 * .debs of a build, net/fetchall.c) reuse their connection to a mirror
 * instead of each opening its own; the kept connections share one cache
 * of name lookups and TLS sessions (a curl share object, locked), so a
 * host is looked up once however many of them talk to it.
 *
 * libcurl is loaded (dlopen) when the first request is made, not when
 * imagegen starts: with what it needs (TLS twice over, HTTP/2, IDN, SSH,
 * Kerberos, LDAP...) it is some 30 libraries and 5 ms or more of every
 * helper's start-up, and only downloads and registries make requests.
 * configure names its soname (CURL_SONAME) and package (CURL_PACKAGE).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/digest.h"
#include "base/lib.h"
#include "net/http.h"

/* (configure says; these are for builds without it, such as the fuzz targets') */
#ifndef CURL_SONAME
#define CURL_SONAME "libcurl.so.4"
#endif
#ifndef CURL_PACKAGE
#define CURL_PACKAGE "libcurl4"
#endif

enum {
	MAXHOPS = 10,
	/* the transfer rate below which a transfer counts as stalled, bytes a second */
	STALLRATE = 1024,
	/* the tries a stalled transfer gets */
	STALLTRIES = 2,
	/* what is kept of an error response's body when the body goes to a file */
	ERRBODY = 64 << 10,
};

/* how one exchange ended */
enum outcome {
	DONE,
	/* worth trying again after a wait */
	RETRY,
	/* it stalled: worth one more try */
	STALLED,
	/* the server ignored the range: start the file over, at once */
	RESTART,
	FAILED,
};

/* the state of one exchange, for libcurl's callbacks */
struct exchange {
	const struct httpreq *req;
	struct httpres *res;
	/* an upload's file, and the bytes of it sent */
	FILE *f;
	long long sent;
};

/* whether a progress line is on the terminal now, and when it was drawn (ms) */
static int drawn;
static long long drawnat;

static long long
millis(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
http_progress(const char *label, long long done, long long total, const char *what)
{
	static const char *const units[] = {"kB", "MB", "GB"};
	double scale = 1000;
	int u = 0;

	if (!isatty(2))
		return;
	if (total < 1000) {
		if (what)
			fprintf(stderr, "\r%s %lld B %s\033[K", label, total, what);
		else
			fprintf(stderr, "\r%s %lld/%lld B\033[K", label, done, total);
		drawn = 1;
		drawnat = millis();
		return;
	}
	while (u < 2 && total >= scale * 1000) {
		scale *= 1000;
		u++;
	}
	if (what)
		fprintf(stderr, "\r%s %.1f %s %s\033[K", label, total / scale, units[u], what);
	else
		fprintf(stderr, "\r%s %.1f/%.1f %s\033[K", label, done / scale, total / scale, units[u]);
	drawn = 1;
	drawnat = millis();
}

void
http_progressend(void)
{
	if (drawn)
		fprintf(stderr, "\r\033[K");
	drawn = 0;
}

/* a number of seconds from the environment, or def, into *n: 0; -1 with
   why in res->err */
static int
seconds(const char *name, long def, long *n, struct httpres *res)
{
	const char *e = getenv(name);
	char *end;

	*n = def;
	if (!e || !*e)
		return 0;
	*n = strtol(e, &end, 10);
	if (*end || *n < 1) {
		snprintf(res->err, sizeof(res->err), "%s='%s' is not a number of seconds", name, e);
		return -1;
	}
	return 0;
}

/* the libcurl functions http.c calls, once loaded */
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	void (*easy_reset)(CURL *);
	CURLSH *(*share_init)(void);
	CURLSHcode (*share_setopt)(CURLSH *, CURLSHoption, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} curl;

static struct lib libcurl = {"libcurl", CURL_SONAME, CURL_PACKAGE, "downloads and registries", NULL};

/* the table's field f: libcurl's curl_f */
#define CURLFN(f) libfn(&libcurl, "curl_" #f, &curl.f, sizeof(curl.f))

/* libcurl loaded and set up: 0; -1 with why in res->err */
static int
curlinit(struct httpres *res)
{
	const char *err;

	if (curl.global_init)
		return 0;
	if ((err = libopen(&libcurl))) {
		snprintf(res->err, sizeof(res->err), "%s", err);
		return -1;
	}
	CURLFN(easy_init);
	CURLFN(easy_setopt);
	CURLFN(easy_perform);
	CURLFN(easy_getinfo);
	CURLFN(easy_cleanup);
	CURLFN(easy_reset);
	CURLFN(share_init);
	CURLFN(share_setopt);
	CURLFN(easy_strerror);
	CURLFN(slist_append);
	CURLFN(slist_free_all);
	CURLFN(global_init);
	if (curl.global_init(CURL_GLOBAL_DEFAULT) != 0) {
		snprintf(res->err, sizeof(res->err), "curl_global_init failed");
		curl.global_init = NULL;
		return -1;
	}
	return 0;
}

struct httpconn {
	CURL *c;
};

/* what the kept connections share (name lookups, TLS sessions), made with
   the first, and a lock for each kind of data libcurl locks */
static CURLSH *share;
static pthread_mutex_t sharelocks[CURL_LOCK_DATA_LAST];

static void
sharelock(CURL *c, curl_lock_data data, curl_lock_access access, void *arg)
{
	(void)c;
	(void)access;
	(void)arg;
	pthread_mutex_lock(&sharelocks[data]);
}

static void
shareunlock(CURL *c, curl_lock_data data, void *arg)
{
	(void)c;
	(void)arg;
	pthread_mutex_unlock(&sharelocks[data]);
}

struct httpconn *
http_connnew(char *err, size_t errlen)
{
	struct httpres res;
	struct httpconn *conn;
	int i;

	/* made before the threads that use the connections start */
	http_init(&res);
	if (curlinit(&res) < 0) {
		snprintf(err, errlen, "%s", res.err);
		return NULL;
	}
	if (!share) {
		for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
			pthread_mutex_init(&sharelocks[i], NULL);
		share = curl.share_init();
		if (!share || curl.share_setopt(share, CURLSHOPT_LOCKFUNC, sharelock) != CURLSHE_OK ||
		    curl.share_setopt(share, CURLSHOPT_UNLOCKFUNC, shareunlock) != CURLSHE_OK ||
		    curl.share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
		    curl.share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
			snprintf(err, errlen, "curl_share_setopt failed");
			share = NULL;
			return NULL;
		}
	}
	conn = xmalloc(sizeof(*conn));
	conn->c = curl.easy_init();
	if (!conn->c) {
		snprintf(err, errlen, "curl_easy_init failed");
		free(conn);
		return NULL;
	}
	return conn;
}

void
http_connfree(struct httpconn *conn)
{
	if (!conn)
		return;
	curl.easy_cleanup(conn->c);
	free(conn);
}

void
http_init(struct httpres *res)
{
	memset(res, 0, sizeof(*res));
	res->fd = -1;
}

static void
clearheaders(struct httpres *res)
{
	free(res->location);
	free(res->challenge);
	free(res->digest);
	free(res->ctype);
	free(res->subject);
	res->location = res->challenge = res->digest = res->ctype = res->subject = NULL;
}

void
http_free(struct httpres *res)
{
	clearheaders(res);
	free(res->body.data);
	res->body.data = NULL;
	res->body.len = res->body.cap = 0;
	sha256free(res->hash);
	res->hash = NULL;
}

int
http_origin(const char *url, char *out, size_t len)
{
	const char *p, *host, *end, *at, *colon;
	const char *port = NULL;
	size_t hostlen, i;
	int https, n;

	if (strncasecmp(url, "https://", 8) == 0) {
		https = 1;
		p = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		https = 0;
		p = url + 7;
	} else {
		return -1;
	}
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	host = at ? at + 1 : p;
	if (*host == '[') {
		colon = memchr(host, ']', (size_t)(end - host));
		if (!colon)
			return -1;
		colon++;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		if (!colon)
			colon = end;
	}
	hostlen = (size_t)(colon - host);
	if (hostlen == 0)
		return -1;
	if (colon < end && *colon == ':' && colon + 1 < end)
		port = colon + 1;
	n = snprintf(out, len, "%s://", https ? "https" : "http");
	if (n < 0 || (size_t)n + hostlen + 8 >= len)
		return -1;
	for (i = 0; i < hostlen; i++)
		out[n + i] = (char)((host[i] >= 'A' && host[i] <= 'Z') ? host[i] - 'A' + 'a' : host[i]);
	n += (int)hostlen;
	if (port)
		snprintf(out + n, len - (size_t)n, ":%.*s", (int)(end - port), port);
	else
		snprintf(out + n, len - (size_t)n, ":%s", https ? "443" : "80");
	return 0;
}

static size_t
onheader(char *p, size_t size, size_t n, void *arg)
{
	static const struct {
		const char *name;
		size_t off;
	} want[] = {
		{"location:", offsetof(struct httpres, location)},
		{"www-authenticate:", offsetof(struct httpres, challenge)},
		{"docker-content-digest:", offsetof(struct httpres, digest)},
		{"content-type:", offsetof(struct httpres, ctype)},
		{"oci-subject:", offsetof(struct httpres, subject)},
	};
	struct exchange *x = arg;
	size_t len = size * n, k, i;
	char **slot;

	/* a status line starts a response (after a 100 Continue, another) */
	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		clearheaders(x->res);
		p = memchr(p, ' ', len);
		x->res->status = p ? strtol(p + 1, NULL, 10) : 0;
		return size * n;
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		k = strlen(want[i].name);
		if (len <= k || strncasecmp(p, want[i].name, k) != 0)
			continue;
		slot = (char **)((char *)x->res + want[i].off);
		p += k;
		len -= k;
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
			len--;
		free(*slot);
		*slot = xasprintf("%.*s", (int)len, p);
		break;
	}
	return size * n;
}

/* the request's progress line, done of total bytes, at most five times a second */
static void
progress(struct exchange *x, long long done, long long total)
{
	if (x->req->progress && millis() - drawnat >= 200)
		http_progress(x->req->progress, done, total, NULL);
}

/* an upload's bytes, counted for its progress line */
static size_t
onread(char *p, size_t size, size_t n, void *arg)
{
	struct exchange *x = arg;
	size_t r = fread(p, size, n, x->f);

	if (r == 0 && ferror(x->f))
		return CURL_READFUNC_ABORT;
	x->sent += (long long)(r * size);
	progress(x, x->sent, x->req->bodylen);
	return r;
}

static size_t
onbody(char *p, size_t size, size_t n, void *arg)
{
	struct exchange *x = arg;
	struct httpres *res = x->res;
	long long cap;
	ssize_t w;
	size_t left;

	n *= size;
	/* only a success goes to the file (status 0: a file: URL, which has
	   no status line); an error's body is kept for messages */
	if (res->fd >= 0 && (res->status == 0 || (res->status >= 200 && res->status < 300))) {
		if (x->req->maxbody > 0 && res->size + (long long)n > x->req->maxbody) {
			x->res->toolarge = 1;
			return 0;
		}
		sha256add(res->hash, p, n);
		for (left = n; left > 0; left -= (size_t)w, p += w) {
			w = write(res->fd, p, left);
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w < 0)
				return 0;
		}
		res->size += (long long)n;
		progress(x, res->size, x->req->maxbody);
		return n;
	}
	cap = res->fd >= 0 ? ERRBODY : x->req->maxbody > 0 ? x->req->maxbody : HTTP_MAXMEM;
	if ((long long)(res->body.len + n) > cap) {
		if (res->fd >= 0)
			return n;
		x->res->toolarge = 1;
		return 0;
	}
	bufadd(&res->body, p, n);
	return n;
}

/* the file sink before a try: continue the part that is there, or start it over */
static void
resetfile(struct httpres *res)
{
	char chunk[1 << 16];
	ssize_t r;
	off_t at = 0;

	sha256free(res->hash);
	res->hash = sha256new();
	res->size = 0;
	if (!res->resume) {
		if (ftruncate(res->fd, 0) < 0)
			fatal("truncate a download:");
	}
	while ((r = pread(res->fd, chunk, sizeof(chunk), at)) > 0) {
		sha256add(res->hash, chunk, (size_t)r);
		at += r;
	}
	if (r < 0)
		fatal("read a download:");
	res->size = (long long)at;
	if (lseek(res->fd, at, SEEK_SET) < 0)
		fatal("seek a download:");
}

static int
transient(CURLcode rc, long status)
{
	switch (rc) {
	case CURLE_OK:
		return status >= 500 || status == 429;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return 1;
	default:
		return 0;
	}
}

/* every option is checked: one that does not take means a libcurl too old */
#define SETOPT(c, opt, val) do { \
	if (curl.easy_setopt((c), (opt), (val)) != CURLE_OK) \
		fatal("curl_easy_setopt(%s) failed", #opt); \
} while (0)

/* one exchange with url, no redirects followed, ending by the deadline (the
   request's timeout seconds from its start) or after stall seconds without
   progress; *next is the redirect's target (free it) */
static enum outcome
exchange(const struct httpreq *req, const char *url, time_t deadline, long timeout, long stall,
         struct httpres *res, char **next)
{
	struct exchange x = {0};
	struct curl_slist *h = NULL;
	char cerr[CURL_ERROR_SIZE] = "", origin[512];
	const char *const *line;
	const char *target = NULL, *ca;
	FILE *f = NULL;
	CURLcode rc;
	CURL *c;

	x.req = req;
	x.res = res;
	*next = NULL;
	clearheaders(res);
	res->status = 0;
	res->body.len = 0;
	res->toolarge = 0;
	c = req->conn ? req->conn->c : curl.easy_init();
	if (!c) {
		snprintf(res->err, sizeof(res->err), "curl_easy_init failed");
		return FAILED;
	}
	for (line = req->headers; line && *line; line++)
		h = curl.slist_append(h, *line);
	if (req->auth && req->authorigin && http_origin(url, origin, sizeof(origin)) == 0 &&
	    strcmp(origin, req->authorigin) == 0)
		h = curl.slist_append(h, req->auth);
	SETOPT(c, CURLOPT_URL, url);
	SETOPT(c, CURLOPT_HTTPHEADER, h);
	SETOPT(c, CURLOPT_HEADERFUNCTION, onheader);
	SETOPT(c, CURLOPT_HEADERDATA, &x);
	SETOPT(c, CURLOPT_WRITEFUNCTION, onbody);
	SETOPT(c, CURLOPT_WRITEDATA, &x);
	SETOPT(c, CURLOPT_ERRORBUFFER, cerr);
	SETOPT(c, CURLOPT_CONNECTTIMEOUT, stall);
	SETOPT(c, CURLOPT_LOW_SPEED_LIMIT, (long)STALLRATE);
	SETOPT(c, CURLOPT_LOW_SPEED_TIME, stall);
	SETOPT(c, CURLOPT_TIMEOUT, (long)(deadline > time(NULL) ? deadline - time(NULL) : 1));
	SETOPT(c, CURLOPT_USERAGENT, "imagegen/" VERSION);
	SETOPT(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	if (req->conn) {
		/* a kept connection's thread is not the only one: no signals for timeouts */
		SETOPT(c, CURLOPT_SHARE, share);
		SETOPT(c, CURLOPT_NOSIGNAL, 1L);
	}
	/* the CA certificates to trust instead of the system's, as OpenSSL's tools take them */
	if ((ca = getenv("SSL_CERT_FILE")) && *ca)
		SETOPT(c, CURLOPT_CAINFO, ca);
	if ((ca = getenv("SSL_CERT_DIR")) && *ca)
		SETOPT(c, CURLOPT_CAPATH, ca);
	if (res->fd >= 0 && res->size > 0)
		SETOPT(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)res->size);
	if (strcmp(req->method, "HEAD") == 0) {
		SETOPT(c, CURLOPT_NOBODY, 1L);
	} else if (req->bodyfile) {
		f = fopen(req->bodyfile, "rb");
		if (!f)
			fatal("open %s:", req->bodyfile);
		x.f = f;
		SETOPT(c, CURLOPT_UPLOAD, 1L);
		SETOPT(c, CURLOPT_READFUNCTION, onread);
		SETOPT(c, CURLOPT_READDATA, &x);
		SETOPT(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->bodylen);
		if (strcmp(req->method, "PUT") != 0)
			SETOPT(c, CURLOPT_CUSTOMREQUEST, req->method);
	} else if (req->body || strcmp(req->method, "GET") != 0) {
		SETOPT(c, CURLOPT_CUSTOMREQUEST, req->method);
		SETOPT(c, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
		SETOPT(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->bodylen : 0));
	}
	rc = curl.easy_perform(c);
	curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	if (rc == CURLE_OK && res->status >= 300 && res->status < 400 &&
	    curl.easy_getinfo(c, CURLINFO_REDIRECT_URL, &target) == CURLE_OK && target)
		*next = xstrdup(target);
	/* a kept connection forgets this request's options (its buffers are
	   on this stack) and keeps its connection open */
	if (req->conn)
		curl.easy_reset(c);
	else
		curl.easy_cleanup(c);
	curl.slist_free_all(h);
	if (f)
		fclose(f);
	if (res->toolarge) {
		snprintf(res->err, sizeof(res->err), "the response is larger than %lld bytes",
		         req->maxbody > 0 ? req->maxbody : HTTP_MAXMEM);
		return FAILED;
	}
	if (rc == CURLE_RANGE_ERROR)
		return RESTART;
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		if (req->timeout > 0)
			snprintf(res->err, sizeof(res->err), "%.120s (the limit: %ld s)",
			         cerr[0] ? cerr : curl.easy_strerror(rc), req->timeout);
		else
			snprintf(res->err, sizeof(res->err), "%.120s (the limits: IMAGEGEN_HTTP_STALL=%ld, "
			         "IMAGEGEN_HTTP_TIMEOUT=%ld)", cerr[0] ? cerr : curl.easy_strerror(rc), stall,
			         timeout);
		return time(NULL) < deadline ? STALLED : FAILED;
	}
	if (rc != CURLE_OK)
		snprintf(res->err, sizeof(res->err), "%s", cerr[0] ? cerr : curl.easy_strerror(rc));
	else
		snprintf(res->err, sizeof(res->err), "HTTP %ld", res->status);
	if (rc == CURLE_OK && !transient(rc, res->status))
		return DONE;
	return transient(rc, res->status) ? RETRY : FAILED;
}

/* whether a hop from one URL to the next may be taken; err filled if not */
static int
hopallowed(const char *from, const char *to, struct httpres *res)
{
	char origin[512];

	if (http_origin(to, origin, sizeof(origin)) < 0) {
		snprintf(res->err, sizeof(res->err), "redirected to '%.200s', not an http or https URL", to);
		return 0;
	}
	if (strncasecmp(from, "https:", 6) == 0 && strncasecmp(to, "https:", 6) != 0) {
		snprintf(res->err, sizeof(res->err), "redirected from https down to plain http (%.200s)", to);
		return 0;
	}
	return 1;
}

int
http_do(const struct httpreq *req, struct httpres *res)
{
	enum outcome o = FAILED;
	time_t deadline;
	long timeout = req->timeout, stall = req->stall;
	char *url, *next;
	int try, hops, stalls = 0, tries = req->tries > 0 ? req->tries : HTTP_TRIES;

	/* what can go wrong before a request goes out is an error, never an
	   exit: a native (a definition's download) calls this */
	if ((timeout <= 0 && seconds("IMAGEGEN_HTTP_TIMEOUT", 900, &timeout, res) < 0) ||
	    (stall <= 0 && seconds("IMAGEGEN_HTTP_STALL", 30, &stall, res) < 0) || curlinit(res) < 0)
		return -1;
	deadline = time(NULL) + timeout;
	for (try = 0; try < tries && time(NULL) < deadline; try++) {
		url = xstrdup(req->url);
		for (hops = 0;; hops++) {
			if (res->fd >= 0)
				resetfile(res);
			if (res->fd >= 0 && res->resume && req->maxbody > 0 && res->size >= req->maxbody) {
				/* the part an earlier run left is whole: the caller checks it */
				res->status = 200;
				free(url);
				return 0;
			}
			o = exchange(req, url, deadline, timeout, stall, res, &next);
			if (o != DONE || !next || !req->follow)
				break;
			if (hops == MAXHOPS) {
				snprintf(res->err, sizeof(res->err), "more than %d redirects", MAXHOPS);
				free(next);
				free(url);
				return -1;
			}
			if (!hopallowed(url, next, res)) {
				free(next);
				free(url);
				return -1;
			}
			free(url);
			url = next;
		}
		free(next);
		free(url);
		if (o == DONE)
			return 0;
		if (o == FAILED || (o == STALLED && ++stalls == STALLTRIES))
			return -1;
		if (o == RESTART) {
			if (ftruncate(res->fd, 0) < 0)
				fatal("truncate a download:");
			continue;
		}
		if (try + 1 < tries)
			sleep(1u << (try < 4 ? try : 4));
	}
	return -1;
}
