/* glob: the natives that match paths as a .gitignore does (base/pattern.c),
   for the definition language's glob and a tree's exclude */

struct lua_State;

/* native.pattern(s, anchor) -> true | nil, what is wrong with the pattern s */
int glob_pattern(struct lua_State *L);
/* native.glob(dir, pattern, excludes) -> the paths below dir of the files
   the anchored pattern matches (unsorted), the folders read */
int glob_walk(struct lua_State *L);
