/* apklayer: Alpine packages as entries of a layer, and the image's apk database */

struct layer;
struct json_t;

/* add an "apk" entry: the package's files, checked; its sidecar (.apk) kept in the layer */
void apklayer_apk(struct layer *l, struct json_t *e, const char *ctx);
/* add an "apkdb" entry: /lib/apk/db and /etc/apk from the package layers' sidecars */
void apklayer_db(struct layer *l, struct json_t *e, const char *ctx);
/* the apk sidecar of a layer, beside its descriptor DIR/ID.json: DIR/ID.apk (free it) */
char *apklayer_sidecar(const char *descpath);
