/*
 * debian: what the Lua side needs to read Debian repositories, as natives
 * (listed in native.c): signature checks with gpgv, index decompression,
 * control-file paragraphs, dpkg's version order, and paths inside the
 * image's root as maintainer scripts name them.
 *
 * Version order (Debian Policy 5.6.12): [epoch:]upstream[-revision], epochs
 * compared as numbers, then upstream, then revision, each by alternating
 * runs of non-digits (compared character by character, '~' before
 * everything, even the end, letters before other characters) and digits
 * (compared as numbers).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "base/arc.h"
#include "debian/deb.h"
#include "debian/debian.h"
#include <lua.h>
#include <lauxlib.h>

static int
order(int c)
{
	if (isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

static int
verrevcmp(const char *a, const char *ae, const char *b, const char *be)
{
	while (a < ae || b < be) {
		int diff = 0;
		while ((a < ae && !isdigit((unsigned char)*a)) || (b < be && !isdigit((unsigned char)*b))) {
			int ac = a < ae ? order((unsigned char)*a) : 0;
			int bc = b < be ? order((unsigned char)*b) : 0;
			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (a < ae && *a == '0')
			a++;
		while (b < be && *b == '0')
			b++;
		while (a < ae && isdigit((unsigned char)*a) && b < be && isdigit((unsigned char)*b)) {
			if (!diff)
				diff = *a - *b;
			a++;
			b++;
		}
		if (a < ae && isdigit((unsigned char)*a))
			return 1;
		if (b < be && isdigit((unsigned char)*b))
			return -1;
		if (diff)
			return diff;
	}
	return 0;
}

struct version {
	long epoch;
	const char *up, *upend, *rev, *revend;
};

static void
parseversion(const char *s, struct version *v)
{
	const char *colon = strchr(s, ':'), *dash;

	v->epoch = 0;
	if (colon) {
		v->epoch = strtol(s, NULL, 10);
		s = colon + 1;
	}
	dash = strrchr(s, '-');
	v->up = s;
	v->upend = dash ? dash : s + strlen(s);
	v->rev = dash ? dash + 1 : v->upend;
	v->revend = v->rev + strlen(v->rev);
	if (!dash)
		v->rev = v->revend = v->upend;
}

static int
vercmp(const char *a, const char *b)
{
	struct version x, y;
	int r;

	parseversion(a, &x);
	parseversion(b, &y);
	if (x.epoch != y.epoch)
		return x.epoch < y.epoch ? -1 : 1;
	r = verrevcmp(x.up, x.upend, y.up, y.upend);
	if (r)
		return r < 0 ? -1 : 1;
	r = verrevcmp(x.rev, x.revend, y.rev, y.revend);
	return r < 0 ? -1 : r > 0;
}

int
debian_vercmp(lua_State *L)
{
	lua_pushinteger(L, vercmp(luaL_checkstring(L, 1), luaL_checkstring(L, 2)));
	return 1;
}

/* set the pending field on the paragraph at the top of the stack */
static void
setfield(lua_State *L, int want, const char *name, size_t namelen, const char *v, const char *vend)
{
	lua_pushlstring(L, name, namelen);  /* the field name */
	if (want) {
		lua_pushvalue(L, -1);
		if (lua_rawget(L, 2) == LUA_TNIL) {
			lua_pop(L, 2);  /* not wanted: the lookup and the name */
			return;
		}
		lua_pop(L, 1);  /* the lookup */
	}
	while (vend > v && (vend[-1] == '\r' || vend[-1] == ' ' || vend[-1] == '\t'))
		vend--;
	lua_pushlstring(L, v, (size_t)(vend - v));  /* the value */
	lua_rawset(L, -3);
}

/* native.paragraphs(text [, fields]) -> { {Field = value, ...}, ... }
   keeping only the fields in the set fields when it is given; a folded
   value keeps its continuation lines as they are, newlines and all */
int
debian_paragraphs(lua_State *L)
{
	size_t len;
	const char *p = luaL_checklstring(L, 1, &len), *end = p + len, *eol, *colon;
	const char *name = NULL, *v = NULL, *vend = NULL;
	size_t namelen = 0;
	int want = lua_istable(L, 2), n = 0, open = 0;

	lua_newtable(L);  /* the paragraphs */
	for (; p <= end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if (p < eol && (*p == ' ' || *p == '\t') && name) {
			vend = eol;  /* a continuation line */
			continue;
		}
		if (name) {
			setfield(L, want, name, namelen, v, vend);
			name = NULL;
		}
		if (p == eol || (eol == p + 1 && *p == '\r')) {
			if (open)
				lua_rawseti(L, -2, ++n);  /* the paragraph */
			open = 0;
			continue;
		}
		if (*p == '#')
			continue;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon)
			return luaL_error(L, "malformed control line: %.*s", (int)(eol - p), p);
		if (!open) {
			lua_newtable(L);  /* a new paragraph */
			open = 1;
		}
		name = p;
		namelen = (size_t)(colon - p);
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		vend = eol;
	}
	if (name)
		setfield(L, want, name, namelen, v, vend);
	if (open)
		lua_rawseti(L, -2, ++n);  /* the last paragraph */
	return 1;
}

/* a decompression's reader, freed by the collector if a call raises */
static int
readergc(lua_State *L)
{
	struct archive **a = lua_touserdata(L, 1);

	if (*a)
		archive_read_free(*a);
	*a = NULL;
	return 0;
}

/* native.decompress(data, max) -> the data, uncompressed (gzip, xz, bzip2, zstd or none); an error if
   it is longer than max bytes */
int
debian_decompress(lua_State *L)
{
	size_t len, total = 0;
	const char *data = luaL_checklstring(L, 1, &len);
	lua_Integer max = luaL_checkinteger(L, 2);
	struct archive **a;
	struct archive_entry *e;
	luaL_Buffer b;
	la_ssize_t n;

	a = lua_newuserdatauv(L, sizeof(*a), 0);  /* the reader's box */
	*a = NULL;
	if (luaL_newmetatable(L, "imagegen.reader")) {
		lua_pushcfunction(L, readergc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	*a = archive_read_new();
	if (!*a)
		return luaL_error(L, "out of memory");
	archive_read_support_filter_all(*a);
	archive_read_support_format_raw(*a);
	if (archive_read_open_memory(*a, data, len) != ARCHIVE_OK ||
	    archive_read_next_header(*a, &e) != ARCHIVE_OK)
		return luaL_error(L, "decompress: %s", archiveerr(*a));
	luaL_buffinit(L, &b);
	while ((n = archive_read_data(*a, luaL_prepbuffer(&b), LUAL_BUFFERSIZE)) > 0) {
		total += (size_t)n;
		if (total > (lua_Unsigned)max)
			return luaL_error(L, "uncompressed, it is longer than %I bytes", max);
		luaL_addsize(&b, (size_t)n);
	}
	if (n < 0)
		return luaL_error(L, "decompress: %s", archiveerr(*a));
	luaL_pushresult(&b);  /* the uncompressed data */
	return 1;
}

/* a file of gpgv's input, for this process only */
static int
writeprivate(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	if (writeall(fd, data, len) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* run gpgv with args, stderr to errpath; its exit status, or -1 */
static int
rungpgv(char *const argv[], const char *errpath)
{
	pid_t pid = fork();
	int status, fd;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp("gpgv", argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* the last line of gpgv's messages that says what went wrong */
static void
pushreason(lua_State *L, const char *errpath, int status)
{
	struct buf b = {0};
	char *line, *best = NULL, *save = NULL;

	if (status == 127) {
		lua_pushliteral(L, "gpgv is not installed (apt-get install gpgv)");
		return;
	}
	if (readall(errpath, &b) == 0 && b.data) {
		for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (strstr(line, "BAD signature") || strstr(line, "public key") ||
			    strstr(line, "No public key") || strstr(line, "not a detached") ||
			    strstr(line, "no valid OpenPGP") || strstr(line, "verify signatures failed") ||
			    strstr(line, "keyblock resource"))
				best = line;
		}
	}
	lua_pushstring(L, best ? best : "signature verification failed");
	free(b.data);
}

/* native.gpgv(signed, keyrings [, data]) -> the verified text | nil, message
   inline (InRelease) when data is nil, else signed is a detached signature of data */
int
debian_gpgv(lua_State *L)
{
	size_t slen, dlen = 0, i, nkeys;
	const char *sig = luaL_checklstring(L, 1, &slen);
	const char *data = luaL_optlstring(L, 3, NULL, &dlen);
	char dir[] = "/tmp/imagegen-gpgv.XXXXXX", *in, *out, *err, *datapath, **argv;
	struct buf b = {0};
	int status, n = 0, ok;

	luaL_checktype(L, 2, LUA_TTABLE);
	nkeys = lua_rawlen(L, 2);
	if (!mkdtemp(dir))
		return luaL_error(L, "mkdtemp: %s", strerror(errno));
	in = xasprintf("%s/in", dir);
	out = xasprintf("%s/out", dir);
	err = xasprintf("%s/err", dir);
	datapath = xasprintf("%s/data", dir);
	argv = xcalloc(nkeys * 2 + 8, sizeof(*argv));
	argv[n++] = "gpgv";
	argv[n++] = "--quiet";
	for (i = 1; i <= nkeys; i++) {
		lua_rawgeti(L, 2, (lua_Integer)i);
		argv[n++] = "--keyring";
		argv[n++] = (char *)lua_tostring(L, -1);  /* kept alive by the table */
		lua_pop(L, 1);
	}
	ok = writeprivate(in, sig, slen) == 0 && (!data || writeprivate(datapath, data, dlen) == 0);
	if (data) {
		argv[n++] = in;
		argv[n++] = datapath;
	} else {
		argv[n++] = "--output";
		argv[n++] = out;
		argv[n++] = in;
	}
	status = ok ? rungpgv(argv, err) : -1;
	if (status == 0 && (data || readall(out, &b) == 0)) {
		if (data)
			lua_pushlstring(L, data, dlen);
		else
			lua_pushlstring(L, b.data ? b.data : "", b.len);
	} else {
		luaL_pushfail(L);
		pushreason(L, err, status);
	}
	unlink(in);
	unlink(out);
	unlink(err);
	unlink(datapath);
	rmdir(dir);
	free(b.data);
	free(argv);
	free(in);
	free(out);
	free(err);
	free(datapath);
	return status == 0 ? 1 : 2;
}

/* native.rootpath(p) -> p normalised inside the image's root | nil, why */
int
debian_rootpath(lua_State *L)
{
	size_t len, outlen;
	const char *path = luaL_checklstring(L, 1, &len), *why;
	luaL_Buffer b;
	char *out = luaL_buffinitsize(L, &b, len + 1);  /* the path normalised */

	why = deb_rootpath(path, len, out, &outlen);
	if (why) {
		luaL_pushfail(L);
		lua_pushstring(L, why);
		return 2;
	}
	luaL_pushresultsize(&b, outlen);
	return 1;
}
