/*
 * err: the one way imagegen reports trouble. A message is one line,
 * "imagegen: what went wrong"; a trailing ':' in the format appends the
 * system's reason (strerror). fatal ends the process, and first removes the
 * temporary file a helper was writing, so nothing half-written is left.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/err.h"
#include "base/mem.h"

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
