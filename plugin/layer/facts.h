/* facts: what the SBOM (and the report) need of a layer, taken from its tar
   stream in the pass that writes it, kept in a small file keyed by diff_id (needs mem.h) */

#include <stddef.h>

/* one member of a layer */
struct fact {
	/* the member's name and a link's target, bytes as the tar has them (in
	   loaded facts, pointing into the facts file's text) */
	char *path, *link;
	/* 'f' file, 'h' hard link, 'd' directory, 'l' symlink, 'c' 'b' devices, 'p' fifo */
	char type;
	unsigned mode;
	long long uid, gid, size;
	/* a file's digests of its contents ("" for anything but a file) */
	char sha1[41], sha256[65];
	/* its contents (size bytes), when the facts keep them (facts_keeps), or NULL */
	const char *data;
};

/* the members of a layer, in the order of its tar, and the bytes of the tar
   up to the end of its end-of-archive blocks */
struct layerfacts {
	struct fact *e;
	size_t len;
	long long usize;
	/* the facts file's text, which the members' path and link point into */
	char *text;
	/* the kept files' bytes, which the members' data point into */
	struct buf kept;
};

struct factscan;
struct sha256_ctx;

/* whether the layer pass keeps the contents of the file at path (a tar
   member's name) beside the facts: the dpkg database and the copyright
   files, what the report page reads */
int facts_keeps(const char *path);

/* a scan of a tar stream, fed in pieces as it is written */
struct factscan *facts_scan(void);
/* feed len more bytes of the uncompressed stream; -1 on a malformed one (facts_error says why) */
int facts_feed(struct factscan *s, const void *data, size_t len);
/* facts_feed, the same bytes added to tar (nettle's context of the stream's SHA256): the
   layer pass's three digests of a file's contents in one walk over them (hashes.c) */
int facts_feedtar(struct factscan *s, struct sha256_ctx *tar, const void *data, size_t len);
/* why the stream was refused */
const char *facts_error(const struct factscan *s);
/* the scan finished: its facts written for the tar of diffid ("sha256:<hex>")
   beside the store (DIR/facts/HEX), atomically; exits on a stream that did
   not end; frees s */
void facts_save(struct factscan *s, const char *store, const char *diffid);
/* free a scan that will not be saved (NULL: nothing) */
void facts_drop(struct factscan *s);
/* the facts of the layer of diffid and blob digest: from its facts file,
   checked; when there is none, made once from the blob in the store (its
   uncompressed bytes checked against diffid) and kept. what names the layer
   in messages; exits on a malformed file or blob */
void facts_load(const char *store, const char *diffid, const char *digest, const char *what, struct layerfacts *f);
/* whether the facts file of diffid is there */
int facts_have(const char *store, const char *diffid);
/* free what facts_load made */
void facts_free(struct layerfacts *f);
