/*
 * arc: libarchive, loaded (dlopen) at its first call rather than linked.
 *
 * Debian's libarchive needs libxml2 for the xar format, and libxml2 needs
 * ICU and libstdc++: relocating the lot is 4 million instructions
 * (callgrind), some 1.5 ms, of a process's start-up, 3.3 million of them
 * for libxml2 and what it needs. Linking libarchive statically does not
 * shed it: the pax writer imagegen uses shares an object with the table of
 * every writer, xar's among them. So libarchive is loaded when a command
 * first reads or writes an archive (layers, bases, packages, SBOMs, report
 * pages, docker-archives), and imagegen --version, the image, index and
 * layout helpers and the generator (without packages) never load it.
 *
 * arc.h turns each call into one through the table here; configure names
 * the soname (ARCHIVE_SONAME) and the package (ARCHIVE_PACKAGE).
 */
#define ARC_LOADER
#include <stddef.h>
#include <string.h>
#include "base/lib.h"
#include "base/arc.h"

/* (configure says; these are for builds without it, such as the fuzz targets') */
#ifndef ARCHIVE_SONAME
#define ARCHIVE_SONAME "libarchive.so.13"
#endif
#ifndef ARCHIVE_PACKAGE
#define ARCHIVE_PACKAGE "libarchive13"
#endif

static struct arcfns fns;
static struct lib libarchive = {"libarchive", ARCHIVE_SONAME, ARCHIVE_PACKAGE, "layers and archives", NULL};

/* the table's field f: libarchive's f, checked by the compiler to have its
   type (sizeof evaluates nothing, so nothing links against it) */
#define ARCFN(f) libfn(&libarchive, #f, &fns.f, sizeof(0 ? &f : fns.f))

const struct arcfns *
arc(void)
{
	if (fns.archive_entry_xattr_add_entry)
		return &fns;
	ARCFN(archive_read_new);
	ARCFN(archive_read_free);
	ARCFN(archive_read_support_filter_all);
	ARCFN(archive_read_support_format_ar);
	ARCFN(archive_read_support_format_raw);
	ARCFN(archive_read_support_format_tar);
	ARCFN(archive_read_open);
	ARCFN(archive_read_open_filename);
	ARCFN(archive_read_open_memory);
	ARCFN(archive_read_next_header);
	ARCFN(archive_read_data);
	ARCFN(archive_write_new);
	ARCFN(archive_write_free);
	ARCFN(archive_write_set_format_pax_restricted);
	ARCFN(archive_write_set_format_option);
	ARCFN(archive_write_open2);
	ARCFN(archive_write_open_filename);
	ARCFN(archive_write_header);
	ARCFN(archive_write_data);
	ARCFN(archive_write_close);
	ARCFN(archive_filter_bytes);
	ARCFN(archive_errno);
	ARCFN(archive_error_string);
	ARCFN(archive_set_error);
	ARCFN(archive_entry_new);
	ARCFN(archive_entry_clear);
	ARCFN(archive_entry_free);
	ARCFN(archive_entry_pathname);
	ARCFN(archive_entry_hardlink);
	ARCFN(archive_entry_symlink);
	ARCFN(archive_entry_filetype);
	ARCFN(archive_entry_perm);
	ARCFN(archive_entry_uid);
	ARCFN(archive_entry_gid);
	ARCFN(archive_entry_size);
	ARCFN(archive_entry_mtime);
	ARCFN(archive_entry_set_pathname);
	ARCFN(archive_entry_set_hardlink);
	ARCFN(archive_entry_set_symlink);
	ARCFN(archive_entry_set_filetype);
	ARCFN(archive_entry_set_perm);
	ARCFN(archive_entry_set_uid);
	ARCFN(archive_entry_set_gid);
	ARCFN(archive_entry_set_size);
	ARCFN(archive_entry_set_mtime);
	ARCFN(archive_write_disk_new);
	ARCFN(archive_write_disk_set_options);
	ARCFN(archive_write_finish_entry);
	ARCFN(archive_read_data_skip);
	ARCFN(archive_entry_xattr_add_entry);
	return &fns;
}

const char *
archiveerr(struct archive *a)
{
	const char *s = a ? arc()->archive_error_string(a) : NULL;

	if (s)
		return s;
	return a && arc()->archive_errno(a) ? strerror(arc()->archive_errno(a)) : "unknown error";
}
