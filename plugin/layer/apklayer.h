/* apklayer: Alpine packages as entries of a layer, and the image's apk database */

struct layer;
struct json_t;

/* add an "apk" entry: the package's files, checked; its sidecar (.apk) kept in the layer */
void apklayer_apk(struct layer *l, struct json_t *e, const char *ctx);
/* add an "apkdb" entry: /lib/apk/db and /etc/apk from the package layers' sidecars */
void apklayer_db(struct layer *l, struct json_t *e, const char *ctx);
/* the apk sidecar of a layer, beside its descriptor DIR/ID.json: DIR/ID.apk (free it) */
char *apklayer_sidecar(const char *descpath);
/* the key of a layer spec of one apk entry alone, what decides its bytes and its
   sidecar (the package's sha256, lock line and keys, the epoch, compression), in key: 0; -1 for any other */
int apklayer_key(struct json_t *spec, char key[65]);
