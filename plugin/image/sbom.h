/* sbom: SPDX documents of images, attached to them as OCI artifacts */

/* write what an SBOM says of the Debian package deb to out (JSON), once its
   control names package, version and arch (its lock line's) */
void sbom_pkginfo(const char *deb, const char *out, const char *package, const char *version, const char *arch);
/* write the document of the image file image (from spec) to spdx and into
   the store with its artifact manifest, which record describes; the layers'
   files come from their facts (layer/facts.h), not their blobs */
void sbom_write(const char *spec, const char *image, const char *record, const char *spdx, const char *store);
/* the purl of a Debian package (origin: the Release's, the namespace;
   codename: its distribution), as the SBOM names it (free it) */
char *sbom_debpurl(const char *name, const char *version, const char *arch, const char *origin, const char *codename);
/* the purl of a package of the spec (kind "apk": pkg:apk/alpine/NAME@VERSION?arch=ARCH, else
   sbom_debpurl's), as the SBOM and the provenance name it (free it) */
char *sbom_purl(struct json_t *p, const char *specpath);
/* attach text, a document of media type type, to the manifest of the image
   file img in store: the document and an OCI 1.1 artifact manifest
   (artifactType type, an empty config, the document as its one layer with
   layerannotations, the manifest as its subject, annotations) into store,
   and record, which layout and push read, describing it (annotations and
   layerannotations: NULL, or taken) */
void sbom_attach(const char *store, struct json_t *img, const char *type, const char *text,
                 struct json_t *annotations, struct json_t *layerannotations, const char *record, const char *platform);
