/* env: what the machine and the environment say */

/* the download folder (.debs, kept layers of packages, what pushes sent):
   $IMAGEGEN_CACHE, $XDG_CACHE_HOME/imagegen or ~/.cache/imagegen */
const char *downloaddir(void);
/* this machine's architecture in OCI's words (amd64, arm64, ...) */
const char *hostarch(void);
/* SOURCE_DATE_EPOCH, or the default (0) when unset; exits if malformed */
long long sourcedate(void);
