/* native: the Lua module "imagegen.native", imagegen's own modules' way to the system */

/* the usage of the commands the Lua side runs (imagegen.main), for both
   sides: writing the build file, and lock (a wrapped line goes on under
   "[generate]") */
#define USAGE_GENERATE "imagegen [generate] [-G ninja|make] [-o FILE] [--locked] [-D NAME=VALUE]...\n" \
                       "         [--compression gzip|zstd|none] [--max-layers N] [--format oci|docker]\n" \
                       "         [--cache HOST/REPOSITORY [--cache-push]] DEFINITION.lua"
#define USAGE_LOCK "imagegen lock [--json] [-D NAME=VALUE]... DEFINITION.lua"

#include <pthread.h>

struct lua_State;

/* push the module table (a lua_CFunction for package.preload) */
int native_open(struct lua_State *L);
/* a thread of the generator's own (pthread_create's answer): it runs fn(arg)
   with every signal blocked, so that signals stay the interpreter's thread's */
int native_thread(pthread_t *thread, void *(*fn)(void *), void *arg);
