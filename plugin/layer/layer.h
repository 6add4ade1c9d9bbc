/* layer: canonical layers from a layer spec */

struct json_t;
struct layer;

/* what a layer holds, which decides how it can be known without being made */
enum layerkind {
	/* files, trees, texts, links: by its canonical tar, hashed uncompressed */
	LAYER_FILES,
	/* Debian packages alone: by its spec (their sha256s), the .debs unread */
	LAYER_PACKAGES,
	/* both: only by making it */
	LAYER_MIXED,
};

/* a layer edge, as the layer helper runs it */
struct layerbuild {
	struct json_t *spec;
	const char *name, *specpath, *descpath, *deppath, *store;
	/* its compression (enum compression) and level, and its mtimes */
	int comp, level;
	long long epoch;
	enum layerkind kind;
	/* LAYER_PACKAGES: the key of what decides its bytes (pkglayer_key) */
	char key[65];
	/* its entries, once collected */
	struct layer *l;
	/* whether its facts were written (layer_diffid), facts.c */
	int facts;
};

/* a layer edge: its spec read (exits naming what is wrong); the depfile
   lists the inputs; in make mode it also has an empty rule per input, so
   that a deleted input is no error */
struct layerbuild *layer_open(const char *spec, const char *desc, const char *depfile, const char *store);
/* a layer of packages from the kept layers (download folder): its blob in
   the store, its descriptor, sidecar and depfile written: 1; else 0 */
int layer_takekept(struct layerbuild *b);
/* read its entries (files, trees, packages) into canonical order */
void layer_collect(struct layerbuild *b);
/* the diff_id of its canonical tar, "sha256:<hex>", without compressing or writing it;
   its facts (facts.c) are written */
void layer_diffid(struct layerbuild *b, char diffid[72]);
/* write it: the blob into the store, the dpkg sidecar, the depfile and the
   descriptor (mediaType, digest, size, diffid); a layer of packages is kept */
void layer_write(struct layerbuild *b);
/* write the depfile alone, for a layer that was not written here */
void layer_writedeps(struct layerbuild *b);
/* the end of a layer edge */
void layer_close(struct layerbuild *b);
/* the whole of a layer edge: open, take it kept or collect and write, close */
void layer_build(const char *spec, const char *desc, const char *depfile, const char *store);
/* write a layer's descriptor: its media type and compression annotation
   from comp (an enum compression) and level, its digest, size and diff_id */
void layer_describe(const char *descpath, int comp, int level, const char *digest, long long size, const char *diffid);
