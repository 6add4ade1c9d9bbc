/*
 * lib: shared libraries loaded when first needed (dlopen) instead of at
 * start, so a helper that never needs one does not pay for relocating it.
 *
 * The locale is set here too, before the first of them is loaded: file
 * names are bytes, and libarchive converts them by LC_CTYPE's charset (so
 * may libcurl a host name); imagegen's own code reads no locale (its
 * single-byte character classes are the same in C and C.UTF-8), so a
 * helper that loads no library never reads the locale's files.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <dlfcn.h>
#include "base/err.h"
#include "base/lib.h"

const char *liblocale;

const char *
libopen(struct lib *l)
{
	static char err[512];

	if (!l->handle && liblocale) {
		if (!setlocale(LC_CTYPE, liblocale)) {
			snprintf(err, sizeof(err), "the %s locale is missing", liblocale);
			return err;
		}
		liblocale = NULL;
	}
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
