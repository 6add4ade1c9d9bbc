/*
 * bigpage: libdeflate's compressor is 672 KB (level 6), and compressing even
 * a few bytes first fills its two hash tables, 192 KB: 48 pages, each a
 * page fault, and on a loaded VM a page fault costs some 10 us, so for a
 * small layer they were the biggest cost of the edge after starting the
 * process. Here each compressor gets a mapping of its own, 2 MiB-aligned
 * and advised (MADV_HUGEPAGE) to be backed by one transparent huge page:
 * one fault. Where the kernel has THP off, or no huge page free, the
 * mapping is plain pages, faulted as before. The bytes compressed never
 * depend on where the compressor lives.
 *
 * A mapping starts with its header (where it starts and how long it is);
 * what libdeflate gets is HEADER bytes further.
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include "layer/bigpage.h"

enum {
	HUGE = 2 << 20,
	/* the header's room, keeping malloc's alignment and more */
	HEADER = 64,
};

struct header {
	void *base;
	size_t len;
};

void *
bigpage_alloc(size_t n)
{
	size_t len;
	char *base, *at;
	struct header *h;

	if (n > SIZE_MAX - 2 * HUGE)
		return NULL;
	/* room for a whole huge page (or n and the header) from the first 2 MiB boundary */
	len = (n + HEADER < HUGE ? HUGE : n + HEADER) + HUGE;
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	at = base + (HUGE - (uintptr_t)base % HUGE) % HUGE;
	/* a hint: refused (no THP in this kernel) it changes nothing */
	madvise(at, HUGE, MADV_HUGEPAGE);
	h = (struct header *)at;
	h->base = base;
	h->len = len;
	return at + HEADER;
}

void
bigpage_free(void *p)
{
	struct header *h;

	if (!p)
		return;
	h = (struct header *)((char *)p - HEADER);
	munmap(h->base, h->len);
}
