/*
 * facts: what the SBOM and the report need of a layer, so that they never
 * read the layer's blob again. The pass that writes a layer (layer.c, and
 * through it the build cache) hands its uncompressed tar stream, as it is
 * written, to a scan that reads the headers (ustar, pax records, GNU long
 * names) and hashes each file's contents with SHA1 and SHA256. A layer that
 * enters the store some other way has its facts made once from its blob,
 * by the same scan, when the SBOM first asks for them (the report page
 * reads the blob of a layer without facts).
 *
 * The facts file, DIR/facts/HEX beside the store DIR/blobs, HEX the layer's
 * diff_id: the same tar has the same facts, whichever image or base has it.
 *
 *   imagegen-facts 1 sha256:<diff_id>
 *   TYPE MODE UID GID SIZE SHA1 SHA256 PATH [LINK]     one line a member, in tar order
 *   end COUNT USIZE
 *
 * TYPE is one letter (struct fact), MODE four octal digits, UID, GID and SIZE
 * decimal, SHA1 and SHA256 lower-case hex for a file and "-" for anything
 * else; PATH and LINK are the member's bytes with each byte under 0x21, 0x7f
 * and '%' as %XX. The file is read back checked field by field, its size
 * bounded, its first line naming the diff_id asked for and its last the
 * count of members and the bytes of the tar up to the end of its two zero
 * blocks (what a reader of the tar reads of it).
 *
 * The contents of the few files the report page reads (facts_keeps: the
 * dpkg database and copyright files) are kept beside, in DIR/facts/HEX.kept,
 * written before the facts file:
 *
 *   imagegen-kept 1 sha256:<diff_id>
 *   SIZE PATH                                       then SIZE bytes and "\n", one a kept file, in tar order
 *   end COUNT
 *
 * read back checked against the facts: each a file member of that path and
 * size whose contents have its SHA256. Facts without it (made before it
 * existed) serve all but those contents; the report then reads the blob.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/arc.h"
#include "base/store.h"
#include "base/tarhdr.h"
#include "layer/facts.h"
#include "layer/hashes.h"

enum {
	BLOCK = 512,
	/* the most bytes of a pax header or GNU long name */
	MAXEXT = 8 << 20,
	/* the most bytes of a facts file (a layer of about two million members) */
	MAXFACTS = 512 << 20,
	/* the most bytes of a file kept, and of all a layer keeps (as the report reads them) */
	MAXKEEPFILE = 16 << 20,
	MAXKEPT = 256 << 20,
};

static const char MAGIC[] = "imagegen-facts 1 ", KEPTMAGIC[] = "imagegen-kept 1 ";

enum scanstate { SHEADER, SDATA, SEXT, SDONE };

struct factscan {
	enum scanstate state;
	/* the header block being gathered */
	unsigned char hdr[BLOCK];
	size_t hdrlen;
	/* the bytes of the member (or extension) left, padding included, and those of them to hash or keep */
	long long left, want;
	/* SEXT: which ('x' pax, 'g' global pax, 'L' long name, 'K' long link) and its bytes */
	char extkind;
	struct buf ext;
	/* what pax records and GNU long names say of the next member */
	char *path, *link;
	long long size, uid, gid;
	int hassize, hasuid, hasgid;
	/* the member being read, and its digests while it is a file */
	struct fact cur;
	struct sha1_ctx c1;
	struct sha256_ctx c2;
	/* zero blocks seen in a row, and the bytes of the stream up to the end of the last */
	int zeros;
	long long usize;
	/* the lines of the facts file, and how many */
	struct buf out;
	size_t count;
	/* whether the member's contents are kept; the kept file's records, how many and their bytes */
	int keeping;
	struct buf kept;
	size_t nkept;
	long long keptbytes;
	char err[200];
};

struct factscan *
facts_scan(void)
{
	return xcalloc(1, sizeof(struct factscan));
}

const char *
facts_error(const struct factscan *s)
{
	return s->err;
}

static int
refuse(struct factscan *s, const char *why)
{
	snprintf(s->err, sizeof(s->err), "%s", why);
	return -1;
}

/* the records of a pax header: path, linkpath, size, uid and gid for the next member */
static int
paxrecords(struct factscan *s)
{
	const char *p = s->ext.data, *end = p + s->ext.len;
	struct paxrec r;
	long long v;
	int got;

	while ((got = tarhdr_paxnext(&p, end, &r)) > 0) {
		if (tarhdr_paxkey(&r, "path") || tarhdr_paxkey(&r, "linkpath")) {
			char **to = tarhdr_paxkey(&r, "path") ? &s->path : &s->link;
			if (memchr(r.val, '\0', r.vlen))
				return refuse(s, "a pax path with a NUL");
			free(*to);
			*to = xmalloc(r.vlen + 1);
			memcpy(*to, r.val, r.vlen);
			(*to)[r.vlen] = '\0';
		} else if (tarhdr_paxkey(&r, "size") || tarhdr_paxkey(&r, "uid") || tarhdr_paxkey(&r, "gid")) {
			if ((v = tarhdr_paxnum(&r, 0)) < 0)
				return refuse(s, "a pax record with a malformed number");
			if (r.key[0] == 's')
				s->size = v, s->hassize = 1;
			else if (r.key[0] == 'u')
				s->uid = v, s->hasuid = 1;
			else
				s->gid = v, s->hasgid = 1;
		}
	}
	return got < 0 ? refuse(s, "a malformed pax record") : 0;
}

/* name as a facts field: bytes under 0x21, 0x7f and '%' as %XX */
static void
escape(struct buf *b, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t run;

	while (*p) {
		for (run = 0; p[run] > 0x20 && p[run] != 0x7f && p[run] != '%'; run++)
			;
		bufadd(b, p, run);
		p += run;
		if (*p) {
			bufprintf(b, "%%%02X", *p);
			p++;
		}
	}
}

int
facts_keeps(const char *path)
{
	size_t n;

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	while (*path == '/')
		path++;
	n = strlen(path);
	if (strcmp(path, "var/lib/dpkg/status") == 0 || strncmp(path, "var/lib/dpkg/status.d/", 22) == 0)
		return 1;
	if (strncmp(path, "var/lib/dpkg/info/", 18) == 0 && n > 23 && strcmp(path + n - 5, ".list") == 0)
		return 1;
	return strncmp(path, "usr/share/doc/", 14) == 0 && n > 24 && strchr(path + 14, '/') == path + n - 10 &&
	       strcmp(path + n - 10, "/copyright") == 0;
}

/* the member read whole: its line */
static void
endmember(struct factscan *s)
{
	struct fact *f = &s->cur;
	unsigned char md1[SHA1_DIGEST_SIZE], md2[SHA256_DIGEST_SIZE];

	if (f->type == 'f') {
		sha1_digest(&s->c1, sizeof(md1), md1);
		sha256_digest(&s->c2, sizeof(md2), md2);
		hexstr(md1, sizeof(md1), f->sha1);
		hexstr(md2, sizeof(md2), f->sha256);
	}
	bufprintf(&s->out, "%c %04o %lld %lld %lld %s %s ", f->type, f->mode, f->uid, f->gid, f->size,
	          f->type == 'f' ? f->sha1 : "-", f->type == 'f' ? f->sha256 : "-");
	escape(&s->out, f->path);
	if (f->link) {
		bufstr(&s->out, " ");
		escape(&s->out, f->link);
	}
	bufstr(&s->out, "\n");
	s->count++;
	if (s->keeping) {
		bufstr(&s->kept, "\n");
		s->nkept++;
		s->keptbytes += f->size;
		s->keeping = 0;
	}
	free(f->path);
	free(f->link);
	memset(f, 0, sizeof(*f));
	s->state = SHEADER;
}

/* a number of a header: a field of spaces and NULs is 0 here; -1 if malformed */
static long long
number(const unsigned char *p, size_t n)
{
	long long v = tarhdr_num(p, n);

	return v == TARHDR_BLANK ? 0 : v;
}

/* a whole header block */
static int
header(struct factscan *s)
{
	const unsigned char *h = s->hdr;
	long long size;
	char type;

	if (tarhdr_iszero(h)) {
		if (++s->zeros == 2)
			s->state = SDONE;
		s->usize += BLOCK;
		return 0;
	}
	s->usize += BLOCK;
	if (s->zeros)
		return refuse(s, "a zero block inside the archive");
	if (!tarhdr_sumok(h))
		return refuse(s, "a tar header whose checksum is wrong");
	size = s->hassize ? s->size : number(h + 124, 12);
	if (size < 0)
		return refuse(s, "a tar header with a malformed size");
	type = (char)h[156];
	if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
		if (size > MAXEXT)
			return refuse(s, "a pax header or long name over 8 MiB");
		s->state = SEXT;
		s->extkind = type;
		s->ext.len = 0;
		s->want = size;
		s->left = (size + BLOCK - 1) / BLOCK * BLOCK;
		s->hassize = 0;
		return 0;
	}
	memset(&s->cur, 0, sizeof(s->cur));
	switch (type) {
	case '1': s->cur.type = 'h'; break;
	case '2': s->cur.type = 'l'; break;
	case '3': s->cur.type = 'c'; break;
	case '4': s->cur.type = 'b'; break;
	case '5': s->cur.type = 'd'; break;
	case '6': s->cur.type = 'p'; break;
	default: s->cur.type = 'f'; break;
	}
	s->cur.path = s->path ? s->path : tarhdr_path(h);
	s->path = NULL;
	if (s->link) {
		s->cur.link = s->link;
	} else if (s->cur.type == 'h' || s->cur.type == 'l') {
		s->cur.link = tarhdr_text(h + 157, 100);
	}
	s->link = NULL;
	if (!*s->cur.path)
		return refuse(s, "a tar member without a name");
	s->cur.mode = (unsigned)(number(h + 100, 8) & 07777);
	s->cur.uid = s->hasuid ? s->uid : number(h + 108, 8);
	s->cur.gid = s->hasgid ? s->gid : number(h + 116, 8);
	s->hassize = s->hasuid = s->hasgid = 0;
	if (s->cur.uid < 0 || s->cur.gid < 0 || number(h + 100, 8) < 0)
		return refuse(s, "a tar header with a malformed number");
	/* links, devices, folders and fifos have no data, whatever the size field says */
	if (strchr("lcbdp", s->cur.type))
		size = 0;
	s->cur.size = s->cur.type == 'f' ? size : 0;
	if (s->cur.type == 'f') {
		sha1_init(&s->c1);
		sha256_init(&s->c2);
		s->keeping = size <= MAXKEEPFILE && s->keptbytes + size <= MAXKEPT && facts_keeps(s->cur.path);
		if (s->keeping) {
			bufprintf(&s->kept, "%lld ", size);
			escape(&s->kept, s->cur.path);
			bufstr(&s->kept, "\n");
		}
	}
	s->want = s->cur.type == 'f' ? size : 0;
	s->left = (size + BLOCK - 1) / BLOCK * BLOCK;
	if (s->left == 0)
		endmember(s);
	else
		s->state = SDATA;
	return 0;
}

/* an extension read whole */
static int
endext(struct factscan *s)
{
	s->state = SHEADER;
	if (s->extkind == 'x')
		return paxrecords(s);
	if (s->extkind == 'L' || s->extkind == 'K') {
		char **to = s->extkind == 'L' ? &s->path : &s->link;
		free(*to);
		*to = tarhdr_text((const unsigned char *)(s->ext.data ? s->ext.data : ""), s->ext.len);
	}
	return 0;
}

/* facts_feed, and when tar is not NULL the bytes added to it too: a file's
   contents with its own two digests in one walk (hashes.c) */
static int
feed(struct factscan *s, struct sha256_ctx *tar, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t n = 0, w;

	if (s->err[0])
		return -1;
	while (len > 0) {
		switch (s->state) {
		case SDONE:
			if (tar)
				sha256_update(tar, len, p);
			return 0;
		case SHEADER:
			n = BLOCK - s->hdrlen < len ? BLOCK - s->hdrlen : len;
			if (tar)
				sha256_update(tar, n, p);
			memcpy(s->hdr + s->hdrlen, p, n);
			s->hdrlen += n;
			if (s->hdrlen == BLOCK) {
				s->hdrlen = 0;
				if (header(s) < 0)
					return -1;
			}
			break;
		case SDATA:
		case SEXT:
			n = (long long)len < s->left ? len : (size_t)s->left;
			w = (long long)n < s->want ? n : (size_t)s->want;
			if (w > 0 && s->state == SDATA && tar) {
				hashes_three(&s->c1, &s->c2, tar, p, w);
				if (n > w)
					sha256_update(tar, n - w, p + w);
			} else if (w > 0 && s->state == SDATA) {
				sha1_update(&s->c1, w, p);
				sha256_update(&s->c2, w, p);
			} else if (tar) {
				sha256_update(tar, n, p);
			}
			if (w > 0 && s->state == SDATA && s->keeping)
				bufadd(&s->kept, p, w);
			else if (w > 0 && s->state == SEXT)
				bufadd(&s->ext, p, w);
			s->want -= (long long)w;
			s->left -= (long long)n;
			s->usize += (long long)n;
			if (s->left == 0 && s->state == SDATA)
				endmember(s);
			else if (s->left == 0 && endext(s) < 0)
				return -1;
			break;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int
facts_feed(struct factscan *s, const void *data, size_t len)
{
	return feed(s, NULL, data, len);
}

int
facts_feedtar(struct factscan *s, struct sha256_ctx *tar, const void *data, size_t len)
{
	return feed(s, tar, data, len);
}

/* DIR/facts/HEX beside the store DIR/blobs, and HEX.kept with kept (free it) */
static char *
factsfile(const char *store, const char *diffid, int kept)
{
	const char *slash = strrchr(store, '/'), *ext = kept ? ".kept" : "";

	if (!slash)
		return xasprintf("facts/%s%s", diffid + 7, ext);
	return xasprintf("%.*s/facts/%s%s", (int)(slash - store), store, diffid + 7, ext);
}

static char *
factspath(const char *store, const char *diffid)
{
	return factsfile(store, diffid, 0);
}

void
facts_drop(struct factscan *s)
{
	if (!s)
		return;
	free(s->ext.data);
	free(s->path);
	free(s->link);
	free(s->cur.path);
	free(s->cur.link);
	free(s->out.data);
	free(s->kept.data);
	free(s);
}

void
facts_save(struct factscan *s, const char *store, const char *diffid)
{
	struct buf text = {0};
	char *path = factspath(store, diffid);

	/* a stream may end without its two zero blocks, not inside a member */
	if (s->state != SDONE && !(s->state == SHEADER && s->hdrlen == 0))
		fatal("layer %s: the tar stream ends inside a member", diffid);
	bufprintf(&text, "%s%s\n", MAGIC, diffid);
	bufadd(&text, s->out.data ? s->out.data : "", s->out.len);
	bufprintf(&text, "end %zu %lld\n", s->count, s->usize);
	if (mkparent(path) < 0)
		fatal("mkdir %s:", path);
	if (s->nkept > 0) {
		struct buf kept = {0};
		char *keptpath = factsfile(store, diffid, 1);
		bufprintf(&kept, "%s%s\n", KEPTMAGIC, diffid);
		bufadd(&kept, s->kept.data, s->kept.len);
		bufprintf(&kept, "end %zu\n", s->nkept);
		xreplacefile(keptpath, kept.data, kept.len);
		free(kept.data);
		free(keptpath);
	}
	xreplacefile(path, text.data, text.len);
	free(text.data);
	free(path);
	facts_drop(s);
}

int
facts_have(const char *store, const char *diffid)
{
	char *path = factspath(store, diffid);
	FILE *f = fopen(path, "r");

	free(path);
	if (f)
		fclose(f);
	return f != NULL;
}

/* the facts of a layer made from its blob: every byte of it read once, checked against diffid */
static void
fromblob(const char *store, const char *diffid, const char *digest, const char *what)
{
	char *blob = store_path(store, digest), hex[65], chunk[1 << 16];
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct factscan *s = facts_scan();
	struct sha256 *h = sha256new();
	la_ssize_t n;

	if (!a)
		fatal("out of memory");
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, blob, 1 << 16) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK)
		fatal("%s: layer %s: %s", what, digest, archiveerr(a));
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		sha256add(h, chunk, (size_t)n);
		if (facts_feed(s, chunk, (size_t)n) < 0)
			fatal("%s: layer %s: %s", what, digest, facts_error(s));
	}
	if (n < 0)
		fatal("%s: layer %s: %s", what, digest, archiveerr(a));
	archive_read_free(a);
	sha256done(h, hex);
	if (strcmp(hex, diffid + 7) != 0)
		fatal("%s: layer %s: its tar is not diff_id %s", what, digest, diffid);
	facts_save(s, store, diffid);
	free(blob);
}

/* the value of a hex digit, upper case; -1 for anything else */
static int
hexdigit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* a facts field back to its bytes, in place; -1 on a malformed one */
static int
unescape(char *s)
{
	char *out = s;
	int hi, lo;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s != '%') {
			*out++ = *s;
			continue;
		}
		hi = hexdigit(s[1]);
		lo = hi < 0 ? -1 : hexdigit(s[2]);
		if (lo < 0 || (hi == 0 && lo == 0))
			return -1;
		*out++ = (char)(hi * 16 + lo);
		s += 2;
	}
	*out = '\0';
	return 0;
}

static int
ishex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* a decimal field in [0, 2^62) */
static int
decimal(const char *s, long long *v)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
		return -1;
	*v = strtoll(s, &end, 10);
	return 0;
}

/* one member's line, its fields split at the spaces (line is modified, and
   the fact's path and link point into it): NULL, or why not */
static const char *
parseline(char *line, struct fact *f)
{
	char *w[9];
	size_t n = 0;
	long long mode;

	w[n++] = line;
	for (; *line; line++) {
		if (*line == ' ') {
			if (n == 9)
				return "too many fields";
			*line = '\0';
			w[n++] = line + 1;
		}
	}
	if (n < 8)
		return "too few fields";
	if (strlen(w[0]) != 1 || !strchr("fhdlcbp", w[0][0]))
		return "an unknown type";
	f->type = w[0][0];
	if (strlen(w[1]) != 4 || strspn(w[1], "01234567") != 4)
		return "a malformed mode";
	mode = strtol(w[1], NULL, 8);
	f->mode = (unsigned)mode;
	if (decimal(w[2], &f->uid) < 0 || decimal(w[3], &f->gid) < 0 || decimal(w[4], &f->size) < 0)
		return "a malformed number";
	if (f->type == 'f' ? !ishex(w[5], 40) || !ishex(w[6], 64) : strcmp(w[5], "-") != 0 || strcmp(w[6], "-") != 0)
		return "malformed digests";
	if (f->type != 'f' && f->size != 0)
		return "a size on what is not a file";
	memcpy(f->sha1, f->type == 'f' ? w[5] : "", f->type == 'f' ? 41 : 1);
	memcpy(f->sha256, f->type == 'f' ? w[6] : "", f->type == 'f' ? 65 : 1);
	if (unescape(w[7]) < 0)
		return "a malformed path";
	if ((n == 9) != (f->type == 'h' || f->type == 'l'))
		return n == 9 ? "a link target on what is not a link" : "a link without a target";
	if (n == 9 && unescape(w[8]) < 0)
		return "a malformed link target";
	f->path = w[7];
	f->link = n == 9 ? w[8] : NULL;
	return NULL;
}

/* the kept contents of DIR/facts/HEX.kept, when there is one, onto the
   members of out (all read): each record a file member of its path, after
   the last one's, of its size and SHA256. Exits on a malformed file */
static void
loadkept(const char *store, const char *diffid, struct layerfacts *out)
{
	char *path = factsfile(store, diffid, 1), *p, *end, *nl, *sp, hex[65];
	const char *why = NULL;
	struct buf b = {0};
	struct stat st;
	size_t at = 0, count = 0, lineno = 1, len;
	long long size, n;
	struct fact *f;

	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			fatal("%s:", path);
		free(path);
		return;
	}
	if (st.st_size > MAXKEPT + MAXFACTS)
		fatal("%s: kept files over %d MiB; remove the file to have it made again", path, MAXKEPT >> 20);
	if (readall(path, &b) < 0)
		fatal("read %s:", path);
	out->kept = b;
	p = b.data ? b.data : "";
	end = p + b.len;
	len = strlen(KEPTMAGIC) + strlen(diffid);
	if ((size_t)(end - p) <= len || memcmp(p, KEPTMAGIC, strlen(KEPTMAGIC)) != 0 ||
	    memcmp(p + strlen(KEPTMAGIC), diffid, strlen(diffid)) != 0 || p[len] != '\n') {
		why = "not the kept files of this layer";
		goto bad;
	}
	for (p += len + 1; p < end; p = nl + 1 + size + 1) {
		lineno++;
		if (!(nl = memchr(p, '\n', (size_t)(end - p)))) {
			why = "no end line";
			goto bad;
		}
		*nl = '\0';
		if (strncmp(p, "end ", 4) == 0) {
			if (decimal(p + 4, &n) < 0 || (size_t)n != count || nl + 1 != end) {
				why = "an end line that does not count the files, or lines after it";
				goto bad;
			}
			free(path);
			return;
		}
		if (!(sp = strchr(p, ' ')) || (*sp = '\0', decimal(p, &size) < 0) || unescape(sp + 1) < 0) {
			why = "a malformed record";
			goto bad;
		}
		if (size > end - (nl + 1) - 1 || nl[1 + size] != '\n') {
			why = "a file's bytes cut short";
			goto bad;
		}
		while (at < out->len && strcmp(out->e[at].path, sp + 1) != 0)
			at++;
		if (at == out->len) {
			why = "a file that is not a member after the last one";
			goto bad;
		}
		f = &out->e[at++];
		sha256hex(nl + 1, (size_t)size, hex);
		if (f->type != 'f' || f->size != size || strcmp(hex, f->sha256) != 0) {
			why = "a file whose size or contents are not the member's";
			goto bad;
		}
		f->data = nl + 1;
		count++;
	}
	why = "no end line";
bad:
	fatal("%s:%zu: malformed kept files (%s); remove the file to have it made again", path, lineno, why);
}

/* the facts file at path, of at most max bytes, read whole in one pass
   into a string of its size (free it); exits when it cannot be read or is over max */
static char *
factstext(const char *path, long long max, size_t *len)
{
	struct stat st;
	char *text;
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		fatal("read %s:", path);
	if (st.st_size > max) {
		close(fd);
		fatal("%s: layer facts over %lld MiB; remove the file to have it made again", path, max >> 20);
	}
	text = xmalloc((size_t)st.st_size + 1);
	/* a file that grew since: what is past its size is not read, and the end line will miss */
	while (got < (size_t)st.st_size && (n = read(fd, text + got, (size_t)st.st_size - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal("read %s:", path);
		got += (size_t)n;
	}
	close(fd);
	text[got] = '\0';
	*len = got;
	return text;
}

void
facts_load(const char *store, const char *diffid, const char *digest, const char *what, struct layerfacts *out)
{
	char *path = factspath(store, diffid), *p, *q, *nl, *line, *head = xasprintf("%s%s", MAGIC, diffid), *text;
	const char *why = NULL;
	size_t lineno = 1, cap = 1, len;
	long long n;
	int end = 0;

	if (!store_validdigest(diffid) || !store_validdigest(digest))
		fatal("%s: malformed layer descriptor", what);
	memset(out, 0, sizeof(*out));
	if (access(path, F_OK) < 0) {
		if (errno != ENOENT)
			fatal("%s:", path);
		fromblob(store, diffid, digest, what);
	}
	out->text = text = factstext(path, MAXFACTS, &len);
	/* one fact a line: as many as there are lines, allocated once */
	for (q = text; (q = memchr(q, '\n', len - (size_t)(q - text))); q++)
		cap++;
	out->e = xmalloc(cap * sizeof(*out->e));
	p = text;
	nl = strchr(p, '\n');
	if (!nl || (size_t)(nl - p) != strlen(head) || memcmp(p, head, strlen(head)) != 0) {
		why = "not the facts of this layer";
		goto bad;
	}
	for (p = nl + 1; *p; p = nl + 1) {
		lineno++;
		nl = strchr(p, '\n');
		if (!nl || end) {
			why = end ? "lines after the end" : "no end line";
			goto bad;
		}
		*nl = '\0';
		line = p;
		if (strncmp(line, "end ", 4) == 0) {
			char *sp = strchr(line + 4, ' ');
			if (!sp || (*sp = '\0', decimal(line + 4, &n) < 0) || (size_t)n != out->len ||
			    decimal(sp + 1, &out->usize) < 0) {
				why = "an end line that does not count the members";
				goto bad;
			}
			end = 1;
			continue;
		}
		memset(&out->e[out->len], 0, sizeof(out->e[0]));
		if ((why = parseline(line, &out->e[out->len])))
			goto bad;
		out->len++;
	}
	if (!end) {
		/* the line where it should be */
		lineno++;
		why = "no end line";
		goto bad;
	}
	if ((size_t)(p - text) != len) {
		why = "a NUL byte";
		goto bad;
	}
	free(head);
	free(path);
	loadkept(store, diffid, out);
	return;
bad:
	fatal("%s:%zu: malformed layer facts (%s); remove the file to have it made again", path, lineno, why);
}

void
facts_free(struct layerfacts *f)
{
	free(f->e);
	free(f->text);
	free(f->kept.data);
	memset(f, 0, sizeof(*f));
}
