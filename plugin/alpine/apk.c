/*
 * apk: Alpine's packages. An .apk is three gzip streams (stream.c):
 *  1. the signature: a tar member .SIGN.RSA.KEY or .SIGN.RSA256.KEY over
 *     the compressed bytes of stream 2 (rsa.c);
 *  2. the control: a tar of .PKGINFO ("key = value" lines) and the scripts
 *     (.pre-install, ...); the SHA-1 of its compressed bytes is the
 *     package's identity in the index ("C:Q1" + base64);
 *  3. the data: a tar of the files, each file and symlink after a pax
 *     header with APK-TOOLS.checksum.SHA1 (of the file's bytes, or of the
 *     link's target); the SHA-256 of its compressed bytes is .PKGINFO's
 *     datahash.
 * It is read once, each stream hashed as it is inflated. The caller's
 * control callback checks the signature and the package (before any file
 * is handed over); each file's checksum is checked after the caller read
 * its bytes, and the datahash at the end: a caller writes nothing it took
 * until apk_read returned 0. Scripts are kept as text, never run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nettle/sha1.h>
#include <nettle/base64.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "alpine/stream.h"
#include "alpine/rsa.h"
#include "alpine/apk.h"

/* the most .PKGINFO and a script may hold, the most lines .PKGINFO may have */
enum { MAXPKGINFO = 1 << 20, MAXSCRIPT = 1 << 20, MAXFIELDS = 1 << 16, MAXMEMBERS = 64 };

const char *const apk_scriptnames[APK_NSCRIPTS] = {
	".pre-install", ".post-install", ".pre-upgrade", ".post-upgrade", ".pre-deinstall", ".post-deinstall",
	".trigger",
};

void
apk_q1(const uint8_t sha1[20], char out[32])
{
	out[0] = 'Q';
	out[1] = '1';
	base64_encode_raw(out + 2, 20, sha1);
	out[2 + BASE64_ENCODE_RAW_LENGTH(20)] = '\0';
}

/* .PKGINFO's "key = value" lines ('#' comments and blank lines aside) */
static int
pkginfo(struct apkpkg *p, const char *text, size_t len)
{
	const char *s = text, *end = text + len, *nl, *eq, *k, *v;
	size_t kl, vl;

	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		if (s == nl || *s == '#')
			continue;
		eq = memchr(s, '=', (size_t)(nl - s));
		if (!eq || memchr(s, '\0', (size_t)(nl - s))) {
			snprintf(p->err, sizeof(p->err), ".PKGINFO: a line that is not key = value");
			return -1;
		}
		for (k = s, kl = (size_t)(eq - s); kl > 0 && k[kl - 1] == ' '; kl--)
			;
		for (v = eq + 1; v < nl && *v == ' '; v++)
			;
		vl = (size_t)(nl - v);
		if (kl == 0 || p->nfields >= MAXFIELDS) {
			snprintf(p->err, sizeof(p->err), ".PKGINFO: %s", kl ? "too many lines" : "a line without a key");
			return -1;
		}
		p->fields = xrealloc(p->fields, (p->nfields + 1) * sizeof(*p->fields));
		p->fields[p->nfields].key = xmalloc(kl + 1);
		memcpy(p->fields[p->nfields].key, k, kl);
		p->fields[p->nfields].key[kl] = '\0';
		p->fields[p->nfields].value = xmalloc(vl + 1);
		memcpy(p->fields[p->nfields].value, v, vl);
		p->fields[p->nfields].value[vl] = '\0';
		p->nfields++;
		if (nl == end)
			break;
	}
	return 0;
}

const char *
apk_field(const struct apkpkg *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->nfields; i++) {
		if (strcmp(p->fields[i].key, key) == 0)
			return p->fields[i].value;
	}
	return NULL;
}

static int
readcontrol(struct gzin *g, struct apkpkg *p)
{
	struct tarmember m = {0};
	char *text = NULL;
	size_t len;
	int r, i, seen = 0, members = 0;

	while ((r = apktar_next(g, &m, p->err, sizeof(p->err))) == 1) {
		/* what is skipped is inflated too: no member larger than .PKGINFO may be */
		if (m.left > MAXPKGINFO) {
			snprintf(p->err, sizeof(p->err), "%s in the control stream: larger than %d KiB", showname(m.name),
			         MAXPKGINFO >> 10);
			goto fail;
		}
		if (++members > MAXMEMBERS) {
			snprintf(p->err, sizeof(p->err), "more than %d members in the control stream", MAXMEMBERS);
			goto fail;
		}
		if (strcmp(m.name, ".PKGINFO") == 0) {
			if (seen || m.type != '0' || apktar_slurp(g, &m, MAXPKGINFO, &text, &len) < 0) {
				snprintf(p->err, sizeof(p->err), ".PKGINFO: %s",
				         seen ? "there twice" : m.type != '0' ? "not a file" : gzin_error(g));
				goto fail;
			}
			seen = 1;
			r = pkginfo(p, text, len);
			free(text);
			if (r < 0)
				goto fail;
			continue;
		}
		for (i = 0; i < APK_NSCRIPTS; i++) {
			if (strcmp(m.name, apk_scriptnames[i]) != 0)
				continue;
			if (p->scripts[i] || m.type != '0' ||
			    apktar_slurp(g, &m, MAXSCRIPT, &p->scripts[i], &p->scriptlen[i]) < 0) {
				snprintf(p->err, sizeof(p->err), "%s: %s", apk_scriptnames[i],
				         m.type != '0' ? "not a file" : p->scripts[i] ? "there twice" : gzin_error(g));
				goto fail;
			}
		}
	}
	if (r < 0)
		goto fail;
	apktar_free(&m);
	if (!seen) {
		snprintf(p->err, sizeof(p->err), "no .PKGINFO: not an Alpine package");
		return -1;
	}
	return 0;
fail:
	apktar_free(&m);
	return -1;
}

ssize_t
apk_data(struct apkfile *f, void *buf, size_t n)
{
	ssize_t r = apktar_read(f->g, f->m, buf, n);

	if (r > 0)
		sha1_update(f->sha1, (size_t)r, buf);
	return r;
}

/* the data tar, each member handed over and then checked */
static int
readdata(struct gzin *g, struct apkpkg *p, const struct apkreader *rd)
{
	struct tarmember m = {0};
	struct sha1_ctx sha1;
	struct apkfile f = { &m, g, &sha1 };
	uint8_t got[20];
	char chunk[1 << 14];
	ssize_t n;
	int r;

	while ((r = apktar_next(g, &m, p->err, sizeof(p->err))) == 1) {
		sha1_init(&sha1);
		if (m.type == '2')
			sha1_update(&sha1, strlen(m.link), (const uint8_t *)m.link);
		if (rd->entry)
			rd->entry(rd->arg, &f);
		while ((n = apk_data(&f, chunk, sizeof(chunk))) > 0)
			;
		if (n < 0) {
			snprintf(p->err, sizeof(p->err), "%s", gzin_error(g));
			goto fail;
		}
		if (m.type != '0' && m.type != '2')
			continue;
		if (!m.hassha1) {
			snprintf(p->err, sizeof(p->err), "%s has no APK-TOOLS.checksum.SHA1", showname(m.name));
			goto fail;
		}
		sha1_digest(&sha1, sizeof(got), got);
		if (memcmp(got, m.sha1, sizeof(got)) != 0) {
			snprintf(p->err, sizeof(p->err), "%s does not match its APK-TOOLS.checksum.SHA1",
			         showname(m.name));
			goto fail;
		}
	}
	apktar_free(&m);
	return r < 0 ? -1 : 0;
fail:
	apktar_free(&m);
	return -1;
}

static int
nextstream(struct gzin *g, struct apkpkg *p, const char *what)
{
	int r = gzin_next(g);

	if (r <= 0)
		snprintf(p->err, sizeof(p->err), "%s: %s", what, r == 0 ? "missing: not an Alpine package" : gzin_error(g));
	return r > 0 ? 0 : -1;
}

int
apk_read(apk_source *src, void *srcarg, struct apkpkg *p, const struct apkreader *rd)
{
	struct gzin *g = gzin_open(src, srcarg, "package");
	uint8_t d1[20], d256[32];
	char hex[65];
	const char *want;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	if (nextstream(g, p, "the signature stream") < 0 ||
	    apksig_read(g, &p->sig, rd->keys, rd->nkeys, p->err, sizeof(p->err)) < 0)
		goto out;
	if (nextstream(g, p, "the control stream") < 0 || readcontrol(g, p) < 0)
		goto out;
	gzin_digests(g, p->sha1, p->sha256);
	apk_q1(p->sha1, p->checksum);
	if (rd->control && rd->control(rd->arg, p) < 0)
		goto out;
	if (nextstream(g, p, "the data stream") < 0 || readdata(g, p, rd) < 0)
		goto out;
	gzin_digests(g, d1, d256);
	hexstr(d256, sizeof(d256), hex);
	want = apk_field(p, "datahash");
	if (!want || strcmp(want, hex) != 0) {
		snprintf(p->err, sizeof(p->err), want ? "the data stream does not match .PKGINFO's datahash"
		                                      : ".PKGINFO has no datahash");
		goto out;
	}
	if (gzin_next(g) != 0) {
		snprintf(p->err, sizeof(p->err), "more bytes after the data stream");
		goto out;
	}
	ret = 0;
out:
	gzin_close(g);
	return ret;
}

int
apk_verify(struct apkpkg *p, const struct apkkey *keys, size_t n)
{
	return apksig_verify(&p->sig, keys, n, p->sha1, p->sha256, p->err, sizeof(p->err));
}

void
apk_free(struct apkpkg *p)
{
	size_t i;

	apksig_free(&p->sig);
	for (i = 0; i < p->nfields; i++) {
		free(p->fields[i].key);
		free(p->fields[i].value);
	}
	free(p->fields);
	for (i = 0; i < APK_NSCRIPTS; i++)
		free(p->scripts[i]);
	memset(p, 0, sizeof(*p));
}
