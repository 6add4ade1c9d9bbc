/* fetch: downloads with retries, resume and verification (libcurl) */

/* the body of url into out; -1 with a message in err on failure */
int fetch_mem(const char *url, struct buf *out, char *err, size_t errlen);
/* download url to path, verified by size and sha256 (hex); exits on failure */
void fetch_file(const char *url, const char *path, const char *sha256, long long size);
