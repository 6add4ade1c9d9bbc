/* fetch: downloads of repository files and packages, verified */

/* the body of url into out, at most max bytes (0: HTTP_MAXMEM); -1 with a
   message in err, -2 when the body was larger */
int fetch_mem(const char *url, long long max, struct buf *out, char *err, size_t errlen);
/* download url to path, verified by size and sha256 (hex); exits on failure */
void fetch_file(const char *url, const char *path, const char *sha256, long long size);
