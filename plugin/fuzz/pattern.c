/*
 * fuzz-pattern: the .gitignore matcher (base/pattern.c) over patterns from
 * a .imagegenignore and the paths of a tree. The input's first line is
 * the file (its '\t's are newlines), each further line a path. Where a
 * pattern has no set, it must match as a plain reference does: "**" as a
 * whole name any number of names, each other name as fnmatch(3) matches
 * it; and without "**" as fnmatch with FNM_PATHNAME: '*' and '?' never
 * across a '/', '\' escaping.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the anchored pattern p against the path s, name by name */
static int
ref(const char *p, const char *s)
{
	size_t pn = strcspn(p, "/"), sn;
	char *pc, *sc;
	int r;

	if (pn == 2 && p[0] == '*' && p[1] == '*') {
		if (p[2] == '\0')
			return *s != '\0';
		for (;;) {
			if (ref(p + 3, s))
				return 1;
			s = strchr(s, '/');
			if (!s)
				return 0;
			s++;
		}
	}
	if (*s == '\0')
		return 0;
	sn = strcspn(s, "/");
	pc = xmalloc(pn + 1);
	sc = xmalloc(sn + 1);
	memcpy(pc, p, pn);
	pc[pn] = '\0';
	memcpy(sc, s, sn);
	sc[sn] = '\0';
	r = fnmatch(pc, sc, 0) == 0;
	free(pc);
	free(sc);
	if (!r)
		return 0;
	if (p[pn] == '\0' || s[sn] == '\0')
		return p[pn] == '\0' && s[sn] == '\0';
	return ref(p + pn + 1, s + sn + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct patterns ps = {0};
	char *text = xmalloc(size + 1), *nl, *path, *c;
	const char *err;
	size_t i;

	memcpy(text, data, size);
	text[size] = '\0';
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	for (c = text; *c; c++) {
		if (*c == '\t')
			*c = '\n';
	}
	patterns_text(&ps, text, strlen(text), &err);
	for (path = nl ? nl + 1 : NULL; path; path = nl ? nl + 1 : NULL) {
		nl = strchr(path, '\n');
		if (nl)
			*nl = '\0';
		/* a path as a walk makes it: names, one '/' between them */
		if (!*path || *path == '/' || path[strlen(path) - 1] == '/' || strstr(path, "//"))
			continue;
		patterns_verdict(&ps, path, 0);
		patterns_verdict(&ps, path, 1);
		for (i = 0; i < ps.len; i++) {
			pattern_below(&ps.v[i], path);
			if (!ps.v[i].anchored || strchr(ps.v[i].text, '[') || strstr(ps.v[i].text, "\\/"))
				continue;
			if (pattern_match(&ps.v[i], path, 1) != ref(ps.v[i].text, path))
				abort();
			if (!strstr(ps.v[i].text, "**") &&
			    pattern_match(&ps.v[i], path, 1) != (fnmatch(ps.v[i].text, path, FNM_PATHNAME) == 0))
				abort();
		}
	}
	patterns_free(&ps);
	free(text);
	return 0;
}
