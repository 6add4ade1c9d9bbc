/*
 * registry: the OCI distribution protocol, to pull bases and push images.
 *
 * References are "host[:port]/repository[:tag][@sha256:...]". Loopback
 * registries (localhost, 127.0.0.0/8, [::1]) and the hosts listed in
 * IMAGEGEN_INSECURE_REGISTRIES (comma-separated host[:port]) are spoken to
 * over plain http; every other one over https with the certificate checked.
 *
 * Auth: a request answered 401 is tried again with what its
 * WWW-Authenticate asks for: Basic, with the credentials for the host (see
 * auth.c), or Bearer, with a token from the realm it names (asked for with
 * those credentials, or anonymously). The registry's credentials and
 * tokens go only to the registry's own origin (http.c enforces it on every
 * hop). Secrets are never printed: messages name the host and where the
 * credentials came from.
 *
 * Every function of the client returns 0, or -1 with the one-line reason
 * in cl->err; the entry points exit with it (registry_digest returns it).
 *
 * A blob goes up once: HEAD first, then a mount from another repository
 * of the registry that has it (one this machine pushed it to, as the
 * record lists, or the build cache's, as a struct blobfrom says), else an
 * upload. Pushing an image is image/push.c's, and copying one with its
 * referrers image/copy.c's, over this client (regclient.h). The build cache's requests go through the same client
 * (registry_open and the functions after it), with shorter limits.
 */
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/store.h"
#include "base/oci.h"
#include "net/http.h"
#include "net/auth.h"
#include "net/regclient.h"
#include "net/registry.h"

#define ACCEPT_MANIFESTS "Accept: " MT_INDEX ", " MT_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST

int
reg_fail(struct client *cl, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(cl->err, sizeof(cl->err), "%s: ", cl->what);
	va_start(ap, fmt);
	vsnprintf(cl->err + n, sizeof(cl->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

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

static int
parseref(struct client *cl, const char *s)
{
	const char *slash = strchr(s, '/'), *at = slash ? strchr(slash, '@') : NULL, *end, *colon;
	struct ref *r = &cl->r;
	char *url;
	int bad;

	memset(r, 0, sizeof(*r));
	if (!slash || slash == s)
		return reg_fail(cl, "'%s': a reference names its registry: host[:port]/repository[:tag][@digest]", s);
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
			return reg_fail(cl, "'%s': '%s' is not a sha256 digest", s, r->digest);
	}
	if (!*r->repo)
		return reg_fail(cl, "'%s': no repository", s);
	r->scheme = insecure(r->host) ? "http" : "https";
	url = xasprintf("%s://%s/", r->scheme, r->host);
	bad = http_origin(url, cl->origin, sizeof(cl->origin)) < 0;
	free(url);
	if (bad)
		return reg_fail(cl, "'%s': '%s' is not a registry host", s, r->host);
	return 0;
}

/* what a reference names in the repository: its digest, else its tag, else "latest" */
const char *
reg_refname(const struct ref *r)
{
	return r->digest ? r->digest : r->tag ? r->tag : "latest";
}

int
reg_refused(struct client *cl, long status, const char *doing)
{
	const char *why = status == 401 ? "unauthorized" : status == 403 ? "forbidden" :
	                  status == 404 ? "not found" : "refused";

	if (status == 401 && cl->havecreds)
		return reg_fail(cl, "%s: %ld %s: the registry %s refused the credentials from %s", doing,
		             status, why, cl->r.host, cl->c.from);
	if (status == 401)
		return reg_fail(cl, "%s: %ld %s: the registry %s wants credentials (none for it in the auth files)",
		             doing, status, why, cl->r.host);
	return reg_fail(cl, "%s: %ld %s by the registry %s", doing, status, why, cl->r.host);
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

/* whether s has a control character (a header line could be split there) */
static int
hascontrol(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

/* the host of a host[:port], [v6]:port or scheme://host:port origin, in out */
static void
hostpart(const char *s, char *out, size_t len)
{
	const char *p = strstr(s, "://"), *end;

	p = p ? p + 3 : s;
	end = *p == '[' ? strchr(p, ']') : strchr(p, ':');
	if (*p == '[' && end)
		end++;
	if (!end)
		end = p + strlen(p);
	snprintf(out, len, "%.*s", (int)(end - p), p);
}

/* whether the registry's credentials may go to a token realm at origin:
   over https, or over http to the registry's own host when the registry
   itself is spoken to over http (loopback, IMAGEGEN_INSECURE_REGISTRIES) */
static int
realmtrusted(struct client *cl, const char *origin)
{
	char a[512], b[512];

	if (strncmp(origin, "https:", 6) == 0)
		return 1;
	hostpart(origin, a, sizeof(a));
	hostpart(cl->r.host, b, sizeof(b));
	return strcmp(cl->r.scheme, "http") == 0 && strcasecmp(a, b) == 0;
}

/* a token from the realm of a Bearer challenge: cl->auth set, or -1 */
static int
bearer(struct client *cl, const char *challenge, const char *doing)
{
	struct httpreq req = {0};
	struct httpres res;
	char *realm, *service, *url = NULL, *basic = NULL, origin[512];
	const char *token;
	json_t *j = NULL;
	int ret = -1;

	realm = param(challenge, "realm");
	service = param(challenge, "service");
	if (!realm) {
		reg_fail(cl, "%s: the registry %s asks for a token without saying where from", doing, cl->r.host);
		goto out;
	}
	if (http_origin(realm, origin, sizeof(origin)) < 0) {
		reg_fail(cl, "%s: the registry %s names the token realm '%s', not an http or https URL", doing,
		      cl->r.host, realm);
		goto out;
	}
	if (hascontrol(realm) || (service && hascontrol(service)) || strchr(realm, ' ') ||
	    (service && strpbrk(service, " &#"))) {
		reg_fail(cl, "%s: the registry %s names a malformed token realm or service", doing, cl->r.host);
		goto out;
	}
	if (cl->havecreds && !realmtrusted(cl, origin)) {
		reg_fail(cl, "%s: the token realm %s is plain http %s; the credentials for %s (from %s) "
		      "were not sent there", doing, realm, strcmp(cl->r.scheme, "https") == 0 ?
		      "for a registry spoken to over https" : "on another host than the registry's", cl->r.host,
		      cl->c.from);
		goto out;
	}
	url = xasprintf("%s%sservice=%s&scope=repository:%s:%s", realm, strchr(realm, '?') ? "&" : "?",
	                service ? service : "", cl->r.repo, cl->actions);
	if (cl->havecreds)
		basic = auth_basic(&cl->c);
	req.method = "GET";
	req.url = url;
	req.follow = 1;
	req.auth = basic;
	req.authorigin = origin;
	http_init(&res);
	if (http_do(&req, &res) < 0) {
		reg_fail(cl, "%s: the token server for %s: %s", doing, cl->r.host, res.err);
	} else if (res.status != 200) {
		reg_refused(cl, res.status == 401 || res.status == 403 ? 401 : res.status, doing);
	} else {
		j = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, NULL);
		token = json_string_value(json_object_get(j, "token"));
		if (!token)
			token = json_string_value(json_object_get(j, "access_token"));
		if (!token) {
			reg_fail(cl, "%s: the token server for %s gave no token", doing, cl->r.host);
		} else if (hascontrol(token) || !*token) {
			reg_fail(cl, "%s: the token server for %s gave a token with control characters", doing,
			      cl->r.host);
		} else {
			free(cl->auth);
			cl->auth = xasprintf("Authorization: Bearer %s", token);
			ret = 0;
		}
	}
	json_decref(j);
	http_free(&res);
out:
	free(basic);
	free(realm);
	free(service);
	free(url);
	return ret;
}

/* answer a 401's challenge: cl->auth set, or -1 with why not */
static int
authenticate(struct client *cl, const char *challenge, const char *doing)
{
	if (!challenge)
		return reg_refused(cl, 401, doing);
	if (!cl->havecreds && auth_find(cl->r.host, &cl->c) == 0) {
		if (hascontrol(cl->c.user) || hascontrol(cl->c.secret))
			return reg_fail(cl, "%s: the credentials for %s from %s have control characters", doing,
			             cl->r.host, cl->c.from);
		cl->havecreds = 1;
	}
	if (strncasecmp(challenge, "basic", 5) == 0) {
		if (!cl->havecreds || cl->auth)
			return reg_refused(cl, 401, doing);
		cl->auth = auth_basic(&cl->c);
		return 0;
	}
	if (strncasecmp(challenge, "bearer", 6) != 0 ||
	    (cl->auth && strncmp(cl->auth, "Authorization: Bearer", 21) == 0))
		return reg_refused(cl, 401, doing);
	return bearer(cl, challenge, doing);
}

/* a request to the registry, answering an auth challenge once */
int
reg_request(struct client *cl, struct httpreq *req, struct httpres *res, const char *doing)
{
	int round;

	req->authorigin = cl->origin;
	req->follow = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	req->timeout = cl->timeout;
	req->stall = cl->stall;
	req->tries = cl->tries;
	for (round = 0; round < 3; round++) {
		req->auth = cl->auth;
		if (http_do(req, res) < 0)
			return reg_fail(cl, "%s: %s (%s://%s)", doing, res->err, cl->r.scheme, cl->r.host);
		if (res->status != 401)
			return 0;
		if (authenticate(cl, res->challenge, doing) < 0)
			return -1;
	}
	return reg_refused(cl, res->status, doing);
}

char *
reg_apiurl(struct client *cl, const char *fmt, const char *arg)
{
	char *path = xasprintf(fmt, cl->r.repo, arg);
	char *url = xasprintf("%s://%s/v2/%s", cl->r.scheme, cl->r.host, path);

	free(path);
	return url;
}

/* the upload URL from a Location header, absolute, with the digest added */
char *
reg_uploadurl(struct client *cl, const char *location, const char *digest)
{
	const char *sep = strchr(location, '?') ? "&" : "?";

	if (strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0)
		return xasprintf("%s%sdigest=%s", location, sep, digest);
	return xasprintf("%s://%s%s%s%sdigest=%s", cl->r.scheme, cl->r.host, *location == '/' ? "" : "/",
	                 location, sep, digest);
}

int
reg_init(struct client *cl, const char *ref, const char *what, const char *actions)
{
	memset(cl, 0, sizeof(*cl));
	cl->what = what;
	cl->actions = actions;
	return parseref(cl, ref);
}

void
reg_free(struct client *cl)
{
	freeref(&cl->r);
	auth_free(&cl->c);
	free(cl->auth);
}

/* GET a manifest (or index) by tag or digest into res->body */
static int
getmanifest(struct client *cl, const char *which, struct httpres *res)
{
	static const char *const accept[] = {ACCEPT_MANIFESTS, NULL};
	struct httpreq req = {0};
	char *url = reg_apiurl(cl, "%s/manifests/%s", which), *doing = xasprintf("get manifest %s", which);
	int ret;

	req.method = "GET";
	req.url = url;
	req.headers = accept;
	ret = reg_request(cl, &req, res, doing);
	if (ret == 0 && res->status != 200)
		ret = reg_refused(cl, res->status, doing);
	free(url);
	free(doing);
	return ret;
}

int
registry_digest(const char *ref, char digest[72], char *err, size_t errlen)
{
	struct client cl;
	struct httpres res;
	char *what = xasprintf("resolve %s", ref);
	int ret;

	http_init(&res);
	ret = reg_init(&cl, ref, what, "pull");
	if (ret == 0)
		ret = getmanifest(&cl, reg_refname(&cl.r), &res);
	if (ret == 0) {
		memcpy(digest, "sha256:", 7);
		sha256hex(res.body.data, res.body.len, digest + 7);
	} else {
		snprintf(err, errlen, "%s", cl.err);
	}
	http_free(&res);
	reg_free(&cl);
	free(what);
	return ret;
}

/* the blob a checked descriptor names into the store, verified; -2 when
   the registry has no such blob or sent other bytes */
static int
getblob(struct client *cl, const char *store, json_t *desc)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	long long size = json_integer_value(json_object_get(desc, "size"));
	struct httpreq req = {0};
	struct httpres res;
	char *path = store_path(store, digest), *tmp, *url, *doing, hex[65];
	int ret;

	if (sha256verify(path, digest + 7) == 0) {
		free(path);
		return 0;
	}
	http_init(&res);
	res.fd = store_tmp(store, &tmp);
	removeonfatal(tmp);
	url = reg_apiurl(cl, "%s/blobs/%s", digest);
	doing = xasprintf("get blob %s", digest);
	req.method = "GET";
	req.url = url;
	/* a blob at most its descriptor's size; none at all when that is 0 */
	req.maxbody = size > 0 ? size : 1;
	req.progress = cl->progress;
	if (cl->progress)
		http_progress(cl->progress, 0, size, NULL);
	ret = reg_request(cl, &req, &res, doing);
	if (ret < 0 && res.toolarge)
		ret = -2;
	if (ret == 0 && res.status != 200) {
		ret = reg_refused(cl, res.status, doing);
		if (res.status == 404)
			ret = -2;
	}
	if (close(res.fd) < 0)
		fatal("write %s:", tmp);
	if (ret == 0) {
		sha256done(res.hash, hex);
		res.hash = NULL;
		if (res.size != size || strcmp(hex, digest + 7) != 0) {
			reg_fail(cl, "blob %s arrived as %lld bytes with sha256 %s, not the %lld its descriptor says",
			      digest, res.size, hex, size);
			ret = -2;
		}
	}
	if (ret == 0 && cl->progress)
		http_progress(cl->progress, size, size, NULL);
	if (ret == 0)
		store_commit(store, tmp, digest);
	else
		unlink(tmp);
	removeonfatal(NULL);
	http_free(&res);
	free(tmp);
	free(url);
	free(doing);
	free(path);
	return ret;
}

/* the manifest ref names for platform, its blobs into the store: the
   manifest (its digest in digest), or NULL */
static json_t *
pull(struct client *cl, const char *platform, const char *store, char digest[72])
{
	struct httpres res;
	json_t *m = NULL, *pick, *l;
	char want[72], why[256], *label = NULL;
	const char *mt;
	size_t i, n;
	int depth = 0;

	if (!cl->r.digest) {
		reg_fail(cl, "a base is pulled by digest (run imagegen lock to pin its tag)");
		return NULL;
	}
	http_init(&res);
	snprintf(want, sizeof(want), "%s", cl->r.digest);
	for (;;) {
		if (getmanifest(cl, want, &res) < 0)
			goto err;
		memcpy(digest, "sha256:", 7);
		sha256hex(res.body.data, res.body.len, digest + 7);
		if (strcmp(digest, want) != 0) {
			reg_fail(cl, "the manifest arrived with digest %s, not %s", digest, want);
			goto err;
		}
		m = json_loadb(res.body.data, res.body.len, 0, NULL);
		if (!m) {
			reg_fail(cl, "the manifest is not JSON");
			goto err;
		}
		mt = json_string_value(json_object_get(m, "mediaType"));
		if (!mt)
			mt = res.ctype ? res.ctype : "";
		if (!oci_isindex(mt) && !json_object_get(m, "manifests"))
			break;
		if (oci_checkindex(m, why, sizeof(why)) < 0) {
			reg_fail(cl, "%s", why);
			goto err;
		}
		if (++depth > 8) {
			reg_fail(cl, "image indexes nested more than 8 deep");
			goto err;
		}
		pick = oci_pickplatform(m, platform, cl->what);
		if (!pick) {
			reg_fail(cl, "no image for platform %s in its index", platform);
			goto err;
		}
		snprintf(want, sizeof(want), "%s", json_string_value(json_object_get(pick, "digest")));
		json_decref(m);
		m = NULL;
	}
	if (oci_checkmanifest(m, why, sizeof(why)) < 0) {
		reg_fail(cl, "%s", why);
		goto err;
	}
	store_put(store, res.body.data, res.body.len, digest);
	/* on a terminal, each blob's progress: "pulling team/base: layer 2/3 1.2/4.5 MB" */
	label = xasprintf("pulling %s: config", cl->r.repo);
	cl->progress = label;
	if (getblob(cl, store, json_object_get(m, "config")) < 0)
		goto err;
	n = json_array_size(json_object_get(m, "layers"));
	json_array_foreach(json_object_get(m, "layers"), i, l) {
		free(label);
		label = xasprintf("pulling %s: layer %zu/%zu", cl->r.repo, i + 1, n);
		cl->progress = label;
		if (getblob(cl, store, l) < 0)
			goto err;
	}
	cl->progress = NULL;
	free(label);
	http_progressend();
	http_free(&res);
	return m;
err:
	cl->progress = NULL;
	free(label);
	http_progressend();
	json_decref(m);
	http_free(&res);
	return NULL;
}

json_t *
registry_pull(const char *ref, const char *platform, const char *store, const char *what, char digest[72])
{
	struct client cl;
	json_t *m = NULL;

	if (reg_init(&cl, ref, what, "pull") < 0 || !(m = pull(&cl, platform, store, digest)))
		fatal("%s", cl.err);
	reg_free(&cl);
	return m;
}

int
registry_fetch(const char *ref, const char *platform, const char *store, char top[72], char *err, size_t errlen)
{
	struct client cl;
	struct httpres res;
	char *what = xasprintf("%s", ref), digest[72];
	json_t *m = NULL;
	int ret;

	http_init(&res);
	ret = reg_init(&cl, ref, what, "pull");
	if (ret == 0)
		ret = getmanifest(&cl, reg_refname(&cl.r), &res);
	if (ret == 0) {
		store_put(store, res.body.data ? res.body.data : "", res.body.len, top);
		if (cl.r.digest && strcmp(cl.r.digest, top) != 0)
			ret = reg_fail(&cl, "the manifest arrived with digest %s, not %s", top, cl.r.digest);
	}
	if (ret == 0 && platform) {
		free(cl.r.digest);
		cl.r.digest = xstrdup(top);
		if (!(m = pull(&cl, platform, store, digest)))
			ret = -1;
	}
	if (ret < 0)
		snprintf(err, errlen, "%s", cl.err);
	json_decref(m);
	http_free(&res);
	reg_free(&cl);
	free(what);
	return ret;
}

/*
 * The build cache's requests (cache.c): one repository, short limits, and
 * a "not there" told apart from a registry that could not be asked.
 */

struct client *
registry_open(const char *repo, const char *what, int push, long timeout, long stall, char *err, size_t errlen)
{
	struct client *cl = xmalloc(sizeof(*cl));

	if (reg_init(cl, repo, what, push ? "pull,push" : "pull") < 0) {
		snprintf(err, errlen, "%s", cl->err);
		registry_close(cl);
		return NULL;
	}
	cl->timeout = timeout;
	cl->stall = stall;
	cl->tries = 2;
	return cl;
}

void
registry_limits(struct client *cl, long timeout, long stall)
{
	cl->timeout = timeout;
	cl->stall = stall;
}

void
registry_close(struct client *cl)
{
	if (!cl)
		return;
	reg_free(cl);
	free(cl);
}

const char *
registry_err(struct client *cl)
{
	return cl->err;
}

int
registry_gettag(struct client *cl, const char *tag, struct buf *body)
{
	static const char *const accept[] = {"Accept: " MT_MANIFEST, NULL};
	struct httpreq req = {0};
	struct httpres res;
	char *url = reg_apiurl(cl, "%s/manifests/%s", tag);
	int ret;

	http_init(&res);
	req.method = "GET";
	req.url = url;
	req.headers = accept;
	ret = reg_request(cl, &req, &res, "look up an entry");
	if (ret == 0 && res.status == 200) {
		bufadd(body, res.body.data ? res.body.data : "", res.body.len);
		ret = 1;
	} else if (ret == 0 && res.status != 404) {
		ret = reg_refused(cl, res.status, "look up an entry");
	}
	http_free(&res);
	free(url);
	return ret;
}

int
registry_getblob(struct client *cl, const char *store, const char *digest, long long size)
{
	json_t *desc = json_pack("{s:s, s:I}", "digest", digest, "size", (json_int_t)size);
	int ret;

	if (!desc)
		fatal("out of memory");
	ret = getblob(cl, store, desc);
	json_decref(desc);
	return ret;
}

/* the repository of host other than repo that this machine pushed the blob
   digest to, as record lists them ("host digest repo" lines); NULL if none */
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

int
registry_putblob(struct client *cl, const char *store, const char *digest, long long size, const char *record,
                 const struct blobfrom *from)
{
	static const char *const octets[] = {"Content-Type: application/octet-stream", NULL};
	struct httpreq req = {0};
	struct httpres res;
	char *doing, *mount, *up = NULL, *file = NULL;
	/* how the registry came to have the blob, once it has it (REG_*) */
	int ret, had = -1;

	http_init(&res);
	doing = xasprintf("blob %s", digest);
	ret = bare(cl, "HEAD", reg_apiurl(cl, "%s/blobs/%s", digest), &res, doing);
	if (ret < 0)
		goto done;
	if (res.status == 200) {
		had = REG_PRESENT;
		goto done;
	}
	mount = mountfrom(record, cl->r.host, digest, cl->r.repo);
	/* a blob of the build cache's, on this registry: mounted from there, never downloaded */
	if (!mount && from && from->mount)
		mount = from->mount(store, cl->r.host, digest, cl->r.repo);
	if (mount) {
		char *q = xasprintf("mount=%s&from=%s", digest, mount);
		ret = bare(cl, "POST", reg_apiurl(cl, "%s/blobs/uploads/?%s", q), &res, doing);
		free(q);
		free(mount);
		if (ret < 0)
			goto done;
		if (res.status == 201) {
			had = REG_MOUNTED;
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
	if (from && from->fill && from->fill(store, digest) < 0) {
		ret = reg_fail(cl, "%s: the store has no such blob", doing);
		goto done;
	}
	file = store_path(store, digest);
	req.method = "PUT";
	req.url = up;
	req.headers = octets;
	req.bodyfile = file;
	req.bodylen = size;
	req.progress = cl->progress;
	ret = reg_request(cl, &req, &res, doing);
	if (ret == 0 && res.status != 201)
		ret = reg_refused(cl, res.status, doing);
	if (ret == 0)
		had = REG_UPLOADED;
done:
	if (had >= 0)
		remember(record, cl->r.host, digest, cl->r.repo);
	http_free(&res);
	free(file);
	free(up);
	free(doing);
	return ret < 0 || had < 0 ? -1 : had;
}

int
registry_putmanifest(struct client *cl, const char *data, size_t len, const char *mt, const char *reference,
                     int *indexed)
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
	req.body = data;
	req.bodylen = (long long)len;
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
