/* nodes: the entries of a layer being built (see nodes.h) */
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "layer/nodes.h"

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
