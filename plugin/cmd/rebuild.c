/*
 * rebuild: imagegen verify --rebuild DEFINITION. The image of a layout is
 * built again in a scratch folder from DEFINITION and its lock (--locked:
 * the packages and pulled bases the lock pins, nothing resolved anew), with
 * what the image's provenance says it was built with: the image's name,
 * SOURCE_DATE_EPOCH, the build arguments (as -D) and the generator's
 * options. No build cache is used: every layer is made here. Then the
 * digests are compared; when they differ, imagegen diff of the two says
 * how. ninja runs the build (it must be installed).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "image/sign.h"
#include "cmd/rebuild.h"

/* run argv in dir with its output to log (NULL: this process's), and
   SOURCE_DATE_EPOCH epoch when not NULL: its exit status, or -1 */
static int
run(char *const argv[], const char *dir, const char *log, const char *epoch)
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (chdir(dir) < 0)
			_exit(127);
		if (log) {
			if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
				_exit(127);
			close(fd);
		}
		if (epoch)
			setenv("SOURCE_DATE_EPOCH", epoch, 1);
		/* the rebuild makes every layer itself */
		unsetenv("IMAGEGEN_CACHE_REPO");
		unsetenv("IMAGEGEN_CACHE_PUSH");
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* the last lines of the log, indented, for a rebuild that failed */
static void
showlog(const char *log)
{
	struct buf b = {0};
	size_t start, lines = 0;

	if (readall(log, &b) < 0 || b.len == 0)
		return;
	for (start = b.len - 1; start > 0 && lines < 6; start--)
		lines += b.data[start - 1] == '\n';
	fprintf(stderr, "%.*s", (int)(b.len - start), b.data + start);
	free(b.data);
}

int
rebuild_compare(const char *layout, const char *definition)
{
	char digest[72], def[PATH_MAX], exe[PATH_MAX], *tmp, *log, *out, *epoch, *text;
	const char *tmpdir = getenv("TMPDIR"), *name, *key;
	json_t *st = sign_statement(layout, digest), *ext, *v;
	char *argv[256];
	struct buf got = {0};
	int argc = 0, status, ret = 2;

	if (!st)
		fatal("verify --rebuild %s: the layout has no provenance to rebuild it by", layout);
	ext = json_object_get(json_object_get(json_object_get(st, "predicate"), "buildDefinition"), "externalParameters");
	name = json_string_value(json_object_get(ext, "image"));
	if (!name || !*name || strchr(name, '/'))
		fatal("verify --rebuild %s: the provenance names no image", layout);
	if (!realpath(definition, def))
		fatal("verify --rebuild %s: %s:", layout, definition);
	if (!realpath("/proc/self/exe", exe))
		fatal("verify --rebuild: where imagegen is:");
	tmp = xasprintf("%s/imagegen-rebuild.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(tmp))
		fatal("%s:", tmp);
	log = xasprintf("%s/rebuild.log", tmp);
	epoch = xasprintf("%lld", (long long)json_integer_value(json_object_get(ext, "epoch")));

	argv[argc++] = exe;
	argv[argc++] = "--locked";
	json_object_foreach(json_object_get(ext, "arguments"), key, v) {
		if (argc < 200 && json_is_string(v))
			argv[argc++] = xasprintf("-D%s=%s", key, json_string_value(v));
	}
	json_object_foreach(json_object_get(ext, "options"), key, v) {
		if (argc < 250 && json_is_string(v) &&
		    (!strcmp(key, "compression") || !strcmp(key, "format") || !strcmp(key, "maxlayers"))) {
			argv[argc++] = xasprintf("--%s", strcmp(key, "maxlayers") == 0 ? "max-layers" : key);
			argv[argc++] = xstrdup(json_string_value(v));
		}
	}
	argv[argc++] = def;
	argv[argc] = NULL;
	printf("rebuilding %s from %s in %s\n", name, definition, tmp);
	fflush(stdout);
	if ((status = run(argv, tmp, log, epoch)) != 0) {
		fprintf(stderr, "imagegen: verify --rebuild: generating the build from %s failed (status %d):\n", definition,
		        status);
		showlog(log);
		goto out;
	}
	{
		char *ninja[] = {"ninja", (char *)name, NULL};
		if ((status = run(ninja, tmp, log, epoch)) != 0) {
			fprintf(stderr, "imagegen: verify --rebuild: %s\n", status == 127 || status < 0
			                                                         ? "ninja did not run (apt-get install ninja-build)"
			                                                         : "the build failed:");
			showlog(log);
			goto out;
		}
	}
	out = xasprintf("%s/out/%s.digest", tmp, name);
	if (readall(out, &got) < 0) {
		fprintf(stderr, "imagegen: verify --rebuild: the build wrote no %s\n", out);
		free(out);
		goto out;
	}
	free(out);
	bufadd(&got, "", 1);
	text = strtok(got.data, "\n");
	if (text && strcmp(text, digest) == 0) {
		printf("rebuilt %s: the same image, %s\n", name, digest);
		ret = 0;
	} else {
		char *dir = xasprintf("%s/out/%s", tmp, name);
		char *diff[] = {exe, "diff", (char *)layout, dir, NULL};
		printf("rebuilt %s: another image, %s, not %s\n", name, text ? text : "(none)", digest);
		fflush(stdout);
		run(diff, ".", NULL, NULL);
		free(dir);
		ret = 1;
	}
out:
	free(got.data);
	removetree(tmp);
	/* argv[0] and [1] and the last (the definition) are not allocated */
	while (--argc > 2)
		free(argv[argc - 1]);
	free(epoch);
	free(log);
	free(tmp);
	json_decref(st);
	return ret;
}
