/*
 * fuzz-maint: maintainer scripts as the dpkg layer reads them without
 * running them (lua/imagegen/maint.lua), for a fresh install's postinst,
 * with the accounts and owners its commands change (lua/imagegen/accounts.lua).
 * Reading may list what it does not understand; it may never fail. The
 * host is included whole for its preload of the embedded modules.
 */
#include "lua/host.c"
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
nofile(lua_State *L)
{
	lua_pushboolean(L, 0);
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static lua_State *L;

	if (!L) {
		L = luaL_newstate();
		luaL_openlibs(L);
		preload(L);
	}
	lua_settop(L, 0);
	lua_getglobal(L, "require");
	lua_pushliteral(L, "imagegen.maint");
	if (lua_pcall(L, 1, 1, 0) != LUA_OK)  /* the module */
		__builtin_trap();
	lua_getfield(L, -1, "read");
	lua_pushlstring(L, (const char *)data, size);  /* the script */
	lua_createtable(L, 0, 5);  /* its environment */
	lua_createtable(L, 1, 0);
	lua_pushliteral(L, "configure");
	lua_rawseti(L, -2, 1);
	lua_setfield(L, -2, "args");
	lua_pushcfunction(L, nofile);
	lua_setfield(L, -2, "exists");
	lua_pushliteral(L, "amd64");
	lua_setfield(L, -2, "arch");
	lua_pushliteral(L, "fuzz");
	lua_setfield(L, -2, "package");
	lua_pushliteral(L, "postinst");
	lua_setfield(L, -2, "script");
	/* the accounts and owners the script's commands change (imagegen.accounts) */
	lua_getglobal(L, "require");
	lua_pushliteral(L, "imagegen.accounts");
	if (lua_pcall(L, 1, 1, 0) != LUA_OK)  /* the module */
		__builtin_trap();
	lua_getfield(L, -1, "new");
	lua_pushliteral(L, "root:*:0:0:root:/root:/bin/sh\nnobody:*:65534:65534::/nonexistent:/usr/sbin/nologin\n");
	lua_pushliteral(L, "root:*:0:\nusers:*:100:\nnogroup:*:65534:\n");
	lua_pushinteger(L, 1700000000);
	if (lua_pcall(L, 3, 1, 0) != LUA_OK)  /* a state of two accounts */
		__builtin_trap();
	lua_setfield(L, -3, "accounts");
	lua_pop(L, 1);  /* the module */
	if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
		fprintf(stderr, "maint.read: %s\n", lua_tostring(L, -1));
		__builtin_trap();
	}
	lua_settop(L, 0);
	return 0;
}
