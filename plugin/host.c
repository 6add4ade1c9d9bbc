/*
 * host: the embedded Lua 5.4 interpreter that evaluates definitions.
 *
 * The language (lua/) and the backends (rules/) are ordinary Lua modules,
 * compiled into the binary by plugin/embed and installed in package.preload;
 * IMAGEGEN_LUA=DIR makes require read DIR/lua and DIR/rules instead, for
 * development. The modules reach the system only through the small native
 * module "imagegen.native" below: the definitions themselves run in a
 * sandbox built by imagegen.lang from these primitives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <fcntl.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <jansson.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include "util.h"
#include "host.h"
#include "debian.h"

/* native.readfile(path) -> contents | nil, message */
static int
l_readfile(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	FILE *f = fopen(path, "rb");
	luaL_Buffer b;
	size_t n;

	if (!f) {
		luaL_pushfail(L);
		lua_pushstring(L, strerror(errno));
		return 2;
	}
	luaL_buffinit(L, &b);
	do {
		char *p = luaL_prepbuffer(&b);
		n = fread(p, 1, LUAL_BUFFERSIZE, f);
		luaL_addsize(&b, n);
	} while (n == LUAL_BUFFERSIZE);
	if (ferror(f)) {
		fclose(f);
		return luaL_error(L, "read %s: %s", path, strerror(errno));
	}
	fclose(f);
	luaL_pushresult(&b);  /* the contents */
	return 1;
}

/* native.stat(path) -> "file"|"dir"|"link"|"other", mode | nil, message */
static int
l_stat(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct stat st;
	const char *type = "other";

	if (lstat(path, &st) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, strerror(errno));
		return 2;
	}
	if (S_ISLNK(st.st_mode) && stat(path, &st) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, errno == ELOOP ? "symlink loop" : strerror(errno));
		return 2;
	}
	if (S_ISREG(st.st_mode))
		type = "file";
	else if (S_ISDIR(st.st_mode))
		type = "dir";
	lua_pushstring(L, type);
	lua_pushinteger(L, st.st_mode & 07777);
	return 2;
}

/* native.listdir(path) -> sorted array of names | nil, message */
static int
l_listdir(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	DIR *d = opendir(path);
	struct dirent *de;
	int i = 0;

	if (!d) {
		luaL_pushfail(L);
		lua_pushstring(L, strerror(errno));
		return 2;
	}
	lua_newtable(L);  /* the names */
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		lua_pushstring(L, de->d_name);
		lua_rawseti(L, -2, ++i);
	}
	closedir(d);
	lua_getglobal(L, "table");
	lua_getfield(L, -1, "sort");
	lua_pushvalue(L, -3);
	lua_call(L, 1, 0);  /* table.sort(names) */
	lua_pop(L, 1);  /* table */
	return 1;
}

/* native.writefile(path, data) -> true if written, false if unchanged */
static int
l_writefile(lua_State *L)
{
	size_t len;
	const char *path = luaL_checkstring(L, 1);
	const char *data = luaL_checklstring(L, 2, &len);
	int ret = replacefile(path, data, len);

	if (ret < 0)
		return luaL_error(L, "write %s: %s", path, strerror(errno));
	lua_pushboolean(L, ret);
	return 1;
}

/* native.touch(path): set a file's mtime to now */
static int
l_touch(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);

	if (utimensat(AT_FDCWD, path, NULL, 0) < 0)
		return luaL_error(L, "touch %s: %s", path, strerror(errno));
	return 0;
}

static void
pushjson(lua_State *L, json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		lua_createtable(L, 0, (int)json_object_size(j));  /* the object */
		json_object_foreach(j, key, v) {
			pushjson(L, v);
			lua_setfield(L, -2, key);
		}
		break;
	case JSON_ARRAY:
		lua_createtable(L, (int)json_array_size(j), 0);  /* the array */
		json_array_foreach(j, i, v) {
			pushjson(L, v);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(j));
		break;
	case JSON_REAL:
		lua_pushnumber(L, json_real_value(j));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		lua_pushboolean(L, json_is_true(j));
		break;
	case JSON_NULL:
		lua_pushnil(L);
		break;
	}
}

/* native.jsondecode(text) -> value | nil, message */
static int
l_jsondecode(lua_State *L)
{
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	json_error_t err;
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY, &err);

	if (!j) {
		luaL_pushfail(L);
		lua_pushfstring(L, "line %d: %s", err.line, err.text);
		return 2;
	}
	/* only exhausted memory can raise here, which would leak j */
	lua_checkstack(L, 64);
	pushjson(L, j);
	json_decref(j);
	return 1;
}

/* native.cachedir() -> the download cache folder */
static int
l_cachedir(lua_State *L)
{
	lua_pushstring(L, cachedir());
	return 1;
}

/* native.exe() -> absolute path of this program */
static int
l_exe(lua_State *L)
{
	char p[PATH_MAX];

	if (!realpath("/proc/self/exe", p))
		return luaL_error(L, "cannot find the imagegen binary: %s", strerror(errno));
	lua_pushstring(L, p);
	return 1;
}

/* native.sourcedate() -> SOURCE_DATE_EPOCH or 0 */
static int
l_sourcedate(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)sourcedate());
	return 1;
}

/* native.arch() -> the host's architecture in OCI's words */
static int
l_arch(lua_State *L)
{
	static const char *const map[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "386"}, {"i386", "386"},
		{"armv7l", "arm"}, {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
	};
	struct utsname u;
	size_t i;

	if (uname(&u) < 0)
		return luaL_error(L, "uname: %s", strerror(errno));
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(u.machine, map[i][0]) == 0) {
			lua_pushstring(L, map[i][1]);
			return 1;
		}
	}
	lua_pushstring(L, u.machine);
	return 1;
}

static const luaL_Reg native[] = {
	{"readfile", l_readfile},
	{"stat", l_stat},
	{"listdir", l_listdir},
	{"writefile", l_writefile},
	{"touch", l_touch},
	{"jsondecode", l_jsondecode},
	{"cachedir", l_cachedir},
	{"exe", l_exe},
	{"sourcedate", l_sourcedate},
	{"arch", l_arch},
	{NULL, NULL},
};

static int
opennative(lua_State *L)
{
	luaL_newlib(L, native);  /* the native module table */
	debian_natives(L);
	lua_pushstring(L, VERSION);
	lua_setfield(L, -2, "version");
	return 1;
}

static int
loadembedded(lua_State *L)
{
	const struct embedded *m = lua_touserdata(L, lua_upvalueindex(1));
	char *chunk = xasprintf("=%s", m->name);
	int ret = luaL_loadbufferx(L, m->src, m->len, chunk, "t");

	free(chunk);
	if (ret != LUA_OK)
		return lua_error(L);
	lua_pushstring(L, m->name);
	lua_call(L, 1, 1);  /* the module's value */
	return 1;
}

static void
preload(lua_State *L)
{
	const struct embedded *m;
	const char *dir = getenv("IMAGEGEN_LUA");

	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);  /* package.preload */
	lua_pushcfunction(L, opennative);
	lua_setfield(L, -2, "imagegen.native");
	if (!dir || !*dir) {
		for (m = embedded_lua; m->name; m++) {
			lua_pushlightuserdata(L, (void *)m);
			lua_pushcclosure(L, loadembedded, 1);
			lua_setfield(L, -2, m->name);
		}
	}
	lua_pop(L, 1);  /* package.preload */
	lua_getglobal(L, "package");
	if (dir && *dir)
		lua_pushfstring(L, "%s/lua/?.lua;%s/?.lua", dir, dir);
	else
		lua_pushliteral(L, "");
	lua_setfield(L, -2, "path");  /* no search outside the binary */
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "cpath");
	lua_pop(L, 1);  /* package */
}

/* the message handler: a definition error is one line; IMAGEGEN_DEBUG adds a traceback */
static int
handler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (!msg) {
		if (lua_istable(L, 1)) {
			lua_getfield(L, 1, "msg");
			return 1;
		}
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	}
	if (getenv("IMAGEGEN_DEBUG"))
		luaL_traceback(L, L, msg, 1);
	return 1;
}

int
host_run(const char *module, int argc, char *argv[], char **text)
{
	lua_State *L = luaL_newstate();
	int i, ret;

	if (!L)
		fatal("out of memory");
	luaL_openlibs(L);
	preload(L);
	lua_pushcfunction(L, handler);
	lua_getglobal(L, "require");
	lua_pushstring(L, module);
	if (lua_pcall(L, 1, 1, 1) != LUA_OK)  /* the module */
		goto err;
	lua_getfield(L, -1, "main");
	lua_createtable(L, argc, 0);  /* the arguments */
	for (i = 0; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i + 1);
	}
	if (lua_pcall(L, 1, 1, 1) != LUA_OK)  /* module.main(args) */
		goto err;
	ret = 0;
	if (lua_type(L, -1) == LUA_TSTRING) {
		if (text)
			*text = xstrdup(lua_tostring(L, -1));
	} else {
		ret = (int)lua_tointeger(L, -1);
	}
	lua_close(L);
	return ret;
err:
	fprintf(stderr, "%s: %s\n", argv0, lua_tostring(L, -1));
	lua_close(L);
	return 1;
}
