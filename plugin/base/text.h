/* text: UTF-8, names as text, hex, modes, sizes and times for people */
#include <stddef.h>

/* the length of the valid UTF-8 sequence at s (no overlong forms, surrogates
   or code points past U+10FFFF), 0 if there is none */
size_t utf8seq(const char *s);
/* whether s is valid UTF-8 throughout */
int utf8valid(const char *s);
/* The spelling of a name as text, one-to-one (docs/names.md): each byte
   that is not part of valid UTF-8 as \xHH, a backslash as \\, and with
   controls set, each control character as \n, \t, \r or \xHH. */
struct buf;
/* append the len bytes of name (a NUL among them too; name[len] readable) so spelt to out */
void nameadd(struct buf *out, const char *name, size_t len, int controls);
/* name so spelt, in a new string */
char *nametext(const char *name, int controls);
/* name so spelt with controls, for a message: in one of four static
   buffers used in turn, so that one message can show four names */
const char *showname(const char *name);
/* text that is not a name, made valid UTF-8 the same way but with its
   backslashes as they are: a copyright file's prose, or text already
   spelt (by nametext, or JSON) put on one line with controls set */
char *utf8show(const char *s, int controls);
/* what of a file's mode a review of an image must see, in words joined by ", "
   ("" for nothing): setuid and setgid on anything but a folder (where setgid
   only hands its group down), world-writable on anything but a symlink or a
   folder with the sticky bit (/tmp); type 'd' a folder, 'l' a symlink, else a file */
const char *modeflags(char type, unsigned mode, char out[40]);
/* n bytes in lower-case hex: 2n characters and a NUL at out */
void hexstr(const unsigned char *bytes, size_t n, char *out);
/* n bytes for people: "512 B", "1.2 kB", "3.4 MB" (powers of 1000) in out */
const char *humansize(long long n, char out[32]);
/* seconds since 1970 as RFC 3339 UTC, "1970-01-01T00:00:00Z", in out[32] */
void rfc3339(long long t, char out[32]);
