/*
 * auth: the credentials for a registry host, found where docker and podman
 * keep them: $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * $DOCKER_CONFIG/config.json, ~/.docker/config.json, the first that knows
 * the host. In each: "credHelpers" for the host, an "auths" entry
 * (base64 "user:secret"), or the "credsStore" helper; a helper is run as
 * docker-credential-NAME get, the host on its stdin, JSON on its stdout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "net/auth.h"

static const char b64digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64 to text: whitespace around it ignored, '=' only as padding; NULL if not base64 */
static char *
b64decode(const char *in)
{
	size_t n = strlen(in), i, len = 0;
	unsigned char *out;
	unsigned long v = 0;
	const char *p;
	int pad = 0;

	while (n > 0 && strchr(" \t\r\n", *in)) {
		in++;
		n--;
	}
	while (n > 0 && strchr(" \t\r\n", in[n - 1]))
		n--;
	if (n % 4 != 0)
		return NULL;
	out = xmalloc(n / 4 * 3 + 1);
	for (i = 0; i < n; i++) {
		if (in[i] == '=' && i >= n - 2 && (i == n - 1 || in[n - 1] == '=')) {
			pad++;
			v <<= 6;
		} else if (in[i] != '\0' && !pad && (p = strchr(b64digits, in[i]))) {
			v = v << 6 | (unsigned long)(p - b64digits);
		} else {
			free(out);
			return NULL;
		}
		if (i % 4 == 3) {
			out[len++] = (unsigned char)(v >> 16);
			out[len++] = (unsigned char)(v >> 8);
			out[len++] = (unsigned char)v;
			v = 0;
		}
	}
	out[len - (size_t)pad] = '\0';
	return (char *)out;
}

static char *
b64encode(const char *in)
{
	const unsigned char *u = (const unsigned char *)in;
	size_t n = strlen(in), i, j = 0;
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	unsigned long v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)u[i] << 16 | (i + 1 < n ? (unsigned long)u[i + 1] << 8 : 0) | (i + 2 < n ? u[i + 2] : 0);
		out[j++] = b64digits[v >> 18 & 63];
		out[j++] = b64digits[v >> 12 & 63];
		out[j++] = i + 1 < n ? b64digits[v >> 6 & 63] : '=';
		out[j++] = i + 2 < n ? b64digits[v & 63] : '=';
	}
	out[j] = '\0';
	return out;
}

/* run docker-credential-NAME get for host; 0 with creds filled */
static int
credhelper(const char *name, const char *host, struct creds *c)
{
	struct sigaction ignore, old;
	int in[2], out[2], status;
	char *prog = xasprintf("docker-credential-%s", name);
	struct buf b = {0};
	char chunk[4096];
	ssize_t n;
	json_t *j;
	pid_t pid;

	memset(&ignore, 0, sizeof(ignore));
	ignore.sa_handler = SIG_IGN;
	if (pipe(in) < 0 || pipe(out) < 0)
		fatal("pipe:");
	pid = fork();
	if (pid < 0)
		fatal("fork:");
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execlp(prog, prog, "get", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	/* a helper that exits without reading its stdin must not kill us with SIGPIPE */
	sigaction(SIGPIPE, &ignore, &old);
	if (write(in[1], host, strlen(host)) < 0 && errno != EPIPE)
		warn("write to %s:", prog);
	close(in[1]);
	sigaction(SIGPIPE, &old, NULL);
	while ((n = read(out[0], chunk, sizeof(chunk))) > 0)
		bufadd(&b, chunk, (size_t)n);
	close(out[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !b.data) {
		free(b.data);
		free(prog);
		return -1;
	}
	j = json_loads(b.data, 0, NULL);
	free(b.data);
	if (!j || !json_string_value(json_object_get(j, "Secret"))) {
		json_decref(j);
		free(prog);
		return -1;
	}
	c->user = xstrdup(json_string_value(json_object_get(j, "Username")) ?
	                  json_string_value(json_object_get(j, "Username")) : "");
	c->secret = xstrdup(json_string_value(json_object_get(j, "Secret")));
	c->from = xasprintf("credential helper %s", prog);
	json_decref(j);
	free(prog);
	return 0;
}

/* the credentials for host from one auth file; 0 if found */
static int
fromfile(const char *path, const char *host, struct creds *c)
{
	json_t *j = json_load_file(path, 0, NULL), *e;
	const char *helper, *auth, *key;
	char *plain, *colon;
	int ret = -1;

	if (!j)
		return -1;
	helper = json_string_value(json_object_get(json_object_get(j, "credHelpers"), host));
	if (helper) {
		ret = credhelper(helper, host, c);
		json_decref(j);
		return ret;
	}
	json_object_foreach(json_object_get(j, "auths"), key, e) {
		const char *k = key;
		if (strncmp(k, "https://", 8) == 0)
			k += 8;
		else if (strncmp(k, "http://", 7) == 0)
			k += 7;
		if (strncmp(k, host, strlen(host)) != 0 || (k[strlen(host)] && k[strlen(host)] != '/'))
			continue;
		auth = json_string_value(json_object_get(e, "auth"));
		if (!auth || !(plain = b64decode(auth)))
			continue;
		colon = strchr(plain, ':');
		if (colon) {
			*colon = '\0';
			c->user = xstrdup(plain);
			c->secret = xstrdup(colon + 1);
			c->from = xstrdup(path);
			ret = 0;
		}
		free(plain);
		break;
	}
	if (ret < 0 && json_string_value(json_object_get(j, "credsStore")))
		ret = credhelper(json_string_value(json_object_get(j, "credsStore")), host, c);
	json_decref(j);
	return ret;
}

int
auth_find(const char *host, struct creds *c)
{
	const char *env;
	char *path;
	int i;

	for (i = 0; i < 4; i++) {
		path = NULL;
		if (i == 0 && (env = getenv("REGISTRY_AUTH_FILE")) && *env)
			path = xstrdup(env);
		else if (i == 1 && (env = getenv("XDG_RUNTIME_DIR")) && *env)
			path = xasprintf("%s/containers/auth.json", env);
		else if (i == 2 && (env = getenv("DOCKER_CONFIG")) && *env)
			path = xasprintf("%s/config.json", env);
		else if (i == 3 && (env = getenv("HOME")) && *env)
			path = xasprintf("%s/.docker/config.json", env);
		if (path && fromfile(path, host, c) == 0) {
			free(path);
			return 0;
		}
		free(path);
	}
	return -1;
}

char *
auth_basic(const struct creds *c)
{
	char *userpass = xasprintf("%s:%s", c->user, c->secret), *b64, *header;

	b64 = b64encode(userpass);
	header = xasprintf("Authorization: Basic %s", b64);
	free(userpass);
	free(b64);
	return header;
}

void
auth_free(struct creds *c)
{
	free(c->user);
	free(c->secret);
	free(c->from);
	memset(c, 0, sizeof(*c));
}
