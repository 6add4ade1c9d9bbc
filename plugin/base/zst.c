/*
 * zst: libzstd, loaded (dlopen) at its first call rather than linked.
 *
 * A shared library linked is start-up that every helper pays: the dynamic
 * loader maps and relocates it, and each page it touches is a page fault
 * (some 10 us apiece on a loaded VM). Most layers are gzip, and no other
 * helper compresses, so libzstd is loaded when a zstd layer is written or
 * read, or a build cache key names its version (cache.c). Not linked
 * statically either: Debian's libzstd.a has no worker threads, and the
 * frame zstd writes with workers is not the one it writes without.
 *
 * zst.h turns each call into one through the table here; configure names
 * the soname (ZSTD_SONAME) and the package (ZSTD_PACKAGE).
 */
#define ZST_LOADER
#include <stddef.h>
#include "base/lib.h"
#include "base/zst.h"

/* (configure says; these are for builds without it, such as the fuzz targets') */
#ifndef ZSTD_SONAME
#define ZSTD_SONAME "libzstd.so.1"
#endif
#ifndef ZSTD_PACKAGE
#define ZSTD_PACKAGE "libzstd1"
#endif

static struct zstfns fns;
static struct lib libzstd = {"libzstd", ZSTD_SONAME, ZSTD_PACKAGE, "zstd layers", NULL};

/* the table's field f: libzstd's f, checked by the compiler to have its
   type (sizeof evaluates nothing, so nothing links against it) */
#define ZSTFN(f) libfn(&libzstd, #f, &fns.f, sizeof(0 ? &f : fns.f))

const struct zstfns *
zst(void)
{
	if (fns.ZSTD_decompressStream)
		return &fns;
	ZSTFN(ZSTD_versionString);
	ZSTFN(ZSTD_isError);
	ZSTFN(ZSTD_getErrorName);
	ZSTFN(ZSTD_createCCtx);
	ZSTFN(ZSTD_freeCCtx);
	ZSTFN(ZSTD_CCtx_setParameter);
	ZSTFN(ZSTD_CStreamOutSize);
	ZSTFN(ZSTD_compressStream2);
	ZSTFN(ZSTD_createDCtx);
	ZSTFN(ZSTD_freeDCtx);
	ZSTFN(ZSTD_decompressStream);
	return &fns;
}
