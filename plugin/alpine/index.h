/* index: Alpine's repository indexes (APKINDEX.tar.gz), read and verified (needs stream.h and rsa.h) */
#include <stddef.h>
#include <stdint.h>

/* an index read, not yet verified */
struct apkindex {
	struct apksig sig;
	/* the digests of the signed stream's compressed bytes */
	uint8_t sha1[20], sha256[32];
	/* the APKINDEX and DESCRIPTION members */
	char *text, *description;
	size_t len;
};

/* what apkindex_parse hands over: each field of each package (rec counts from 0) */
typedef void apkindex_field(void *arg, size_t rec, char key, const char *value, size_t len);

/* read the file src gives: its signature stream, then the tar of APKINDEX
   and DESCRIPTION (bounded: 256 MB of index): 0, or -1 with why in err */
int apkindex_read(apk_source *src, void *arg, const struct apkkey *keys, size_t n, struct apkindex *x, char *err,
                  size_t len);
/* whether its signature is good, by one of the n keys: 0, or -1 with why in err */
int apkindex_verify(const struct apkindex *x, const struct apkkey *keys, size_t n, char *err, size_t len);
/* the packages of an APKINDEX text, "K:value" lines in blocks between blank
   lines, handed to field (bounded: 100,000 packages, 64 KB a field; each
   with C, P and V): the number of packages, or -1 with why in err */
long apkindex_parse(const char *text, size_t len, apkindex_field *field, void *arg, char *err, size_t errlen);
/* free what x holds */
void apkindex_free(struct apkindex *x);
