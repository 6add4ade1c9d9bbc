/* oci: the media types imagegen writes and reads, and the checks of the OCI
   and Docker documents read from outside the build */
#include <stddef.h>

/* OCI's */
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_EMPTY "application/vnd.oci.empty.v1+json"
/* Docker's (image manifest v2, schema 2), read from bases and registries */
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
/* imagegen's own: SBOMs, build cache entries and what they hold */
#define MT_SPDX "application/spdx+json"
#define MT_CACHE_LAYER "application/vnd.imagegen.cache.layer.v1"
#define MT_CACHE_OUTPUTS "application/vnd.imagegen.cache.outputs.v1"
#define MT_CACHE_STEP "application/vnd.imagegen.cache.step.v1"
#define MT_DPKG "application/vnd.imagegen.dpkg.v1"
#define MT_APK "application/vnd.imagegen.apk.v1"
#define MT_FILE "application/octet-stream"

struct json_t;

/* a descriptor (mediaType, sha256 digest, size >= 0) named what; -1 with why in out */
int oci_checkdescriptor(struct json_t *d, const char *what, char *out, size_t len);
/* an image manifest: schemaVersion 2, a config and layers of image media types */
int oci_checkmanifest(struct json_t *m, char *out, size_t len);
/* an image index (or Docker manifest list): descriptors of manifests, platforms well formed */
int oci_checkindex(struct json_t *idx, char *out, size_t len);
/* an image config for nlayers layers: architecture, os, one sha256 diff_id a layer */
int oci_checkconfig(struct json_t *c, size_t nlayers, char *out, size_t len);
/* whether a media type is an index (OCI) or manifest list (Docker) */
int oci_isindex(const char *mt);
/* the OCI media type of a Docker one (a layer's, config's or manifest's); others as they are */
const char *oci_mediatype(const char *mt);
/* the Docker media type of an OCI layer's, config's, manifest's or index's, or NULL (zstd has none) */
const char *oci_dockertype(const char *mt);
/* the descriptor in an index for platform "os/arch[/variant]", or NULL; what names it in messages */
struct json_t *oci_pickplatform(struct json_t *index, const char *platform, const char *what);
