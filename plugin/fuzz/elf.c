/*
 * fuzz-elf: the ELF reader of ldcache (what ldconfig reads of a shared
 * object, from a package's files), and the cache written of what it read.
 * The input is the file's bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "debian/ldcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *data;
};

static int
memread(void *ctx, unsigned long long off, void *buf, size_t len)
{
	struct mem *m = ctx;

	memcpy(buf, m->data + off, len);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { data };
	struct elfsrc src = { memread, &m, size };
	struct buf out = {0}, cache = {0};
	struct ldentry e[2];
	const char *soname;

	if (ldcache_elf(&src, &out) == 0) {
		/* the SONAME after the first NUL, as a cache entry */
		soname = memchr(out.data, '\0', out.len) ? out.data + strlen(out.data) + 1 : "";
		e[0].flags = 0x303;
		e[0].key = soname;
		e[0].value = "/lib/x";
		e[0].hwcap = 0;
		e[1] = e[0];
		e[1].value = soname;
		ldcache_write(e, 2, "fuzz", size & 1, &cache);
	}
	free(out.data);
	free(cache.data);
	return 0;
}
