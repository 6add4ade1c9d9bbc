/* json: jansson with its errors handled */
#include <stddef.h>

struct json_t;
struct buf;

/* a JSON file parsed with jansson's flags, or exit naming the file and line */
struct json_t *loadjson(const char *path, size_t flags);
/* parse a JSON file, or exit naming the file and line */
struct json_t *readjson(const char *path);
/* canonical JSON text (sorted keys, no insignificant whitespace); free it */
char *dumpjson(const struct json_t *j);
/* append s (valid UTF-8, else exit) to b as a JSON string spelt as
   dumpjson spells it, so that a document written piece by piece has jansson's bytes */
void jsonquote(struct buf *b, const char *s);
/* a JSON string of the name s as nametext(s, 0) spells it (JSON escapes the
   controls); exits on failure */
struct json_t *jsontext(const char *s);
/* the same with the controls spelt too, nametext(s, 1): for pages people read */
struct json_t *jsonshown(const char *s);
/* set o[key] = v (taking v over), or exit: v NULL means out of memory */
void jsonset(struct json_t *o, const char *key, struct json_t *v);
/* append v to a (taking it over), or exit */
void jsonappend(struct json_t *a, struct json_t *v);
