/*
 * fuzz-archive: a docker-archive imported as a base (the tar, its
 * manifest.json, the config and layers it names). An error is fatal()'s
 * message, which returns here in fuzz builds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "base/err.h"
#include "base/mem.h"
#include "image/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/imagegen-fuzz-archive.XXXXXX";
	static char *file, *out, *store;
	jmp_buf back;
	FILE *f;

	if (!file) {
		if (!mkdtemp(dir))
			return 0;
		file = xasprintf("%s/in.tar", dir);
		out = xasprintf("%s/base.json", dir);
		store = xasprintf("%s/store", dir);
	}
	f = fopen(file, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		return 0;
	fatalreturn = &back;
	if (setjmp(back) == 0)
		base_fromarchive(file, out, store);
	fatalreturn = NULL;
	return 0;
}
