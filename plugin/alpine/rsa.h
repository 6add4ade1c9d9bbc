/* rsa: the signatures of Alpine's files (.SIGN.RSA.KEY, .SIGN.RSA256.KEY)
   and their checks against a repository's keys, through libcrypto */
#include <stddef.h>
#include <stdint.h>

struct gzin;

/* a key a repository trusts: the name signatures give it, its PEM file */
struct apkkey {
	const char *name, *path;
};

/* the signature a signature stream holds */
struct apksig {
	/* the key's name, and whether it signs a SHA-256 (else a SHA-1) */
	char *keyname;
	int sha256;
	unsigned char *data;
	size_t len;
};

/* read the signature stream, the current stream of g: the first signature
   by one of the n keys, else the first there is: 0, or -1 with why in err */
int apksig_read(struct gzin *g, struct apksig *s, const struct apkkey *keys, size_t n, char *err, size_t len);
/* whether s signs the stream whose compressed bytes have these digests,
   by one of the n keys: 0, or -1 with why in err (one line: "signed by
   KEY, which is not one of the repository's keys", "its signature does
   not verify with KEY") */
int apksig_verify(const struct apksig *s, const struct apkkey *keys, size_t n, const uint8_t sha1[20],
                  const uint8_t sha256[32], char *err, size_t len);
/* free what s holds */
void apksig_free(struct apksig *s);
