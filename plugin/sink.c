/*
 * The sink is the single pass every layer takes: tar bytes go in, the
 * sha256 of the uncompressed stream (the diff_id) is updated, the bytes are
 * compressed, the sha256 of the compressed stream (the blob digest) is
 * updated and the compressed bytes are written. Memory is a fixed pair of
 * buffers whatever the layer's size.
 *
 * gzip is zlib's deflate at a pinned level with a gzip header that zlib
 * writes without a name and with mtime 0, so the bytes depend only on the
 * input, the level and the zlib version.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zlib.h>
#include "util.h"
#include "sink.h"

struct sink {
	int fd;
	enum compression comp;
	EVP_MD_CTX *diffid, *digest;
	z_stream z;
	long long size;
	unsigned char out[1 << 16];
};

const char *
sink_mediatype(enum compression comp)
{
	switch (comp) {
	case COMPRESS_GZIP:
		return "application/vnd.oci.image.layer.v1.tar+gzip";
	case COMPRESS_NONE:
		break;
	}
	return "application/vnd.oci.image.layer.v1.tar";
}

static int
emit(struct sink *s, const unsigned char *p, size_t len)
{
	ssize_t n;

	if (!EVP_DigestUpdate(s->digest, p, len))
		return -1;
	s->size += (long long)len;
	while (len > 0) {
		n = write(s->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct sink *
sink_open(int fd, enum compression comp, int level)
{
	struct sink *s = xcalloc(1, sizeof(*s));

	s->fd = fd;
	s->comp = comp;
	s->diffid = EVP_MD_CTX_new();
	s->digest = EVP_MD_CTX_new();
	if (!s->diffid || !s->digest)
		fatal("out of memory");
	if (!EVP_DigestInit_ex(s->diffid, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(s->digest, EVP_sha256(), NULL))
		fatal("sha256 init failed");
	/* windowBits 15 + 16: a gzip wrapper with zeroed mtime and no name */
	if (comp == COMPRESS_GZIP &&
	    deflateInit2(&s->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		fatal("deflateInit2 failed");
	return s;
}

static int
deflateall(struct sink *s, int flush)
{
	int ret;

	do {
		s->z.next_out = s->out;
		s->z.avail_out = sizeof(s->out);
		ret = deflate(&s->z, flush);
		if (ret == Z_STREAM_ERROR)
			return -1;
		if (emit(s, s->out, sizeof(s->out) - s->z.avail_out) < 0)
			return -1;
	} while (s->z.avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
	return 0;
}

int
sink_write(struct sink *s, const void *data, size_t len)
{
	if (!EVP_DigestUpdate(s->diffid, data, len))
		return -1;
	if (s->comp == COMPRESS_NONE)
		return emit(s, data, len);
	s->z.next_in = (unsigned char *)data;
	s->z.avail_in = (uInt)len;
	return deflateall(s, Z_NO_FLUSH);
}

static void
finalhex(EVP_MD_CTX *ctx, char out[72])
{
	unsigned char md[32];
	unsigned int n;
	int i;

	if (!EVP_DigestFinal_ex(ctx, md, &n))
		fatal("sha256 final failed");
	memcpy(out, "sha256:", 7);
	for (i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

int
sink_close(struct sink *s, struct sinkresult *r)
{
	int ret = 0;

	if (s->comp == COMPRESS_GZIP) {
		s->z.next_in = NULL;
		s->z.avail_in = 0;
		ret = deflateall(s, Z_FINISH);
	}
	if (ret == 0) {
		finalhex(s->diffid, r->diffid);
		finalhex(s->digest, r->digest);
		r->size = s->size;
	}
	sink_abort(s);
	return ret;
}

void
sink_abort(struct sink *s)
{
	if (s->comp == COMPRESS_GZIP)
		deflateEnd(&s->z);
	EVP_MD_CTX_free(s->diffid);
	EVP_MD_CTX_free(s->digest);
	free(s);
}
