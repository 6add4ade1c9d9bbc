/* system: an image's dpkg layer (status, accounts, alternatives, trust
   stores), made by imagegen.system from its packages' dpkg sidecars */

struct layer;
struct json_t;

/* add a "dpkg" entry: the files imagegen.system makes; writes the report of
   the script actions not reproduced to the entry's "report" path */
void system_add(struct layer *l, struct json_t *e, const char *ctx);
/* the dpkg sidecar of a layer, beside its descriptor DIR/ID.json: DIR/ID.dpkg (free it) */
char *system_sidecar(const char *descpath);
