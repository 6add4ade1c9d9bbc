/*
 * push: images to a registry (imagegen push, push --image), over the
 * client of registry.c.
 *
 * A push sends each blob the registry lacks (registry_putblob: mounted
 * where another repository of the registry has it, this machine's or the
 * build cache's, else uploaded), so a push that was cut off completes when
 * run again, a second push uploads nothing, and a layer the cache had is
 * neither downloaded nor uploaded. A push reads an OCI layout, or an image file and the build's
 * store (push --image). SBOMs go as referrers, or by the sha256-HEX tag
 * where the registry has no referrers API or the manifest they describe
 * is Docker's (which has no subject, and is read by clients that know the
 * tag alone).
 *
 * Before the registry is spoken to, what the push reads is checked as a
 * base's layout is (oci.c): index.json, the image's index and manifests,
 * each manifest's config (JSON, the config of an image: architecture, os,
 * a diff_id a layer), the SBOMs' manifests, and the blob of every
 * descriptor: a regular file of the size the descriptor gives, whose bytes
 * hash to its digest. A blob the registry has already is never sent, so it
 * is checked here or not at all. Of the build's own store (push --image)
 * the documents are hashed and the other blobs' sizes checked (its helpers
 * verified their bytes when they wrote them), and a blob that a build
 * cache hit left out is the cache's to verify when it fetches it.
 *
 * What a push did goes to stdout: a summary line, or with --json one
 * canonical JSON document:
 *   {"imagegen-push": 1, "reference": the reference pushed to,
 *    "digest", "mediaType", "size": what the tag names (manifest or index),
 *    "manifests": [{"digest", "mediaType", "size", "platform": "os/arch[/variant]",
 *                   "blobs": [{"digest", "size", "status"}]}]   config, then layers,
 *    "sboms": [{"digest", "mediaType", "size", "artifactType", "subject", "blobs"}],
 *    "uploaded", "mounted", "present": the image's blobs counted}
 * status: "uploaded", "mounted" or "present" (REG_*), as registry_putblob
 * says. --digest-file writes the digest the tag names once all is pushed.
 * On a terminal each blob has a progress line (http_progress).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/json.h"
#include "base/store.h"
#include "base/oci.h"
#include "net/http.h"
#include "net/registry.h"
#include "net/auth.h"
#include "net/regclient.h"
#include "image/base.h"
#include "image/layout.h"
#include "image/push.h"
#include "image/sign.h"
#include "image/provenance.h"

/* a push under way: where its blobs come from, and what it did with them */
struct pushing {
	const char *store, *record;
	const struct blobfrom *from;
	/* how many blobs were uploaded, mounted, already there (REG_*) */
	int counts[3];
	/* the image's name in progress lines ("pushing NAME: layer 2/3") */
	const char *name;
};

/* what the report calls REG_PRESENT, REG_MOUNTED, REG_UPLOADED; and the progress line */
static const char *const statusname[] = {"present", "mounted", "uploaded"};
static const char *const statustext[] = {"already there", "mounted", "uploaded"};

/* the most a JSON document of a push may take: index.json, a manifest or
   an index, a config (as images read by diff and inspect) */
enum { MAXDOC = 4 << 20 };

/* what a push reads, being checked: what names it in messages ("push REF:
   LAYOUT"), its blobs, whether their bytes are hashed (a layout's) or their
   sizes alone checked (the build's store), and for push --image the build
   cache, which may have left a blob out of the store */
struct checking {
	char *what;
	const char *store;
	int hash;
	const struct blobfrom *from;
};

/* the blob of a descriptor (checked by oci.c) named what: a regular file of
   its size whose bytes hash to its digest (hash: always when keep, where
   they go); -1 when it is missing and may be (a build cache hit's) */
static int
checkblob(const struct checking *c, json_t *desc, const char *what, int hash, struct buf *keep)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	long long size = json_integer_value(json_object_get(desc, "size"));
	char *path = store_path(c->store, digest), chunk[1 << 16], hex[65];
	struct sha256 *ctx;
	struct stat st;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT && c->from && !keep) {
		free(path);
		return -1;
	}
	if (fd < 0)
		fatal("%s: %s: blob %s:", c->what, what, digest);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		fatal("%s: %s: blob %s is not a regular file", c->what, what, digest);
	if (st.st_size != size)
		fatal("%s: %s: blob %s has %lld bytes, its descriptor says %lld", c->what, what, digest,
		      (long long)st.st_size, size);
	if (hash || keep) {
		ctx = sha256new();
		while ((r = read(fd, chunk, sizeof(chunk))) > 0) {
			sha256add(ctx, chunk, (size_t)r);
			if (keep)
				bufadd(keep, chunk, (size_t)r);
		}
		if (r < 0)
			fatal("%s: %s: blob %s:", c->what, what, digest);
		sha256done(ctx, hex);
		if (strcmp(hex, digest + 7) != 0)
			fatal("%s: %s: blob %s does not match its digest", c->what, what, digest);
	}
	close(fd);
	free(path);
	return 0;
}

/* the JSON document a descriptor (checked by oci.c) names: its blob as
   checkblob checks it, at most MAXDOC bytes (a config that a build cache
   hit left out of the store is fetched first) */
static json_t *
readdoc(const struct checking *c, json_t *desc, const char *what)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	char *path = store_path(c->store, digest);
	struct buf data = {0};
	json_t *j;

	if (json_integer_value(json_object_get(desc, "size")) > MAXDOC)
		fatal("%s: %s: blob %s is larger than %d bytes, the most a document may have", c->what, what, digest,
		      MAXDOC);
	if (c->from && c->from->fill && access(path, F_OK) < 0 && errno == ENOENT &&
	    c->from->fill(c->store, digest) < 0)
		fatal("%s: %s: blob %s is missing", c->what, what, digest);
	free(path);
	checkblob(c, desc, what, 1, &data);
	j = json_loadb(data.data ? data.data : "", data.len, 0, NULL);
	free(data.data);
	if (!json_is_object(j))
		fatal("%s: %s: blob %s is not a JSON object", c->what, what, digest);
	return j;
}

/* an image manifest of the push, by its descriptor, and its config and layers */
static void
checkmanifest(const struct checking *c, json_t *desc, const char *what)
{
	json_t *m = readdoc(c, desc, what), *config, *diffids, *l, *mt = json_object_get(m, "mediaType");
	char why[256], lwhat[64];
	size_t i;

	if (oci_checkmanifest(m, why, sizeof(why)) < 0)
		fatal("%s: %s: %s", c->what, what, why);
	if (mt && !json_equal(mt, json_object_get(desc, "mediaType")))
		fatal("%s: %s: the manifest's mediaType is not its descriptor's", c->what, what);
	config = readdoc(c, json_object_get(m, "config"), "the manifest's config");
	if (oci_checkconfig(config, json_array_size(json_object_get(m, "layers")), why, sizeof(why)) < 0)
		fatal("%s: config %s: %s", c->what, json_string_value(json_object_get(json_object_get(m, "config"),
		      "digest")), why);
	diffids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	json_array_foreach(json_object_get(m, "layers"), i, l) {
		snprintf(lwhat, sizeof(lwhat), "the manifest's layers[%zu]", i);
		checkblob(c, l, lwhat, c->hash, NULL);
		if (strcmp(oci_mediatype(json_string_value(json_object_get(l, "mediaType"))), MT_LAYER) == 0 &&
		    !json_equal(json_object_get(l, "digest"), json_array_get(diffids, i)))
			fatal("%s: %s: the uncompressed layer does not match its diff_id", c->what, lwhat);
	}
	json_decref(config);
	json_decref(m);
}

/* an artifact of the push (an SBOM), by its descriptor in index.json */
static void
checkartifact(const struct checking *c, json_t *desc, const char *what)
{
	json_t *m = readdoc(c, desc, what), *l;
	const char *subject = json_string_value(json_object_get(json_object_get(m, "subject"), "digest"));
	char why[256], lwhat[64];
	size_t i;

	if (!subject || !store_validdigest(subject))
		fatal("%s: %s: the artifact has no subject", c->what, what);
	if (oci_checkdescriptor(json_object_get(m, "config"), "the artifact's config", why, sizeof(why)) < 0)
		fatal("%s: %s: %s", c->what, what, why);
	checkblob(c, json_object_get(m, "config"), "the artifact's config", 1, NULL);
	if (!json_is_array(json_object_get(m, "layers")))
		fatal("%s: %s: the artifact has no layers list", c->what, what);
	json_array_foreach(json_object_get(m, "layers"), i, l) {
		snprintf(lwhat, sizeof(lwhat), "the artifact's layers[%zu]", i);
		if (oci_checkdescriptor(l, lwhat, why, sizeof(why)) < 0)
			fatal("%s: %s: %s", c->what, what, why);
		checkblob(c, l, lwhat, 1, NULL);
	}
	json_decref(m);
}

/* what push sends of index (the image, then its artifacts), checked;
   exits with one line if anything is wrong */
static void
checkpush(const struct checking *c, json_t *index)
{
	json_t *desc, *idx, *d;
	char why[256], what[64];
	size_t i;

	if (oci_checkindex(index, why, sizeof(why)) < 0)
		fatal("%s: %s", c->what, why);
	if (json_array_size(json_object_get(index, "manifests")) < 1)
		fatal("%s: names no manifest", c->what);
	desc = json_array_get(json_object_get(index, "manifests"), 0);
	if (!oci_isindex(json_string_value(json_object_get(desc, "mediaType")))) {
		checkmanifest(c, desc, "the image's manifest");
	} else {
		idx = readdoc(c, desc, "the image's index");
		if (oci_checkindex(idx, why, sizeof(why)) < 0)
			fatal("%s: the image's index: %s", c->what, why);
		json_array_foreach(json_object_get(idx, "manifests"), i, d) {
			snprintf(what, sizeof(what), "the image's index's manifests[%zu]", i);
			checkmanifest(c, d, what);
		}
		json_decref(idx);
	}
	json_array_foreach(json_object_get(index, "manifests"), i, d) {
		if (i == 0 || !json_is_string(json_object_get(d, "artifactType")))
			continue;
		snprintf(what, sizeof(what), "index.json's manifests[%zu]", i);
		checkartifact(c, d, what);
	}
}

/* make sure the registry has a blob (what it is, in the progress line:
   "layer 2/3"), count how, and add {digest, size, status} to list */
static int
pushblob(struct client *cl, struct pushing *p, const char *digest, long long size, const char *what, json_t *list)
{
	char *label = xasprintf("pushing %s: %s", p->name, what);
	int had;

	cl->progress = label;
	http_progress(label, 0, size, NULL);
	had = registry_putblob(cl, p->store, digest, size, p->record, p->from);
	cl->progress = NULL;
	if (had >= 0) {
		http_progress(label, size, size, statustext[had]);
		p->counts[had]++;
		jsonappend(list, json_pack("{s:s, s:I, s:s}", "digest", digest, "size", (json_int_t)size, "status",
		                           statusname[had]));
	}
	free(label);
	return had < 0 ? -1 : 0;
}

/* a descriptor's platform, "os/arch[/variant]", or NULL */
static json_t *
platformof(json_t *desc)
{
	json_t *pl = json_object_get(desc, "platform");
	const char *os = json_string_value(json_object_get(pl, "os"));
	const char *arch = json_string_value(json_object_get(pl, "architecture"));
	const char *variant = json_string_value(json_object_get(pl, "variant"));

	if (!os || !arch)
		return NULL;
	return variant && *variant ? json_sprintf("%s/%s/%s", os, arch, variant) : json_sprintf("%s/%s", os, arch);
}

/* the JSON blob digest of the layout's store, verified: into data, parsed */
static json_t *
readblob(struct client *cl, const char *store, const char *digest, struct buf *data)
{
	char *path = store_path(store, digest), check[72];
	json_t *j;

	data->len = 0;
	if (readall(path, data) < 0)
		fatal("%s: %s:", cl->what, path);
	free(path);
	memcpy(check, "sha256:", 7);
	sha256hex(data->data ? data->data : "", data->len, check + 7);
	if (strcmp(check, digest) != 0) {
		reg_fail(cl, "blob %s of the layout does not match its digest", digest);
		return NULL;
	}
	j = json_loadb(data->data ? data->data : "", data->len, 0, NULL);
	if (!j)
		reg_fail(cl, "blob %s of the layout is not JSON", digest);
	return j;
}

/* push one image manifest of the layout (its descriptor desc, which
   platform: a prefix of its progress lines, "" for the only one), its
   blobs first, as reference; its report appended to report */
static int
pushmanifest(struct client *cl, struct pushing *p, json_t *desc, const char *which, const char *reference,
             json_t *report)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	struct buf data = {0};
	json_t *m, *l, *rec, *pl, *blobs = json_array();
	char why[256], what[320];
	size_t i, n;
	int ret = -1;

	m = readblob(cl, p->store, digest, &data);
	if (!m)
		goto out;
	if (oci_checkmanifest(m, why, sizeof(why)) < 0) {
		reg_fail(cl, "manifest %s: %s", digest, why);
		goto out;
	}
	if (!blobs)
		fatal("out of memory");
	snprintf(what, sizeof(what), "%sconfig", which);
	if (pushblob(cl, p, json_string_value(json_object_get(json_object_get(m, "config"), "digest")),
	             json_integer_value(json_object_get(json_object_get(m, "config"), "size")), what, blobs) < 0)
		goto out;
	n = json_array_size(json_object_get(m, "layers"));
	json_array_foreach(json_object_get(m, "layers"), i, l) {
		snprintf(what, sizeof(what), "%slayer %zu/%zu", which, i + 1, n);
		if (pushblob(cl, p, json_string_value(json_object_get(l, "digest")),
		             json_integer_value(json_object_get(l, "size")), what, blobs) < 0)
			goto out;
	}
	ret = registry_putmanifest(cl, data.data, data.len, mt, reference, NULL);
	if (ret == 0) {
		rec = json_pack("{s:s, s:s, s:I, s:O}", "digest", digest, "mediaType", mt, "size", (json_int_t)data.len,
		                "blobs", blobs);
		if (!rec)
			fatal("out of memory");
		if ((pl = platformof(desc)))
			jsonset(rec, "platform", pl);
		jsonappend(report, rec);
	}
out:
	json_decref(blobs);
	json_decref(m);
	free(data.data);
	return ret;
}

/* the referrers tag schema's index of subject (sha256-HEX) with desc in it */
static int
tagreferrer(struct client *cl, const char *subject, json_t *desc)
{
	static const char *const accept[] = {"Accept: " MT_INDEX, NULL};
	struct httpreq req = {0};
	struct httpres res;
	struct buf data = {0};
	json_t *idx = NULL, *m;
	char *tag = xasprintf("sha256-%s", subject + 7), *url = reg_apiurl(cl, "%s/manifests/%s", tag), *text;
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	size_t i;
	int ret = -1, have = 0;

	http_init(&res);
	req.method = "GET";
	req.url = url;
	req.headers = accept;
	if (reg_request(cl, &req, &res, "get the referrers index") < 0)
		goto out;
	if (res.status == 200)
		idx = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
	if (idx && oci_checkindex(idx, cl->err, sizeof(cl->err)) < 0) {
		json_decref(idx);
		idx = NULL;
	}
	if (!idx)
		idx = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", MT_INDEX, "manifests");
	if (!idx)
		fatal("out of memory");
	json_array_foreach(json_object_get(idx, "manifests"), i, m)
		have |= strcmp(json_string_value(json_object_get(m, "digest")), digest) == 0;
	if (!have && json_array_append(json_object_get(idx, "manifests"), desc) < 0)
		fatal("out of memory");
	text = dumpjson(idx);
	bufstr(&data, text);
	free(text);
	ret = have ? 0 : registry_putmanifest(cl, data.data, data.len, MT_INDEX, tag, NULL);
out:
	json_decref(idx);
	http_free(&res);
	free(data.data);
	free(url);
	free(tag);
	return ret;
}

/* push an artifact of the layout (an SBOM) that refers to a manifest
   pushed already: its blobs, the manifest by digest, and, where the
   registry does not keep referrers itself, the referrers tag's index; its
   report appended to report */
static int
pushartifact(struct client *cl, struct pushing *p, json_t *desc, json_t *report)
{
	struct buf data = {0};
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	const char *subject, *smt;
	json_t *m, *l, *ref, *blobs = json_array();
	size_t i;
	int ret = -1, indexed = 0;

	m = readblob(cl, p->store, digest, &data);
	if (!m)
		goto out;
	subject = json_string_value(json_object_get(json_object_get(m, "subject"), "digest"));
	if (!subject || !store_validdigest(subject) ||
	    oci_checkdescriptor(json_object_get(m, "config"), "the artifact's config", cl->err, sizeof(cl->err)) < 0) {
		reg_fail(cl, "artifact %s: no subject or config", digest);
		goto out;
	}
	if (!blobs)
		fatal("out of memory");
	if (pushblob(cl, p, json_string_value(json_object_get(json_object_get(m, "config"), "digest")),
	             json_integer_value(json_object_get(json_object_get(m, "config"), "size")), "SBOM config",
	             blobs) < 0)
		goto out;
	json_array_foreach(json_object_get(m, "layers"), i, l) {
		if (oci_checkdescriptor(l, "an artifact's layer", cl->err, sizeof(cl->err)) < 0 ||
		    pushblob(cl, p, json_string_value(json_object_get(l, "digest")),
		             json_integer_value(json_object_get(l, "size")), "SBOM document", blobs) < 0)
			goto out;
	}
	if (registry_putmanifest(cl, data.data, data.len, mt, digest, &indexed) < 0)
		goto out;
	ref = json_pack("{s:s, s:s, s:I, s:O}", "mediaType", mt, "digest", digest, "size", (json_int_t)data.len,
	                "artifactType", json_object_get(m, "artifactType"));
	if (!ref)
		fatal("out of memory");
	/* a Docker manifest has no subject: clients that read it know the tag alone */
	smt = json_string_value(json_object_get(json_object_get(m, "subject"), "mediaType"));
	if (smt && strcmp(oci_mediatype(smt), smt) != 0)
		indexed = 0;
	ret = indexed ? 0 : tagreferrer(cl, subject, ref);
	json_decref(ref);
	/* a signature: where cosign looks for it too */
	if (ret == 0 && strcmp(json_string_value(json_object_get(m, "artifactType")) ? json_string_value(
	                           json_object_get(m, "artifactType")) : "", MT_COSIGN_SIG) == 0) {
		char *tag = sign_tag(subject);
		ret = registry_putmanifest(cl, data.data, data.len, mt, tag, NULL);
		free(tag);
	}
	if (ret == 0)
		jsonappend(report, json_pack("{s:s, s:s, s:I, s:O, s:s, s:O}", "digest", digest, "mediaType", mt, "size",
		                             (json_int_t)data.len, "artifactType", json_object_get(m, "artifactType"),
		                             "subject", subject, "blobs", blobs));
out:
	json_decref(blobs);
	json_decref(m);
	free(data.data);
	return ret;
}

/* what the artifacts of a push's report are: "1 SBOM, 1 provenance, 1 signature" */
static const char *
attached(json_t *report)
{
	static const char *const types[][2] = {{MT_SPDX, "SBOM"}, {MT_INTOTO, "provenance"}, {MT_COSIGN_SIG, "signature"}};
	static char text[256];
	size_t i, t, n, len = 0;
	json_t *a;

	text[0] = '\0';
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		n = 0;
		json_array_foreach(report, i, a) {
			const char *at = json_string_value(json_object_get(a, "artifactType"));
			n += at && strcmp(at, types[t][0]) == 0;
		}
		if (n > 0 && len < sizeof(text))
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%zu %s", len ? ", " : "", n, types[t][1]);
	}
	return text;
}

/* sign the manifest (or index) mdesc pushed to cl's repository by s, adding to the signatures it has there: the
   signature artifact pushed as a referrer and under cosign's tag */
static int
pushsignature(struct client *cl, struct pushing *p, json_t *mdesc, json_t *report, const struct signer *s)
{
	const char *tmpdir = getenv("TMPDIR");
	char *dir = xasprintf("%s/imagegen-sign.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	char *store, *repo = xasprintf("%s/%s", cl->r.host, cl->r.repo);
	char *tag = sign_tag(json_string_value(json_object_get(mdesc, "digest")));
	struct pushing sp = *p;
	struct buf old = {0};
	json_t *oldm = NULL, *desc;
	int ret;

	if (!mkdtemp(dir))
		fatal("%s: %s", dir, strerror(errno));
	store = xasprintf("%s/blobs", dir);
	ret = registry_gettag(cl, tag, &old);
	if (ret < 0)
		goto out;
	if (ret == 1 && !(oldm = json_loadb(old.data, old.len, JSON_REJECT_DUPLICATES, NULL)))
		ret = reg_fail(cl, "%s: not JSON", tag);
	else {
		desc = sign_artifact(store, mdesc, repo, s, oldm);
		sp.store = store;
		ret = pushartifact(cl, &sp, desc, report);
		json_decref(desc);
	}
out:
	removetree(dir);
	json_decref(oldm);
	free(old.data);
	free(tag);
	free(repo);
	free(store);
	free(dir);
	return ret < 0 ? -1 : 0;
}

/* push the image an index.json names (what names it) with the blobs p
   gives (a manifest, or an index and each of its manifests by digest
   first), then the artifacts that refer to it; what it did to out: a
   summary line on stdout, or the report (see the top of the file) */
static int
push(struct client *cl, json_t *index, const char *what, struct pushing *p, const char *ref,
     const struct pushout *out)
{
	/* the artifacts' blobs, counted apart from the image's */
	struct pushing art = *p;
	struct buf data = {0};
	json_t *mdesc, *idx = NULL, *d, *manifests = json_array(), *sboms = json_array(), *doc;
	const char *mdigest, *mt, *tag;
	char why[256], which[256], *text;
	struct signer signer;
	size_t i, n;
	long long size;
	int ret = -1, signing;

	if (cl->r.digest)
		return reg_fail(cl, "push to a tag, not a digest");
	tag = cl->r.tag ? cl->r.tag : "latest";
	if (oci_checkindex(index, why, sizeof(why)) < 0 || json_array_size(json_object_get(index, "manifests")) < 1) {
		reg_fail(cl, "%s names no manifest", what);
		goto out;
	}
	if (!manifests || !sboms)
		fatal("out of memory");
	mdesc = json_array_get(json_object_get(index, "manifests"), 0);
	mdigest = json_string_value(json_object_get(mdesc, "digest"));
	mt = json_string_value(json_object_get(mdesc, "mediaType"));
	size = json_integer_value(json_object_get(mdesc, "size"));
	if (!oci_isindex(mt)) {
		if (pushmanifest(cl, p, mdesc, "", tag, manifests) < 0)
			goto out;
	} else {
		idx = readblob(cl, p->store, mdigest, &data);
		if (!idx)
			goto out;
		if (oci_checkindex(idx, why, sizeof(why)) < 0) {
			reg_fail(cl, "%s: %s", what, why);
			goto out;
		}
		n = json_array_size(json_object_get(idx, "manifests"));
		json_array_foreach(json_object_get(idx, "manifests"), i, d) {
			json_t *pl = platformof(d);
			snprintf(which, sizeof(which), "%s ", pl ? json_string_value(pl) : "");
			if (!pl)
				snprintf(which, sizeof(which), "manifest %zu/%zu ", i + 1, n);
			json_decref(pl);
			if (pushmanifest(cl, p, d, which, json_string_value(json_object_get(d, "digest")), manifests) < 0)
				goto out;
		}
		if (registry_putmanifest(cl, data.data, data.len, mt, tag, NULL) < 0)
			goto out;
		size = (long long)data.len;
	}
	/* the artifacts: every other descriptor of index.json with an artifactType */
	json_array_foreach(json_object_get(index, "manifests"), i, d) {
		if (i == 0 || !json_is_string(json_object_get(d, "artifactType")))
			continue;
		if (pushartifact(cl, &art, d, sboms) < 0)
			goto out;
	}
	signing = !out->source && sign_fromenv(&signer);
	if (signing) {
		json_t *top = json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", mdigest, "size", (json_int_t)size);
		if (!top)
			fatal("out of memory");
		ret = pushsignature(cl, &art, top, sboms, &signer);
		json_decref(top);
		if (ret < 0)
			goto out;
		ret = -1;
	}
	http_progressend();
	if (out->digestfile) {
		text = xasprintf("%s\n", mdigest);
		xreplacefile(out->digestfile, text, strlen(text));
		free(text);
	}
	if (out->json) {
		doc = json_pack("{s:i, s:s, s:s, s:s, s:I, s:O, s:O, s:i, s:i, s:i}",
		                out->source ? "imagegen-copy" : "imagegen-push", 1, "reference", ref,
		                "digest", mdigest, "mediaType", mt, "size", (json_int_t)size, "manifests", manifests,
		                "sboms", sboms, "uploaded", p->counts[REG_UPLOADED], "mounted", p->counts[REG_MOUNTED],
		                "present", p->counts[REG_PRESENT]);
		if (!doc)
			fatal("out of memory");
		if (out->source)
			jsonset(doc, "source", json_string(out->source));
		text = dumpjson(doc);
		puts(text);
		free(text);
		json_decref(doc);
	} else {
		if (out->source)
			printf("copy %s %s: %s, %d blob(s) uploaded, %d mounted, %d already there", out->source, ref,
			       mdigest, p->counts[REG_UPLOADED], p->counts[REG_MOUNTED], p->counts[REG_PRESENT]);
		else
			printf("push %s: %s, %d blob(s) uploaded, %d mounted, %d already there", ref, mdigest,
			       p->counts[REG_UPLOADED], p->counts[REG_MOUNTED], p->counts[REG_PRESENT]);
		if (json_array_size(sboms) > 0 && out->source)
			printf(", %zu referrer(s) copied (%s)", json_array_size(sboms), attached(sboms));
		else if (json_array_size(sboms) > 0)
			printf(", attached: %s", attached(sboms));
		printf("\n");
	}
	ret = 0;
out:
	http_progressend();
	json_decref(manifests);
	json_decref(sboms);
	json_decref(idx);
	free(data.data);
	return ret;
}

/* the name of an image in progress lines: the last part of path, without
   ext (free it) */
static char *
shortname(const char *path, const char *ext)
{
	size_t n = strlen(path), e = strlen(ext), start;

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n > e && strncmp(path + n - e, ext, e) == 0)
		n -= e;
	for (start = n; start > 0 && path[start - 1] != '/'; start--)
		;
	return xasprintf("%.*s", (int)(n - start), path + start);
}

/* a --digest-file that could not be written once the image is pushed: said before */
static void
checkout(const char *what, const struct pushout *out)
{
	struct stat st;

	if (out->digestfile && stat(out->digestfile, &st) == 0 && S_ISDIR(st.st_mode))
		fatal("%s: --digest-file %s is a folder", what, out->digestfile);
}

void
push_layout(const char *layout, const char *ref, const char *record, const struct pushout *out)
{
	struct client cl;
	char *what = xasprintf("push %s", ref), *path = xasprintf("%s/index.json", layout);
	char *store = xasprintf("%s/blobs", layout), *name = shortname(layout, "");
	struct pushing p = {store, record, NULL, {0, 0, 0}, name};
	struct checking c = {NULL, store, 1, NULL};
	struct stat st;
	json_t *index;

	checkout(what, out);
	c.what = xasprintf("%s: %s", what, layout);
	if (stat(path, &st) < 0)
		fatal("%s: index.json:", c.what);
	if (!S_ISREG(st.st_mode) || st.st_size > MAXDOC)
		fatal("%s: index.json is not a regular file of at most %d bytes", c.what, MAXDOC);
	index = readjson(path);
	checkpush(&c, index);
	if (reg_init(&cl, ref, what, "pull,push") < 0 || push(&cl, index, path, &p, ref, out) < 0)
		fatal("%s", cl.err);
	json_decref(index);
	reg_free(&cl);
	free(c.what);
	free(name);
	free(store);
	free(path);
	free(what);
}

void
push_image(const char *image, const char *store, char *const records[], int nrecords, const char *ref,
           const char *record, const struct blobfrom *from, const struct pushout *out)
{
	char *name = shortname(image, ".json");
	struct pushing p = {store, record, from, {0, 0, 0}, name};
	struct client cl;
	char *what = xasprintf("push %s", ref);
	struct checking c = {NULL, store, 0, from};
	json_t *index;

	checkout(what, out);
	index = layout_index(image, records, nrecords);
	c.what = xasprintf("%s: %s", what, image);
	checkpush(&c, index);
	if (reg_init(&cl, ref, what, "pull,push") < 0 || push(&cl, index, image, &p, ref, out) < 0)
		fatal("%s", cl.err);
	json_decref(index);
	reg_free(&cl);
	free(c.what);
	free(name);
	free(what);
}

void
push_sign(const char *ref, const struct signer *s)
{
	static const char *const accept[] = {"Accept: " MT_MANIFEST ", " MT_INDEX ", " MT_DOCKER_MANIFEST ", "
	                                     MT_DOCKER_LIST, NULL};
	char *what = xasprintf("sign %s", ref), *url, hex[65], digest[72];
	struct pushing p = {NULL, NULL, NULL, {0, 0, 0}, NULL};
	struct httpreq req = {0};
	struct httpres res;
	struct client cl;
	json_t *m = NULL, *desc, *report = json_array();
	const char *mt;

	if (!report)
		fatal("out of memory");
	if (reg_init(&cl, ref, what, "pull,push") < 0)
		fatal("%s", cl.err);
	url = reg_apiurl(&cl, "%s/manifests/%s", reg_refname(&cl.r));
	http_init(&res);
	req.method = "GET";
	req.url = url;
	req.headers = accept;
	if (reg_request(&cl, &req, &res, "get the manifest") < 0)
		fatal("%s", cl.err);
	if (res.status != 200)
		fatal("%s: the registry has no such image (HTTP %ld)", what, res.status);
	if (res.body.len > MAXDOC)
		fatal("%s: the manifest is larger than %d bytes", what, MAXDOC);
	m = json_loadb(res.body.data ? res.body.data : "", res.body.len, JSON_REJECT_DUPLICATES, NULL);
	mt = json_string_value(json_object_get(m, "mediaType"));
	if (!mt)
		fatal("%s: the manifest is not JSON with a mediaType", what);
	sha256hex(res.body.data, res.body.len, hex);
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	if (cl.r.digest && strcmp(cl.r.digest, digest) != 0)
		fatal("%s: the registry sent a manifest of another digest (%s)", what, digest);
	desc = json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t)res.body.len);
	if (!desc)
		fatal("out of memory");
	if (pushsignature(&cl, &p, desc, report, s) < 0)
		fatal("%s", cl.err);
	printf("signed %s@%s\n", ref, digest);
	json_decref(desc);
	json_decref(report);
	json_decref(m);
	http_free(&res);
	free(url);
	reg_free(&cl);
	free(what);
}

void
push_index(json_t *index, const char *store, const char *what, int hash, const char *ref, const char *record,
           const struct blobfrom *from, const struct pushout *out)
{
	char *name = shortname(ref, ""), *pwhat = xasprintf("%s", what);
	struct pushing p = {store, record, from, {0, 0, 0}, name};
	struct checking c = {pwhat, store, hash, from};
	struct client cl;

	checkout(what, out);
	checkpush(&c, index);
	if (reg_init(&cl, ref, what, "pull,push") < 0 || push(&cl, index, what, &p, ref, out) < 0)
		fatal("%s", cl.err);
	reg_free(&cl);
	free(pwhat);
	free(name);
}
