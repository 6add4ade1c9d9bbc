/*
 * nodes: the entries of a layer being built (see nodes.h), and the fields
 * of the spec entries they come from.
 *
 * A spec is JSON, and JSON strings are UTF-8, but a file name is any bytes:
 * the generator (lua/imagegen/json.lua) writes a byte that is not part of
 * valid UTF-8 as "\u0000" followed by the character of the same number
 * (U+0080 to U+00FF). No name holds a NUL, so the pair is unambiguous, and
 * nodes_readspec turns it back into the byte.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "util.h"
#include "nodes.h"

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
nodes_readspec(const char *path)
{
	json_t *j = readspec(path, JSON_ALLOW_NUL);

	if (unescape(j) < 0)
		fatal("%s: a string has a byte escape that is not \\u0000 and U+0080..U+00FF", path);
	return j;
}

struct node *
nodes_add(struct layer *l)
{
	struct node *n;

	if (l->len == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->nodes = xrealloc(l->nodes, l->cap * sizeof(*l->nodes));
	}
	n = &l->nodes[l->len++];
	memset(n, 0, sizeof(*n));
	n->mtime = -1;
	return n;
}

struct node *
nodes_addtext(struct layer *l, const char *ctx, char *path, const char *text, size_t len)
{
	struct node *n = nodes_add(l);

	n->path = path;
	n->ctx = ctx;
	n->kind = KTEXT;
	n->mode = 0644;
	n->src = xmalloc(len + 1);
	memcpy(n->src, text, len);
	n->src[len] = '\0';
	n->textlen = len;
	return n;
}

const char *
nodes_specstr(json_t *o, const char *key, const char *ctx)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fatal("%s: spec: '%s' is not a string", ctx, key);
	return json_string_value(v);
}

long long
nodes_specint(json_t *o, const char *key, long long def)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}
