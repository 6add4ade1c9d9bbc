/* push: images to a registry (imagegen push, push-NAME) */

struct blobfrom;
struct signer;
struct json_t;

/* what a push says it did */
struct pushout {
	/* the report as one JSON document on stdout instead of a summary line */
	int json;
	/* a file to write the pushed digest to, "sha256:<hex>\n" (NULL: none) */
	const char *digestfile;
	/* imagegen copy: the source, named in the report ("copy SRC DST: ...",
	   "imagegen-copy" and "source" in the JSON document); NULL for a push */
	const char *source;
};

/* push the image of an OCI layout to ref; record lists the blobs pushed, for mounts */
void push_layout(const char *layout, const char *ref, const char *record, const struct pushout *out);
/* push an image file (see image.c) with the SBOM artifacts of records, its
   blobs from store or, where from says, from elsewhere (NULL: the store alone) */
void push_image(const char *image, const char *store, char *const records[], int nrecords, const char *ref,
                const char *record, const struct blobfrom *from, const struct pushout *out);
/* sign the image ref names in its registry by s (sign.h): the signature
   pushed as a referrer and under cosign's tag */
void push_sign(const char *ref, const struct signer *s);
/* push an index.json document (the image first, then the artifacts that
   refer to it) whose blobs are in store or, where from says, elsewhere (for
   imagegen copy); what names the source in messages; hash: its blobs' bytes
   hashed before (a layout's), else their sizes checked */
void push_index(struct json_t *index, const char *store, const char *what, int hash, const char *ref,
                const char *record, const struct blobfrom *from, const struct pushout *out);
