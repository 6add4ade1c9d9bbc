/*
 * index: Alpine's repository index. APKINDEX.tar.gz is two gzip streams:
 * the signature stream (rsa.c), then a tar of DESCRIPTION and APKINDEX,
 * whose compressed bytes the signature signs. APKINDEX is a block of
 * "K:value" lines a package (C checksum, P name, V version, A arch, S
 * size, I installed size, T description, U url, L licence, o origin, m
 * maintainer, t build time, c commit, D depends, p provides, i install_if,
 * k provider priority), blocks between blank lines.
 *
 * The file is read whole first (bounded), its signature checked, and only
 * then its text parsed: nothing of an unverified index reaches the resolver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "alpine/stream.h"
#include "alpine/rsa.h"
#include "alpine/index.h"

/* the most the APKINDEX and DESCRIPTION members may hold, the most packages, the longest field */
enum { MAXINDEX = 256 << 20, MAXDESC = 64 << 10, MAXPKGS = 100000, MAXFIELD = 64 << 10 };

static int
streamfail(struct gzin *g, char *err, size_t len, const char *what)
{
	snprintf(err, len, "%s: %s", what, gzin_error(g));
	return -1;
}

int
apkindex_read(apk_source *src, void *arg, const struct apkkey *keys, size_t n, struct apkindex *x, char *err,
              size_t len)
{
	struct gzin *g = gzin_open(src, arg, "APKINDEX.tar.gz");
	struct tarmember m = {0};
	char **to;
	size_t got;
	unsigned long long skipped = 0;
	int r;

	memset(x, 0, sizeof(*x));
	if ((r = gzin_next(g)) <= 0) {
		if (r == 0)
			snprintf(err, len, "empty");
		else
			streamfail(g, err, len, "the signature stream");
		goto fail;
	}
	if (apksig_read(g, &x->sig, keys, n, err, len) < 0)
		goto fail;
	if ((r = gzin_next(g)) <= 0) {
		if (r == 0)
			snprintf(err, len, "no index after the signature");
		else
			streamfail(g, err, len, "the index stream");
		goto fail;
	}
	while ((r = apktar_next(g, &m, err, len)) == 1) {
		to = strcmp(m.name, "APKINDEX") == 0 ? &x->text : strcmp(m.name, "DESCRIPTION") == 0 ? &x->description
		                                                                                        : NULL;
		/* what is skipped is inflated too: bounded as the index is */
		skipped += m.left > 0 ? (unsigned long long)m.left : 0;
		if (m.left > MAXINDEX || skipped > MAXINDEX) {
			snprintf(err, len, "the index stream holds more than %d MiB", MAXINDEX >> 20);
			goto fail;
		}
		if (!to)
			continue;
		if (*to || m.type != '0') {
			snprintf(err, len, "%s is %s", m.name, *to ? "there twice" : "not a file");
			goto fail;
		}
		if (apktar_slurp(g, &m, to == &x->text ? MAXINDEX : MAXDESC, to, &got) < 0) {
			streamfail(g, err, len, m.name);
			goto fail;
		}
		if (to == &x->text)
			x->len = got;
	}
	if (r < 0)
		goto fail;
	if (!x->text) {
		snprintf(err, len, "no APKINDEX in the index stream");
		goto fail;
	}
	gzin_digests(g, x->sha1, x->sha256);
	if ((r = gzin_next(g)) != 0) {
		if (r > 0)
			snprintf(err, len, "more gzip streams after the index");
		else
			streamfail(g, err, len, "after the index");
		goto fail;
	}
	apktar_free(&m);
	gzin_close(g);
	if (!x->description)
		x->description = xstrdup("");
	return 0;
fail:
	apktar_free(&m);
	gzin_close(g);
	apkindex_free(x);
	return -1;
}

int
apkindex_verify(const struct apkindex *x, const struct apkkey *keys, size_t n, char *err, size_t len)
{
	return apksig_verify(&x->sig, keys, n, x->sha1, x->sha256, err, len);
}

long
apkindex_parse(const char *text, size_t len, apkindex_field *field, void *arg, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *nl;
	unsigned long line = 0;
	size_t n;
	long rec = 0;
	/* the fields C, P and V of the package being read */
	int have = 0, in = 0;

	for (; p < end; p = nl + 1) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		n = (size_t)(nl - p);
		if (n == 0) {
			if (in && have != 7) {
				snprintf(err, errlen, "APKINDEX line %lu: the package before has no %s", line,
				         !(have & 1) ? "C:" : !(have & 2) ? "P:" : "V:");
				return -1;
			}
			if (in)
				rec++;
			in = have = 0;
			continue;
		}
		if (n < 2 || p[1] != ':' || !((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z'))) {
			snprintf(err, errlen, "APKINDEX line %lu: not a K:value line", line);
			return -1;
		}
		if (n - 2 > MAXFIELD || memchr(p, '\0', n)) {
			snprintf(err, errlen, "APKINDEX line %lu: %s", line,
			         n - 2 > MAXFIELD ? "a field longer than 64 KB" : "a NUL byte");
			return -1;
		}
		if (!in && rec >= MAXPKGS) {
			snprintf(err, errlen, "more than %d packages", MAXPKGS);
			return -1;
		}
		in = 1;
		have |= p[0] == 'C' ? 1 : p[0] == 'P' ? 2 : p[0] == 'V' ? 4 : 0;
		field(arg, (size_t)rec, p[0], p + 2, n - 2);
		if (nl == end)
			break;
	}
	if (in && have != 7) {
		snprintf(err, errlen, "APKINDEX: the last package has no %s",
		         !(have & 1) ? "C:" : !(have & 2) ? "P:" : "V:");
		return -1;
	}
	return rec + in;
}

void
apkindex_free(struct apkindex *x)
{
	apksig_free(&x->sig);
	free(x->text);
	free(x->description);
	x->text = x->description = NULL;
}
