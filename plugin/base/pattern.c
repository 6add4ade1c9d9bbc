/*
 * pattern: paths matched as git matches a .gitignore's lines against them.
 *
 * A pattern is matched against a path relative to a folder (the tree's
 * root, the definition's folder for glob), names separated by one '/':
 *  - '*' matches any run of bytes but '/', '?' one byte but '/', "[...]"
 *    one byte of a set ("[a-z]", "[!0-9]" or "[^0-9]" for its complement,
 *    "[[:alpha:]]" and POSIX's other classes; never '/'); '\' makes the
 *    next byte mean itself;
 *  - "**" as a whole name matches any number of names: "**" + "/x" is x at
 *    any depth, "a/" + "**" everything below a, "a/" + "**" + "/b" a/b,
 *    a/x/b, a/x/y/b; another "**" is a '*';
 *  - a pattern with a '/' at its start or in its middle is anchored: it
 *    matches the whole path; one without matches the last name of the
 *    path, at any depth;
 *  - a trailing '/' matches folders only; a leading '!' includes again
 *    what an earlier pattern excluded (the last pattern that matches a path
 *    decides); a folder excluded is not walked, so nothing below it can be
 *    included again;
 *  - as a line of a file: blank lines and lines starting with '#' say
 *    nothing, trailing spaces are dropped unless written "\ ", "\#" and
 *    "\!" start a pattern with '#' or '!'.
 * Bytes are compared as they are: no case folding, no locale.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/pattern.h"

/* what wild answers: a match, none, or none for any later start of an outer '*' */
enum { NOMATCH = 0, MATCH = 1, ABORTALL = -1, ABORTTOSTARSTAR = -2 };

static const char *const classes[] = {
	"alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "xdigit",
};

static int
inclass(size_t k, int c)
{
	switch (k) {
	case 0: return isalnum(c);
	case 1: return isalpha(c);
	case 2: return c == ' ' || c == '\t';
	case 3: return iscntrl(c);
	case 4: return isdigit(c);
	case 5: return isgraph(c);
	case 6: return islower(c);
	case 7: return isprint(c);
	case 8: return ispunct(c);
	case 9: return isspace(c);
	case 10: return isupper(c);
	default: return isxdigit(c);
	}
}

/* the set whose '[' is at p: whether the byte c is in it (c < 0: none is
   asked); *end its ']', or NULL with *why saying what is wrong */
static int
scanset(const char *p, int c, const char **end, const char **why)
{
	int neg = 0, hit = 0, first = 1, lo, hi;
	const char *q;
	size_t k, n;

	*end = NULL;
	*why = "has a '[' without its ']'";
	p++;
	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	for (;; first = 0) {
		if (*p == '\0')
			return 0;
		if (*p == ']' && !first)
			break;
		if (p[0] == '[' && p[1] == ':' && (q = strstr(p + 2, ":]"))) {
			n = (size_t)(q - (p + 2));
			for (k = 0; k < sizeof(classes) / sizeof(*classes); k++) {
				if (strlen(classes[k]) == n && memcmp(classes[k], p + 2, n) == 0)
					break;
			}
			if (k == sizeof(classes) / sizeof(*classes)) {
				*why = "names a class of bytes that is not one of [:alnum:], [:alpha:], [:blank:], [:cntrl:], "
				       "[:digit:], [:graph:], [:lower:], [:print:], [:punct:], [:space:], [:upper:], [:xdigit:]";
				return 0;
			}
			if (c >= 0 && inclass(k, c))
				hit = 1;
			p = q + 2;
			continue;
		}
		if (*p == '\\' && *++p == '\0')
			return 0;
		lo = hi = (unsigned char)*p++;
		if (p[0] == '-' && p[1] != ']' && p[1] != '\0') {
			p++;
			if (*p == '\\' && *++p == '\0')
				return 0;
			hi = (unsigned char)*p++;
		}
		if (c >= lo && c <= hi)
			hit = 1;
	}
	*end = p;
	return hit != neg;
}

/* the pattern p (p0 its start) against the path s */
static int
wild(const char *p0, const char *p, const char *s)
{
	const char *end, *why;
	int r;

	for (; *p; p++, s++) {
		if (*s == '\0' && *p != '*')
			return ABORTALL;
		switch (*p) {
		case '*':
			if (p[1] == '*' && (p == p0 || p[-1] == '/') && (p[2] == '\0' || p[2] == '/')) {
				/* "**" as a whole name */
				if (p[2] == '\0')
					return MATCH;
				for (;;) {
					r = wild(p0, p + 3, s);
					if (r != NOMATCH && r != ABORTTOSTARSTAR)
						return r;
					s = strchr(s, '/');
					if (!s)
						return ABORTALL;
					s++;
				}
			}
			while (*p == '*')
				p++;
			for (;; s++) {
				r = wild(p0, p, s);
				if (r != NOMATCH)
					return r;
				if (*s == '\0')
					return ABORTALL;
				if (*s == '/')
					return ABORTTOSTARSTAR;
			}
		case '?':
			if (*s == '/')
				return NOMATCH;
			break;
		case '[':
			if (*s == '/' || !scanset(p, (unsigned char)*s, &end, &why))
				return NOMATCH;
			p = end;
			break;
		case '\\':
			p++;
			/* fallthrough */
		default:
			if (*p != *s)
				return NOMATCH;
		}
	}
	return *s == '\0' ? MATCH : NOMATCH;
}

const char *
patterns_add(struct patterns *ps, const char *s, size_t n, int anchor)
{
	struct pattern p = {0};
	const char *c, *end, *why;
	size_t len;

	if (memchr(s, '\0', n))
		return "holds a NUL byte";
	if (n == 0 || s[0] == '#')
		return "";
	while (n > 0 && s[n - 1] == ' ' && !(n >= 2 && s[n - 2] == '\\'))
		n--;
	if (n == 0)
		return "";
	if (s[0] == '!') {
		p.negate = 1;
		s++;
		n--;
	}
	if (n > 0 && s[n - 1] == '/' && !(n >= 2 && s[n - 2] == '\\')) {
		p.dironly = 1;
		n--;
	}
	if (n > 0 && s[0] == '/') {
		p.anchored = 1;
		s++;
		n--;
	}
	if (n == 0)
		return "matches nothing: it has no name";
	p.text = xmalloc(n + 1);
	memcpy(p.text, s, n);
	p.text[n] = '\0';
	p.anchored = p.anchored || anchor || strchr(p.text, '/');
	/* each name: not empty, not "." or "..", its escapes and sets whole */
	for (c = p.text; *c; c++) {
		if (c == p.text || c[-1] == '/') {
			len = strcspn(c, "/");
			if (len == 0) {
				free(p.text);
				return "has an empty name between two '/'";
			}
			if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.')) {
				free(p.text);
				return "has a name '.' or '..', which no path inside the folder has";
			}
		}
		if (*c == '\\') {
			if (*++c == '\0') {
				free(p.text);
				return "ends in a lone '\\'";
			}
		} else if (*c == '[') {
			scanset(c, -1, &end, &why);
			if (!end) {
				free(p.text);
				return why;
			}
			c = end;
		}
	}
	if (ps->len == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 8;
		ps->v = xrealloc(ps->v, ps->cap * sizeof(*ps->v));
	}
	ps->v[ps->len++] = p;
	return NULL;
}

size_t
patterns_text(struct patterns *ps, const char *text, size_t len, const char **err)
{
	const char *line = text, *nl, *end = text + len, *r;
	size_t n, full, no = 0;

	while (line < end) {
		no++;
		nl = memchr(line, '\n', (size_t)(end - line));
		full = nl ? (size_t)(nl - line) : (size_t)(end - line);
		n = full > 0 && line[full - 1] == '\r' ? full - 1 : full;
		r = patterns_add(ps, line, n, 0);
		if (r && *r) {
			*err = r;
			return no;
		}
		line += full + 1;
	}
	return 0;
}

void
patterns_free(struct patterns *ps)
{
	size_t i;

	for (i = 0; i < ps->len; i++)
		free(ps->v[i].text);
	free(ps->v);
	ps->v = NULL;
	ps->len = ps->cap = 0;
}

int
pattern_match(const struct pattern *p, const char *path, int isdir)
{
	const char *s = path;

	if (p->dironly && !isdir)
		return 0;
	if (!p->anchored && (s = strrchr(path, '/')))
		s++;
	else if (!p->anchored)
		s = path;
	return wild(p->text, p->text, s) == MATCH;
}

int
pattern_below(const struct pattern *p, const char *dir)
{
	const char *pc = p->text, *dc = dir;
	size_t pn, dn;
	char *a, *b;
	int r;

	if (!p->anchored)
		return 1;
	for (;;) {
		pn = strcspn(pc, "/");
		dn = strcspn(dc, "/");
		if (pn == 2 && pc[0] == '*' && pc[1] == '*')
			return 1;
		if (pc[pn] == '\0')
			return 0;
		a = xmalloc(pn + 1);
		b = xmalloc(dn + 1);
		memcpy(a, pc, pn);
		a[pn] = '\0';
		memcpy(b, dc, dn);
		b[dn] = '\0';
		r = wild(a, a, b);
		free(a);
		free(b);
		if (r != MATCH)
			return 0;
		pc += pn + 1;
		if (dc[dn] == '\0')
			return 1;
		dc += dn + 1;
	}
}

int
patterns_verdict(const struct patterns *ps, const char *path, int isdir)
{
	size_t i;

	for (i = ps->len; i > 0; i--) {
		if (pattern_match(&ps->v[i - 1], path, isdir))
			return !ps->v[i - 1].negate;
	}
	return -1;
}
