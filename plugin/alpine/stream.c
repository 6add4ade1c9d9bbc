/*
 * stream: the parts of Alpine's files, read in one pass.
 *
 * An .apk and an APKINDEX.tar.gz are gzip streams one after another (see
 * apk.c and index.c); what is signed, and what the index names a package
 * by, is a stream's compressed bytes. So a stream is inflated here by zlib
 * one at a time (inflate stops at a member's end and says so), and the
 * compressed bytes it took are hashed (SHA-1 and SHA-256, nettle) on their
 * way. zlib is loaded (dlopen) with the first Alpine file.
 *
 * The tars inside are read by the small reader below rather than by
 * libarchive: apk keeps each file's SHA-1 in a pax record of its own
 * (APK-TOOLS.checksum.SHA1), which libarchive does not hand over, and the
 * first two streams are tars without their end-of-archive blocks. It takes
 * ustar headers (their checksum checked, their fields read by
 * base/tarhdr.c), pax records (path, linkpath, size, uid, gid, mtime and
 * apk's checksum), GNU long names, and nothing longer than its bounds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/lib.h"
#include "base/tarhdr.h"
#include "alpine/stream.h"

ssize_t
apk_fdsource(void *arg, void *buf, size_t n)
{
	ssize_t r;

	do
		r = read(*(int *)arg, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

ssize_t
apk_memsource(void *arg, void *buf, size_t n)
{
	struct apkmem *m = arg;

	if (n > m->left)
		n = m->left;
	memcpy(buf, m->p, n);
	m->p += n;
	m->left -= n;
	return (ssize_t)n;
}

/* the longest name or link target, the largest pax header, the most bytes
   after a tar's end-of-archive blocks */
enum { MAXNAME = 4096, MAXPAX = 64 << 10, MAXTRAIL = 1 << 20 };

/* the zlib functions stream.c calls, once loaded */
static struct {
	int (*inflateInit2_)(z_streamp, int, const char *, int);
	int (*inflate)(z_streamp, int);
	int (*inflateReset)(z_streamp);
	int (*inflateEnd)(z_streamp);
} zl;

static struct lib libz = {"zlib", "libz.so.1", "zlib1g", "Alpine packages and indexes", NULL};

/* the table's field f: zlib's f, checked by the compiler to have its type */
#define ZFN(f) libfn(&libz, #f, &zl.f, sizeof(0 ? &f : zl.f))

struct gzin {
	apk_source *src;
	void *arg;
	const char *what;
	z_stream z;
	int zready;
	/* 0 no stream begun, 1 in a stream, 2 at its end */
	int state;
	struct sha1_ctx sha1;
	struct sha256_ctx sha256;
	uint8_t d1[20], d256[32];
	long long offset;
	char err[256];
	unsigned char in[1 << 16];
	size_t pos, avail;
	int eof;
};

static void
zinit(void)
{
	if (zl.inflateEnd)
		return;
	ZFN(inflateInit2_);
	ZFN(inflate);
	ZFN(inflateReset);
	ZFN(inflateEnd);
}

struct gzin *
gzin_open(apk_source *src, void *arg, const char *what)
{
	struct gzin *g = xcalloc(1, sizeof(*g));

	zinit();
	g->src = src;
	g->arg = arg;
	g->what = what;
	return g;
}

static int
fail(struct gzin *g, const char *fmt, const char *detail)
{
	snprintf(g->err, sizeof(g->err), fmt, detail ? detail : "");
	return -1;
}

/* more compressed bytes: 1, 0 at the file's end, -1 on error */
static int
refill(struct gzin *g)
{
	ssize_t n;

	if (g->avail > 0)
		return 1;
	if (g->eof)
		return 0;
	n = g->src(g->arg, g->in, sizeof(g->in));
	if (n < 0)
		return fail(g, "read: %s", strerror(errno));
	if (n == 0) {
		g->eof = 1;
		return 0;
	}
	g->pos = 0;
	g->avail = (size_t)n;
	return 1;
}

int
gzin_next(struct gzin *g)
{
	int r;

	if (g->state == 1)
		return fail(g, "a gzip stream was left unread%s", NULL);
	if ((r = refill(g)) <= 0)
		return r;
	if (!g->zready) {
		if (zl.inflateInit2_(&g->z, 15 + 16, ZLIB_VERSION, (int)sizeof(g->z)) != Z_OK)
			fatal("out of memory");
		g->zready = 1;
	} else if (zl.inflateReset(&g->z) != Z_OK) {
		return fail(g, "zlib cannot start a stream%s", NULL);
	}
	sha1_init(&g->sha1);
	sha256_init(&g->sha256);
	g->state = 1;
	return 1;
}

ssize_t
gzin_read(struct gzin *g, void *buf, size_t n)
{
	size_t used, made;
	int r;

	if (g->state != 1)
		return g->state == 2 ? 0 : fail(g, "no gzip stream begun%s", NULL);
	for (;;) {
		if ((r = refill(g)) < 0)
			return -1;
		if (r == 0)
			return fail(g, "truncated: the file ends inside a gzip stream%s", NULL);
		g->z.next_in = g->in + g->pos;
		g->z.avail_in = (uInt)g->avail;
		g->z.next_out = buf;
		g->z.avail_out = (uInt)(n > (1u << 30) ? 1u << 30 : n);
		made = g->z.avail_out;
		r = zl.inflate(&g->z, Z_NO_FLUSH);
		used = g->avail - g->z.avail_in;
		made -= g->z.avail_out;
		sha1_update(&g->sha1, used, g->in + g->pos);
		sha256_update(&g->sha256, used, g->in + g->pos);
		g->pos += used;
		g->avail -= used;
		g->offset += (long long)used;
		if (r == Z_STREAM_END) {
			g->state = 2;
			sha1_digest(&g->sha1, sizeof(g->d1), g->d1);
			sha256_digest(&g->sha256, sizeof(g->d256), g->d256);
			return (ssize_t)made;
		}
		if (r != Z_OK && !(r == Z_BUF_ERROR && used > 0))
			return fail(g, "not gzip or damaged: %s", g->z.msg ? g->z.msg : "inflate failed");
		if (made > 0 || n == 0)
			return (ssize_t)made;
	}
}

void
gzin_digests(const struct gzin *g, uint8_t sha1[20], uint8_t sha256[32])
{
	memcpy(sha1, g->d1, sizeof(g->d1));
	memcpy(sha256, g->d256, sizeof(g->d256));
}

long long
gzin_offset(const struct gzin *g)
{
	return g->offset;
}

const char *
gzin_error(const struct gzin *g)
{
	return g->err[0] ? g->err : "unknown error";
}

void
gzin_close(struct gzin *g)
{
	if (!g)
		return;
	if (g->zready)
		zl.inflateEnd(&g->z);
	free(g);
}

/* n bytes of the stream into buf: how many it had (fewer only at its end), -1 on error */
static ssize_t
readfull(struct gzin *g, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = gzin_read(g, (char *)buf + got, n - got);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int
tarfail(char *err, size_t len, const char *fmt, const char *detail)
{
	snprintf(err, len, fmt, detail);
	return -1;
}

static int
hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* the records of a pax header into m's pending values */
static int
paxrecords(const char *p, size_t n, struct tarmember *m, char **name, char **link, long long *size,
           char *err, size_t errlen)
{
	const char *end = p + n;
	struct paxrec r;
	long long v;
	size_t i;
	int got;

	while ((got = tarhdr_paxnext(&p, end, &r)) > 0) {
		if (tarhdr_paxkey(&r, "path") || tarhdr_paxkey(&r, "linkpath")) {
			int ispath = tarhdr_paxkey(&r, "path");
			char **to = ispath ? name : link;
			if (r.vlen > MAXNAME || memchr(r.val, '\0', r.vlen))
				return tarfail(err, errlen, "a pax %s that is too long or holds a NUL byte",
				               ispath ? "path" : "linkpath");
			free(*to);
			*to = xmalloc(r.vlen + 1);
			memcpy(*to, r.val, r.vlen);
			(*to)[r.vlen] = '\0';
		} else if (tarhdr_paxkey(&r, "size") || tarhdr_paxkey(&r, "uid") || tarhdr_paxkey(&r, "gid") ||
		           tarhdr_paxkey(&r, "mtime")) {
			if ((v = tarhdr_paxnum(&r, tarhdr_paxkey(&r, "mtime"))) < 0)
				return tarfail(err, errlen, "a pax record with a malformed number%s", "");
			if (tarhdr_paxkey(&r, "size"))
				*size = v;
			else if (tarhdr_paxkey(&r, "uid"))
				m->uid = v;
			else if (tarhdr_paxkey(&r, "gid"))
				m->gid = v;
			else
				m->mtime = v;
		} else if (tarhdr_paxkey(&r, "uname") || tarhdr_paxkey(&r, "gname")) {
			int isuser = tarhdr_paxkey(&r, "uname");
			char *to = isuser ? m->uname : m->gname;
			if (r.vlen >= sizeof(m->uname) || memchr(r.val, '\0', r.vlen))
				return tarfail(err, errlen, "a pax %s that is too long", isuser ? "uname" : "gname");
			memcpy(to, r.val, r.vlen);
			to[r.vlen] = '\0';
		} else if (tarhdr_paxkey(&r, "APK-TOOLS.checksum.SHA1")) {
			if (r.vlen != 40)
				return tarfail(err, errlen, "a malformed APK-TOOLS.checksum.SHA1%s", "");
			for (i = 0; i < 20; i++) {
				int hi = hexdigit(r.val[2 * i]), lo = hexdigit(r.val[2 * i + 1]);
				if (hi < 0 || lo < 0)
					return tarfail(err, errlen, "a malformed APK-TOOLS.checksum.SHA1%s", "");
				m->sha1[i] = (uint8_t)(hi * 16 + lo);
			}
			m->hassha1 = 1;
		}
	}
	return got < 0 ? tarfail(err, errlen, "a malformed pax record%s", "") : 0;
}

/* a member's data of at most max bytes whole, then its padding */
static int
readsmall(struct gzin *g, long long size, size_t max, char **out, char *err, size_t len, const char *what)
{
	size_t pad = (size_t)((512 - size % 512) % 512);
	char tmp[512];

	if (size < 0 || (unsigned long long)size > max)
		return tarfail(err, len, "%s is too large", what);
	*out = xmalloc((size_t)size + 1);
	if (readfull(g, *out, (size_t)size) != (ssize_t)size || readfull(g, tmp, pad) != (ssize_t)pad) {
		free(*out);
		*out = NULL;
		return tarfail(err, len, "truncated inside %s", what);
	}
	(*out)[size] = '\0';
	return 0;
}

/* the rest of the stream after the end-of-archive blocks, dropped */
static int
drain(struct gzin *g, char *err, size_t len)
{
	char chunk[4096];
	size_t total = 0;
	ssize_t n;

	while ((n = gzin_read(g, chunk, sizeof(chunk))) > 0) {
		total += (size_t)n;
		if (total > MAXTRAIL)
			return tarfail(err, len, "more than 1 MiB after the tar's end%s", "");
	}
	return n < 0 ? tarfail(err, len, "%s", gzin_error(g)) : 0;
}

int
apktar_next(struct gzin *g, struct tarmember *m, char *err, size_t len)
{
	unsigned char h[512];
	char *name = NULL, *link = NULL, *data;
	long long size = -1, v;
	ssize_t n;

	if (m->left > 0 || m->pad > 0) {
		if (apktar_skip(g, m) < 0)
			return tarfail(err, len, "%s", gzin_error(g));
	}
	apktar_free(m);
	memset(m, 0, sizeof(*m));
	m->uid = m->gid = m->mtime = -1;
	for (;;) {
		n = readfull(g, h, sizeof(h));
		if (n < 0)
			goto gzfail;
		if (n == 0 && !name && !link && size < 0 && !m->hassha1)
			return 0;
		if (n != (ssize_t)sizeof(h)) {
			tarfail(err, len, "truncated inside a tar header%s", "");
			goto fail;
		}
		if (tarhdr_iszero(h)) {
			free(name);
			free(link);
			return drain(g, err, len) < 0 ? -1 : 0;
		}
		if (!tarhdr_sumok(h)) {
			tarfail(err, len, "a tar header with a wrong checksum%s", "");
			goto fail;
		}
		if ((v = tarhdr_num(h + 124, 12)) < 0) {
			tarfail(err, len, "a tar header with a malformed size%s", "");
			goto fail;
		}
		if (h[156] == 'x' || h[156] == 'g' || h[156] == 'L' || h[156] == 'K') {
			if (readsmall(g, v, h[156] == 'x' || h[156] == 'g' ? MAXPAX : MAXNAME, &data, err, len,
			              "a pax header or long name") < 0)
				goto fail;
			if (h[156] == 'x' && paxrecords(data, (size_t)v, m, &name, &link, &size, err, len) < 0) {
				free(data);
				goto fail;
			}
			if (h[156] == 'L' || h[156] == 'K') {
				char **to = h[156] == 'L' ? &name : &link;
				free(*to);
				*to = data;
			} else {
				free(data);
			}
			continue;
		}
		break;
	}
	if (size < 0)
		size = v;
	m->type = h[156] == '\0' || h[156] == '7' ? '0' : (char)h[156];
	m->name = name ? name : tarhdr_path(h);
	m->link = link ? link : tarhdr_text(h + 157, 100);
	if (!m->uname[0] && memcmp(h + 257, "ustar", 5) == 0) {
		memcpy(m->uname, h + 265, 32);
		m->uname[32] = '\0';
	}
	if (!m->gname[0] && memcmp(h + 257, "ustar", 5) == 0) {
		memcpy(m->gname, h + 297, 32);
		m->gname[32] = '\0';
	}
	if (m->uid < 0 && (m->uid = tarhdr_num(h + 108, 8)) < 0)
		m->uid = 0;
	if (m->gid < 0 && (m->gid = tarhdr_num(h + 116, 8)) < 0)
		m->gid = 0;
	if (m->mtime < 0 && (m->mtime = tarhdr_num(h + 136, 12)) < 0)
		m->mtime = 0;
	if ((v = tarhdr_num(h + 100, 8)) < 0) {
		apktar_free(m);
		return tarfail(err, len, "a tar header with a malformed mode%s", "");
	}
	m->mode = (unsigned)v & 07777;
	if (m->type == '0' && m->name[0] && m->name[strlen(m->name) - 1] == '/')
		m->type = '5';
	m->size = m->type == '0' ? size : 0;
	m->left = size;
	m->pad = (512 - size % 512) % 512;
	return 1;
gzfail:
	tarfail(err, len, "%s", gzin_error(g));
fail:
	free(name);
	free(link);
	return -1;
}

ssize_t
apktar_read(struct gzin *g, struct tarmember *m, void *buf, size_t n)
{
	ssize_t r;

	if (m->left <= 0)
		return 0;
	if ((long long)n > m->left)
		n = (size_t)m->left;
	r = readfull(g, buf, n);
	if (r < 0)
		return -1;
	if (r != (ssize_t)n) {
		snprintf(g->err, sizeof(g->err), "truncated inside %s", m->name);
		return -1;
	}
	m->left -= r;
	return r;
}

int
apktar_skip(struct gzin *g, struct tarmember *m)
{
	char chunk[4096];
	ssize_t r;

	while (m->left > 0) {
		if ((r = apktar_read(g, m, chunk, sizeof(chunk))) <= 0)
			return -1;
	}
	if (m->pad > 0) {
		if (readfull(g, chunk, (size_t)m->pad) != (ssize_t)m->pad) {
			snprintf(g->err, sizeof(g->err), "truncated inside %s", m->name ? m->name : "a tar");
			return -1;
		}
		m->pad = 0;
	}
	return 0;
}

int
apktar_slurp(struct gzin *g, struct tarmember *m, size_t max, char **out, size_t *outlen)
{
	ssize_t r;

	*out = NULL;
	*outlen = 0;
	if (m->left < 0 || (unsigned long long)m->left > max) {
		snprintf(g->err, sizeof(g->err), "%s is larger than %zu KiB", m->name, max >> 10);
		return -1;
	}
	*out = xmalloc((size_t)m->left + 1);
	while (m->left > 0) {
		if ((r = apktar_read(g, m, *out + *outlen, (size_t)m->left)) <= 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
		*outlen += (size_t)r;
	}
	(*out)[*outlen] = '\0';
	return 0;
}

void
apktar_free(struct tarmember *m)
{
	free(m->name);
	free(m->link);
	m->name = m->link = NULL;
}
