/*
 * image: the config and manifest of one image, from the image spec the
 * generator wrote and the descriptors its layer edges wrote.
 *
 * Image spec (JSON, written by the generator):
 *   name, ctx            the image's name and where it was declared
 *   epoch                seconds; "created" of the config and its history
 *   platform             {architecture, os, variant?}
 *   config               the OCI config's "config" object, already merged
 *                        with the base's
 *   layers               [{desc, created_by}], base layers first
 *   annotations          manifest annotations
 *   ref, repo            the tag and repository it is known by
 *
 * Output (the image file, which layout and archive read):
 *   {name, epoch, ref, repo, manifest: descriptor, config: descriptor,
 *    layers: [descriptor], platform}
 * Both blobs are canonical JSON in the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "util.h"
#include "store.h"
#include "image.h"

#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"

static void
rfc3339(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		fatal("epoch %lld out of range", t);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *
need(json_t *o, const char *key, const char *path)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		fatal("%s: missing '%s'", path, key);
	return v;
}

static void
set(json_t *o, const char *key, json_t *v)
{
	if (!v || json_object_set_new(o, key, v) < 0)
		fatal("out of memory");
}

void
image_build(const char *specpath, const char *outpath, const char *store)
{
	json_t *spec, *layers, *platform, *diffids, *history, *mlayers, *config, *manifest, *out;
	json_t *l, *desc, *annotations, *cdesc, *mdesc;
	const char *descpath, *name;
	char created[32], *text;
	size_t i;

	spec = readjson(specpath);
	name = json_string_value(need(spec, "name", specpath));
	rfc3339(json_integer_value(need(spec, "epoch", specpath)), created);
	layers = need(spec, "layers", specpath);
	platform = need(spec, "platform", specpath);

	diffids = json_array();
	history = json_array();
	mlayers = json_array();
	if (!diffids || !history || !mlayers)
		fatal("out of memory");
	json_array_foreach(layers, i, l) {
		descpath = json_string_value(need(l, "desc", specpath));
		desc = readjson(descpath);
		if (!store_validdigest(json_string_value(need(desc, "digest", descpath))) ||
		    !store_validdigest(json_string_value(need(desc, "diffid", descpath))))
			fatal("%s: malformed layer descriptor", descpath);
		json_array_append(diffids, json_object_get(desc, "diffid"));
		json_object_del(desc, "diffid");
		json_array_append_new(mlayers, desc);
		json_array_append_new(history, json_pack("{s:s, s:O}", "created", created,
		                                         "created_by", need(l, "created_by", specpath)));
	}

	config = json_pack("{s:s, s:O, s:O, s:{s:s, s:o}, s:o}",
	                   "created", created,
	                   "architecture", need(platform, "architecture", specpath),
	                   "os", need(platform, "os", specpath),
	                   "rootfs", "type", "layers", "diff_ids", diffids,
	                   "history", history);
	if (!config)
		fatal("%s: malformed platform", specpath);
	if (json_object_get(platform, "variant"))
		set(config, "variant", json_copy(json_object_get(platform, "variant")));
	if (json_object_size(need(spec, "config", specpath)) > 0)
		set(config, "config", json_copy(json_object_get(spec, "config")));
	cdesc = store_putjson(store, MT_CONFIG, config);

	manifest = json_pack("{s:i, s:s, s:O, s:O}", "schemaVersion", 2, "mediaType", MT_MANIFEST,
	                     "config", cdesc, "layers", mlayers);
	if (!manifest)
		fatal("out of memory");
	annotations = json_object_get(spec, "annotations");
	if (json_object_size(annotations) > 0)
		set(manifest, "annotations", json_copy(annotations));
	mdesc = store_putjson(store, MT_MANIFEST, manifest);

	out = json_pack("{s:s, s:O, s:O, s:O, s:o, s:o, s:o, s:O}", "name", name,
	                "epoch", need(spec, "epoch", specpath),
	                "ref", need(spec, "ref", specpath), "repo", need(spec, "repo", specpath),
	                "manifest", mdesc, "config", cdesc, "layers", mlayers,
	                "platform", platform);
	if (!out)
		fatal("out of memory");
	text = dumpjson(out);
	if (updatefile(outpath, text, strlen(text)) && makemode)
		printf("  IMAGE   %s\n", name);
	free(text);
	json_decref(out);
	json_decref(manifest);
	json_decref(config);
	json_decref(spec);
}
