/* pattern: paths matched as a .gitignore matches them, for a tree's
   exclude and .imagegenignore (the layer writer) and for glob (the
   generator): one matcher, so that a pattern means the same in both */

#include <stddef.h>

/* one pattern, parsed */
struct pattern {
	/* the pattern without its '!', leading '/' and trailing '/' */
	char *text;
	/* '!': the pattern includes again what an earlier one excluded */
	int negate;
	/* a trailing '/': matches folders only */
	int dironly;
	/* a '/' at the start or in the middle: matched against the whole path, else against the last name */
	int anchored;
};

/* patterns in order: the last one that matches a path decides */
struct patterns {
	struct pattern *v;
	size_t len, cap;
};

/* parse the n bytes at s (a line of a .gitignore, or an item of a list) and add
   them to ps, anchored however written when anchor is set: NULL when added, ""
   for a blank or comment line (nothing added), else what is wrong with it */
const char *patterns_add(struct patterns *ps, const char *s, size_t n, int anchor);
/* parse the lines of a .gitignore text: 0, or the number (from 1) of the line
   that is wrong, with *err saying what */
size_t patterns_text(struct patterns *ps, const char *text, size_t len, const char **err);
/* free what ps holds (ps itself is the caller's) */
void patterns_free(struct patterns *ps);
/* whether p matches path, relative with '/' between its names (no leading, trailing or double '/') */
int pattern_match(const struct pattern *p, const char *path, int isdir);
/* whether p can match a path below the folder dir (relative, as in pattern_match) */
int pattern_below(const struct pattern *p, const char *dir);
/* what the last pattern of ps that matches path says: 1 excluded, 0 included again by a '!', -1 no pattern matches */
int patterns_verdict(const struct patterns *ps, const char *path, int isdir);
