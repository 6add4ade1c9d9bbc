/* debian: Debian repository support for the Lua side */

struct lua_State;

/* add vercmp, paragraphs, decompress, sha256, fetch, gpgv, getenv and
   registrydigest to the table on top */
void debian_natives(struct lua_State *L);
