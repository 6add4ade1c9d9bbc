/* sink: the one streaming pass from tar bytes to a stored, hashed blob */

enum compression {
	COMPRESS_NONE,
	COMPRESS_GZIP,
	COMPRESS_ZSTD,
};

/* what a sink measured once closed: "sha256:<hex>" digests and the blob size */
struct sinkresult {
	char diffid[72];
	char digest[72];
	long long size;
};

struct sink;
struct sha256_ctx;

/* start a sink writing the compressed stream to fd */
struct sink *sink_open(int fd, enum compression comp, int level);
/* feed uncompressed bytes; -1 on a write or compressor failure */
int sink_write(struct sink *s, const void *data, size_t len);
/* the hash of the uncompressed stream (nettle's), for a caller that adds what it feeds itself */
struct sha256_ctx *sink_diffid(struct sink *s);
/* sink_write of bytes the caller has added to sink_diffid's hash */
int sink_writehashed(struct sink *s, const void *data, size_t len);
/* finish the stream, fill r and free s (fd stays open); -1 on failure */
int sink_close(struct sink *s, struct sinkresult *r);
/* the layer media type for a compression */
const char *sink_mediatype(enum compression comp);
/* what a compression and level make, for the layer's annotation (free it) */
char *sink_describe(enum compression comp, int level);
