/*
 * apknative: the natives of Alpine packages. native.apkindex reads an
 * APKINDEX.tar.gz verified against the repository's keys (alpine/index.c)
 * into tables of strings. native.apkcontrol is what imagegen.alpine keeps
 * in the lock of an .apk when it locks it: its .PKGINFO, its scripts, the
 * account files it ships (etc/passwd, etc/group, etc/shadow: at most 1 MB
 * each) with their modes and owners, and its folders owned by names other
 * than root's (at most 10,000). The package is read as the layer reads it
 * (alpine/apk.c): signed by one of the repository's keys, its control the
 * index's checksum, every file and the data stream what the signed control
 * says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/types.h>
#include <lua.h>
#include <lauxlib.h>
#include "base/err.h"
#include "base/mem.h"
#include "alpine/stream.h"
#include "alpine/rsa.h"
#include "alpine/apk.h"
#include "alpine/index.h"
#include "lua/apknative.h"

/* the keys argument at i, a list of { name =, path = }, into a userdata
   the stack holds (their strings stay in the tables the caller holds) */
static struct apkkey *
checkkeys(lua_State *L, int i, size_t *n)
{
	struct apkkey *k;
	lua_Integer len, j;

	luaL_checktype(L, i, LUA_TTABLE);
	len = (lua_Integer)lua_rawlen(L, i);
	k = lua_newuserdatauv(L, sizeof(*k) * (size_t)(len > 0 ? len : 1), 0);  /* the keys, collected */
	for (j = 1; j <= len; j++) {
		lua_rawgeti(L, i, j);  /* key j */
		if (!lua_istable(L, -1))
			luaL_error(L, "keys[%d] is not a { name =, path = } of strings", (int)j);
		lua_pushliteral(L, "name");
		lua_rawget(L, -2);  /* its name, no metamethod: the table keeps the string */
		lua_pushliteral(L, "path");
		lua_rawget(L, -3);  /* its path */
		if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "keys[%d] is not a { name =, path = } of strings", (int)j);
		k[j - 1].name = lua_tostring(L, -2);
		k[j - 1].path = lua_tostring(L, -1);
		lua_pop(L, 3);
	}
	*n = (size_t)len;
	return k;
}

/* the records table being filled by apkindex_parse */
struct indexfill {
	lua_State *L;
	int records;
};

static void
indexfield(void *arg, size_t rec, char key, const char *value, size_t len)
{
	struct indexfill *f = arg;
	lua_State *L = f->L;
	char k[2] = { key, '\0' };

	if (lua_rawgeti(L, f->records, (lua_Integer)rec + 1) != LUA_TTABLE) {  /* the package's record */
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_rawseti(L, f->records, (lua_Integer)rec + 1);
	}
	lua_pushlstring(L, value, len);  /* the field, into the record */
	lua_setfield(L, -2, k);
	lua_pop(L, 1);
}

/* native.apkindex(path, keys) -> records, description: an APKINDEX.tar.gz
   verified against keys (a list of { name =, path = }), then its packages
   as tables of strings by field letter (C, P, V, ...); raises one line */
int
apknative_index(lua_State *L)
{
	size_t len;
	const char *path = luaL_checklstring(L, 1, &len);
	struct indexfill fill = { L, 0 };
	struct apkindex x;
	struct apkkey *keys;
	char err[1024];
	size_t n;
	int fd, r;

	if (strlen(path) != len)
		luaL_argerror(L, 1, "a path holds no NUL");
	keys = checkkeys(L, 2, &n);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return luaL_error(L, "%s: %s", path, strerror(errno));
	r = apkindex_read(apk_fdsource, &fd, keys, n, &x, err, sizeof(err));
	close(fd);
	if (r == 0 && apkindex_verify(&x, keys, n, err, sizeof(err)) < 0) {
		apkindex_free(&x);
		r = -1;
	}
	if (r < 0)
		return luaL_error(L, "%s: %s", path, err);
	lua_pushlstring(L, x.text, x.len);  /* the verified text, held while it is parsed */
	lua_pushstring(L, x.description);  /* the description */
	apkindex_free(&x);
	lua_newtable(L);  /* the records */
	fill.records = lua_gettop(L);
	if (apkindex_parse(lua_tostring(L, -3), lua_rawlen(L, -3), indexfield, &fill, err, sizeof(err)) < 0)
		return luaL_error(L, "%s: %s", path, err);
	lua_rotate(L, -2, 1);  /* records, description */
	return 2;
}


/* what native.apkcontrol keeps while apk_read reads: the account files,
   their owners and modes, the folders owned by names (a userdata, freed by
   its __gc however the call ends) */
enum { CTLFILES = 3, CTLMAXFILE = 1 << 20, CTLMAXOWNED = 10000 };
static const char *const ctlnames[CTLFILES] = { "etc/passwd", "etc/group", "etc/shadow" };

struct apkcontrol {
	struct apkpkg p;
	int read;
	const char *checksum;
	const struct apkkey *keys;
	size_t nkeys;
	struct buf files[CTLFILES];
	char modes[CTLFILES][64];
	struct buf owned;
	size_t nowned;
};

static int
apkcontrolgc(lua_State *L)
{
	struct apkcontrol *c = lua_touserdata(L, 1);
	int i;

	if (c->read)
		apk_free(&c->p);
	c->read = 0;
	for (i = 0; i < CTLFILES; i++) {
		free(c->files[i].data);
		c->files[i].data = NULL;
	}
	free(c->owned.data);
	c->owned.data = NULL;
	return 0;
}

static int
ctlcontrol(void *arg, struct apkpkg *p)
{
	struct apkcontrol *c = arg;

	if (apk_verify(p, c->keys, c->nkeys) < 0)
		return -1;
	if (strcmp(p->checksum, c->checksum) != 0) {
		snprintf(p->err, sizeof(p->err), "its control's checksum is %s, and its index says %s", p->checksum,
		         c->checksum);
		return -1;
	}
	return 0;
}

/* a name of a tar header, as a word of the owned list: letters, digits, ".", "_", "-" */
static int
ctlword(const char *s)
{
	return *s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(s);
}

static void
ctlentry(void *arg, struct apkfile *f)
{
	struct apkcontrol *c = arg;
	struct tarmember *m = f->m;
	const char *name = m->name[0] == '.' && m->name[1] == '/' ? m->name + 2 : m->name;
	char buf[8192];
	ssize_t n;
	size_t len;
	int i;

	if (m->type == '5' && c->nowned < CTLMAXOWNED && (ctlword(m->uname) || ctlword(m->gname)) &&
	    (strcmp(m->uname, "root") != 0 || strcmp(m->gname, "root") != 0) && (!m->uname[0] || ctlword(m->uname)) &&
	    (!m->gname[0] || ctlword(m->gname)) && name[0] && !strpbrk(name, " \t\n\r") && !strstr(name, "..")) {
		len = strlen(name);
		while (len > 0 && name[len - 1] == '/')
			len--;
		bufprintf(&c->owned, "%o %s %s %.*s\n", m->mode & 07777, m->uname[0] ? m->uname : "root",
		          m->gname[0] ? m->gname : "root", (int)len, name);
		c->nowned++;
		return;
	}
	for (i = 0; i < CTLFILES; i++) {
		if (m->type != '0' || strcmp(name, ctlnames[i]) != 0 || m->size > CTLMAXFILE)
			continue;
		c->files[i].len = 0;
		while ((n = apk_data(f, buf, sizeof(buf))) > 0)
			bufadd(&c->files[i], buf, (size_t)n);
		if (!c->files[i].data)
			bufadd(&c->files[i], "", 0);
		snprintf(c->modes[i], sizeof(c->modes[i]), "%o %lld %lld", m->mode & 07777, m->uid, m->gid);
	}
}

/* native.apkcontrol(path, keys, checksum) -> { pkginfo = { key = first value }, scripts = { [".pre-install"] =
   text, ... }, files = { ["etc/passwd"] = bytes, ... }, modes = { [file] = "MODE UID GID" }, owned = {
   "MODE USER GROUP PATH", ... } }: what the lock keeps of an .apk (imagegen.alpine), read as the layer
   reads it (alpine/apk.c): signed by one of keys, its control the index's checksum, every file and the
   data stream what the signed control says; raises one line */
int
apknative_control(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1), *checksum = luaL_checkstring(L, 3);
	struct apkreader r = { ctlcontrol, ctlentry, NULL, NULL, 0 };
	struct apkcontrol *c;
	size_t nkeys, i;
	const char *line, *nl;
	int fd, ok;

	r.keys = checkkeys(L, 2, &nkeys);
	c = lua_newuserdatauv(L, sizeof(*c), 0);  /* the reading's state, freed by __gc */
	memset(c, 0, sizeof(*c));
	if (luaL_newmetatable(L, "imagegen.apkcontrol")) {
		lua_pushcfunction(L, apkcontrolgc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	c->checksum = checksum;
	c->keys = r.keys;
	c->nkeys = r.nkeys = nkeys;
	r.arg = c;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return luaL_error(L, "%s: %s", path, strerror(errno));
	c->read = 1;
	ok = apk_read(apk_fdsource, &fd, &c->p, &r) == 0;
	close(fd);
	if (!ok)
		return luaL_error(L, "%s", c->p.err);
	lua_newtable(L);  /* the result */
	lua_newtable(L);  /* pkginfo */
	for (i = c->p.nfields; i-- > 0;) {
		lua_pushstring(L, c->p.fields[i].value);  /* the first of a key's values wins: set last */
		lua_setfield(L, -2, c->p.fields[i].key);
	}
	lua_setfield(L, -2, "pkginfo");
	lua_newtable(L);  /* scripts */
	for (i = 0; i < APK_NSCRIPTS; i++) {
		if (c->p.scripts[i]) {
			lua_pushlstring(L, c->p.scripts[i], c->p.scriptlen[i]);
			lua_setfield(L, -2, apk_scriptnames[i]);
		}
	}
	lua_setfield(L, -2, "scripts");
	lua_newtable(L);  /* files */
	lua_newtable(L);  /* modes */
	for (i = 0; i < CTLFILES; i++) {
		if (c->files[i].data) {
			lua_pushlstring(L, c->files[i].data, c->files[i].len);
			lua_setfield(L, -3, ctlnames[i]);
			lua_pushstring(L, c->modes[i]);
			lua_setfield(L, -2, ctlnames[i]);
		}
	}
	lua_setfield(L, -3, "modes");
	lua_setfield(L, -2, "files");
	lua_newtable(L);  /* owned */
	for (i = 0, line = c->owned.data; line && line < c->owned.data + c->owned.len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(c->owned.data + c->owned.len - line));
		if (!nl)
			break;
		lua_pushlstring(L, line, (size_t)(nl - line));
		lua_rawseti(L, -2, (lua_Integer)++i);
	}
	lua_setfield(L, -2, "owned");
	return 1;
}

