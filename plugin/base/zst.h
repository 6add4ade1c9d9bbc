/* zst: libzstd, loaded at its first call instead of at start; include this
   instead of <zstd.h>, and call it as ever */
#include <zstd.h>

/* the libzstd functions imagegen calls, by their own names */
struct zstfns {
	const char *(*ZSTD_versionString)(void);
	unsigned (*ZSTD_isError)(size_t);
	const char *(*ZSTD_getErrorName)(size_t);
	ZSTD_CCtx *(*ZSTD_createCCtx)(void);
	size_t (*ZSTD_freeCCtx)(ZSTD_CCtx *);
	size_t (*ZSTD_CCtx_setParameter)(ZSTD_CCtx *, ZSTD_cParameter, int);
	size_t (*ZSTD_CStreamOutSize)(void);
	size_t (*ZSTD_compressStream2)(ZSTD_CCtx *, ZSTD_outBuffer *, ZSTD_inBuffer *, ZSTD_EndDirective);
	ZSTD_DCtx *(*ZSTD_createDCtx)(void);
	size_t (*ZSTD_freeDCtx)(ZSTD_DCtx *);
	size_t (*ZSTD_decompressStream)(ZSTD_DCtx *, ZSTD_outBuffer *, ZSTD_inBuffer *);
};

/* the functions, libzstd loaded at the first call (or exit with one line
   naming the package to install) */
const struct zstfns *zst(void);

/* every call below goes through zst() (zst.c itself names the real ones) */
#ifndef ZST_LOADER
#define ZSTD_versionString (zst()->ZSTD_versionString)
#define ZSTD_isError (zst()->ZSTD_isError)
#define ZSTD_getErrorName (zst()->ZSTD_getErrorName)
#define ZSTD_createCCtx (zst()->ZSTD_createCCtx)
#define ZSTD_freeCCtx (zst()->ZSTD_freeCCtx)
#define ZSTD_CCtx_setParameter (zst()->ZSTD_CCtx_setParameter)
#define ZSTD_CStreamOutSize (zst()->ZSTD_CStreamOutSize)
#define ZSTD_compressStream2 (zst()->ZSTD_compressStream2)
#define ZSTD_createDCtx (zst()->ZSTD_createDCtx)
#define ZSTD_freeDCtx (zst()->ZSTD_freeDCtx)
#define ZSTD_decompressStream (zst()->ZSTD_decompressStream)
#endif
