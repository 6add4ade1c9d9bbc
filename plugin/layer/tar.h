/* tar: the canonical tar stream of a layer (its form: see tar.c), written
   by imagegen's own code, and by libarchive as the reference it is held to */
#include <stddef.h>

enum tartype {
	TAR_DIR,
	TAR_FILE,
	TAR_SYMLINK,
	TAR_HARDLINK,
};

/* an extended attribute of an entry: its name and value (value has len bytes) */
struct tarxattr {
	const char *name;
	const char *value;
	size_t len;
};

/* one entry: path relative, without a trailing slash (a directory gets
   one); link is a symlink's target or the path a hard link names; size is
   a file's, the bytes that tar_data must then be given */
struct tarhead {
	const char *path, *link;
	enum tartype type;
	unsigned mode;
	long long uid, gid, mtime, size;
	/* in the order declared */
	const struct tarxattr *xattrs;
	size_t nxattrs;
};

/* where the stream goes: 0, or -1 when it could not take the bytes */
typedef int tarout(void *arg, const void *data, size_t len);

struct tar;

/* a writer handing its stream to out(arg, ...); with libarchive set, the
   same stream through libarchive instead (the reference that
   tests/t-tar.sh and the fuzz target hold this writer to) */
struct tar *tar_open(tarout *out, void *arg, int libarchive);
/* the header of the next entry (the previous one's missing bytes written
   as zeros); 0, or -1: see tar_error */
int tar_header(struct tar *t, const struct tarhead *h);
/* bytes of the current entry's contents, past its size dropped; 0 or -1 */
int tar_data(struct tar *t, const void *data, size_t len);
/* the end of the archive, padded as the canonical form has it; 0 or -1; t
   stays for tar_error until tar_free */
int tar_close(struct tar *t);
/* why the last call failed: a header that cannot be written, or "" when out did */
const char *tar_error(const struct tar *t);
/* free t */
void tar_free(struct tar *t);
