/*
 * nodes: the entries of a layer being built (see nodes.h), and the fields
 * of the spec entries they come from.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "util.h"
#include "nodes.h"

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
