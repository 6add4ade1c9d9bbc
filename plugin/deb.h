/* deb: reading Debian binary packages (.deb) */

struct archive;
struct archive_entry;

/* what deb_read keeps of a package: its control file and md5sums */
struct deb {
	struct buf control, md5sums;
};

/* called for each entry of data.tar; read its contents from a */
typedef void (*debentryfn)(void *arg, struct archive *a, struct archive_entry *e);

/* read the package at path into d, and pass each data.tar entry to fn
   (with fn NULL, only the control part is read); exits on malformed input */
void deb_read(const char *path, struct deb *d, debentryfn fn, void *arg);
/* the value of a field of a control paragraph (free it), or NULL */
char *deb_field(const char *control, const char *field);
/* whether s is a package name (Debian Policy: [a-z0-9][a-z0-9+.-]+) or,
   with arch set, an architecture name ([a-z0-9][a-z0-9-]*) */
int deb_validname(const char *s, int arch);
/* free what deb_read kept */
void deb_free(struct deb *d);
