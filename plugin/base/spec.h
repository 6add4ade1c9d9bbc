/* spec: the specs the generator writes for the helpers */
#include <stddef.h>

struct json_t;

/* the file that holds the generator's specs (a helper's --part BUNDLE SUM),
   one JSON object keyed by their paths; NULL: each spec is its own file */
extern const char *specbundle;
/* the spec at path, from specbundle or else its own file, parsed with
   jansson's flags; exits naming what is wrong */
struct json_t *loadspec(const char *path, size_t flags);
/* the spec at path with the bytes the generator escaped restored */
struct json_t *readspec(const char *path);
/* a string field of a spec's object, or exit naming it after ctx */
const char *specstr(struct json_t *o, const char *key, const char *ctx);
/* an integer field of a spec's object, or def */
long long specint(struct json_t *o, const char *key, long long def);
