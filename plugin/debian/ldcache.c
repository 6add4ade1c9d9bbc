/*
 * ldcache: what glibc's ldconfig reads of a shared object, and the
 * /etc/ld.so.cache it writes, made without running any program of the
 * image (so for any architecture).
 *
 * An ELF file is read as ldconfig's readelflib.c reads it: a shared object
 * (ET_DYN) with a PT_DYNAMIC segment; DT_STRTAB's address mapped to a file
 * offset through the PT_LOAD segment that holds it; then DT_SONAME and the
 * DT_NEEDED names. Every read is checked against the file's size, and the
 * numbers are decoded in the file's own byte order.
 *
 * The cache, glibc 2.32 and later's format alone (ldconfig's default):
 *   header (48 bytes): "glibc-ld.so.cache" "1.1", nlibs, len_strings,
 *     flags (2 little-endian, 3 big-endian), 3 bytes 0, extension_offset,
 *     12 bytes 0
 *   nlibs entries (24 bytes): flags, key, value (string offsets from the
 *     file's start), 0, hwcap (64 bits)
 *   the string table: every SONAME and path once, sorted as the reversed
 *     strings in reverse order, each sharing the tail of the one before
 *     when it is its suffix (stringtable.c)
 *   zeros to a multiple of 4, then the extension directory: magic
 *     0xeaa42174, 1 section (tag 0, flags 0, offset, size) and the generator
 *     string ("ldconfig (Debian GLIBC 2.36-9) stable release version 2.36")
 * Entries are sorted by SONAME in the reverse of _dl_cache_libcmp's order
 * (digit runs compared as numbers), then by flags, most first; equal ones
 * keep the order ldconfig added them in (its directories' order).
 */
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "debian/ldcache.h"

enum { ET_DYN = 3, PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, DT_NULL = 0, DT_NEEDED = 1,
       DT_STRTAB = 5, DT_SONAME = 14 };
/* the most program headers and dynamic entries read, the longest name kept,
   and the most DT_NEEDED names kept */
enum { MAXPH = 1 << 16, MAXDYN = 1 << 16, MAXNAME = 4096, MAXNEEDED = 256 };

struct elf {
	const struct elfsrc *src;
	int wide, big;
};

static int
rd(const struct elf *f, unsigned long long off, void *buf, size_t len)
{
	if (off > f->src->size || len > f->src->size - off)
		return -1;
	return f->src->read(f->src->ctx, off, buf, len);
}

/* an unsigned number of n bytes at p in the file's byte order */
static unsigned long long
num(const struct elf *f, const unsigned char *p, int n)
{
	unsigned long long v = 0;
	int i;

	for (i = 0; i < n; i++)
		v |= (unsigned long long)p[f->big ? n - 1 - i : i] << (8 * i);
	return v;
}

/* the NUL-terminated string at off, at most MAXNAME bytes, into out (with
   its NUL); -1 when it does not end within the file or the limit */
static int
str(const struct elf *f, unsigned long long off, struct buf *out)
{
	char chunk[256];
	size_t n, i, total = 0;

	for (;;) {
		if (off >= f->src->size)
			return -1;
		n = f->src->size - off < sizeof(chunk) ? (size_t)(f->src->size - off) : sizeof(chunk);
		if (rd(f, off, chunk, n) < 0)
			return -1;
		for (i = 0; i < n && chunk[i]; i++)
			;
		if (total + i > MAXNAME)
			return -1;
		bufadd(out, chunk, i);
		total += i;
		if (i < n) {
			bufadd(out, "", 1);
			return 0;
		}
		off += n;
	}
}

int
ldcache_elf(const struct elfsrc *src, struct buf *out)
{
	unsigned char eh[64], ph[56], dyn[16];
	struct elf f = { src, 0, 0 };
	unsigned long long phoff, phnum, dynoff = 0, dynsize = 0, interp = 0, strtab = 0, off, tag, val;
	unsigned long long p_type, p_offset, p_vaddr, p_filesz, loadoff, i;
	size_t phsize, dsize, start = out->len, soname = 0, at;
	int hasinterp = 0, hasstrtab = 0, needed = 0, w;
	struct buf names = {0};

	if (rd(&f, 0, eh, 16) < 0 || memcmp(eh, "\177ELF", 4) != 0 || (eh[4] != 1 && eh[4] != 2) ||
	    (eh[5] != 1 && eh[5] != 2))
		return -1;
	f.wide = eh[4] == 2;
	f.big = eh[5] == 2;
	w = f.wide ? 8 : 4;
	if (rd(&f, 0, eh, f.wide ? 64 : 52) < 0 || num(&f, eh + 16, 2) != ET_DYN)
		return -1;
	phoff = num(&f, eh + (f.wide ? 32 : 28), w);
	phnum = num(&f, eh + (f.wide ? 56 : 44), 2);
	phsize = f.wide ? 56 : 32;
	for (i = 0; i < phnum && i < MAXPH; i++) {
		if (rd(&f, phoff + i * phsize, ph, phsize) < 0)
			return -1;
		p_type = num(&f, ph, 4);
		p_offset = num(&f, ph + (f.wide ? 8 : 4), w);
		p_filesz = num(&f, ph + (f.wide ? 32 : 16), w);
		if (p_type == PT_DYNAMIC) {
			dynoff = p_offset;
			dynsize = p_filesz;
		} else if (p_type == PT_INTERP) {
			interp = p_offset;
			hasinterp = 1;
		}
	}
	if (dynsize == 0)
		return -1;
	/* DT_STRTAB: the first, as a file offset */
	dsize = f.wide ? 16 : 8;
	for (off = dynoff, i = 0; i < MAXDYN; i++, off += dsize) {
		if (rd(&f, off, dyn, dsize) < 0)
			return -1;
		tag = num(&f, dyn, w);
		if (tag == DT_NULL)
			break;
		if (tag != DT_STRTAB)
			continue;
		val = num(&f, dyn + w, w);
		loadoff = 0;
		for (at = 0; at < phnum && at < MAXPH; at++) {
			if (rd(&f, phoff + at * phsize, ph, phsize) < 0)
				return -1;
			p_type = num(&f, ph, 4);
			p_offset = num(&f, ph + (f.wide ? 8 : 4), w);
			p_vaddr = num(&f, ph + (f.wide ? 16 : 8), w);
			p_filesz = num(&f, ph + (f.wide ? 32 : 16), w);
			if (p_type == PT_LOAD && val >= p_vaddr && val - p_vaddr < p_filesz) {
				loadoff = p_vaddr - p_offset;
				break;
			}
		}
		strtab = val - loadoff;
		hasstrtab = 1;
		break;
	}
	if (!hasstrtab)
		return -1;
	/* the first DT_SONAME, and the DT_NEEDED names */
	bufadd(&names, "", 1);
	for (off = dynoff, i = 0; i < MAXDYN; i++, off += dsize) {
		if (rd(&f, off, dyn, dsize) < 0)
			goto err;
		tag = num(&f, dyn, w);
		if (tag == DT_NULL)
			break;
		val = num(&f, dyn + w, w);
		if (tag == DT_SONAME && !soname) {
			soname = names.len;
			if (str(&f, strtab + val, &names) < 0)
				goto err;
		} else if (tag == DT_NEEDED && needed < MAXNEEDED) {
			needed++;
			if (str(&f, strtab + val, &names) < 0)
				goto err;
		}
	}
	bufprintf(out, "%d %d %llu %llu", eh[4], eh[5], num(&f, eh + 18, 2), num(&f, eh + (f.wide ? 48 : 36), 4));
	bufadd(out, "", 1);
	if (soname)
		bufadd(out, names.data + soname, strlen(names.data + soname) + 1);
	else
		bufadd(out, "", 1);
	if (!hasinterp || str(&f, interp, out) < 0)
		bufadd(out, "", 1);
	/* the DT_NEEDED names: every string of names but the SONAME */
	for (at = 1; at < names.len; at += strlen(names.data + at) + 1) {
		if (at != soname)
			bufadd(out, names.data + at, strlen(names.data + at) + 1);
	}
	free(names.data);
	return 0;
err:
	free(names.data);
	out->len = start;
	return -1;
}

/* _dl_cache_libcmp: digit runs compared as numbers */
static int
libcmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
	unsigned long long x, y;

	while (*p) {
		if (*p >= '0' && *p <= '9') {
			if (!(*q >= '0' && *q <= '9'))
				return 1;
			for (x = 0; *p >= '0' && *p <= '9'; p++)
				x = x * 10 + (unsigned)(*p - '0');
			for (y = 0; *q >= '0' && *q <= '9'; q++)
				y = y * 10 + (unsigned)(*q - '0');
			if (x != y)
				return x < y ? -1 : 1;
		} else if (*q >= '0' && *q <= '9') {
			return -1;
		} else if (*p != *q) {
			return *p - *q;
		} else {
			p++;
			q++;
		}
	}
	return -(int)*q;
}

struct sorted {
	const struct ldentry *e;
	size_t at;
};

/* ldconfig's order: SONAME descending by libcmp, then flags descending,
   then the order of addition */
static int
entrycmp(const void *x, const void *y)
{
	const struct sorted *a = x, *b = y;
	int r = libcmp(b->e->key, a->e->key);

	if (r != 0)
		return r;
	if (a->e->flags != b->e->flags)
		return a->e->flags > b->e->flags ? -1 : 1;
	return a->at < b->at ? -1 : a->at > b->at;
}

struct str {
	const char *s;
	size_t len, off;
};

/* stringtable.c's order: the reversed strings in reverse order, a longer
   string before its suffix */
static int
strcmp_rev(const void *x, const void *y)
{
	const struct str *a = *(struct str *const *)x, *b = *(struct str *const *)y;
	size_t n = a->len < b->len ? a->len : b->len, i;
	unsigned char l, r;

	for (i = 1; i <= n; i++) {
		l = (unsigned char)a->s[a->len - i];
		r = (unsigned char)b->s[b->len - i];
		if (l != r)
			return r - l;
	}
	if (a->len == b->len)
		return 0;
	return a->len < b->len ? 1 : -1;
}

static void
put32(struct buf *b, unsigned long v, int big)
{
	unsigned char p[4];
	int i;

	for (i = 0; i < 4; i++)
		p[big ? 3 - i : i] = (unsigned char)(v >> (8 * i));
	bufadd(b, p, 4);
}

static void
put64(struct buf *b, unsigned long long v, int big)
{
	put32(b, (unsigned long)(big ? v >> 32 : v & 0xffffffffUL), big);
	put32(b, (unsigned long)(big ? v & 0xffffffffUL : v >> 32), big);
}

void
ldcache_write(const struct ldentry *e, size_t n, const char *generator, int big, struct buf *out)
{
	struct sorted *order = xcalloc(n ? n : 1, sizeof(*order));
	struct str *strs = xcalloc(2 * n + 1, sizeof(*strs)), **by = xcalloc(2 * n + 1, sizeof(*by));
	size_t *keyat = xcalloc(n ? n : 1, sizeof(size_t)), *valat = xcalloc(n ? n : 1, sizeof(size_t));
	size_t i, j, nstr = 0, size = 0, stroff = 48 + 24 * n, extoff;
	char *table;

	for (i = 0; i < n; i++) {
		order[i].e = &e[i];
		order[i].at = i;
	}
	qsort(order, n, sizeof(*order), entrycmp);
	/* the string table: each distinct string once, tails shared */
	for (i = 0; i < n; i++) {
		strs[2 * i].s = order[i].e->key;
		strs[2 * i + 1].s = order[i].e->value;
	}
	for (i = 0; i < 2 * n; i++) {
		strs[i].len = strlen(strs[i].s);
		by[i] = &strs[i];
	}
	qsort(by, 2 * n, sizeof(*by), strcmp_rev);
	for (i = 0; i < 2 * n; i++) {
		if (nstr > 0 && by[nstr - 1]->len == by[i]->len && memcmp(by[nstr - 1]->s, by[i]->s, by[i]->len) == 0)
			continue;
		by[nstr++] = by[i];
	}
	for (i = 0; i < nstr; i++) {
		if (i == 0)
			by[i]->off = 0;
		else if (by[i - 1]->len >= by[i]->len &&
		         memcmp(by[i - 1]->s + by[i - 1]->len - by[i]->len, by[i]->s, by[i]->len) == 0)
			by[i]->off = by[i - 1]->off + by[i - 1]->len - by[i]->len;
		else
			by[i]->off = by[i - 1]->off + by[i - 1]->len + 1;
	}
	if (nstr > 0)
		size = by[nstr - 1]->off + by[nstr - 1]->len + 1;
	table = xcalloc(size ? size : 1, 1);
	for (i = 0; i < nstr; i++)
		memcpy(table + by[i]->off, by[i]->s, by[i]->len);
	/* each entry's strings: the offset of the kept string equal to it */
	for (i = 0; i < n; i++) {
		for (j = 0; j < 2; j++) {
			struct str key = { j ? order[i].e->value : order[i].e->key, 0, 0 }, *kp = &key, **hit;
			key.len = strlen(key.s);
			hit = bsearch(&kp, by, nstr, sizeof(*by), strcmp_rev);
			if (j)
				valat[i] = (*hit)->off;
			else
				keyat[i] = (*hit)->off;
		}
	}
	extoff = (stroff + size + 3) & ~(size_t)3;

	bufadd(out, "glibc-ld.so.cache1.1", 20);
	put32(out, (unsigned long)n, big);
	put32(out, (unsigned long)size, big);
	bufadd(out, big ? "\3\0\0\0" : "\2\0\0\0", 4);
	put32(out, (unsigned long)extoff, big);
	bufadd(out, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
	for (i = 0; i < n; i++) {
		put32(out, (unsigned long)(unsigned)order[i].e->flags, big);
		put32(out, (unsigned long)(stroff + keyat[i]), big);
		put32(out, (unsigned long)(stroff + valat[i]), big);
		put32(out, 0, big);
		put64(out, order[i].e->hwcap, big);
	}
	bufadd(out, table, size);
	bufadd(out, "\0\0\0", extoff - stroff - size);
	/* the extension directory: the generator string alone */
	put32(out, 0xeaa42174UL, big);
	put32(out, 1, big);
	put32(out, 0, big);
	put32(out, 0, big);
	put32(out, (unsigned long)(extoff + 8 + 16), big);
	put32(out, (unsigned long)strlen(generator), big);
	bufstr(out, generator);
	free(table);
	free(order);
	free(strs);
	free(by);
	free(keyat);
	free(valat);
}
