/* push: images to a registry (imagegen push, push-NAME) */

struct blobfrom;
struct signer;

/* what a push says it did */
struct pushout {
	/* the report as one JSON document on stdout instead of a summary line */
	int json;
	/* a file to write the pushed digest to, "sha256:<hex>\n" (NULL: none) */
	const char *digestfile;
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
