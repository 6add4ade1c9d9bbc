/* lib: shared libraries loaded when first needed (dlopen), not at start */
#include <stddef.h>

/* a library to load */
struct lib {
	/* "libcurl", its soname, the package that has it, what needs it ("trust stores") */
	const char *name, *soname, *package, *needs;
	void *handle;
};

/* the LC_CTYPE set before the first library is loaded ("C.UTF-8": the
   program's main sets it; NULL, the make plugin's, leaves make's) */
extern const char *liblocale;
/* load l if it is not yet: NULL, or why not in one line naming the package to install */
const char *libopen(struct lib *l);
/* load l if it is not yet, or exit with libopen's line */
void libload(struct lib *l);
/* the function name of l into the function pointer at fn (of size bytes: C has
   no cast between object and function pointers); exits if l has none */
void libfn(struct lib *l, const char *name, void *fn, size_t size);
