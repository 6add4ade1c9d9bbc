/* debian: Debian's formats for the Lua side (listed in native.c's table) */

struct lua_State;

/* native.vercmp(a, b) -> -1, 0 or 1, in dpkg's version order */
int debian_vercmp(struct lua_State *L);
/* native.paragraphs(text [, fields]) -> the control paragraphs, as tables */
int debian_paragraphs(struct lua_State *L);
/* native.decompress(data, max) -> the data, uncompressed (gzip, xz, bzip2, zstd or none), at most max bytes */
int debian_decompress(struct lua_State *L);
/* native.gpgv(signed, keyrings [, data]) -> the verified text | nil, message */
int debian_gpgv(struct lua_State *L);
/* native.rootpath(p) -> p normalised inside the image's root | nil, why (deb_rootpath) */
int debian_rootpath(struct lua_State *L);
