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
 */
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include "util.h"
#include "trust.h"

#define JAVATRUST "2.16.840.1.113894.746875.1.1"
#define ITER 10000

int
trust_x509(lua_State *L)
{
	size_t len;
	const char *pem = luaL_checklstring(L, 1, &len);
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x, *first = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen, i;
	char hash[9], fp[2 * EVP_MAX_MD_SIZE + 1];
	int count = 0;

	if (!b)
		return luaL_error(L, "out of memory");
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (!first)
			first = x;
		else
			X509_free(x);
		count++;
	}
	BIO_free(b);
	if (!first) {
		luaL_pushfail(L);
		return 1;
	}
	snprintf(hash, sizeof(hash), "%08lx", X509_subject_name_hash(first));
	if (!X509_digest(first, EVP_sha256(), md, &mdlen)) {
		X509_free(first);
		return luaL_error(L, "x509: digest failed");
	}
	X509_free(first);
	for (i = 0; i < mdlen; i++)
		sprintf(fp + 2 * i, "%02x", md[i]);
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
	EVP_MD_CTX *salt;
};

static int
storegc(lua_State *L)
{
	struct store *s = lua_touserdata(L, 1);

	sk_PKCS12_SAFEBAG_pop_free(s->bags, PKCS12_SAFEBAG_free);
	sk_PKCS7_pop_free(s->safes, PKCS7_free);
	PKCS12_free(s->p12);
	ASN1_OBJECT_free(s->anyeku);
	if (s->salt)
		EVP_MD_CTX_free(s->salt);
	memset(s, 0, sizeof(*s));
	return 0;
}

/* one certificate bag, trusted by Java, named alias */
static void
addcert(lua_State *L, struct store *s, const char *alias, const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	PKCS12_SAFEBAG *bag;
	int n;

	BIO_free(b);
	if (!x)
		luaL_error(L, "pkcs12: %s: not a PEM certificate", alias);
	bag = PKCS12_add_cert(&s->bags, x);
	n = i2d_X509(x, &der);
	X509_free(x);
	if (!bag || n < 0 || !EVP_DigestUpdate(s->salt, der, (size_t)n) ||
	    !PKCS12_add_friendlyname_utf8(bag, alias, -1) ||
	    !PKCS12_add1_attr_by_txt(bag, JAVATRUST, V_ASN1_OBJECT, (const unsigned char *)s->anyeku, -1)) {
		OPENSSL_free(der);
		luaL_error(L, "pkcs12: %s: cannot add the certificate", alias);
	}
	OPENSSL_free(der);
}

int
trust_pkcs12(lua_State *L)
{
	const char *pass = luaL_checkstring(L, 2);
	struct store *s;
	unsigned char salt[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned saltlen;
	lua_Integer i, n;
	int len;

	luaL_checktype(L, 1, LUA_TTABLE);
	s = lua_newuserdatauv(L, sizeof(*s), 0);  /* the store, freed on error */
	memset(s, 0, sizeof(*s));
	lua_createtable(L, 0, 1);  /* its metatable */
	lua_pushcfunction(L, storegc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	s->anyeku = OBJ_txt2obj("2.5.29.37.0", 1);
	s->salt = EVP_MD_CTX_new();
	if (!s->anyeku || !s->salt || !EVP_DigestInit_ex(s->salt, EVP_sha256(), NULL))
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
	if (!EVP_DigestFinal_ex(s->salt, salt, &saltlen))
		return luaL_error(L, "pkcs12: digest failed");
	/* -1: the certificates' safe is not encrypted: they are public */
	if (!PKCS12_add_safe(&s->safes, s->bags, -1, 0, NULL) ||
	    !(s->p12 = PKCS12_add_safes(s->safes, 0)) ||
	    !PKCS12_set_mac(s->p12, pass, -1, salt, 16, ITER, EVP_sha256()) ||
	    (len = i2d_PKCS12(s->p12, &der)) < 0)
		return luaL_error(L, "pkcs12: cannot write the store");
	lua_pushlstring(L, (const char *)der, (size_t)len);  /* the store's bytes */
	OPENSSL_free(der);
	return 1;
}
