/* fetch: downloads with retries, resume and verification (libcurl) */

/* how many times a transient failure is tried again */
enum { FETCH_TRIES = 5 };

/* whether a libcurl result (and HTTP status, for CURLE_OK) is worth retrying */
int fetch_transient(int curlcode, long status);
/* wait before try number try+1: 1, 2, 4, 8, 16 s */
void fetch_backoff(int try);
/* the body of url into out; -1 with a message in err on failure */
int fetch_mem(const char *url, struct buf *out, char *err, size_t errlen);
/* download url to path, verified by size and sha256 (hex); exits on failure */
void fetch_file(const char *url, const char *path, const char *sha256, long long size);
