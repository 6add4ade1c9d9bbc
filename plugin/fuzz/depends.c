/*
 * fuzz-depends: the Lua side's parsers of repository text: Depends
 * expressions (debian.parsedeps) and Release dates (debian.parsedate).
 * Neither may raise an error on any input. The host is included whole for
 * its preload of the embedded modules.
 */
#include "lua/host.c"
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static lua_State *L;
	static const char *const fns[] = {"parsedeps", "parsedate"};
	size_t i;

	if (!L) {
		L = luaL_newstate();
		luaL_openlibs(L);
		preload(L);
	}
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		lua_settop(L, 0);
		lua_getglobal(L, "require");
		lua_pushliteral(L, "imagegen.debian");
		if (lua_pcall(L, 1, 1, 0) != LUA_OK)  /* the module */
			__builtin_trap();
		lua_getfield(L, -1, fns[i]);
		lua_pushlstring(L, (const char *)data, size);
		if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
			fprintf(stderr, "%s: %s\n", fns[i], lua_tostring(L, -1));
			__builtin_trap();
		}
	}
	lua_settop(L, 0);
	return 0;
}
