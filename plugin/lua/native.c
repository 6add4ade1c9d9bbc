/*
 * native: the module "imagegen.native", through which imagegen's own Lua
 * modules reach the system: files, JSON, digests, downloads, registries,
 * and (implemented in debian.c) Debian's formats. Definitions never see
 * it: they run in the sandbox imagegen.lang builds from these primitives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <jansson.h>
#include <lua.h>
#include <lauxlib.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/file.h"
#include "base/digest.h"
#include "base/env.h"
#include "base/names.h"
#include "net/fetch.h"
#include "net/registry.h"
#include "debian/debian.h"
#include "debian/trust.h"
#include "debian/ldcache.h"
#include "lua/native.h"
#include "lua/glob.h"
#include "lua/apknative.h"

/* native.readfile(path) -> contents | nil, message: a regular file only */
static int
l_readfile(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct stat st;
	size_t have = 0, size;
	char *data;
	ssize_t n;
	int fd;

	if (stat(path, &st) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, strerror(errno));
		return 2;
	}
	if (!S_ISREG(st.st_mode)) {
		luaL_pushfail(L);
		lua_pushstring(L, "not a regular file");
		return 2;
	}
	size = (size_t)st.st_size;
	data = lua_newuserdatauv(L, size + 1, 0);  /* the buffer, the collector's to free */
	/* nothing below raises while fd is open */
	fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		luaL_pushfail(L);
		lua_pushstring(L, fd < 0 ? strerror(errno) : "not a regular file");
		return 2;
	}
	while (have < size && (n = read(fd, data + have, size - have)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return luaL_error(L, "read %s: %s", path, strerror(errno));
		}
		have += (size_t)n;
	}
	close(fd);
	lua_pushlstring(L, data, have);  /* the contents */
	return 1;
}

/* native.realpath(path) -> the absolute path with every symlink resolved | nil, message */
static int
l_realpath(lua_State *L)
{
	char p[PATH_MAX];

	if (!realpath(luaL_checkstring(L, 1), p)) {
		luaL_pushfail(L);
		lua_pushstring(L, strerror(errno));
		return 2;
	}
	lua_pushstring(L, p);
	return 1;
}

/* native.stat(path) -> "file"|"dir"|"link"|"other", mode | nil, message */
static int
l_stat(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct stat st;
	const char *type = "other";

	if (lstat(path, &st) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, strerror(errno));
		return 2;
	}
	if (S_ISLNK(st.st_mode) && stat(path, &st) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, errno == ELOOP ? "symlink loop" : strerror(errno));
		return 2;
	}
	if (S_ISREG(st.st_mode))
		type = "file";
	else if (S_ISDIR(st.st_mode))
		type = "dir";
	lua_pushstring(L, type);
	lua_pushinteger(L, st.st_mode & 07777);
	return 2;
}

/* native.listdir(path) -> sorted array of names | nil, message */
static int
l_listdir(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	DIR *d = opendir(path);
	struct dirent *de;
	int i = 0;

	if (!d) {
		luaL_pushfail(L);
		lua_pushstring(L, strerror(errno));
		return 2;
	}
	lua_newtable(L);  /* the names */
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		lua_pushstring(L, de->d_name);
		lua_rawseti(L, -2, ++i);
	}
	closedir(d);
	lua_getglobal(L, "table");
	lua_getfield(L, -1, "sort");
	lua_pushvalue(L, -3);
	lua_call(L, 1, 0);  /* table.sort(names) */
	lua_pop(L, 1);  /* table */
	return 1;
}

/* native.writefile(path, data) -> true if written, false if unchanged */
static int
l_writefile(lua_State *L)
{
	size_t len;
	const char *path = luaL_checkstring(L, 1);
	const char *data = luaL_checklstring(L, 2, &len);
	int ret = replacefile(path, data, len);

	if (ret < 0)
		return luaL_error(L, "write %s: %s", path, strerror(errno));
	lua_pushboolean(L, ret);
	return 1;
}

/* a thread whose signals are blocked: the interpreter's thread takes them
   (the CPU budget's timer, an interrupt) */
int
native_thread(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, was;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &was);
	ret = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	return ret;
}

/*
 * native.writefiles(files) -> a writer: each { path = ..., text = ... } of
 * the list written as native.writefile writes it (a file that holds the
 * text already is left as it is), by a thread of its own while the
 * interpreter goes on (at 10,000 images, 10,000 spec files: a tenth of
 * generating them, mostly the kernel's). In two steps: the temporaries
 * first; writer:commit() -> true, or nil and the first error (as writefile
 * raises it): they are renamed over the files, by the thread again;
 * writer:wait() -> true, or nil and the first error, when all are. A
 * writer closed (local w <close>, or collected) before its commit removes
 * its temporaries and the folders that are left empty: an error meanwhile
 * (in the rules, made while the temporaries are written) leaves the files
 * as they were. The list is the writer's (its user value): the thread
 * reads its strings, which Lua does not move.
 */
struct wfile {
	const char *path, *data;
	size_t len;
	char *tmp;  /* its temporary, until renamed; NULL: unchanged */
};

struct writer {
	pthread_t thread;
	int running, step;  /* step 1: the temporaries; 2: the renames */
	struct wfile *files;
	size_t n;
	char err[PATH_MAX + 128];  /* the first error, or "" */
};

static void
writerfail(struct writer *w, const char *path)
{
	snprintf(w->err, sizeof w->err, "write %s: %s", path, strerror(errno));
}

static void *
writerun(void *arg)
{
	struct writer *w = arg;
	size_t i;

	for (i = 0; i < w->n && !w->err[0]; i++) {
		struct wfile *f = &w->files[i];
		int fd;

		if (w->step == 2) {
			if (f->tmp && rename(f->tmp, f->path) < 0)
				writerfail(w, f->path);
			else if (f->tmp) {
				free(f->tmp);
				f->tmp = NULL;
			}
			continue;
		}
		if (samecontent(f->path, f->data, f->len))
			continue;
		if ((fd = outopen(f->path, &f->tmp)) < 0) {
			f->tmp = NULL;
			writerfail(w, f->path);
		} else if (writeall(fd, f->data, f->len) < 0) {
			writerfail(w, f->path);
			outabort(fd, f->tmp);  /* closed, removed, freed */
			f->tmp = NULL;
		} else if (close(fd) < 0) {
			writerfail(w, f->path);
		}
	}
	return NULL;
}

static struct writer *
checkwriter(lua_State *L)
{
	return luaL_checkudata(L, 1, "imagegen.writer");
}

/* the thread done with its step */
static void
writerjoin(struct writer *w)
{
	if (w->running)
		pthread_join(w->thread, NULL);
	w->running = 0;
}

/* every temporary left removed, then the folders of the files that are
   left empty (those the temporaries made); the list let go */
static void
writerclean(lua_State *L, struct writer *w)
{
	size_t i;

	writerjoin(w);
	for (i = 0; i < w->n; i++) {
		char *dir, *slash;

		if (!w->files[i].tmp)
			continue;
		unlink(w->files[i].tmp);
		free(w->files[i].tmp);
		dir = xstrdup(w->files[i].path);
		while ((slash = strrchr(dir, '/')) && slash != dir) {
			*slash = '\0';
			if (rmdir(dir) < 0)
				break;
		}
		free(dir);
	}
	free(w->files);
	w->files = NULL;
	w->n = 0;
	lua_pushnil(L);
	lua_setiuservalue(L, 1, 1);
}

static int
writerresult(lua_State *L, struct writer *w)
{
	if (w->err[0]) {
		writerclean(L, w);
		luaL_pushfail(L);
		lua_pushstring(L, w->err);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

static int
writer_commit(lua_State *L)
{
	struct writer *w = checkwriter(L);

	writerjoin(w);
	if (w->step != 1 || w->err[0])
		return writerresult(L, w);
	w->step = 2;
	if (native_thread(&w->thread, writerun, w) == 0)
		w->running = 1;
	else
		writerun(w);  /* no thread: here and now */
	return writerresult(L, w);
}

static int
writer_wait(lua_State *L)
{
	struct writer *w = checkwriter(L);

	writerjoin(w);
	if (w->step != 2)
		return luaL_error(L, "writefiles: wait before commit");
	return writerresult(L, w);
}

static int
writer_close(lua_State *L)
{
	writerclean(L, checkwriter(L));
	return 0;
}

static int
l_writefiles(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{"commit", writer_commit},
		{"wait", writer_wait},
		{NULL, NULL},
	};
	lua_Integer i, n;
	struct writer *w;

	luaL_checktype(L, 1, LUA_TTABLE);
	n = luaL_len(L, 1);
	w = lua_newuserdatauv(L, sizeof(*w), 1);
	memset(w, 0, sizeof(*w));
	if (luaL_newmetatable(L, "imagegen.writer")) {
		lua_pushcfunction(L, writer_close);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, writer_close);
		lua_setfield(L, -2, "__close");
		luaL_newlib(L, methods);
		lua_setfield(L, -2, "__index");
	}
	lua_setmetatable(L, -2);
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 1);  /* the list, kept while the thread reads it */
	w->files = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*w->files));
	for (i = 1; i <= n; i++) {
		struct wfile *f = &w->files[i - 1];

		lua_geti(L, 1, i);
		if (lua_getfield(L, -1, "path") != LUA_TSTRING || lua_getfield(L, -2, "text") != LUA_TSTRING)
			return luaL_error(L, "writefiles: entry %d has no path or text", (int)i);
		f->path = lua_tostring(L, -2);
		f->data = lua_tolstring(L, -1, &f->len);
		lua_pop(L, 3);
	}
	w->n = (size_t)n;
	w->step = 1;
	if (native_thread(&w->thread, writerun, w) == 0)
		w->running = 1;
	else
		writerun(w);  /* no thread: here and now */
	return 1;
}

/*
 * native.fileid(path) -> "DEV INO SIZE MTIME CTIME" (nanoseconds) | nil: what
 * changes when a file is written or replaced, for a digest kept beside it
 * (imagegen.regen: the binary's, not hashed again while this is the same)
 */
static int
l_fileid(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		luaL_pushfail(L);
		return 1;
	}
	lua_pushfstring(L, "%I %I %I %I.%I %I.%I", (lua_Integer)st.st_dev, (lua_Integer)st.st_ino,
	    (lua_Integer)st.st_size, (lua_Integer)st.st_mtim.tv_sec, (lua_Integer)st.st_mtim.tv_nsec,
	    (lua_Integer)st.st_ctim.tv_sec, (lua_Integer)st.st_ctim.tv_nsec);
	return 1;
}

/* bytes i to j (from 1) of the file at path written to fd, a chunk at a
   time; 0, or -1 with errno (a file shorter than j: EIO) */
static int
copyrange(int fd, const char *path, lua_Integer i, lua_Integer j)
{
	char chunk[65536];
	int src = open(path, O_RDONLY), saved;

	if (src < 0)
		return -1;
	while (i <= j) {
		size_t want = (size_t)(j - i + 1) < sizeof chunk ? (size_t)(j - i + 1) : sizeof chunk;
		ssize_t got = pread(src, chunk, want, (off_t)(i - 1));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || writeall(fd, chunk, (size_t)got) < 0) {
			saved = got == 0 ? EIO : errno;
			close(src);
			errno = saved;
			return -1;
		}
		i += got;
	}
	close(src);
	return 0;
}

/*
 * native.writeparts(path, parts): write the parts one after another to path
 * via a temporary file and rename, as writefile does but without reading
 * what path holds first (for a file known to change). A part is a string,
 * or { string, i, j }: its bytes i to j (as string.sub), or { p, i, j, true }:
 * bytes i to j of file p (path itself: what it held before), so that a big
 * file is written from pieces of its old text without copies.
 */
static int
l_writeparts(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	lua_Integer k, n, i, j;
	const char *p;
	size_t len;
	char *tmp;
	int fd, file;

	luaL_checktype(L, 2, LUA_TTABLE);
	n = luaL_len(L, 2);
	/* every part checked before the file is opened: nothing below raises */
	for (k = 1; k <= n; k++) {
		int t = lua_rawgeti(L, 2, k);

		if (t == LUA_TTABLE) {
			int ok = lua_rawgeti(L, -1, 1) == LUA_TSTRING && lua_rawgeti(L, -2, 2) == LUA_TNUMBER &&
			    lua_rawgeti(L, -3, 3) == LUA_TNUMBER && lua_isinteger(L, -1) && lua_isinteger(L, -2);

			lua_pop(L, 3);
			if (!ok)
				return luaL_error(L, "writeparts: part %d is not { string, i, j }", (int)k);
		} else if (t != LUA_TSTRING) {
			return luaL_error(L, "writeparts: part %d is not a string", (int)k);
		}
		lua_pop(L, 1);
	}
	if ((fd = outopen(path, &tmp)) < 0)
		return luaL_error(L, "write %s: %s", path, strerror(errno));
	for (k = 1; k <= n; k++) {
		if (lua_rawgeti(L, 2, k) == LUA_TTABLE) {
			lua_rawgeti(L, -1, 1);
			p = lua_tolstring(L, -1, &len);
			lua_rawgeti(L, -2, 2);
			lua_rawgeti(L, -3, 3);
			lua_rawgeti(L, -4, 4);  /* whether the string is a file's path */
			i = lua_tointeger(L, -3);
			j = lua_tointeger(L, -2);
			file = lua_toboolean(L, -1);
			lua_pop(L, 5);  /* the part's table still holds the string */
			if (i < 1)
				i = 1;
			if (file) {
				if (copyrange(fd, p, i, j) < 0)
					goto err;
				continue;
			}
			if (j > (lua_Integer)len)
				j = (lua_Integer)len;
			p += i - 1;
			len = j >= i ? (size_t)(j - i + 1) : 0;
		} else {
			p = lua_tolstring(L, -1, &len);
			lua_pop(L, 1);  /* the table still holds it */
		}
		if (writeall(fd, p, len) < 0)
			goto err;
	}
	if (outcommit(fd, tmp, path) < 0)
		return luaL_error(L, "write %s: %s", path, strerror(errno));
	lua_pushboolean(L, 1);
	return 1;
err:
	outabort(fd, tmp);
	return luaL_error(L, "write %s: %s", path, strerror(errno));
}

/* native.touch(path): set a file's mtime to now */
static int
l_touch(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);

	if (utimensat(AT_FDCWD, path, NULL, 0) < 0)
		return luaL_error(L, "touch %s: %s", path, strerror(errno));
	return 0;
}

static void
pushjson(lua_State *L, json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		lua_createtable(L, 0, (int)json_object_size(j));  /* the object */
		json_object_foreach(j, key, v) {
			pushjson(L, v);
			lua_setfield(L, -2, key);
		}
		break;
	case JSON_ARRAY:
		lua_createtable(L, (int)json_array_size(j), 0);  /* the array */
		json_array_foreach(j, i, v) {
			pushjson(L, v);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	case JSON_STRING:
		lua_pushlstring(L, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		lua_pushinteger(L, (lua_Integer)json_integer_value(j));
		break;
	case JSON_REAL:
		lua_pushnumber(L, json_real_value(j));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		lua_pushboolean(L, json_is_true(j));
		break;
	case JSON_NULL:
		lua_pushnil(L);
		break;
	}
}

/* native.jsondecode(text) -> value | nil, message */
static int
l_jsondecode(lua_State *L)
{
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	json_error_t err;
	json_t *j = json_loadb(text, len, JSON_DECODE_ANY, &err);

	if (!j) {
		luaL_pushfail(L);
		lua_pushfstring(L, "line %d: %s", err.line, err.text);
		return 2;
	}
	/* only exhausted memory can raise here, which would leak j */
	lua_checkstack(L, 64);
	pushjson(L, j);
	json_decref(j);
	return 1;
}

/*
 * native.jsonencode(value, arraymt, rawmt [, newline]): canonical JSON, as
 * imagegen.json describes it (and hands over its two metatables): object
 * keys sorted by their bytes, no whitespace, integers only; a string's
 * bytes that are not UTF-8 as \u0000 then \u00XX; and a newline after it
 * when newline is true (a file's text, without a copy to add it). The text
 * grows in a box that the collector frees, so an error leaks nothing.
 */
enum { JSONDEPTH = 200, JSONKEYS = 16 };

/* an object's key, pointing into the table being encoded */
struct jsonkey {
	const char *s;
	size_t len;
	int value;  /* the stack index of its value */
};

static int
boxgc(lua_State *L)
{
	struct buf *b = lua_touserdata(L, 1);

	free(b->data);
	b->data = NULL;
	return 0;
}

/* an empty buffer on the stack whose bytes are freed with it (a box:
   freed by the collector even when an error leaves it behind) */
static struct buf *
newbox(lua_State *L)
{
	struct buf *b = lua_newuserdatauv(L, sizeof(*b), 0);

	memset(b, 0, sizeof(*b));
	if (luaL_newmetatable(L, "imagegen.buf")) {
		lua_pushcfunction(L, boxgc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	return b;
}

static int
keycmp(const void *a, const void *b)
{
	const struct jsonkey *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void
jsonstring(struct buf *b, const char *s, size_t len)
{
	/* the escapes of \b \t \n (\v has none) \f \r, two characters each */
	static const char esc[] = "\\b\\t\\n\\v\\f\\r";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run, n;

	bufadd(b, "\"", 1);
	while (i < len) {
		for (run = i; i < len && u[i] >= 0x20 && u[i] != '"' && u[i] != '\\' && u[i] < 0x80; i++)
			;
		bufadd(b, s + run, i - run);
		if (i == len)
			break;
		n = 1;
		if (u[i] == '"' || u[i] == '\\') {
			bufadd(b, "\\", 1);
			bufadd(b, s + i, 1);
		} else if (u[i] >= '\b' && u[i] <= '\r' && u[i] != '\v') {
			bufadd(b, esc + 2 * (u[i] - '\b'), 2);
		} else if (u[i] < 0x20) {
			bufprintf(b, "\\u%04x", u[i]);
		} else if ((n = utf8seq(s + i)) == 0) {
			/* not UTF-8 (Lua strings end in a NUL, where utf8seq stops) */
			bufprintf(b, "\\u0000\\u%04x", u[i]);
			n = 1;
		} else {
			bufadd(b, s + i, n);
		}
		i += n;
	}
	bufadd(b, "\"", 1);
}

/* the value at idx (an absolute index) appended to b */
static void
jsonvalue(lua_State *L, int idx, struct buf *b, int depth)
{
	struct jsonkey few[JSONKEYS], *keys;
	size_t len, n, i;
	const char *s;
	int raw, boxed;

	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		jsonstring(b, s, len);
		return;
	case LUA_TNUMBER:
		if (!lua_isinteger(L, idx))
			luaL_error(L, "json: only integers are encoded");
		bufprintf(b, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
		return;
	case LUA_TBOOLEAN:
		bufstr(b, lua_toboolean(L, idx) ? "true" : "false");
		return;
	case LUA_TTABLE:
		break;
	default:
		luaL_error(L, "json: cannot encode a %s", luaL_typename(L, idx));
	}
	if (depth > JSONDEPTH)
		luaL_error(L, "json: nested more than %d deep", JSONDEPTH);
	luaL_checkstack(L, 8, "json");
	raw = 0;
	if (lua_getmetatable(L, idx)) {
		raw = lua_rawequal(L, -1, 3) ? 2 : lua_rawequal(L, -1, 2);
		lua_pop(L, 1);  /* the metatable */
	}
	if (raw == 2) {
		if (lua_rawgeti(L, idx, 1) != LUA_TSTRING)
			luaL_error(L, "json: raw text that is not a string");
		s = lua_tolstring(L, -1, &len);
		bufadd(b, s, len);
		lua_pop(L, 1);  /* the text */
		return;
	}
	lua_geti(L, idx, 1);
	if (raw || !lua_isnil(L, -1)) {
		bufadd(b, "[", 1);
		for (i = 1; !lua_isnil(L, -1); i++) {
			if (i > 1)
				bufadd(b, ",", 1);
			jsonvalue(L, lua_gettop(L), b, depth + 1);
			lua_pop(L, 1);  /* the element */
			lua_geti(L, idx, (lua_Integer)i + 1);
		}
		lua_pop(L, 1);  /* the nil after the last */
		bufadd(b, "]", 1);
		return;
	}
	lua_pop(L, 1);  /* t[1], nil */
	for (n = 0, lua_pushnil(L); lua_next(L, idx); n++)
		lua_pop(L, 1);  /* the value */
	/* the keys, in order: most objects have a few, kept on the C stack */
	boxed = n > JSONKEYS;
	keys = boxed ? lua_newuserdatauv(L, n * sizeof(*keys), 0) : few;
	/* the values stay on the stack, in the table's order: a key found again
	   by its string would be hashed again */
	luaL_checkstack(L, (int)(n < INT_MAX - 8 ? n : INT_MAX - 8) + 8, "json");
	for (i = 0, lua_pushnil(L); lua_next(L, idx); i++) {
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "json: an object's keys must be strings");
		keys[i].s = lua_tolstring(L, -2, &keys[i].len);
		lua_insert(L, -2);  /* the key back on top, for lua_next */
		keys[i].value = lua_gettop(L) - 1;
	}
	qsort(keys, n, sizeof(*keys), keycmp);
	bufadd(b, "{", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			bufadd(b, ",", 1);
		jsonstring(b, keys[i].s, keys[i].len);
		bufadd(b, ":", 1);
		jsonvalue(L, keys[i].value, b, depth + 1);
	}
	bufadd(b, "}", 1);
	lua_pop(L, (int)n + boxed);  /* the values, and the keys' box */
}

static int
l_jsonencode(lua_State *L)
{
	/* one buffer kept between calls, not one made and freed for each (a
	   generation encodes tens of thousands of texts); a call while it is in
	   use, or after a call that raised, has a box of its own */
	static struct buf kept;
	static int keptbusy;
	struct buf *b = &kept;
	int newline = lua_toboolean(L, 4);

	lua_settop(L, 3);
	if (keptbusy)
		b = newbox(L);  /* the text's box */
	keptbusy = 1;
	b->len = 0;
	bufadd(b, "", 0);
	jsonvalue(L, 1, b, 0);
	if (newline)
		bufadd(b, "\n", 1);
	lua_pushlstring(L, b->data, b->len);
	if (b == &kept) {
		keptbusy = 0;
	} else {
		free(b->data);
		b->data = NULL;
	}
	return 1;
}

/*
 * native.lines() -> a build file's text as it is written, a line at a time
 * (rules/ninja.lua): lines:add(...) appends its arguments, strings, and a
 * newline; lines:text() is the text so far, lines:len() its length. A
 * build file of 10,000 images is millions of pieces: kept in a Lua table
 * and concatenated at the end, they were a table slot each, and each
 * line's arguments a table.
 */
static struct buf *
checklines(lua_State *L)
{
	return luaL_checkudata(L, 1, "imagegen.lines");
}

static int
lines_add(lua_State *L)
{
	struct buf *b = checklines(L);
	int i, n = lua_gettop(L);
	size_t len;
	const char *s;

	for (i = 2; i <= n; i++) {
		s = luaL_checklstring(L, i, &len);
		bufadd(b, s, len);
	}
	bufadd(b, "\n", 1);
	return 0;
}

static int
lines_len(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)checklines(L)->len);
	return 1;
}

static int
lines_text(lua_State *L)
{
	struct buf *b = checklines(L);

	lua_pushlstring(L, b->data ? b->data : "", b->len);  /* the text */
	return 1;
}

static int
l_lines(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{"add", lines_add},
		{"text", lines_text},
		{"len", lines_len},
		{NULL, NULL},
	};
	struct buf *b = lua_newuserdatauv(L, sizeof(*b), 0);  /* the text's box */

	memset(b, 0, sizeof(*b));
	if (luaL_newmetatable(L, "imagegen.lines")) {
		lua_pushcfunction(L, boxgc);
		lua_setfield(L, -2, "__gc");
		luaL_newlib(L, methods);  /* its methods */
		lua_setfield(L, -2, "__index");
	}
	lua_setmetatable(L, -2);
	return 1;
}

/* native.usage() -> the usage of writing the build file and of lock, a line a form */
static int
l_usage(lua_State *L)
{
	lua_pushliteral(L, USAGE_GENERATE "\n" USAGE_LOCK);
	return 1;
}

/* native.downloaddir() -> the download folder ($IMAGEGEN_CACHE) */
static int
l_downloaddir(lua_State *L)
{
	lua_pushstring(L, downloaddir());
	return 1;
}

/* native.exe() -> absolute path of this program */
static int
l_exe(lua_State *L)
{
	char p[PATH_MAX];

	if (!realpath("/proc/self/exe", p))
		return luaL_error(L, "cannot find the imagegen binary: %s", strerror(errno));
	lua_pushstring(L, p);
	return 1;
}

/* native.sourcedate() -> SOURCE_DATE_EPOCH or 0 */
static int
l_sourcedate(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)sourcedate());
	return 1;
}

/* native.arch() -> the host's architecture in OCI's words */
static int
l_arch(lua_State *L)
{
	lua_pushstring(L, hostarch());
	return 1;
}

/* native.getenv(name) -> value | nil: for imagegen's own modules, not definitions */
static int
l_getenv(lua_State *L)
{
	const char *v = getenv(luaL_checkstring(L, 1));

	if (v)
		lua_pushstring(L, v);
	else
		lua_pushnil(L);
	return 1;
}

/* s as string.pack("s4", s) packs it, added to b */
static void
packs4(lua_State *L, struct buf *b, const char *s, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (len > UINT32_MAX)
		luaL_error(L, "string length does not fit in given size");
	bufadd(b, &n, sizeof n);
	bufadd(b, s, len);
}

static int
intcmp(const void *a, const void *b)
{
	lua_Integer x = *(const lua_Integer *)a, y = *(const lua_Integer *)b;

	return (x > y) - (x < y);
}

/* the place of the file on top of the stack in names (2 the index, 3 the
   names; one more name when it has none yet), added to tags */
static void
place(lua_State *L, lua_Integer *nnames, struct buf *tags)
{
	lua_Integer at;

	lua_pushvalue(L, -1);
	if (lua_rawget(L, 2) == LUA_TNIL) {
		at = ++*nnames;
		lua_pushvalue(L, -2);
		lua_rawseti(L, 3, at);  /* names[at] = file */
		lua_pushvalue(L, -2);
		lua_pushinteger(L, at);
		lua_rawset(L, 2);  /* index[file] = at */
	} else {
		at = lua_tointeger(L, -1);
	}
	lua_pop(L, 1);
	bufadd(tags, &at, sizeof at);
}

/*
 * native.packcalls(calls, index, names) -> each call c of the list as
 * string.pack("s4s4s4s4", c[1], c[2], c[3], TAGS), one after another. TAGS:
 * the places in names of the files that asked it (c[4]: one file's name, or
 * a set of them), sorted, joined by ","; a file not yet in index is added
 * to names and to index (file -> place).
 * The calls of a generation's record (imagegen.regen): 80,000 at 10,000
 * images, one string instead of 80,000 and their tags' lists.
 */
static int
l_packcalls(lua_State *L)
{
	lua_Integer i, n, nnames;
	struct buf *b, *tags;
	char num[32];
	int k;

	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checktype(L, 2, LUA_TTABLE);
	luaL_checktype(L, 3, LUA_TTABLE);
	lua_settop(L, 3);
	n = luaL_len(L, 1);
	nnames = (lua_Integer)lua_rawlen(L, 3);
	b = newbox(L);     /* 4: the packed calls */
	tags = newbox(L);  /* 5: one call's places, lua_Integer each */
	for (i = 1; i <= n; i++) {
		lua_Integer *at;
		size_t j, count;

		lua_geti(L, 1, i);  /* 6: the call */
		luaL_checktype(L, 6, LUA_TTABLE);
		for (k = 1; k <= 3; k++) {
			size_t len;
			const char *s;

			lua_geti(L, 6, k);
			if (!(s = lua_tolstring(L, -1, &len)))
				return luaL_error(L, "packcalls: call %d: field %d is not a string", (int)i, k);
			packs4(L, b, s, len);
			lua_pop(L, 1);
		}
		tags->len = 0;
		if (lua_geti(L, 6, 4) == LUA_TSTRING) {  /* 7: the file that asked it */
			place(L, &nnames, tags);
		} else {
			luaL_checktype(L, 7, LUA_TTABLE);  /* the files that did */
			lua_pushnil(L);
			while (lua_next(L, 7)) {
				lua_pop(L, 1);  /* the value; the file stays, for next */
				place(L, &nnames, tags);
			}
		}
		at = (lua_Integer *)(void *)tags->data;
		count = tags->len / sizeof *at;
		if (count > 1)
			qsort(at, count, sizeof *at, intcmp);
		{
			size_t start = b->len, len = 0;
			uint32_t hdr = 0;

			bufadd(b, &hdr, sizeof hdr);  /* the length, once known */
			for (j = 0; j < count; j++) {
				int m = snprintf(num, sizeof num, j ? ",%lld" : "%lld", (long long)at[j]);

				bufadd(b, num, (size_t)m);
				len += (size_t)m;
			}
			hdr = (uint32_t)len;
			memcpy(b->data + start, &hdr, sizeof hdr);
		}
		lua_settop(L, 5);
	}
	lua_pushlstring(L, b->data ? b->data : "", b->len);
	return 1;
}

/* native.sha256(data [, digits]) -> hex, or its first digits (1 to 64) hex
   digits: a short name without the 64-digit string made first */
static int
l_sha256(lua_State *L)
{
	size_t len;
	const char *data = luaL_checklstring(L, 1, &len);
	lua_Integer digits = luaL_optinteger(L, 2, 64);
	char hex[65];

	luaL_argcheck(L, digits >= 1 && digits <= 64, 2, "1 to 64 digits");
	sha256hex(data, len, hex);
	lua_pushlstring(L, hex, (size_t)digits);
	return 1;
}

/* native.fetch(url [, max]) -> body | nil, message, toolarge: at most max
   bytes (default 4 MiB); toolarge is true when the body was larger */
static int
l_fetch(lua_State *L)
{
	const char *url = luaL_checkstring(L, 1);
	lua_Integer max = luaL_optinteger(L, 2, 0);
	struct buf b = {0};
	char err[512];
	int ret = fetch_mem(url, max, &b, err, sizeof(err));

	if (ret < 0) {
		free(b.data);
		luaL_pushfail(L);
		lua_pushstring(L, err);
		lua_pushboolean(L, ret == -2);
		return 3;
	}
	lua_pushlstring(L, b.data ? b.data : "", b.len);
	free(b.data);
	return 1;
}

/* native.registrydigest(ref) -> "sha256:..." | nil, message */
static int
l_registrydigest(lua_State *L)
{
	const char *ref = luaL_checkstring(L, 1);
	char digest[72], err[1024];

	if (registry_digest(ref, digest, err, sizeof(err)) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushstring(L, digest);
	return 1;
}

/* the path argument at i, which a file name cannot be if it holds a NUL */
static const char *
checkpath(lua_State *L, int i)
{
	size_t len;
	const char *path = luaL_checklstring(L, i, &len);

	if (strlen(path) != len)
		luaL_argerror(L, i, "a path holds no NUL");
	return path;
}

/* the spelling in b of the string at 1: that string itself when it is the
   same (most are), not a copy of it */
static void
pushspelling(lua_State *L, const struct buf *b)
{
	size_t len;
	const char *s = lua_tolstring(L, 1, &len);

	if (b->len == len && (len == 0 || memcmp(b->data, s, len) == 0))
		lua_pushvalue(L, 1);  /* the string as it came */
	else
		lua_pushlstring(L, b->data, b->len);  /* the spelling */
}

/* native.spell(path, "ninja"|"make"|"depfile") -> path as that grammar spells it | nil */
static int
l_spell(lua_State *L)
{
	static const char *const grammars[] = {"depfile", "ninja", "make", NULL};
	static const enum grammar byname[] = {GDEPFILE, GNINJA, GMAKE};
	/* kept between calls, so that nothing is held when Lua raises */
	static struct buf b;
	const char *path = checkpath(L, 1);
	int g = luaL_checkoption(L, 2, NULL, grammars);

	b.len = 0;
	if (names_spell(&b, path, byname[g]) < 0)
		lua_pushnil(L);
	else
		pushspelling(L, &b);
	return 1;
}

/* native.showname(s) -> s spelt for a message, one-to-one, on one line (text.c nameadd) */
static int
l_showname(lua_State *L)
{
	/* kept between calls, so that nothing is held when Lua raises */
	static struct buf b;
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);

	b.len = 0;
	nameadd(&b, s, len, 1);
	pushspelling(L, &b);
	return 1;
}

/* native.isnormal(p) -> whether path.normalize returns p as it is: after
   the "../" it starts with, something, and no empty, "." or ".." component
   and no "/" at the end ("/" itself, and "/a/b", are normal). Most paths
   are, and Lua's patterns took a thousand instructions a path to say so. */
static int
l_isnormal(lua_State *L)
{
	size_t len;
	const char *path = luaL_checklstring(L, 1, &len), *p = path, *end = path + len, *c;

	while (end - p >= 3 && memcmp(p, "../", 3) == 0)
		p += 3;
	if (p == end || (len == 1 && *p == '/')) {
		lua_pushboolean(L, p != end);
		return 1;
	}
	if (p == path && *p == '/')
		p++;  /* an absolute path's root */
	for (;;) {
		c = memchr(p, '/', (size_t)(end - p));
		if (!c)
			c = end;
		if (c == p || (c - p == 1 && p[0] == '.') || (c - p == 2 && p[0] == '.' && p[1] == '.')) {
			lua_pushboolean(L, 0);
			return 1;
		}
		if (c == end)
			break;
		p = c + 1;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* native.copy(t) -> a shallow copy of t, made at its size at once (every
   definition file's sandbox copies the standard libraries: copied entry by
   entry in Lua, each table grew and rehashed on the way) */
static int
l_copy(lua_State *L)
{
	int n = 0;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		n++;
		lua_pop(L, 1);
	}
	lua_createtable(L, 0, n);
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, -4);
	}
	return 1;
}

/*
 * The hook over the definitions (lang.lua): the last line of a definition
 * file that ran, for the errors that have no frame to name (a declaration
 * called as a tail call, the CPU budget, memory), and the CPU budget. It is
 * C: a Lua function called at every line cost more than the definitions'
 * own work (8% of generating 1,000 images).
 *
 * The budget is a timer of the process's CPU time (ITIMER_PROF, what
 * clock() counts): while it runs, only definition code has a hook, for its
 * line events. A count hook would make Lua trace every instruction of
 * imagegen's own code too (7% of generating 200 images). When the timer
 * goes off, its handler adds a count hook (lua_sethook may be called from a
 * signal handler), which raises at the next instruction; then the budget is
 * looked at every 4,096 lines and every million instructions, so that a
 * definition that catches the error and goes on is stopped.
 */
#define HOOKCOUNT 1000000
static struct {
	int definitions;  /* the registry's { ["@file"] = true } of definition files */
	int exceeded;     /* the registry's function that raises when the budget is spent */
	lua_State *L;     /* the interpreter under the budget, or NULL */
	pthread_t thread; /* the thread that runs it */
	int lines;        /* whether the line events are on */
	volatile sig_atomic_t spent;  /* the timer went off */
	clock_t deadline;
	unsigned long nlines;
	char src[4096];   /* the last definition line that ran: its chunk name, its line */
	int line;
	struct sigaction before;  /* SIGPROF's action before evalhook */
	unsigned long run;        /* evalhook's calls, counted */
} eval = {.definitions = LUA_NOREF, .exceeded = LUA_NOREF};

static void evalhook(lua_State *L, lua_Debug *ar);

/* the hook as it should be: the line events when they are on, and once the
   budget is spent the count events (count: how soon the first one comes) */
static void
evalmask(lua_State *L, int count)
{
	int mask = eval.lines ? LUA_MASKLINE : 0;

	if (eval.spent)
		mask |= LUA_MASKCOUNT;
	lua_sethook(L, mask ? evalhook : NULL, mask, count);
}

static void
evaltimer(int sig)
{
	if (!eval.L)
		return;
	/* the process's timer goes off in any of its threads (a download's
	   resolver): the interpreter's own thread sets its hook */
	if (!pthread_equal(pthread_self(), eval.thread)) {
		pthread_kill(eval.thread, sig);
		return;
	}
	eval.spent = 1;
	evalmask(eval.L, 1);
}

static void
evalhook(lua_State *L, lua_Debug *ar)
{
	if (ar->event == LUA_HOOKLINE) {
		if (lua_getinfo(L, "S", ar)) {
			lua_rawgeti(L, LUA_REGISTRYINDEX, eval.definitions);
			if (lua_getfield(L, -1, ar->source) != LUA_TNIL) {
				if (strcmp(eval.src, ar->source) != 0)
					snprintf(eval.src, sizeof(eval.src), "%s", ar->source);
				eval.line = ar->currentline;
			}
			lua_pop(L, 2);
		}
		if (!eval.spent || (++eval.nlines & 4095))
			return;
	} else if (lua_gethookcount(L) != HOOKCOUNT) {
		evalmask(L, HOOKCOUNT);  /* the timer's first event: then every million */
	}
	if (!eval.spent || clock() <= eval.deadline)
		return;
	lua_rawgeti(L, LUA_REGISTRYINDEX, eval.exceeded);
	lua_call(L, 0, 0);  /* it raises, or exits */
}

/* the timer off, and SIGPROF's action as it was */
static void
evaloff(void)
{
	struct itimerval t = {{0, 0}, {0, 0}};

	if (!eval.L)
		return;
	setitimer(ITIMER_PROF, &t, NULL);
	eval.L = NULL;
	sigaction(SIGPROF, &eval.before, NULL);
}

/* an interpreter closed under the budget (an error before evalstop, under
   the make plugin, which goes on) leaves no timer to go off into it */
static int
evalguard(lua_State *L)
{
	unsigned long *run = lua_touserdata(L, 1);

	if (*run == eval.run)
		evaloff();
	return 0;
}

/* native.evalhook(seconds, definitions, exceeded): the budget's timer on, and
   the line events, until evalstop; exceeded() is called when seconds of CPU
   are spent */
static int
l_evalhook(lua_State *L)
{
	lua_Integer seconds = luaL_checkinteger(L, 1);
	struct itimerval t = {{0, 0}, {0, 0}};
	struct sigaction sa;
	unsigned long *run;

	luaL_checktype(L, 2, LUA_TTABLE);
	luaL_checktype(L, 3, LUA_TFUNCTION);
	lua_settop(L, 3);
	evaloff();
	run = lua_newuserdatauv(L, sizeof(*run), 0);  /* the guard of this run */
	*run = ++eval.run;
	if (luaL_newmetatable(L, "imagegen.evalguard")) {
		lua_pushcfunction(L, evalguard);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, "imagegen.evalrun");
	eval.exceeded = luaL_ref(L, LUA_REGISTRYINDEX);
	eval.definitions = luaL_ref(L, LUA_REGISTRYINDEX);
	/* a budget past what clock_t counts is no budget */
	if (seconds > (lua_Integer)((LONG_MAX - clock()) / CLOCKS_PER_SEC))
		eval.deadline = (clock_t)LONG_MAX;
	else
		eval.deadline = clock() + (clock_t)seconds * CLOCKS_PER_SEC;
	eval.nlines = 0;
	eval.src[0] = '\0';
	eval.spent = 0;
	eval.lines = 1;
	eval.L = L;
	eval.thread = pthread_self();
	evalmask(L, HOOKCOUNT);
	if (eval.deadline != (clock_t)LONG_MAX && seconds < INT_MAX) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = evaltimer;
		sa.sa_flags = SA_RESTART;  /* a read or a write it stops goes on */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGPROF, &sa, &eval.before);
		t.it_value.tv_sec = (time_t)seconds;
		setitimer(ITIMER_PROF, &t, NULL);
	} else {
		sigaction(SIGPROF, NULL, &eval.before);
	}
	return 0;
}

/* native.evallines(on) -> whether it turned the line events on or off (false
   when they were so already, or the hook is off) */
static int
l_evallines(lua_State *L)
{
	int on = lua_toboolean(L, 1);

	if (eval.L != L || !eval.lines == !on) {
		lua_pushboolean(L, 0);
		return 1;
	}
	eval.lines = on;
	evalmask(L, HOOKCOUNT);
	/* the timer may have gone off between the mask read and set */
	if (eval.spent && !(lua_gethookmask(L) & LUA_MASKCOUNT))
		evalmask(L, HOOKCOUNT);
	lua_pushboolean(L, 1);
	return 1;
}

/* native.evalstop(): the timer and the hook off */
static int
l_evalstop(lua_State *L)
{
	evaloff();
	lua_sethook(L, NULL, 0, 0);
	luaL_unref(L, LUA_REGISTRYINDEX, eval.exceeded);
	luaL_unref(L, LUA_REGISTRYINDEX, eval.definitions);
	eval.exceeded = eval.definitions = LUA_NOREF;
	eval.lines = 0;
	eval.spent = 0;
	return 0;
}

/* native.lastline() -> the chunk name and line of the last definition line
   that ran, or nil */
static int
l_lastline(lua_State *L)
{
	if (!eval.src[0])
		return 0;
	lua_pushstring(L, eval.src);
	lua_pushinteger(L, eval.line);
	return 2;
}

/* native.alias(path) -> ".imagegen/names/HASH", the alias of path, and the link's target */
static int
l_alias(lua_State *L)
{
	const char *path = checkpath(L, 1);
	char alias[ALIASLEN];

	names_aliasname(path, alias);
	lua_pushstring(L, alias);
	lua_pushfstring(L, "%s%s", names_up(path), path);  /* its target */
	return 2;
}

/* native.makealias(path): make the alias of path, or correct it */
static int
l_makealias(lua_State *L)
{
	const char *path = checkpath(L, 1);
	char alias[ALIASLEN];

	if (names_alias(path, alias) < 0)
		return luaL_error(L, "the alias of %s: %s", showname(path), strerror(errno));
	return 0;
}

/* native.ldcache(entries, generator, big) -> the bytes of /etc/ld.so.cache:
   entries a list of { flags, soname, path } in the order ldconfig adds
   them (debian/ldcache.c sorts them); big for a big-endian architecture */
static int
l_ldcache(lua_State *L)
{
	const char *generator = luaL_checkstring(L, 2);
	int big = lua_toboolean(L, 3);
	struct ldentry *e;
	struct buf *b;
	lua_Integer n, i;

	luaL_checktype(L, 1, LUA_TTABLE);
	n = (lua_Integer)lua_rawlen(L, 1);
	e = lua_newuserdatauv(L, sizeof(*e) * (size_t)(n > 0 ? n : 1), 0);  /* the entries, collected */
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, i);  /* entry i, left on the stack so its strings stay */
		luaL_checktype(L, -1, LUA_TTABLE);
		lua_rawgeti(L, -1, 1);
		e[i - 1].flags = (int)luaL_checkinteger(L, -1);
		lua_pop(L, 1);
		lua_rawgeti(L, -1, 2);
		e[i - 1].key = luaL_checkstring(L, -1);
		lua_pop(L, 1);
		lua_rawgeti(L, -1, 3);
		e[i - 1].value = luaL_checkstring(L, -1);
		lua_pop(L, 1);
		e[i - 1].hwcap = 0;
		lua_pop(L, 1);
	}
	b = newbox(L);  /* the cache's box */
	ldcache_write(e, (size_t)n, generator, big, b);
	lua_pushlstring(L, b->data, b->len);
	free(b->data);
	b->data = NULL;
	return 1;
}


static const luaL_Reg natives[] = {
	{"readfile", l_readfile},
	{"realpath", l_realpath},
	{"stat", l_stat},
	{"listdir", l_listdir},
	{"writefile", l_writefile},
	{"touch", l_touch},
	{"fileid", l_fileid},
	{"writeparts", l_writeparts},
	{"writefiles", l_writefiles},
	{"jsondecode", l_jsondecode},
	{"jsonencode", l_jsonencode},
	{"lines", l_lines},
	{"downloaddir", l_downloaddir},
	{"usage", l_usage},
	{"exe", l_exe},
	{"sourcedate", l_sourcedate},
	{"arch", l_arch},
	{"getenv", l_getenv},
	{"sha256", l_sha256},
	{"packcalls", l_packcalls},
	{"spell", l_spell},
	{"showname", l_showname},
	{"copy", l_copy},
	{"isnormal", l_isnormal},
	{"evalhook", l_evalhook},
	{"evallines", l_evallines},
	{"evalstop", l_evalstop},
	{"lastline", l_lastline},
	{"alias", l_alias},
	{"makealias", l_makealias},
	{"fetch", l_fetch},
	{"registrydigest", l_registrydigest},
	{"vercmp", debian_vercmp},
	{"paragraphs", debian_paragraphs},
	{"decompress", debian_decompress},
	{"gpgv", debian_gpgv},
	{"rootpath", debian_rootpath},
	{"x509", trust_x509},
	{"pkcs12", trust_pkcs12},
	{"ldcache", l_ldcache},
	{"apkindex", apknative_index},
	{"apkcontrol", apknative_control},
	{"pattern", glob_pattern},
	{"glob", glob_walk},
	{NULL, NULL},
};

int
native_open(lua_State *L)
{
	luaL_newlib(L, natives);  /* the native module table */
	lua_pushstring(L, VERSION);
	lua_setfield(L, -2, "version");
	return 1;
}
