/* nodes: the entries of a layer being built (see nodes.h) */
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/names.h"
#include "layer/nodes.h"

void
nodes_truncate(struct layer *l, size_t len)
{
	while (l->len > len) {
		l->len--;
		free(l->nodes[l->len].path);
		free(l->nodes[l->len].src);
	}
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

void
nodes_dep(struct layer *l, const char *ctx, const char *path)
{
	size_t start;

	bufstr(&l->deps, " \\\n  ");
	start = l->deps.len;
	if (names_add(&l->deps, path, l->make ? GMAKE : GDEPFILE) < 0)
		fatal("%s: the alias of %s:", ctx, showname(path));
	if (l->make) {
		bufadd(&l->phony, l->deps.data + start, l->deps.len - start);
		bufstr(&l->phony, ":\n");
	}
}

int
nodes_iswhiteout(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strncmp(base, ".wh.", 4) == 0;
}

char *
nodes_memberpath(const char *name, const char **why)
{
	char *p, *part, *next;
	size_t n;

	*why = NULL;
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (*name == '/')
		name++;
	if (*name == '\0' || strcmp(name, ".") == 0)
		return NULL;
	p = xstrdup(name);
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	for (part = p; part; part = next ? next + 1 : NULL) {
		next = strchr(part, '/');
		n = next ? (size_t)(next - part) : strlen(part);
		if ((n == 2 && part[0] == '.' && part[1] == '.') || (n == 1 && part[0] == '.') || n == 0)
			*why = "is not a clean relative path";
		else if (n >= 4 && strncmp(part, ".wh.", 4) == 0)
			*why = "is named like a whiteout";
		if (*why)
			return p;
	}
	return p;
}

unsigned
nodes_filemode(unsigned stmode)
{
	return (stmode & 0111) ? 0755 : 0644;
}

int
nodes_bypath(const void *a, const void *b)
{
	const struct node *x = a, *y = b;

	return strcmp(x->path, y->path);
}

static int
byinode(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a, *y = *(struct node *const *)b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x < y ? -1 : x > y;
}

void
nodes_linkgroups(struct layer *l)
{
	struct node **links = xcalloc(l->len, sizeof(*links)), *first = NULL;
	size_t i, n = 0;

	for (i = 0; i < l->len; i++) {
		if (l->nodes[i].multilink && l->nodes[i].kind == KFILE)
			links[n++] = &l->nodes[i];
	}
	qsort(links, n, sizeof(*links), byinode);
	for (i = 0; i < n; i++) {
		if (!first || first->dev != links[i]->dev || first->ino != links[i]->ino) {
			first = links[i];
			continue;
		}
		links[i]->kind = KHARD;
		free(links[i]->src);
		links[i]->src = xstrdup(first->path);
	}
	free(links);
}
