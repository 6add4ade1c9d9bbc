/* reader: images to read, from an OCI layout, a docker-archive, a registry or this build */

struct json_t;
struct fslayer;

/* one layer of an image, as its manifest and config give it */
struct rlayer {
	char digest[72], diffid[72];
	const char *mediatype;
	long long size;
};

/* one platform's image, its blobs in the reader's store */
struct rimage {
	/* "os/arch[/variant]" */
	char platform[200];
	/* the manifest's digest ("" for a docker-archive, which has none) and the config's */
	char digest[72], configdigest[72];
	struct json_t *manifest, *config;
	struct rlayer *layers;
	size_t nlayers;
};

struct reader {
	/* what was opened, for messages: "oci layout out/app" */
	char *what;
	/* where its blobs are: STORE/sha256/<hex> */
	char *store;
	/* the digest of what the name points at, an index or a manifest ("" for a docker-archive) */
	char top[72];
	/* the image's manifests, one a platform: descriptors, with "platform" where known */
	struct json_t *manifests;
	/* private: the kind of source, and a registry's reference */
	int kind;
	char *ref;
};

/* open an OCI layout (DIR or DIR:TAG), a docker-archive (a file) or a registry
   reference (HOST/REPO[:TAG][@DIGEST]); exits naming what is wrong */
struct reader *reader_open(const char *name);
/* open an image file of this build (see image.c) whose blobs are in store */
struct reader *reader_openbuild(const char *imagefile, const char *store);
/* the image for platform "os/arch[/variant]" (NULL: the only one, else this machine's) */
struct rimage *reader_image(struct reader *r, const char *platform);
/* the platform of manifest descriptor i, "" when the index does not say */
const char *reader_platform(struct reader *r, size_t i, char out[200]);
/* open layer i of img: a regular file of the size its descriptor gives; its fd */
int reader_openlayer(struct reader *r, const struct rimage *img, size_t i);
/* read layer i of img into l (fstree_readlayer), keeping the files keep names, at most maxkept bytes;
   a layer of this build from its facts (layer/facts.h) instead of its blob, unless keep wants a file of it */
void reader_readlayer(struct reader *r, const struct rimage *img, size_t i, int (*keep)(const char *path),
                      long long maxkept, struct fslayer *l);
/* free an image */
void reader_freeimage(struct rimage *img);
/* free a reader (a docker-archive's temporary store goes too) */
void reader_free(struct reader *r);
