/* oci: checks of the OCI and Docker documents read from outside the build */

#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_INDEX "application/vnd.oci.image.index.v1+json"

struct json_t;

/* a descriptor (mediaType, sha256 digest, size >= 0) named what; -1 with why in out */
int oci_checkdescriptor(struct json_t *d, const char *what, char *out, size_t len);
/* an image manifest: schemaVersion 2, a config and layers of image media types */
int oci_checkmanifest(struct json_t *m, char *out, size_t len);
/* an image index (or Docker manifest list): descriptors of manifests, platforms well formed */
int oci_checkindex(struct json_t *idx, char *out, size_t len);
/* an image config for nlayers layers: architecture, os, one sha256 diff_id a layer */
int oci_checkconfig(struct json_t *c, size_t nlayers, char *out, size_t len);
