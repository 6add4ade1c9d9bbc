/*
 * spec: the specs the generator writes for the helpers, read.
 *
 * Under ninja the specs of an image are one bundle, a JSON object keyed by
 * each spec's path, and a helper run with --part BUNDLE SUM reads its own
 * from there (specbundle); otherwise each spec is its own file.
 *
 * A spec is JSON, and JSON strings are UTF-8, but a file name is any bytes:
 * the generator (lua/imagegen/json.lua) writes a byte that is not part of
 * valid UTF-8 as "\u0000" followed by the character of the same number
 * (U+0080 to U+00FF). No name holds a NUL, so the pair is unambiguous, and
 * readspec turns it back into the byte.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/json.h"
#include "base/spec.h"

const char *specbundle;

json_t *
loadspec(const char *path, size_t flags)
{
	json_t *bundle, *j;

	if (!specbundle)
		return loadjson(path, flags);
	/* the other parts of a bundle may carry escaped bytes */
	bundle = loadjson(specbundle, flags | JSON_ALLOW_NUL);
	if (!(j = json_object_get(bundle, path))) {
		json_decref(bundle);
		fatal("%s: no spec %s in it; run imagegen again", specbundle, path);
	}
	json_incref(j);
	json_decref(bundle);
	return j;
}

/* the strings of j with their escaped bytes restored; -1 on a bad escape */
static int
unescape(json_t *j)
{
	const char *key, *s;
	json_t *v;
	struct buf out = {0};
	size_t i, len;
	unsigned char hi, lo;
	char byte;
	int ret;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		json_object_foreach(j, key, v) {
			if (unescape(v) < 0)
				return -1;
		}
		return 0;
	case JSON_ARRAY:
		json_array_foreach(j, i, v) {
			if (unescape(v) < 0)
				return -1;
		}
		return 0;
	case JSON_STRING:
		break;
	default:
		return 0;
	}
	s = json_string_value(j);
	len = json_string_length(j);
	if (strlen(s) == len)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] != '\0') {
			bufadd(&out, s + i, 1);
			continue;
		}
		/* NUL, then U+0080..U+00FF in UTF-8: 0xC2 or 0xC3, and a continuation byte */
		hi = i + 2 < len ? (unsigned char)s[i + 1] : 0;
		lo = i + 2 < len ? (unsigned char)s[i + 2] : 0;
		if ((hi != 0xc2 && hi != 0xc3) || (lo & 0xc0) != 0x80) {
			free(out.data);
			return -1;
		}
		byte = (char)((hi & 0x03) << 6 | (lo & 0x3f));
		bufadd(&out, &byte, 1);
		i += 2;
	}
	ret = json_string_setn_nocheck(j, out.data, out.len);
	free(out.data);
	return ret;
}

json_t *
readspec(const char *path)
{
	json_t *j = loadspec(path, JSON_ALLOW_NUL);

	if (unescape(j) < 0)
		fatal("%s: a string has a byte escape that is not \\u0000 and U+0080..U+00FF", path);
	return j;
}

const char *
specstr(json_t *o, const char *key, const char *ctx)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fatal("%s: spec: '%s' is not a string", ctx, key);
	return json_string_value(v);
}

long long
specint(json_t *o, const char *key, long long def)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}
