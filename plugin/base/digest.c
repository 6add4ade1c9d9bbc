#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nettle/sha2.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/digest.h"

/*
 * The digests are nettle's, which libarchive loads anyway: libcrypto and
 * the 2.5 million instructions of relocating it would otherwise be in every
 * helper's start-up, and only trust stores need more than digests (trust.c
 * loads it for them).
 */
struct sha256 {
	struct sha256_ctx c;
};

struct sha256 *
sha256new(void)
{
	struct sha256 *ctx = xmalloc(sizeof(*ctx));

	sha256_init(&ctx->c);
	return ctx;
}

void
sha256add(struct sha256 *ctx, const void *data, size_t n)
{
	sha256_update(&ctx->c, n, data);
}

void
sha256free(struct sha256 *ctx)
{
	free(ctx);
}

void
sha256done(struct sha256 *ctx, char hex[65])
{
	unsigned char md[SHA256_DIGEST_SIZE];

	sha256_digest(&ctx->c, sizeof(md), md);
	free(ctx);
	hexstr(md, sizeof(md), hex);
}

int
sha256file(const char *path, char hex[65])
{
	char chunk[1 << 16];
	struct sha256 *ctx;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ctx = sha256new();
	while ((r = read(fd, chunk, sizeof(chunk))) > 0) {
		sha256add(ctx, chunk, (size_t)r);
	}
	close(fd);
	sha256done(ctx, hex);
	return r < 0 ? -1 : 0;
}

int
sha256verify(const char *path, const char *hex)
{
	char have[65];

	return sha256file(path, have) == 0 && strcmp(have, hex) == 0 ? 0 : -1;
}

void
sha256hex(const void *data, size_t len, char hex[65])
{
	struct sha256 *ctx = sha256new();

	sha256add(ctx, data, len);
	sha256done(ctx, hex);
}
