/* rootfs: an image's root file system, unpacked once for the steps that run in it */

struct json_t;

/* the root file system of the image file imagefile (its layers' blobs in
   store), unpacked under .imagegen/root/ when it is not there yet, with
   the mount points of its steps made; its path (free it), and the image
   file read in *image (json_decref it); ctx for messages */
char *rootfs_open(const char *imagefile, const char *store, const char *ctx, struct json_t **image);
