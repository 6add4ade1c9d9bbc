/*
 * fuzz-auth: docker and podman auth files, read as the registry client
 * reads them for a few hosts. Credential helpers are looked up on an empty
 * PATH, so none runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "net/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[] = "/tmp/imagegen-fuzz-auth.XXXXXX";
	static int fd = -1;
	static const char *const hosts[] = {"127.0.0.1:5000", "registry.example", "[::1]:5000", ""};
	struct creds c;
	size_t i;

	if (fd < 0) {
		fd = mkstemp(path);
		if (fd < 0)
			return 0;
		setenv("REGISTRY_AUTH_FILE", path, 1);
		unsetenv("XDG_RUNTIME_DIR");
		unsetenv("DOCKER_CONFIG");
		unsetenv("HOME");
		setenv("PATH", "", 1);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		if (auth_find(hosts[i], &c) == 0) {
			free(auth_basic(&c));
			auth_free(&c);
		}
	}
	return 0;
}
