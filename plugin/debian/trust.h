/* trust: certificates for the trust stores of Debian images (system.lua) */

struct lua_State;

/* native.x509(pem) -> { hash = "1a2b3c4d", fingerprint = sha256 hex of the
   first certificate, count = certificates in pem } | nil */
int trust_x509(struct lua_State *L);
/* native.pkcs12({ {alias, pem}... }, password) -> a PKCS#12 trust store */
int trust_pkcs12(struct lua_State *L);
