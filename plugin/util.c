#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <dlfcn.h>
#include <nettle/sha2.h>
#include "arc.h"
#include <jansson.h>
#include "util.h"

const char *argv0 = "imagegen";
int fatalstatus = 1;
#ifdef FUZZING
jmp_buf *fatalreturn;
#endif
/* a temporary file that a fatal error must not leave behind */
static char *pending;

void
removeonfatal(const char *path)
{
	free(pending);
	pending = path ? xstrdup(path) : NULL;
}

static void
vwarn(const char *fmt, va_list ap)
{
	size_t n = strlen(fmt);

	fprintf(stderr, "%s: ", argv0);
	vfprintf(stderr, fmt, ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(errno));
	fputc('\n', stderr);
}

void
warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	if (pending)
		unlink(pending);
#ifdef FUZZING
	/* a fuzz target takes an error back instead of the process ending */
	if (fatalreturn)
		longjmp(*fatalreturn, 1);
#endif
	exit(fatalstatus);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fatal("out of memory");
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		fatal("out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		fatal("out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vsnprintf:");
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static void
bufgrow(struct buf *b, size_t n)
{
	if (b->cap - b->len > n)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap - b->len <= n)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void
bufadd(struct buf *b, const void *data, size_t n)
{
	if (n == 0 && b->data)
		return;
	bufgrow(b, n);
	if (n == 0) {
		b->data[b->len] = '\0';
		return;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
bufstr(struct buf *b, const char *s)
{
	bufadd(b, s, strlen(s));
}

void
bufprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vsnprintf:");
	bufgrow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

size_t
utf8seq(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned long cp, min;
	size_t n, i;

	if (u[0] < 0x80)
		return u[0] ? 1 : 0;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, cp = u[0] & 0x1f, min = 0x80;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, cp = u[0] & 0x0f, min = 0x800;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, cp = u[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int
utf8valid(const char *s)
{
	size_t n;

	for (; *s; s += n) {
		n = utf8seq(s);
		if (n == 0)
			return 0;
	}
	return 1;
}

char *
utf8show(const char *s, int controls)
{
	struct buf b = {0};
	size_t n;

	bufadd(&b, "", 0);
	while (*s) {
		n = utf8seq(s);
		if (n == 0 || (controls && n == 1 && ((unsigned char)*s < 0x20 || *s == 0x7f))) {
			bufprintf(&b, "\\x%02x", (unsigned char)*s);
			s++;
			continue;
		}
		bufadd(&b, s, n);
		s += n;
	}
	return b.data;
}

json_t *
jsontext(const char *s)
{
	char *t = utf8show(s, 0);
	json_t *j = json_string(t);

	free(t);
	if (!j)
		fatal("out of memory");
	return j;
}

void
jsonset(json_t *o, const char *key, json_t *v)
{
	if (!v || json_object_set_new(o, key, v) < 0)
		fatal("out of memory");
}

void
jsonappend(json_t *a, json_t *v)
{
	if (!v || json_array_append_new(a, v) < 0)
		fatal("out of memory");
}

void
rfc3339(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		fatal("epoch %lld out of range", t);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *
showname(const char *name)
{
	static struct buf ring[4];
	static unsigned next;
	struct buf *out = &ring[next++ % 4];
	const unsigned char *p = (const unsigned char *)name;
	size_t n;

	out->len = 0;
	bufadd(out, "", 0);
	out->data[0] = '\0';
	while (*p) {
		n = utf8seq((const char *)p);
		if (n > 1 || (n == 1 && *p >= 0x20 && *p != 0x7f)) {
			bufadd(out, p, n);
			p += n;
			continue;
		}
		if (*p == '\n')
			bufstr(out, "\\n");
		else if (*p == '\t')
			bufstr(out, "\\t");
		else if (*p == '\r')
			bufstr(out, "\\r");
		else
			bufprintf(out, "\\x%02x", *p);
		p++;
	}
	return out->data;
}

int
readall(const char *path, struct buf *b)
{
	char tmp[65536];
	ssize_t n;
	int fd, saved;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	bufgrow(b, 0);
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		bufadd(b, tmp, (size_t)n);
	}
	close(fd);
	return 0;
}

char *
tmpname(const char *path)
{
	return xasprintf("%s.tmp%ld", path, (long)getpid());
}

void
sweepdead(const char *dir, const char *prefix)
{
	size_t n = strlen(prefix);
	struct dirent *de;
	char *end, *p;
	long pid;
	DIR *d = opendir(*dir ? dir : "/");

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, n) != 0)
			continue;
		pid = strtol(de->d_name + n, &end, 10);
		if (end == de->d_name + n || (*end && *end != '.') || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			p = xasprintf("%s/%s", dir, de->d_name);
			unlink(p);
			free(p);
		}
	}
	if (d)
		closedir(d);
}

void
sweeptmp(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char *dir = slash ? xasprintf("%.*s", (int)(slash - path), path) : xstrdup(".");
	char *prefix = xasprintf("%s.tmp", base);

	sweepdead(dir, prefix);
	free(prefix);
	free(dir);
}

int
mkdirs(const char *path)
{
	char *parent, *slash;
	int ret;

	/* the folder itself first: most often only the last one is missing */
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;
	parent = xstrdup(path);
	slash = strrchr(parent, '/');
	while (slash && slash > parent && slash[-1] == '/')
		slash--;
	if (!slash || slash == parent) {
		free(parent);
		return -1;
	}
	*slash = '\0';
	ret = mkdirs(parent);
	free(parent);
	if (ret < 0)
		return -1;
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

int
mkparent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int ret;

	if (!slash || slash == path)
		return 0;
	dir = xmalloc((size_t)(slash - path) + 1);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	ret = mkdirs(dir);
	free(dir);
	return ret;
}

static int
samecontent(const char *path, const void *data, size_t len)
{
	struct buf old = {0};
	int same;

	if (readall(path, &old) < 0)
		return 0;
	same = old.len == len && memcmp(old.data, data, len) == 0;
	free(old.data);
	return same;
}

int
replacefile(const char *path, const void *data, size_t len)
{
	char *tmp;
	int fd, saved;
	const char *p = data;
	ssize_t n;

	if (samecontent(path, data, len))
		return 0;
	tmp = tmpname(path);
	/* the folders are made when they are missing, not tried each time */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 && errno == ENOENT && mkparent(path) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		goto err;
	/* outputs are shared artifacts: readable by all whatever the umask */
	if (fchmod(fd, 0644) < 0)
		goto errclose;
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto errclose;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0)
		goto errunlink;
	if (rename(tmp, path) < 0)
		goto errunlink;
	free(tmp);
	return 1;
errclose:
	saved = errno;
	close(fd);
	errno = saved;
errunlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
err:
	free(tmp);
	return -1;
}

int
xreplacefile(const char *path, const void *data, size_t len)
{
	int ret = replacefile(path, data, len);

	if (ret < 0)
		fatal("write %s:", path);
	return ret;
}

int makemode;

int
updatefile(const char *path, const void *data, size_t len)
{
	int ret = xreplacefile(path, data, len);

	if (ret == 0 && makemode && utimensat(AT_FDCWD, path, NULL, 0) < 0)
		fatal("touch %s:", path);
	return ret;
}

/*
 * The digests are nettle's, which libarchive loads anyway: libcrypto and
 * the 2.5 million instructions of relocating it would otherwise be in every
 * helper's start-up, and only trust stores need more than digests (trust.c
 * loads it for them).
 */
struct sha256 {
	struct sha256_ctx c;
};

struct sha256 *
sha256new(void)
{
	struct sha256 *ctx = xmalloc(sizeof(*ctx));

	sha256_init(&ctx->c);
	return ctx;
}

void
sha256add(struct sha256 *ctx, const void *data, size_t n)
{
	sha256_update(&ctx->c, n, data);
}

void
sha256free(struct sha256 *ctx)
{
	free(ctx);
}

void
hexstr(const unsigned char *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	/* not sprintf: 32 calls of it took longer than hashing a spec */
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sha256done(struct sha256 *ctx, char hex[65])
{
	unsigned char md[SHA256_DIGEST_SIZE];

	sha256_digest(&ctx->c, sizeof(md), md);
	free(ctx);
	hexstr(md, sizeof(md), hex);
}

int
sha256file(const char *path, char hex[65])
{
	char chunk[1 << 16];
	struct sha256 *ctx;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ctx = sha256new();
	while ((r = read(fd, chunk, sizeof(chunk))) > 0) {
		sha256add(ctx, chunk, (size_t)r);
	}
	close(fd);
	sha256done(ctx, hex);
	return r < 0 ? -1 : 0;
}

int
sha256verify(const char *path, const char *hex)
{
	char have[65];

	return sha256file(path, have) == 0 && strcmp(have, hex) == 0 ? 0 : -1;
}

void
sha256hex(const void *data, size_t len, char hex[65])
{
	struct sha256 *ctx = sha256new();

	sha256add(ctx, data, len);
	sha256done(ctx, hex);
}

const char *
libopen(struct lib *l)
{
	static char err[512];

	if (!l->handle)
		l->handle = dlopen(l->soname, RTLD_LAZY | RTLD_LOCAL);
	if (l->handle)
		return NULL;
	snprintf(err, sizeof(err), "%s; %s need %s: apt-get install %s", dlerror(), l->needs, l->name, l->package);
	return err;
}

void
libload(struct lib *l)
{
	const char *err = libopen(l);

	if (err)
		fatal("%s", err);
}

void
libfn(struct lib *l, const char *name, void *fn, size_t size)
{
	void *sym;

	libload(l);
	sym = dlsym(l->handle, name);
	if (!sym || size != sizeof(sym))
		fatal("%s has no %s: a %s older than imagegen needs (apt-get install %s)", l->soname, name, l->name,
		      l->package);
	memcpy(fn, &sym, sizeof(sym));
}

const char *
cachedir(void)
{
	static char *dir;
	const char *e;

	if (dir)
		return dir;
	if ((e = getenv("IMAGEGEN_CACHE")) && *e)
		dir = xstrdup(e);
	else if ((e = getenv("XDG_CACHE_HOME")) && *e)
		dir = xasprintf("%s/imagegen", e);
	else
		dir = xasprintf("%s/.cache/imagegen", (e = getenv("HOME")) && *e ? e : "/tmp");
	return dir;
}

const char *
humansize(long long n, char out[32])
{
	static const char *const unit[] = {"kB", "MB", "GB", "TB", "PB"};
	double v = (double)n;
	int i = -1;

	if (n < 1000) {
		snprintf(out, 32, "%lld B", n);
		return out;
	}
	while (v >= 999.95 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(out, 32, "%.1f %s", v, unit[i]);
	return out;
}

const char *
hostarch(void)
{
	static const char *const map[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "386"}, {"i386", "386"},
		{"armv7l", "arm"}, {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
	};
	static struct utsname u;
	size_t i;

	if (!*u.machine && uname(&u) < 0)
		return "unknown";
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(u.machine, map[i][0]) == 0)
			return map[i][1];
	}
	return u.machine;
}

long long
sourcedate(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long t;

	if (!s || !*s)
		return 0;
	errno = 0;
	t = strtoll(s, &end, 10);
	if (errno || *end || t < 0 || t > 253402300799LL)
		fatal("SOURCE_DATE_EPOCH '%s' is not a number of seconds from 1970 to 9999", s);
	return t;
}

const char *
archiveerr(struct archive *a)
{
	const char *s = a ? archive_error_string(a) : NULL;

	if (s)
		return s;
	return a && archive_errno(a) ? strerror(archive_errno(a)) : "unknown error";
}

/* a JSON file parsed with jansson's flags, or exit naming the file and line */
static json_t *
loadjson(const char *path, size_t flags)
{
	json_error_t err;
	json_t *j = json_load_file(path, flags, &err);

	if (!j && err.line < 0)
		fatal("%s: %s", path, err.text);
	if (!j)
		fatal("%s:%d: %s", path, err.line, err.text);
	return j;
}

json_t *
readjson(const char *path)
{
	return loadjson(path, 0);
}

const char *specbundle;

json_t *
readspec(const char *path, size_t flags)
{
	json_t *bundle, *j;

	if (!specbundle)
		return loadjson(path, flags);
	/* the other parts of a bundle may carry escaped bytes (nodes.c) */
	bundle = loadjson(specbundle, flags | JSON_ALLOW_NUL);
	if (!(j = json_object_get(bundle, path))) {
		json_decref(bundle);
		fatal("%s: no spec %s in it; run imagegen again", specbundle, path);
	}
	json_incref(j);
	json_decref(bundle);
	return j;
}

char *
dumpjson(const json_t *j)
{
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);

	if (!s)
		fatal("out of memory");
	return s;
}
