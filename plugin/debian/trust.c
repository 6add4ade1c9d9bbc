/*
 * trust: the certificate work behind an image's trust stores, for
 * imagegen.system, through libcrypto.
 *
 * native.x509 gives what openssl rehash names a certificate by: the hash of
 * its subject (X509_NAME_hash, as OpenSSL 1.0 and later), and whether a
 * file holds exactly one certificate.
 *
 * native.pkcs12 writes the Java trust store: a PKCS#12 file with one
 * unencrypted certificate bag per certificate, each with its alias as
 * friendlyName and Java's trusted-certificate attribute (Oracle's OID
 * 2.16.840.1.113894.746875.1.1, valued anyExtendedKeyUsage), so Java's
 * KeyStore reads each as a trustedCertEntry. The store's MAC (HMAC-SHA256,
 * 10000 iterations, keyed by the password) takes a salt derived from the
 * certificates, so the same certificates give the same bytes.
 *
 * libcrypto is loaded (dlopen) with the first certificate: only an image's
 * dpkg layer with a trust store needs it, and loading it costs every other
 * helper 2.5 million instructions. configure names its soname and package.
 */
#include <stdio.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include "base/text.h"
#include "base/digest.h"
#include "base/lib.h"
#include "base/crypto.h"
#include "debian/trust.h"

#define JAVATRUST "2.16.840.1.113894.746875.1.1"
#define ITER 10000


/* the libcrypto functions trust.c calls, once loaded */
static struct {
	BIO *(*BIO_new_mem_buf)(const void *, int);
	int (*BIO_free)(BIO *);
	X509 *(*PEM_read_bio_X509)(BIO *, X509 **, pem_password_cb *, void *);
	void (*X509_free)(X509 *);
	unsigned long (*X509_subject_name_hash)(X509 *);
	int (*X509_digest)(const X509 *, const EVP_MD *, unsigned char *, unsigned int *);
	int (*i2d_X509)(const X509 *, unsigned char **);
	const EVP_MD *(*EVP_sha256)(void);
	ASN1_OBJECT *(*OBJ_txt2obj)(const char *, int);
	void (*ASN1_OBJECT_free)(ASN1_OBJECT *);
	PKCS12_SAFEBAG *(*PKCS12_add_cert)(STACK_OF(PKCS12_SAFEBAG) **, X509 *);
	int (*PKCS12_add_friendlyname_utf8)(PKCS12_SAFEBAG *, const char *, int);
	int (*PKCS12_add1_attr_by_txt)(PKCS12_SAFEBAG *, const char *, int, const unsigned char *, int);
	int (*PKCS12_add_safe)(STACK_OF(PKCS7) **, STACK_OF(PKCS12_SAFEBAG) *, int, int, const char *);
	PKCS12 *(*PKCS12_add_safes)(STACK_OF(PKCS7) *, int);
	int (*PKCS12_set_mac)(PKCS12 *, const char *, int, unsigned char *, int, int, const EVP_MD *);
	int (*i2d_PKCS12)(const PKCS12 *, unsigned char **);
	void (*PKCS12_free)(PKCS12 *);
	void (*PKCS12_SAFEBAG_free)(PKCS12_SAFEBAG *);
	void (*PKCS7_free)(PKCS7 *);
	int (*OPENSSL_sk_num)(const OPENSSL_STACK *);
	void *(*OPENSSL_sk_pop)(OPENSSL_STACK *);
	void (*OPENSSL_sk_free)(OPENSSL_STACK *);
	void (*CRYPTO_free)(void *, const char *, int);
} ssl;

/* the table's field f: libcrypto's f, checked by the compiler to have its
   type (sizeof evaluates nothing, so nothing links against it) */
#define SSLFN(f) libfn(cryptolib("trust stores"), #f, &ssl.f, sizeof(0 ? &f : ssl.f))

/* load libcrypto, or raise its one line */
static void
sslinit(lua_State *L)
{
	const char *err;

	if (ssl.CRYPTO_free)
		return;
	if ((err = libopen(cryptolib("trust stores"))))
		luaL_error(L, "%s", err);
	SSLFN(BIO_new_mem_buf);
	SSLFN(BIO_free);
	SSLFN(PEM_read_bio_X509);
	SSLFN(X509_free);
	SSLFN(X509_subject_name_hash);
	SSLFN(X509_digest);
	SSLFN(i2d_X509);
	SSLFN(EVP_sha256);
	SSLFN(OBJ_txt2obj);
	SSLFN(ASN1_OBJECT_free);
	SSLFN(PKCS12_add_cert);
	SSLFN(PKCS12_add_friendlyname_utf8);
	SSLFN(PKCS12_add1_attr_by_txt);
	SSLFN(PKCS12_add_safe);
	SSLFN(PKCS12_add_safes);
	SSLFN(PKCS12_set_mac);
	SSLFN(i2d_PKCS12);
	SSLFN(PKCS12_free);
	SSLFN(PKCS12_SAFEBAG_free);
	SSLFN(PKCS7_free);
	SSLFN(OPENSSL_sk_num);
	SSLFN(OPENSSL_sk_pop);
	SSLFN(OPENSSL_sk_free);
	SSLFN(CRYPTO_free);
}

int
trust_x509(lua_State *L)
{
	size_t len;
	const char *pem = luaL_checklstring(L, 1, &len);
	BIO *b;
	X509 *x, *first = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	char hash[9], fp[2 * EVP_MAX_MD_SIZE + 1];
	int count = 0;

	sslinit(L);
	b = ssl.BIO_new_mem_buf(pem, (int)len);
	if (!b)
		return luaL_error(L, "out of memory");
	while ((x = ssl.PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (!first)
			first = x;
		else
			ssl.X509_free(x);
		count++;
	}
	ssl.BIO_free(b);
	if (!first) {
		luaL_pushfail(L);
		return 1;
	}
	snprintf(hash, sizeof(hash), "%08lx", ssl.X509_subject_name_hash(first));
	if (!ssl.X509_digest(first, ssl.EVP_sha256(), md, &mdlen)) {
		ssl.X509_free(first);
		return luaL_error(L, "x509: digest failed");
	}
	ssl.X509_free(first);
	hexstr(md, mdlen, fp);
	lua_createtable(L, 0, 3);  /* the certificate's names */
	lua_pushstring(L, hash);
	lua_setfield(L, -2, "hash");
	lua_pushstring(L, fp);
	lua_setfield(L, -2, "fingerprint");
	lua_pushinteger(L, count);
	lua_setfield(L, -2, "count");
	return 1;
}

/* the PKCS#12 store being built, freed by __gc if a call raises */
struct store {
	STACK_OF(PKCS12_SAFEBAG) *bags;
	STACK_OF(PKCS7) *safes;
	PKCS12 *p12;
	ASN1_OBJECT *anyeku;
	struct sha256 *salt;
};

static int
storegc(lua_State *L)
{
	struct store *s = lua_touserdata(L, 1);
	OPENSSL_STACK *bags = (OPENSSL_STACK *)s->bags, *safes = (OPENSSL_STACK *)s->safes;

	while (bags && ssl.OPENSSL_sk_num(bags) > 0)
		ssl.PKCS12_SAFEBAG_free(ssl.OPENSSL_sk_pop(bags));
	ssl.OPENSSL_sk_free(bags);
	while (safes && ssl.OPENSSL_sk_num(safes) > 0)
		ssl.PKCS7_free(ssl.OPENSSL_sk_pop(safes));
	ssl.OPENSSL_sk_free(safes);
	ssl.PKCS12_free(s->p12);
	ssl.ASN1_OBJECT_free(s->anyeku);
	sha256free(s->salt);
	memset(s, 0, sizeof(*s));
	return 0;
}

static int
hexdigit(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* one certificate bag, trusted by Java, named alias */
static void
addcert(lua_State *L, struct store *s, const char *alias, const char *pem, size_t len)
{
	BIO *b = ssl.BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? ssl.PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	PKCS12_SAFEBAG *bag;
	int n;

	ssl.BIO_free(b);
	if (!x)
		luaL_error(L, "pkcs12: %s: not a PEM certificate", alias);
	bag = ssl.PKCS12_add_cert(&s->bags, x);
	n = ssl.i2d_X509(x, &der);
	ssl.X509_free(x);
	if (n >= 0)
		sha256add(s->salt, der, (size_t)n);
	if (!bag || n < 0 || !ssl.PKCS12_add_friendlyname_utf8(bag, alias, -1) ||
	    !ssl.PKCS12_add1_attr_by_txt(bag, JAVATRUST, V_ASN1_OBJECT, (const unsigned char *)s->anyeku, -1)) {
		ssl.CRYPTO_free(der, OPENSSL_FILE, OPENSSL_LINE);
		luaL_error(L, "pkcs12: %s: cannot add the certificate", alias);
	}
	ssl.CRYPTO_free(der, OPENSSL_FILE, OPENSSL_LINE);
}

int
trust_pkcs12(lua_State *L)
{
	const char *pass = luaL_checkstring(L, 2);
	struct store *s;
	unsigned char salt[16], *der = NULL;
	char hex[65];
	lua_Integer i, n;
	int len;

	luaL_checktype(L, 1, LUA_TTABLE);
	sslinit(L);
	s = lua_newuserdatauv(L, sizeof(*s), 0);  /* the store, freed on error */
	memset(s, 0, sizeof(*s));
	lua_createtable(L, 0, 1);  /* its metatable */
	lua_pushcfunction(L, storegc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	s->anyeku = ssl.OBJ_txt2obj("2.5.29.37.0", 1);
	s->salt = sha256new();
	if (!s->anyeku)
		return luaL_error(L, "pkcs12: out of memory");
	n = luaL_len(L, 1);
	for (i = 1; i <= n; i++) {
		const char *alias, *pem;
		size_t pemlen;
		lua_geti(L, 1, i);  /* { alias, pem } */
		lua_getfield(L, -1, "alias");
		lua_getfield(L, -2, "pem");
		alias = luaL_checkstring(L, -2);
		pem = luaL_checklstring(L, -1, &pemlen);
		addcert(L, s, alias, pem, pemlen);
		lua_pop(L, 3);  /* the entry, alias, pem */
	}
	/* the salt: the first 16 bytes of the sha256 of the certificates */
	sha256done(s->salt, hex);
	s->salt = NULL;
	for (i = 0; i < 16; i++)
		salt[i] = (unsigned char)(hexdigit(hex[2 * i]) << 4 | hexdigit(hex[2 * i + 1]));
	/* -1: the certificates' safe is not encrypted: they are public */
	if (!ssl.PKCS12_add_safe(&s->safes, s->bags, -1, 0, NULL) ||
	    !(s->p12 = ssl.PKCS12_add_safes(s->safes, 0)) ||
	    !ssl.PKCS12_set_mac(s->p12, pass, -1, salt, 16, ITER, ssl.EVP_sha256()) ||
	    (len = ssl.i2d_PKCS12(s->p12, &der)) < 0)
		return luaL_error(L, "pkcs12: cannot write the store");
	lua_pushlstring(L, (const char *)der, (size_t)len);  /* the store's bytes */
	ssl.CRYPTO_free(der, OPENSSL_FILE, OPENSSL_LINE);
	return 1;
}
