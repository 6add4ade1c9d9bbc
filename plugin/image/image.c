/*
 * image: the config and manifest of one image, from the image spec the
 * generator wrote, the descriptors its layer edges wrote and, when it has
 * one, its base file.
 *
 * Image spec (JSON, written by the generator):
 *   name, ctx            the image's name, and where it was declared
 *   epoch                seconds; "created" of the config and its history
 *   platform             {architecture, os, variant?}
 *   base                 optional: the base file (an image file of this
 *                        build, or what "imagegen base" imported)
 *   config               the image's own config fields, laid over the
 *                        base's: Entrypoint, Cmd, WorkingDir, User and
 *                        StopSignal replace; Env (by name), Labels,
 *                        ExposedPorts and Volumes merge; a new Entrypoint
 *                        without a Cmd drops the base's Cmd
 *   layers               [{desc, created_by}], the image's own
 *   annotations          manifest annotations, over the standard ones
 *                        (org.opencontainers.image.created, and with a
 *                        base its .base.name, when known, and .base.digest)
 *   ref, repo            the tag and repository it is known by
 *   maxlayers            optional: the layer budget, for an image over a
 *                        base from outside the graph (whose layers the
 *                        generator did not count): more layers, base's
 *                        included, is an error
 *   format               optional: "docker" for Docker's media types
 *                        (image manifest v2, schema 2) in the manifest
 *                        and its descriptors, else OCI's; the config's
 *                        Healthcheck is Docker's alone
 *
 * Output, the image file, which layout, archive, push and child images
 * read (a base file is the same shape without the first six):
 *   {name, epoch, ref, repo, platform, manifest: descriptor,
 *    configdesc: descriptor, config: the whole config,
 *    layers: [descriptor + diffid], base layers first, spec: its spec,
 *    format: "docker" for a Docker image}
 * Its layers keep OCI's media types whatever the format (the same bytes):
 * an image over it, in either format, names them in its own.
 * The config and manifest are canonical JSON blobs in the store.
 *
 * An image of several platforms is one image file a platform, and an
 * index file made from them (image_index; a Docker manifest list when the
 * images are Docker's), which layout and push read:
 *   {name, epoch, ref, repo, index: the image index's descriptor,
 *    images: [each platform's image file, in the order given],
 *    files: [their paths]}
 * (spec and files: what the build cache remakes an image from, cache.c)
 * The image index is a canonical JSON blob in the store, its manifests
 * each platform's manifest descriptor with the platform.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/file.h"
#include "base/json.h"
#include "base/spec.h"
#include "base/store.h"
#include "base/oci.h"
#include "image/image.h"

static json_t *
need(json_t *o, const char *key, const char *path)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		fatal("%s: missing '%s'", path, key);
	return v;
}

/* Env: the base's variables in their order, replaced by name, then the new ones */
static json_t *
mergeenv(json_t *base, json_t *own)
{
	json_t *out = json_array(), *v, *w;
	size_t i, j, n;
	const char *s, *eq;

	if (!out)
		fatal("out of memory");
	json_array_foreach(base, i, v) {
		s = json_string_value(v);
		if (!s)
			continue;
		eq = strchr(s, '=');
		n = eq ? (size_t)(eq - s) : strlen(s);
		json_array_foreach(own, j, w) {
			const char *t = json_string_value(w);
			if (t && strncmp(t, s, n) == 0 && t[n] == '=') {
				v = w;
				break;
			}
		}
		jsonappend(out, json_incref(v));
	}
	json_array_foreach(own, j, w) {
		const char *t = json_string_value(w);
		int found = 0;
		if (!t)
			continue;
		eq = strchr(t, '=');
		n = eq ? (size_t)(eq - t) : strlen(t);
		json_array_foreach(base, i, v) {
			s = json_string_value(v);
			if (s && strncmp(s, t, n) == 0 && (s[n] == '=' || s[n] == '\0'))
				found = 1;
		}
		if (!found)
			jsonappend(out, json_incref(w));
	}
	return out;
}

/* the base's "config" object with the image's own fields over it */
static json_t *
mergeconfig(json_t *base, json_t *own)
{
	static const char *const replace[] = {"Entrypoint", "Cmd", "WorkingDir", "User", "StopSignal", "Healthcheck"};
	static const char *const merge[] = {"Labels", "ExposedPorts", "Volumes"};
	json_t *c = base ? json_deep_copy(base) : json_object(), *v;
	size_t i;

	if (!c)
		fatal("out of memory");
	for (i = 0; i < sizeof(replace) / sizeof(replace[0]); i++) {
		if ((v = json_object_get(own, replace[i])))
			jsonset(c, replace[i], json_deep_copy(v));
	}
	if (json_object_get(own, "Entrypoint") && !json_object_get(own, "Cmd"))
		json_object_del(c, "Cmd");
	for (i = 0; i < sizeof(merge) / sizeof(merge[0]); i++) {
		if (!(v = json_object_get(own, merge[i])))
			continue;
		if (!json_is_object(json_object_get(c, merge[i])))
			jsonset(c, merge[i], json_object());
		json_object_update(json_object_get(c, merge[i]), v);
	}
	if ((v = json_object_get(own, "Env")))
		jsonset(c, "Env", mergeenv(json_object_get(c, "Env"), v));
	return c;
}

static int
sameplatform(json_t *a, json_t *b)
{
	static const char *const keys[] = {"os", "architecture", "variant"};
	size_t i;

	for (i = 0; i < 3; i++) {
		json_t *x = json_object_get(a, keys[i]), *y = json_object_get(b, keys[i]);
		if (!json_equal(x, y) && !((!x || !json_string_length(x)) && (!y || !json_string_length(y))))
			return 0;
	}
	return 1;
}

/* an OCI manifest's annotations: the standard ones imagegen knows (when it
   was made; its base's name, when it has one, and digest), then the
   definition's, which win */
static json_t *
standard(const char *created, json_t *base, json_t *own)
{
	json_t *a = json_pack("{s:s}", "org.opencontainers.image.created", created);
	const char *source, *digest = NULL, *at;
	char *name = NULL;

	if (!a)
		fatal("out of memory");
	if (base && json_is_string(json_object_get(base, "repo")) && json_is_string(json_object_get(base, "ref"))) {
		/* an image of this build */
		name = xasprintf("%s:%s", json_string_value(json_object_get(base, "repo")),
		                 json_string_value(json_object_get(base, "ref")));
		digest = json_string_value(json_object_get(json_object_get(base, "manifest"), "digest"));
	} else if (base) {
		/* from outside: a registry's reference names it, a layout or archive does not */
		source = json_string_value(json_object_get(base, "source"));
		if (source && strncmp(source, "pull ", 5) == 0) {
			at = strchr(source + 5, '@');
			name = at ? xasprintf("%.*s", (int)(at - source - 5), source + 5) : xstrdup(source + 5);
		}
		digest = json_string_value(json_object_get(base, "digest"));
	}
	if (name)
		jsonset(a, "org.opencontainers.image.base.name", json_string(name));
	if (digest)
		jsonset(a, "org.opencontainers.image.base.digest", json_string(digest));
	free(name);
	if (own && json_object_update(a, own) < 0)
		fatal("out of memory");
	return a;
}

void
image_build(const char *specpath, const char *outpath, const char *store)
{
	json_t *spec, *platform, *base = NULL, *bconfig = NULL, *diffids, *history, *layers;
	json_t *l, *desc, *config, *manifest, *mlayers, *annotations, *cdesc, *mdesc, *out, *max;
	const char *descpath, *name, *basepath, *ctx, *format, *mt;
	char created[32], *text;
	size_t i;
	int docker;

	spec = loadspec(specpath, 0);
	name = json_string_value(need(spec, "name", specpath));
	ctx = json_string_value(json_object_get(spec, "ctx"));
	if (!ctx)
		ctx = name;
	rfc3339(json_integer_value(need(spec, "epoch", specpath)), created);
	platform = need(spec, "platform", specpath);
	basepath = json_string_value(json_object_get(spec, "base"));
	format = json_string_value(json_object_get(spec, "format"));
	if (format && strcmp(format, "docker") != 0)
		fatal("%s: unknown format '%s'", specpath, format);
	docker = format != NULL;

	diffids = json_array();
	history = json_array();
	layers = json_array();
	if (!diffids || !history || !layers)
		fatal("out of memory");
	if (basepath) {
		base = readjson(basepath);
		bconfig = need(base, "config", basepath);
		if (!sameplatform(bconfig, platform))
			fatal("%s: the image is for %s/%s but its base (%s) is for %s/%s", ctx,
			      json_string_value(json_object_get(platform, "os")),
			      json_string_value(json_object_get(platform, "architecture")),
			      json_string_value(json_object_get(base, "source")) ?
			      json_string_value(json_object_get(base, "source")) : basepath,
			      json_string_value(json_object_get(bconfig, "os")),
			      json_string_value(json_object_get(bconfig, "architecture")));
		json_array_foreach(need(base, "layers", basepath), i, l) {
			jsonappend(layers, json_deep_copy(l));
			jsonappend(diffids, json_incref(need(l, "diffid", basepath)));
		}
		json_array_foreach(json_object_get(bconfig, "history"), i, l)
			jsonappend(history, json_deep_copy(l));
	}
	json_array_foreach(need(spec, "layers", specpath), i, l) {
		descpath = json_string_value(need(l, "desc", specpath));
		desc = readjson(descpath);
		if (!store_validdigest(json_string_value(need(desc, "digest", descpath))) ||
		    !store_validdigest(json_string_value(need(desc, "diffid", descpath))))
			fatal("%s: malformed layer descriptor", descpath);
		jsonappend(diffids, json_incref(json_object_get(desc, "diffid")));
		jsonappend(layers, desc);
		jsonappend(history, json_pack("{s:s, s:O}", "created", created,
		                          "created_by", need(l, "created_by", specpath)));
	}
	/* over a base from outside the graph, the layer budget is checked here,
	   where the base's layers are known */
	max = json_object_get(spec, "maxlayers");
	if (json_is_integer(max) && (json_int_t)json_array_size(layers) > json_integer_value(max))
		fatal("%s: %zu layers, over its budget of %lld (maxlayers): %zu of its bases and %zu of its own", ctx,
		      json_array_size(layers), (long long)json_integer_value(max),
		      json_array_size(layers) - json_array_size(json_object_get(spec, "layers")),
		      json_array_size(json_object_get(spec, "layers")));

	config = json_pack("{s:s, s:O, s:O, s:{s:s, s:o}, s:o}",
	                   "created", created,
	                   "architecture", need(platform, "architecture", specpath),
	                   "os", need(platform, "os", specpath),
	                   "rootfs", "type", "layers", "diff_ids", diffids,
	                   "history", history);
	if (!config)
		fatal("%s: malformed platform", specpath);
	if (json_string_length(json_object_get(platform, "variant")) > 0)
		jsonset(config, "variant", json_copy(json_object_get(platform, "variant")));
	jsonset(config, "config", mergeconfig(json_object_get(bconfig, "config"), need(spec, "config", specpath)));
	if (json_object_size(json_object_get(config, "config")) == 0)
		json_object_del(config, "config");
	cdesc = store_putjson(store, docker ? MT_DOCKER_CONFIG : MT_CONFIG, config);

	/* the manifest's layer descriptors: the image file's, without diffid;
	   for a Docker image with Docker's media types and no annotations */
	mlayers = json_array();
	json_array_foreach(layers, i, l) {
		desc = json_deep_copy(l);
		json_object_del(desc, "diffid");
		mt = json_string_value(json_object_get(desc, "mediaType"));
		if (docker && !(mt && (mt = oci_dockertype(mt)) && strstr(mt, "rootfs")))
			fatal("%s: layer %s is %s, which has no Docker media type: build the image with format = \"oci\", "
			      "or the layer with compression \"gzip\" or \"none\"", ctx,
			      json_string_value(json_object_get(desc, "digest")),
			      json_string_value(json_object_get(desc, "mediaType")));
		if (docker) {
			jsonset(desc, "mediaType", json_string(mt));
			json_object_del(desc, "annotations");
		}
		jsonappend(mlayers, desc);
	}
	manifest = json_pack("{s:i, s:s, s:O, s:o}", "schemaVersion", 2, "mediaType",
	                     docker ? MT_DOCKER_MANIFEST : MT_MANIFEST, "config", cdesc, "layers", mlayers);
	if (!manifest)
		fatal("out of memory");
	annotations = json_object_get(spec, "annotations");
	if (json_object_size(annotations) > 0 && docker)
		fatal("%s: a Docker manifest has no annotations: use labels, or format = \"oci\"", ctx);
	if (!docker)
		jsonset(manifest, "annotations", standard(created, base, annotations));
	mdesc = store_putjson(store, docker ? MT_DOCKER_MANIFEST : MT_MANIFEST, manifest);

	out = json_pack("{s:s, s:O, s:O, s:O, s:o, s:o, s:o, s:o, s:O, s:s}", "name", name,
	                "epoch", need(spec, "epoch", specpath),
	                "ref", need(spec, "ref", specpath), "repo", need(spec, "repo", specpath),
	                "manifest", mdesc, "configdesc", cdesc, "config", config, "layers", layers,
	                "platform", platform, "spec", specpath);
	if (!out)
		fatal("out of memory");
	if (docker)
		jsonset(out, "format", json_string(format));
	text = dumpjson(out);
	if (updatefile(outpath, text, strlen(text)) && makemode)
		printf("  IMAGE   %s\n", name);
	free(text);
	json_decref(out);
	json_decref(manifest);
	json_decref(base);
	json_decref(spec);
}

void
image_index(const char *outpath, const char *store, char *const images[], int n)
{
	json_t *files = json_array(), *manifests = json_array(), *paths = json_array(), *img, *m, *first = NULL;
	json_t *index, *idesc, *out;
	const char *mt = MT_INDEX;
	char *text;
	int i;

	if (!files || !manifests || !paths)
		fatal("out of memory");
	for (i = 0; i < n; i++) {
		jsonappend(paths, json_string(images[i]));
		img = readjson(images[i]);
		m = json_deep_copy(need(img, "manifest", images[i]));
		if (!m)
			fatal("out of memory");
		jsonset(m, "platform", json_deep_copy(need(img, "platform", images[i])));
		jsonappend(manifests, m);
		jsonappend(files, img);
		if (!first)
			first = img;
	}
	if (!first)
		fatal("index: no image files");
	/* the images of one declaration are all Docker's or all OCI's */
	if (json_object_get(first, "format"))
		mt = MT_DOCKER_LIST;
	index = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", mt, "manifests", manifests);
	if (!index)
		fatal("out of memory");
	idesc = store_putjson(store, mt, index);
	out = json_pack("{s:O, s:O, s:O, s:O, s:o, s:O, s:o}", "name", need(first, "name", images[0]),
	                "epoch", need(first, "epoch", images[0]), "ref", need(first, "ref", images[0]),
	                "repo", need(first, "repo", images[0]), "index", idesc, "images", files, "files", paths);
	if (!out)
		fatal("out of memory");
	text = dumpjson(out);
	if (updatefile(outpath, text, strlen(text)) && makemode)
		printf("  INDEX   %s\n", json_string_value(json_object_get(out, "name")));
	free(text);
	json_decref(out);
	json_decref(files);
	json_decref(index);
}
