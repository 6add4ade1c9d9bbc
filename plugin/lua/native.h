/* native: the Lua module "imagegen.native", imagegen's own modules' way to the system */

struct lua_State;

/* push the module table (a lua_CFunction for package.preload) */
int native_open(struct lua_State *L);
