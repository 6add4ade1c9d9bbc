/* crypto: libcrypto, one library loaded when first needed, for every room that needs it */

struct lib;

/* libcrypto's handle (base/lib.h loads it and finds its functions) */
struct lib *cryptolib(void);
