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
	/* the apk sidecar (apklayer.c): the package's part of the apk database */
	struct buf apk;
};

/* a new entry of the layer (zeroed, mtime -1: the epoch) */
struct node *nodes_add(struct layer *l);
/* drop the nodes past the first len (those a failed package read added) */
void nodes_truncate(struct layer *l, size_t len);
/* a new file entry with text as its contents; path is taken over */
struct node *nodes_addtext(struct layer *l, const char *ctx, char *path, const char *text, size_t len);
/* list path in the layer's depfile, as the build tool's grammar spells it
   or by its alias (see names.c); in make mode also give it an empty rule,
   so that make takes a deleted file as changed, not as an error */
void nodes_dep(struct layer *l, const char *ctx, const char *path);
/* whether the last name of path starts with ".wh." (a whiteout's) */
int nodes_iswhiteout(const char *path);
/* a package member's name as a path of the layer: "./usr/bin/x" or "usr/bin/x/" -> "usr/bin/x"
   (free it); NULL for the root. A name with "..", "." or an empty part, or a part named like a
   whiteout, comes back with *why saying so (the caller refuses the package, naming the path) */
char *nodes_memberpath(const char *name, const char **why);
/* the mode of a file whose mode says none: 0755 with an execute bit in stmode, else 0644 */
unsigned nodes_filemode(unsigned stmode);
/* order nodes by the bytes of their paths (qsort, bsearch) */
int nodes_bypath(const void *a, const void *b);
/* files of one tree that share an inode, the nodes in path order: the
   first is stored, the others become hard links to it */
void nodes_linkgroups(struct layer *l);
