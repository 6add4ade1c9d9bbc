/* deb: reading Debian binary packages (.deb) */

struct archive;
struct archive_entry;

/* the members of control.tar that dpkg keeps in its database besides the
   control file, as var/lib/dpkg/info/NAME.MEMBER */
enum {
	DEB_MD5SUMS, DEB_CONFFILES, DEB_PREINST, DEB_POSTINST, DEB_PRERM, DEB_POSTRM,
	DEB_CONFIG, DEB_TEMPLATES, DEB_TRIGGERS, DEB_SHLIBS, DEB_SYMBOLS, DEB_NINFO
};
/* their names, by the enum above */
extern const char *const deb_infonames[DEB_NINFO];

/* what deb_read keeps of a package */
struct deb {
	struct buf control;
	struct buf info[DEB_NINFO];
	/* the sha256 of every byte of the file, in hex */
	char sha256[65];
	/* why deb_read failed */
	char err[512];
};

/* what deb_read hands over: control, once control.tar is read (before any
   entry); entry, each entry of data.tar (read its contents from a) */
struct debreader {
	void (*control)(void *arg, const struct deb *d);
	void (*entry)(void *arg, struct archive *a, struct archive_entry *e);
	void *arg;
};

/* read the package at path into d in one pass that also hashes the file,
   handing its parts to r; 0, or -1 with d->err set */
int deb_read(const char *path, struct deb *d, const struct debreader *r);
/* the value of a field of a control paragraph (free it), or NULL */
char *deb_field(const char *control, const char *field);
/* whether s is a package name (Debian Policy: [a-z0-9][a-z0-9+.-]+) or,
   with arch set, an architecture name ([a-z0-9][a-z0-9-]*) */
int deb_validname(const char *s, int arch);
/* whether the control file read into d names package, version and arch
   (its lock line's): 0, or -1 with why naming the field and both values */
int deb_matches(const struct deb *d, const char *package, const char *version, const char *arch, char *why,
                size_t len);
/* an absolute path as a maintainer script or a conffiles line names it,
   normalised ("//", "." and "a/.." gone, no "/" at the end) into out (len
   + 1 bytes), its length in outlen: NULL, or why it cannot be (a ".."
   above the root, not absolute, a NUL byte) */
const char *deb_rootpath(const char *path, size_t len, char *out, size_t *outlen);
/* free what deb_read kept */
void deb_free(struct deb *d);
