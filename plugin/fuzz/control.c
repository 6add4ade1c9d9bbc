/*
 * fuzz-control: Debian control paragraphs (Packages, Release, status) and
 * dpkg's version order, through the natives the Lua side calls. The input
 * is a control text; its first two lines are also compared as versions.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "debian/debian.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static lua_State *L;
	const char *text = (const char *)data, *nl, *nl2;

	if (!L && !(L = luaL_newstate()))
		return 0;
	lua_settop(L, 0);
	lua_pushcfunction(L, debian_paragraphs);
	lua_pushlstring(L, text, size);
	lua_pcall(L, 1, 1, 0);  /* a malformed line is an error, not a crash */
	lua_settop(L, 0);
	lua_pushcfunction(L, debian_paragraphs);
	lua_pushlstring(L, text, size);
	lua_createtable(L, 0, 2);  /* only some fields, as the index reader asks */
	lua_pushboolean(L, 1);
	lua_setfield(L, -2, "Package");
	lua_pushboolean(L, 1);
	lua_setfield(L, -2, "Depends");
	lua_pcall(L, 2, 1, 0);
	lua_settop(L, 0);
	nl = memchr(text, '\n', size);
	if (nl) {
		nl2 = memchr(nl + 1, '\n', size - (size_t)(nl + 1 - text));
		lua_pushcfunction(L, debian_vercmp);
		lua_pushlstring(L, text, (size_t)(nl - text));
		lua_pushlstring(L, nl + 1, nl2 ? (size_t)(nl2 - nl - 1) : size - (size_t)(nl + 1 - text));
		if (lua_pcall(L, 2, 1, 0) != LUA_OK)
			__builtin_trap();  /* any two strings compare */
		lua_settop(L, 0);
	}
	return 0;
}
