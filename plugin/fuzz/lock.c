/*
 * fuzz-lock: imagegen.lock as the generator reads it (lock.readlock in
 * lua/imagegen/lock.lua, over native.jsondecode and debian.checkpackage).
 * The input is the lock's text. Reading either gives a lock whose parts are
 * what the generator takes from it (images with lists of packages that pass
 * the checks again, repositories with URLs, bases pinned to digests) or
 * raises a check's error: one line, never a Lua error of imagegen's own.
 * The host is included whole for its preload of the embedded modules.
 */
#include "lua/host.c"
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char checker[] =
	"local data = ...\n"
	"local native = require 'imagegen.native'\n"
	"native.readfile = function() return data end  -- the lock's text\n"
	"local lock = require 'imagegen.lock'\n"
	"local debian = require 'imagegen.debian'\n"
	"local ok, l = pcall(lock.readlock, 'imagegen.lock')\n"
	"if not ok then\n"
	"  assert(type(l) == 'table' and type(l.msg) == 'string', 'not a check: ' .. tostring(l))\n"
	"  assert(not l.msg:find('[\\n\\r]'), 'more than one line: ' .. l.msg)\n"
	"  return\n"
	"end\n"
	"assert(type(l.images) == 'table' and type(l.bases) == 'table' and type(l.repositories) == 'table')\n"
	"for _, e in pairs(l.images) do\n"
	"  assert(type(e) == 'table' and type(e.packages) == 'table', 'image')\n"
	"  for _, p in ipairs(e.packages) do\n"
	"    assert(type(p) == 'table' and not debian.checkpackage(p), 'package')\n"
	"    assert(p.url == nil or type(p.url) == 'string', 'url')\n"
	"    assert(p.depends == nil or type(p.depends) == 'table', 'depends')\n"
	"    for _, d in ipairs(p.depends or {}) do assert(type(d) == 'string', 'depends') end\n"
	"  end\n"
	"end\n"
	"for _, r in pairs(l.repositories) do assert(type(r) == 'table' and type(r.url) == 'string', 'repository') end\n"
	"for _, d in pairs(l.bases) do assert(type(d) == 'string' and #d == 71, 'base') end\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static lua_State *L;

	if (!L) {
		L = luaL_newstate();
		luaL_openlibs(L);
		preload(L);
		if (luaL_loadbuffer(L, checker, sizeof(checker) - 1, "=lock") != LUA_OK) {
			fprintf(stderr, "lock: %s\n", lua_tostring(L, -1));
			__builtin_trap();
		}
		lua_setfield(L, LUA_REGISTRYINDEX, "lockcheck");  /* the checker, kept */
	}
	lua_settop(L, 0);
	lua_getfield(L, LUA_REGISTRYINDEX, "lockcheck");
	lua_pushlstring(L, (const char *)data, size);  /* the lock's text */
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		fprintf(stderr, "lock: %s\n", lua_tostring(L, -1));
		__builtin_trap();
	}
	lua_settop(L, 0);
	return 0;
}
