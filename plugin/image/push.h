/* push: images to a registry (imagegen push, push-NAME) */

struct blobfrom;

/* push the image of an OCI layout to ref; record lists the blobs pushed, for mounts */
void push_layout(const char *layout, const char *ref, const char *record);
/* push an image file (see image.c) with the SBOM artifacts of records, its
   blobs from store or, where from says, from elsewhere (NULL: the store alone) */
void push_image(const char *image, const char *store, char *const records[], int nrecords, const char *ref,
                const char *record, const struct blobfrom *from);
