/* ldcache: shared objects as glibc's ldconfig reads them, and /etc/ld.so.cache */

struct buf;

/* where an ELF file's bytes are: read(ctx, off, buf, len) fills buf with len
   bytes at off (0), or fails (-1); size is the file's */
struct elfsrc {
	int (*read)(void *ctx, unsigned long long off, void *buf, size_t len);
	void *ctx;
	unsigned long long size;
};

/* one entry of the cache: ldconfig's flags, the SONAME, its path */
struct ldentry {
	int flags;
	const char *key, *value;
	unsigned long long hwcap;
};

/* what ldconfig reads of a shared object, appended to out as
   "CLASS DATA MACHINE EFLAGS\0SONAME\0INTERP\0NEEDED\0NEEDED..." (SONAME and
   INTERP empty when absent); -1 (out untouched) when it is no ELF shared
   object with a dynamic section and a string table */
int ldcache_elf(const struct elfsrc *src, struct buf *out);
/* the bytes of /etc/ld.so.cache (the new format alone, "glibc-ld.so.cache1.1")
   with the n entries in the order ldconfig adds them, sorted here as
   ldconfig sorts them; generator names the ldconfig; big for a big-endian
   architecture */
void ldcache_write(const struct ldentry *e, size_t n, const char *generator, int big, struct buf *out);
