/*
 * provenance: what an image was built from, as an in-toto statement
 * (https://in-toto.io/Statement/v1) whose predicate is SLSA provenance v1,
 * and the OCI artifact that attaches it to the image's manifest.
 *
 * imagegen provenance SPEC IMAGE RECORD OUT STORE: the statement for the
 * image file IMAGE, from the spec the generator wrote (plan.lua,
 * provenancespec); its bytes go to OUT and into the store, with the
 * artifact manifest (artifactType application/vnd.in-toto+json, an empty
 * config, the statement as its one layer, the image manifest as its
 * subject), which RECORD describes for layout and push, as an SBOM's does.
 *
 * Spec: {name, platform, definition, epoch, options, files: [{path, sha256,
 *   folder}], lock: {path, sha256}, packages: [{name, version,
 *   architecture, sha256, url, origin, codename}], base: {name, file},
 *   commands: [{where, run, image, inputs: [{path, file, folder}]}], arguments:
 *   [{name, value}]}
 * files: the definition file the image is declared in, what it includes
 * and reads (a folder it listed or globbed: the digest of its names, one a
 * line), each hashed when the generator read it; the command inputs are
 * hashed here, when the commands have run (file: where this build has one,
 * path: as the project names it, the same in any build folder).
 *
 * The statement:
 *   subject            the image: its repository:tag and manifest digest
 *   buildDefinition
 *     buildType        BUILDTYPE below
 *     externalParameters  definition, image, platform, arguments, epoch
 *                      (SOURCE_DATE_EPOCH), options (the generator's
 *                      --compression, --format, --max-layers, when given)
 *     internalParameters  commands (where declared, the run text,
 *                      the image a step runs in, its inputs' paths)
 *     resolvedDependencies  the definition files, the lock, the base (its
 *                      manifest digest), the Debian packages (purl, the
 *                      .deb's sha256, where it was downloaded from) and the
 *                      commands' inputs, in that order
 *   runDetails.builder  imagegen and its version
 * Nothing of the build machine or the time: the same inputs give the same
 * bytes in any folder, on any machine, on any day. Nor the backend: ninja,
 * samurai, a generated makefile and the make plugin build the same bytes,
 * the statement included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/json.h"
#include "base/spec.h"
#include "base/store.h"
#include "image/sbom.h"
#include "image/provenance.h"

/* what the statement's buildDefinition follows: the parameters above */
#define BUILDTYPE "urn:imagegen:buildtype:image:v1"
#define BUILDER "urn:imagegen:builder"

static json_t *
sha256of(const char *hex)
{
	return json_pack("{s:s}", "sha256", hex);
}

/* a resolved dependency named by name (and uri) with its sha256 */
static json_t *
dependency(const char *name, const char *uri, const char *hex)
{
	json_t *d = json_object();

	if (!d)
		fatal("out of memory");
	if (uri)
		jsonset(d, "uri", json_string(uri));
	if (name)
		jsonset(d, "name", jsontext(name));
	if (hex)
		jsonset(d, "digest", sha256of(hex));
	return d;
}

static const char *
need(json_t *o, const char *key, const char *specpath)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s)
		fatal("%s: malformed spec: no %s", specpath, key);
	return s;
}

static const char *
hexof(json_t *o, const char *key, const char *specpath)
{
	const char *s = need(o, key, specpath);

	if (strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64)
		fatal("%s: malformed spec: %s is not a sha256", specpath, key);
	return s;
}

/* the base's manifest digest (a base of the graph: its image file; from
   outside: its base file, else its config's digest) */
static const char *
basedigest(json_t *bf, const char *file)
{
	const char *d = json_string_value(json_object_get(json_object_get(bf, "manifest"), "digest"));

	if (!d)
		d = json_string_value(json_object_get(bf, "digest"));
	if (!d)
		d = json_string_value(json_object_get(bf, "configdigest"));
	if (!d || !store_validdigest(d))
		fatal("%s: the base file names no digest", file);
	return d;
}

/* the commands as the statement names them (every name spelt as text),
   their inputs hashed now into deps, each path once */
static json_t *
commandlist(json_t *commands, json_t *deps, const char *specpath)
{
	json_t *c, *in, *seen = json_object(), *out = json_array();
	size_t i, j;
	char hex[65];

	if (!seen || !out)
		fatal("out of memory");
	json_array_foreach(commands, i, c) {
		json_t *cmd = json_object(), *ins = json_array();
		if (!cmd || !ins)
			fatal("out of memory");
		jsonset(cmd, "where", jsontext(need(c, "where", specpath)));
		if (json_string_value(json_object_get(c, "run")))
			jsonset(cmd, "run", jsontext(json_string_value(json_object_get(c, "run"))));
		if (json_string_value(json_object_get(c, "image")))
			jsonset(cmd, "image", jsontext(json_string_value(json_object_get(c, "image"))));
		json_array_foreach(json_object_get(c, "inputs"), j, in) {
			const char *p = need(in, "path", specpath), *file = need(in, "file", specpath);
			int folder = json_is_true(json_object_get(in, "folder"));
			/* the project's path alone: the same in any build folder */
			json_t *text = jsontext(p);
			const char *key = json_string_value(text);
			if (!json_object_get(seen, key) && !folder) {
				if (sha256file(file, hex) < 0)
					fatal("%s: cannot read %s", specpath, file);
				jsonappend(deps, dependency(p, NULL, hex));
			}
			jsonset(seen, key, json_true());
			jsonappend(ins, folder ? json_pack("{s:o, s:b}", "path", text, "folder", 1)
			                       : json_pack("{s:o}", "path", text));
		}
		jsonset(cmd, "inputs", ins);
		jsonappend(out, cmd);
	}
	json_decref(seen);
	return out;
}

static json_t *
statement(json_t *spec, json_t *img, const char *specpath)
{
	json_t *deps = json_array(), *f, *p, *args = json_object(), *a, *base, *commands, *ext, *intl, *st;
	const char *mdigest = json_string_value(json_object_get(json_object_get(img, "manifest"), "digest"));
	const char *repo = json_string_value(json_object_get(img, "repo"));
	const char *ref = json_string_value(json_object_get(img, "ref"));
	char *subject, *purl;
	size_t i;

	if (!deps || !args)
		fatal("out of memory");
	if (!mdigest || !store_validdigest(mdigest))
		fatal("%s: malformed image file", specpath);
	json_array_foreach(json_object_get(spec, "files"), i, f) {
		json_t *d = dependency(need(f, "path", specpath), NULL, hexof(f, "sha256", specpath));
		if (json_is_true(json_object_get(f, "folder")))
			jsonset(d, "annotations", json_pack("{s:s}", "kind", "folder: the names it held"));
		jsonappend(deps, d);
	}
	if ((f = json_object_get(spec, "lock")))
		jsonappend(deps, dependency(need(f, "path", specpath), NULL, hexof(f, "sha256", specpath)));
	if ((base = json_object_get(spec, "base"))) {
		const char *file = need(base, "file", specpath);
		json_t *bf = readjson(file);
		const char *d = basedigest(bf, file);
		json_t *dep = dependency(need(base, "name", specpath), NULL, d + 7);
		jsonset(dep, "annotations", json_pack("{s:s}", "kind", "base image"));
		jsonappend(deps, dep);
		json_decref(bf);
	}
	json_array_foreach(json_object_get(spec, "packages"), i, p) {
		json_t *d;
		purl = sbom_purl(p, specpath);
		d = dependency(need(p, "name", specpath), purl, hexof(p, "sha256", specpath));
		jsonset(d, "downloadLocation", jsontext(need(p, "url", specpath)));
		jsonappend(deps, d);
		free(purl);
	}
	commands = commandlist(json_object_get(spec, "commands"), deps, specpath);
	json_array_foreach(json_object_get(spec, "arguments"), i, a)
		jsonset(args, need(a, "name", specpath), jsontext(need(a, "value", specpath)));

	subject = repo && ref ? xasprintf("%s:%s", repo, ref) : xstrdup(need(spec, "name", specpath));
	ext = json_pack("{s:o, s:s, s:s, s:o, s:I}", "definition", jsontext(need(spec, "definition", specpath)), "image",
	                need(spec, "name", specpath), "platform", need(spec, "platform", specpath), "arguments", args,
	                "epoch", (json_int_t)specint(spec, "epoch", 0));
	if (!ext)
		fatal("out of memory");
	/* --compression, --format, --max-layers as the build was generated with them */
	if (json_is_object(json_object_get(spec, "options")))
		jsonset(ext, "options", json_deep_copy(json_object_get(spec, "options")));
	intl = json_pack("{s:o}", "commands", commands);
	st = json_pack("{s:s, s:[{s:s, s:{s:s}}], s:s, s:{s:{s:s, s:o, s:o, s:o}, s:{s:{s:s, s:{s:s}}}}}",
	               "_type", "https://in-toto.io/Statement/v1",
	               "subject", "name", subject, "digest", "sha256", mdigest + 7,
	               "predicateType", SLSA_PROVENANCE,
	               "predicate", "buildDefinition", "buildType", BUILDTYPE, "externalParameters", ext,
	               "internalParameters", intl, "resolvedDependencies", deps,
	               "runDetails", "builder", "id", BUILDER, "version", "imagegen", VERSION);
	if (!st)
		fatal("out of memory");
	free(subject);
	return st;
}

void
provenance_write(const char *specpath, const char *imagepath, const char *record, const char *out, const char *store)
{
	json_t *spec = readspec(specpath), *img = readjson(imagepath), *st;
	char *text;

	st = statement(spec, img, specpath);
	text = dumpjson(st);
	if (updatefile(out, text, strlen(text)) && makemode)
		printf("  PROVENANCE %s\n", out);

	/* the artifact that attaches the statement to the manifest (OCI image-spec 1.1) */
	sbom_attach(store, img, MT_INTOTO, text, NULL, json_pack("{s:s}", "in-toto.io/predicate-type", SLSA_PROVENANCE),
	            record, need(spec, "platform", specpath));
	free(text);
	json_decref(st);
	json_decref(spec);
	json_decref(img);
}
