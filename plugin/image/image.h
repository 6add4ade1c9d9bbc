/* image: config and manifest blobs from an image spec */

/* write the config and manifest of spec into the store and the image file to out */
void image_build(const char *spec, const char *out, const char *store);
/* write the image index of the platforms' image files into the store and the index file to out */
void image_index(const char *out, const char *store, char *const images[], int n);
