/*
 * inspect: imagegen inspect [--platform P] IMAGE, one screen about an
 * image (an OCI layout, a docker-archive or a registry reference): its
 * platforms, digests, sizes, layers, how it runs, its packages, and the
 * files setuid, setgid or world-writable (text.c modeflags) with the
 * package that brought each. Reading the packages, those files and the
 * unpacked size means reading every layer.
 *
 * --json prints the same as one canonical JSON document:
 *   {"imagegen-inspect": 1, "image": what was opened ("oci layout out/app"),
 *    "platforms": ["os/arch[/variant]", ...], "platform": the one shown,
 *    "digest": its manifest's (null for a docker-archive), "index": the
 *        index's the name points at (null when it points at the manifest),
 *    "config": the config's digest, "created": the config's (null if none),
 *    "size": compressed bytes, "unpacked": bytes of the files, "files",
 *    "tar": bytes of the layers' tar streams,
 *    "layers": [{"digest", "diffid", "mediaType", "size"}],
 *    "entrypoint", "cmd", "user", "workdir", "env", "ports", "labels":
 *        the config's Entrypoint, Cmd, User, WorkingDir, Env, ExposedPorts
 *        and Labels as it has them, null where it has none,
 *    "packages": [{"name", "version", "architecture"}] (the dpkg database's),
 *    "wasted": {"bytes", "files"},
 *    "special": [{"path", "mode", "special", "package" or "layer"}]}
 *        mode "4755", special "setuid" (text.c modeflags), the package whose
 *        file list has the path, else the layer (1 the first) it came from.
 * Names are spelt as docs/names.md says (jsontext), as diff's are.
 *
 * --check waste=LIMIT (for CI): exit 1, with one line on standard error,
 * when the image wastes more than LIMIT: a share of the bytes of its
 * layers' files ("5%": the wasted ones against those and the ones shown)
 * or bytes ("20MB", "500kB", "1000"; k, M, G are powers of 1000).
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

/* a value of the config, or null */
static json_t *
orcnull(json_t *v)
{
	return v ? json_incref(v) : json_null();
}

/* what the text shows, as one JSON document (see the top of the file) */
static json_t *
inspectjson(struct reader *r, struct imagefs *fs)
{
	struct rimage *img = fs->img;
	json_t *doc, *list, *cfg = json_object_get(img->config, "config"), *created;
	struct fsnode **special;
	char p[200], flags[40], mode[8], *path;
	size_t i, n;

	created = json_object_get(img->config, "created");
	doc = json_pack("{s:i, s:o, s:s, s:o, s:o, s:s, s:O, s:I, s:I, s:I, s:I}", "imagegen-inspect", 1,
	                "image", jsontext(r->what), "platform", img->platform,
	                "digest", *img->digest ? json_string(img->digest) : json_null(),
	                "index", *r->top && strcmp(r->top, img->digest) != 0 ? json_string(r->top) : json_null(),
	                "config", img->configdigest, "created", created ? created : json_null(),
	                "size", (json_int_t)fs->size, "unpacked", (json_int_t)fs->t.root.total,
	                "files", (json_int_t)countfiles(&fs->t.root), "tar", (json_int_t)fs->usize);
	if (!doc)
		fatal("out of memory");
	list = json_array();
	n = json_array_size(r->manifests);
	for (i = 0; i < n; i++) {
		reader_platform(r, i, p);
		jsonappend(list, json_string(*p ? p : img->platform));
	}
	jsonset(doc, "platforms", list);
	list = json_array();
	for (i = 0; i < img->nlayers; i++)
		jsonappend(list, json_pack("{s:s, s:s, s:s, s:I}", "digest", img->layers[i].digest, "diffid",
		                           img->layers[i].diffid, "mediaType", img->layers[i].mediatype ?
		                           img->layers[i].mediatype : "", "size", (json_int_t)img->layers[i].size));
	jsonset(doc, "layers", list);
	jsonset(doc, "entrypoint", orcnull(json_object_get(cfg, "Entrypoint")));
	jsonset(doc, "cmd", orcnull(json_object_get(cfg, "Cmd")));
	jsonset(doc, "user", orcnull(json_object_get(cfg, "User")));
	jsonset(doc, "workdir", orcnull(json_object_get(cfg, "WorkingDir")));
	jsonset(doc, "env", orcnull(json_object_get(cfg, "Env")));
	jsonset(doc, "ports", orcnull(json_object_get(cfg, "ExposedPorts")));
	jsonset(doc, "labels", orcnull(json_object_get(cfg, "Labels")));
	list = json_array();
	for (i = 0; i < fs->db.len; i++)
		jsonappend(list, json_pack("{s:o, s:o, s:o}", "name", jsontext(fs->db.p[i].name), "version",
		                           jsontext(fs->db.p[i].version), "architecture", jsontext(fs->db.p[i].arch)));
	jsonset(doc, "packages", list);
	jsonset(doc, "wasted", json_pack("{s:I, s:I}", "bytes", (json_int_t)fs->t.wasted, "files",
	                                 (json_int_t)fs->t.nwaste));
	list = json_array();
	special = fstree_special(&fs->t, &n);
	for (i = 0; i < n; i++) {
		json_t *e;
		path = xasprintf("/%s", special[i]->path);
		snprintf(mode, sizeof(mode), "%04o", special[i]->e->mode);
		e = json_pack("{s:o, s:s, s:s}", "path", jsontext(path), "mode", mode, "special",
		              modeflags(special[i]->e->type, special[i]->e->mode, flags));
		if (!e)
			fatal("out of memory");
		if (special[i]->pkg >= 0)
			jsonset(e, "package", jsontext(fs->db.p[special[i]->pkg].name));
		else
			jsonset(e, "layer", json_integer(special[i]->layer + 1));
		jsonappend(list, e);
		free(path);
	}
	free(special);
	jsonset(doc, "special", list);
	return doc;
}

/* a waste limit: "5%" (percent set) or bytes with an optional kB, MB, GB; -1 when malformed */
static int
wastelimit(const char *v, double *limit, int *percent)
{
	char *end;
	double mult = 1;

	*limit = strtod(v, &end);
	if (end == v || *limit < 0 || *limit != *limit)
		return -1;
	*percent = strcmp(end, "%") == 0;
	if (*percent)
		return *limit <= 100 ? 0 : -1;
	if (strcmp(end, "kB") == 0 || strcmp(end, "k") == 0)
		mult = 1e3;
	else if (strcmp(end, "MB") == 0 || strcmp(end, "M") == 0)
		mult = 1e6;
	else if (strcmp(end, "GB") == 0 || strcmp(end, "G") == 0)
		mult = 1e9;
	else if (*end && strcmp(end, "B") != 0)
		return -1;
	*limit *= mult;
	return 0;
}

int
inspect_main(int argc, char *argv[])
{
	const char *platform = NULL, *check = NULL;
	double limit = -1, share;
	int percent = 0, over = 0;
	struct reader *r;
	struct imagefs fs;
	struct rimage *img;
	json_t *cfg, *doc;
	char p[200], a[32], b[32], *s;
	size_t i, n;
	int json = 0;

	for (; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
		if (strcmp(argv[0], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[0], "--platform") == 0 && argc > 1) {
			platform = argv[1];
			argc--;
			argv++;
		} else if (strcmp(argv[0], "--check") == 0 && argc > 1) {
			check = argv[1];
			if (strncmp(check, "waste=", 6) != 0 || wastelimit(check + 6, &limit, &percent) < 0) {
				warn("inspect: --check takes waste=PERCENT%% or waste=BYTES (such as waste=5%% or "
				     "waste=20MB), got '%s'", check);
				return 2;
			}
			argc--;
			argv++;
		} else {
			return -1;
		}
	}
	if (argc != 1)
		return -1;
	r = reader_open(argv[0]);
	imagefs_open(&fs, r, platform, DPKG_LISTS, NULL);
	img = fs.img;
	/* the share of the layers' file bytes that nothing can read */
	share = fs.t.root.total + fs.t.wasted > 0 ? 100.0 * (double)fs.t.wasted / (double)(fs.t.root.total + fs.t.wasted) : 0;
	if (check)
		over = percent ? share > limit : (double)fs.t.wasted > limit;
	if (json) {
		doc = inspectjson(r, &fs);
		s = dumpjson(doc);
		puts(s);
		free(s);
		json_decref(doc);
		if (over)
			warn("inspect: %s: %lld bytes wasted (%.1f%% of its layers' files), over %s", img->platform,
			     fs.t.wasted, share, check);
		imagefs_free(&fs);
		reader_free(r);
		return over;
	}

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
	printf("%-11s%s (%.1f%%) in %zu file(s) that later layers replace or delete\n", "wasted",
	       humansize(fs.t.wasted, a), share, fs.t.nwaste);
	special(&fs);
	fflush(stdout);
	if (over)
		warn("inspect: %s: %s wasted (%.1f%% of its layers' files), over %s", img->platform,
		     humansize(fs.t.wasted, a), share, check);

	imagefs_free(&fs);
	reader_free(r);
	return over;
}
