/* digest: sha256, of bytes and of files, in lower-case hex */
#include <stddef.h>

/* a running sha256 */
struct sha256;
/* a new sha256, ready for sha256add; exits on failure */
struct sha256 *sha256new(void);
/* hash n more bytes */
void sha256add(struct sha256 *ctx, const void *data, size_t n);
/* finish a sha256: its digest in hex[65] (lower case), and free it */
void sha256done(struct sha256 *ctx, char hex[65]);
/* free a sha256 that will not be finished (NULL: nothing) */
void sha256free(struct sha256 *ctx);
/* the sha256 of a file's contents in hex[65]; -1 if it cannot be read */
int sha256file(const char *path, char hex[65]);
/* 0 if the file at path exists and its sha256 is hex, else -1 */
int sha256verify(const char *path, const char *hex);
/* the hex digits of the sha256 of data, in hex[65] */
void sha256hex(const void *data, size_t len, char hex[65]);
