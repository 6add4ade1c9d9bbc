/* store: the build's content-addressed blob store, DIR/sha256/<hex> */

/* open a new temporary file in the store; its path goes to *tmp (free it) */
int store_tmp(const char *store, char **tmp);
/* move tmp to the blob named by digest ("sha256:<hex>"); a blob already
   there is kept and tmp removed; exits on failure */
void store_commit(const char *store, const char *tmp, const char *digest);
/* store data as a blob and write its "sha256:<hex>" digest to digest[72] */
void store_put(const char *store, const void *data, size_t len, char digest[72]);
/* the path of a blob (free it) */
char *store_path(const char *store, const char *digest);
/* check that digest is "sha256:" and 64 lower-case hex digits */
int store_validdigest(const char *digest);
/* store a JSON document canonically; returns its descriptor {mediaType, digest, size} */
struct json_t *store_putjson(const char *store, const char *mediatype, const struct json_t *doc);
