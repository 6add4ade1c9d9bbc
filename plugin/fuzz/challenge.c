/*
 * fuzz-challenge: what a registry says back that the client parses: the
 * parameters of a WWW-Authenticate challenge, an origin of a URL (Location,
 * realm), and where a Location leads. registry.c is included whole for its
 * static parsers.
 */
#include "net/registry.c"
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"realm", "service", "scope", "error"};
	struct client cl;
	char *s = xmalloc(size + 1), *v, origin[512], host[512];
	size_t i;

	memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = param(s, keys[i]);
		free(v);
	}
	http_origin(s, origin, sizeof(origin));
	hostpart(s, host, sizeof(host));
	hascontrol(s);
	memset(&cl, 0, sizeof(cl));
	cl.what = "fuzz";
	if (parseref(&cl, "127.0.0.1:5000/r:t") == 0) {
		v = reg_uploadurl(&cl, s, "sha256:0000000000000000000000000000000000000000000000000000000000000000");
		free(v);
		realmtrusted(&cl, origin);
	}
	freeref(&cl.r);
	memset(&cl, 0, sizeof(cl));
	cl.what = "fuzz";
	parseref(&cl, s);
	freeref(&cl.r);
	free(s);
	return 0;
}
