/* http: the one HTTP client (libcurl) for downloads and registries */

/* how many times a transient failure is tried */
enum { HTTP_TRIES = 5 };

/* the largest response body kept in memory unless a request says otherwise */
#define HTTP_MAXMEM (4LL << 20)

struct httpreq {
	/* "GET", "HEAD", "POST" or "PUT" */
	const char *method;
	const char *url;
	/* more header lines ("Accept: ..."), ended by NULL; or NULL */
	const char *const *headers;
	/* an "Authorization: ..." line and the origin (scheme://host:port) it
	   belongs to: it goes to no other origin, redirects included */
	const char *auth, *authorigin;
	/* the body: body bytes in memory, or the file bodyfile; bodylen bytes */
	const void *body;
	const char *bodyfile;
	long long bodylen;
	/* follow redirects (a GET or HEAD) */
	int follow;
	/* the most body bytes taken (0: HTTP_MAXMEM in memory, none to a file) */
	long long maxbody;
	/* the label of the transfer's progress line (http_progress), shown
	   while the body goes up or comes down when stderr is a terminal */
	const char *progress;
	/* limits of this request instead of the environment's, when not 0:
	   seconds in all, seconds without progress, and tries (the build
	   cache's requests give up sooner than a download) */
	long timeout, stall;
	int tries;
	/* a kept connection (http_connnew) to go over and leave open for the
	   next request, or NULL: a connection of the request's own */
	struct httpconn *conn;
};

struct httpres {
	/* the final status, after redirects */
	long status;
	/* the body: in memory, or (a 2xx body) appended to the file fd when fd >= 0 */
	struct buf body;
	int fd;
	/* with fd: the sha256 and size of the whole file; resume continues a
	   partial file with a range request instead of starting it over */
	struct sha256 *hash;
	long long size;
	int resume;
	/* response headers (NULL when absent); subject: OCI-Subject, a
	   registry's word that it indexed a referrer */
	char *location, *challenge, *digest, *ctype, *subject;
	/* why http_do failed; toolarge: because the body passed maxbody */
	char err[256];
	int toolarge;
};

/* a kept connection: the requests that name it reuse its connection to a
   host (HTTP keep-alive) and share every kept connection's name lookups
   and TLS sessions; one thread at a time uses it. NULL with why in err */
struct httpconn *http_connnew(char *err, size_t errlen);
/* close a kept connection */
void http_connfree(struct httpconn *conn);
/* a response ready for http_do: body in memory (set fd, resume after) */
void http_init(struct httpres *res);
/* free what a response holds (not its fd) */
void http_free(struct httpres *res);
/* the origin of an http(s) URL, "scheme://host:port", in out; -1 if malformed */
int http_origin(const char *url, char *out, size_t len);
/* one request, with redirects and retries of transient failures: 0 when a
   final response arrived (any status), else -1 with res->err filled */
int http_do(const struct httpreq *req, struct httpres *res);
/* when stderr is a terminal, one line drawn over the last: label, then done
   of total bytes ("12.3/45.0 MB"), or with what the total and what
   ("45.0 MB uploaded"); never on a pipe or a file */
void http_progress(const char *label, long long done, long long total, const char *what);
/* clear the progress line, if one is drawn */
void http_progressend(void);
