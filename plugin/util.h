/* util: errors, memory, strings and files shared by every module */
#include <stddef.h>

struct archive;

#ifdef __GNUC__
#define NORETURN __attribute__((noreturn))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NORETURN
#define PRINTF(f, a)
#endif

/* growable byte buffer; data is always NUL-terminated */
struct buf {
	char *data;
	size_t len, cap;
};

#ifdef FUZZING
#include <setjmp.h>
/* fuzz builds: where fatal returns to, instead of exiting, when set */
extern jmp_buf *fatalreturn;
#endif

/* the program name used as the prefix of every message */
extern const char *argv0;

/* the status fatal exits with: 1, unless a command says otherwise (diff: 2) */
extern int fatalstatus;
/* print "imagegen: msg" (a trailing ':' appends strerror(errno)) and exit fatalstatus */
NORETURN void fatal(const char *fmt, ...) PRINTF(1, 2);
/* remove path if fatal is called before it is cleared (NULL clears) */
void removeonfatal(const char *path);
/* print "imagegen: msg" like fatal, without exiting */
void warn(const char *fmt, ...) PRINTF(1, 2);
/* allocate, or exit on failure */
void *xmalloc(size_t n);
/* allocate zeroed, or exit on failure */
void *xcalloc(size_t nmemb, size_t size);
/* resize, or exit on failure */
void *xrealloc(void *p, size_t n);
/* duplicate a string, or exit on failure */
char *xstrdup(const char *s);
/* printf into a new string */
char *xasprintf(const char *fmt, ...) PRINTF(1, 2);
/* append n bytes to b */
void bufadd(struct buf *b, const void *data, size_t n);
/* append a string to b */
void bufstr(struct buf *b, const char *s);
/* append formatted text to b */
void bufprintf(struct buf *b, const char *fmt, ...) PRINTF(2, 3);
/* the length of the valid UTF-8 sequence at s (no overlong forms, surrogates
   or code points past U+10FFFF), 0 if there is none */
size_t utf8seq(const char *s);
/* whether s is valid UTF-8 throughout */
int utf8valid(const char *s);
/* a file name for a message, on one line: control characters and bytes
   that are not UTF-8 as \n, \t, \r or \xHH; in one of four static buffers
   used in turn, so that one message can show four names */
const char *showname(const char *name);
/* read a whole file into b; -1 with errno set on failure */
int readall(const char *path, struct buf *b);
/* "path.tmp<pid>": where this process writes path before renaming it (free it) */
char *tmpname(const char *path);
/* remove the files of dir named PREFIX<pid>[.anything] whose writer, pid,
   is no longer running (what a kill -9 leaves) */
void sweepdead(const char *dir, const char *prefix);
/* sweepdead of path's tmpname siblings */
void sweeptmp(const char *path);
/* make the directory and its parents (mode 0755); -1 on failure */
int mkdirs(const char *path);
/* make the parent directories of path; -1 on failure */
int mkparent(const char *path);
/* write data to path via a temporary file and rename, unless path already
   holds exactly these bytes; 1 if written, 0 if unchanged, -1 on failure */
int replacefile(const char *path, const void *data, size_t len);
/* like replacefile, but exits with a message on failure */
int xreplacefile(const char *path, const void *data, size_t len);
/* make mode (helpers run by make): an output that did not change still gets
   a new mtime, and a helper reports what it changed on stdout */
extern int makemode;
/* xreplacefile, then in make mode touch path if it was unchanged */
int updatefile(const char *path, const void *data, size_t len);
/* n bytes in lower-case hex: 2n characters and a NUL at out */
void hexstr(const unsigned char *bytes, size_t n, char *out);
/* a running sha256 */
struct sha256;
/* a new sha256, ready for sha256add; exits on failure */
struct sha256 *sha256new(void);
/* hash n more bytes */
void sha256add(struct sha256 *ctx, const void *data, size_t n);
/* finish a sha256: its digest in hex[65] (lower case), and free it */
void sha256done(struct sha256 *ctx, char hex[65]);
/* free a sha256 that will not be finished (NULL: nothing) */
void sha256free(struct sha256 *ctx);
/* the sha256 of a file's contents in hex[65]; -1 if it cannot be read */
int sha256file(const char *path, char hex[65]);
/* 0 if the file at path exists and its sha256 is hex, else -1 */
int sha256verify(const char *path, const char *hex);
/* the hex digits of the sha256 of data, in hex[65] */
void sha256hex(const void *data, size_t len, char hex[65]);
/* a shared library loaded when it is first needed (dlopen), not at start */
struct lib {
	/* "libcurl", its soname, the package that has it, what needs it ("trust stores") */
	const char *name, *soname, *package, *needs;
	void *handle;
};
/* load l if it is not yet: NULL, or why not in one line naming the package to install */
const char *libopen(struct lib *l);
/* load l if it is not yet, or exit with libopen's line */
void libload(struct lib *l);
/* the function name of l into the function pointer at fn (of size bytes: C has
   no cast between object and function pointers); exits if l has none */
void libfn(struct lib *l, const char *name, void *fn, size_t size);
/* the download cache: $IMAGEGEN_CACHE, $XDG_CACHE_HOME/imagegen or ~/.cache/imagegen */
const char *cachedir(void);
/* n bytes for people: "512 B", "1.2 kB", "3.4 MB" (powers of 1000) in out */
const char *humansize(long long n, char out[32]);
/* this machine's architecture in OCI's words (amd64, arm64, ...) */
const char *hostarch(void);
/* SOURCE_DATE_EPOCH, or the default (0) when unset; exits if malformed */
long long sourcedate(void);
/* libarchive's message for its last error, never NULL */
const char *archiveerr(struct archive *a);
/* s with each byte that is not part of valid UTF-8 (and with controls set,
   each control character) as \xHH, in a new string */
char *utf8show(const char *s, int controls);
/* a JSON string of s as utf8show(s, 0) shows it; exits on failure */
struct json_t *jsontext(const char *s);
/* set o[key] = v (taking v over), or exit: v NULL means out of memory */
void jsonset(struct json_t *o, const char *key, struct json_t *v);
/* append v to a (taking it over), or exit */
void jsonappend(struct json_t *a, struct json_t *v);
/* seconds since 1970 as RFC 3339 UTC, "1970-01-01T00:00:00Z", in out[32] */
void rfc3339(long long t, char out[32]);
/* parse a JSON file, or exit naming the file and line */
struct json_t *readjson(const char *path);
/* the file that holds the generator's specs (a helper's --part BUNDLE SUM),
   one JSON object keyed by their paths; NULL: each spec is its own file */
extern const char *specbundle;
/* the spec at path, from specbundle or else its own file, parsed with
   jansson's flags; exits naming what is wrong */
struct json_t *readspec(const char *path, size_t flags);
/* canonical JSON text (sorted keys, no insignificant whitespace); free it */
char *dumpjson(const struct json_t *j);
