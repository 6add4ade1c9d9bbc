/*
 * tar: the canonical tar stream, byte for byte what libarchive's
 * "restricted pax" writer (with SCHILY xattr records) made of the same
 * entries, so that no layer's digest moved when imagegen stopped loading
 * libarchive to write one. The stream:
 *
 *  - each entry is a 512-byte ustar header (magic "ustar\0", version "00"),
 *    its contents, and zeros to the next 512; the archive ends with two
 *    zero blocks, then zeros to a multiple of 10240 bytes (libarchive's
 *    default block);
 *  - a header's numbers are octal, zero-padded, in 6 digits (mode, uid,
 *    gid) or 11 (size, mtime) before the field's terminator; a larger
 *    number spills over the terminator (7 or 8 digits; 12 for a size),
 *    and past that is base-256 (first byte's top bit set), negative ones too;
 *    the mode is the entry's 07777 bits; uname, gname, devmajor and devminor
 *    are empty or zero; the checksum is 6 octal digits, NUL, space;
 *  - typeflag '0' a file, '1' a hard link (size 0), '2' a symlink, '5' a
 *    directory, whose name ends in '/';
 *  - a name of at most 100 bytes, all ASCII, is the name field; a longer
 *    ASCII one that splits at a '/' into a prefix of at most 155 bytes and
 *    a name of 1 to 100 goes in prefix and name; any other (non-ASCII or
 *    unsplittable) goes whole in a pax "path" record, and the header has
 *    a shortened form of it (ustarname below); a link target over 100
 *    bytes or not ASCII goes in a "linkpath" record (the header keeps a
 *    non-ASCII one of up to 100 bytes, else "././@LongSymLink" or
 *    "././@LongHardLink");
 *  - names are their bytes; when a name or target is not valid UTF-8 the
 *    record set starts with "hdrcharset=BINARY";
 *  - other records, only where ustar cannot say it, in this order: gid and
 *    uid when their low 32 bits are 2^18 or more, mtime when it is negative
 *    or 2^31-1 or more, "SCHILY.xattr.NAME" for each extended attribute
 *    (its name URL-encoded, %XX for bytes outside '!'..'~' and for '%' and
 *    '='; the value's bytes as they are) in the reverse of their declared
 *    order, and size when it is 2^33 or more;
 *  - a record is "LEN KEY=VALUE\n", LEN its own length in decimal; the
 *    records go in an entry of typeflag 'x' just before the entry's
 *    header, named DIR/PaxHeader/NAME (shortened as ustarname shortens),
 *    with the entry's mode less its setuid, setgid and sticky bits, its
 *    uid and gid (at most 2^18-1), its mtime within 0..2^31-1, the
 *    records' length as its size, and its numbers in strict octal.
 *
 * libarchive differs in one case, on purpose: a name holding a UTF-16
 * surrogate pair written as two 3-byte sequences (CESU-8) it rewrote to
 * the 4-byte UTF-8 form; here, as every name, it keeps its bytes (with
 * hdrcharset=BINARY, since it is not UTF-8).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/arc.h"
#include "layer/tar.h"

enum {
	BLOCK = 512,
	/* the archive is padded to a multiple of this */
	RECORD = 10240,
	NAMELEN = 100,
	PREFIXLEN = 155,
};

/* the offsets of a ustar header's fields */
enum {
	H_NAME = 0,
	H_MODE = 100,
	H_UID = 108,
	H_GID = 116,
	H_SIZE = 124,
	H_MTIME = 136,
	H_CHKSUM = 148,
	H_TYPE = 156,
	H_LINK = 157,
	H_MAGIC = 257,
	/* and devminor after it */
	H_DEVMAJOR = 329,
	H_PREFIX = 345,
};

struct tarref;

struct tar {
	tarout *out;
	void *arg;
	struct tarref *ref;
	/* bytes written, and the current entry's contents still owed and padding */
	long long total, left;
	size_t pad;
	/* the pax records of the entry being written */
	struct buf pax;
	char err[256];
};

static const char zeros[BLOCK];

/*
 * libarchive's writer ("restricted pax", SCHILY xattr records), as layer.c
 * wrote every layer before this file: kept as the reference the writer
 * below is held to (tar_open with libarchive set: IMAGEGEN_TAR=libarchive
 * for the layer helper, which tests/t-tar.sh and e2e-tar.sh build with, and
 * the fuzz target fuzz-tar). libarchive is loaded at its first call (arc.c).
 */
struct tarref {
	struct archive *a;
	struct archive_entry *e;
	tarout *out;
	void *arg;
	/* out failed: the error is the caller's to tell */
	int outfailed;
};

static la_ssize_t
reftowrite(struct archive *a, void *arg, const void *data, size_t len)
{
	struct tarref *t = arg;

	(void)a;
	if (t->out(t->arg, data, len) < 0) {
		t->outfailed = 1;
		return -1;
	}
	return (la_ssize_t)len;
}

static struct tarref *
tarref_open(tarout *out, void *arg)
{
	struct tarref *t = xcalloc(1, sizeof(*t));

	t->out = out;
	t->arg = arg;
	t->a = archive_write_new();
	t->e = archive_entry_new();
	if (!t->a || !t->e)
		fatal("out of memory");
	if (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
	    archive_write_set_format_option(t->a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
	    archive_write_open2(t->a, t, NULL, reftowrite, NULL, NULL) != ARCHIVE_OK)
		fatal("tar: %s", archiveerr(t->a));
	return t;
}

static int
tarref_header(struct tarref *t, const struct tarhead *h)
{
	struct archive_entry *e = t->e;
	size_t i;
	int r;

	archive_entry_clear(e);
	archive_entry_set_pathname(e, h->path);
	archive_entry_set_uid(e, h->uid);
	archive_entry_set_gid(e, h->gid);
	archive_entry_set_mtime(e, h->mtime, 0);
	switch (h->type) {
	case TAR_DIR:
		archive_entry_set_filetype(e, AE_IFDIR);
		break;
	case TAR_SYMLINK:
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, h->link);
		break;
	case TAR_HARDLINK:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, h->link);
		break;
	case TAR_FILE:
		archive_entry_set_filetype(e, AE_IFREG);
		break;
	}
	archive_entry_set_perm(e, h->mode);
	for (i = 0; i < h->nxattrs; i++)
		archive_entry_xattr_add_entry(e, h->xattrs[i].name, h->xattrs[i].value, h->xattrs[i].len);
	archive_entry_set_size(e, h->type == TAR_FILE ? h->size : 0);
	r = archive_write_header(t->a, e);
	/* a warning: a name that is not UTF-8, written as it is (hdrcharset=BINARY) */
	return r == ARCHIVE_OK || r == ARCHIVE_WARN ? 0 : -1;
}

static int
tarref_data(struct tarref *t, const void *data, size_t len)
{
	return archive_write_data(t->a, data, len) < 0 ? -1 : 0;
}

static int
tarref_close(struct tarref *t)
{
	return archive_write_close(t->a) == ARCHIVE_OK ? 0 : -1;
}

static const char *
tarref_error(const struct tarref *t)
{
	return t->outfailed ? "" : archiveerr(t->a);
}

static void
tarref_free(struct tarref *t)
{
	archive_entry_free(t->e);
	archive_write_free(t->a);
	free(t);
}

struct tar *
tar_open(tarout *out, void *arg, int libarchive)
{
	struct tar *t = xcalloc(1, sizeof(*t));

	t->out = out;
	t->arg = arg;
	if (libarchive)
		t->ref = tarref_open(out, arg);
	return t;
}

const char *
tar_error(const struct tar *t)
{
	return t->ref ? tarref_error(t->ref) : t->err;
}

void
tar_free(struct tar *t)
{
	if (t->ref)
		tarref_free(t->ref);
	free(t->pax.data);
	free(t);
}

static int
put(struct tar *t, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (t->out(t->arg, data, len) < 0) {
		t->err[0] = '\0';
		return -1;
	}
	t->total += (long long)len;
	return 0;
}

static int
putzeros(struct tar *t, long long n)
{
	size_t k;

	for (; n > 0; n -= (long long)k) {
		k = n < BLOCK ? (size_t)n : BLOCK;
		if (put(t, zeros, k) < 0)
			return -1;
	}
	return 0;
}

/* the previous entry's missing contents and padding */
static int
finishentry(struct tar *t)
{
	long long n = t->left + (long long)t->pad;

	t->left = 0;
	t->pad = 0;
	return putzeros(t, n);
}

static int
nonascii(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s >= 0x80)
			return 1;
	}
	return 0;
}

/* v in s octal digits at p; 0, or -1 when it is negative or too large
   (the field is then all '0's or all '7's) */
static int
octal(long long v, char *p, int s)
{
	unsigned long long u = (unsigned long long)v;
	int i;

	if (v < 0) {
		memset(p, '0', (size_t)s);
		return -1;
	}
	for (i = s - 1; i >= 0; i--, u >>= 3)
		p[i] = (char)('0' + (u & 7));
	if (u == 0)
		return 0;
	memset(p, '7', (size_t)s);
	return -1;
}

/* v in a field of s digits that may spill over its terminator up to max
   bytes, else in base-256 over max bytes */
static void
number(long long v, char *p, int s, int max)
{
	unsigned long long u = (unsigned long long)v;
	int i, k;

	for (; v >= 0 && s <= max; s++) {
		if ((unsigned long long)v < 1ULL << (3 * s)) {
			octal(v, p, s);
			return;
		}
	}
	/* big-endian two's complement, sign-extended past 8 bytes */
	for (i = max - 1, k = 0; i >= 0; i--, k++)
		p[i] = (char)(k < 8 ? (u >> (8 * k)) & 0xff : v < 0 ? 0xff : 0);
	p[0] = (char)(p[0] | 0x80);
}

/*
 * A name that fits a ustar header for one that does not: its last name
 * (at most 98 bytes with insert and a kept trailing '/'), after as much
 * of its leading directories as fits 154 bytes and of the ones between as
 * fits what is left; insert, if any, as a directory before the last name.
 * (libarchive 3.6.2 as Debian 12 patched it, and upstream since 3.8: one
 * byte less than the fields, for the '/' a part may end with.) out has
 * room for 256 bytes.
 */
static void
ustarname(char *out, const char *src, size_t len, const char *insert)
{
	const char *end = src + len, *file, *pre, *preend, *mid, *midend;
	size_t room = 98, inslen = insert ? strlen(insert) + 2 : 0;
	int slash = 0;
	char *o = out;

	if (len < NAMELEN && !insert) {
		memcpy(out, src, len);
		out[len] = '\0';
		return;
	}
	/* drop trailing '/' and "/." */
	for (;;) {
		if (end > src && end[-1] == '/') {
			end--;
			slash = 1;
		} else if (end > src + 1 && end[-1] == '.' && end[-2] == '/') {
			end -= 2;
			slash = 1;
		} else {
			break;
		}
	}
	if (slash)
		room--;
	file = end - 1;
	while (file > src && *file != '/')
		file--;
	if (*file == '/' && file < end - 1)
		file++;
	room -= inslen;
	if (end > file + room)
		end = file + room;
	room -= (size_t)(end - file);

	pre = src;
	preend = pre + PREFIXLEN - 1;
	if (preend > file)
		preend = file;
	while (preend > pre && *preend != '/')
		preend--;
	if (preend < file && *preend == '/')
		preend++;

	mid = preend;
	midend = mid + room;
	if (midend > file)
		midend = file;
	if (midend < mid)
		midend = mid;
	while (midend > mid && *midend != '/')
		midend--;
	if (midend < file && *midend == '/')
		midend++;

	memcpy(o, pre, (size_t)(preend - pre));
	o += preend - pre;
	memcpy(o, mid, (size_t)(midend - mid));
	o += midend - mid;
	if (insert) {
		memcpy(o, insert, inslen - 2);
		o += inslen - 2;
		*o++ = '/';
	}
	memcpy(o, file, (size_t)(end - file));
	o += end - file;
	if (slash)
		*o++ = '/';
	*o = '\0';
}

/* the name of the 'x' entry that holds name's records */
static void
paxname(char *out, const char *name)
{
	const char *end = name + strlen(name);

	if (!*name) {
		strcpy(out, "PaxHeader/blank");
		return;
	}
	for (;;) {
		if (end > name && end[-1] == '/')
			end--;
		else if (end > name + 1 && end[-1] == '.' && end[-2] == '/')
			end--;
		else
			break;
	}
	if (end == name)
		strcpy(out, "/PaxHeader/rootdir");
	else if (*name == '.' && end == name + 1)
		strcpy(out, "PaxHeader/currentdir");
	else
		ustarname(out, name, (size_t)(end - name), "PaxHeader");
}

/* one record "LEN KEY=VALUE\n" */
static void
record(struct buf *b, const char *key, const char *value, size_t len)
{
	size_t n = strlen(key) + len + 3, digits = 0, ten = 1, m;

	for (m = n; m > 0; m /= 10) {
		digits++;
		ten *= 10;
	}
	if (n + digits >= ten)
		digits++;
	bufprintf(b, "%zu %s=", n + digits, key);
	bufadd(b, value, len);
	bufadd(b, "\n", 1);
}

static void
recordint(struct buf *b, const char *key, long long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", v);
	record(b, key, num, strlen(num));
}

/* name in the header's name field, or split into prefix and name at a
   '/'; -1 when it does not fit (the fields stay empty) */
static int
putname(char *h, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	if (len <= NAMELEN) {
		memcpy(h + H_NAME, name, len);
		return 0;
	}
	p = strchr(name + len - NAMELEN - 1, '/');
	if (p == name)
		p = strchr(p + 1, '/');
	if (!p || p[1] == '\0' || p > name + PREFIXLEN)
		return -1;
	memcpy(h + H_PREFIX, name, (size_t)(p - name));
	memcpy(h + H_NAME, p + 1, (size_t)(name + len - p - 1));
	return 0;
}

/* a header with its name, link, numbers and type; strict: every number
   in octal within its field (the 'x' entry's), else -1 */
static int
header(char *h, const char *name, const char *link, unsigned mode, long long uid, long long gid, long long size,
       long long mtime, char type, int strict)
{
	unsigned sum = 0;
	int i, r = putname(h, name);

	memcpy(h + H_MODE, "000000 \0" "000000 \0" "000000 \0" "00000000000 " "00000000000 " "        ", 56);
	memcpy(h + H_MAGIC, "ustar\0" "00", 8);
	memcpy(h + H_DEVMAJOR, "000000 \0" "000000 \0", 16);
	if (link) {
		size_t n = strlen(link);
		memcpy(h + H_LINK, link, n > NAMELEN ? NAMELEN : n);
	}
	if (strict) {
		r |= octal(mode & 07777, h + H_MODE, 6);
		r |= octal(uid, h + H_UID, 6);
		r |= octal(gid, h + H_GID, 6);
		r |= octal(size, h + H_SIZE, 11);
		r |= octal(mtime, h + H_MTIME, 11);
	} else {
		number(mode & 07777, h + H_MODE, 6, 8);
		number(uid, h + H_UID, 6, 8);
		number(gid, h + H_GID, 6, 8);
		number(size, h + H_SIZE, 11, 12);
		number(mtime, h + H_MTIME, 11, 11);
	}
	h[H_TYPE] = type;
	for (i = 0; i < BLOCK; i++)
		sum += (unsigned char)h[i];
	octal(sum, h + H_CHKSUM, 6);
	h[H_CHKSUM + 6] = '\0';
	return r;
}

/* the URL-encoded form of an xattr's name, as its record's key has it */
static void
xattrkey(struct buf *b, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;

	b->len = 0;
	bufstr(b, "SCHILY.xattr.");
	for (; *s; s++) {
		if (*s < 33 || *s > 126 || *s == '%' || *s == '=')
			bufprintf(b, "%%%02X", *s);
		else
			bufadd(b, s, 1);
	}
}

int
tar_header(struct tar *t, const struct tarhead *h)
{
	char hdr[BLOCK], xhdr[BLOCK], shortname[256], xname[256], *path;
	const char *link = h->link, *hlink = link, *name, *p = NULL;
	long long size = h->type == TAR_FILE ? h->size : 0, most = (1 << 18) - 1;
	struct buf key = {0};
	size_t len, i;
	int r;
	char type;

	if (t->ref)
		return tarref_header(t->ref, h);
	if (finishentry(t) < 0)
		return -1;
	len = strlen(h->path);
	path = xasprintf("%s%s", h->path, h->type == TAR_DIR && len > 0 && h->path[len - 1] != '/' ? "/" : "");
	len = strlen(path);
	t->pax.len = 0;
	if (!utf8valid(path) || (link && !utf8valid(link)))
		record(&t->pax, "hdrcharset", "BINARY", 6);

	/* the name: as it is, split by putname, or shortened beside a record */
	name = path;
	if (!nonascii(path) && len > NAMELEN) {
		p = strchr(path + len - NAMELEN - 1, '/');
		if (p == path)
			p = strchr(p + 1, '/');
	}
	if (nonascii(path) || (len > NAMELEN && (!p || p[1] == '\0' || p - path > PREFIXLEN))) {
		record(&t->pax, "path", path, len);
		ustarname(shortname, path, len, NULL);
		name = shortname;
	}
	if (link && (strlen(link) > NAMELEN || nonascii(link))) {
		record(&t->pax, "linkpath", link, strlen(link));
		if (strlen(link) > NAMELEN)
			hlink = h->type == TAR_HARDLINK ? "././@LongHardLink" : "././@LongSymLink";
	}
	if ((unsigned)h->gid >= 1u << 18)
		recordint(&t->pax, "gid", h->gid);
	if ((unsigned)h->uid >= 1u << 18)
		recordint(&t->pax, "uid", h->uid);
	if (h->mtime < 0 || h->mtime >= 0x7fffffff)
		recordint(&t->pax, "mtime", h->mtime);
	for (i = h->nxattrs; i > 0; i--) {
		xattrkey(&key, h->xattrs[i - 1].name);
		record(&t->pax, key.data, h->xattrs[i - 1].value, h->xattrs[i - 1].len);
	}
	free(key.data);
	if (size >= 1LL << 33)
		recordint(&t->pax, "size", size);

	switch (h->type) {
	case TAR_HARDLINK:
		type = '1';
		break;
	case TAR_SYMLINK:
		type = '2';
		break;
	case TAR_DIR:
		type = '5';
		break;
	default:
		type = '0';
		break;
	}
	memset(hdr, 0, sizeof(hdr));
	header(hdr, name, hlink, h->mode, h->uid, h->gid, size, h->mtime, type, 0);
	r = 0;
	if (t->pax.len > 0) {
		paxname(xname, name);
		memset(xhdr, 0, sizeof(xhdr));
		r = header(xhdr, xname, NULL, h->mode & 0777, h->uid > most ? most : h->uid, h->gid > most ? most : h->gid,
		           (long long)t->pax.len, h->mtime < 0 ? 0 : h->mtime > 0x7fffffff ? 0x7fffffff : h->mtime, 'x', 1);
	}
	free(path);
	if (r < 0) {
		snprintf(t->err, sizeof(t->err), "%s",
		         h->uid < 0 || h->gid < 0 ? "a negative uid or gid" : "a name too long for its pax header");
		return -1;
	}
	if (t->pax.len > 0 && (put(t, xhdr, BLOCK) < 0 || put(t, t->pax.data, t->pax.len) < 0 ||
	                       put(t, zeros, (BLOCK - t->pax.len % BLOCK) % BLOCK) < 0))
		return -1;
	if (put(t, hdr, BLOCK) < 0)
		return -1;
	t->left = size;
	t->pad = (size_t)((BLOCK - size % BLOCK) % BLOCK);
	return 0;
}

int
tar_data(struct tar *t, const void *data, size_t len)
{
	if (t->ref)
		return tarref_data(t->ref, data, len);
	if ((long long)len > t->left)
		len = (size_t)t->left;
	if (put(t, data, len) < 0)
		return -1;
	t->left -= (long long)len;
	return 0;
}

int
tar_close(struct tar *t)
{
	if (t->ref)
		return tarref_close(t->ref);
	if (finishentry(t) < 0 || putzeros(t, 2 * BLOCK) < 0)
		return -1;
	return putzeros(t, (RECORD - t->total % RECORD) % RECORD);
}
