/*
 * host: the embedded Lua 5.4 interpreter that evaluates definitions.
 *
 * The language (lua/) and the backends (rules/) are ordinary Lua modules,
 * compiled into the binary by plugin/embed and installed in package.preload;
 * IMAGEGEN_LUA=DIR makes require read DIR/lua and DIR/rules instead, for
 * development. The modules reach the system only through the module
 * "imagegen.native" (native.c): the definitions themselves run in a
 * sandbox built by imagegen.lang from its primitives.
 */
/* mmap's MAP_ANONYMOUS and madvise, which POSIX does not name */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <pthread.h>
#include <fcntl.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <jansson.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include "base/err.h"
#include "base/mem.h"
#include "lua/native.h"
#include "lua/host.h"

static int
loadembedded(lua_State *L)
{
	const struct embedded *m = lua_touserdata(L, lua_upvalueindex(1));
	char *chunk = xasprintf("=%s", m->name);
	int ret = luaL_loadbufferx(L, m->src, m->len, chunk, "t");

	free(chunk);
	if (ret != LUA_OK)
		return lua_error(L);
	lua_pushstring(L, m->name);
	lua_call(L, 1, 1);  /* the module's value */
	return 1;
}

static void
preload(lua_State *L)
{
	const struct embedded *m;
	const char *dir = getenv("IMAGEGEN_LUA");

	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);  /* package.preload */
	lua_pushcfunction(L, native_open);
	lua_setfield(L, -2, "imagegen.native");
	if (!dir || !*dir) {
		for (m = embedded_lua; m->name; m++) {
			lua_pushlightuserdata(L, (void *)m);
			lua_pushcclosure(L, loadembedded, 1);
			lua_setfield(L, -2, m->name);
		}
	}
	lua_pop(L, 1);  /* package.preload */
	lua_getglobal(L, "package");
	if (dir && *dir)
		lua_pushfstring(L, "%s/lua/?.lua;%s/?.lua", dir, dir);
	else
		lua_pushliteral(L, "");
	lua_setfield(L, -2, "path");  /* no search outside the binary */
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "cpath");
	lua_pop(L, 1);  /* package */
}

/* the message handler: a definition error is one line; IMAGEGEN_DEBUG adds
   a traceback. imagegen's own errors are { msg = "..." }; of any other
   table nothing is read (a metamethod would run outside the budget: the
   definitions' are made strings where they are raised, lang.lua) */
static int
handler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (!msg) {
		if (lua_istable(L, 1)) {
			lua_pushliteral(L, "msg");
			if (lua_rawget(L, 1) == LUA_TSTRING)  /* its msg, no metamethod */
				return 1;
			lua_pop(L, 1);
		}
		msg = lua_pushfstring(L, "error object is a %s", luaL_typename(L, 1));
	}
	if (getenv("IMAGEGEN_DEBUG"))
		luaL_traceback(L, L, msg, 1);
	return 1;
}

/*
 * The interpreter's memory, counted against a limit. Lua makes and frees
 * millions of small objects (strings, tables, their parts) and tells the
 * allocator each block's size when it frees it, so small blocks need no
 * header: they are carved from large chunks and kept on a free list a size
 * class: 16 bytes apart up to 256 bytes, then four classes a doubling up
 * to 64 KiB (the parts of tables and long strings, which malloc's fresh
 * heap pages would fault in one by one). Larger blocks are malloc's.
 * Under a sanitizer every block is malloc's, for it to watch.
 *
 * A generation of thousands of images holds hundreds of MiB, and each page
 * first touched is a fault (on a virtual machine, a costly one): past the
 * first POOLSMALL chunks, which is all that a small definition needs, the
 * chunks are POOLBIG mappings that the kernel may back with huge pages.
 * A chunk starts with the one before it and its own size.
 *
 * The kernel zeroes each page it faults in: at 10,000 images that was a
 * sixth of the generation's time. Once a definition needs big chunks, the
 * next one is mapped ahead and faulted in by a thread of its own (filler),
 * on another core while the interpreter goes on; the interpreter waits
 * for it only if it needs the chunk before it is ready.
 */
#define POOLSTEP 16                  /* size classes of 16 bytes */
#define POOLSMALLMAX 256             /* up to here; then four classes a doubling */
#define POOLMAX ((size_t)64 << 10)   /* the largest pooled block */
#define POOLCLASSES (POOLSMALLMAX / POOLSTEP + 4 * 8)  /* 16, then 256 to 64 KiB */
#define POOLCHUNK ((size_t)1 << 20)  /* carved from chunks of 1 MiB */
#define POOLSMALL 16                 /* so many chunks of 1 MiB, then big ones */
#define POOLBIG ((size_t)8 << 20)    /* a big chunk: 8 MiB, in huge pages */

#if defined(__SANITIZE_ADDRESS__)
#define POOLED(n) 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define POOLED(n) 0
#endif
#endif
#ifndef POOLED
#define POOLED(n) ((n) <= POOLMAX)
#endif

struct arena {
	size_t used, limit;
	int refused;                     /* whether the limit refused a block */
	void *free[POOLCLASSES];        /* a free list a class: each block's first word the next */
	char *next, *end;                /* the current chunk's uncarved part */
	void *chunks;                    /* every chunk, each one's first word the one before */
	size_t nchunks;
	char *spare;                     /* the next big chunk, mapped ahead */
	pthread_t filler;                /* faulting spare's pages in, while filling */
	int filling;
};

/* a chunk of len bytes: malloc's, or for a big one a mapping of its own,
   in huge pages where the kernel has them (a hint: it may not) */
static void *
chunkalloc(size_t len)
{
	void *p;

	if (len == POOLCHUNK)
		return malloc(len);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, len, MADV_HUGEPAGE);
#endif
	return p;
}

/* the filler's work: a big chunk's pages faulted in (written, so that each
   is a page of its own and not the shared zero page) */
static void *
fill(void *chunk)
{
	size_t i;

#ifdef MADV_POPULATE_WRITE
	int ret;

	while ((ret = madvise(chunk, POOLBIG, MADV_POPULATE_WRITE)) < 0 && errno == EINTR)
		continue;
	if (ret == 0)
		return NULL;
#endif
	for (i = 0; i < POOLBIG; i += 4096)
		((volatile char *)chunk)[i] = 0;
	return NULL;
}

/* the spare chunk as it is now, the filler done with it (or NULL) */
static char *
takespare(struct arena *a)
{
	char *chunk = a->spare;

	if (a->filling)
		pthread_join(a->filler, NULL);
	a->filling = 0;
	a->spare = NULL;
	return chunk;
}

/* a big chunk: the spare, and the next one mapped and its filler started
   (without a thread, the spare is faulted in where it is used, as any) */
static char *
bigchunk(struct arena *a)
{
	char *chunk = takespare(a);

	if (!chunk)
		chunk = chunkalloc(POOLBIG);
	if (chunk && (a->spare = chunkalloc(POOLBIG)) != NULL)
		a->filling = native_thread(&a->filler, fill, a->spare) == 0;
	return chunk;
}

static void
chunkfree(void *chunk, size_t len)
{
	if (len == POOLCHUNK)
		free(chunk);
	else
		munmap(chunk, len);
}

/* the class of a block of n bytes (1 to POOLMAX), and its size in *size */
static size_t
poolclass(size_t n, size_t *size)
{
	size_t m = n - 1, k = 8, sub;

	if (n <= POOLSMALLMAX) {
		*size = (m / POOLSTEP + 1) * POOLSTEP;
		return m / POOLSTEP;
	}
	while (m >> (k + 1))
		k++;
	/* m is in [2^k, 2^(k+1)): its quarter of that range */
	sub = (m >> (k - 2)) & 3;
	*size = (4 + sub + 1) << (k - 2);
	return POOLSMALLMAX / POOLSTEP + (k - 8) * 4 + sub;
}

static void *
poolget(struct arena *a, size_t n)
{
	size_t size, c = poolclass(n, &size);
	void *p = a->free[c];

	if (p) {
		memcpy(&a->free[c], p, sizeof p);
		return p;
	}
	if ((size_t)(a->end - a->next) < size) {
		size_t len = a->nchunks < POOLSMALL ? POOLCHUNK : POOLBIG;
		char *chunk = len == POOLBIG ? bigchunk(a) : chunkalloc(len);

		if (!chunk)
			return NULL;
		memcpy(chunk, &a->chunks, sizeof a->chunks);
		memcpy(chunk + sizeof a->chunks, &len, sizeof len);
		a->chunks = chunk;
		a->nchunks++;
		a->next = chunk + POOLSTEP;
		a->end = chunk + len;
	}
	p = a->next;
	a->next += size;
	return p;
}

static void
poolput(struct arena *a, void *p, size_t n)
{
	size_t size, c = poolclass(n, &size);

	memcpy(p, &a->free[c], sizeof p);
	a->free[c] = p;
}

/* the chunks, when the interpreter is closed */
static void
poolfree(struct arena *a)
{
	char *spare = takespare(a);

	if (spare)
		chunkfree(spare, POOLBIG);
	while (a->chunks) {
		char *chunk = a->chunks;
		size_t len;

		memcpy(&a->chunks, chunk, sizeof a->chunks);
		memcpy(&len, chunk + sizeof a->chunks, sizeof len);
		chunkfree(chunk, len);
	}
	a->nchunks = 0;
}

static int
sameclass(size_t a, size_t b)
{
	size_t sa, sb;

	return poolclass(a, &sa) == poolclass(b, &sb);
}

static void *
arenaalloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct arena *a = ud;
	void *p;

	/* without ptr, osize is the kind of object being made, not a size */
	if (!ptr)
		osize = 0;
	if (nsize == 0) {
		if (ptr && POOLED(osize))
			poolput(a, ptr, osize);
		else
			free(ptr);
		a->used -= osize;
		return NULL;
	}
	if (nsize > osize && nsize - osize > a->limit - a->used) {
		a->refused = 1;
		return NULL;  /* Lua raises "not enough memory" */
	}
	if (ptr && POOLED(osize) && POOLED(nsize) && sameclass(osize, nsize)) {
		p = ptr;
	} else if (ptr && !POOLED(osize) && !POOLED(nsize)) {
		if (!(p = realloc(ptr, nsize)) && nsize > osize)
			return NULL;
		if (!p)
			p = ptr;  /* a shrink, as below */
	} else {
		p = POOLED(nsize) ? poolget(a, nsize) : malloc(nsize);
		if (!p && ptr && nsize <= osize) {
			/* Lua takes a shrink as never failing: the larger block
			   serves, and goes to the smaller class when freed */
			a->used = a->used - osize + nsize;
			return ptr;
		}
		if (!p)
			return NULL;
		if (ptr) {
			memcpy(p, ptr, osize < nsize ? osize : nsize);
			if (POOLED(osize))
				poolput(a, ptr, osize);
			else
				free(ptr);
		}
	}
	a->used = a->used - osize + nsize;
	return p;
}

static int
panic(lua_State *L)
{
	fatalhook = NULL;
	fatal("Lua: %s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "unprotected error");
}

/* IMAGEGEN_EVAL_MEMORY: the bytes the interpreter may take (default 4096
   MiB); 0, after one line, when it is no number of MiB */
static size_t
memorylimit(void)
{
	const char *e = getenv("IMAGEGEN_EVAL_MEMORY");
	char *end;
	long long n;

	if (!e || !*e)
		return (size_t)4096 << 20;
	n = strtoll(e, &end, 10);
	if (*end || n < 1 || n > (1LL << 30)) {
		warn("IMAGEGEN_EVAL_MEMORY='%s' is not a number of MiB", e);
		return 0;
	}
	return (size_t)n << 20;
}

int
host_run(const char *module, int argc, char *argv[], char **text)
{
	struct buf b = {0};
	int ret = host_call(module, argc, argv, text ? &b : NULL);

	if (text)
		*text = b.data;
	return ret;
}

/* the state of host_main's run and its memory, kept to the end of the
   process (volatile: a variable only written would be optimised away, and
   leak checkers would call the interpreter lost) */
static lua_State *volatile ending;
static struct arena endarena;

/* the interpreter that is running, which a fatal error in a native raises
   in, and its thread */
static lua_State *running;
static pthread_t runningthread;

static void
raisefatal(const char *msg)
{
	/* another thread's (native.writefiles'): fatal says it and exits */
	if (!pthread_equal(pthread_self(), runningthread))
		return;
	lua_pushstring(running, msg);  /* the error, as fatal would have said it */
	lua_error(running);
}

static int
call(const char *module, int argc, char *argv[], struct buf *text, int closing)
{
	struct arena closed = {0}, *arena = closing ? &closed : &endarena;
	lua_State *L, *outer = running;
	void (*outerhook)(const char *) = fatalhook;
	int i, ret;

	if ((arena->limit = memorylimit()) == 0)
		return 1;
	L = lua_newstate(arenaalloc, arena);
	if (!L)
		fatal("out of memory");
	lua_atpanic(L, panic);
	luaL_openlibs(L);
	preload(L);
	/* from here a fatal error of a native is a Lua error */
	running = L;
	runningthread = pthread_self();
	fatalhook = raisefatal;
	lua_pushcfunction(L, handler);
	lua_getglobal(L, "require");
	lua_pushstring(L, module);
	if (lua_pcall(L, 1, 1, 1) != LUA_OK)  /* the module */
		goto err;
	lua_getfield(L, -1, "main");
	lua_createtable(L, argc, 0);  /* the arguments */
	for (i = 0; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i + 1);
	}
	if (lua_pcall(L, 1, 1, 1) != LUA_OK)  /* module.main(args) */
		goto err;
	ret = 0;
	if (lua_type(L, -1) == LUA_TSTRING) {
		size_t len;
		const char *s = lua_tolstring(L, -1, &len);
		if (text)
			bufadd(text, s, len);
	} else {
		ret = (int)lua_tointeger(L, -1);
	}
	goto done;
err:
	/* the definitions' own excess is named where they ran (lang.lua); this
	   is the generator's, over a graph that large */
	if (arena->refused && lua_tostring(L, -1) && strcmp(lua_tostring(L, -1), "not enough memory") == 0)
		fprintf(stderr, "%s: generating the build needs more than IMAGEGEN_EVAL_MEMORY=%zu MiB; "
		        "set it higher\n", argv0, arena->limit >> 20);
	else
		fprintf(stderr, "%s: %s\n", argv0, lua_tostring(L, -1) ? lua_tostring(L, -1) : "error object is not a string");
	ret = 1;
done:
	running = outer;
	fatalhook = outerhook;
	if (closing) {
		lua_close(L);
		poolfree(arena);
	} else
		ending = L;
	return ret;
}

int
host_call(const char *module, int argc, char *argv[], struct buf *text)
{
	return call(module, argc, argv, text, 1);
}

int
host_main(const char *module, int argc, char *argv[])
{
	/* the arena goes with the process: freeing the graph object by object
	   took a tenth of generating 10,000 images */
	return call(module, argc, argv, NULL, 0);
}
