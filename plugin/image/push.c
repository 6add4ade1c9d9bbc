/*
 * push: images to a registry (imagegen push, push --image), and the blobs
 * and tags the build cache puts (cache.c), over the client of registry.c.
 *
 * A push checks each blob first (HEAD) and uploads only what the registry
 * lacks, mounting it from another repository of the same registry when
 * this build pushed it there, or when the build cache on that registry
 * holds it, so a push that was cut off completes when run again, a second
 * push uploads nothing, and a layer the cache had is neither downloaded nor
 * uploaded. A push reads an OCI layout, or an image file and the build's
 * store (push --image). SBOMs go as referrers, or by the sha256-HEX tag
 * where the registry has no referrers API.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
#include "cache/cache.h"

/* what a push did with the blobs */
struct pushcounts {
	int uploaded, mounted, present;
};

/* the repositories of this registry the build pushed a blob to: "host digest repo" lines */
static char *
mountfrom(const char *record, const char *host, const char *digest, const char *repo)
{
	struct buf b = {0};
	char *line, *save = NULL, *found = NULL;
	size_t hn = strlen(host), dn = strlen(digest);

	if (!record || readall(record, &b) < 0 || !b.data) {
		free(b.data);
		return NULL;
	}
	for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, host, hn) == 0 && line[hn] == ' ' && strncmp(line + hn + 1, digest, dn) == 0 &&
		    line[hn + 1 + dn] == ' ' && strcmp(line + hn + dn + 2, repo) != 0) {
			found = xstrdup(line + hn + dn + 2);
			break;
		}
	}
	free(b.data);
	return found;
}

static void
remember(const char *record, const char *host, const char *digest, const char *repo)
{
	char *line;
	int fd;

	if (!record)
		return;
	if (mkparent(record) < 0)
		return;
	fd = open(record, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		return;
	line = xasprintf("%s %s %s\n", host, digest, repo);
	if (write(fd, line, strlen(line)) < 0)
		warn("write %s:", record);
	close(fd);
	free(line);
}

/* make sure the registry has a blob; counts what it took */
/* a request without a body to url (freed here), its answer in res */
static int
bare(struct client *cl, const char *method, char *url, struct httpres *res, const char *doing)
{
	struct httpreq req = {0};
	int ret;

	req.method = method;
	req.url = url;
	ret = reg_request(cl, &req, res, doing);
	free(url);
	return ret;
}

static int
pushblob(struct client *cl, const char *store, const char *digest, long long size, const char *record,
         struct pushcounts *counts)
{
	static const char *const octets[] = {"Content-Type: application/octet-stream", NULL};
	struct httpreq req = {0};
	struct httpres res;
	char *doing, *from, *up = NULL, *file = NULL;
	/* the count of how the registry came to have the blob, once it has it */
	int ret, *had = NULL;

	http_init(&res);
	doing = xasprintf("blob %s", digest);
	ret = bare(cl, "HEAD", reg_apiurl(cl, "%s/blobs/%s", digest), &res, doing);
	if (ret < 0)
		goto done;
	if (res.status == 200) {
		had = &counts->present;
		goto done;
	}
	from = mountfrom(record, cl->r.host, digest, cl->r.repo);
	/* a blob of the build cache's, on this registry: mounted from there, never downloaded */
	if (!from)
		from = cache_mountfrom(store, cl->r.host, digest, cl->r.repo);
	if (from) {
		char *q = xasprintf("mount=%s&from=%s", digest, from);
		ret = bare(cl, "POST", reg_apiurl(cl, "%s/blobs/uploads/?%s", q), &res, doing);
		free(q);
		free(from);
		if (ret < 0)
			goto done;
		if (res.status == 201) {
			had = &counts->mounted;
			goto done;
		}
	}
	if (res.status != 202) {
		ret = bare(cl, "POST", reg_apiurl(cl, "%s/blobs/uploads/%s", ""), &res, doing);
		if (ret < 0)
			goto done;
	}
	if (res.status != 202 || !res.location) {
		ret = reg_refused(cl, res.status, doing);
		goto done;
	}
	up = reg_uploadurl(cl, res.location, digest);
	if (strcmp(cl->r.scheme, "https") == 0 && strncmp(up, "https://", 8) != 0) {
		ret = reg_fail(cl, "%s: the registry %s sends the upload to %.200s, not https: refused", doing,
		            cl->r.host, up);
		goto done;
	}
	/* a blob this machine took a cache entry's word for: its bytes now */
	if (cache_blob(store, digest, NULL) < 0) {
		ret = reg_fail(cl, "%s: the store has no such blob", doing);
		goto done;
	}
	file = store_path(store, digest);
	req.method = "PUT";
	req.url = up;
	req.headers = octets;
	req.bodyfile = file;
	req.bodylen = size;
	ret = reg_request(cl, &req, &res, doing);
	if (ret == 0 && res.status != 201)
		ret = reg_refused(cl, res.status, doing);
	if (ret == 0)
		had = &counts->uploaded;
done:
	if (had) {
		(*had)++;
		remember(record, cl->r.host, digest, cl->r.repo);
	}
	http_free(&res);
	free(file);
	free(up);
	free(doing);
	return ret;
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

/* PUT a manifest or index (its bytes, its media type) as reference: a tag
   or its digest; *indexed, when not NULL, says whether the registry
   answered OCI-Subject (it keeps the referrers of the subject itself) */
static int
putmanifest(struct client *cl, const struct buf *data, const char *mt, const char *reference, int *indexed)
{
	struct httpreq req = {0};
	struct httpres res;
	const char *headers[2] = {NULL, NULL};
	char *url = reg_apiurl(cl, "%s/manifests/%s", reference), *ctype = xasprintf("Content-Type: %s", mt);
	int ret = -1;

	http_init(&res);
	headers[0] = ctype;
	req.method = "PUT";
	req.url = url;
	req.headers = headers;
	req.body = data->data;
	req.bodylen = (long long)data->len;
	if (reg_request(cl, &req, &res, "put the manifest") == 0) {
		if (res.status == 201 || res.status == 200)
			ret = 0;
		if (indexed)
			*indexed = res.subject != NULL;
		else if (res.status == 400 && res.body.data)
			reg_fail(cl, "put the manifest: 400: the registry %s says it is invalid: %.200s", cl->r.host,
			      res.body.data);
		else
			reg_refused(cl, res.status, "put the manifest");
	}
	http_free(&res);
	free(ctype);
	free(url);
	return ret;
}

/* push one image manifest of the layout, its blobs first, as reference */
static int
pushmanifest(struct client *cl, const char *store, const char *digest, const char *mt, const char *reference,
             const char *record, struct pushcounts *counts)
{
	struct buf data = {0};
	json_t *m, *l;
	char why[256];
	size_t i;
	int ret = -1;

	m = readblob(cl, store, digest, &data);
	if (!m)
		goto out;
	if (oci_checkmanifest(m, why, sizeof(why)) < 0) {
		reg_fail(cl, "manifest %s: %s", digest, why);
		goto out;
	}
	if (pushblob(cl, store, json_string_value(json_object_get(json_object_get(m, "config"), "digest")),
	             json_integer_value(json_object_get(json_object_get(m, "config"), "size")), record, counts) < 0)
		goto out;
	json_array_foreach(json_object_get(m, "layers"), i, l) {
		if (pushblob(cl, store, json_string_value(json_object_get(l, "digest")),
		             json_integer_value(json_object_get(l, "size")), record, counts) < 0)
			goto out;
	}
	ret = putmanifest(cl, &data, mt, reference, NULL);
out:
	json_decref(m);
	free(data.data);
	return ret;
}

/* the referrers tag schema's index of subject (sha256-HEX) with desc in it */
static int
tagreferrer(struct client *cl, const char *subject, json_t *desc)
{
	static const char *const accept[] = {"Accept: " OCI_INDEX, NULL};
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
		idx = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", OCI_INDEX, "manifests");
	if (!idx)
		fatal("out of memory");
	json_array_foreach(json_object_get(idx, "manifests"), i, m)
		have |= strcmp(json_string_value(json_object_get(m, "digest")), digest) == 0;
	if (!have && json_array_append(json_object_get(idx, "manifests"), desc) < 0)
		fatal("out of memory");
	text = dumpjson(idx);
	bufstr(&data, text);
	free(text);
	ret = have ? 0 : putmanifest(cl, &data, OCI_INDEX, tag, NULL);
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
   registry does not keep referrers itself, the referrers tag's index */
static int
pushartifact(struct client *cl, const char *store, json_t *desc, const char *record, struct pushcounts *counts)
{
	struct buf data = {0};
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	const char *subject;
	json_t *m, *l, *ref;
	size_t i;
	int ret = -1, indexed = 0;

	m = readblob(cl, store, digest, &data);
	if (!m)
		goto out;
	subject = json_string_value(json_object_get(json_object_get(m, "subject"), "digest"));
	if (!subject || !store_validdigest(subject) ||
	    oci_checkdescriptor(json_object_get(m, "config"), "the artifact's config", cl->err, sizeof(cl->err)) < 0) {
		reg_fail(cl, "artifact %s: no subject or config", digest);
		goto out;
	}
	if (pushblob(cl, store, json_string_value(json_object_get(json_object_get(m, "config"), "digest")),
	             json_integer_value(json_object_get(json_object_get(m, "config"), "size")), record, counts) < 0)
		goto out;
	json_array_foreach(json_object_get(m, "layers"), i, l) {
		if (oci_checkdescriptor(l, "an artifact's layer", cl->err, sizeof(cl->err)) < 0 ||
		    pushblob(cl, store, json_string_value(json_object_get(l, "digest")),
		             json_integer_value(json_object_get(l, "size")), record, counts) < 0)
			goto out;
	}
	if (putmanifest(cl, &data, mt, digest, &indexed) < 0)
		goto out;
	ref = json_pack("{s:s, s:s, s:I, s:O}", "mediaType", mt, "digest", digest, "size", (json_int_t)data.len,
	                "artifactType", json_object_get(m, "artifactType"));
	if (!ref)
		fatal("out of memory");
	ret = indexed ? 0 : tagreferrer(cl, subject, ref);
	json_decref(ref);
out:
	json_decref(m);
	free(data.data);
	return ret;
}

/* push the image an index.json names (what names it) with the blobs of
   store (a manifest, or an index and each of its manifests by digest
   first), then the artifacts that refer to it; a summary line on stdout */
static int
push(struct client *cl, json_t *index, const char *what, const char *store, const char *ref, const char *record)
{
	/* the image's blobs, and (apart) the artifacts' */
	struct pushcounts counts = {0, 0, 0}, artcounts = {0, 0, 0};
	struct buf data = {0};
	json_t *mdesc, *idx = NULL, *d;
	const char *mdigest, *mt, *tag;
	char why[256];
	size_t i;
	int ret = -1, artifacts = 0;

	if (cl->r.digest)
		return reg_fail(cl, "push to a tag, not a digest");
	tag = cl->r.tag ? cl->r.tag : "latest";
	if (oci_checkindex(index, why, sizeof(why)) < 0 || json_array_size(json_object_get(index, "manifests")) < 1) {
		reg_fail(cl, "%s names no manifest", what);
		goto out;
	}
	mdesc = json_array_get(json_object_get(index, "manifests"), 0);
	mdigest = json_string_value(json_object_get(mdesc, "digest"));
	mt = json_string_value(json_object_get(mdesc, "mediaType"));
	if (!base_isindex(mt)) {
		if (pushmanifest(cl, store, mdigest, mt, tag, record, &counts) < 0)
			goto out;
	} else {
		idx = readblob(cl, store, mdigest, &data);
		if (!idx)
			goto out;
		if (oci_checkindex(idx, why, sizeof(why)) < 0) {
			reg_fail(cl, "%s: %s", what, why);
			goto out;
		}
		json_array_foreach(json_object_get(idx, "manifests"), i, d) {
			const char *digest = json_string_value(json_object_get(d, "digest"));
			if (pushmanifest(cl, store, digest, json_string_value(json_object_get(d, "mediaType")), digest,
			                 record, &counts) < 0)
				goto out;
		}
		if (putmanifest(cl, &data, mt, tag, NULL) < 0)
			goto out;
	}
	/* the artifacts: every other descriptor of index.json with an artifactType */
	json_array_foreach(json_object_get(index, "manifests"), i, d) {
		if (i == 0 || !json_is_string(json_object_get(d, "artifactType")))
			continue;
		if (pushartifact(cl, store, d, record, &artcounts) < 0)
			goto out;
		artifacts++;
	}
	printf("push %s: %s, %d blob(s) uploaded, %d mounted, %d already there", ref, mdigest,
	       counts.uploaded, counts.mounted, counts.present);
	if (artifacts)
		printf(", %d SBOM(s) attached", artifacts);
	printf("\n");
	ret = 0;
out:
	json_decref(idx);
	free(data.data);
	return ret;
}

void
registry_push(const char *layout, const char *ref, const char *record)
{
	struct client cl;
	char *what = xasprintf("push %s", ref), *path = xasprintf("%s/index.json", layout);
	char *store = xasprintf("%s/blobs", layout);
	json_t *index = readjson(path);

	if (reg_init(&cl, ref, what, "pull,push") < 0 || push(&cl, index, path, store, ref, record) < 0)
		fatal("%s", cl.err);
	json_decref(index);
	reg_free(&cl);
	free(store);
	free(path);
	free(what);
}

void
registry_pushimage(const char *image, const char *store, char *const records[], int nrecords, const char *ref,
                   const char *record)
{
	struct client cl;
	char *what = xasprintf("push %s", ref);
	json_t *index = layout_index(image, records, nrecords);

	if (reg_init(&cl, ref, what, "pull,push") < 0 || push(&cl, index, image, store, ref, record) < 0)
		fatal("%s", cl.err);
	json_decref(index);
	reg_free(&cl);
	free(what);
}

int
registry_putblob(struct client *cl, const char *store, const char *digest, long long size, const char *record)
{
	struct pushcounts counts = {0, 0, 0};

	return pushblob(cl, store, digest, size, record, &counts);
}

int
registry_puttag(struct client *cl, const char *tag, const char *data, size_t len, const char *mt)
{
	struct buf b = {0};
	int ret;

	bufadd(&b, data, len);
	ret = putmanifest(cl, &b, mt, tag, NULL);
	free(b.data);
	return ret;
}
