/* fetchall: the files of a build downloaded together over a few kept connections */

struct json_t;

/* download each file of list ([{url, path, sha256, size, name}], name
   optional) not yet at its path with its sha256, verified as fetch_file
   verifies one; ctx names the list in errors; exits on the first failure
   with one line naming the file's package and URL */
void fetch_all(const struct json_t *list, const char *ctx);
