/*
 * fuzz-deb: a Debian package read as the layer helper reads it: the ar
 * archive, control.tar and data.tar inside it, every entry's data, and the
 * control file's fields. An error is fatal()'s message, which returns here
 * in fuzz builds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <archive.h>
#include <archive_entry.h>
#include "base/err.h"
#include "base/mem.h"
#include "debian/deb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
entry(void *arg, struct archive *a, struct archive_entry *e)
{
	char chunk[4096];

	(void)arg;
	archive_entry_pathname(e);
	archive_entry_symlink(e);
	archive_entry_hardlink(e);
	while (archive_read_data(a, chunk, sizeof(chunk)) > 0)
		;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[] = "/tmp/imagegen-fuzz-deb.XXXXXX";
	static int ready;
	static struct deb d;
	static const struct debreader reader = {NULL, entry, NULL};
	jmp_buf back;
	char *v;
	FILE *f;

	if (!ready) {
		int fd = mkstemp(path);
		if (fd < 0)
			return 0;
		close(fd);
		ready = 1;
	}
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		return 0;
	fatalreturn = &back;
	if (setjmp(back) == 0 && deb_read(path, &d, &reader) == 0) {
		v = deb_field(d.control.data, "Package");
		if (v)
			deb_validname(v, 0);
		free(v);
		free(deb_field(d.control.data, "Architecture"));
		free(deb_field(d.control.data, "Multi-Arch"));
	}
	fatalreturn = NULL;
	deb_free(&d);
	return 0;
}
