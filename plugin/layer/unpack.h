/* unpack: a layer's tar applied to a folder */

struct archive;

/* a writer of files into folders for unpack_layer; what names it in messages */
struct archive *unpack_new(const char *what);
/* apply the layer blob (a tar, compressed or not) to the folder root: its
   whiteouts on what is there, then its members; exits naming what is wrong */
void unpack_layer(struct archive *disk, const char *root, const char *blob, const char *what);
/* finish the writer: the folders' modes set, then freed */
void unpack_done(struct archive *disk, const char *what);
