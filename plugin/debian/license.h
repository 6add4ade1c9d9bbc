/* license: a Debian copyright file's licences as an SPDX expression */

struct json_t;

/* the SPDX licence expression a machine-readable (DEP-5) copyright file
   declares (free it), or NULL when it is not machine-readable; the
   LicenseRef-* ids it uses go into refs, id -> licence text */
char *license_dep5(const char *copyright, struct json_t *refs);
