/* cache: a registry repository as the build cache that machines share */

struct json_t;

/* a layer edge (imagegen layer): the layer from the build cache when it has
   it, else made here and, with --cache-push, put there; without a build
   cache, layer_build */
void cache_layer(const char *spec, const char *desc, const char *depfile, const char *store);
/* the blob digest into the store, holding the tar of diff_id diffid (NULL:
   the bytes alone), from the cache where a layer hit took an entry's word
   for it: 0 when it is there; -1 when it is not and the cache cannot give
   it; -2 when the entry lied (its layer, made here, is another blob: the
   images that hold it must be made again) */
int cache_blob(const char *store, const char *digest, const char *diffid);
/* every layer blob of an image file (or an index file's images) in the
   store; the image files made again where a cache entry lied */
void cache_ready(const char *image, const char *store);
/* the repository of the registry host whose cache holds the store's blob
   digest, to mount it from into repo; NULL if none (free it) */
char *cache_mountfrom(const char *store, const char *host, const char *digest, const char *repo);
/* imagegen cached SPEC STORE ARGV...: the spec's outputs from the cache, or
   made by running argv (then with --cache-push, into the cache); the
   status to exit with */
int cache_run(const char *spec, const char *store, char *const argv[]);
/* a step's outputs (its spec's: [{path, manifest?}], a folder with a
   manifest) from the build cache's entry for what (the text of what decides
   them), when the build has a cache and it has them: 1, the files in place
   and the folders made anew (their manifests not written); else 0 */
int cache_stepget(const char *store, const char *what, struct json_t *outputs, const char *name);
/* a step's outputs just made into the build cache, with --cache-push */
void cache_stepput(const char *store, const char *what, struct json_t *outputs, const char *name);
