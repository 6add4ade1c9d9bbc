/*
 * gmake: imagegen as a GNU make plugin (imagegen.so).
 *
 *   load /path/to/imagegen.so
 *   $(imagegen build.lua)
 *
 * $(imagegen DEF) runs the same Lua host and language as the command line,
 * asks the make backend (rules/make.lua) for the rules and evaluates them
 * in the running make: the images become make targets with no generated
 * file in between. The recipes run the imagegen binary installed beside
 * the plugin (or $(IMAGEGEN) when the makefile sets it).
 *
 * Everything else in the plugin is hidden (-fvisibility=hidden): make
 * exports symbols such as fatal and xmalloc of its own.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gnumake.h>
#include "base/err.h"
#include "base/mem.h"
#include "lua/host.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT int plugin_is_GPL_compatible;
EXPORT int imagegen_gmk_setup(const gmk_floc *floc);

/* an address inside the plugin, for dladdr to name its file */
static const char anchor;

/* the imagegen binary for the recipes: beside the plugin, or PREFIX/bin for PREFIX/lib/imagegen/imagegen.so */
static char *
helperpath(void)
{
	static const char *const tries[] = {"%s/imagegen", "%s/../../bin/imagegen"};
	Dl_info info;
	char dir[PATH_MAX], *slash, *p;
	size_t i;

	if (dladdr(&anchor, &info) && info.dli_fname && realpath(info.dli_fname, dir)) {
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
			p = xasprintf(tries[i], dir);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup("imagegen");
}

/* make's variables IMAGEGEN_ARG_NAME (the environment's, make's command
   line's, the makefile's) as --make-arg NAME=VALUE pairs added to args at
   *n: the build arguments, which the command line gives with -D */
static char **
makeargs(char **args, int *n)
{
	char *names = gmk_expand("$(sort $(filter IMAGEGEN_ARG_%,$(.VARIABLES)))"), *name, *ref, *value, *save;

	for (name = strtok_r(names, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
		ref = xasprintf("$(%s)", name);
		value = gmk_expand(ref);
		free(ref);
		args = xrealloc(args, (*n + 2) * sizeof(*args));
		args[(*n)++] = xstrdup("--make-arg");
		args[(*n)++] = xasprintf("%s=%s", name + strlen("IMAGEGEN_ARG_"), value ? value : "");
		gmk_free(value);
	}
	gmk_free(names);
	return args;
}

static char *
func(const char *name, unsigned int argc, char **argv)
{
	char **args, *exe, *text = NULL, *user;
	int n = 0, i, status;

	(void)name;
	(void)argc;
	user = gmk_expand("$(IMAGEGEN)");
	exe = user && *user ? xstrdup(user) : helperpath();
	gmk_free(user);
	args = xrealloc(NULL, 3 * sizeof(*args));
	args[n++] = xstrdup("--plugin");
	args[n++] = xstrdup("--exe");
	args[n++] = exe;
	args = makeargs(args, &n);
	args = xrealloc(args, (n + 3) * sizeof(*args));
	args[n++] = xstrdup("-G");
	args[n++] = xstrdup("make");
	args[n++] = xstrdup(argv[0]);
	status = host_run("imagegen.main", n, args, &text);
	for (i = 0; i < n; i++)
		free(args[i]);
	free(args);
	if (status != 0 || !text)
		exit(2);  /* host_run printed the one-line error; make has started nothing */
	gmk_eval(text, NULL);
	free(text);
	return NULL;
}

int
imagegen_gmk_setup(const gmk_floc *floc)
{
	(void)floc;
	gmk_add_function("imagegen", func, 1, 1, GMK_FUNC_DEFAULT);
	return 1;
}
