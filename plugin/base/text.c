/* text: UTF-8, names shown on one line, hex, modes, sizes and times for people */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"

size_t
utf8seq(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned long cp, min;
	size_t n, i;

	if (u[0] < 0x80)
		return u[0] ? 1 : 0;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, cp = u[0] & 0x1f, min = 0x80;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, cp = u[0] & 0x0f, min = 0x800;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, cp = u[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int
utf8valid(const char *s)
{
	size_t n;

	for (; *s; s += n) {
		n = utf8seq(s);
		if (n == 0)
			return 0;
	}
	return 1;
}

/*
 * A name as text (docs/names.md): one spelling, one-to-one, so that two
 * names never read the same. Each byte that is not part of valid UTF-8 is
 * \xHH, a backslash is \\, and with controls set, a control character is
 * \n, \t, \r or \xHH (where JSON does not escape them itself); everything
 * else is as it is. The text is valid UTF-8, and reads back as the bytes.
 */
static void
spell(struct buf *out, const char *s, size_t len, int backslash, int controls)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n;

	bufadd(out, "", 0);
	out->data[out->len] = '\0';
	while (p < end) {
		n = *p ? utf8seq((const char *)p) : 0;
		if (n == 1 && *p == '\\' && backslash)
			bufstr(out, "\\\\");
		else if (n > 1 || (n == 1 && (!controls || (*p >= 0x20 && *p != 0x7f))))
			bufadd(out, p, n);
		else if (n == 1 && *p == '\n')
			bufstr(out, "\\n");
		else if (n == 1 && *p == '\t')
			bufstr(out, "\\t");
		else if (n == 1 && *p == '\r')
			bufstr(out, "\\r");
		else
			bufprintf(out, "\\x%02x", *p);
		p += n ? n : 1;
	}
}

void
nameadd(struct buf *out, const char *name, size_t len, int controls)
{
	spell(out, name, len, 1, controls);
}

char *
nametext(const char *name, int controls)
{
	struct buf b = {0};

	spell(&b, name, strlen(name), 1, controls);
	return b.data;
}

const char *
showname(const char *name)
{
	static struct buf ring[4];
	static unsigned next;
	struct buf *out = &ring[next++ % 4];

	out->len = 0;
	spell(out, name, strlen(name), 1, 1);
	return out->data;
}

char *
utf8show(const char *s, int controls)
{
	struct buf b = {0};

	spell(&b, s, strlen(s), 0, controls);
	return b.data;
}

const char *
modeflags(char type, unsigned mode, char out[40])
{
	*out = '\0';
	if (type == 'l')
		return out;
	if (type != 'd' && (mode & 04000))
		strcat(out, "setuid");
	if (type != 'd' && (mode & 02000))
		strcat(out, *out ? ", setgid" : "setgid");
	if ((mode & 0002) && !(type == 'd' && (mode & 01000)))
		strcat(out, *out ? ", world-writable" : "world-writable");
	return out;
}

void
hexstr(const unsigned char *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	/* not sprintf: 32 calls of it took longer than hashing a spec */
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

const char *
humansize(long long n, char out[32])
{
	static const char *const unit[] = {"kB", "MB", "GB", "TB", "PB"};
	double v = (double)n;
	int i = -1;

	if (n < 1000) {
		snprintf(out, 32, "%lld B", n);
		return out;
	}
	while (v >= 999.95 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(out, 32, "%.1f %s", v, unit[i]);
	return out;
}

void
rfc3339(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		fatal("epoch %lld out of range", t);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
