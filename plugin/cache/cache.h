/* cache: a registry repository as the build cache that machines share */

struct json_t;

/* how the cache keys a layer: not at all (no cache in this build), by its
   spec (packages alone: known without the .debs), by its tar's diff_id */
enum { CACHE_NONE, CACHE_BYSPEC, CACHE_BYTAR };

/* a layer edge as the layer helper runs it */
struct cachelayer {
	struct json_t *spec;
	const char *name, *specpath, *descpath, *deppath, *store;
	/* its compression (enum compression) and level */
	int comp, level;
	/* CACHE_BYTAR: "sha256:..." of its canonical tar */
	char diffid[72];
};

/* how the cache keys this layer in this build */
int cache_layerkind(const struct cachelayer *c);
/* the layer from the cache: on a hit its descriptor is written (and for
   packages their sidecar and the depfile), its blob left where it is: 1 */
int cache_layerget(const struct cachelayer *c);
/* a layer written here (its descriptor is): with --cache-push, into the cache */
void cache_layerput(const struct cachelayer *c);
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
