/* accounts: an image's user checked against the accounts of its file system, when it is built */

/* with spec's own User a name ("app", "app:grp", "1000:grp"), the image file
   image must have it in its /etc/passwd (and the group in /etc/group) after
   all its layers: else exit naming the definition's line and the accounts
   the image has, the image file removed. ready(image, store) first makes its
   layers' bytes present (cache_ready). A numeric User is not read for. */
void accounts_check(const char *spec, const char *image, const char *store,
                    void (*ready)(const char *image, const char *store));
