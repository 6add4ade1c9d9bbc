/* tarhdr: a tar header block read: its numbers, names and checksum, and the records of a pax header */
#include <stddef.h>

/* a numeric field that holds only spaces and NULs (tarhdr_num) */
enum { TARHDR_BLANK = -2 };

/* a numeric field of n bytes: octal between spaces and NULs, or base-256 when its
   first byte is 0x80; TARHDR_BLANK when it holds no digit, -1 when malformed or over 2^53 */
long long tarhdr_num(const unsigned char *p, size_t n);
/* whether the 512-byte block h is all zero bytes (an end-of-archive block) */
int tarhdr_iszero(const unsigned char *h);
/* whether h's checksum field holds the sum of h's bytes (the field itself counted as spaces) */
int tarhdr_sumok(const unsigned char *h);
/* a text field of n bytes, up to its first NUL, as a new string */
char *tarhdr_text(const unsigned char *p, size_t n);
/* the member's path as h spells it: a ustar header's prefix "/" name, else its name (a new string) */
char *tarhdr_path(const unsigned char *h);

/* one record of a pax header, "LEN key=value\n": key and value point into the header */
struct paxrec {
	const char *key, *val;
	size_t klen, vlen;
};

/* the record of the pax header [*p, end) at *p, *p moved past it: 1, 0 at end, -1 when malformed */
int tarhdr_paxnext(const char **p, const char *end, struct paxrec *r);
/* whether r's key is key */
int tarhdr_paxkey(const struct paxrec *r, const char *key);
/* r's value as a decimal (a fraction after '.' dropped when frac, as mtime has one); -1 when malformed or over 2^53 */
long long tarhdr_paxnum(const struct paxrec *r, int frac);
