/*
 * report: imagegen report SPEC HTML STORE, the report page of an image of
 * this build: one HTML file with everything in it (plugin/read/page/report.html
 * and report.js, compiled in), reproducible like the image.
 *
 * SPEC is what the generator knows (lua/imagegen/report.lua): for each
 * platform, its image file, each layer's declaration and the images that
 * share it (a layer's users file names them, the image itself among them),
 * each package's Depends chain. The rest comes from the image itself: its
 * config, layers and files (fstree.c), among them those setuid, setgid or
 * world-writable, and its dpkg database (dpkgdb.c).
 * The page's data, one entry a platform (report.js describes it), goes
 * into the page as JSON with every '<' written \u003c, so no file name can
 * end the script.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/file.h"
#include "base/json.h"
#include "base/spec.h"
#include "lua/host.h"
#include "read/reader.h"
#include "read/fstree.h"
#include "read/dpkgdb.h"
#include "read/imagefs.h"
#include "read/report.h"

/* a file [name, bytes, layer, package, type] or folder [name, bytes, layer, -1, [children]] */
static json_t *
treejson(const struct fsnode *n)
{
	const struct fsnode *c;
	json_t *kids, *j;
	char type[2] = {0, 0};

	if (n->e && n->e->type != 'd') {
		type[0] = n->e->type;
		return json_pack("[o, I, i, i, s]", jsonshown(n->name), (json_int_t)n->total, n->layer, n->pkg, type);
	}
	kids = json_array();
	for (c = n->child; c; c = c->next)
		jsonappend(kids, treejson(c));
	j = json_pack("[o, I, i, i, o]", jsonshown(n->name), (json_int_t)n->total, n->layer, -1, kids);
	if (!j)
		fatal("out of memory");
	return j;
}

/* the other images that have a layer: those its users file names but name */
static json_t *
sharedjson(const char *users, const char *name)
{
	json_t *list = readjson(users), *out = json_array(), *v;
	size_t i;

	if (!json_is_array(list))
		fatal("%s: not a list of images", users);
	json_array_foreach(list, i, v) {
		if (!json_is_string(v))
			fatal("%s: not a list of images", users);
		if (strcmp(json_string_value(v), name) != 0)
			jsonappend(out, json_incref(v));
	}
	json_decref(list);
	return out;
}

/* the spec's layers, the image's last ones, each checked against the image's digest */
static json_t *
layersjson(json_t *spec, const char *name, const struct rimage *img, const struct fslayer *layers,
           const struct fstree *t)
{
	json_t *out = json_array(), *own = json_object_get(spec, "layers"), *l, *desc, *e;
	size_t i, k = json_array_size(own), first = img->nlayers - k, j, files;
	long long wasted;

	if (k > img->nlayers)
		fatal("the report spec names %zu layers, the image has %zu; run imagegen again", k, img->nlayers);
	for (i = 0; i < img->nlayers; i++) {
		for (j = 0, files = 0; j < layers[i].len; j++)
			files += layers[i].e[j].type != 'w' && layers[i].e[j].type != 'o';
		for (j = 0, wasted = 0; j < t->nwaste; j++)
			wasted += t->waste[j].layer == (int)i ? t->waste[j].size : 0;
		if (i >= first) {
			l = json_deep_copy(json_array_get(own, i - first));
			desc = readjson(json_string_value(json_object_get(l, "desc")));
			if (!json_is_string(json_object_get(desc, "digest")) ||
			    strcmp(json_string_value(json_object_get(desc, "digest")), img->layers[i].digest) != 0)
				fatal("%s: not layer %zu of the image; run imagegen again",
				      json_string_value(json_object_get(l, "desc")), i + 1);
			json_decref(desc);
			json_object_del(l, "desc");
			/* the declarations' paths, as the tree spells its names */
			json_array_foreach(json_object_get(l, "entries"), j, e) {
				if (!json_is_string(json_object_get(e, "path")))
					fatal("%s: malformed report spec", json_string_value(json_object_get(l, "id")));
				jsonset(e, "path", jsonshown(json_string_value(json_object_get(e, "path"))));
			}
			if (json_is_string(json_object_get(l, "users"))) {
				jsonset(l, "shared", sharedjson(json_string_value(json_object_get(l, "users")), name));
				json_object_del(l, "users");
			}
		} else {
			l = json_pack("{s:o, s:s}", "source", jsonshown(json_string_value(json_object_get(spec, "base")) ?
			              json_string_value(json_object_get(spec, "base")) : "base"), "where", "");
		}
		if (!l)
			fatal("out of memory");
		jsonset(l, "digest", json_string(img->layers[i].digest));
		jsonset(l, "diffid", json_string(img->layers[i].diffid));
		jsonset(l, "size", json_integer(img->layers[i].size));
		jsonset(l, "usize", json_integer(layers[i].usize));
		jsonset(l, "files", json_integer((json_int_t)files));
		jsonset(l, "wasted", json_integer(wasted));
		jsonappend(out, l);
	}
	return out;
}

/* how many paths of a kind of change a layer's data lists; the count and bytes cover them all */
enum { MAXCHANGES = 1000 };

/* the bytes of the files at and below n */
static long long
bytesbelow(const struct fsnode *n)
{
	const struct fsnode *c;
	long long sum = n->e && n->e->type == 'f' ? n->e->size : 0;

	for (c = n->child; c; c = c->next)
		sum += bytesbelow(c);
	return sum;
}

/* a kind of change: { count, bytes, paths } */
static json_t *
changekind(void)
{
	json_t *k = json_pack("{s:i, s:i, s:[]}", "count", 0, "bytes", 0, "paths");

	if (!k)
		fatal("out of memory");
	return k;
}

static void
changeadd(json_t *kind, const char *path, long long bytes)
{
	json_t *paths = json_object_get(kind, "paths");
	char *p;

	jsonset(kind, "count", json_integer(json_integer_value(json_object_get(kind, "count")) + 1));
	jsonset(kind, "bytes", json_integer(json_integer_value(json_object_get(kind, "bytes")) + bytes));
	if (json_array_size(paths) < MAXCHANGES) {
		p = xasprintf("/%s", path);
		jsonappend(paths, jsonshown(p));
		free(p);
	}
}

/* what each layer does to the layers below it, as dive shows it: the files
   (and links, devices) it adds, those it changes (a path a lower layer has),
   and the paths it removes (whiteouts; an opaque folder removes what was in it) */
static void
changesjson(json_t *layers, const struct fslayer *l, size_t n)
{
	struct fstree t;
	struct fsnode *node, *c;
	const struct fsentry *e;
	json_t *added, *changed, *removed;
	size_t i, j;

	fstree_init(&t);
	for (i = 0; i < n; i++) {
		added = changekind();
		changed = changekind();
		removed = changekind();
		for (j = 0; j < l[i].len; j++) {
			e = &l[i].e[j];
			node = fstree_get(&t, e->path);
			if (e->type == 'w') {
				if (node && node != &t.root)
					changeadd(removed, e->path, bytesbelow(node));
			} else if (e->type == 'o') {
				for (c = node ? node->child : NULL; c; c = c->next)
					changeadd(removed, c->path, bytesbelow(c));
			} else if (e->type != 'd') {
				changeadd(node ? changed : added, e->path, e->type == 'f' ? e->size : 0);
			}
		}
		jsonset(json_array_get(layers, i), "changes", json_pack("{s:o, s:o, s:o}", "added", added, "changed",
		        changed, "removed", removed));
		fstree_apply(&t, &l[i], (int)i);
	}
	fstree_free(&t);
}

/* the packages of the dpkg database, with why they came from the spec */
static json_t *
packagesjson(json_t *spec, const struct dpkgdb *db)
{
	json_t *out = json_array(), *whys = json_object(), *p, *why;
	size_t i;

	if (!out || !whys)
		fatal("out of memory");
	/* the spec's chains by package name, the last one of a name winning */
	json_array_foreach(json_object_get(spec, "packages"), i, p) {
		if (json_is_string(json_object_get(p, "name")) && json_object_get(p, "why") &&
		    json_object_set(whys, json_string_value(json_object_get(p, "name")), json_object_get(p, "why")) < 0)
			fatal("out of memory");
	}
	for (i = 0; i < db->len; i++) {
		why = json_object_get(whys, db->p[i].name);
		jsonappend(out, json_pack("{s:o, s:o, s:o, s:I, s:I, s:o, s:o}", "name", jsonshown(db->p[i].name),
		                   "version", jsonshown(db->p[i].version), "architecture", jsonshown(db->p[i].arch),
		                   "bytes", (json_int_t)db->p[i].bytes, "files", (json_int_t)db->p[i].files,
		                   "licence", jsonshown(db->p[i].licence), "why", why ? json_deep_copy(why) : json_array()));
	}
	json_decref(whys);
	return out;
}

static json_t *
wastejson(const struct fstree *t)
{
	json_t *files = json_array();
	char *path;
	size_t i;

	for (i = 0; i < t->nwaste; i++) {
		path = xasprintf("/%s", t->waste[i].path);
		jsonappend(files, json_pack("{s:o, s:I, s:i, s:i, s:b}", "path", jsonshown(path), "size",
		                     (json_int_t)t->waste[i].size, "layer", t->waste[i].layer, "by", t->waste[i].by,
		                     "deleted", t->waste[i].deleted));
		free(path);
	}
	return json_pack("{s:I, s:o}", "total", (json_int_t)t->wasted, "files", files);
}

/* the files setuid, setgid or world-writable, with their layer and package */
static json_t *
specialjson(const struct fstree *t)
{
	json_t *out = json_array();
	struct fsnode **list;
	char flags[40], mode[8], *path;
	size_t i, n;

	if (!out)
		fatal("out of memory");
	list = fstree_special(t, &n);
	for (i = 0; i < n; i++) {
		path = xasprintf("/%s", list[i]->path);
		snprintf(mode, sizeof(mode), "%04o", list[i]->e->mode);
		jsonappend(out, json_pack("{s:o, s:s, s:s, s:i, s:i}", "path", jsonshown(path), "mode", mode, "what",
		                          modeflags(list[i]->e->type, list[i]->e->mode, flags), "layer", list[i]->layer,
		                          "package", list[i]->pkg));
		free(path);
	}
	free(list);
	return out;
}

/* one platform's part of the page's data */
static json_t *
platformjson(json_t *spec, const char *name, struct reader *r, const char *platform)
{
	struct imagefs fs;
	json_t *j, *cfg, *layers;

	imagefs_open(&fs, r, platform, DPKG_ALL, NULL);
	cfg = json_object_get(fs.img->config, "config");
	layers = layersjson(spec, name, fs.img, fs.layers, &fs.t);
	changesjson(layers, fs.layers, fs.img->nlayers);
	j = json_pack("{s:s, s:s, s:o, s:O, s:I, s:o, s:o, s:o, s:o, s:o}", "platform", fs.img->platform,
	              "digest", fs.img->digest, "config", cfg ? json_incref(cfg) : json_object(),
	              "created", json_object_get(fs.img->config, "created") ?
	              json_object_get(fs.img->config, "created") : json_null(), "size", (json_int_t)fs.size,
	              "layers", layers, "tree", treejson(&fs.t.root),
	              "packages", packagesjson(spec, &fs.db), "waste", wastejson(&fs.t), "special", specialjson(&fs.t));
	if (!j)
		fatal("out of memory");
	imagefs_free(&fs);
	return j;
}

static const struct embedded *
pagefile(const char *name)
{
	const struct embedded *f;

	for (f = embedded_page; f->name; f++) {
		if (strcmp(f->name, name) == 0)
			return f;
	}
	fatal("the report page's %s is not compiled in", name);
}

/* the template with @DATA@ and @SCRIPT@ filled in */
static void
page(struct buf *out, const char *data)
{
	const struct embedded *html = pagefile("report.html"), *js = pagefile("report.js");
	const char *d = strstr(html->src, "@DATA@"), *s = d ? strstr(d, "@SCRIPT@") : NULL, *p;

	if (!s)
		fatal("the report page has no @DATA@ and @SCRIPT@");
	bufadd(out, html->src, (size_t)(d - html->src));
	for (p = data; *p; p++) {
		if (*p == '<')
			bufstr(out, "\\u003c");
		else
			bufadd(out, p, 1);
	}
	bufadd(out, d + 6, (size_t)(s - d - 6));
	bufadd(out, js->src, js->len);
	bufstr(out, s + 8);
}

void
report_build(const char *specpath, const char *html, const char *store, void (*ready)(const char *, const char *))
{
	json_t *spec = readspec(specpath), *img = NULL, *platforms, *data, *plat;
	struct reader *r;
	struct buf out = {0};
	const char *imagefile;
	char *text;
	size_t i;

	if (!json_is_array(json_object_get(spec, "platforms")) || json_array_size(json_object_get(spec, "platforms")) < 1 ||
	    !json_is_string(json_object_get(spec, "name")))
		fatal("%s: malformed report spec", specpath);
	platforms = json_array();
	if (!platforms)
		fatal("out of memory");
	/* each platform's image file, read on its own */
	json_array_foreach(json_object_get(spec, "platforms"), i, plat) {
		imagefile = json_string_value(json_object_get(plat, "image"));
		if (!imagefile || !json_is_array(json_object_get(plat, "layers")))
			fatal("%s: malformed report spec", specpath);
		if (ready)
			ready(imagefile, store);
		if (!img)
			img = readjson(imagefile);
		r = reader_openbuild(imagefile, store);
		jsonappend(platforms, platformjson(plat, json_string_value(json_object_get(spec, "name")), r, NULL));
		reader_free(r);
	}
	data = json_pack("{s:O, s:s++, s:O, s:o}", "name", json_object_get(spec, "name"), "ref",
	                 json_string_value(json_object_get(img, "repo")), ":",
	                 json_string_value(json_object_get(img, "ref")), "ctx", json_object_get(spec, "ctx"),
	                 "platforms", platforms);
	if (!data)
		fatal("%s: malformed report spec or image file", specpath);
	/* the build arguments the definitions asked for, when they asked for any */
	if (json_is_array(json_object_get(spec, "arguments")))
		jsonset(data, "arguments", json_incref(json_object_get(spec, "arguments")));
	text = dumpjson(data);
	page(&out, text);
	if (updatefile(html, out.data, out.len) && makemode)
		printf("  REPORT  %s\n", html);
	free(text);
	free(out.data);
	json_decref(data);
	json_decref(img);
	json_decref(spec);
}
