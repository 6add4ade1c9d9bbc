/* file: whole files read, and written atomically */
#include <stddef.h>

struct buf;

/* make mode (helpers run by make): an output that did not change still gets
   a new mtime, and a helper reports what it changed on stdout */
extern int makemode;
/* read a whole file into b; -1 with errno set on failure */
int readall(const char *path, struct buf *b);
/* "path.tmp<pid>": where this process writes path before renaming it (free it) */
char *tmpname(const char *path);
/* remove the files of dir named PREFIX<pid>[.anything] whose writer, pid,
   is no longer running (what a kill -9 leaves) */
void sweepdead(const char *dir, const char *prefix);
/* sweepdead of path's tmpname siblings */
void sweeptmp(const char *path);
/* make the directory and its parents (mode 0755); -1 on failure */
int mkdirs(const char *path);
/* remove path and, for a folder, everything in it, never following a
   symlink (folders made writable first: a step may leave read-only ones, as
   Go's module cache does); 0 when it is gone or was not there, else -1 */
int removetree(const char *path);
/* whether the file at path holds these bytes: one of another size is not
   read, one of this size compared a chunk at a time */
int samecontent(const char *path, const void *data, size_t len);
/* make the parent directories of path; -1 on failure */
int mkparent(const char *path);
/* an output written as a whole or not at all: outopen makes path's
   temporary (its folders made when missing), readable by all, and returns
   its descriptor (-1 with errno); outcommit closes and renames it over path
   (0, or -1 with errno and the temporary gone); outabort closes and removes
   it, errno kept. Both free *tmp */
int outopen(const char *path, char **tmp);
int outcommit(int fd, char *tmp, const char *path);
void outabort(int fd, char *tmp);
/* write all len bytes to fd (a write cut by a signal goes on); 0, or -1 with errno */
int writeall(int fd, const void *data, size_t len);
/* write data to path via a temporary file and rename, unless path already
   holds exactly these bytes; 1 if written, 0 if unchanged, -1 on failure */
int replacefile(const char *path, const void *data, size_t len);
/* like replacefile, but exits with a message on failure */
int xreplacefile(const char *path, const void *data, size_t len);
/* xreplacefile, then in make mode touch path if it was unchanged */
int updatefile(const char *path, const void *data, size_t len);
