/*
 * system: the C side of an image's dpkg layer. The spec's "dpkg" entry goes
 * to imagegen.system (lua/imagegen/system.lua), which reads the dpkg
 * sidecars of the image's package layers and returns records,
 * "LENGTH KEY\nBYTES\n":
 *   file MODE UID GID PATH    a file with these bytes
 *   link PATH                 a symlink to the bytes
 *   dir MODE UID GID PATH     a directory
 *   report                    the actions not reproduced, for the report file
 * Each package layer writes its sidecar beside its descriptor (layer.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/spec.h"
#include "lua/host.h"
#include "layer/nodes.h"
#include "layer/system.h"

char *
system_sidecar(const char *descpath)
{
	size_t n = strlen(descpath);

	if (n > 5 && strcmp(descpath + n - 5, ".json") == 0)
		n -= 5;
	return xasprintf("%.*s.dpkg", (int)n, descpath);
}

void
system_add(struct layer *l, json_t *e, const char *ctx)
{
	struct buf out = {0};
	struct node *n;
	char *args[1], *p, *end, *key, *data;
	unsigned long mode, uid, gid;
	size_t len;
	int at;

	args[0] = json_dumps(e, JSON_COMPACT);
	if (!args[0])
		fatal("out of memory");
	/* imagegen.system printed its one line, naming ctx (a refused package's) */
	if (host_call("imagegen.system", 1, args, &out) != 0) {
		free(args[0]);
		free(out.data);
		exit(1);
	}
	free(args[0]);
	for (p = out.data, end = out.data + out.len; p && p < end; p = data + len + 1) {
		len = strtoul(p, &key, 10);
		if (*key != ' ' || !(data = memchr(key, '\n', (size_t)(end - key))) || (size_t)(end - data) < len + 1)
			fatal("%s: imagegen.system: malformed output", ctx);
		*data++ = '\0';
		key++;
		if (strcmp(key, "report") == 0) {
			xreplacefile(specstr(e, "report", ctx), data, len);
			continue;
		}
		n = nodes_add(l);
		n->ctx = ctx;
		if (strncmp(key, "link ", 5) == 0) {
			n->kind = KLINK;
			n->mode = 0777;
			n->path = xstrdup(key + 5);
			n->src = xmalloc(len + 1);
			memcpy(n->src, data, len);
			n->src[len] = '\0';
			continue;
		}
		if (sscanf(key, "%*s %lu %lu %lu %n", &mode, &uid, &gid, &at) != 3)
			fatal("%s: imagegen.system: malformed record '%s'", ctx, key);
		n->mode = (unsigned)mode;
		n->uid = (long long)uid;
		n->gid = (long long)gid;
		n->path = xstrdup(key + at);
		if (strncmp(key, "dir ", 4) == 0) {
			n->kind = KDIR;
			continue;
		}
		n->kind = KTEXT;
		n->src = xmalloc(len + 1);
		memcpy(n->src, data, len);
		n->src[len] = '\0';
		n->textlen = len;
	}
	free(out.data);
}
