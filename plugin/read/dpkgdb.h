/* dpkgdb: the Debian packages an image's dpkg database lists */

struct fstree;

struct dpkgpkg {
	char *name, *arch, *version;
	/* the files of its list that the image has, and their bytes */
	long long files, bytes;
	/* the licences its copyright file names ("" when it names none) */
	char *licence;
};

struct dpkgdb {
	struct dpkgpkg *p;
	size_t len;
};

/* whether fstree_readlayer must keep the file at path for dpkgdb_read;
   with all unset, only what versions need (the status) */
int dpkgdb_wants(const char *path, int all);
/* the packages installed in the filesystem (var/lib/dpkg/status and status.d), sorted by name;
   with all set also their files (each node's pkg set), bytes and licences */
void dpkgdb_read(struct fstree *t, int all, struct dpkgdb *db);
/* free what dpkgdb_read made */
void dpkgdb_free(struct dpkgdb *db);
