/* text: UTF-8, names for messages, hex, sizes and times for people */
#include <stddef.h>

/* the length of the valid UTF-8 sequence at s (no overlong forms, surrogates
   or code points past U+10FFFF), 0 if there is none */
size_t utf8seq(const char *s);
/* whether s is valid UTF-8 throughout */
int utf8valid(const char *s);
/* s with each byte that is not part of valid UTF-8 (and with controls set,
   each control character) as \xHH, in a new string */
char *utf8show(const char *s, int controls);
/* a file name for a message, on one line: control characters and bytes
   that are not UTF-8 as \n, \t, \r or \xHH; in one of four static buffers
   used in turn, so that one message can show four names */
const char *showname(const char *name);
/* n bytes in lower-case hex: 2n characters and a NUL at out */
void hexstr(const unsigned char *bytes, size_t n, char *out);
/* n bytes for people: "512 B", "1.2 kB", "3.4 MB" (powers of 1000) in out */
const char *humansize(long long n, char out[32]);
/* seconds since 1970 as RFC 3339 UTC, "1970-01-01T00:00:00Z", in out[32] */
void rfc3339(long long t, char out[32]);
