/* copy: an image and its referrers from a layout or registry to another */

struct pushout;

/* copy the image src names (DIR, DIR:TAG, DIR@DIGEST or HOST/REPOSITORY[:TAG][@DIGEST])
   and the artifacts that refer to it to dst (a layout DIR[:TAG] or a registry
   reference); record lists the blobs pushed, for mounts; out says what to print */
void copy_image(const char *src, const char *dst, const char *record, const struct pushout *out);
