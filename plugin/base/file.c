/*
 * file: whole files read and written. Outputs are written to a temporary
 * name beside them and renamed, so a reader never sees half a file, and
 * not at all when they already hold the bytes (ninja's restat then stops
 * the cascade); in make mode such a file is touched instead (makemode).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"

int
readall(const char *path, struct buf *b)
{
	char tmp[65536];
	ssize_t n;
	int fd, saved;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	bufadd(b, "", 0);
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		bufadd(b, tmp, (size_t)n);
	}
	close(fd);
	return 0;
}

char *
tmpname(const char *path)
{
	return xasprintf("%s.tmp%ld", path, (long)getpid());
}

void
sweepdead(const char *dir, const char *prefix)
{
	size_t n = strlen(prefix);
	struct dirent *de;
	char *end, *p;
	long pid;
	DIR *d = opendir(*dir ? dir : "/");

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, n) != 0)
			continue;
		pid = strtol(de->d_name + n, &end, 10);
		if (end == de->d_name + n || (*end && *end != '.') || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			p = xasprintf("%s/%s", dir, de->d_name);
			unlink(p);
			free(p);
		}
	}
	if (d)
		closedir(d);
}

void
sweeptmp(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char *dir = slash ? xasprintf("%.*s", (int)(slash - path), path) : xstrdup(".");
	char *prefix = xasprintf("%s.tmp", base);

	sweepdead(dir, prefix);
	free(prefix);
	free(dir);
}

int
mkdirs(const char *path)
{
	char *parent, *slash;
	int ret;

	/* the folder itself first: most often only the last one is missing */
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;
	parent = xstrdup(path);
	slash = strrchr(parent, '/');
	while (slash && slash > parent && slash[-1] == '/')
		slash--;
	if (!slash || slash == parent) {
		free(parent);
		return -1;
	}
	*slash = '\0';
	ret = mkdirs(parent);
	free(parent);
	if (ret < 0)
		return -1;
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* empty the folder open as fd (closed after), made writable and searchable first */
static int
emptydir(int fd)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int sub, ret = 0, saved;

	if (fstat(fd, &st) < 0 || ((st.st_mode & 0700) != 0700 && fchmod(fd, st.st_mode | 0700) < 0) ||
	    !(d = fdopendir(fd))) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while (ret == 0 && (errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM)
			ret = -1;
		else if ((sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) < 0 || emptydir(sub) < 0 ||
		         unlinkat(fd, de->d_name, AT_REMOVEDIR) < 0)
			ret = -1;
	}
	if (ret == 0 && errno)
		ret = -1;
	saved = errno;
	closedir(d);
	errno = saved;
	return ret;
}

int
removetree(const char *path)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) < 0 || emptydir(fd) < 0)
		return -1;
	return rmdir(path);
}

int
mkparent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int ret;

	if (!slash || slash == path)
		return 0;
	dir = xmalloc((size_t)(slash - path) + 1);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	ret = mkdirs(dir);
	free(dir);
	return ret;
}

int
samecontent(const char *path, const void *data, size_t len)
{
	char chunk[65536];
	struct stat st;
	size_t at = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY), same = 1;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (unsigned long long)st.st_size != len) {
		close(fd);
		return 0;
	}
	while (same && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		same = n > 0 && (size_t)n <= len - at && memcmp(chunk, (const char *)data + at, (size_t)n) == 0;
		if (same)
			at += (size_t)n;
	}
	close(fd);
	return same && at == len;
}

int
outopen(const char *path, char **tmp)
{
	int fd, saved;

	*tmp = tmpname(path);
	/* the folders are made when they are missing, not tried each time */
	fd = open(*tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 && errno == ENOENT && mkparent(path) == 0)
		fd = open(*tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		saved = errno;
		free(*tmp);
		errno = saved;
		return -1;
	}
	/* outputs are shared artifacts: readable by all whatever the umask */
	if (fchmod(fd, 0644) < 0) {
		outabort(fd, *tmp);
		return -1;
	}
	return fd;
}

int
outcommit(int fd, char *tmp, const char *path)
{
	int saved;

	if (close(fd) < 0 || rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		free(tmp);
		errno = saved;
		return -1;
	}
	free(tmp);
	return 0;
}

void
outabort(int fd, char *tmp)
{
	int saved = errno;

	close(fd);
	unlink(tmp);
	free(tmp);
	errno = saved;
}

int
writeall(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
replacefile(const char *path, const void *data, size_t len)
{
	char *tmp;
	int fd;

	if (samecontent(path, data, len))
		return 0;
	if ((fd = outopen(path, &tmp)) < 0)
		return -1;
	if (writeall(fd, data, len) < 0) {
		outabort(fd, tmp);
		return -1;
	}
	return outcommit(fd, tmp, path) < 0 ? -1 : 1;
}

int
xreplacefile(const char *path, const void *data, size_t len)
{
	int ret = replacefile(path, data, len);

	if (ret < 0)
		fatal("write %s:", path);
	return ret;
}

int makemode;

int
updatefile(const char *path, const void *data, size_t len)
{
	int ret = xreplacefile(path, data, len);

	if (ret == 0 && makemode && utimensat(AT_FDCWD, path, NULL, 0) < 0)
		fatal("touch %s:", path);
	return ret;
}
