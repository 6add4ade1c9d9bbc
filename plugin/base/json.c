/* json: jansson with the errors handled: files read or exit, canonical text */
#include <stdlib.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
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

void
jsonquote(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run, n;

	bufadd(b, "\"", 1);
	for (;;) {
		for (run = 0; p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\'; run++)
			;
		bufadd(b, p, run);
		p += run;
		if (*p == '\0')
			break;
		if (*p >= 0x80) {
			/* a character past ASCII as it is, as jansson writes it (no JSON_ENSURE_ASCII) */
			if ((n = utf8seq((const char *)p)) == 0)
				fatal("a JSON string that is not UTF-8: %s", showname(s));
			bufadd(b, p, n);
			p += n;
			continue;
		}
		switch (*p) {
		case '"': bufadd(b, "\\\"", 2); break;
		case '\\': bufadd(b, "\\\\", 2); break;
		case '\b': bufadd(b, "\\b", 2); break;
		case '\f': bufadd(b, "\\f", 2); break;
		case '\n': bufadd(b, "\\n", 2); break;
		case '\r': bufadd(b, "\\r", 2); break;
		case '\t': bufadd(b, "\\t", 2); break;
		/* the other controls as jansson spells them, upper-case hex */
		default: bufprintf(b, "\\u%04X", *p); break;
		}
		p++;
	}
	bufadd(b, "\"", 1);
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
