/* names: file names as ninja, samurai and make read them, and aliases for
   the names their grammars cannot spell */

struct buf;

/* the grammars a file name is written in */
enum grammar {
	/* a layer's depfile, read by ninja or samurai */
	GDEPFILE,
	/* a path of build.ninja, read by ninja or samurai */
	GNINJA,
	/* a target or prerequisite of a make rule (makefiles and their depfiles) */
	GMAKE,
};

/* ".imagegen/names/" and 32 hex digits */
#define ALIASLEN 49

/* append path to b as grammar g spells it; -1 (b unchanged) if g cannot */
int names_spell(struct buf *b, const char *path, enum grammar g);
/* what comes before path in its alias's target: "../../" (from
   .imagegen/names to the build folder) when path is relative, else "" */
const char *names_up(const char *path);
/* the alias of path in alias[ALIASLEN], and nothing more */
void names_aliasname(const char *path, char alias[ALIASLEN]);
/* the alias of path in alias[ALIASLEN], its symlink made or corrected; -1 with errno on failure */
int names_alias(const char *path, char alias[ALIASLEN]);
/* append path to b as g spells it, or else its alias (made); -1 with errno on failure */
int names_add(struct buf *b, const char *path, enum grammar g);
