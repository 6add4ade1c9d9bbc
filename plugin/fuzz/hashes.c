/*
 * fuzz-hashes: the layer pass's one walk of three digests (hashes.c)
 * against nettle's three updates. The first byte gives how many bytes the
 * tar's hash has had before (0-255, so that the three are at different
 * offsets in their blocks or at the same), the second the size of the
 * pieces the rest is fed in; the digests must be the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include "layer/hashes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sha1_ctx a1, b1;
	struct sha256_ctx a2, b2, a3, b3;
	uint8_t x[SHA256_DIGEST_SIZE], y[SHA256_DIGEST_SIZE];
	size_t piece, off, n;

	if (size < 2)
		return 0;
	sha1_init(&a1);
	sha1_init(&b1);
	sha256_init(&a2);
	sha256_init(&b2);
	sha256_init(&a3);
	sha256_init(&b3);
	/* the tar's hash has had the headers before the file: any bytes will do */
	n = data[0] < size - 2 ? data[0] : size - 2;
	sha256_update(&a3, n, data + 2);
	sha256_update(&b3, n, data + 2);
	piece = data[1] ? data[1] * 37u : 4096;
	for (off = 2; off < size; off += piece) {
		n = size - off < piece ? size - off : piece;
		hashes_three(&a1, &a2, &a3, data + off, n);
		sha1_update(&b1, n, data + off);
		sha256_update(&b2, n, data + off);
		sha256_update(&b3, n, data + off);
	}
	sha1_digest(&a1, SHA1_DIGEST_SIZE, x);
	sha1_digest(&b1, SHA1_DIGEST_SIZE, y);
	if (memcmp(x, y, SHA1_DIGEST_SIZE) != 0)
		abort();
	sha256_digest(&a2, sizeof(x), x);
	sha256_digest(&b2, sizeof(y), y);
	if (memcmp(x, y, sizeof(x)) != 0)
		abort();
	sha256_digest(&a3, sizeof(x), x);
	sha256_digest(&b3, sizeof(y), y);
	if (memcmp(x, y, sizeof(x)) != 0)
		abort();
	return 0;
}
