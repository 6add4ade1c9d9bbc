/*
 * sandbox: a step run in bubblewrap (bwrap) over an image's root file
 * system, unpacked by rootfs.c.
 *
 * What the step sees:
 *   /                the image's root file system, read-only
 *   its folder       the image's WorkingDir (/out when it has none), the
 *                    step's work folder of this machine, writable; the
 *                    working directory; the inputs bound read-only in it
 *                    at their paths, the outputs written there
 *   $HOME, /tmp      empty tmpfs
 *   /proc, /dev      new ones (bwrap's: null, zero, random, tty, ...)
 *   the environment  the image's Env only (PATH as Docker's default when
 *                    it sets none), HOME, SOURCE_DATE_EPOCH
 *   the user         the image's User, as a user namespace maps it to the
 *                    user running the build (root when it names none)
 *   the network      none but loopback; with network = true this
 *                    machine's, and its /etc/resolv.conf and /etc/hosts
 * in new user, PID, IPC, UTS, cgroup and network namespaces, killed with
 * the build, in a session of its own, with umask 022.
 *
 * Names of the image (/bin/sh, /etc/passwd) are resolved within the root,
 * its symlinks taken as the sandbox would take them, never as this
 * machine's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <jansson.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/file.h"
#include "step/sandbox.h"

enum {
	/* symlinks followed at most in a name of the image */
	MAXLINKS = 40,
};

/* the path on this machine of the image's name path (absolute, in the
   image), its symlinks resolved within root; NULL when it is not there */
static char *
rootpath(const char *root, const char *path)
{
	struct buf done = {0}, rest = {0};
	struct stat st;
	char *host, *slash, target[4096];
	const char *name;
	ssize_t n;
	int links = 0;

	bufstr(&done, "");
	bufstr(&rest, path);
	while (rest.len > 0) {
		slash = strchr(rest.data, '/');
		name = rest.data;
		if (slash)
			*slash = '\0';
		if (strcmp(name, "..") == 0) {
			if ((slash = strrchr(done.data, '/')))
				done.len = (size_t)(slash - done.data);
			done.data[done.len] = '\0';
		} else if (*name && strcmp(name, ".") != 0) {
			host = xasprintf("%s%s/%s", root, done.data, name);
			if (lstat(host, &st) < 0) {
				free(host);
				goto missing;
			}
			if (S_ISLNK(st.st_mode)) {
				n = readlink(host, target, sizeof(target) - 1);
				free(host);
				if (n < 0 || ++links > MAXLINKS)
					goto missing;
				target[n] = '\0';
				if (target[0] == '/') {
					done.len = 0;
					done.data[0] = '\0';
				}
				host = xasprintf("%s/%s", target, slash ? slash + 1 : "");
				rest.len = 0;
				bufstr(&rest, host);
				free(host);
				continue;
			}
			free(host);
			bufprintf(&done, "/%s", name);
		}
		if (!slash)
			break;
		memmove(rest.data, slash + 1, strlen(slash + 1) + 1);
		rest.len = strlen(rest.data);
	}
	host = xasprintf("%s%s", root, done.data);
	free(done.data);
	free(rest.data);
	return host;
missing:
	free(done.data);
	free(rest.data);
	return NULL;
}

/* the fields of the line of an /etc/passwd or /etc/group of the image whose
   field key (0: name, 2: id) is value: up to 7, in fields; 0 when none */
static int
account(const char *root, const char *file, int key, const char *value, char *fields[7], struct buf *b)
{
	char *path = rootpath(root, file), *line, *next, *p;
	int i;

	b->len = 0;
	if (!path || readall(path, b) < 0) {
		free(path);
		return 0;
	}
	free(path);
	for (line = b->data; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		for (i = 0, p = line; i < 7; i++) {
			fields[i] = p;
			p = p ? strchr(p, ':') : NULL;
			if (p)
				*p++ = '\0';
		}
		if (fields[key] && strcmp(fields[key], value) == 0)
			return 1;
	}
	return 0;
}

/* a uid or gid written as a number; -1 when it is not one */
static long
number(const char *s)
{
	char *end;
	long n;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	return errno || n > 2147483647L ? -1 : n;
}

/* "/a/b/" and "a//b" as "/a/b"; "/" for nothing */
static char *
absolute(const char *path)
{
	struct buf b = {0};
	const char *p = path, *end;

	while (*p) {
		while (*p == '/')
			p++;
		end = p + strcspn(p, "/");
		if (end > p && !(end - p == 1 && *p == '.'))
			bufprintf(&b, "/%.*s", (int)(end - p), p);
		p = end;
	}
	if (!b.len)
		bufstr(&b, "/");
	return b.data;
}

void
sandbox_user(const char *root, json_t *config, const char *ctx, struct stepuser *u)
{
	const char *user = json_string_value(json_object_get(config, "User")), *wd, *e;
	char *fields[7], *name, *group, *env = NULL, id[32];
	struct buf b = {0};
	json_t *v;
	size_t i;

	name = xstrdup(user ? user : "");
	group = strchr(name, ':');
	if (group)
		*group++ = '\0';
	u->uid = u->gid = 0;
	u->home = NULL;
	if (*name && (u->uid = number(name)) < 0) {
		if (!account(root, "/etc/passwd", 0, name, fields, &b) || !fields[2] || (u->uid = number(fields[2])) < 0)
			fatal("%s: the image's user '%s' is not in its /etc/passwd", ctx, showname(name));
	}
	/* the uid's line: its primary group and home */
	snprintf(id, sizeof(id), "%ld", u->uid);
	if (account(root, "/etc/passwd", 2, id, fields, &b)) {
		if (fields[3] && number(fields[3]) >= 0)
			u->gid = number(fields[3]);
		if (fields[5] && fields[5][0] == '/' && strcmp(fields[5], "/nonexistent") != 0)
			u->home = absolute(fields[5]);
	}
	if (group && *group && (u->gid = number(group)) < 0) {
		if (!account(root, "/etc/group", 0, group, fields, &b) || !fields[2] || (u->gid = number(fields[2])) < 0)
			fatal("%s: the image's group '%s' is not in its /etc/group", ctx, showname(group));
	}
	free(b.data);
	free(name);
	json_array_foreach(json_object_get(config, "Env"), i, v) {
		e = json_string_value(v);
		if (e && strncmp(e, "HOME=", 5) == 0 && e[5] == '/') {
			free(env);
			env = absolute(e + 5);
		}
	}
	if (env) {
		free(u->home);
		u->home = env;
	}
	if (!u->home || strcmp(u->home, "/") == 0) {
		free(u->home);
		u->home = xstrdup(u->uid == 0 ? "/root" : "/tmp");
	}
	wd = json_string_value(json_object_get(config, "WorkingDir"));
	u->dir = absolute(wd ? wd : "");
	if (strcmp(u->dir, "/") == 0) {
		free(u->dir);
		u->dir = xstrdup("/out");
	}
}

void
sandbox_freeuser(struct stepuser *u)
{
	free(u->home);
	free(u->dir);
}

/* make the folder path (absolute, in the image) in root, refusing a symlink on the way */
static void
mountdir(const char *root, const char *path, const char *ctx)
{
	struct stat st;
	char *host = xasprintf("%s%s", root, path), *p;

	for (p = host + strlen(root) + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (lstat(host, &st) == 0 && S_ISLNK(st.st_mode))
			fatal("%s: the image's %s is a symlink, where the step needs a folder", ctx, showname(host + strlen(root)));
		if (lstat(host, &st) < 0 && mkdir(host, 0755) < 0 && errno != EEXIST)
			fatal("%s: mkdir %s:", ctx, showname(host));
		*p = c;
		if (!c)
			break;
	}
	free(host);
}

/* make path (absolute, in the image) an empty file in root, unless it is a file already */
static void
mountfile(const char *root, const char *path, const char *ctx)
{
	char *host = xasprintf("%s%s", root, path), *dir = xstrdup(path);
	struct stat st;
	int fd;

	*strrchr(dir, '/') = '\0';
	mountdir(root, dir, ctx);
	if (lstat(host, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (removetree(host) < 0 || (fd = open(host, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 || close(fd) < 0)
			fatal("%s: make %s:", ctx, showname(host));
	}
	free(dir);
	free(host);
}

void
sandbox_prepare(const char *root, const struct stepuser *u, const char *ctx)
{
	mountdir(root, "/tmp", ctx);
	mountdir(root, "/proc", ctx);
	mountdir(root, "/dev", ctx);
	if (strncmp(u->home, "/tmp/", 5) != 0)
		mountdir(root, u->home, ctx);
	if (strncmp(u->dir, "/tmp/", 5) != 0)
		mountdir(root, u->dir, ctx);
	mountfile(root, "/etc/resolv.conf", ctx);
	mountfile(root, "/etc/hosts", ctx);
}

/* bwrap's command line, growing */
struct args {
	char **v;
	size_t len, cap;
};

static void
arg(struct args *a, const char *s)
{
	if (a->len + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->len++] = xstrdup(s);
	a->v[a->len] = NULL;
}

static void
args(struct args *a, const char *x, const char *y, const char *z)
{
	arg(a, x);
	if (y)
		arg(a, y);
	if (z)
		arg(a, z);
}

/* the path of a program of $PATH, or NULL */
static char *
findpath(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char *full;

	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		full = xasprintf("%.*s/%s", (int)(end - p), p, name);
		if (access(full, X_OK) == 0)
			return full;
		free(full);
	}
	return NULL;
}

/* run argv with stdin from /dev/null and, when quiet, stdout and stderr
   too; statusfd stays open in it; its exit status */
static int
spawn(char *const argv[], int statusfd, int quiet)
{
	pid_t pid;
	int status, null;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		fatal("fork:");
	if (pid == 0) {
		umask(022);
		if ((null = open("/dev/null", O_RDWR)) >= 0) {
			dup2(null, 0);
			if (quiet) {
				dup2(null, 1);
				dup2(null, 2);
			}
		}
		if (statusfd >= 0)
			fcntl(statusfd, F_SETFD, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			fatal("wait:");
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void
sandbox_check(const struct sandbox *s)
{
	char *bwrap = findpath("bwrap"), *sh;

	if (!bwrap)
		fatal("%s: bubblewrap is not installed, which runs steps in images (apt-get install bubblewrap)", s->ctx);
	free(bwrap);
	if (s->shell) {
		sh = rootpath(s->root, "/bin/sh");
		if (!sh || access(sh, X_OK) < 0)
			fatal("%s: image '%s' has no /bin/sh to run the step's string with; give run as a list of words, "
			      "which run without a shell", s->ctx, s->image);
		free(sh);
	}
}

int
sandbox_run(const struct sandbox *s)
{
	struct args a = {0};
	struct buf env = {0}, said = {0};
	char *bwrap = findpath("bwrap"), *root, *work, *src, fd[16], epoch[32], uid[32], gid[32], chunk[256];
	const char *e, *eq;
	json_t *v;
	size_t i;
	int pipefd[2], status, path = 0;
	ssize_t n;

	if (!bwrap)
		fatal("%s: bubblewrap is not installed, which runs steps in images (apt-get install bubblewrap)", s->ctx);
	if (!(root = realpath(s->root, NULL)) || !(work = realpath(s->work, NULL)))
		fatal("%s: realpath %s:", s->ctx, s->root);
	if (pipe(pipefd) < 0 || fcntl(pipefd[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(pipefd[1], F_SETFD, FD_CLOEXEC) < 0)
		fatal("pipe:");
	snprintf(fd, sizeof(fd), "%d", pipefd[1]);
	snprintf(uid, sizeof(uid), "%ld", s->user.uid);
	snprintf(gid, sizeof(gid), "%ld", s->user.gid);
	snprintf(epoch, sizeof(epoch), "%lld", s->epoch);
	args(&a, bwrap, "--unshare-all", "--unshare-user");
	if (s->network)
		arg(&a, "--share-net");
	args(&a, "--uid", uid, NULL);
	args(&a, "--gid", gid, NULL);
	args(&a, "--die-with-parent", "--new-session", NULL);
	args(&a, "--ro-bind", root, "/");
	args(&a, "--proc", "/proc", NULL);
	args(&a, "--dev", "/dev", NULL);
	args(&a, "--perms", "1777", NULL);
	args(&a, "--tmpfs", "/tmp", NULL);
	if (strncmp(s->user.home, "/tmp/", 5) == 0)
		args(&a, "--dir", s->user.home, NULL);
	else if (strcmp(s->user.home, "/tmp") != 0)
		args(&a, "--tmpfs", s->user.home, NULL);
	args(&a, "--bind", work, s->user.dir);
	for (i = 0; i < s->nmounts; i++) {
		if (!(src = realpath(s->mounts[i].src, NULL)))
			fatal("%s: input %s:", s->ctx, showname(s->mounts[i].src));
		args(&a, "--ro-bind", src, s->mounts[i].dst);
		free(src);
	}
	if (s->network) {
		args(&a, "--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf");
		args(&a, "--ro-bind-try", "/etc/hosts", "/etc/hosts");
	}
	args(&a, "--chdir", s->user.dir, NULL);
	arg(&a, "--clearenv");
	json_array_foreach(json_object_get(s->config, "Env"), i, v) {
		e = json_string_value(v);
		if (!e || !(eq = strchr(e, '=')) || eq == e)
			continue;
		env.len = 0;
		bufadd(&env, e, (size_t)(eq - e));
		path = path || strcmp(env.data, "PATH") == 0;
		args(&a, "--setenv", env.data, eq + 1);
	}
	if (!path)
		args(&a, "--setenv", "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	args(&a, "--setenv", "HOME", s->user.home);
	args(&a, "--setenv", "SOURCE_DATE_EPOCH", epoch);
	args(&a, "--json-status-fd", fd, "--");
	for (i = 0; s->argv[i]; i++)
		arg(&a, s->argv[i]);
	status = spawn(a.v, pipefd[1], 0);
	close(pipefd[1]);
	while ((n = read(pipefd[0], chunk, sizeof(chunk))) > 0)
		bufadd(&said, chunk, (size_t)n);
	close(pipefd[0]);
	/* bwrap says the child's pid once it started it: without, the sandbox failed */
	if (!said.data || !strstr(said.data, "child-pid")) {
		char *probe[] = {bwrap, "--unshare-user", "--ro-bind", "/", "/", "/bin/true", NULL};
		status = spawn(probe, -1, 1) != 0 ? SANDBOX_NOUSERNS : SANDBOX_FAILED;
	}
	for (i = 0; i < a.len; i++)
		free(a.v[i]);
	free(a.v);
	free(env.data);
	free(said.data);
	free(root);
	free(work);
	free(bwrap);
	return status;
}
