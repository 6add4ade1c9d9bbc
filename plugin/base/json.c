/* json: jansson with the errors handled: files read or exit, canonical text */
#include <stdlib.h>
#include <jansson.h>
#include "base/err.h"
#include "base/text.h"
#include "base/json.h"

static json_t *
spelt(const char *s, int controls)
{
	char *t = nametext(s, controls);
	json_t *j = json_string(t);

	free(t);
	if (!j)
		fatal("out of memory");
	return j;
}

json_t *
jsontext(const char *s)
{
	return spelt(s, 0);
}

json_t *
jsonshown(const char *s)
{
	return spelt(s, 1);
}

void
jsonset(json_t *o, const char *key, json_t *v)
{
	if (!v || json_object_set_new(o, key, v) < 0)
		fatal("out of memory");
}

void
jsonappend(json_t *a, json_t *v)
{
	if (!v || json_array_append_new(a, v) < 0)
		fatal("out of memory");
}

json_t *
loadjson(const char *path, size_t flags)
{
	json_error_t err;
	json_t *j = json_load_file(path, flags, &err);

	if (!j && err.line < 0)
		fatal("%s: %s", path, err.text);
	if (!j)
		fatal("%s:%d: %s", path, err.line, err.text);
	return j;
}

json_t *
readjson(const char *path)
{
	return loadjson(path, 0);
}

char *
dumpjson(const json_t *j)
{
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);

	if (!s)
		fatal("out of memory");
	return s;
}
