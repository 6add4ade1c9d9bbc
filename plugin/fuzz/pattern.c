/*
 * fuzz-pattern: the .gitignore matcher (base/pattern.c) over patterns from
 * a .imagegenignore and the paths of a tree. The input's first line is
 * the file (its '\t's are newlines), each further line a path. Where a
 * pattern has no set and no "**", it must match as fnmatch(3) with
 * FNM_PATHNAME does: '*' and '?' never across a '/', '\' escaping.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
			if (strchr(ps.v[i].text, '[') || strstr(ps.v[i].text, "**"))
				continue;
			if (ps.v[i].anchored && pattern_match(&ps.v[i], path, 1) !=
			    (fnmatch(ps.v[i].text, path, FNM_PATHNAME) == 0))
				abort();
		}
	}
	patterns_free(&ps);
	free(text);
	return 0;
}
