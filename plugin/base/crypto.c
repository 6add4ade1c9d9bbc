/*
 * crypto: the one handle of libcrypto. Signatures (image/sign.c), trust
 * stores (debian/trust.c) and Alpine's signed files (alpine/rsa.c) each
 * keep a table of the functions they call, found through this handle; the
 * library is loaded (dlopen) by the first of them that runs, since loading
 * it costs every other helper 2.5 million instructions. configure names
 * its soname and package.
 */
#include <stddef.h>
#include "base/lib.h"
#include "base/crypto.h"

/* (configure says; these are for builds without it, such as the fuzz targets') */
#ifndef CRYPTO_SONAME
#define CRYPTO_SONAME "libcrypto.so.3"
#endif
#ifndef CRYPTO_PACKAGE
#define CRYPTO_PACKAGE "libssl3"
#endif

static struct lib libcrypto = {"libcrypto", CRYPTO_SONAME, CRYPTO_PACKAGE, "signatures", NULL};

struct lib *
cryptolib(const char *needs)
{
	libcrypto.needs = needs;
	return &libcrypto;
}
