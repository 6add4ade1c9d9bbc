/* pkglayer: Debian packages as entries of a layer */

struct layer;
struct json_t;

/* add a "deb" entry: the package's files and its dpkg metadata */
void pkglayer_deb(struct layer *l, struct json_t *e, const char *ctx);
/* a path a package names, as merged /usr puts it ("bin/sh" -> "usr/bin/sh") */
char *pkglayer_usrpath(const char *path);
/* the top folders merged /usr links into /usr, ended by NULL */
const char *const *pkglayer_usrdirs(void);
/* the key of a layer spec of packages alone (.debs, or one .apk: apklayer_key),
   what decides its bytes (their sha256s, the epoch, compression and /usr
   layout), in key: 0; -1 for any other layer */
int pkglayer_key(struct json_t *spec, char key[65]);
/* the kept layer of key (in the download folder the spec names): its blob
   into store, its descriptor, sidecar and depfile written: 1; 0 when none */
int pkglayer_take(struct json_t *spec, const char *key, const char *descpath, const char *deppath,
                  const char *store);
/* the sidecar of a layer of packages alone, beside its descriptor descpath
   (free it); its kind, "dpkg" or "apk", in *kind unless NULL */
char *pkglayer_sidecar(struct json_t *spec, const char *descpath, const char **kind);
/* keep a layer of packages alone that was just written (blob digest) */
void pkglayer_keep(struct json_t *spec, const char *key, const char *descpath, const char *store,
                   const char *digest);
