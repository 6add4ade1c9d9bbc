/* provenance: SLSA provenance of images, attached to them as OCI artifacts */

/* the predicate type and the media type of the statement */
#define SLSA_PROVENANCE "https://slsa.dev/provenance/v1"
#define MT_INTOTO "application/vnd.in-toto+json"

/* write the in-toto statement of the image file image (from spec) to out
   and into the store with its artifact manifest, which record describes */
void provenance_write(const char *spec, const char *image, const char *record, const char *out, const char *store);
