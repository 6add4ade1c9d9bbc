/* nodes: the entries of a layer being built, made by layer.c (files,
   trees, whiteouts) and pkglayer.c (Debian packages) */

#include <sys/types.h>

struct json_t;

/* KSPOOL: a file of a package, its bytes kept in the layer's spool file */
enum kind { KDIR, KFILE, KTEXT, KLINK, KHARD, KSPOOL };

struct node {
	/* path inside the layer, relative, no trailing slash */
	char *path;
	enum kind kind;
	unsigned mode;
	long long uid, gid;
	/* KFILE: the source path; KTEXT: the contents; KLINK/KHARD: the target */
	char *src;
	size_t textlen;
	/* KSPOOL: where the bytes are in the spool file, and how many */
	long long off, size;
	/* a package's own mtime, clamped to the epoch; -1 for the epoch */
	long long mtime;
	/* KFILE from a tree: identity for hard-link detection */
	dev_t dev;
	ino_t ino;
	int multilink;
	/* declared extended attributes, a JSON object of strings (borrowed) */
	struct json_t *xattrs;
	/* "build.lua:3: files[2]: /etc/x", for messages */
	const char *ctx;
	int synthetic;
};

struct layer {
	struct node *nodes;
	size_t len, cap;
	/* the spool: an unlinked file in the store holding package file bytes */
	int spool;
	long long spoolsize;
	const char *store;
	long long epoch;
	/* the depfile: "target: input..."; for make also an "input:" line each */
	struct buf deps, phony;
	int make;
	const char *name;
	/* the dpkg sidecar (pkglayer.c): what the image's dpkg layer reads */
	struct buf dpkg;
};

/* a new entry of the layer (zeroed, mtime -1: the epoch) */
struct node *nodes_add(struct layer *l);
/* a new file entry with text as its contents; path is taken over */
struct node *nodes_addtext(struct layer *l, const char *ctx, char *path, const char *text, size_t len);
