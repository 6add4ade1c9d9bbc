/*
 * fuzz-facts: the scan of a layer's tar stream (headers, pax records, GNU
 * long names) and the reading of a facts file, both of which may meet
 * bytes from outside (a pulled base's layer; a facts file on disk). The
 * first byte picks which: even, the rest is a tar stream fed in pieces of
 * the sizes the second byte gives, then saved; odd, the rest is the facts
 * file of a layer of diff_id sha256:0...0, read back. An error is fatal()'s
 * message, which returns here in fuzz builds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/file.h"
#include "layer/facts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ZERO[] = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/imagegen-fuzz-facts.XXXXXX";
	static char *store, *file, *facts;
	static struct factscan *volatile s;
	static struct layerfacts lf;
	jmp_buf back;
	size_t piece, off;
	FILE *f;

	if (size < 2)
		return 0;
	if (!store) {
		if (!mkdtemp(dir))
			return 0;
		store = xasprintf("%s/blobs", dir);
		facts = xasprintf("%s/facts", dir);
		file = xasprintf("%s/%s", facts, ZERO + 7);
	}
	unlink(file);
	fatalreturn = &back;
	if (setjmp(back) == 0) {
		if (data[0] % 2 == 0) {
			piece = data[1] ? data[1] * 7u : 512;
			s = facts_scan();
			for (off = 2; off < size; off += piece) {
				if (facts_feed(s, data + off, size - off < piece ? size - off : piece) < 0)
					break;
			}
			if (!facts_error(s)[0]) {
				facts_save(s, store, ZERO);
				s = NULL;
				facts_load(store, ZERO, ZERO, "fuzz", &lf);
				facts_free(&lf);
			}
		} else {
			if (mkdirs(facts) == 0 && (f = fopen(file, "wb"))) {
				fwrite(data + 1, 1, size - 1, f);
				fclose(f);
				facts_load(store, ZERO, ZERO, "fuzz", &lf);
				facts_free(&lf);
			}
		}
	}
	fatalreturn = NULL;
	facts_drop(s);
	s = NULL;
	return 0;
}
