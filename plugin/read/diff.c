/*
 * diff: imagegen diff [--json] [--platform P] A B, what differs between
 * two images, each an OCI layout, a docker-archive or a registry
 * reference. The exit status is diff's: 0 the same, 1 different, 2 trouble.
 *
 * The document (--json prints it canonically; the text is drawn from it):
 *   {"imagegen-diff": 1, "same": bool,
 *    "a", "b": {"name", "digest", "config", "platform"},
 *    "samecontents": bool   every file, package and config field the same, and every
 *        layer the same or the same contents compressed otherwise,
 *    "layers": [{"status": "unchanged"|"recompressed"|"removed"|"added", "digest", "diffid",
 *                "size", "compression", and for "recompressed": "b": {"digest", "size", "compression"}}]
 *        A's layers in order, then B's new ones; a layer is the same when its digest is,
 *        and the same contents with another compression when its diff_id (the digest
 *        of its uncompressed tar) is; compression: "gzip", "zstd" or "none",
 *    "files": [{"path", "status": "added"|"removed"|"changed",
 *               "changes": ["type", "content", "mode", "special", "owner", "link"], "a", "b"}]
 *        by path; a and b: {"type", "mode", "uid", "gid", "size", "sha256", "link", "special"},
 *        special: what of the mode people must see, "setuid, setgid, world-writable"
 *        (text.c modeflags), where there is any; a change of it is "special" too,
 *        which the text shows as "(none -> setuid)", and an added or removed
 *        file's as "(setuid)",
 *    "packages": [{"name", "architecture", "a", "b"}]   versions, null where absent,
 *    "config": [{"field", "key", "a", "b"}]}   Env and Labels by key, other fields whole.
 * Names (paths, link targets, package names, versions and architectures, the
 * keys of Env and Labels) are spelt as docs/names.md says: a byte that is not
 * UTF-8 as \xHH, a backslash as \\; the text spells their controls too.
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
#include "read/diff.h"

struct side {
	const char *name;
	struct reader *r;
	struct imagefs fs;
};

/* a layer's compression, from its media type */
static const char *
compression(const struct rlayer *l)
{
	const char *m = l->mediatype ? l->mediatype : "";

	return strstr(m, "zstd") ? "zstd" : strstr(m, "gzip") ? "gzip" : "none";
}

static json_t *
layerjson(const struct rlayer *l, const char *status, const struct rlayer *other)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s}", "status", status, "digest", l->digest,
	                      "diffid", l->diffid, "size", (json_int_t)l->size, "compression", compression(l));

	if (!j)
		fatal("out of memory");
	if (other)
		jsonset(j, "b", json_pack("{s:s, s:I, s:s}", "digest", other->digest, "size", (json_int_t)other->size,
		                          "compression", compression(other)));
	return j;
}

/* img's layer of l's digest, else of its diff_id (*other set: the same
   contents compressed otherwise), else NULL */
static const struct rlayer *
findlayer(const struct rimage *img, const struct rlayer *l, int *other)
{
	size_t i;

	*other = 0;
	for (i = 0; i < img->nlayers; i++) {
		if (strcmp(img->layers[i].digest, l->digest) == 0)
			return &img->layers[i];
	}
	for (i = 0; i < img->nlayers; i++) {
		if (strcmp(img->layers[i].diffid, l->diffid) == 0) {
			*other = 1;
			return &img->layers[i];
		}
	}
	return NULL;
}

static json_t *
difflayers(const struct rimage *a, const struct rimage *b)
{
	json_t *out = json_array();
	const struct rlayer *m;
	size_t i;
	int other;

	for (i = 0; i < a->nlayers; i++) {
		m = findlayer(b, &a->layers[i], &other);
		jsonappend(out, layerjson(&a->layers[i], !m ? "removed" : other ? "recompressed" : "unchanged",
		                          other ? m : NULL));
	}
	for (i = 0; i < b->nlayers; i++) {
		if (!findlayer(a, &b->layers[i], &other))
			jsonappend(out, layerjson(&b->layers[i], "added", NULL));
	}
	return out;
}

static const char *
typename(const struct fsnode *n)
{
	switch (n->e ? n->e->type : 'd') {
	case 'f': return "file";
	case 'd': return "dir";
	case 'l': return "symlink";
	case 'h': return "hardlink";
	case 'c': return "char";
	case 'b': return "block";
	default: return "fifo";
	}
}

static json_t *
nodejson(const struct fsnode *n)
{
	const struct fsentry *e = n->e;
	char mode[8], flags[40];
	json_t *j;

	snprintf(mode, sizeof(mode), "%04o", e ? e->mode : 0755);
	j = json_pack("{s:s, s:s, s:I, s:I}", "type", typename(n), "mode", mode,
	              "uid", (json_int_t)(e ? e->uid : 0), "gid", (json_int_t)(e ? e->gid : 0));
	if (!j)
		fatal("out of memory");
	if (e && (e->type == 'f' || e->type == 'h')) {
		json_object_set_new(j, "size", json_integer(e->size));
		json_object_set_new(j, "sha256", json_string(e->sha256));
	}
	if (e && e->link)
		json_object_set_new(j, "link", jsontext(e->link));
	if (e && *modeflags(e->type, e->mode, flags))
		jsonset(j, "special", json_string(flags));
	return j;
}

static void
fileentry(json_t *out, const struct fsnode *n, const char *status, json_t *changes, const struct fsnode *a,
          const struct fsnode *b)
{
	char *path = xasprintf("/%s", n->path);
	json_t *j = json_pack("{s:o, s:s}", "path", jsontext(path), "status", status);

	if (!j)
		fatal("out of memory");
	if (changes)
		json_object_set_new(j, "changes", changes);
	if (a)
		json_object_set_new(j, "a", nodejson(a));
	if (b)
		json_object_set_new(j, "b", nodejson(b));
	jsonappend(out, j);
	free(path);
}

/* n and everything under it, added (or removed) */
static void
whole(json_t *out, const struct fsnode *n, int added)
{
	const struct fsnode *c;

	fileentry(out, n, added ? "added" : "removed", NULL, added ? NULL : n, added ? n : NULL);
	for (c = n->child; c; c = c->next)
		whole(out, c, added);
}

static void
compare(json_t *out, const struct fsnode *a, const struct fsnode *b)
{
	const struct fsentry *x = a->e, *y = b->e;
	char tx = x ? x->type : 'd', ty = y ? y->type : 'd', fx[40], fy[40];
	json_t *changes = json_array();

	if (!changes)
		fatal("out of memory");
	if (tx != ty)
		jsonappend(changes, json_string("type"));
	else if ((tx == 'f' || tx == 'h') && (strcmp(x->sha256, y->sha256) != 0 || x->size != y->size))
		jsonappend(changes, json_string("content"));
	if ((x ? x->mode : 0755) != (y ? y->mode : 0755))
		jsonappend(changes, json_string("mode"));
	if (strcmp(modeflags(tx, x ? x->mode : 0755, fx), modeflags(ty, y ? y->mode : 0755, fy)) != 0)
		jsonappend(changes, json_string("special"));
	if ((x ? x->uid : 0) != (y ? y->uid : 0) || (x ? x->gid : 0) != (y ? y->gid : 0))
		jsonappend(changes, json_string("owner"));
	if (tx == ty && x && y && x->link && y->link && strcmp(x->link, y->link) != 0)
		jsonappend(changes, json_string("link"));
	if (json_array_size(changes) > 0)
		fileentry(out, a, "changed", changes, a, b);
	else
		json_decref(changes);
}

/* the children of two directories, merged by name */
static void
difftree(json_t *out, const struct fsnode *a, const struct fsnode *b)
{
	const struct fsnode *x = a ? a->child : NULL, *y = b ? b->child : NULL, *c;
	int cmp;

	while (x || y) {
		cmp = !x ? 1 : !y ? -1 : strcmp(x->name, y->name);
		if (cmp < 0) {
			whole(out, x, 0);
			x = x->next;
		} else if (cmp > 0) {
			whole(out, y, 1);
			y = y->next;
		} else {
			compare(out, x, y);
			if (x->child && y->child)
				difftree(out, x, y);
			else if (x->child)
				for (c = x->child; c; c = c->next)
					whole(out, c, 0);
			else
				for (c = y->child; c; c = c->next)
					whole(out, c, 1);
			x = x->next;
			y = y->next;
		}
	}
}

static json_t *
version(const struct dpkgpkg *p)
{
	return p ? jsontext(p->version) : json_null();
}

static json_t *
diffpackages(const struct dpkgdb *a, const struct dpkgdb *b)
{
	json_t *out = json_array();
	const struct dpkgpkg *x, *y;
	size_t i = 0, j = 0;
	int cmp;

	while (i < a->len || j < b->len) {
		x = i < a->len ? &a->p[i] : NULL;
		y = j < b->len ? &b->p[j] : NULL;
		cmp = !x ? 1 : !y ? -1 : strcmp(x->name, y->name) ? strcmp(x->name, y->name) : strcmp(x->arch, y->arch);
		if (cmp < 0)
			y = NULL;
		else if (cmp > 0)
			x = NULL;
		i += x != NULL;
		j += y != NULL;
		if (x && y && strcmp(x->version, y->version) == 0)
			continue;
		jsonappend(out, json_pack("{s:o, s:o, s:o, s:o}", "name", jsontext((x ? x : y)->name), "architecture",
		                   jsontext((x ? x : y)->arch), "a", version(x), "b", version(y)));
	}
	return out;
}

static void
configentry(json_t *out, const char *field, const char *key, json_t *a, json_t *b)
{
	json_t *j = json_pack("{s:s, s:O, s:O}", "field", field, "a", a ? a : json_null(), "b", b ? b : json_null());

	if (!j)
		fatal("out of memory");
	if (key)
		json_object_set_new(j, "key", jsontext(key));
	jsonappend(out, j);
}

/* Env as an object by name */
static json_t *
envobject(json_t *env)
{
	json_t *o = json_object(), *v;
	const char *s, *eq;
	char *name;
	size_t i;

	json_array_foreach(env, i, v) {
		if (!(s = json_string_value(v)))
			continue;
		eq = strchr(s, '=');
		name = eq ? xasprintf("%.*s", (int)(eq - s), s) : xstrdup(s);
		json_object_set_new(o, name, json_string(eq ? eq + 1 : ""));
		free(name);
	}
	return o;
}

/* two objects key by key, as entries of field */
static void
bykey(json_t *out, const char *field, json_t *a, json_t *b)
{
	json_t *keys = json_object(), *va, *vb, *v;
	const char *k;

	json_object_update(keys, json_is_object(a) ? a : NULL);
	json_object_update(keys, json_is_object(b) ? b : NULL);
	json_object_foreach(keys, k, v) {
		va = json_object_get(a, k);
		vb = json_object_get(b, k);
		if (!json_equal(va, vb))
			configentry(out, field, k, va, vb);
	}
	json_decref(keys);
}

static json_t *
diffconfig(const struct rimage *a, const struct rimage *b)
{
	json_t *out = json_array(), *keys = json_object(), *ca, *cb, *v, *ea, *eb;
	const char *k;

	/* the config's top level (rootfs is the layers'), then its config */
	json_object_update(keys, a->config);
	json_object_update(keys, b->config);
	json_object_foreach(keys, k, v) {
		if (strcmp(k, "rootfs") == 0 || strcmp(k, "config") == 0 || strcmp(k, "container_config") == 0)
			continue;
		if (!json_equal(json_object_get(a->config, k), json_object_get(b->config, k)))
			configentry(out, k, NULL, json_object_get(a->config, k), json_object_get(b->config, k));
	}
	json_object_clear(keys);
	ca = json_object_get(a->config, "config");
	cb = json_object_get(b->config, "config");
	json_object_update(keys, json_is_object(ca) ? ca : NULL);
	json_object_update(keys, json_is_object(cb) ? cb : NULL);
	json_object_foreach(keys, k, v) {
		if (strcmp(k, "Env") == 0) {
			ea = envobject(json_object_get(ca, k));
			eb = envobject(json_object_get(cb, k));
			bykey(out, k, ea, eb);
			json_decref(ea);
			json_decref(eb);
		} else if (strcmp(k, "Labels") == 0 || strcmp(k, "ExposedPorts") == 0 || strcmp(k, "Volumes") == 0) {
			bykey(out, k, json_object_get(ca, k), json_object_get(cb, k));
		} else if (!json_equal(json_object_get(ca, k), json_object_get(cb, k))) {
			configentry(out, k, NULL, json_object_get(ca, k), json_object_get(cb, k));
		}
	}
	/* a docker-archive has no manifest: nothing to compare its annotations with */
	if (*a->digest && *b->digest)
		bykey(out, "annotations", json_object_get(a->manifest, "annotations"),
		      json_object_get(b->manifest, "annotations"));
	json_decref(keys);
	return out;
}

static json_t *
sidejson(const struct side *s)
{
	json_t *j = json_pack("{s:o, s:s, s:s, s:o}", "name", jsontext(s->name), "digest", s->fs.img->digest,
	                      "config", s->fs.img->configdigest, "platform", json_string(s->fs.img->platform));

	if (!j)
		fatal("out of memory");
	return j;
}

/* a value of the document for a terminal, on one line (free it): a name the
   document holds spelt (nametext) with its controls spelt too, any other
   string spelt so, anything else as JSON */
static char *
shown(json_t *v, int spelt)
{
	char *text, *s;

	if (!v || json_is_null(v))
		return xstrdup("(none)");
	if (json_is_string(v))
		return spelt ? utf8show(json_string_value(v), 1) : nametext(json_string_value(v), 1);
	text = dumpjson(v);
	s = utf8show(text, 1);
	free(text);
	return s;
}

/* after a file's line, what of its mode people must see: an added or
   removed file's, or the change of it ("(none -> setuid)") */
static void
specialtext(json_t *file, char mark)
{
	const char *a = json_string_value(json_object_get(json_object_get(file, "a"), "special"));
	const char *b = json_string_value(json_object_get(json_object_get(file, "b"), "special"));
	json_t *c;
	size_t i;

	if (mark == '+' && b)
		printf(" (%s)", b);
	else if (mark == '-' && a)
		printf(" (%s)", a);
	json_array_foreach(json_object_get(file, "changes"), i, c) {
		if (strcmp(json_string_value(c), "special") == 0)
			printf(" (%s -> %s)", a ? a : "none", b ? b : "none");
	}
}

static void
printtext(json_t *doc)
{
	static const char *const sections[] = {"layers", "files", "packages", "config"};
	json_t *v, *list;
	char size[32], *p, *x, *y;
	size_t i, k, counts[4];

	for (k = 0; k < 2; k++) {
		v = json_object_get(doc, k ? "b" : "a");
		p = shown(json_object_get(v, "name"), 1);
		printf("%s %s  %s  %s\n", k ? "+++" : "---", p, *json_string_value(json_object_get(v, "digest")) ?
		       json_string_value(json_object_get(v, "digest")) : json_string_value(json_object_get(v, "config")),
		       json_string_value(json_object_get(v, "platform")));
		free(p);
	}
	for (k = 0; k < 4; k++) {
		list = json_object_get(doc, sections[k]);
		memset(counts, 0, sizeof(counts));
		json_array_foreach(list, i, v) {
			const char *st = json_string_value(json_object_get(v, "status"));
			counts[st && strcmp(st, "added") == 0 ? 0 : st && strcmp(st, "removed") == 0 ? 1 :
			       st && strcmp(st, "recompressed") == 0 ? 3 : 2]++;
		}
		if (k == 0 && counts[0] + counts[1] + counts[3] == 0)
			continue;
		if (json_array_size(list) == 0)
			continue;
		if (k == 0 && counts[3])
			printf("layers: %zu unchanged, %zu the same contents compressed otherwise, %zu removed, %zu added\n",
			       counts[2], counts[3], counts[1], counts[0]);
		else if (k == 0)
			printf("layers: %zu unchanged, %zu removed, %zu added\n", counts[2], counts[1], counts[0]);
		else
			printf("%s: %zu\n", sections[k], json_array_size(list));
		json_array_foreach(list, i, v) {
			const char *st = json_string_value(json_object_get(v, "status"));
			char mark = !st ? '~' : strcmp(st, "added") == 0 ? '+' : strcmp(st, "removed") == 0 ? '-' :
			            strcmp(st, "unchanged") == 0 ? '=' : '~';
			if (k == 0 && strcmp(st, "recompressed") == 0) {
				json_t *o = json_object_get(v, "b");
				char osize[32];
				printf("  ~ %s  %s -> %s  %s  (same contents, %s -> %s)\n",
				       json_string_value(json_object_get(v, "digest")),
				       humansize(json_integer_value(json_object_get(v, "size")), size),
				       json_string_value(json_object_get(o, "digest")),
				       humansize(json_integer_value(json_object_get(o, "size")), osize),
				       json_string_value(json_object_get(v, "compression")),
				       json_string_value(json_object_get(o, "compression")));
			} else if (k == 0) {
				printf("  %c %s  %s\n", mark, json_string_value(json_object_get(v, "digest")),
				       humansize(json_integer_value(json_object_get(v, "size")), size));
			} else if (k == 1) {
				json_t *c, *ch = json_object_get(v, "changes");
				size_t j;
				p = shown(json_object_get(v, "path"), 1);
				printf("  %c %s", mark, p);
				json_array_foreach(ch, j, c)
					printf("%s%s", j ? ", " : ": ", json_string_value(c));
				specialtext(v, mark);
				putchar('\n');
				free(p);
			} else if (k == 2) {
				p = shown(json_object_get(v, "name"), 1);
				x = shown(json_object_get(v, "a"), 1);
				y = shown(json_object_get(v, "b"), 1);
				mark = json_is_null(json_object_get(v, "a")) ? '+' : json_is_null(json_object_get(v, "b")) ?
				       '-' : '~';
				if (mark == '~')
					printf("  ~ %s %s -> %s\n", p, x, y);
				else
					printf("  %c %s %s\n", mark, p, mark == '+' ? y : x);
				free(p);
				free(x);
				free(y);
			} else if (strcmp(json_string_value(json_object_get(v, "field")), "history") == 0) {
				printf("  ~ history: %zu -> %zu entries\n", json_array_size(json_object_get(v, "a")),
				       json_array_size(json_object_get(v, "b")));
			} else {
				p = shown(json_object_get(v, "key"), 1);
				x = shown(json_object_get(v, "a"), 0);
				y = shown(json_object_get(v, "b"), 0);
				printf("  ~ %s%s%s: %s -> %s\n", json_string_value(json_object_get(v, "field")),
				       json_object_get(v, "key") ? " " : "", json_object_get(v, "key") ? p : "", x, y);
				free(p);
				free(x);
				free(y);
			}
		}
	}
	if (json_is_true(json_object_get(doc, "same")))
		puts("no differences");
	else if (json_is_true(json_object_get(doc, "samecontents")))
		puts("same contents, other compression");
}

int
diff_main(int argc, char *argv[])
{
	const char *platform = NULL;
	struct side a = {0}, b = {0};
	json_t *doc, *files, *v;
	const char *st;
	char *text;
	int json = 0, i, same, samecontents, recompressed = 0;
	size_t k;

	fatalstatus = 2;
	for (i = 0; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--platform") == 0 && i + 1 < argc)
			platform = argv[++i];
		else
			break;
	}
	if (argc - i != 2)
		return -1;
	a.name = argv[i];
	b.name = argv[i + 1];
	a.r = reader_open(a.name);
	b.r = reader_open(b.name);
	imagefs_open(&a.fs, a.r, platform, DPKG_STATUS, NULL);
	imagefs_open(&b.fs, b.r, platform, DPKG_STATUS, &a.fs);

	files = json_array();
	if (!files)
		fatal("out of memory");
	difftree(files, &a.fs.t.root, &b.fs.t.root);
	doc = json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:o}", "imagegen-diff", 1, "a", sidejson(&a),
	                "b", sidejson(&b), "layers", difflayers(a.fs.img, b.fs.img), "files", files,
	                "packages", diffpackages(&a.fs.db, &b.fs.db), "config", diffconfig(a.fs.img, b.fs.img));
	if (!doc)
		fatal("out of memory");
	same = json_array_size(json_object_get(doc, "files")) == 0 &&
	       json_array_size(json_object_get(doc, "packages")) == 0;
	/* the same contents: the config's history may name the layers otherwise (their ids say the compression) */
	samecontents = same;
	json_array_foreach(json_object_get(doc, "config"), k, v) {
		same = 0;
		if (strcmp(json_string_value(json_object_get(v, "field")), "history") != 0)
			samecontents = 0;
	}
	json_array_foreach(json_object_get(doc, "layers"), k, v) {
		st = json_string_value(json_object_get(v, "status"));
		recompressed |= strcmp(st, "recompressed") == 0;
		if (strcmp(st, "unchanged") != 0)
			same = 0;
		if (strcmp(st, "unchanged") != 0 && strcmp(st, "recompressed") != 0)
			samecontents = 0;
	}
	json_object_set_new(doc, "same", json_boolean(same));
	json_object_set_new(doc, "samecontents", json_boolean(samecontents && (same || recompressed)));
	if (json) {
		text = dumpjson(doc);
		puts(text);
		free(text);
	} else {
		printtext(doc);
	}
	json_decref(doc);
	imagefs_free(&b.fs);
	imagefs_free(&a.fs);
	reader_free(b.r);
	reader_free(a.r);
	return same ? 0 : 1;
}
