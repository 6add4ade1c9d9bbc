/*
 * tarhdr: the fields of a tar header block, for the readers of tars from
 * outside (alpine/stream.c's of .apk files and indexes, layer/facts.c's of
 * layers) so that both read a header by the same rules.
 *
 * A block is 512 bytes (POSIX ustar, with GNU's extensions):
 *
 *   0 name[100]  100 mode[8]  108 uid[8]  116 gid[8]  124 size[12]  136 mtime[12]
 *   148 chksum[8]  156 typeflag  157 linkname[100]  257 magic[6] "ustar\0"
 *   263 version[2]  265 uname[32]  297 gname[32]  ...  345 prefix[155]
 *
 * A number is octal digits between spaces or NULs (a field of nothing else
 * is blank), or (GNU, for what octal cannot hold) base-256: the first byte
 * 0x80, the rest a big-endian number. Negative base-256 (0xff) is refused,
 * and so is any value over 2^53: no size, id or time of a real member comes
 * near it, and below it sums and conversions cannot overflow. The checksum
 * is the sum of the block's bytes as unsigned, its own field counted as
 * spaces.
 *
 * A pax header's records are "LEN key=value\n", LEN counting the whole
 * record, its own digits too; values are bytes, numbers decimal.
 */
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/tarhdr.h"

enum { BLOCK = 512, CHKSUM = 148, MAGIC = 257, PREFIX = 345 };

static const long long MAXNUM = 1LL << 53;

long long
tarhdr_num(const unsigned char *p, size_t n)
{
	long long v = 0;
	size_t i = 0;

	if (n > 0 && p[0] == 0x80) {
		for (i = 1; i < n; i++) {
			v = v << 8 | p[i];
			if (v > MAXNUM)
				return -1;
		}
		return v;
	}
	while (i < n && (p[i] == ' ' || p[i] == '\0'))
		i++;
	if (i == n)
		return TARHDR_BLANK;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
		v = v * 8 + (p[i] - '0');
		if (v > MAXNUM)
			return -1;
	}
	for (; i < n; i++) {
		if (p[i] != ' ' && p[i] != '\0')
			return -1;
	}
	return v;
}

int
tarhdr_iszero(const unsigned char *h)
{
	size_t i;

	for (i = 0; i < BLOCK; i++) {
		if (h[i])
			return 0;
	}
	return 1;
}

int
tarhdr_sumok(const unsigned char *h)
{
	long long sum = 0;
	size_t i;

	for (i = 0; i < BLOCK; i++)
		sum += i >= CHKSUM && i < CHKSUM + 8 ? ' ' : h[i];
	return tarhdr_num(h + CHKSUM, 8) == sum;
}

char *
tarhdr_text(const unsigned char *p, size_t n)
{
	const unsigned char *nul = memchr(p, '\0', n);
	size_t len = nul ? (size_t)(nul - p) : n;
	char *s = xmalloc(len + 1);

	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

char *
tarhdr_path(const unsigned char *h)
{
	char *prefix, *name, *path;

	if (memcmp(h + MAGIC, "ustar\0", 6) != 0 || !h[PREFIX])
		return tarhdr_text(h, 100);
	prefix = tarhdr_text(h + PREFIX, 155);
	name = tarhdr_text(h, 100);
	path = xasprintf("%s/%s", prefix, name);
	free(prefix);
	free(name);
	return path;
}

int
tarhdr_paxnext(const char **p, const char *end, struct paxrec *r)
{
	const char *at = *p, *s = *p, *rec, *last, *eq;
	size_t len = 0;

	if (at >= end)
		return 0;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		len = len * 10 + (size_t)(*s - '0');
		if (len > (size_t)(end - at))
			return -1;
	}
	if (s == at || s == end || *s != ' ')
		return -1;
	rec = s + 1;
	/* the record's last byte, its newline, after at least the key's first */
	last = at + len - 1;
	if (len == 0 || last <= rec || *last != '\n' || !(eq = memchr(rec, '=', (size_t)(last - rec))))
		return -1;
	r->key = rec;
	r->klen = (size_t)(eq - rec);
	r->val = eq + 1;
	r->vlen = (size_t)(last - (eq + 1));
	*p = last + 1;
	return 1;
}

int
tarhdr_paxkey(const struct paxrec *r, const char *key)
{
	return r->klen == strlen(key) && memcmp(r->key, key, r->klen) == 0;
}

long long
tarhdr_paxnum(const struct paxrec *r, int frac)
{
	long long v = 0;
	size_t i;

	for (i = 0; i < r->vlen && r->val[i] >= '0' && r->val[i] <= '9'; i++) {
		v = v * 10 + (r->val[i] - '0');
		if (v > MAXNUM)
			return -1;
	}
	if (i == 0)
		return -1;
	if (frac && i < r->vlen && r->val[i] == '.') {
		for (i++; i < r->vlen && r->val[i] >= '0' && r->val[i] <= '9'; i++)
			;
	}
	return i == r->vlen ? v : -1;
}
