/* registry: pull bases from and push images to OCI registries */

struct buf;
struct client;
struct json_t;

/* the digest of the manifest ref names (a tag is asked of the registry); -1 with err filled */
int registry_digest(const char *ref, char digest[72], char *err, size_t errlen);
/* pull ref (pinned by digest) for platform: its manifest, whose config and layers
   are then in store, verified, and its digest in digest; exits naming what */
struct json_t *registry_pull(const char *ref, const char *platform, const char *store, const char *what,
                             char digest[72]);
/* what ref names into store, verified: the manifest or index (its digest to top) and,
   for platform, that platform's manifest, config and layers; -1 with err filled */
int registry_fetch(const char *ref, const char *platform, const char *store, char top[72], char *err,
                   size_t errlen);
/* a client of one repository ("host[:port]/repository") for the build cache, what
   its messages call it (kept by the caller): requests end after timeout seconds, or
   stall seconds without progress, and are tried twice; push: it may write. NULL with
   err filled */
struct client *registry_open(const char *repo, const char *what, int push, long timeout, long stall, char *err,
                             size_t errlen);
/* other limits for the client's requests (0: the environment's) */
void registry_limits(struct client *cl, long timeout, long stall);
/* end a client (NULL is none) */
void registry_close(struct client *cl);
/* why the client's last request failed */
const char *registry_err(struct client *cl);
/* the manifest tagged tag appended to body: 1; 0 when there is no such tag;
   -1 when the registry could not be asked or refused */
int registry_gettag(struct client *cl, const char *tag, struct buf *body);
/* the blob digest of size bytes into store, verified: 0; -1 when the registry
   could not be asked or refused; -2 when it has no such blob or sent other bytes */
int registry_getblob(struct client *cl, const char *store, const char *digest, long long size);
/* how a registry came to have a blob */
enum { REG_PRESENT, REG_MOUNTED, REG_UPLOADED };
/* where a blob that is not in the store yet can come from (the build cache's) */
struct blobfrom {
	/* the repository of the registry host that holds the store's blob digest,
	   to mount it from into repo; NULL if none (free it) */
	char *(*mount)(const char *store, const char *host, const char *digest, const char *repo);
	/* the store's blob digest made present: 0, or -1 */
	int (*fill)(const char *store, const char *digest);
};
/* make sure the registry has the store's blob digest of size bytes: mounted
   from another of its repositories where record (the blobs this machine
   pushed, when not NULL) or from says one has it, else uploaded; record then
   lists it: REG_PRESENT, REG_MOUNTED or REG_UPLOADED, or -1 */
int registry_putblob(struct client *cl, const char *store, const char *digest, long long size, const char *record,
                     const struct blobfrom *from);
/* put a manifest or index (its bytes and media type) as reference, a tag or
   its digest; *indexed, when not NULL, says whether the registry answered
   OCI-Subject (it keeps the referrers of the subject itself): 0, or -1 */
int registry_putmanifest(struct client *cl, const char *data, size_t len, const char *mt, const char *reference,
                         int *indexed);
