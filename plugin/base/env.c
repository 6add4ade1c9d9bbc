/* env: what the machine and the environment say: folders, architecture, the epoch */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/env.h"

const char *
downloaddir(void)
{
	static char *dir;
	const char *e;

	if (dir)
		return dir;
	if ((e = getenv("IMAGEGEN_CACHE")) && *e)
		dir = xstrdup(e);
	else if ((e = getenv("XDG_CACHE_HOME")) && *e)
		dir = xasprintf("%s/imagegen", e);
	else
		dir = xasprintf("%s/.cache/imagegen", (e = getenv("HOME")) && *e ? e : "/tmp");
	return dir;
}

const char *
hostarch(void)
{
	static const char *const map[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"i686", "386"}, {"i386", "386"},
		{"armv7l", "arm"}, {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
	};
	static struct utsname u;
	size_t i;

	if (!*u.machine && uname(&u) < 0)
		return "unknown";
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(u.machine, map[i][0]) == 0)
			return map[i][1];
	}
	return u.machine;
}

long long
sourcedate(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long t;

	if (!s || !*s)
		return 0;
	errno = 0;
	t = strtoll(s, &end, 10);
	if (errno || *end || t < 0 || t > 253402300799LL)
		fatal("SOURCE_DATE_EPOCH '%s' is not a number of seconds from 1970 to 9999", s);
	return t;
}
