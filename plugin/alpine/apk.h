/* apk: Alpine's packages (.apk), read in one pass and checked (needs stream.h and rsa.h) */
#include <stddef.h>
#include <stdint.h>

struct sha1_ctx;

/* the scripts of a package's control stream, by name */
enum { APK_PREINSTALL, APK_POSTINSTALL, APK_PREUPGRADE, APK_POSTUPGRADE, APK_PREDEINSTALL, APK_POSTDEINSTALL,
       APK_TRIGGER, APK_NSCRIPTS };
/* their names (".pre-install", ...), by the enum above */
extern const char *const apk_scriptnames[APK_NSCRIPTS];

/* a "key = value" line of .PKGINFO */
struct apkfield {
	char *key, *value;
};

/* what apk_read keeps of a package */
struct apkpkg {
	struct apksig sig;
	/* the digests of the control stream's compressed bytes, and the
	   package's identity from them: "Q1" + base64(SHA-1) */
	uint8_t sha1[20], sha256[32];
	char checksum[32];
	/* .PKGINFO's lines in their order, and the scripts' texts (NULL: none) */
	struct apkfield *fields;
	size_t nfields;
	char *scripts[APK_NSCRIPTS];
	size_t scriptlen[APK_NSCRIPTS];
	/* why apk_read failed */
	char err[512];
};

/* a member of the data tar being handed over: read its data with apk_data */
struct apkfile {
	struct tarmember *m;
	struct gzin *g;
	struct sha1_ctx *sha1;
};

/* what apk_read hands over: control, once the control stream is read (it
   checks the signature, apk_verify, and the package against what it
   expects: 0 to go on, -1 with why in p->err); entry, each member of the
   data tar (its data is checked against its checksum after entry returns) */
struct apkreader {
	int (*control)(void *arg, struct apkpkg *p);
	void (*entry)(void *arg, struct apkfile *f);
	void *arg;
	const struct apkkey *keys;
	size_t nkeys;
};

/* read the package src gives into p, handing its parts to r, checking each
   file's SHA-1 and the data stream's SHA-256 against .PKGINFO's datahash:
   0, or -1 with p->err set */
int apk_read(apk_source *src, void *srcarg, struct apkpkg *p, const struct apkreader *r);
/* up to n bytes of the member's data: their count, 0 at its end, -1 on error */
ssize_t apk_data(struct apkfile *f, void *buf, size_t n);
/* whether p's signature is good, by one of the n keys: 0, or -1 with why in p->err */
int apk_verify(struct apkpkg *p, const struct apkkey *keys, size_t n);
/* the first value of key in .PKGINFO, or NULL */
const char *apk_field(const struct apkpkg *p, const char *key);
/* "Q1" + the base64 of a SHA-1, as apk names packages and files, into out[32] */
void apk_q1(const uint8_t sha1[20], char out[32]);
/* free what apk_read kept */
void apk_free(struct apkpkg *p);
