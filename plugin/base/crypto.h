/* crypto: libcrypto, one library loaded when first needed, for every room that needs it */

struct lib;

/* libcrypto's handle (base/lib.h loads it and finds its functions), the
   message of a failed load saying what needs it ("trust stores") */
struct lib *cryptolib(const char *needs);
