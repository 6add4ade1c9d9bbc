/*
 * sign: signatures of images as cosign makes them, so that `cosign verify
 * --key` and imagegen verify both check them.
 *
 * A signature signs the "simple signing" payload of a manifest (or index)
 * digest:
 *   {"critical":{"identity":{"docker-reference":REPO},
 *    "image":{"docker-manifest-digest":DIGEST},
 *    "type":"cosign container image signature"},"optional":null}
 * with an ECDSA P-256 key (SHA-256, the signature DER) or an Ed25519 key,
 * read from a PEM file (libcrypto, loaded for it alone), or by a command
 * that reads the payload on stdin and writes the signature on stdout (DER
 * or base64: a KMS's client, `openssl dgst -sha256 -sign KEY`), so a
 * key's secret never needs to be a file imagegen reads.
 *
 * The signatures of a digest are the layers of one artifact manifest, each
 * the payload (MT_SIMPLESIGNING) with its signature in base64 in the
 * annotation COSIGN_SIGNATURE: cosign's layout. The manifest has an empty
 * config, artifactType MT_COSIGN_SIG and the signed manifest as its
 * subject, so it is an OCI 1.1 referrer as well; cosign finds it under the
 * tag sha256-HEX.sig. In a layout it is listed in index.json with that tag
 * as its ref.name; a push sends it as a referrer and under that tag.
 * Signing again adds a layer (several keys may sign one image).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/lib.h"
#include "base/crypto.h"
#include "base/digest.h"
#include "base/json.h"
#include "base/store.h"
#include "base/oci.h"
#include "image/provenance.h"
#include "image/sign.h"


#define PAYLOADTYPE "cosign container image signature"

/* the most a key file, a signature, a payload or a document read here may hold */
enum { MAXKEY = 64 << 10, MAXSIG = 64 << 10, MAXDOC = 4 << 20 };

/* the libcrypto functions sign.c calls, once loaded */
static struct {
	BIO *(*BIO_new_mem_buf)(const void *, int);
	int (*BIO_free)(BIO *);
	EVP_PKEY *(*PEM_read_bio_PrivateKey)(BIO *, EVP_PKEY **, pem_password_cb *, void *);
	EVP_PKEY *(*PEM_read_bio_PUBKEY)(BIO *, EVP_PKEY **, pem_password_cb *, void *);
	void (*EVP_PKEY_free)(EVP_PKEY *);
	int (*EVP_PKEY_get_base_id)(const EVP_PKEY *);
	int (*EVP_PKEY_get_group_name)(const EVP_PKEY *, char *, size_t, size_t *);
	EVP_MD_CTX *(*EVP_MD_CTX_new)(void);
	void (*EVP_MD_CTX_free)(EVP_MD_CTX *);
	int (*EVP_DigestSignInit)(EVP_MD_CTX *, EVP_PKEY_CTX **, const EVP_MD *, ENGINE *, EVP_PKEY *);
	int (*EVP_DigestSign)(EVP_MD_CTX *, unsigned char *, size_t *, const unsigned char *, size_t);
	int (*EVP_DigestVerifyInit)(EVP_MD_CTX *, EVP_PKEY_CTX **, const EVP_MD *, ENGINE *, EVP_PKEY *);
	int (*EVP_DigestVerify)(EVP_MD_CTX *, const unsigned char *, size_t, const unsigned char *, size_t);
	const EVP_MD *(*EVP_sha256)(void);
	int (*EVP_EncodeBlock)(unsigned char *, const unsigned char *, int);
	int (*EVP_DecodeBlock)(unsigned char *, const unsigned char *, int);
} ssl;

/* the table's field f: libcrypto's f, checked by the compiler to have its type */
#define SSLFN(f) libfn(cryptolib("signatures"), #f, &ssl.f, sizeof(0 ? &f : ssl.f))

static void
sslinit(void)
{
	if (ssl.EVP_DecodeBlock)
		return;
	libload(cryptolib("signatures"));
	SSLFN(BIO_new_mem_buf);
	SSLFN(BIO_free);
	SSLFN(PEM_read_bio_PrivateKey);
	SSLFN(PEM_read_bio_PUBKEY);
	SSLFN(EVP_PKEY_free);
	SSLFN(EVP_PKEY_get_base_id);
	SSLFN(EVP_PKEY_get_group_name);
	SSLFN(EVP_MD_CTX_new);
	SSLFN(EVP_MD_CTX_free);
	SSLFN(EVP_DigestSignInit);
	SSLFN(EVP_DigestSign);
	SSLFN(EVP_DigestVerifyInit);
	SSLFN(EVP_DigestVerify);
	SSLFN(EVP_sha256);
	SSLFN(EVP_EncodeBlock);
	SSLFN(EVP_DecodeBlock);
}

/* an encrypted key is refused rather than asked a passphrase for */
static int
nopassphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* the digest a key signs with: SHA-256 for P-256, none (the message
   itself) for Ed25519; exits naming path for any other key */
static const EVP_MD *
keydigest(EVP_PKEY *k, const char *path)
{
	char group[64];
	size_t n;

	if (ssl.EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519)
		return NULL;
	if (ssl.EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	    ssl.EVP_PKEY_get_group_name(k, group, sizeof(group), &n) == 1 && strcmp(group, "prime256v1") == 0)
		return ssl.EVP_sha256();
	fatal("%s: not an ECDSA P-256 or Ed25519 key", path);
	return NULL;
}

/* the private (or public) key of the PEM file path; exits naming it */
static EVP_PKEY *
loadkey(const char *path, int private)
{
	struct buf b = {0};
	struct stat st;
	EVP_PKEY *k;
	BIO *bio;

	sslinit();
	if (stat(path, &st) < 0 || readall(path, &b) < 0)
		fatal("%s: %s", path, strerror(errno));
	if (b.len > MAXKEY)
		fatal("%s: more than %d bytes: not a key", path, MAXKEY);
	bio = ssl.BIO_new_mem_buf(b.data ? b.data : "", (int)b.len);
	if (!bio)
		fatal("out of memory");
	k = private ? ssl.PEM_read_bio_PrivateKey(bio, NULL, nopassphrase, NULL)
	            : ssl.PEM_read_bio_PUBKEY(bio, NULL, nopassphrase, NULL);
	ssl.BIO_free(bio);
	free(b.data);
	if (!k)
		fatal("%s: not a PEM %s (an unencrypted ECDSA P-256 or Ed25519 key; a key kept elsewhere signs "
		      "through --key-command)", path, private ? "private key" : "public key");
	keydigest(k, path);
	return k;
}

/* msg's signature by the key at path (free it) */
static unsigned char *
signwithkey(const char *path, const void *msg, size_t n, size_t *len)
{
	EVP_PKEY *k = loadkey(path, 1);
	EVP_MD_CTX *ctx = ssl.EVP_MD_CTX_new();
	unsigned char *sig;

	if (!ctx)
		fatal("out of memory");
	if (ssl.EVP_DigestSignInit(ctx, NULL, keydigest(k, path), NULL, k) != 1 ||
	    ssl.EVP_DigestSign(ctx, NULL, len, msg, n) != 1)
		fatal("%s: cannot sign with this key", path);
	sig = xmalloc(*len);
	if (ssl.EVP_DigestSign(ctx, sig, len, msg, n) != 1)
		fatal("%s: cannot sign with this key", path);
	ssl.EVP_MD_CTX_free(ctx);
	ssl.EVP_PKEY_free(k);
	return sig;
}

/* whether sig is a signature of msg by the public key k (from path) */
static int
verifies(EVP_PKEY *k, const char *path, const void *msg, size_t n, const unsigned char *sig, size_t len)
{
	EVP_MD_CTX *ctx = ssl.EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		fatal("out of memory");
	ok = ssl.EVP_DigestVerifyInit(ctx, NULL, keydigest(k, path), NULL, k) == 1 &&
	     ssl.EVP_DigestVerify(ctx, sig, len, msg, n) == 1;
	ssl.EVP_MD_CTX_free(ctx);
	return ok;
}

static char *
base64(const unsigned char *data, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	ssl.EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	return out;
}

/* the bytes of base64 text s (whitespace around it ignored): NULL if it is not base64 */
static unsigned char *
unbase64(const char *s, size_t *len)
{
	size_t n, pad = 0;
	unsigned char *out;
	int got;

	while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n % 4 != 0 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") < n)
		return NULL;
	while (pad < 2 && s[n - 1 - pad] == '=')
		pad++;
	if (strcspn(s, "=") < n - pad)
		return NULL;
	out = xmalloc(n / 4 * 3 + 1);
	got = ssl.EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (got < 0 || (size_t)got < pad) {
		free(out);
		return NULL;
	}
	*len = (size_t)got - pad;
	return out;
}

/* msg's signature by the command cmd (sh -c), which reads msg on stdin and
   writes the signature, DER or base64, on stdout (free it) */
static unsigned char *
signwithcommand(const char *cmd, const void *msg, size_t n, size_t *len)
{
	int in[2], out[2], status;
	struct buf b = {0};
	unsigned char *sig;
	char chunk[4096];
	void (*oldpipe)(int);
	ssize_t got;
	size_t done = 0;
	pid_t pid;

	if (pipe(in) < 0 || pipe(out) < 0)
		fatal("sign: pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fatal("sign: fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	/* a command that does not read all of it: its status says */
	oldpipe = signal(SIGPIPE, SIG_IGN);
	while (done < n && (got = write(in[1], (const char *)msg + done, n - done)) > 0)
		done += (size_t)got;
	close(in[1]);
	while ((got = read(out[0], chunk, sizeof(chunk))) > 0 || (got < 0 && errno == EINTR)) {
		if (got > 0 && b.len + (size_t)got <= MAXSIG)
			bufadd(&b, chunk, (size_t)got);
	}
	close(out[0]);
	signal(SIGPIPE, oldpipe);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fatal("sign: the key command failed (%s %d): %s", WIFEXITED(status) ? "exit status" : "signal",
		      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), cmd);
	if (b.len == 0)
		fatal("sign: the key command wrote no signature: %s", cmd);
	bufadd(&b, "", 1);
	sig = unbase64(b.data, len);
	if (!sig) {
		*len = b.len - 1;
		return (unsigned char *)b.data;
	}
	free(b.data);
	return sig;
}

int
sign_fromenv(struct signer *s)
{
	const char *key = getenv("IMAGEGEN_SIGN_KEY"), *cmd = getenv("IMAGEGEN_SIGN_COMMAND");
	const char *pub = getenv("IMAGEGEN_SIGN_PUBLIC_KEY");

	s->key = key && *key ? key : NULL;
	s->command = !s->key && cmd && *cmd ? cmd : NULL;
	s->public = pub && *pub ? pub : NULL;
	return s->key || s->command;
}

char *
sign_tag(const char *digest)
{
	return xasprintf("sha256-%s.sig", digest + 7);
}

/* the simple signing payload of digest in repo (free it) */
static char *
payload(const char *repo, const char *digest)
{
	json_t *p = json_pack("{s:{s:{s:s}, s:{s:s}, s:s}, s:n}", "critical", "identity", "docker-reference", repo,
	                      "image", "docker-manifest-digest", digest, "type", PAYLOADTYPE, "optional");
	char *text;

	if (!p)
		fatal("out of memory");
	text = dumpjson(p);
	json_decref(p);
	return text;
}

json_t *
sign_artifact(const char *store, json_t *subject, const char *repo, const struct signer *s, json_t *old)
{
	const char *digest = json_string_value(json_object_get(subject, "digest"));
	char *pl, *sig64, pdigest[72], empty[72];
	unsigned char *sig;
	size_t siglen;
	json_t *layers, *l, *art, *d;
	size_t i;

	if (!digest || !store_validdigest(digest))
		fatal("sign: a manifest without a digest");
	sslinit();
	pl = payload(repo, digest);
	sig = s->key ? signwithkey(s->key, pl, strlen(pl), &siglen) : signwithcommand(s->command, pl, strlen(pl), &siglen);
	if (s->public) {
		EVP_PKEY *k = loadkey(s->public, 0);
		if (!verifies(k, s->public, pl, strlen(pl), sig, siglen))
			fatal("sign: the signature does not verify with %s", s->public);
		ssl.EVP_PKEY_free(k);
	}
	sig64 = base64(sig, siglen);
	store_put(store, pl, strlen(pl), pdigest);
	store_put(store, "{}", 2, empty);
	layers = json_array();
	if (!layers)
		fatal("out of memory");
	/* the signatures made before, but one with the same bytes */
	json_array_foreach(json_object_get(old, "layers"), i, l) {
		const char *was = json_string_value(json_object_get(json_object_get(l, "annotations"), COSIGN_SIGNATURE));
		if (!was || strcmp(was, sig64) != 0)
			jsonappend(layers, json_incref(l));
	}
	jsonappend(layers, json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", MT_SIMPLESIGNING, "digest", pdigest,
	                             "size", (json_int_t)strlen(pl), "annotations", COSIGN_SIGNATURE, sig64));
	art = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:i}, s:o, s:{s:O, s:O, s:O}}", "schemaVersion", 2,
	                "mediaType", MT_MANIFEST, "artifactType", MT_COSIGN_SIG, "config", "mediaType", MT_EMPTY,
	                "digest", empty, "size", 2, "layers", layers, "subject", "mediaType",
	                json_object_get(subject, "mediaType"), "digest", json_object_get(subject, "digest"), "size",
	                json_object_get(subject, "size"));
	if (!art)
		fatal("out of memory");
	d = store_putjson(store, MT_MANIFEST, art);
	jsonset(d, "artifactType", json_string(MT_COSIGN_SIG));
	json_decref(art);
	free(sig64);
	free(sig);
	free(pl);
	return d;
}

/* a blob of the layout's store, checked: its bytes hash to digest (and are
   at most MAXDOC); NULL with why in err */
static char *
readblob(const char *store, const char *digest, size_t *len, char *err, size_t errlen)
{
	char *path, hex[65];
	struct buf b = {0};
	struct stat st;

	if (!digest || !store_validdigest(digest)) {
		snprintf(err, errlen, "a descriptor without a digest");
		return NULL;
	}
	path = store_path(store, digest);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAXDOC || readall(path, &b) < 0) {
		snprintf(err, errlen, "blob %s: missing or not a file of at most %d bytes", digest, MAXDOC);
		free(path);
		return NULL;
	}
	free(path);
	sha256hex(b.data ? b.data : "", b.len, hex);
	if (strcmp(hex, digest + 7) != 0) {
		snprintf(err, errlen, "blob %s: its bytes have another digest", digest);
		free(b.data);
		return NULL;
	}
	bufadd(&b, "", 1);
	*len = b.len - 1;
	return b.data;
}

/* a JSON blob of the layout's store, checked; NULL with why in err */
static json_t *
readdoc(const char *store, const char *digest, char *err, size_t errlen)
{
	size_t len;
	char *data = readblob(store, digest, &len, err, errlen);
	json_error_t je;
	json_t *j;

	if (!data)
		return NULL;
	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	free(data);
	if (!j || !json_is_object(j)) {
		snprintf(err, errlen, "blob %s: not a JSON object", digest);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* o's string at key, or "" */
static const char *
strof(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static const char *
annotation(json_t *desc, const char *key)
{
	return json_string_value(json_object_get(json_object_get(desc, "annotations"), key));
}

/* the repository a layout's image is named for: io.containerd.image.name
   without its tag, else "" (free it) */
static char *
repoof(json_t *desc)
{
	const char *name = annotation(desc, "io.containerd.image.name");
	const char *slash, *colon;

	if (!name)
		return xstrdup("");
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	return colon ? xasprintf("%.*s", (int)(colon - name), name) : xstrdup(name);
}

static json_t *
readindex(const char *dir, char **store)
{
	char *path = xasprintf("%s/index.json", dir);
	struct stat st;
	json_t *index;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		fatal("%s: not an OCI layout (no index.json)", dir);
	if (st.st_size > MAXDOC)
		fatal("%s: index.json is larger than %d bytes", dir, MAXDOC);
	index = loadjson(path, JSON_REJECT_DUPLICATES);
	if (!json_is_array(json_object_get(index, "manifests")))
		fatal("%s: index.json has no manifests", dir);
	free(path);
	*store = xasprintf("%s/blobs", dir);
	return index;
}

void
sign_layout(const char *dir, const struct signer *s, int attachments)
{
	char *store, *path = xasprintf("%s/index.json", dir), err[512], *text;
	json_t *index = readindex(dir, &store), *list = json_object_get(index, "manifests");
	json_t *subjects = json_array(), *d, *e;
	char *repo = NULL;
	size_t i, j;

	if (!subjects)
		fatal("out of memory");
	json_array_foreach(list, i, d) {
		const char *at = json_string_value(json_object_get(d, "artifactType"));
		if (!at && !repo)
			repo = repoof(d);
		if (!at || (attachments && strcmp(at, MT_COSIGN_SIG) != 0))
			jsonappend(subjects, json_pack("{s:O, s:O, s:O}", "mediaType", json_object_get(d, "mediaType"),
			                               "digest", json_object_get(d, "digest"), "size",
			                               json_object_get(d, "size")));
	}
	if (!repo)
		fatal("%s: no image in the layout to sign", dir);
	json_array_foreach(subjects, i, d) {
		const char *digest = json_string_value(json_object_get(d, "digest"));
		char *tag = sign_tag(digest ? digest : "sha256:");
		json_t *old = NULL, *desc;
		size_t at = json_array_size(list);

		if (oci_checkdescriptor(d, "a manifest of index.json", err, sizeof(err)) < 0)
			fatal("%s: %s", dir, err);
		json_array_foreach(list, j, e) {
			const char *name = annotation(e, "org.opencontainers.image.ref.name");
			if (name && strcmp(name, tag) == 0 &&
			    strcmp(strof(e, "artifactType"), MT_COSIGN_SIG) == 0) {
				if (!(old = readdoc(store, json_string_value(json_object_get(e, "digest")), err, sizeof(err))))
					fatal("%s: the signatures of %s: %s", dir, digest, err);
				at = j;
			}
		}
		desc = sign_artifact(store, d, repo, s, old);
		jsonset(desc, "annotations", json_pack("{s:s}", "org.opencontainers.image.ref.name", tag));
		if (at < json_array_size(list))
			json_array_set_new(list, at, desc);
		else
			jsonappend(list, desc);
		printf("signed %s %s (%zu signature%s)\n", dir, digest, json_array_size(json_object_get(old, "layers")) + 1,
		       old ? "s" : "");
		json_decref(old);
		free(tag);
	}
	text = dumpjson(index);
	xreplacefile(path, text, strlen(text));
	free(text);
	free(repo);
	free(store);
	free(path);
	json_decref(subjects);
	json_decref(index);
}

/* the artifact manifest e (a descriptor of index.json) names, when it is
   of type and its subject is digest; else NULL (exits on a blob that is
   not what its descriptor says) */
static json_t *
artifactof(const char *store, json_t *e, const char *type, const char *digest)
{
	char err[512];
	json_t *m;

	if (strcmp(strof(e, "artifactType"), type) != 0)
		return NULL;
	if (!(m = readdoc(store, json_string_value(json_object_get(e, "digest")), err, sizeof(err))))
		fatal("%s", err);
	if (strcmp(strof(json_object_get(m, "subject"), "digest"), digest) != 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* the good signatures by k of digest among the signature artifacts of the
   layout's list; total: how many there are */
static int
goodsignatures(const char *store, json_t *list, const char *digest, EVP_PKEY *k, const char *pub, int *total)
{
	char err[512];
	json_t *e, *m, *l, *seen = json_object();
	size_t i, j;
	int good = 0;

	if (!seen)
		fatal("out of memory");
	*total = 0;
	json_array_foreach(list, i, e) {
		if (!(m = artifactof(store, e, MT_COSIGN_SIG, digest)))
			continue;
		json_array_foreach(json_object_get(m, "layers"), j, l) {
			const char *sig64 = annotation(l, COSIGN_SIGNATURE);
			size_t plen, slen;
			char *pl = readblob(store, json_string_value(json_object_get(l, "digest")), &plen, err, sizeof(err));
			unsigned char *sig = sig64 ? unbase64(sig64, &slen) : NULL;
			json_t *p = pl ? json_loadb(pl, plen, JSON_REJECT_DUPLICATES, NULL) : NULL;
			json_t *crit = json_object_get(p, "critical");
			const char *signed_ = json_string_value(json_object_get(json_object_get(crit, "image"),
			                                                       "docker-manifest-digest"));
			const char *type = json_string_value(json_object_get(crit, "type"));

			/* a signature kept in two artifacts (one signed again, one before) counts once */
			if (sig64 && json_object_get(seen, sig64)) {
				json_decref(p);
				free(sig);
				free(pl);
				continue;
			}
			if (sig64)
				jsonset(seen, sig64, json_true());
			(*total)++;
			if (pl && sig && signed_ && type && strcmp(signed_, digest) == 0 && strcmp(type, PAYLOADTYPE) == 0 &&
			    verifies(k, pub, pl, plen, sig, slen))
				good++;
			json_decref(p);
			free(sig);
			free(pl);
		}
		json_decref(m);
	}
	json_decref(seen);
	return good;
}

/* what the provenance of digest among the layout's artifacts says, one
   line to stdout; -1 if one names another image */
static int
showprovenance(const char *store, json_t *list, const char *digest)
{
	char err[512];
	json_t *e, *m, *st;
	size_t i;
	int ret = 0;

	json_array_foreach(list, i, e) {
		if (!(m = artifactof(store, e, MT_INTOTO, digest)))
			continue;
		st = readdoc(store, json_string_value(json_object_get(json_array_get(json_object_get(m, "layers"), 0),
		                                                      "digest")), err, sizeof(err));
		if (!st)
			fatal("%s", err);
		{
			json_t *pred = json_object_get(st, "predicate");
			json_t *bd = json_object_get(pred, "buildDefinition");
			json_t *ext = json_object_get(bd, "externalParameters"), *dep;
			json_t *builder = json_object_get(json_object_get(pred, "runDetails"), "builder");
			const char *sub = strof(json_object_get(json_array_get(json_object_get(st, "subject"), 0), "digest"),
			                        "sha256");
			size_t j, files = 0, packages = 0, commands;

			if (strcmp(sub, digest + 7) != 0) {
				printf("  provenance: names another image (sha256:%s)\n", sub);
				ret = -1;
			} else {
				json_array_foreach(json_object_get(bd, "resolvedDependencies"), j, dep) {
					if (strncmp(strof(dep, "uri"), "pkg:deb/", 8) == 0)
						packages++;
					else
						files++;
				}
				commands = json_array_size(json_object_get(json_object_get(bd, "internalParameters"),
				                                           "commands"));
				printf("  provenance: %s (%s) from %s: %zu files and inputs, %zu packages, %zu commands; "
				       "built by %s %s\n", strof(ext, "image"), strof(ext, "platform"), strof(ext, "definition"),
				       files, packages, commands, strof(builder, "id"),
				       strof(json_object_get(builder, "version"), "imagegen"));
			}
		}
		json_decref(st);
		json_decref(m);
	}
	return ret;
}

int
sign_verifylayout(const char *dir, const char *pub)
{
	char *store;
	json_t *index = readindex(dir, &store), *list = json_object_get(index, "manifests"), *d, *sub;
	EVP_PKEY *k = loadkey(pub, 0);
	int bad = 0, images = 0;
	size_t i, j;

	json_array_foreach(list, i, d) {
		const char *digest = json_string_value(json_object_get(d, "digest"));
		const char *name = annotation(d, "io.containerd.image.name");
		int total, good;

		if (json_object_get(d, "artifactType") || !digest || !store_validdigest(digest))
			continue;
		images++;
		good = goodsignatures(store, list, digest, k, pub, &total);
		if (good > 0)
			printf("%s %s: signed by %s (%d of %d signature%s good)\n", name ? name : dir, digest, pub, good, total,
			       total == 1 ? "" : "s");
		else {
			printf("%s %s: not signed by %s (%d signature%s, none good)\n", name ? name : dir, digest, pub, total,
			       total == 1 ? "" : "s");
			bad = 1;
		}
		if (showprovenance(store, list, digest) < 0)
			bad = 1;
		/* an index: the provenance of each of its platforms' manifests */
		if (strcmp(strof(d, "mediaType"), MT_INDEX) == 0) {
			char err[512];
			json_t *idx = readdoc(store, digest, err, sizeof(err));
			if (!idx)
				fatal("%s: %s", dir, err);
			json_array_foreach(json_object_get(idx, "manifests"), j, sub) {
				const char *sd = json_string_value(json_object_get(sub, "digest"));
				if (sd && store_validdigest(sd) && showprovenance(store, list, sd) < 0)
					bad = 1;
			}
			json_decref(idx);
		}
	}
	if (images == 0)
		fatal("%s: no image in the layout", dir);
	ssl.EVP_PKEY_free(k);
	json_decref(index);
	free(store);
	return bad;
}

json_t *
sign_statement(const char *dir, char digest[72])
{
	char *store, err[512], *subject;
	json_t *index = readindex(dir, &store), *list = json_object_get(index, "manifests"), *d = NULL, *e, *m;
	json_t *st = NULL;
	const char *want = NULL;
	size_t i;

	json_array_foreach(list, i, d) {
		if (!json_object_get(d, "artifactType")) {
			want = strof(d, "digest");
			break;
		}
	}
	if (!want || !store_validdigest(want))
		fatal("%s: no image in the layout", dir);
	snprintf(digest, 72, "%s", want);
	/* an index: its first platform's provenance */
	if (strcmp(strof(d, "mediaType"), MT_INDEX) == 0) {
		json_t *idx = readdoc(store, want, err, sizeof(err));
		if (!idx)
			fatal("%s: %s", dir, err);
		subject = xstrdup(strof(json_array_get(json_object_get(idx, "manifests"), 0), "digest"));
		json_decref(idx);
	} else {
		subject = xstrdup(want);
	}
	json_array_foreach(list, i, e) {
		if (st || !(m = artifactof(store, e, MT_INTOTO, subject)))
			continue;
		if (!(st = readdoc(store, strof(json_array_get(json_object_get(m, "layers"), 0), "digest"), err,
		                   sizeof(err))))
			fatal("%s: %s", dir, err);
		json_decref(m);
	}
	free(subject);
	free(store);
	json_decref(index);
	return st;
}
