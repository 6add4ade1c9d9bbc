/* pkglayer: Debian packages as entries of a layer */

struct layer;
struct json_t;

/* add a "deb" entry: the package's files and its dpkg metadata */
void pkglayer_deb(struct layer *l, struct json_t *e, const char *ctx);
/* add a "dpkgstatus" entry: var/lib/dpkg/status for the listed packages */
void pkglayer_status(struct layer *l, struct json_t *e, const char *ctx);
