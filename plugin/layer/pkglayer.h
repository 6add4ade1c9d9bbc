/* pkglayer: Debian packages as entries of a layer */

struct layer;
struct json_t;

/* add a "deb" entry: the package's files and its dpkg metadata */
void pkglayer_deb(struct layer *l, struct json_t *e, const char *ctx);
/* a path a package names, as merged /usr puts it ("bin/sh" -> "usr/bin/sh") */
char *pkglayer_usrpath(const char *path);
/* the top folders merged /usr links into /usr, ended by NULL */
const char *const *pkglayer_usrdirs(void);
/* a layer of packages alone from the layer cache: its blob into store, its
   descriptor, sidecar and depfile written; 0 when the cache has none */
int pkglayer_fromcache(struct json_t *spec, const char *descpath, const char *deppath, const char *store);
/* keep a layer of packages alone that was just written in the layer cache */
void pkglayer_tocache(struct json_t *spec, const char *descpath, const char *store, const char *digest);
