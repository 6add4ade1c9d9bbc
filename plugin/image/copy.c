/*
 * copy: an image and the artifacts that refer to it (its SBOMs, and any
 * other referrer) from an OCI layout or a registry to another
 * (imagegen copy SRC DST).
 *
 * The source is read into the shape of an imagegen layout's index.json:
 * the image's descriptor first (its manifest, or its index of platforms),
 * then one descriptor for each artifact whose subject is that digest or
 * one of the index's manifests. Of a layout (DIR, DIR:TAG or DIR@DIGEST)
 * those are its entries; of a registry (HOST/REPOSITORY[:TAG][@DIGEST])
 * the manifests come into the download folder's blobs, verified, and the
 * referrers are asked of the referrers API and of the referrers tag
 * (sha256-<hex>), both, since a registry may keep either. A registry's
 * configs and layers come down only when the destination needs them: a
 * destination on the same registry mounts them from the source's
 * repository, one that has them already gets none.
 *
 * The destination is a registry (push.c sends the document as it sends a
 * layout: blobs the registry lacks, mounts, referrers or the referrers
 * tag) or a layout DIR[:TAG] (default: the source's tag, else latest):
 * blobs linked or copied into DIR/blobs, each verified, and index.json
 * written last, holding the image and its referrers. A layout that holds
 * another tag is refused rather than rewritten. The digests are the
 * source's: no document is rewritten.
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
#include "base/env.h"
#include "base/json.h"
#include "base/store.h"
#include "base/oci.h"
#include "net/http.h"
#include "net/registry.h"
#include "net/auth.h"
#include "net/regclient.h"
#include "image/push.h"
#include "image/copy.h"

#define LAYOUT "{\"imageLayoutVersion\":\"1.0.0\"}"
#define REFNAME "org.opencontainers.image.ref.name"
#define CTRNAME "io.containerd.image.name"

/* the most a document (index.json, a manifest, an index) may take */
enum { MAXDOC = 4 << 20 };

/* the source of a copy, read */
struct source {
	/* "copy SRC DST", for messages */
	const char *what;
	/* where its blobs are: a layout's DIR/blobs, or the download folder's */
	char *store;
	/* the image's descriptor, then the artifacts' (an index.json's manifests) */
	json_t *manifests;
	/* its tag, or NULL */
	char *tag;
	/* a registry's: the client, and the size of each blob not fetched yet */
	int remote;
	struct client cl;
	json_t *sizes;
};

/* the registry source whose blobs push.c and the layout writer ask for */
static struct source *filling;

/* whether name starts with a registry host: a name with a '.' or ':', or
   localhost, before its first '/' (as docker takes it), and is no path */
static int
registryname(const char *name)
{
	const char *slash = strchr(name, '/');
	size_t n = slash ? (size_t)(slash - name) : 0;

	if (n == 0 || name[0] == '.')
		return 0;
	return memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && strncmp(name, "localhost", 9) == 0);
}

/* whether path is a folder */
static int
isdir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* a tag as the distribution spec spells one */
static int
validtag(const char *t)
{
	size_t i, n = strlen(t);

	if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", t[i]))
			return 0;
	}
	return 1;
}

/* split a layout name: DIR, DIR:TAG or DIR@DIGEST (the whole name when it
   is a folder); the folder to *dir, the rest to *tag or *digest (free them) */
static void
layoutname(const char *what, const char *name, char **dir, char **tag, char **digest)
{
	const char *at = strrchr(name, '@'), *colon = strrchr(name, ':'), *slash = strrchr(name, '/');

	*tag = *digest = NULL;
	if (isdir(name) || ((!at || (slash && at < slash)) && (!colon || (slash && colon < slash)))) {
		*dir = xstrdup(name);
		return;
	}
	if (at && (!slash || at > slash)) {
		*dir = xasprintf("%.*s", (int)(at - name), name);
		*digest = xstrdup(at + 1);
		if (!store_validdigest(*digest))
			fatal("%s: '%s' is not a sha256 digest", what, *digest);
		return;
	}
	*dir = xasprintf("%.*s", (int)(colon - name), name);
	*tag = xstrdup(colon + 1);
	if (!validtag(*tag))
		fatal("%s: '%s' is not a tag (letters, digits, '_', '.', '-')", what, *tag);
}

/* a JSON document of the store, verified against its digest, at most
   MAXDOC bytes (what names it in messages) */
static json_t *
storedoc(struct source *s, const char *digest, const char *what)
{
	char *path = store_path(s->store, digest), hex[65];
	struct buf data = {0};
	struct stat st;
	json_t *j;

	if (stat(path, &st) < 0)
		fatal("%s: %s: blob %s:", s->what, what, digest);
	if (!S_ISREG(st.st_mode) || st.st_size > MAXDOC)
		fatal("%s: %s: blob %s is not a regular file of at most %d bytes", s->what, what, digest, MAXDOC);
	if (readall(path, &data) < 0)
		fatal("%s: %s: blob %s:", s->what, what, digest);
	sha256hex(data.data ? data.data : "", data.len, hex);
	if (strcmp(hex, digest + 7) != 0)
		fatal("%s: %s: blob %s does not match its digest", s->what, what, digest);
	j = json_loadb(data.data ? data.data : "", data.len, 0, NULL);
	if (!json_is_object(j))
		fatal("%s: %s: blob %s is not a JSON object", s->what, what, digest);
	free(data.data);
	free(path);
	return j;
}

/* the digests of the image descriptor desc names: itself and, for an
   index, each of its manifests (the subjects its referrers may name) */
static json_t *
subjects(struct source *s, json_t *desc)
{
	json_t *list = json_array(), *idx, *d;
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	char why[256];
	size_t i;

	if (!list)
		fatal("out of memory");
	jsonappend(list, json_string(digest));
	if (!oci_isindex(json_string_value(json_object_get(desc, "mediaType"))))
		return list;
	idx = storedoc(s, digest, "the image's index");
	if (oci_checkindex(idx, why, sizeof(why)) < 0)
		fatal("%s: the image's index: %s", s->what, why);
	json_array_foreach(json_object_get(idx, "manifests"), i, d)
		jsonappend(list, json_incref(json_object_get(d, "digest")));
	json_decref(idx);
	return list;
}

/* whether list (of JSON strings) holds s */
static int
holds(json_t *list, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		if (s && strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

/* the image of a layout (its tag or digest as name says) and its artifacts */
static void
fromlayout(struct source *s, const char *name)
{
	char *dir, *tag, *digest, *path, why[256];
	json_t *index, *m, *image = NULL, *subj, *art;
	const char *ref, *first = NULL;
	struct stat st;
	size_t i;

	layoutname(s->what, name, &dir, &tag, &digest);
	path = xasprintf("%s/index.json", dir);
	if (stat(path, &st) < 0 && errno == ENOENT && !isdir(dir))
		fatal("%s: %s: no such OCI layout, and not a registry reference (HOST/REPOSITORY[:TAG])", s->what, dir);
	if (stat(path, &st) < 0)
		fatal("%s: %s: no OCI layout (index.json:%s)", s->what, dir, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size > MAXDOC)
		fatal("%s: %s: index.json is not a regular file of at most %d bytes", s->what, dir, MAXDOC);
	index = readjson(path);
	if (oci_checkindex(index, why, sizeof(why)) < 0)
		fatal("%s: %s: index.json: %s", s->what, dir, why);
	s->store = xasprintf("%s/blobs", dir);
	json_array_foreach(json_object_get(index, "manifests"), i, m) {
		ref = json_string_value(json_object_get(json_object_get(m, "annotations"), REFNAME));
		if (json_object_get(m, "artifactType"))
			continue;
		if (tag ? !ref || strcmp(ref, tag) != 0 :
		    digest && strcmp(json_string_value(json_object_get(m, "digest")), digest) != 0)
			continue;
		if (image && !tag && !digest)
			fatal("%s: %s holds the images '%s' and '%s': name one as %s:TAG", s->what, dir,
			      first ? first : "(untagged)", ref ? ref : "(untagged)", dir);
		if (!image) {
			image = m;
			first = ref;
		}
	}
	if (!image)
		fatal("%s: %s: %s", s->what, dir, tag ? "no image with that tag" : digest ? "no image with that digest" :
		      "index.json lists no image");
	s->tag = first ? xstrdup(first) : NULL;
	jsonappend(s->manifests, json_deep_copy(image));
	subj = subjects(s, image);
	json_array_foreach(json_object_get(index, "manifests"), i, m) {
		if (!json_is_string(json_object_get(m, "artifactType")))
			continue;
		art = storedoc(s, json_string_value(json_object_get(m, "digest")), "an artifact");
		if (holds(subj, json_string_value(json_object_get(json_object_get(art, "subject"), "digest"))))
			jsonappend(s->manifests, json_deep_copy(m));
		json_decref(art);
	}
	json_decref(subj);
	json_decref(index);
	free(path);
	free(dir);
	free(tag);
	free(digest);
}

/* GET the manifest or index which names (a tag or digest) into the store,
   its digest to digest (want, when not NULL, is the one it must have), its
   media type to mt; the document, or NULL with why in cl->err */
static json_t *
getdoc(struct client *cl, const char *store, const char *which, const char *want, char digest[72], char mt[256])
{
	static const char *const accept[] = {"Accept: " MT_INDEX ", " MT_MANIFEST ", " MT_DOCKER_LIST ", "
	                                     MT_DOCKER_MANIFEST, NULL};
	struct httpreq req = {0};
	struct httpres res;
	char *url = reg_apiurl(cl, "%s/manifests/%s", which), *doing = xasprintf("get manifest %s", which);
	const char *t;
	json_t *m = NULL;

	http_init(&res);
	req.method = "GET";
	req.url = url;
	req.headers = accept;
	req.maxbody = MAXDOC;
	if (reg_request(cl, &req, &res, doing) < 0)
		goto out;
	if (res.status != 200) {
		reg_refused(cl, res.status, doing);
		goto out;
	}
	memcpy(digest, "sha256:", 7);
	sha256hex(res.body.data ? res.body.data : "", res.body.len, digest + 7);
	if (want && strcmp(digest, want) != 0) {
		reg_fail(cl, "%s: it arrived with digest %s", doing, digest);
		goto out;
	}
	m = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
	if (!json_is_object(m)) {
		reg_fail(cl, "%s: not a JSON object", doing);
		json_decref(m);
		m = NULL;
		goto out;
	}
	t = json_string_value(json_object_get(m, "mediaType"));
	if (!t)
		t = res.ctype ? res.ctype : json_object_get(m, "manifests") ? MT_INDEX : MT_MANIFEST;
	snprintf(mt, 256, "%.*s", (int)strcspn(t, "; "), t);
	store_put(store, res.body.data ? res.body.data : "", res.body.len, digest);
out:
	http_free(&res);
	free(doing);
	free(url);
	return m;
}

/* the size of a blob that comes down when it is needed */
static void
later(struct source *s, json_t *desc)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));

	if (digest)
		jsonset(s->sizes, digest, json_incref(json_object_get(desc, "size")));
}

/* a blob of the registry source into the store, verified: 0, or -1 with why in cl->err */
static int
fetch(struct source *s, const char *digest)
{
	json_t *size = json_object_get(s->sizes, digest);
	char *path = store_path(s->store, digest);
	int ret = 0;

	if (sha256verify(path, digest + 7) != 0)
		ret = size ? (registry_getblob(&s->cl, s->store, digest, json_integer_value(size)) < 0 ? -1 : 0) :
		      reg_fail(&s->cl, "blob %s: not named by the image", digest);
	free(path);
	return ret;
}

/* an image manifest of the registry, by digest: into the store, checked,
   its config fetched and its layers for later; its platform from the config */
static json_t *
remotemanifest(struct source *s, const char *digest)
{
	char got[72], mt[256], why[256];
	json_t *m = getdoc(&s->cl, s->store, digest, digest, got, mt), *l, *config;
	size_t i;

	if (!m)
		fatal("%s", s->cl.err);
	if (oci_checkmanifest(m, why, sizeof(why)) < 0)
		fatal("%s: manifest %s: %s", s->what, digest, why);
	later(s, json_object_get(m, "config"));
	json_array_foreach(json_object_get(m, "layers"), i, l)
		later(s, l);
	if (fetch(s, json_string_value(json_object_get(json_object_get(m, "config"), "digest"))) < 0)
		fatal("%s", s->cl.err);
	config = storedoc(s, json_string_value(json_object_get(json_object_get(m, "config"), "digest")), "config");
	json_decref(m);
	return config;
}

/* the referrers of subject: the referrers API's and the referrers tag's,
   each once, appended to list */
static void
referrers(struct source *s, const char *subject, json_t *list)
{
	static const char *const accept[] = {"Accept: " MT_INDEX, NULL};
	struct httpreq req = {0};
	struct httpres res;
	char *urls[2], *tag = xasprintf("sha256-%s", subject + 7);
	json_t *idx, *d, *have;
	size_t i, u;

	urls[0] = reg_apiurl(&s->cl, "%s/referrers/%s", subject);
	urls[1] = reg_apiurl(&s->cl, "%s/manifests/%s", tag);
	for (u = 0; u < 2; u++) {
		http_init(&res);
		req.method = "GET";
		req.url = urls[u];
		req.headers = accept;
		req.maxbody = MAXDOC;
		if (reg_request(&s->cl, &req, &res, "get the referrers") < 0)
			fatal("%s", s->cl.err);
		/* no referrers API, or no referrers tag: none from there */
		if (res.status != 200 && (res.status == 404 || u == 0)) {
			http_free(&res);
			continue;
		}
		if (res.status != 200) {
			reg_refused(&s->cl, res.status, "get the referrers tag");
			fatal("%s", s->cl.err);
		}
		idx = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
		if (!json_is_array(json_object_get(idx, "manifests")))
			fatal("%s: the referrers of %s: not an image index", s->what, subject);
		json_array_foreach(json_object_get(idx, "manifests"), i, d) {
			const char *digest = json_string_value(json_object_get(d, "digest"));
			size_t k;
			int seen = 0;

			if (!digest || !store_validdigest(digest))
				fatal("%s: the referrers of %s: a descriptor without a digest", s->what, subject);
			json_array_foreach(list, k, have)
				seen |= strcmp(json_string_value(have), digest) == 0;
			if (!seen)
				jsonappend(list, json_string(digest));
		}
		json_decref(idx);
		http_free(&res);
	}
	free(urls[0]);
	free(urls[1]);
	free(tag);
}

/* the size of a blob of the store */
static long long
blobsize(struct source *s, const char *digest)
{
	char *path = store_path(s->store, digest);
	struct stat st;

	if (stat(path, &st) < 0)
		fatal("%s: blob %s:", s->what, digest);
	free(path);
	return (long long)st.st_size;
}

/* an artifact of the registry that refers to one of subj: into the store,
   checked, its blobs for later; its descriptor for index.json */
static json_t *
remoteartifact(struct source *s, const char *digest, json_t *subj)
{
	char got[72], mt[256], why[256];
	json_t *m = getdoc(&s->cl, s->store, digest, digest, got, mt), *l, *type, *desc;
	const char *subject;
	size_t i;

	if (!m)
		fatal("%s", s->cl.err);
	subject = json_string_value(json_object_get(json_object_get(m, "subject"), "digest"));
	if (!subject || !holds(subj, subject))
		fatal("%s: referrer %s: its subject is not the image", s->what, digest);
	if (oci_checkdescriptor(json_object_get(m, "config"), "the artifact's config", why, sizeof(why)) < 0)
		fatal("%s: referrer %s: %s", s->what, digest, why);
	if (!json_is_array(json_object_get(m, "layers")))
		fatal("%s: referrer %s: no layers list", s->what, digest);
	later(s, json_object_get(m, "config"));
	json_array_foreach(json_object_get(m, "layers"), i, l) {
		if (oci_checkdescriptor(l, "a layer of the artifact", why, sizeof(why)) < 0)
			fatal("%s: referrer %s: %s", s->what, digest, why);
		later(s, l);
	}
	/* an artifact's type: its artifactType, else its config's media type (OCI 1.1) */
	type = json_object_get(m, "artifactType");
	if (!json_is_string(type))
		type = json_object_get(json_object_get(m, "config"), "mediaType");
	desc = json_pack("{s:s, s:s, s:I, s:O}", "mediaType", mt, "digest", digest, "size",
	                 (json_int_t)blobsize(s, digest), "artifactType", type);
	if (!desc)
		fatal("out of memory");
	json_decref(m);
	return desc;
}

/* the image a registry reference names and its referrers */
static void
fromregistry(struct source *s, const char *ref)
{
	char digest[72], mt[256], why[256];
	json_t *top, *desc, *d, *config, *subj, *refs, *r;
	size_t i;

	if (reg_init(&s->cl, ref, s->what, "pull") < 0)
		fatal("%s", s->cl.err);
	s->remote = 1;
	s->store = xasprintf("%s/blobs", downloaddir());
	s->tag = s->cl.r.tag && !s->cl.r.digest ? xstrdup(s->cl.r.tag) : s->cl.r.digest ? NULL : xstrdup("latest");
	top = getdoc(&s->cl, s->store, reg_refname(&s->cl.r), s->cl.r.digest, digest, mt);
	if (!top)
		fatal("%s", s->cl.err);
	desc = json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size",
	                 (json_int_t)blobsize(s, digest));
	if (!desc)
		fatal("out of memory");
	if (oci_isindex(mt) || json_object_get(top, "manifests")) {
		if (oci_checkindex(top, why, sizeof(why)) < 0)
			fatal("%s: %s: %s", s->what, ref, why);
		json_array_foreach(json_object_get(top, "manifests"), i, d) {
			if (oci_isindex(json_string_value(json_object_get(d, "mediaType"))))
				fatal("%s: %s: an index of indexes is not copied", s->what, ref);
			json_decref(remotemanifest(s, json_string_value(json_object_get(d, "digest"))));
		}
	} else {
		/* the platform of a lone manifest, as imagegen's layouts say it */
		config = remotemanifest(s, digest);
		jsonset(desc, "platform", json_pack("{s:O, s:O}", "architecture", json_object_get(config, "architecture"),
		                                    "os", json_object_get(config, "os")));
		if (json_is_string(json_object_get(config, "variant")))
			jsonset(json_object_get(desc, "platform"), "variant", json_incref(json_object_get(config, "variant")));
		json_decref(config);
	}
	/* the whole name, as containerd names an image it imports */
	jsonset(desc, "annotations", json_pack("{s:s++}", CTRNAME, s->cl.r.host, "/", s->cl.r.repo));
	jsonappend(s->manifests, desc);
	subj = subjects(s, desc);
	refs = json_array();
	if (!refs)
		fatal("out of memory");
	json_array_foreach(subj, i, d)
		referrers(s, json_string_value(d), refs);
	json_array_foreach(refs, i, r) {
		jsonappend(s->manifests, remoteartifact(s, json_string_value(r), subj));
	}
	json_decref(refs);
	json_decref(subj);
	json_decref(top);
}

/* push.c's blobs that are not in the store yet: mounted from the source's
   repository when the destination is on its registry, else downloaded */
static char *
mountsource(const char *store, const char *host, const char *digest, const char *repo)
{
	(void)store;
	(void)digest;
	if (!filling || strcmp(host, filling->cl.r.host) != 0 || strcmp(repo, filling->cl.r.repo) == 0)
		return NULL;
	return xstrdup(filling->cl.r.repo);
}

static int
fillsource(const char *store, const char *digest)
{
	(void)store;
	return filling && fetch(filling, digest) == 0 ? 0 : -1;
}

/* the blobs of the image and its artifacts, each once, in order:
   documents, configs, layers */
static void
blobsof(struct source *s, json_t *desc, json_t *list)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	json_t *doc, *d, *l;
	size_t i;

	if (!holds(list, digest))
		jsonappend(list, json_string(digest));
	doc = storedoc(s, digest, "a manifest");
	json_array_foreach(json_object_get(doc, "manifests"), i, d)
		blobsof(s, d, list);
	if ((d = json_object_get(doc, "config")) && !holds(list, json_string_value(json_object_get(d, "digest"))))
		jsonappend(list, json_incref(json_object_get(d, "digest")));
	json_array_foreach(json_object_get(doc, "layers"), i, l) {
		if (!holds(list, json_string_value(json_object_get(l, "digest"))))
			jsonappend(list, json_incref(json_object_get(l, "digest")));
	}
	json_decref(doc);
}

/* a blob of the store into the layout dir, verified; 1 when it was there */
static int
putblob(struct source *s, const char *digest, const char *dir)
{
	char *src = store_path(s->store, digest), *dst = xasprintf("%s/blobs/sha256/%s", dir, digest + 7), *tmp;
	char chunk[1 << 16];
	ssize_t n;
	int in, out, had = 0;

	if (sha256verify(dst, digest + 7) == 0) {
		had = 1;
		goto done;
	}
	if (s->remote && fetch(s, digest) < 0)
		fatal("%s", s->cl.err);
	if (sha256verify(src, digest + 7) != 0)
		fatal("%s: blob %s is missing or does not match its digest", s->what, digest);
	tmp = tmpname(dst);
	unlink(tmp);
	removeonfatal(tmp);
	if (link(src, tmp) < 0) {
		in = open(src, O_RDONLY);
		if (in < 0)
			fatal("%s: open %s:", s->what, src);
		out = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (out < 0)
			fatal("%s: create %s:", s->what, tmp);
		while ((n = read(in, chunk, sizeof(chunk))) > 0) {
			if (write(out, chunk, (size_t)n) != n)
				fatal("%s: write %s:", s->what, tmp);
		}
		if (n < 0)
			fatal("%s: read %s:", s->what, src);
		close(in);
		if (close(out) < 0)
			fatal("%s: write %s:", s->what, tmp);
	}
	if (rename(tmp, dst) < 0)
		fatal("%s: rename %s:", s->what, dst);
	removeonfatal(NULL);
	free(tmp);
done:
	free(src);
	free(dst);
	return had;
}

/* the annotations of the image's descriptor in the destination layout: the
   source's, the tag as ref.name, containerd's name with that tag */
static void
tagdesc(json_t *desc, const char *tag)
{
	json_t *ann = json_object_get(desc, "annotations");
	const char *name = json_string_value(json_object_get(ann, CTRNAME)), *colon;

	if (!json_is_object(ann)) {
		ann = json_object();
		jsonset(desc, "annotations", ann);
	}
	if (name) {
		colon = strrchr(name, ':');
		if (colon && strchr(colon, '/'))
			colon = NULL;
		jsonset(ann, CTRNAME, json_sprintf("%.*s:%s", (int)(colon ? colon - name : (long)strlen(name)), name, tag));
	}
	jsonset(ann, REFNAME, json_string(tag));
}

/* write the source into the layout name (DIR or DIR:TAG) */
static void
tolayout(struct source *s, const char *name, const struct pushout *out)
{
	char *dir, *tag, *digest, *path, *text;
	json_t *index, *old, *m, *blobs, *b, *desc, *refs;
	const char *oldtag;
	struct stat st;
	size_t i;
	int copied = 0, present = 0;

	layoutname(s->what, name, &dir, &tag, &digest);
	if (digest)
		fatal("%s: copy to a layout's tag, not a digest", s->what);
	if (!tag)
		tag = xstrdup(s->tag ? s->tag : "latest");
	path = xasprintf("%s/index.json", dir);
	if (stat(path, &st) == 0) {
		old = readjson(path);
		json_array_foreach(json_object_get(old, "manifests"), i, m) {
			oldtag = json_string_value(json_object_get(json_object_get(m, "annotations"), REFNAME));
			if (!json_object_get(m, "artifactType") && (!oldtag || strcmp(oldtag, tag) != 0))
				fatal("%s: %s holds the image '%s' too: copy into a folder of its own", s->what, dir,
				      oldtag ? oldtag : "(untagged)");
		}
		json_decref(old);
	} else if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		fatal("%s: %s is not a folder", s->what, dir);
	}
	blobs = json_array();
	if (!blobs)
		fatal("out of memory");
	json_array_foreach(s->manifests, i, desc)
		blobsof(s, desc, blobs);
	text = xasprintf("%s/blobs/sha256", dir);
	if (mkdirs(text) < 0)
		fatal("%s: mkdir %s:", s->what, text);
	free(text);
	json_array_foreach(blobs, i, b) {
		if (putblob(s, json_string_value(b), dir))
			present++;
		else
			copied++;
	}
	index = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType", MT_INDEX, "manifests", s->manifests);
	if (!index)
		fatal("out of memory");
	desc = json_array_get(json_object_get(index, "manifests"), 0);
	tagdesc(desc, tag);
	text = xasprintf("%s/oci-layout", dir);
	xreplacefile(text, LAYOUT, strlen(LAYOUT));
	free(text);
	text = dumpjson(index);
	/* index.json last: it says the layout is whole */
	xreplacefile(path, text, strlen(text));
	free(text);
	if (out->digestfile) {
		text = xasprintf("%s\n", json_string_value(json_object_get(desc, "digest")));
		xreplacefile(out->digestfile, text, strlen(text));
		free(text);
	}
	refs = json_array();
	if (!refs)
		fatal("out of memory");
	json_array_foreach(json_object_get(index, "manifests"), i, m) {
		if (i > 0)
			jsonappend(refs, json_pack("{s:O, s:O, s:O, s:O}", "digest", json_object_get(m, "digest"),
			                           "mediaType", json_object_get(m, "mediaType"), "size",
			                           json_object_get(m, "size"), "artifactType",
			                           json_object_get(m, "artifactType")));
	}
	if (out->json) {
		m = json_pack("{s:i, s:s, s:s, s:O, s:O, s:O, s:O, s:i, s:i}", "imagegen-copy", 1, "source", out->source,
		              "reference", name, "digest", json_object_get(desc, "digest"), "mediaType",
		              json_object_get(desc, "mediaType"), "size", json_object_get(desc, "size"), "referrers", refs,
		              "copied", copied, "present", present);
		if (!m)
			fatal("out of memory");
		text = dumpjson(m);
		puts(text);
		free(text);
		json_decref(m);
	} else {
		printf("copy %s %s: %s, %d blob(s) copied, %d already there", out->source, name,
		       json_string_value(json_object_get(desc, "digest")), copied, present);
		if (json_array_size(refs))
			printf(", %zu referrer(s) copied", json_array_size(refs));
		printf("\n");
	}
	json_decref(refs);
	json_decref(index);
	json_decref(blobs);
	free(path);
	free(dir);
	free(tag);
}

void
copy_image(const char *src, const char *dst, const char *record, const struct pushout *out)
{
	static const struct blobfrom fromsource = {mountsource, fillsource};
	char *what = xasprintf("copy %s %s", src, dst);
	struct source s;
	struct pushout o = *out;

	memset(&s, 0, sizeof(s));
	s.what = what;
	s.manifests = json_array();
	s.sizes = json_object();
	if (!s.manifests || !s.sizes)
		fatal("out of memory");
	o.source = src;
	if (registryname(src) && !isdir(src))
		fromregistry(&s, src);
	else
		fromlayout(&s, src);
	filling = &s;
	if (registryname(dst) && !isdir(dst)) {
		json_t *index = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType", MT_INDEX, "manifests",
		                          s.manifests);
		if (!index)
			fatal("out of memory");
		push_index(index, s.store, what, !s.remote, dst, record, s.remote ? &fromsource : NULL, &o);
		json_decref(index);
	} else {
		tolayout(&s, dst, &o);
	}
	filling = NULL;
	if (s.remote)
		reg_free(&s.cl);
	json_decref(s.manifests);
	json_decref(s.sizes);
	free(s.store);
	free(s.tag);
	free(what);
}
