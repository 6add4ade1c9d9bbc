/* dpkgdb: the Debian packages an image's dpkg database lists */

struct fstree;

struct dpkgpkg {
	char *name, *arch, *version;
	/* the files of its list that the image has, and their bytes */
	long long files, bytes;
	/* the SPDX expression of the licences its copyright file declares ("" when it is not machine-readable) */
	char *licence;
};

struct dpkgdb {
	struct dpkgpkg *p;
	size_t len;
};

/* how much of the database to read: the status alone (versions), also the
   file lists (which package a path is of), also the copyright files (licences) */
enum dpkgread { DPKG_STATUS, DPKG_LISTS, DPKG_ALL };

/* whether fstree_readlayer must keep the file at path for dpkgdb_read to read what */
int dpkgdb_wants(const char *path, enum dpkgread what);
/* the packages installed in the filesystem (var/lib/dpkg/status and status.d), sorted by name;
   from DPKG_LISTS on also their files (each node's pkg set) and bytes, with DPKG_ALL their licences */
void dpkgdb_read(struct fstree *t, enum dpkgread what, struct dpkgdb *db);
/* free what dpkgdb_read made */
void dpkgdb_free(struct dpkgdb *db);
