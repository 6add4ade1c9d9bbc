/*
 * rsa: the signatures of Alpine's files. The first gzip stream of an .apk
 * or an APKINDEX.tar.gz is a tar of one member (or a few), named
 * ".SIGN.RSA.KEYNAME" (RSA PKCS#1 v1.5 over the SHA-1 of the next stream's
 * compressed bytes) or ".SIGN.RSA256.KEYNAME" (over their SHA-256), KEYNAME
 * the basename of the public key's file as the repository's keys name it.
 * The digest is taken as the file is read (stream.c), so the check here is
 * of a digest: EVP_PKEY_verify with the digest's type set. libcrypto is the
 * handle base/crypto.c keeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/text.h"
#include "base/lib.h"
#include "base/crypto.h"
#include "alpine/stream.h"
#include "alpine/rsa.h"

/* the most a key file and a signature may hold, the most signatures a stream may */
enum { MAXKEY = 64 << 10, MAXSIG = 64 << 10, MAXSIGS = 16 };

/* the libcrypto functions rsa.c calls, once loaded */
static struct {
	BIO *(*BIO_new_mem_buf)(const void *, int);
	int (*BIO_free)(BIO *);
	EVP_PKEY *(*PEM_read_bio_PUBKEY)(BIO *, EVP_PKEY **, pem_password_cb *, void *);
	void (*EVP_PKEY_free)(EVP_PKEY *);
	int (*EVP_PKEY_get_base_id)(const EVP_PKEY *);
	EVP_PKEY_CTX *(*EVP_PKEY_CTX_new)(EVP_PKEY *, ENGINE *);
	void (*EVP_PKEY_CTX_free)(EVP_PKEY_CTX *);
	int (*EVP_PKEY_verify_init)(EVP_PKEY_CTX *);
	int (*EVP_PKEY_CTX_set_signature_md)(EVP_PKEY_CTX *, const EVP_MD *);
	int (*EVP_PKEY_CTX_set_rsa_padding)(EVP_PKEY_CTX *, int);
	int (*EVP_PKEY_verify)(EVP_PKEY_CTX *, const unsigned char *, size_t, const unsigned char *, size_t);
	const EVP_MD *(*EVP_sha1)(void);
	const EVP_MD *(*EVP_sha256)(void);
} ssl;

/* the table's field f: libcrypto's f, checked by the compiler to have its type */
#define SSLFN(f) libfn(cryptolib("Alpine's signed indexes and packages"), #f, &ssl.f, sizeof(0 ? &f : ssl.f))

static void
sslinit(void)
{
	if (ssl.EVP_sha256)
		return;
	SSLFN(BIO_new_mem_buf);
	SSLFN(BIO_free);
	SSLFN(PEM_read_bio_PUBKEY);
	SSLFN(EVP_PKEY_free);
	SSLFN(EVP_PKEY_get_base_id);
	SSLFN(EVP_PKEY_CTX_new);
	SSLFN(EVP_PKEY_CTX_free);
	SSLFN(EVP_PKEY_verify_init);
	SSLFN(EVP_PKEY_CTX_set_signature_md);
	SSLFN(EVP_PKEY_CTX_set_rsa_padding);
	SSLFN(EVP_PKEY_verify);
	SSLFN(EVP_sha1);
	SSLFN(EVP_sha256);
}

static const struct apkkey *
findkey(const struct apkkey *keys, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	}
	return NULL;
}

int
apksig_read(struct gzin *g, struct apksig *s, const struct apkkey *keys, size_t n, char *err, size_t len)
{
	struct tarmember m = {0};
	const char *name;
	char *data;
	size_t size;
	int r, count = 0, sha256;

	memset(s, 0, sizeof(*s));
	while ((r = apktar_next(g, &m, err, len)) == 1) {
		if (m.left > MAXSIG) {
			snprintf(err, len, "%s: larger than %d KiB", showname(m.name), MAXSIG >> 10);
			goto fail;
		}
		if (++count > MAXSIGS) {
			snprintf(err, len, "more than %d signatures", MAXSIGS);
			goto fail;
		}
		if (strncmp(m.name, ".SIGN.RSA.", 10) == 0) {
			name = m.name + 10;
			sha256 = 0;
		} else if (strncmp(m.name, ".SIGN.RSA256.", 13) == 0) {
			name = m.name + 13;
			sha256 = 1;
		} else if (strncmp(m.name, ".SIGN.", 6) == 0) {
			continue;
		} else {
			snprintf(err, len, "the signature stream holds %s, not a .SIGN.RSA. member", showname(m.name));
			goto fail;
		}
		/* the first by a known key, else the first at all (to be named in the refusal) */
		if (s->keyname && (findkey(keys, n, s->keyname) || !findkey(keys, n, name)))
			continue;
		if (m.type != '0' || apktar_slurp(g, &m, MAXSIG, &data, &size) < 0) {
			snprintf(err, len, "signature %s: %s", showname(m.name),
			         m.type != '0' ? "not a file" : gzin_error(g));
			goto fail;
		}
		apksig_free(s);
		s->keyname = xstrdup(name);
		s->sha256 = sha256;
		s->data = (unsigned char *)data;
		s->len = size;
	}
	apktar_free(&m);
	if (r < 0)
		goto fail;
	if (!s->keyname) {
		snprintf(err, len, "unsigned: no .SIGN.RSA. signature");
		return -1;
	}
	return 0;
fail:
	apktar_free(&m);
	apksig_free(s);
	return -1;
}

int
apksig_verify(const struct apksig *s, const struct apkkey *keys, size_t n, const uint8_t sha1[20],
              const uint8_t sha256[32], char *err, size_t len)
{
	const struct apkkey *k = findkey(keys, n, s->keyname);
	struct buf pem = {0};
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIO *bio;
	int ok;

	if (!k) {
		snprintf(err, len, "signed by %s, which is not one of the repository's keys", showname(s->keyname));
		return -1;
	}
	sslinit();
	if (readall(k->path, &pem) < 0 || pem.len > MAXKEY) {
		snprintf(err, len, "the key %s cannot be read (%s)", showname(k->path),
		         pem.len > MAXKEY ? "larger than 64 KiB" : "no such file or unreadable");
		free(pem.data);
		return -1;
	}
	bio = ssl.BIO_new_mem_buf(pem.data, (int)pem.len);
	if (!bio)
		fatal("out of memory");
	pkey = ssl.PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	ssl.BIO_free(bio);
	free(pem.data);
	if (!pkey || ssl.EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		snprintf(err, len, "the key %s is not a PEM RSA public key", showname(k->path));
		ssl.EVP_PKEY_free(pkey);
		return -1;
	}
	ctx = ssl.EVP_PKEY_CTX_new(pkey, NULL);
	ok = ctx && ssl.EVP_PKEY_verify_init(ctx) == 1 &&
	     ssl.EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	     ssl.EVP_PKEY_CTX_set_signature_md(ctx, s->sha256 ? ssl.EVP_sha256() : ssl.EVP_sha1()) == 1 &&
	     ssl.EVP_PKEY_verify(ctx, s->data, s->len, s->sha256 ? sha256 : sha1, s->sha256 ? 32 : 20) == 1;
	ssl.EVP_PKEY_CTX_free(ctx);
	ssl.EVP_PKEY_free(pkey);
	if (!ok) {
		snprintf(err, len, "its signature does not verify with %s", showname(s->keyname));
		return -1;
	}
	return 0;
}

void
apksig_free(struct apksig *s)
{
	free(s->keyname);
	free(s->data);
	s->keyname = NULL;
	s->data = NULL;
}
