/*
 * glob: the generator's side of the patterns (base/pattern.c). A glob
 * walks the folder of a definition down the folders its pattern names
 * literally (src and app, for a pattern src/app/NAME/... whose NAME has a
 * wildcard), then reads only the folders below that the pattern can match
 * something in, in byte order: never a folder an exclude pattern matches,
 * the build folder or a symlink to a folder. It answers the files it
 * matches (regular files, and symlinks to them) and every folder it read:
 * a name added to one of those is what can change its answer.
 */
#include <errno.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <lua.h>
#include <lauxlib.h>
#include "base/pattern.h"
#include "lua/glob.h"

/* the patterns of one glob, freed by the collector (an error may unwind past them) */
struct globbox {
	struct patterns inc, exc;
};

struct globwalk {
	lua_State *L;
	struct globbox *box;
	/* the build folder, never walked */
	struct stat build;
	/* stack indexes of the answers, and their lengths */
	int files, folders;
	lua_Integer nfiles, nfolders;
};

static int
boxgc(lua_State *L)
{
	struct globbox *b = luaL_checkudata(L, 1, "imagegen.globpatterns");

	patterns_free(&b->inc);
	patterns_free(&b->exc);
	return 0;
}

int
glob_pattern(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	struct patterns ps = {0};
	const char *err = patterns_add(&ps, s, n, lua_toboolean(L, 2));

	patterns_free(&ps);
	if (err && !*err)
		err = n > 0 && *s == '#' ? "starts with '#', a comment in .gitignore's syntax: write \\# for a name "
		                           "that starts with it" : "is blank";
	if (err) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

static int
isbuild(const struct globwalk *g, const struct stat *st)
{
	return st->st_dev == g->build.st_dev && st->st_ino == g->build.st_ino;
}

/* the folder fs, at rel below the definition's folder */
static void
globdir(struct globwalk *g, const char *fs, const char *rel)
{
	lua_State *L = g->L;
	const struct pattern *p = &g->box->inc.v[0];
	DIR *d;
	struct dirent *de;
	struct stat st;
	lua_Integer i, n = 0;
	const char *cfs, *crel;
	int isdir;

	luaL_checkstack(L, 8, "glob: folders nested too deep");
	lua_pushstring(L, fs);
	lua_rawseti(L, g->folders, ++g->nfolders);  /* a folder read */
	d = opendir(fs);
	if (!d)
		luaL_error(L, "open %s: %s", fs, strerror(errno));
	lua_newtable(L);  /* its names */
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		lua_pushstring(L, de->d_name);
		lua_rawseti(L, -2, ++n);
	}
	closedir(d);
	lua_getglobal(L, "table");
	lua_getfield(L, -1, "sort");
	lua_pushvalue(L, -3);
	lua_call(L, 1, 0);  /* table.sort(names): the same walk on every file system */
	lua_pop(L, 1);  /* table */
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);  /* the name */
		if (strcmp(fs, ".") == 0)
			lua_pushvalue(L, -1);  /* its path */
		else
			lua_pushfstring(L, "%s/%s", fs, lua_tostring(L, -1));
		cfs = lua_tostring(L, -1);
		if (*rel)
			lua_pushfstring(L, "%s/%s", rel, lua_tostring(L, -2));  /* its path below the definition's folder */
		else
			lua_pushvalue(L, -2);
		crel = lua_tostring(L, -1);
		if (lstat(cfs, &st) < 0) {
			if (errno != ENOENT)
				luaL_error(L, "%s: %s", cfs, strerror(errno));
			lua_pop(L, 3);
			continue;
		}
		isdir = S_ISDIR(st.st_mode);
		if (patterns_verdict(&g->box->exc, crel, isdir) == 1) {
			lua_pop(L, 3);
			continue;
		}
		if (isdir) {
			if (!isbuild(g, &st) && pattern_below(p, crel))
				globdir(g, cfs, crel);
		} else if (pattern_match(p, crel, 0) && (S_ISREG(st.st_mode) ||
		           (S_ISLNK(st.st_mode) && stat(cfs, &st) == 0 && S_ISREG(st.st_mode)))) {
			lua_pushvalue(L, -1);
			lua_rawseti(L, g->files, ++g->nfiles);  /* a match */
		}
		lua_pop(L, 3);  /* the name, its paths */
	}
	lua_pop(L, 1);  /* the names */
}

int
glob_walk(lua_State *L)
{
	const char *dir = luaL_checkstring(L, 1);
	const char *pat = luaL_checkstring(L, 2);
	struct globwalk g = {0};
	const char *fs, *rel, *t, *err;
	struct stat st;
	size_t n;
	lua_Integer i;

	luaL_checktype(L, 3, LUA_TTABLE);
	g.L = L;
	g.box = lua_newuserdatauv(L, sizeof(*g.box), 0);  /* the patterns */
	memset(g.box, 0, sizeof(*g.box));
	if (luaL_newmetatable(L, "imagegen.globpatterns")) {  /* their metatable */
		lua_pushcfunction(L, boxgc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	if ((err = patterns_add(&g.box->inc, pat, strlen(pat), 1)))
		return luaL_error(L, "glob: '%s' %s", pat, *err ? err : "is blank");
	for (i = 1; lua_rawgeti(L, 3, i) == LUA_TSTRING; i++) {
		t = lua_tolstring(L, -1, &n);
		if ((err = patterns_add(&g.box->exc, t, n, 0)))
			return luaL_error(L, "glob: exclude '%s' %s", t, *err ? err : "is blank");
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	if (stat(".", &g.build) < 0)
		return luaL_error(L, "stat .: %s", strerror(errno));
	lua_newtable(L);  /* the files */
	g.files = lua_gettop(L);
	lua_newtable(L);  /* the folders */
	g.folders = lua_gettop(L);
	/* the folders the pattern names literally, down to the first with a wildcard or the last name */
	lua_pushstring(L, dir);  /* the folder walked from */
	lua_pushstring(L, "");  /* its path below dir */
	for (t = g.box->inc.v[0].text; n = strcspn(t, "/"), t[n] != '\0' && strcspn(t, "*?[\\") > n; t += n + 1) {
		lua_pushlstring(L, t, n);  /* the name */
		if (strcmp(lua_tostring(L, g.folders + 1), ".") == 0)
			lua_pushvalue(L, -1);  /* the folder */
		else
			lua_pushfstring(L, "%s/%s", lua_tostring(L, g.folders + 1), lua_tostring(L, -1));
		if (*lua_tostring(L, g.folders + 2))
			lua_pushfstring(L, "%s/%s", lua_tostring(L, g.folders + 2), lua_tostring(L, -2));
		else
			lua_pushvalue(L, -2);  /* its path below dir */
		if (lstat(lua_tostring(L, -2), &st) < 0 || !S_ISDIR(st.st_mode) || isbuild(&g, &st) ||
		    patterns_verdict(&g.box->exc, lua_tostring(L, -1), 1) == 1) {
			/* not there, or not walked: the folder above tells when it comes */
			lua_pushvalue(L, g.folders + 1);
			lua_rawseti(L, g.folders, ++g.nfolders);
			lua_pushvalue(L, g.files);
			lua_pushvalue(L, g.folders);
			return 2;
		}
		lua_replace(L, g.folders + 2);
		lua_replace(L, g.folders + 1);
		lua_pop(L, 1);  /* the name */
	}
	fs = lua_tostring(L, g.folders + 1);
	rel = lua_tostring(L, g.folders + 2);
	globdir(&g, fs, rel);
	lua_pushvalue(L, g.files);
	lua_pushvalue(L, g.folders);
	return 2;
}
