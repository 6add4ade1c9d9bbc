/* mem: allocation that cannot fail (it exits), and growable buffers */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fatal("out of memory");
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		fatal("out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		fatal("out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vsnprintf:");
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static void
bufgrow(struct buf *b, size_t n)
{
	if (b->cap - b->len > n)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap - b->len <= n)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void
bufadd(struct buf *b, const void *data, size_t n)
{
	if (n == 0 && b->data)
		return;
	bufgrow(b, n);
	if (n == 0) {
		b->data[b->len] = '\0';
		return;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
bufreserve(struct buf *b, size_t n)
{
	bufgrow(b, n);
	b->data[b->len] = '\0';
}

void
bufstr(struct buf *b, const char *s)
{
	bufadd(b, s, strlen(s));
}

void
bufprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vsnprintf:");
	bufgrow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}
