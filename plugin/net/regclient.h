/* regclient: the registry client registry.c makes and push.c and copy.c
   share (needs mem.h, http.h and auth.h); not for other files, which have
   registry.h */

struct ref {
	char *host, *repo, *tag, *digest;
	/* "http" or "https" */
	const char *scheme;
};

struct client {
	struct ref r;
	/* scheme://host:port: the only origin the credentials and tokens go to */
	char origin[512];
	struct creds c;
	int havecreds;
	/* "Authorization: ..." for the requests, once a challenge was answered */
	char *auth;
	/* the scope asked of a token server: pull, or pull,push */
	const char *actions;
	/* what the messages say this is about */
	const char *what;
	/* why the last call failed */
	char err[1024];
	/* the label of the progress line of the blob being sent or fetched
	   (http_progress), or NULL for none */
	const char *progress;
	/* the limits of its requests, when not 0 (http.h; the build cache's) */
	long timeout, stall;
	int tries;
};

/* fill cl->err with "WHAT: " and the message: -1 */
int reg_fail(struct client *cl, const char *fmt, ...);
/* what a reference names in the repository: its digest, else its tag, else "latest" */
const char *reg_refname(const struct ref *r);
/* a response the registry should not have given, doing something: -1 with why */
int reg_refused(struct client *cl, long status, const char *doing);
/* a request to the registry, answering an auth challenge once: 0, or -1 */
int reg_request(struct client *cl, struct httpreq *req, struct httpres *res, const char *doing);
/* the URL of the repository's API path fmt (with %s, arg), to free */
char *reg_apiurl(struct client *cl, const char *fmt, const char *arg);
/* the upload URL of a Location header, absolute, with the digest added, to free */
char *reg_uploadurl(struct client *cl, const char *location, const char *digest);
/* a client of ref for what (in messages), asking tokens for actions: 0, or -1 */
int reg_init(struct client *cl, const char *ref, const char *what, const char *actions);
/* what reg_init made */
void reg_free(struct client *cl);
