/* mem: allocation that cannot fail, and growable buffers (needs err.h) */
#include <stddef.h>

/* growable byte buffer; data is always NUL-terminated */
struct buf {
	char *data;
	size_t len, cap;
};

/* allocate, or exit on failure */
void *xmalloc(size_t n);
/* allocate zeroed, or exit on failure */
void *xcalloc(size_t nmemb, size_t size);
/* resize, or exit on failure */
void *xrealloc(void *p, size_t n);
/* duplicate a string, or exit on failure */
char *xstrdup(const char *s);
/* printf into a new string */
char *xasprintf(const char *fmt, ...) PRINTF(1, 2);
/* append n bytes to b */
void bufadd(struct buf *b, const void *data, size_t n);
/* append a string to b */
void bufstr(struct buf *b, const char *s);
/* append formatted text to b */
void bufprintf(struct buf *b, const char *fmt, ...) PRINTF(2, 3);
/* room in b for n more bytes, so that appending them moves nothing */
void bufreserve(struct buf *b, size_t n);
