/*
 * fuzz-tar: imagegen's canonical tar writer (layer/tar.c) against
 * libarchive's (kept in tar.c as its reference) on the same entries: the data is read as a
 * list of entries (directories, files, symlinks, hard links; paths short,
 * long, unicode or not UTF-8, cut into clean relative names as a layer has
 * them; modes, uids, gids and mtimes at the edges of ustar's fields;
 * xattrs), both writers write them, and any byte that differs, or one
 * writer failing where the other does not, aborts. The one difference on
 * purpose (tar.c's top: libarchive rewrites CESU-8 surrogate pairs) is
 * not fed to them.
 */
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "layer/tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	MAXENTRIES = 12,
	MAXXATTRS = 4,
};

/* the input, read a byte at a time (zeros past its end) */
struct in {
	const uint8_t *p;
	size_t len;
};

static unsigned
byte(struct in *in)
{
	unsigned b;

	if (in->len == 0)
		return 0;
	b = *in->p++;
	in->len--;
	return b;
}

/* numbers at the edges of ustar's octal fields and of pax's reasons */
static long long
edgy(struct in *in)
{
	static const long long v[] = {
		0, 1, 0755, 1000, 65534, (1 << 18) - 1, 1 << 18, (1 << 21) - 1, 1 << 21, (1 << 24) - 1, 1 << 24,
		0x7ffffffe, 0x7fffffff, 0x80000000LL, 0xffffffffLL, 0x100000000LL, 0x100000005LL,
		(1LL << 33) - 1, 1LL << 33, (1LL << 36) - 1, 1LL << 36, 1LL << 62, -1, -2, -(1LL << 40),
		1700000000, 4102444800LL,
	};
	unsigned b = byte(in);

	if (b < 2 * sizeof(v) / sizeof(v[0]))
		return v[b % (sizeof(v) / sizeof(v[0]))];
	return (long long)(b << 8 | byte(in));
}

/* a name of up to 8 components from the input, each a run of bytes (no
   NUL or '/'), some repeated to make long ones, never "." or "..", so
   that it is a clean relative path as layer members are */
static char *
name(struct in *in, int clean)
{
	static const char *pieces[] = {"a", "é", "日本", "\xff", "\xc3", "\xed\xa0\x80", ".", "-", "x y"};
	struct buf b = {0};
	unsigned parts = byte(in) % 8 + 1, i, n, k, reps;
	size_t start;

	for (i = 0; i < parts; i++) {
		if (b.len > 0)
			bufadd(&b, "/", 1);
		start = b.len;
		n = byte(in) % 6 + 1;
		for (k = 0; k < n; k++) {
			unsigned c = byte(in);
			reps = c & 0x80 ? byte(in) % 120 + 1 : 1;
			while (reps-- > 0) {
				if (c & 0x40)
					bufstr(&b, pieces[c % (sizeof(pieces) / sizeof(pieces[0]))]);
				else if ((c & 0x3f) > 1)
					bufadd(&b, (char[]){(char)(c & 0x3f) + '0'}, 1);
				else
					bufadd(&b, "_", 1);
			}
		}
		if (clean && ((b.len - start == 1 && b.data[start] == '.') ||
		              (b.len - start == 2 && memcmp(b.data + start, "..", 2) == 0)))
			bufadd(&b, "_", 1);
	}
	if (!clean && byte(in) & 1)
		bufadd(&b, "/", 1);
	return b.data;
}

/* whether s holds a UTF-16 surrogate pair as two 3-byte sequences */
static int
cesu8(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	for (; *u; u++) {
		if (u[0] == 0xed && u[1] >= 0xa0 && u[1] <= 0xaf && u[2] >= 0x80 && u[2] <= 0xbf && u[3] == 0xed &&
		    u[4] >= 0xb0 && u[4] <= 0xbf && u[5] >= 0x80 && u[5] <= 0xbf)
			return 1;
	}
	return 0;
}

static int
tobuf(void *arg, const void *data, size_t len)
{
	bufadd(arg, data, len);
	return 0;
}

/* the 512-byte block of b that holds offset at, for the report */
static void
dump(const char *who, const struct buf *b, size_t at)
{
	size_t i, start = at / 512 * 512;

	fprintf(stderr, "%s, block at %zu:", who, start);
	for (i = start; i < start + 1024 && i < b->len; i++)
		fprintf(stderr, i % 32 == 0 ? "\n  %02x" : " %02x", (unsigned char)b->data[i]);
	fprintf(stderr, "\n");
}

struct entry {
	struct tarhead h;
	char *path, *link;
	struct tarxattr xattrs[MAXXATTRS];
	char *xnames[MAXXATTRS], *xvalues[MAXXATTRS];
	char *contents;
};

/* the entries through one writer into out: 0, or -1 when it failed */
static int
writeall(const struct entry *e, size_t n, int libarchive, struct buf *out)
{
	struct tar *t = tar_open(tobuf, out, libarchive);
	size_t i;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		r = tar_header(t, &e[i].h);
		if (r == 0 && e[i].h.type == TAR_FILE)
			r = tar_data(t, e[i].contents, (size_t)e[i].h.size);
	}
	if (r == 0)
		r = tar_close(t);
	tar_free(t);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	struct entry e[MAXENTRIES];
	struct buf own = {0}, ref = {0};
	size_t n = byte(&in) % MAXENTRIES + 1, i, k, j, c;
	int skip = 0, rown, rref;

	/* libarchive takes names as the locale's: UTF-8, as imagegen's main sets it */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		abort();
	memset(e, 0, sizeof(e));
	for (i = 0; i < n; i++) {
		struct tarhead *h = &e[i].h;
		unsigned kind = byte(&in);
		h->type = (enum tartype)(kind % 4);
		e[i].path = name(&in, 1);
		h->path = e[i].path;
		h->mode = (unsigned)(byte(&in) << 8 | byte(&in)) & 07777;
		h->uid = edgy(&in);
		h->gid = edgy(&in);
		h->mtime = edgy(&in);
		skip |= cesu8(h->path);
		if (h->type == TAR_SYMLINK || h->type == TAR_HARDLINK) {
			e[i].link = name(&in, h->type == TAR_HARDLINK);
			h->link = e[i].link;
			skip |= cesu8(h->link);
		}
		if (h->type == TAR_FILE) {
			h->size = (long long)((byte(&in) << 4) | (byte(&in) & 0x0f));
			e[i].contents = xmalloc((size_t)h->size + 1);
			for (k = 0; k < (size_t)h->size; k++)
				e[i].contents[k] = (char)(k * 7 + i);
		}
		h->nxattrs = kind & 0x80 ? byte(&in) % (MAXXATTRS + 1) : 0;
		for (k = 0; k < h->nxattrs; k++) {
			e[i].xnames[k] = name(&in, 0);
			j = byte(&in) % 40;
			e[i].xvalues[k] = xmalloc(j + 1);
			for (c = 0; c < j; c++)
				e[i].xvalues[k][c] = (char)byte(&in);
			e[i].xattrs[k].name = e[i].xnames[k];
			e[i].xattrs[k].value = e[i].xvalues[k];
			e[i].xattrs[k].len = j;
		}
		h->xattrs = e[i].xattrs;
	}
	if (!skip) {
		rown = writeall(e, n, 0, &own);
		rref = writeall(e, n, 1, &ref);
		if (rown != rref) {
			fprintf(stderr, "fuzz-tar: tar.c %s, libarchive %s\n", rown ? "failed" : "wrote",
			        rref ? "failed" : "wrote");
			abort();
		}
		if (rown == 0 && (own.len != ref.len || memcmp(own.data, ref.data, own.len) != 0)) {
			for (k = 0; k < own.len && k < ref.len && own.data[k] == ref.data[k]; k++)
				;
			fprintf(stderr, "fuzz-tar: %zu bytes against libarchive's %zu, first difference at %zu\n", own.len,
			        ref.len, k);
			dump("tar.c", &own, k);
			dump("libarchive", &ref, k);
			abort();
		}
	}
	for (i = 0; i < n; i++) {
		free(e[i].path);
		free(e[i].link);
		free(e[i].contents);
		for (k = 0; k < e[i].h.nxattrs; k++) {
			free(e[i].xnames[k]);
			free(e[i].xvalues[k]);
		}
	}
	free(own.data);
	free(ref.data);
	return 0;
}
