/* registry: pull bases from and push images to OCI registries */

/* the digest of the manifest ref names (a tag is asked of the registry); -1 with err filled */
int registry_digest(const char *ref, char digest[72], char *err, size_t errlen);
/* pull ref (pinned by digest) for platform: blobs into store, the base file to out */
void registry_pull(const char *ref, const char *platform, const char *out, const char *store);
/* what ref names into store, verified: the manifest or index (its digest to top) and,
   for platform, that platform's manifest, config and layers; -1 with err filled */
int registry_fetch(const char *ref, const char *platform, const char *store, char top[72], char *err,
                   size_t errlen);
/* push the image of an OCI layout to ref; record lists blobs pushed, for mounts */
void registry_push(const char *layout, const char *ref, const char *record);
