/* layout: OCI image layouts and docker-archives from an image file */

struct json_t;

/* make dir an OCI image layout of the image, blobs linked from the store, with
   the SBOM artifacts the records (see sbom.h) describe, and dir.digest its digest */
void layout_write(const char *image, const char *dir, const char *store, char *const records[], int nrecords);
/* write a docker-archive of the image to tar (blobs and manifest.json, for podman and docker load) */
void layout_archive(const char *image, const char *tar, const char *store);
/* the index.json document of an image file's layout, with the SBOM artifacts of records */
struct json_t *layout_index(const char *image, char *const records[], int nrecords);
