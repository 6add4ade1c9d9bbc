/* apknative: the natives of Alpine packages */

struct lua_State;

/* native.apkindex(path, keys) -> records, description: an APKINDEX.tar.gz
   verified against keys (a list of { name =, path = }), then its packages
   as tables of strings by field letter (C, P, V, ...); raises one line */
int apknative_index(struct lua_State *L);
/* native.apkcontrol(path, keys, checksum) -> { pkginfo, scripts, files, modes, owned }; raises one line */
int apknative_control(struct lua_State *L);
