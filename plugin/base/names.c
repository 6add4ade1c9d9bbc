/*
 * names: file names as the build tools read them.
 *
 * A file name is any bytes but '/' and NUL. The build files name files in
 * three grammars, and none can spell every name:
 *  - a layer's depfile (GDEPFILE), which samurai reads as strictly as
 *    ninja: letters, digits and +,-./@_ as they are, space as "\ ", '#' as
 *    "\#", '$' as "$$"; nothing else;
 *  - a path in build.ninja (GNINJA): '$', space and ':' after a '$', any
 *    other byte as it is, but never a newline, a carriage return or '|',
 *    nor a tab (.ninja_log separates its fields with tabs);
 *  - a target or prerequisite of a make rule, in a makefile or a depfile
 *    it includes (GMAKE): space, tab, '#', ':' and the wildcards *?[] after
 *    a backslash, '$' as "$$", bytes from 0x80 up and !"&'^<>`{}~ as they
 *    are; never '%' (a pattern), '(' (an archive member), '=' or ';' (an
 *    assignment, a recipe), '|', '\' or a control character; never '~'
 *    first (the home folder), '&' last (a grouped target), nor a name
 *    that make could take for a special target such as .PHONY.
 *
 * A name that a grammar cannot spell is written as its alias instead:
 * .imagegen/names/HASH, the first 32 hex digits of the sha256 of the path,
 * a symlink to the path. ninja, samurai and make all stat() what a build
 * file names, which follows the link: the alias has the mtime of the file
 * itself, and is missing exactly when the file is. So a layer reruns when
 * a file with any name changes, at the cost of one symlink per such name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/names.h"

/* where aliases live: in the build folder's .imagegen, two levels down */
#define ALIASDIR ".imagegen/names"

/* what every grammar takes as it is: most of any path */
static int
plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == ',' ||
	       c == '-' || c == '.' || c == '/' || c == '@' || c == '_';
}

/* what byte c needs before it to stand in a name in grammar g: "" for
   nothing, NULL when it cannot stand there at all */
static const char *
escapeof(unsigned char c, enum grammar g)
{
	if (plain(c))
		return "";
	switch (g) {
	case GDEPFILE:
		if (c == ' ' || c == '#')
			return "\\";
		return c == '$' ? "$" : NULL;
	case GNINJA:
		if (c == '\n' || c == '\r' || c == '|' || c == '\t')
			return NULL;
		return c == '$' || c == ' ' || c == ':' ? "$" : "";
	case GMAKE:
		if (c >= 0x80 || (c && strchr("!\"&'^<>`{}~", c)))
			return "";
		if (c && strchr(" \t#:*?[]", c))
			return "\\";
		return c == '$' ? "$" : NULL;
	}
	return NULL;
}

/* whether make could read path as a special target (.PHONY, .SILENT, ...),
   or as something other than a name: a home folder, a grouped target */
static int
makespecial(const char *path)
{
	size_t n = strlen(path);

	if (path[0] == '~' || (n > 0 && path[n - 1] == '&'))
		return 1;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	return path[0] == '.' && !strchr(path, '/');
}

int
names_spell(struct buf *b, const char *path, enum grammar g)
{
	const char *p, *run, *esc;
	size_t start = b->len;

	if (!*path || (g == GMAKE && makespecial(path)))
		return -1;
	/* runs of plain characters copied at once; a character the grammar
	   cannot say takes back what was added */
	for (p = path; *p; p++) {
		for (run = p; plain((unsigned char)*p); p++)
			;
		bufadd(b, run, (size_t)(p - run));
		if (!*p)
			break;
		esc = escapeof((unsigned char)*p, g);
		if (!esc) {
			b->len = start;
			return -1;
		}
		bufstr(b, esc);
		bufadd(b, p, 1);
	}
	return 0;
}

const char *
names_up(const char *path)
{
	return path[0] == '/' ? "" : "../../";
}

void
names_aliasname(const char *path, char alias[ALIASLEN])
{
	char hex[65];

	sha256hex(path, strlen(path), hex);
	snprintf(alias, ALIASLEN, "%s/%.32s", ALIASDIR, hex);
}

int
names_alias(const char *path, char alias[ALIASLEN])
{
	char *target, *now, *tmp;
	size_t len;
	ssize_t n;
	int ret = -1;

	names_aliasname(path, alias);
	target = xasprintf("%s%s", names_up(path), path);
	len = strlen(target);
	now = xmalloc(len + 1);
	n = readlink(alias, now, len + 1);
	if (n == (ssize_t)len && memcmp(now, target, len) == 0) {
		ret = 0;
		goto out;
	}
	if (mkdirs(ALIASDIR) < 0)
		goto out;
	tmp = xasprintf("%s.tmp%ld", alias, (long)getpid());
	unlink(tmp);
	if (symlink(target, tmp) == 0 && rename(tmp, alias) == 0) {
		ret = 0;
	} else {
		int saved = errno;
		unlink(tmp);
		errno = saved;
	}
	free(tmp);
out:
	free(now);
	free(target);
	return ret;
}

int
names_add(struct buf *b, const char *path, enum grammar g)
{
	char alias[ALIASLEN];

	if (names_spell(b, path, g) == 0)
		return 0;
	if (names_alias(path, alias) < 0)
		return -1;
	bufstr(b, alias);
	return 0;
}
