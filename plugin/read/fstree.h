/* fstree: an image's filesystem, from the tar streams of its layers (needs mem.h) */

struct layerfacts;

/* one member of a layer */
struct fsentry {
	/* relative, without "./" or a slash at either end; a whiteout's is the path it removes */
	char *path;
	/* 'f' file, 'd' directory, 'l' symlink, 'h' hard link, 'c' 'b' devices,
	   'p' fifo, 'w' whiteout (.wh.NAME), 'o' opaque directory (.wh..wh..opq) */
	char type;
	unsigned mode;
	long long uid, gid, size;
	/* a symlink's target, or a hard link's (a path of the layer) */
	char *link;
	/* the sha256 of a file's contents (a hard link's: its target's) */
	char sha256[65];
	/* the contents, for the files the caller asked to keep */
	struct buf data;
};

struct fslayer {
	struct fsentry *e;
	size_t len;
	/* the length of the uncompressed tar stream, and the bytes of the files kept */
	long long usize, kept;
	/* while it is read: the reader, which fstree_freelayer frees when an error stopped it */
	struct fsreading *reading;
};

/* a path of the filesystem */
struct fsnode {
	/* the whole path ("" for the root) and its last name (in path) */
	char *path;
	const char *name;
	/* what is there (NULL: a directory no layer has an entry for), and the layer it came from */
	const struct fsentry *e;
	int layer;
	/* the package that owns it (dpkgdb.c), or -1 */
	int pkg;
	/* files: their size (0 for hard links: stored once); directories: the bytes below */
	long long total;
	struct fsnode *parent, *child, *next, *hnext;
};

/* a file of a lower layer that a later one replaced or deleted: bytes the image carries for nothing */
struct fswaste {
	char *path;
	long long size;
	/* the layer it is in, and the one that hid it */
	int layer, by;
	int deleted;
};

struct fstree {
	struct fsnode root;
	struct fsnode **table;
	size_t nbuckets, count;
	struct fswaste *waste;
	size_t nwaste, capwaste;
	long long wasted;
};

/* read a layer blob of size bytes from fd (closed after) into l, verifying its digest; keep
   says whose contents to keep (a file over 16 MiB is not kept), maxkept how many bytes of them
   in all (more is an error); what names it in messages; exits on malformed input */
void fstree_readlayer(int fd, const char *digest, long long size, int (*keep)(const char *path),
                      long long maxkept, const char *what, struct fslayer *l);
/* the layer from its facts (layer/facts.h) into l, as fstree_readlayer would read
   its blob; -1 (l untouched) when keep wants a file's contents the facts did not
   keep, or more than maxkept bytes of them: only the blob has them, or its reader
   says why not */
int fstree_fromfacts(const struct layerfacts *f, int (*keep)(const char *path), long long maxkept, const char *what,
                     struct fslayer *l);
/* free a layer read by fstree_readlayer */
void fstree_freelayer(struct fslayer *l);
/* an empty filesystem */
void fstree_init(struct fstree *t);
/* lay layer number index over the filesystem (whiteouts first, then its entries) */
void fstree_apply(struct fstree *t, const struct fslayer *l, int index);
/* sort every directory's children by name and add up the bytes below each */
void fstree_finish(struct fstree *t);
/* the node at a path (relative, no slashes at the ends), or NULL */
struct fsnode *fstree_get(const struct fstree *t, const char *path);
/* the node a symlink path leads to, within the image (at most 16 links), or NULL */
struct fsnode *fstree_resolve(const struct fstree *t, const char *path);
/* the nodes whose mode people must see (modeflags: setuid, setgid, world-writable),
   folder by folder in the order fstree_finish gave them; free the array */
struct fsnode **fstree_special(const struct fstree *t, size_t *count);
/* free the filesystem (not the layers its nodes point into) */
void fstree_free(struct fstree *t);
