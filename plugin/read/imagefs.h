/* imagefs: an image's file system, its layers read and laid over each other,
   and its dpkg database (needs reader.h, fstree.h and dpkgdb.h) */

struct imagefs {
	struct rimage *img;
	/* the layers, read, and which of them this one read (the others are shared's) */
	struct fslayer *layers;
	char *own;
	struct fstree t;
	struct dpkgdb db;
	/* the layers' compressed bytes, and their tar streams' */
	long long size, usize;
};

/* open r's image for platform (reader_image) and read it into fs, with what
   of its dpkg database (dpkgdb.h); a layer shared also has (the same digest)
   is taken from it, not read again. Exits on bad input. */
void imagefs_open(struct imagefs *fs, struct reader *r, const char *platform, enum dpkgread what,
                  const struct imagefs *shared);
/* free what imagefs_open made (not the reader) */
void imagefs_free(struct imagefs *fs);
