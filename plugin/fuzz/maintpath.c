/*
 * fuzz-maintpath: the paths maintainer scripts name, as the dpkg layer
 * takes them (native.rootpath, deb.c's deb_rootpath; lua/imagegen/maint.lua).
 * The input is a path; its first line is the path of ln -s, mkdir and
 * update-alternatives (as a link, a path and a slave's), and it is a script
 * of its own after them. A path that rootpath takes comes back absolute and
 * normalised, and the same when taken again; one it refuses says why in one
 * of its three ways. Whatever the script, every path maint.read gives
 * (links, folders, alternatives) is inside the root and normalised, every
 * alternative's name a name, and a refused command has its line. Reading
 * may never fail. The host is included whole for its preload of the
 * embedded modules.
 */
#include "lua/host.c"
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char checker[] =
	"local data = ...\n"
	"local native = require 'imagegen.native'\n"
	"local maint = require 'imagegen.maint'\n"
	"local function normal(p)\n"
	"  return type(p) == 'string' and p:sub(1, 1) == '/' and not p:find('//', 1, true)\n"
	"    and not p:find('/%.%.?/') and not p:find('/%.%.?$') and (p == '/' or p:sub(-1) ~= '/')\n"
	"    and not p:find('%z') and native.rootpath(p) == p\n"
	"end\n"
	"local function name(s)\n"
	"  return type(s) == 'string' and s ~= '' and s ~= '.' and s ~= '..' and not s:find('[/%s%c]')\n"
	"end\n"
	"local p, why = native.rootpath(data)\n"
	"if p then\n"
	"  assert(normal(p) and #p <= math.max(#data, 1), 'rootpath: not normal: ' .. p)\n"
	"else\n"
	"  assert(why == \"climbs out of the image's root\" or why == 'is not an absolute path'\n"
	"    or why == 'holds a NUL byte', 'rootpath: ' .. tostring(why))\n"
	"end\n"
	"local q = \"'\" .. data:match('^[^\\n]*'):gsub(\"'\", \"'\\\\''\") .. \"'\"\n"
	"local script = table.concat({ 'ln -s target ' .. q, 'mkdir -p -m 755 ' .. q,\n"
	"  'update-alternatives --install ' .. q .. ' x ' .. q .. ' 10 --slave ' .. q .. ' y ' .. q,\n"
	"  'update-alternatives --install /usr/bin/z ' .. q .. ' /usr/bin/z1 5', data }, '\\n')\n"
	"local r = maint.read(script, { args = { 'configure', '' }, arch = 'amd64', package = 'fuzz',\n"
	"  script = 'postinst', exists = function() return false end })\n"
	"for _, l in ipairs(r.links) do assert(normal(l.path) and l.path ~= '/', 'ln: ' .. l.path) end\n"
	"for _, d in ipairs(r.dirs) do assert(normal(d.path) and d.path ~= '/', 'mkdir: ' .. d.path) end\n"
	"for _, a in ipairs(r.alternatives) do\n"
	"  assert(normal(a.link) and normal(a.path) and name(a.name), 'alternative: ' .. a.link)\n"
	"  for _, s in ipairs(a.slaves) do\n"
	"    assert(normal(s.link) and normal(s.path) and name(s.name), 'slave: ' .. s.link)\n"
	"  end\n"
	"end\n"
	"for _, x in ipairs(r.refused) do\n"
	"  assert(math.type(x.line) == 'integer' and type(x.cmd) == 'string' and type(x.path) == 'string'\n"
	"    and type(x.why) == 'string', 'refused')\n"
	"end\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static lua_State *L;

	if (!L) {
		L = luaL_newstate();
		luaL_openlibs(L);
		preload(L);
		if (luaL_loadbuffer(L, checker, sizeof(checker) - 1, "=maintpath") != LUA_OK) {
			fprintf(stderr, "maintpath: %s\n", lua_tostring(L, -1));
			__builtin_trap();
		}
		lua_setfield(L, LUA_REGISTRYINDEX, "maintpath");  /* the checker, kept */
	}
	lua_settop(L, 0);
	lua_getfield(L, LUA_REGISTRYINDEX, "maintpath");
	lua_pushlstring(L, (const char *)data, size);  /* the path, and the script */
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		fprintf(stderr, "maintpath: %s\n", lua_tostring(L, -1));
		__builtin_trap();
	}
	lua_settop(L, 0);
	return 0;
}
