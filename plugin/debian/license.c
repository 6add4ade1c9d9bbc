/*
 * license: what a Debian package's copyright file says of its licences,
 * in SPDX's words.
 *
 * Only a machine-readable file counts (DEP-5: the first paragraph's Format,
 * or the drafts' Format-Specification, names copyright-format or dep5):
 * each Files paragraph's License line is a short
 * name, or names joined by "or" and "and" (a comma is an "and"). Short
 * names become SPDX ids: the GNU families with a version and an optional
 * '+' (GPL-2+ is GPL-2.0-or-later), a table of the others Debian uses, and
 * for any other name LicenseRef-NAME, whose text (a standalone License
 * paragraph's, else the name) goes into refs; an idstring is letters,
 * digits, '.' and single '-' between them. The terms the Files paragraphs'
 * licences are made of (what "and" joins) are joined by AND, each once, in
 * the order they come.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "debian/license.h"

/* Debian's short names that are not the GNU families, and their SPDX ids */
static const char *const names[][2] = {
	{"Apache-1.1", "Apache-1.1"}, {"Apache-2", "Apache-2.0"}, {"Apache-2.0", "Apache-2.0"},
	{"Artistic", "Artistic-1.0-Perl"}, {"Artistic-1.0", "Artistic-1.0"}, {"Artistic-2.0", "Artistic-2.0"},
	{"BSD-2-clause", "BSD-2-Clause"}, {"BSD-3-clause", "BSD-3-Clause"}, {"BSD-4-clause", "BSD-4-Clause"},
	{"BSL-1.0", "BSL-1.0"}, {"Boost-1.0", "BSL-1.0"}, {"CC0", "CC0-1.0"}, {"CC0-1.0", "CC0-1.0"},
	{"CDDL-1.0", "CDDL-1.0"}, {"curl", "curl"}, {"EPL-1.0", "EPL-1.0"}, {"EPL-2.0", "EPL-2.0"},
	{"Expat", "MIT"}, {"FSFAP", "FSFAP"}, {"FSFUL", "FSFUL"}, {"FSFULLR", "FSFULLR"}, {"ISC", "ISC"},
	{"MIT", "MIT"}, {"MPL-1.1", "MPL-1.1"}, {"MPL-2.0", "MPL-2.0"}, {"OFL-1.1", "OFL-1.1"},
	{"OpenSSL", "OpenSSL"}, {"PSF-2", "PSF-2.0"}, {"Python", "Python-2.0"}, {"Python-2.0", "Python-2.0"},
	{"Unicode-DFS-2016", "Unicode-DFS-2016"}, {"Unlicense", "Unlicense"}, {"WTFPL", "WTFPL"},
	{"X11", "X11"}, {"Zlib", "Zlib"}, {"0BSD", "0BSD"},
};

/* the GNU families: NAME-N[.N][+] */
static const char *const families[] = {"AGPL", "GFDL", "LGPL", "GPL"};

/* a paragraph's field (lower-case name) as it is, continuation lines and all (free it); or NULL */
static char *
field(const char *para, const char *end, const char *name)
{
	size_t n = strlen(name);
	const char *p = para, *eol, *v;

	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			for (v = p + n + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
				;
			/* the value goes on over continuation lines */
			while (eol < end && eol + 1 < end && (eol[1] == ' ' || eol[1] == '\t')) {
				const char *next = memchr(eol + 1, '\n', (size_t)(end - eol - 1));
				eol = next ? next : end;
			}
			return xasprintf("%.*s", (int)(eol - v), v);
		}
		p = eol + 1;
	}
	return NULL;
}

/* a folded field's continuation lines as text: the leading space of each
   line gone, and a line of " ." an empty line (free it) */
static char *
unfold(const char *v)
{
	struct buf b = {0};
	const char *nl;
	size_t n;

	for (; *v; v = nl ? nl + 1 : v + n) {
		nl = strchr(v, '\n');
		n = nl ? (size_t)(nl - v) : strlen(v);
		if (n > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			n--;
		}
		if (n == 1 && *v == '.')
			n = 0;
		bufadd(&b, v, n);
		if (nl)
			bufstr(&b, "\n");
		if (!nl)
			break;
	}
	while (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	return b.data ? b.data : xstrdup("");
}

/* the first line of a field's value, trimmed (in place) */
static char *
firstline(char *v)
{
	char *nl = strchr(v, '\n'), *e;

	if (nl)
		*nl = '\0';
	e = v + strlen(v);
	while (e > v && isspace((unsigned char)e[-1]))
		*--e = '\0';
	while (isspace((unsigned char)*v))
		v++;
	return v;
}

/* a GNU family's short name as its SPDX id (free it), or NULL */
static char *
family(const char *name)
{
	size_t i, n;
	const char *v;
	char *end;
	long major, minor = 0;
	int later;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		n = strlen(families[i]);
		if (strncasecmp(name, families[i], n) != 0 || name[n] != '-')
			continue;
		v = name + n + 1;
		if (!isdigit((unsigned char)*v))
			return NULL;
		major = strtol(v, &end, 10);
		if (*end == '.') {
			if (!isdigit((unsigned char)end[1]))
				return NULL;
			minor = strtol(end + 1, &end, 10);
		}
		later = *end == '+';
		if (later)
			end++;
		if (*end)
			return NULL;
		return xasprintf("%s-%ld.%ld-%s", families[i], major, minor, later ? "or-later" : "only");
	}
	return NULL;
}

/* one short name as an SPDX id (free it); an unknown one as a LicenseRef, recorded in refs */
static char *
spdxid(const char *name, json_t *refs, json_t *texts)
{
	char *id, *p, *q;
	size_t i;

	if ((id = family(name)))
		return id;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(name, names[i][0]) == 0)
			return xstrdup(names[i][1]);
	}
	/* LicenseRef-, then the name's runs of letters, digits and '.' joined by single '-' */
	id = xasprintf("LicenseRef-%s", name);
	for (p = id + 11, q = p; *q; q++) {
		if (isalnum((unsigned char)*q) || *q == '.')
			*p++ = *q;
		else if (p > id + 11 && p[-1] != '-')
			*p++ = '-';
	}
	if (p > id + 11 && p[-1] == '-')
		p--;
	if (p == id + 11) {
		free(id);
		id = xstrdup("LicenseRef-unnamed");
	} else {
		*p = '\0';
	}
	if (!json_object_get(refs, id)) {
		const char *text = json_string_value(json_object_get(texts, name));
		if (json_object_set_new(refs, id, json_string(text && *text ? text : name)) < 0)
			fatal("out of memory");
	}
	return id;
}

/* append s to the array of strings a unless it is there */
static void
addonce(json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			return;
	}
	if (json_array_append_new(a, json_string(s)) < 0)
		fatal("out of memory");
}

/* a License line ("GPL-2+ or Artistic, and BSD-3-clause"): its terms (what
   "and" joins, as SPDX expressions: "(GPL-2.0-or-later OR Artistic-1.0-Perl)")
   added to terms, each once */
static void
expression(const char *line, json_t *refs, json_t *texts, json_t *terms)
{
	struct buf norm = {0}, group;
	const char *p;
	char *s, *and, *or, *next, *id;
	json_t *alts;
	json_t *v;
	size_t i;

	/* a comma joins like "and" */
	for (p = line; *p; p++) {
		if (*p == ',')
			bufstr(&norm, " and ");
		else
			bufadd(&norm, p, 1);
	}
	for (s = norm.data; s; s = and ? and + 5 : NULL) {
		and = strstr(s, " and ");
		if (and)
			*and = '\0';
		if (!(alts = json_array()))
			fatal("out of memory");
		for (or = s; or; or = next ? next + 4 : NULL) {
			next = strstr(or, " or ");
			if (next)
				*next = '\0';
			or = firstline(or);
			if (!*or)
				continue;
			id = spdxid(or, refs, texts);
			addonce(alts, id);
			free(id);
		}
		memset(&group, 0, sizeof(group));
		json_array_foreach(alts, i, v)
			bufprintf(&group, "%s%s", i ? " OR " : "", json_string_value(v));
		if (group.data) {
			if (json_array_size(alts) > 1) {
				id = xasprintf("(%s)", group.data);
				addonce(terms, id);
				free(id);
			} else {
				addonce(terms, group.data);
			}
		}
		free(group.data);
		json_decref(alts);
	}
	free(norm.data);
}

/* license_dep5 of a text that is UTF-8 */
static char *
parse(const char *text, json_t *refs)
{
	const char *p, *end, *next;
	json_t *texts = json_object(), *seen = json_array(), *v;
	char *format, *files, *lic, *line, *nl, *body;
	struct buf out = {0};
	size_t i;
	int first, pass;

	if (!texts || !seen)
		fatal("out of memory");
	/* two passes over the paragraphs: the standalone licence texts, then the Files */
	for (pass = 0; pass < 2; pass++) {
		for (p = text, first = 1; *p; p = next, first = 0) {
			while (*p == '\n')
				p++;
			if (!*p)
				break;
			end = strstr(p, "\n\n");
			next = end ? end + 2 : p + strlen(p);
			if (!end)
				end = next;
			if (first) {
				format = field(p, end, "format");
				if (!format)
					format = field(p, end, "format-specification");
				if (!format || (!strstr(format, "copyright-format") && !strstr(format, "dep5"))) {
					free(format);
					json_decref(texts);
					json_decref(seen);
					return NULL;
				}
				free(format);
				continue;
			}
			lic = field(p, end, "license");
			if (!lic)
				continue;
			files = field(p, end, "files");
			nl = strchr(lic, '\n');
			if (pass == 0 && !files && nl) {
				line = xasprintf("%.*s", (int)(nl - lic), lic);
				body = unfold(nl + 1);
				if (json_object_set_new(texts, firstline(line), json_string(body)) < 0)
					fatal("out of memory");
				free(body);
				free(line);
			} else if (pass == 1 && files) {
				expression(firstline(lic), refs, texts, seen);
			}
			free(files);
			free(lic);
		}
	}
	/* each term once, in the order they came */
	json_array_foreach(seen, i, v)
		bufprintf(&out, "%s%s", i ? " AND " : "", json_string_value(v));
	json_decref(texts);
	json_decref(seen);
	return out.data ? out.data : xstrdup("NOASSERTION");
}

char *
license_dep5(const char *original, json_t *refs)
{
	char *text = utf8show(original, 0), *ret = parse(text, refs);

	free(text);
	return ret;
}
