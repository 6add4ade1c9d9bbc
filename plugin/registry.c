/*
 * registry: the OCI distribution protocol over libcurl, to pull bases and
 * push images.
 *
 * References are "host[:port]/repository[:tag][@sha256:...]". Loopback
 * registries (localhost, 127.0.0.0/8, [::1]) and the hosts listed in
 * IMAGEGEN_INSECURE_REGISTRIES (comma-separated host[:port]) are spoken to
 * over plain http; every other one over https with the certificate checked.
 *
 * Auth: a request answered 401 is tried again with what its
 * WWW-Authenticate asks for: Basic, with the credentials for the host (see
 * auth.c), or Bearer, with a token from the realm it names (asked for with
 * those credentials, or anonymously). Secrets are never printed: messages
 * name the host and where the credentials came from.
 *
 * Faults: connection failures, 5xx and 429 are retried with backoff. A push
 * checks each blob first (HEAD) and uploads only what the registry lacks,
 * mounting it from another repository of the same registry when this
 * build pushed it there, so a push that was cut off completes when run
 * again, and a second push uploads nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "util.h"
#include "store.h"
#include "base.h"
#include "registry.h"
#include "auth.h"
#include "fetch.h"

#define ACCEPT_MANIFESTS "Accept: application/vnd.oci.image.index.v1+json, " \
	"application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, " \
	"application/vnd.docker.distribution.manifest.v2+json"


/* every option is checked: one that does not take means a libcurl too old */
#define SETOPT(c, opt, val) do { \
	if (curl_easy_setopt((c), (opt), (val)) != CURLE_OK) \
		fatal("curl_easy_setopt(%s) failed", #opt); \
} while (0)

struct ref {
	char *host, *repo, *tag, *digest;
	/* "http" or "https" */
	const char *scheme;
};

struct client {
	struct ref r;
	struct creds c;
	int havecreds;
	/* "Authorization: ..." for the requests, once a challenge was answered */
	char *auth;
	/* the scope asked of a token server: pull, or pull,push */
	const char *actions;
	/* what the messages say this is about */
	const char *what;
};

struct response {
	long status;
	struct buf body;
	char *location, *challenge, *digest, *ctype;
	/* a download to a file: its descriptor and the running sha256 */
	int fd;
	EVP_MD_CTX *hash;
	long long size;
};

static void
freeref(struct ref *r)
{
	free(r->host);
	free(r->repo);
	free(r->tag);
	free(r->digest);
}

static int
loopback(const char *host)
{
	return strncmp(host, "localhost", 9) == 0 || strncmp(host, "127.", 4) == 0 ||
	       strncmp(host, "[::1]", 5) == 0;
}

static int
insecure(const char *host)
{
	const char *list = getenv("IMAGEGEN_INSECURE_REGISTRIES"), *p;
	size_t n = strlen(host);

	if (loopback(host))
		return 1;
	for (p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		while (*p == ' ')
			p++;
		if (strncmp(p, host, n) == 0 && (p[n] == ',' || p[n] == '\0' || p[n] == ' '))
			return 1;
	}
	return 0;
}

static void
parseref(const char *s, struct ref *r)
{
	const char *slash = strchr(s, '/'), *at = strchr(s, '@'), *end, *colon;

	memset(r, 0, sizeof(*r));
	if (!slash || slash == s)
		fatal("'%s': a reference names its registry: host[:port]/repository[:tag][@digest]", s);
	r->host = xasprintf("%.*s", (int)(slash - s), s);
	end = at ? at : s + strlen(s);
	colon = memchr(slash, ':', (size_t)(end - slash));
	if (colon) {
		r->repo = xasprintf("%.*s", (int)(colon - slash - 1), slash + 1);
		r->tag = xasprintf("%.*s", (int)(end - colon - 1), colon + 1);
	} else {
		r->repo = xasprintf("%.*s", (int)(end - slash - 1), slash + 1);
	}
	if (at) {
		r->digest = xstrdup(at + 1);
		if (!store_validdigest(r->digest))
			fatal("'%s': '%s' is not a sha256 digest", s, r->digest);
	}
	if (!*r->repo)
		fatal("'%s': no repository", s);
	r->scheme = insecure(r->host) ? "http" : "https";
}

static size_t
onheader(char *p, size_t size, size_t n, void *arg)
{
	struct response *res = arg;
	size_t len = size * n, k;
	char **slot = NULL;
	static const struct {
		const char *name;
		size_t off;
	} want[] = {
		{"location:", offsetof(struct response, location)},
		{"www-authenticate:", offsetof(struct response, challenge)},
		{"docker-content-digest:", offsetof(struct response, digest)},
		{"content-type:", offsetof(struct response, ctype)},
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		k = strlen(want[i].name);
		if (len > k && strncasecmp(p, want[i].name, k) == 0) {
			slot = (char **)((char *)res + want[i].off);
			p += k;
			len -= k;
			while (len > 0 && (*p == ' ' || *p == '\t')) {
				p++;
				len--;
			}
			while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
				len--;
			free(*slot);
			*slot = xasprintf("%.*s", (int)len, p);
			break;
		}
	}
	return size * n;
}

static size_t
onbody(char *p, size_t size, size_t n, void *arg)
{
	struct response *res = arg;

	n *= size;
	if (res->fd >= 0) {
		if (write(res->fd, p, n) != (ssize_t)n || !EVP_DigestUpdate(res->hash, p, n))
			return 0;
		res->size += (long long)n;
	} else {
		bufadd(&res->body, p, n);
	}
	return n;
}

static void
resetresponse(struct response *res)
{
	free(res->location);
	free(res->challenge);
	free(res->digest);
	free(res->ctype);
	res->location = res->challenge = res->digest = res->ctype = NULL;
	res->body.len = 0;
	res->status = 0;
}

/* a request body: memory, or a file */
struct body {
	const char *data;
	size_t len;
	const char *file;
};

/* one HTTP exchange with retries; 0, or -1 with err filled (connection failures) */
static int
exchange(struct client *cl, const char *method, const char *url, struct curl_slist *headers,
         const struct body *b, struct response *res, char *err, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE];
	struct curl_slist *h;
	FILE *f = NULL;
	CURLcode rc;
	CURL *c;
	int try;

	for (try = 0; try < FETCH_TRIES; try++) {
		resetresponse(res);
		if (res->fd >= 0) {
			if (ftruncate(res->fd, 0) < 0 || lseek(res->fd, 0, SEEK_SET) < 0 ||
			    !EVP_DigestInit_ex(res->hash, EVP_sha256(), NULL))
				fatal("reset a download:");
			res->size = 0;
		}
		c = curl_easy_init();
		if (!c)
			fatal("curl_easy_init failed");
		cerr[0] = '\0';
		h = NULL;
		for (; headers; headers = headers->next)
			h = curl_slist_append(h, headers->data);
		if (cl->auth)
			h = curl_slist_append(h, cl->auth);
		SETOPT(c, CURLOPT_URL, url);
		SETOPT(c, CURLOPT_HTTPHEADER, h);
		SETOPT(c, CURLOPT_HEADERFUNCTION, onheader);
		SETOPT(c, CURLOPT_HEADERDATA, res);
		SETOPT(c, CURLOPT_WRITEFUNCTION, onbody);
		SETOPT(c, CURLOPT_WRITEDATA, res);
		SETOPT(c, CURLOPT_ERRORBUFFER, cerr);
		SETOPT(c, CURLOPT_CONNECTTIMEOUT, 30L);
		SETOPT(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		SETOPT(c, CURLOPT_LOW_SPEED_TIME, 60L);
		SETOPT(c, CURLOPT_USERAGENT, "imagegen/" VERSION);
		if (strcmp(method, "GET") == 0)
			SETOPT(c, CURLOPT_FOLLOWLOCATION, 1L);
		if (strcmp(method, "HEAD") == 0)
			SETOPT(c, CURLOPT_NOBODY, 1L);
		else if (b && b->file) {
			f = fopen(b->file, "rb");
			if (!f)
				fatal("open %s:", b->file);
			SETOPT(c, CURLOPT_UPLOAD, 1L);
			SETOPT(c, CURLOPT_READDATA, f);
			SETOPT(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)b->len);
		} else if (b) {
			SETOPT(c, CURLOPT_CUSTOMREQUEST, method);
			SETOPT(c, CURLOPT_POSTFIELDS, b->data);
			SETOPT(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
		} else if (strcmp(method, "GET") != 0) {
			SETOPT(c, CURLOPT_CUSTOMREQUEST, method);
			if (strcmp(method, "POST") == 0) {
				SETOPT(c, CURLOPT_POSTFIELDS, "");
				SETOPT(c, CURLOPT_POSTFIELDSIZE, 0L);
			}
		}
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
		curl_easy_cleanup(c);
		curl_slist_free_all(h);
		if (f) {
			fclose(f);
			f = NULL;
		}
		if (rc == CURLE_OK && res->status < 500 && res->status != 429)
			return 0;
		if (rc != CURLE_OK)
			snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
		else
			snprintf(err, errlen, "HTTP %ld", res->status);
		if (!fetch_transient(rc, res->status))
			return -1;
		if (try + 1 < FETCH_TRIES)
			fetch_backoff(try);
	}
	return -1;
}

/* the value of key="value" in a WWW-Authenticate challenge (free it) */
static char *
param(const char *challenge, const char *key)
{
	size_t n = strlen(key);
	const char *p = challenge, *q;

	while ((p = strstr(p, key))) {
		if ((p == challenge || p[-1] == ' ' || p[-1] == ',') && p[n] == '=') {
			p += n + 1;
			if (*p == '"') {
				q = strchr(++p, '"');
				if (!q)
					return NULL;
			} else {
				q = p + strcspn(p, ",");
			}
			return xasprintf("%.*s", (int)(q - p), p);
		}
		p += n;
	}
	return NULL;
}

static void
refused(struct client *cl, long status, const char *doing)
{
	const char *why = status == 401 ? "unauthorized" : status == 403 ? "forbidden" :
	                  status == 404 ? "not found" : "refused";

	if (status == 401 && cl->havecreds)
		fatal("%s: %s: %ld %s: the registry %s refused the credentials from %s", cl->what, doing,
		      status, why, cl->r.host, cl->c.from);
	if (status == 401)
		fatal("%s: %s: %ld %s: the registry %s wants credentials (none for it in the auth files)",
		      cl->what, doing, status, why, cl->r.host);
	fatal("%s: %s: %ld %s by the registry %s", cl->what, doing, status, why, cl->r.host);
}

/* answer a 401's challenge: set cl->auth, or exit with why not */
static void
authenticate(struct client *cl, const char *challenge, const char *doing)
{
	char *realm, *service, *url, *scope, err[CURL_ERROR_SIZE + 32];
	struct response tres = {0};
	struct client tcl = *cl;
	struct curl_slist *h = NULL;
	json_t *j;
	const char *token;

	if (!challenge)
		refused(cl, 401, doing);
	if (!cl->havecreds && auth_find(cl->r.host, &cl->c) == 0)
		cl->havecreds = 1;
	if (strncasecmp(challenge, "basic", 5) == 0) {
		if (!cl->havecreds || cl->auth)
			refused(cl, 401, doing);
		cl->auth = auth_basic(&cl->c);
		return;
	}
	if (strncasecmp(challenge, "bearer", 6) != 0 || (cl->auth && strncmp(cl->auth, "Authorization: Bearer", 21) == 0))
		refused(cl, 401, doing);
	realm = param(challenge, "realm");
	service = param(challenge, "service");
	if (!realm)
		fatal("%s: %s: the registry %s asks for a token without saying where from", cl->what, doing, cl->r.host);
	scope = xasprintf("repository:%s:%s", cl->r.repo, cl->actions);
	url = xasprintf("%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?",
	                service ? service : "", scope);
	tcl.auth = cl->havecreds ? auth_basic(&cl->c) : NULL;
	tres.fd = -1;
	if (exchange(&tcl, "GET", url, h, NULL, &tres, err, sizeof(err)) < 0)
		fatal("%s: %s: the token server for %s: %s", cl->what, doing, cl->r.host, err);
	if (tres.status != 200)
		refused(cl, tres.status == 401 || tres.status == 403 ? 401 : tres.status, doing);
	j = json_loadb(tres.body.data ? tres.body.data : "", tres.body.len, 0, NULL);
	token = json_string_value(json_object_get(j, "token"));
	if (!token)
		token = json_string_value(json_object_get(j, "access_token"));
	if (!token)
		fatal("%s: %s: the token server for %s gave no token", cl->what, doing, cl->r.host);
	free(cl->auth);
	cl->auth = xasprintf("Authorization: Bearer %s", token);
	json_decref(j);
	free(tcl.auth);
	free(tres.body.data);
	resetresponse(&tres);
	free(realm);
	free(service);
	free(scope);
	free(url);
}

/* a request to the registry, answering an auth challenge once; exits on connection failure */
static void
request(struct client *cl, const char *method, const char *url, struct curl_slist *headers,
        const struct body *b, struct response *res, const char *doing)
{
	char err[CURL_ERROR_SIZE + 32];
	int round;

	for (round = 0; round < 3; round++) {
		if (exchange(cl, method, url, headers, b, res, err, sizeof(err)) < 0)
			fatal("%s: %s: %s (%s://%s)", cl->what, doing, err, cl->r.scheme, cl->r.host);
		if (res->status != 401)
			return;
		authenticate(cl, res->challenge, doing);
	}
	refused(cl, res->status, doing);
}

static char *
apiurl(struct client *cl, const char *fmt, const char *arg)
{
	char *path = xasprintf(fmt, cl->r.repo, arg);
	char *url = xasprintf("%s://%s/v2/%s", cl->r.scheme, cl->r.host, path);

	free(path);
	return url;
}

static void
clientinit(struct client *cl, const char *ref, const char *what, const char *actions)
{
	static int curlready;

	if (!curlready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			fatal("curl_global_init failed");
		curlready = 1;
	}
	memset(cl, 0, sizeof(*cl));
	parseref(ref, &cl->r);
	cl->what = what;
	cl->actions = actions;
}

static void
clientfree(struct client *cl)
{
	freeref(&cl->r);
	auth_free(&cl->c);
	free(cl->auth);
}

/* GET a manifest (or index) by tag or digest into res->body */
static void
getmanifest(struct client *cl, const char *which, struct response *res)
{
	struct curl_slist *h = curl_slist_append(NULL, ACCEPT_MANIFESTS);
	char *url = apiurl(cl, "%s/manifests/%s", which), *doing = xasprintf("get manifest %s", which);

	request(cl, "GET", url, h, NULL, res, doing);
	if (res->status != 200)
		refused(cl, res->status, doing);
	curl_slist_free_all(h);
	free(url);
	free(doing);
}

void
registry_digest(const char *ref, char digest[72])
{
	struct client cl;
	struct response res = {0};
	char *what = xasprintf("resolve %s", ref);

	res.fd = -1;
	clientinit(&cl, ref, what, "pull");
	getmanifest(&cl, cl.r.digest ? cl.r.digest : cl.r.tag ? cl.r.tag : "latest", &res);
	memcpy(digest, "sha256:", 7);
	sha256hex(res.body.data, res.body.len, digest + 7);
	resetresponse(&res);
	free(res.body.data);
	clientfree(&cl);
	free(what);
}

/* a blob into the store, verified */
static void
getblob(struct client *cl, const char *store, const char *digest)
{
	char *path = store_path(store, digest), *tmp, *url, *doing, hex[65];
	struct response res = {0};

	if (sha256file(path, hex) == 0 && strcmp(hex, digest + 7) == 0) {
		free(path);
		return;
	}
	res.fd = store_tmp(store, &tmp);
	removeonfatal(tmp);
	res.hash = sha256new();
	url = apiurl(cl, "%s/blobs/%s", digest);
	doing = xasprintf("get blob %s", digest);
	request(cl, "GET", url, NULL, NULL, &res, doing);
	if (res.status != 200)
		refused(cl, res.status, doing);
	if (close(res.fd) < 0)
		fatal("write %s:", tmp);
	sha256done(res.hash, hex);
	if (strcmp(hex, digest + 7) != 0)
		fatal("%s: blob %s arrived with sha256 %s", cl->what, digest, hex);
	store_commit(store, tmp, digest);
	removeonfatal(NULL);
	resetresponse(&res);
	free(tmp);
	free(url);
	free(doing);
	free(path);
}

void
registry_pull(const char *ref, const char *platform, const char *out, const char *store)
{
	struct client cl;
	struct response res = {0};
	json_t *m, *pick, *l;
	char *what = xasprintf("pull %s", ref), digest[72], want[72];
	const char *mt;
	size_t i;

	res.fd = -1;
	clientinit(&cl, ref, what, "pull");
	if (!cl.r.digest)
		fatal("%s: a base is pulled by digest (run imagegen lock to pin its tag)", what);
	snprintf(want, sizeof(want), "%s", cl.r.digest);
	for (;;) {
		getmanifest(&cl, want, &res);
		memcpy(digest, "sha256:", 7);
		sha256hex(res.body.data, res.body.len, digest + 7);
		if (strcmp(digest, want) != 0)
			fatal("%s: the manifest arrived with digest %s, not %s", what, digest, want);
		m = json_loadb(res.body.data, res.body.len, 0, NULL);
		if (!m)
			fatal("%s: the manifest is not JSON", what);
		mt = json_string_value(json_object_get(m, "mediaType"));
		if (!mt)
			mt = res.ctype ? res.ctype : "";
		if (!base_isindex(mt) && !json_object_get(m, "manifests"))
			break;
		pick = base_pickplatform(m, platform, what);
		if (!pick)
			fatal("%s: no image for platform %s in its index", what, platform);
		if (!json_string_value(json_object_get(pick, "digest")) ||
		    !store_validdigest(json_string_value(json_object_get(pick, "digest"))))
			fatal("%s: malformed index", what);
		snprintf(want, sizeof(want), "%s", json_string_value(json_object_get(pick, "digest")));
		json_decref(m);
	}
	store_put(store, res.body.data, res.body.len, digest);
	getblob(&cl, store, json_string_value(json_object_get(json_object_get(m, "config"), "digest")));
	json_array_foreach(json_object_get(m, "layers"), i, l) {
		const char *d = json_string_value(json_object_get(l, "digest"));
		if (!d || !store_validdigest(d))
			fatal("%s: malformed layer descriptor", what);
		getblob(&cl, store, d);
	}
	base_write(out, store, m, what);
	json_decref(m);
	resetresponse(&res);
	free(res.body.data);
	clientfree(&cl);
	free(what);
}

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

/* the upload URL from a Location header, absolute, with the digest added */
static char *
uploadurl(struct client *cl, const char *location, const char *digest)
{
	const char *sep = strchr(location, '?') ? "&" : "?";

	if (strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0)
		return xasprintf("%s%sdigest=%s", location, sep, digest);
	return xasprintf("%s://%s%s%s%sdigest=%s", cl->r.scheme, cl->r.host, *location == '/' ? "" : "/",
	                 location, sep, digest);
}

/* make sure the registry has a blob; counts what it took */
static void
pushblob(struct client *cl, const char *store, const char *digest, long long size, const char *record,
         int counts[3])
{
	struct response res = {0};
	struct body b = {0};
	char *url, *doing, *from, *up;
	struct curl_slist *h;

	res.fd = -1;
	doing = xasprintf("blob %s", digest);
	url = apiurl(cl, "%s/blobs/%s", digest);
	request(cl, "HEAD", url, NULL, NULL, &res, doing);
	free(url);
	if (res.status == 200) {
		counts[2]++;
		remember(record, cl->r.host, digest, cl->r.repo);
		goto done;
	}
	from = mountfrom(record, cl->r.host, digest, cl->r.repo);
	if (from) {
		char *q = xasprintf("mount=%s&from=%s", digest, from);
		url = apiurl(cl, "%s/blobs/uploads/?%s", q);
		request(cl, "POST", url, NULL, NULL, &res, doing);
		free(url);
		free(q);
		free(from);
		if (res.status == 201) {
			counts[1]++;
			remember(record, cl->r.host, digest, cl->r.repo);
			goto done;
		}
	}
	if (res.status != 202) {
		url = apiurl(cl, "%s/blobs/uploads/%s", "");
		request(cl, "POST", url, NULL, NULL, &res, doing);
		free(url);
	}
	if (res.status != 202 || !res.location)
		refused(cl, res.status, doing);
	up = uploadurl(cl, res.location, digest);
	b.file = store_path(store, digest);
	b.len = (size_t)size;
	h = curl_slist_append(NULL, "Content-Type: application/octet-stream");
	request(cl, "PUT", up, h, &b, &res, doing);
	curl_slist_free_all(h);
	free((char *)b.file);
	free(up);
	if (res.status != 201)
		refused(cl, res.status, doing);
	counts[0]++;
	remember(record, cl->r.host, digest, cl->r.repo);
done:
	resetresponse(&res);
	free(res.body.data);
	free(doing);
}

void
registry_push(const char *layout, const char *ref, const char *record)
{
	struct client cl;
	struct response res = {0};
	struct body b = {0};
	struct buf manifest = {0};
	struct curl_slist *h;
	char *path, *what = xasprintf("push %s", ref), *url, *ctype;
	json_t *index, *mdesc, *m, *l;
	const char *mdigest, *mt;
	char store[4096], check[72];
	int counts[3] = {0, 0, 0};
	size_t i;

	clientinit(&cl, ref, what, "pull,push");
	if (cl.r.digest)
		fatal("%s: push to a tag, not a digest", what);
	res.fd = -1;
	path = xasprintf("%s/index.json", layout);
	index = readjson(path);
	free(path);
	mdesc = json_array_get(json_object_get(index, "manifests"), 0);
	mdigest = json_string_value(json_object_get(mdesc, "digest"));
	mt = json_string_value(json_object_get(mdesc, "mediaType"));
	if (!mdigest || !mt || !store_validdigest(mdigest))
		fatal("%s: %s/index.json names no manifest", what, layout);
	snprintf(store, sizeof(store), "%s/blobs", layout);
	path = store_path(store, mdigest);
	if (readall(path, &manifest) < 0)
		fatal("%s: %s:", what, path);
	free(path);
	memcpy(check, "sha256:", 7);
	sha256hex(manifest.data, manifest.len, check + 7);
	if (strcmp(check, mdigest) != 0)
		fatal("%s: %s does not match its digest", what, layout);
	m = json_loadb(manifest.data, manifest.len, 0, NULL);
	if (!m)
		fatal("%s: the manifest is not JSON", what);
	pushblob(&cl, store, json_string_value(json_object_get(json_object_get(m, "config"), "digest")),
	         json_integer_value(json_object_get(json_object_get(m, "config"), "size")), record, counts);
	json_array_foreach(json_object_get(m, "layers"), i, l) {
		pushblob(&cl, store, json_string_value(json_object_get(l, "digest")),
		         json_integer_value(json_object_get(l, "size")), record, counts);
	}
	url = apiurl(&cl, "%s/manifests/%s", cl.r.tag ? cl.r.tag : "latest");
	ctype = xasprintf("Content-Type: %s", mt);
	h = curl_slist_append(NULL, ctype);
	b.data = manifest.data;
	b.len = manifest.len;
	request(&cl, "PUT", url, h, &b, &res, "put the manifest");
	if (res.status != 201 && res.status != 200) {
		if (res.status == 400 && res.body.data)
			fatal("%s: put the manifest: 400: the registry %s says it is invalid: %.200s", what,
			      cl.r.host, res.body.data);
		refused(&cl, res.status, "put the manifest");
	}
	printf("push %s: %s, %d blob(s) uploaded, %d mounted, %d already there\n", ref, mdigest,
	       counts[0], counts[1], counts[2]);
	curl_slist_free_all(h);
	free(ctype);
	free(url);
	json_decref(m);
	json_decref(index);
	resetresponse(&res);
	free(res.body.data);
	free(manifest.data);
	clientfree(&cl);
	free(what);
}
