/* stream: the parts of Alpine's files: gzip streams one after another,
   each one's compressed bytes hashed, and the tar members inside one */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* the source of a file's bytes: up to n into buf, 0 at its end, -1 on error */
typedef ssize_t apk_source(void *arg, void *buf, size_t n);
/* two sources: a file descriptor (arg: an int *; a read cut by a signal
   goes on), and bytes in memory (arg: a struct apkmem *, moved on) */
struct apkmem {
	const uint8_t *p;
	size_t left;
};
ssize_t apk_fdsource(void *arg, void *buf, size_t n);
ssize_t apk_memsource(void *arg, void *buf, size_t n);

/* a file of concatenated gzip streams, read one stream at a time */
struct gzin;

/* a reader of the file src gives (what names it in errors) */
struct gzin *gzin_open(apk_source *src, void *arg, const char *what);
/* start the next stream: 1, or 0 when the file has no more bytes, -1 on error */
int gzin_next(struct gzin *g);
/* up to n decompressed bytes of the stream: their count, 0 at its end, -1 on error */
ssize_t gzin_read(struct gzin *g, void *buf, size_t n);
/* the SHA-1 and SHA-256 of the compressed bytes of the stream just read to its end */
void gzin_digests(const struct gzin *g, uint8_t sha1[20], uint8_t sha256[32]);
/* the compressed bytes read so far */
long long gzin_offset(const struct gzin *g);
/* why the last call failed, one line */
const char *gzin_error(const struct gzin *g);
/* free it (NULL: nothing) */
void gzin_close(struct gzin *g);

/* one member of a tar stream */
struct tarmember {
	/* its path and link target as the tar holds them (pax records applied) */
	char *name, *link;
	/* its owner's and group's names (uname, gname), "" when none */
	char uname[33], gname[33];
	/* '0' a file, '1' a hard link, '2' a symlink, '5' a folder */
	char type;
	unsigned mode;
	long long uid, gid, size, mtime;
	/* APK-TOOLS.checksum.SHA1, when its pax header has one */
	int hassha1;
	uint8_t sha1[20];
	/* the bytes of its data not yet read, and the padding after them */
	long long left, pad;
};

/* the next member of the tar in g's current stream: 1, 0 at its end (the
   end-of-archive blocks or the stream's end at a member's boundary), -1 on
   error with why in err (bounded: names of 4 KB, pax headers of 64 KB) */
int apktar_next(struct gzin *g, struct tarmember *m, char *err, size_t len);
/* up to n bytes of the member's data: their count, 0 at its end, -1 on error */
ssize_t apktar_read(struct gzin *g, struct tarmember *m, void *buf, size_t n);
/* the rest of a member's data and padding read and dropped: 0, -1 on error */
int apktar_skip(struct gzin *g, struct tarmember *m);
/* free what a member holds */
void apktar_free(struct tarmember *m);
/* the whole of a member's data, at most max bytes, into *out (free it) and
   *outlen: 0, -1 on error or when larger */
int apktar_slurp(struct gzin *g, struct tarmember *m, size_t max, char **out, size_t *outlen);
