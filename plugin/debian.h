/* debian: Debian repository support for the Lua side */

struct lua_State;

/* compare two Debian versions: <0, 0 or >0 as a sorts before, with or after b */
int debian_vercmp(const char *a, const char *b);
/* add vercmp, paragraphs, decompress, sha256, fetch, gpgv, getenv to the table on top */
void debian_natives(struct lua_State *L);
