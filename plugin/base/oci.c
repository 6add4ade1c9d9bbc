/*
 * oci: the checks every OCI or Docker document read from outside the build
 * passes before anything in it is used (layouts, docker-archives,
 * registries). A descriptor has a media type, a sha256 digest and a size
 * that is a whole number; a manifest has a config and layers of the media
 * types an image may have; an index has descriptors of manifests or
 * indexes; a config has one diff_id, a sha256 digest, a layer. Each check
 * returns 0, or -1 with the reason in why.
 *
 * Every media type imagegen names is in oci.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "base/err.h"
#include "base/store.h"
#include "base/oci.h"

static const char *const layertypes[] = {
	MT_LAYER,
	MT_LAYER_GZIP,
	MT_LAYER_ZSTD,
	MT_DOCKER_LAYER,
	MT_DOCKER_LAYER_GZIP,
	/* the non-distributable kinds, which bases refuse by name */
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	NULL,
};

static const char *const configtypes[] = {
	MT_CONFIG,
	MT_DOCKER_CONFIG,
	NULL,
};

static const char *const manifesttypes[] = {
	MT_MANIFEST,
	MT_DOCKER_MANIFEST,
	MT_INDEX,
	MT_DOCKER_LIST,
	NULL,
};

static int
why(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int
oneof(const char *s, const char *const *list)
{
	for (; *list; list++) {
		if (strcmp(s, *list) == 0)
			return 1;
	}
	return 0;
}

/* a string for a message: at most 80 printable bytes of it */
static const char *
shown(const char *s, char buf[96])
{
	size_t i;

	for (i = 0; s[i] && i < 80; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	if (s[i])
		strcpy(buf + i, "...");
	return buf;
}

/* a descriptor whose media type is in types (any, when NULL) */
static int
descriptor(json_t *d, const char *what, const char *const *types, char *out, size_t len)
{
	json_t *mt = json_object_get(d, "mediaType"), *digest = json_object_get(d, "digest");
	json_t *size = json_object_get(d, "size");
	char buf[96];

	if (!json_is_object(d))
		return why(out, len, "%s is not a descriptor object", what);
	if (!json_is_string(mt) || json_string_length(mt) == 0 || json_string_length(mt) > 255)
		return why(out, len, "%s has no media type", what);
	if (types && !oneof(json_string_value(mt), types))
		return why(out, len, "%s has the media type '%s', not one an image has here", what,
		           shown(json_string_value(mt), buf));
	if (!json_is_string(digest) || !store_validdigest(json_string_value(digest)))
		return why(out, len, "%s has no sha256 digest", what);
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return why(out, len, "%s has no size (a whole number of bytes)", what);
	return 0;
}

int
oci_checkdescriptor(json_t *d, const char *what, char *out, size_t len)
{
	return descriptor(d, what, NULL, out, len);
}

int
oci_checkmanifest(json_t *m, char *out, size_t len)
{
	json_t *layers = json_object_get(m, "layers"), *l;
	char what[64];
	size_t i;

	if (!json_is_object(m))
		return why(out, len, "the manifest is not a JSON object");
	if (json_integer_value(json_object_get(m, "schemaVersion")) != 2)
		return why(out, len, "the manifest's schemaVersion is not 2");
	if (descriptor(json_object_get(m, "config"), "the manifest's config", configtypes, out, len) < 0)
		return -1;
	if (!json_is_array(layers))
		return why(out, len, "the manifest has no layers list");
	json_array_foreach(layers, i, l) {
		snprintf(what, sizeof(what), "the manifest's layers[%zu]", i);
		if (descriptor(l, what, layertypes, out, len) < 0)
			return -1;
	}
	return 0;
}

int
oci_checkindex(json_t *idx, char *out, size_t len)
{
	json_t *manifests = json_object_get(idx, "manifests"), *m, *p;
	char what[64];
	size_t i;

	if (!json_is_object(idx))
		return why(out, len, "the index is not a JSON object");
	if (json_integer_value(json_object_get(idx, "schemaVersion")) != 2)
		return why(out, len, "the index's schemaVersion is not 2");
	if (!json_is_array(manifests))
		return why(out, len, "the index has no manifests list");
	json_array_foreach(manifests, i, m) {
		snprintf(what, sizeof(what), "the index's manifests[%zu]", i);
		if (descriptor(m, what, manifesttypes, out, len) < 0)
			return -1;
		p = json_object_get(m, "platform");
		if (p && (!json_is_object(p) || !json_is_string(json_object_get(p, "os")) ||
		          !json_is_string(json_object_get(p, "architecture")) ||
		          (json_object_get(p, "variant") && !json_is_string(json_object_get(p, "variant")))))
			return why(out, len, "%s has a malformed platform", what);
	}
	return 0;
}

int
oci_checkconfig(json_t *c, size_t nlayers, char *out, size_t len)
{
	json_t *rootfs = json_object_get(c, "rootfs"), *diffids = json_object_get(rootfs, "diff_ids"), *d;
	json_t *cfg = json_object_get(c, "config"), *history = json_object_get(c, "history");
	size_t i;

	if (!json_is_object(c))
		return why(out, len, "the config is not a JSON object");
	if (!json_is_string(json_object_get(c, "architecture")) || !json_is_string(json_object_get(c, "os")))
		return why(out, len, "the config names no architecture and os");
	if (!json_is_object(rootfs) || !json_is_array(diffids))
		return why(out, len, "the config has no rootfs.diff_ids");
	if (json_array_size(diffids) != nlayers)
		return why(out, len, "the config has %zu diff_ids for %zu layers", json_array_size(diffids), nlayers);
	json_array_foreach(diffids, i, d) {
		if (!json_is_string(d) || !store_validdigest(json_string_value(d)))
			return why(out, len, "the config's diff_ids[%zu] is not a sha256 digest", i);
	}
	if (cfg && !json_is_object(cfg) && !json_is_null(cfg))
		return why(out, len, "the config's config is not an object");
	if (history && !json_is_array(history))
		return why(out, len, "the config's history is not a list");
	return 0;
}

int
oci_isindex(const char *mt)
{
	return strcmp(mt, MT_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0;
}

const char *
oci_mediatype(const char *mt)
{
	if (strcmp(mt, MT_DOCKER_LAYER_GZIP) == 0)
		return MT_LAYER_GZIP;
	if (strcmp(mt, MT_DOCKER_LAYER) == 0)
		return MT_LAYER;
	if (strcmp(mt, MT_DOCKER_CONFIG) == 0)
		return MT_CONFIG;
	if (strcmp(mt, MT_DOCKER_MANIFEST) == 0)
		return MT_MANIFEST;
	return mt;
}

const char *
oci_dockertype(const char *mt)
{
	static const char *const pairs[][2] = {
		{MT_LAYER_GZIP, MT_DOCKER_LAYER_GZIP},
		{MT_LAYER, MT_DOCKER_LAYER},
		{MT_CONFIG, MT_DOCKER_CONFIG},
		{MT_MANIFEST, MT_DOCKER_MANIFEST},
		{MT_INDEX, MT_DOCKER_LIST},
	};
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (strcmp(mt, pairs[i][0]) == 0 || strcmp(mt, pairs[i][1]) == 0)
			return pairs[i][1];
	}
	return NULL;
}

json_t *
oci_pickplatform(json_t *index, const char *platform, const char *what)
{
	char os[64] = "", arch[64] = "", variant[64] = "";
	json_t *m, *p;
	size_t i;

	if (sscanf(platform, "%63[^/]/%63[^/]/%63s", os, arch, variant) < 2)
		fatal("%s: malformed platform '%s'", what, platform);
	json_array_foreach(json_object_get(index, "manifests"), i, m) {
		const char *v;
		p = json_object_get(m, "platform");
		if (!p)
			continue;
		v = json_string_value(json_object_get(p, "os"));
		if (!v || strcmp(v, os) != 0)
			continue;
		v = json_string_value(json_object_get(p, "architecture"));
		if (!v || strcmp(v, arch) != 0)
			continue;
		v = json_string_value(json_object_get(p, "variant"));
		if (*variant && (!v || strcmp(v, variant) != 0))
			continue;
		return m;
	}
	return NULL;
}
