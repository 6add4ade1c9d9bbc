/*
 * fuzz-apk: an Alpine package read as the layer helper reads it: its three
 * gzip streams, the signature's, the control's (.PKGINFO, the scripts) and
 * the data's tar with each file's checksum, every file's bytes. The
 * signature is not checked (control returns 0 without apk_verify): a random
 * input has none that verifies. An error is fatal()'s message, which
 * returns here in fuzz builds.
 */
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include "base/err.h"
#include "alpine/stream.h"
#include "alpine/rsa.h"
#include "alpine/apk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
control(void *arg, struct apkpkg *p)
{
	(void)arg;
	apk_field(p, "pkgname");
	apk_field(p, "datahash");
	return 0;
}

static void
entry(void *arg, struct apkfile *f)
{
	char chunk[4096];

	(void)arg;
	while (apk_data(f, chunk, sizeof(chunk)) > 0)
		;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct apkkey keys[] = { { "key.rsa.pub", "/nonexistent" } };
	struct apkreader r = { control, entry, NULL, keys, 1 };
	struct apkmem m = { data, size };
	struct apkpkg p;
	jmp_buf back;

	memset(&p, 0, sizeof(p));
	fatalreturn = &back;
	if (setjmp(back) == 0)
		apk_read(apk_memsource, &m, &p, &r);
	fatalreturn = NULL;
	apk_free(&p);
	return 0;
}
