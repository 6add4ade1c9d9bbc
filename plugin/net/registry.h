/* registry: pull bases from and push images to OCI registries */

struct buf;
struct client;

/* the digest of the manifest ref names (a tag is asked of the registry); -1 with err filled */
int registry_digest(const char *ref, char digest[72], char *err, size_t errlen);
/* pull ref (pinned by digest) for platform: blobs into store, the base file to out */
void registry_pull(const char *ref, const char *platform, const char *out, const char *store);
/* what ref names into store, verified: the manifest or index (its digest to top) and,
   for platform, that platform's manifest, config and layers; -1 with err filled */
int registry_fetch(const char *ref, const char *platform, const char *store, char top[72], char *err,
                   size_t errlen);
/* push the image of an OCI layout to ref; record lists blobs pushed, for mounts */
void registry_push(const char *layout, const char *ref, const char *record);
/* push an image file (see image.c) with the SBOM artifacts of records, its blobs from store */
void registry_pushimage(const char *image, const char *store, char *const records[], int nrecords, const char *ref,
                        const char *record);
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
/* make sure the registry has the store's blob (record, when not NULL, lists it, as
   registry_push does, for later mounts): 0, or -1 */
int registry_putblob(struct client *cl, const char *store, const char *digest, long long size, const char *record);
/* put a manifest (its bytes and media type) under tag: 0, or -1 */
int registry_puttag(struct client *cl, const char *tag, const char *data, size_t len, const char *mt);
