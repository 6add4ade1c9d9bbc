/* sbom: SPDX documents of images, attached to them as OCI artifacts */

/* write what an SBOM says of the Debian package deb to out (JSON); package names it in messages */
void sbom_pkginfo(const char *deb, const char *out, const char *package);
/* write the document of the image file image (from spec) to spdx and into
   the store with its artifact manifest, which record describes */
void sbom_write(const char *spec, const char *image, const char *record, const char *spdx, const char *store);
