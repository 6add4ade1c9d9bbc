/*
 * err: the one way imagegen reports trouble. A message is one line,
 * "imagegen: what went wrong"; a trailing ':' in the format appends the
 * system's reason (strerror). fatal ends the process, and first removes the
 * temporary file a helper was writing, so nothing half-written is left.
 * While the Lua host runs a definition, fatal raises a Lua error instead
 * (fatalhook): a native's trouble is the definition's error, never the end
 * of a process that may be make itself (the make plugin).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/err.h"

const char *argv0 = "imagegen";

int fatalstatus = 1;

void (*fatalhook)(const char *msg);

const char *fatalwhere;

#ifdef FUZZING
jmp_buf *fatalreturn;
#endif
/* a temporary file that a fatal error must not leave behind */
static char *pending;

void
removeonfatal(const char *path)
{
	free(pending);
	pending = path ? strdup(path) : NULL;
	if (path && !pending)
		fatal("out of memory");
}

/* the message of fmt into msg, with strerror after a trailing ':' */
static void
format(char *msg, size_t len, const char *fmt, va_list ap)
{
	size_t n = strlen(fmt), at;
	int saved = errno;

	vsnprintf(msg, len, fmt, ap);
	at = strlen(msg);
	if (n > 0 && fmt[n - 1] == ':' && at < len)
		snprintf(msg + at, len - at, " %s", strerror(saved));
}

void
warn(const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	va_start(ap, fmt);
	format(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", argv0, msg);
}

void
fatal(const char *fmt, ...)
{
	char msg[8192];
	size_t at = 0;
	va_list ap;

	/* the definition the message is about first, in half the line at most */
	if (fatalwhere && (at = (size_t)snprintf(msg, sizeof(msg) / 2, "%s: ", fatalwhere)) >= sizeof(msg) / 2)
		at = sizeof(msg) / 2 - 1;
	va_start(ap, fmt);
	format(msg + at, sizeof(msg) - at, fmt, ap);
	va_end(ap);
	if (pending) {
		unlink(pending);
		free(pending);
		pending = NULL;
	}
	if (fatalhook)
		fatalhook(msg);
	fprintf(stderr, "%s: %s\n", argv0, msg);
#ifdef FUZZING
	/* a fuzz target takes an error back instead of the process ending */
	if (fatalreturn)
		longjmp(*fatalreturn, 1);
#endif
	exit(fatalstatus);
}
