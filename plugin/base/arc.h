/* arc: libarchive, loaded at its first call instead of at start; include
   this instead of <archive.h> and <archive_entry.h>, and call it as ever */
#include <archive.h>
#include <archive_entry.h>

/* the libarchive functions imagegen calls, by their own names */
struct arcfns {
	struct archive *(*archive_read_new)(void);
	int (*archive_read_free)(struct archive *);
	int (*archive_read_support_filter_all)(struct archive *);
	int (*archive_read_support_format_ar)(struct archive *);
	int (*archive_read_support_format_raw)(struct archive *);
	int (*archive_read_support_format_tar)(struct archive *);
	int (*archive_read_open)(struct archive *, void *, archive_open_callback *, archive_read_callback *,
	                         archive_close_callback *);
	int (*archive_read_open_filename)(struct archive *, const char *, size_t);
	int (*archive_read_open_memory)(struct archive *, const void *, size_t);
	int (*archive_read_next_header)(struct archive *, struct archive_entry **);
	la_ssize_t (*archive_read_data)(struct archive *, void *, size_t);
	struct archive *(*archive_write_new)(void);
	int (*archive_write_free)(struct archive *);
	int (*archive_write_set_format_pax_restricted)(struct archive *);
	int (*archive_write_set_format_option)(struct archive *, const char *, const char *, const char *);
	int (*archive_write_open2)(struct archive *, void *, archive_open_callback *, archive_write_callback *,
	                           archive_close_callback *, archive_free_callback *);
	int (*archive_write_open_filename)(struct archive *, const char *);
	int (*archive_write_header)(struct archive *, struct archive_entry *);
	la_ssize_t (*archive_write_data)(struct archive *, const void *, size_t);
	int (*archive_write_close)(struct archive *);
	la_int64_t (*archive_filter_bytes)(struct archive *, int);
	int (*archive_errno)(struct archive *);
	const char *(*archive_error_string)(struct archive *);
	void (*archive_set_error)(struct archive *, int, const char *, ...);
	struct archive_entry *(*archive_entry_new)(void);
	struct archive_entry *(*archive_entry_clear)(struct archive_entry *);
	void (*archive_entry_free)(struct archive_entry *);
	const char *(*archive_entry_pathname)(struct archive_entry *);
	const char *(*archive_entry_hardlink)(struct archive_entry *);
	const char *(*archive_entry_symlink)(struct archive_entry *);
	__LA_MODE_T (*archive_entry_filetype)(struct archive_entry *);
	__LA_MODE_T (*archive_entry_perm)(struct archive_entry *);
	la_int64_t (*archive_entry_uid)(struct archive_entry *);
	la_int64_t (*archive_entry_gid)(struct archive_entry *);
	la_int64_t (*archive_entry_size)(struct archive_entry *);
	time_t (*archive_entry_mtime)(struct archive_entry *);
	void (*archive_entry_set_pathname)(struct archive_entry *, const char *);
	void (*archive_entry_set_hardlink)(struct archive_entry *, const char *);
	void (*archive_entry_set_symlink)(struct archive_entry *, const char *);
	void (*archive_entry_set_filetype)(struct archive_entry *, unsigned int);
	void (*archive_entry_set_perm)(struct archive_entry *, __LA_MODE_T);
	void (*archive_entry_set_uid)(struct archive_entry *, la_int64_t);
	void (*archive_entry_set_gid)(struct archive_entry *, la_int64_t);
	void (*archive_entry_set_size)(struct archive_entry *, la_int64_t);
	void (*archive_entry_set_mtime)(struct archive_entry *, time_t, long);
	struct archive *(*archive_write_disk_new)(void);
	int (*archive_write_disk_set_options)(struct archive *, int);
	int (*archive_write_finish_entry)(struct archive *);
	int (*archive_read_data_skip)(struct archive *);
	void (*archive_entry_xattr_add_entry)(struct archive_entry *, const char *, const void *, size_t);
};

/* the functions, libarchive loaded at the first call (or exit with one line
   naming the package to install) */
const struct arcfns *arc(void);
/* libarchive's message for its last error, never NULL */
const char *archiveerr(struct archive *a);

/* every call below goes through arc() (arc.c itself names the real ones) */
#ifndef ARC_LOADER
#define archive_read_new (arc()->archive_read_new)
#define archive_read_free (arc()->archive_read_free)
#define archive_read_support_filter_all (arc()->archive_read_support_filter_all)
#define archive_read_support_format_ar (arc()->archive_read_support_format_ar)
#define archive_read_support_format_raw (arc()->archive_read_support_format_raw)
#define archive_read_support_format_tar (arc()->archive_read_support_format_tar)
#define archive_read_open (arc()->archive_read_open)
#define archive_read_open_filename (arc()->archive_read_open_filename)
#define archive_read_open_memory (arc()->archive_read_open_memory)
#define archive_read_next_header (arc()->archive_read_next_header)
#define archive_read_data (arc()->archive_read_data)
#define archive_write_new (arc()->archive_write_new)
#define archive_write_free (arc()->archive_write_free)
#define archive_write_set_format_pax_restricted (arc()->archive_write_set_format_pax_restricted)
#define archive_write_set_format_option (arc()->archive_write_set_format_option)
#define archive_write_open2 (arc()->archive_write_open2)
#define archive_write_open_filename (arc()->archive_write_open_filename)
#define archive_write_header (arc()->archive_write_header)
#define archive_write_data (arc()->archive_write_data)
#define archive_write_close (arc()->archive_write_close)
#define archive_filter_bytes (arc()->archive_filter_bytes)
#define archive_errno (arc()->archive_errno)
#define archive_error_string (arc()->archive_error_string)
#define archive_set_error (arc()->archive_set_error)
#define archive_entry_new (arc()->archive_entry_new)
#define archive_entry_clear (arc()->archive_entry_clear)
#define archive_entry_free (arc()->archive_entry_free)
#define archive_entry_pathname (arc()->archive_entry_pathname)
#define archive_entry_hardlink (arc()->archive_entry_hardlink)
#define archive_entry_symlink (arc()->archive_entry_symlink)
#define archive_entry_filetype (arc()->archive_entry_filetype)
#define archive_entry_perm (arc()->archive_entry_perm)
#define archive_entry_uid (arc()->archive_entry_uid)
#define archive_entry_gid (arc()->archive_entry_gid)
#define archive_entry_size (arc()->archive_entry_size)
#define archive_entry_mtime (arc()->archive_entry_mtime)
#define archive_entry_set_pathname (arc()->archive_entry_set_pathname)
#define archive_entry_set_hardlink (arc()->archive_entry_set_hardlink)
#define archive_entry_set_symlink (arc()->archive_entry_set_symlink)
#define archive_entry_set_filetype (arc()->archive_entry_set_filetype)
#define archive_entry_set_perm (arc()->archive_entry_set_perm)
#define archive_entry_set_uid (arc()->archive_entry_set_uid)
#define archive_entry_set_gid (arc()->archive_entry_set_gid)
#define archive_entry_set_size (arc()->archive_entry_set_size)
#define archive_entry_set_mtime (arc()->archive_entry_set_mtime)
#define archive_write_disk_new (arc()->archive_write_disk_new)
#define archive_write_disk_set_options (arc()->archive_write_disk_set_options)
#define archive_write_finish_entry (arc()->archive_write_finish_entry)
#define archive_read_data_skip (arc()->archive_read_data_skip)
#define archive_entry_xattr_add_entry (arc()->archive_entry_xattr_add_entry)
#endif
