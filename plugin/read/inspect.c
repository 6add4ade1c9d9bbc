/*
 * inspect: imagegen inspect [--platform P] IMAGE, one screen about an
 * image (an OCI layout, a docker-archive or a registry reference): its
 * platforms, digests, sizes, layers, how it runs, its packages, and the
 * files setuid, setgid or world-writable (text.c modeflags) with the
 * package that brought each. Reading the packages, those files and the
 * unpacked size means reading every layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/json.h"
#include "read/reader.h"
#include "read/fstree.h"
#include "read/dpkgdb.h"
#include "read/imagefs.h"
#include "read/inspect.h"

/* a config value for the terminal: a string spelt as a name is, else JSON; "-" when absent */
static void
line(const char *label, json_t *v)
{
	char *text = NULL, *s;

	if (!v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
	    (json_is_string(v) && json_string_length(v) == 0)) {
		printf("%-11s-\n", label);
		return;
	}
	if (!json_is_string(v))
		text = dumpjson(v);
	s = text ? utf8show(text, 1) : nametext(json_string_value(v), 1);
	printf("%-11s%s\n", label, s);
	free(s);
	free(text);
}

static long long
countfiles(const struct fsnode *n)
{
	const struct fsnode *c;
	long long k = n->e && n->e->type != 'd';

	for (c = n->child; c; c = c->next)
		k += countfiles(c);
	return k;
}

/* the files setuid, setgid or world-writable, one a line, with the package
   (its dpkg file list) or else the layer they came from */
static void
special(const struct imagefs *fs)
{
	struct fsnode **list;
	char flags[40];
	size_t i, n;
	char *s;

	list = fstree_special(&fs->t, &n);
	if (n == 0)
		printf("%-11s-\n", "special");
	for (i = 0; i < n; i++) {
		s = nametext(list[i]->path, 1);
		printf("%-11s%04o /%s (%s; ", i ? "" : "special", list[i]->e->mode, s,
		       modeflags(list[i]->e->type, list[i]->e->mode, flags));
		if (list[i]->pkg >= 0)
			printf("package %s)\n", fs->db.p[list[i]->pkg].name);
		else
			printf("layer %d)\n", list[i]->layer + 1);
		free(s);
	}
	free(list);
}

int
inspect_main(int argc, char *argv[])
{
	const char *platform = NULL;
	struct reader *r;
	struct imagefs fs;
	struct rimage *img;
	json_t *cfg;
	char p[200], a[32], b[32], *s;
	size_t i, n;

	if (argc == 3 && strcmp(argv[0], "--platform") == 0) {
		platform = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (argc != 1 || argv[0][0] == '-')
		return -1;
	r = reader_open(argv[0]);
	imagefs_open(&fs, r, platform, DPKG_LISTS, NULL);
	img = fs.img;

	s = nametext(r->what, 1);
	printf("%-11s%s\n", "image", s);
	free(s);
	printf("%-11s", "platforms");
	n = json_array_size(r->manifests);
	for (i = 0; i < n; i++) {
		reader_platform(r, i, p);
		printf("%s%s%s", i ? ", " : "", *p ? p : img->platform,
		       n > 1 && strcmp(p, img->platform) == 0 ? " (shown)" : "");
	}
	putchar('\n');
	if (*img->digest)
		printf("%-11s%s\n", "digest", img->digest);
	if (*r->top && strcmp(r->top, img->digest) != 0)
		printf("%-11s%s\n", "index", r->top);
	printf("%-11s%s\n", "config", img->configdigest);
	cfg = json_object_get(img->config, "config");
	line("created", json_object_get(img->config, "created"));
	printf("%-11s%s compressed, %s unpacked, %lld files\n", "size", humansize(fs.size, a),
	       humansize(fs.t.root.total, b), countfiles(&fs.t.root));
	printf("%-11s%zu (%s of tar)\n", "layers", img->nlayers, humansize(fs.usize, a));
	line("entrypoint", json_object_get(cfg, "Entrypoint"));
	line("cmd", json_object_get(cfg, "Cmd"));
	line("user", json_object_get(cfg, "User"));
	line("workdir", json_object_get(cfg, "WorkingDir"));
	line("env", json_object_get(cfg, "Env"));
	line("ports", json_object_get(cfg, "ExposedPorts"));
	line("labels", json_object_get(cfg, "Labels"));
	if (fs.db.len > 0)
		printf("%-11s%zu (dpkg)\n", "packages", fs.db.len);
	else
		printf("%-11s%s\n", "packages", "0 (no dpkg database)");
	printf("%-11s%s in %zu file(s) that later layers replace or delete\n", "wasted", humansize(fs.t.wasted, a),
	       fs.t.nwaste);
	special(&fs);

	imagefs_free(&fs);
	reader_free(r);
	return 0;
}
