/* apkcontrol: what the lock keeps of an .apk, read and verified */

struct lua_State;

/* native.apkcontrol(path, keys, checksum) -> { pkginfo, scripts, files, modes, owned }; raises one line */
int apkcontrol_read(struct lua_State *L);
