/* hashes: a file's SHA1 and SHA256 and the tar stream's SHA256 in one walk */

#include <stddef.h>

struct sha1_ctx;
struct sha256_ctx;

/* whether the CPU's SHA instructions are used (not under IMAGEGEN_HASH=nettle) */
int hashes_fused(void);
/* add the same len bytes to c1, c2 and c3 */
void hashes_three(struct sha1_ctx *c1, struct sha256_ctx *c2, struct sha256_ctx *c3, const void *data, size_t len);
