/* base: images imagegen did not build, imported as bases */

struct json_t;

/* write the base file for a manifest (of digest, or NULL) whose config and layers are in the store */
void base_write(const char *out, const char *store, struct json_t *manifest, const char *digest,
                const char *source);
/* import the image tagged tag (for platform) from the OCI layout dir */
void base_fromlayout(const char *dir, const char *tag, const char *platform, const char *out,
                     const char *store);
/* the members of a docker-archive into the store, and the manifest of its one image
   (unchecked: base_write and the reader check it); source names it in messages */
struct json_t *base_archivemanifest(const char *file, const char *store, const char *source);
/* import the one image of a docker-archive */
void base_fromarchive(const char *file, const char *out, const char *store);
/* import the image ref (pinned by digest) names for platform from its registry */
void base_frompull(const char *ref, const char *platform, const char *out, const char *store);
