/* tree: a folder of this machine as entries of a layer, and the listing
   of a folder a step wrote (its manifest) */

struct buf;
struct layer;
struct patterns;

/* how a tree is read */
struct treeopts {
	/* "build.lua:3: files[2]: /srv", and the folder as the definition names it, for messages */
	const char *ctx;
	const char *srcname;
	long long uid, gid;
	/* -1 when not declared */
	long filemode, dirmode;
	int follow;
	/* list nothing it reads in the depfile (a step's folder: its manifest stands for it) */
	int nodeps;
	/* the tree's exclude patterns, NULL for none */
	const struct patterns *exclude;
	/* read no .imagegenignore: it is a file like the others (a step's folder into the build cache) */
	int noignore;
};

/* add the folder src and everything in it to l under dst ("" for the top),
   but what its .imagegenignore and exclude patterns leave out, each file
   and folder read in the depfile; exits naming what is wrong */
void tree_walk(struct layer *l, const struct treeopts *o, const char *src, const char *dst);
/* the canonical listing of the folder dir, as a tree of it enters a layer,
   to out; ctx and name for messages; the number of entries below dir */
size_t tree_list(const char *ctx, const char *name, const char *dir, struct buf *out);
