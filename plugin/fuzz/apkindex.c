/*
 * fuzz-apkindex: an APKINDEX.tar.gz read as native.apkindex reads it: its
 * gzip streams, the signature stream's tar, the index stream's tar and its
 * members, then the APKINDEX text parsed (the signature is not checked: a
 * random input has none that verifies, and what follows it would never run).
 */
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include "base/err.h"
#include "alpine/stream.h"
#include "alpine/rsa.h"
#include "alpine/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
field(void *arg, size_t rec, char key, const char *value, size_t len)
{
	(void)arg, (void)rec, (void)key, (void)value, (void)len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct apkkey keys[] = { { "key.rsa.pub", "/nonexistent" } };
	struct apkmem m = { data, size };
	struct apkindex x;
	char err[512];

	if (apkindex_read(apk_memsource, &m, keys, 1, &x, err, sizeof(err)) == 0) {
		apkindex_parse(x.text, x.len, field, NULL, err, sizeof(err));
		apkindex_free(&x);
	}
	/* the text alone, as an index would hold it */
	apkindex_parse((const char *)data, size, field, NULL, err, sizeof(err));
	return 0;
}
