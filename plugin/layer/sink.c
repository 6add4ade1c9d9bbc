/*
 * The sink is the single pass every layer takes: tar bytes go in, the
 * sha256 of the uncompressed stream (the diff_id) is updated, the bytes are
 * compressed, the sha256 of the compressed stream (the blob digest) is
 * updated and the compressed bytes are written. Memory is a fixed set of
 * buffers whatever the layer's size, each allocated when first used: a
 * layer of one chunk allocates one, and its output's as big as it needs.
 *
 * gzip: the stream is cut into 1 MiB chunks, each compressed on its own by
 * libdeflate at a pinned level into a complete gzip member (header without
 * name, mtime 0), and the members are written in order: a multi-member gzip
 * stream, which every gzip reader takes whole. Chunks are compressed in
 * parallel, one worker a core, and since a chunk's bytes depend only on
 * the chunk, the output does not depend on the number of threads. The
 * workers start with the second chunk: a layer of one chunk (most are
 * small) is compressed by the caller, with no thread started.
 *
 * zstd: libzstd's streaming compressor with at least one worker thread;
 * zstd guarantees the same frame whatever the number of workers (above 0).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libdeflate.h>
#include <nettle/sha2.h>
#include "base/err.h"
#include "base/mem.h"
#include "base/digest.h"
#include "base/file.h"
#include "base/text.h"
#include "base/oci.h"
#include "base/zst.h"
#include "layer/bigpage.h"
#include "layer/sink.h"

enum {
	CHUNK = 1 << 20,
	/* chunks in flight per worker */
	DEPTH = 2,
};

/* where a slot is: filled by the writer, compressed by a worker, written in order */
enum slotstate {
	SLOT_FREE,
	SLOT_QUEUED,
	SLOT_TAKEN,
	SLOT_COMPRESSED,
};

struct slot {
	unsigned char *in, *out;
	size_t inlen, outlen;
	enum slotstate state;
	long seq;
};

struct sink {
	int fd;
	enum compression comp;
	int level;
	/* the uncompressed stream's hash (the diff_id), and the compressed one's */
	struct sha256_ctx diffid;
	struct sha256 *digest;
	long long size;
	int failed;

	/* gzip: the slots, and the workers that compress them (threads of
	   them, once started); one compressor for the caller's own use */
	struct slot *slots;
	int nslots, nworkers, threads;
	struct libdeflate_compressor *own;
	size_t bound;
	pthread_t *workers;
	pthread_mutex_t lock;
	pthread_cond_t queued, done;
	/* the slot being filled; the next sequence number to fill and to write */
	long fillseq, writeseq;
	int stop;

	/* zstd */
	ZSTD_CCtx *zc;
	unsigned char *zout;
	size_t zoutcap;
};

const char *
sink_mediatype(enum compression comp)
{
	switch (comp) {
	case COMPRESS_GZIP:
		return MT_LAYER_GZIP;
	case COMPRESS_ZSTD:
		return MT_LAYER_ZSTD;
	case COMPRESS_NONE:
		break;
	}
	return MT_LAYER;
}

char *
sink_describe(enum compression comp, int level)
{
	switch (comp) {
	case COMPRESS_GZIP:
		return xasprintf("gzip: libdeflate level %d, independent %d-byte members", level, CHUNK);
	case COMPRESS_ZSTD:
		return xasprintf("zstd: libzstd level %d, multithreaded", level);
	case COMPRESS_NONE:
		break;
	}
	return xstrdup("none");
}

static int
sink_threads(void)
{
	const char *e = getenv("IMAGEGEN_THREADS");
	long n = e && *e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	if (n > 64)
		n = 64;
	return (int)n;
}

static int
emit(struct sink *s, const unsigned char *p, size_t len)
{
	/* uncompressed, the blob is the tar: its digest is the diff_id, hashed once */
	if (s->comp != COMPRESS_NONE)
		sha256add(s->digest, p, len);
	s->size += (long long)len;
	return writeall(s->fd, p, len);
}

static void *
worker(void *arg)
{
	struct sink *s = arg;
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(s->level);
	struct slot *sl;
	int i;

	if (!c)
		fatal("libdeflate_alloc_compressor failed");
	pthread_mutex_lock(&s->lock);
	for (;;) {
		sl = NULL;
		for (i = 0; i < s->nslots; i++) {
			if (s->slots[i].state == SLOT_QUEUED && (!sl || s->slots[i].seq < sl->seq))
				sl = &s->slots[i];
		}
		if (!sl) {
			if (s->stop)
				break;
			pthread_cond_wait(&s->queued, &s->lock);
			continue;
		}
		sl->state = SLOT_TAKEN;
		pthread_mutex_unlock(&s->lock);
		sl->outlen = libdeflate_gzip_compress(c, sl->in, sl->inlen, sl->out, s->bound);
		pthread_mutex_lock(&s->lock);
		sl->state = SLOT_COMPRESSED;
		pthread_cond_broadcast(&s->done);
	}
	pthread_mutex_unlock(&s->lock);
	libdeflate_free_compressor(c);
	return NULL;
}

/* whether libdeflate takes its memory from bigpage.c yet */
static int allocset;

struct sink *
sink_open(int fd, enum compression comp, int level)
{
	struct sink *s = xcalloc(1, sizeof(*s));
	int threads = sink_threads();

	s->fd = fd;
	s->comp = comp;
	s->level = level;
	sha256_init(&s->diffid);
	s->digest = sha256new();
	if (comp == COMPRESS_GZIP) {
		/* (the first sink, before libdeflate allocates anything) */
		if (!allocset) {
			libdeflate_set_memory_allocator(bigpage_alloc, bigpage_free);
			allocset = 1;
		}
		s->own = libdeflate_alloc_compressor(level);
		if (!s->own)
			fatal("gzip level %d is not one libdeflate has", level);
		s->bound = libdeflate_gzip_compress_bound(s->own, CHUNK);
		s->threads = threads;
		s->nslots = threads * DEPTH;
		/* the slots' buffers as they are first filled (sink_write) and queued */
		s->slots = xcalloc((size_t)s->nslots, sizeof(*s->slots));
		pthread_mutex_init(&s->lock, NULL);
		pthread_cond_init(&s->queued, NULL);
		pthread_cond_init(&s->done, NULL);
		s->workers = xcalloc((size_t)threads, sizeof(*s->workers));
	} else if (comp == COMPRESS_ZSTD) {
		s->zc = ZSTD_createCCtx();
		if (!s->zc || ZSTD_isError(ZSTD_CCtx_setParameter(s->zc, ZSTD_c_compressionLevel, level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(s->zc, ZSTD_c_nbWorkers, threads)))
			fatal("zstd: cannot set level %d with %d workers", level, threads);
		s->zoutcap = ZSTD_CStreamOutSize();
		s->zout = xmalloc(s->zoutcap);
	}
	return s;
}

/* the slot for sequence number seq */
static struct slot *
slotof(struct sink *s, long seq)
{
	return &s->slots[seq % s->nslots];
}

/* write compressed slots in order while the next one is done; wait for it if must */
static int
drain(struct sink *s, int must)
{
	struct slot *sl;

	while (s->writeseq < s->fillseq) {
		sl = slotof(s, s->writeseq);
		pthread_mutex_lock(&s->lock);
		while (must && sl->state != SLOT_COMPRESSED)
			pthread_cond_wait(&s->done, &s->lock);
		if (sl->state != SLOT_COMPRESSED) {
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
		pthread_mutex_unlock(&s->lock);
		if (sl->outlen == 0 || emit(s, sl->out, sl->outlen) < 0)
			return -1;
		pthread_mutex_lock(&s->lock);
		sl->state = SLOT_FREE;
		sl->inlen = 0;
		pthread_mutex_unlock(&s->lock);
		s->writeseq++;
		must = 0;
	}
	return 0;
}

/* hand the slot being filled to the workers, started with the first */
static int
queue(struct sink *s)
{
	struct slot *sl = slotof(s, s->fillseq);

	if (!sl->out)
		sl->out = xmalloc(s->bound);
	for (; s->nworkers < s->threads; s->nworkers++) {
		if (pthread_create(&s->workers[s->nworkers], NULL, worker, s) != 0)
			fatal("pthread_create failed");
	}
	pthread_mutex_lock(&s->lock);
	sl->seq = s->fillseq;
	sl->state = SLOT_QUEUED;
	pthread_cond_signal(&s->queued);
	pthread_mutex_unlock(&s->lock);
	s->fillseq++;
	/* the next slot to fill must have been written out */
	if (s->fillseq - s->writeseq >= s->nslots)
		return drain(s, 1);
	return drain(s, 0);
}

static int
zstdwrite(struct sink *s, const void *data, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {data, len, 0};
	ZSTD_outBuffer out;
	size_t left;

	do {
		out.dst = s->zout;
		out.size = s->zoutcap;
		out.pos = 0;
		left = ZSTD_compressStream2(s->zc, &out, &in, mode);
		if (ZSTD_isError(left))
			return -1;
		if (out.pos > 0 && emit(s, s->zout, out.pos) < 0)
			return -1;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

struct sha256_ctx *
sink_diffid(struct sink *s)
{
	return &s->diffid;
}

int
sink_write(struct sink *s, const void *data, size_t len)
{
	sha256_update(&s->diffid, len, data);
	return sink_writehashed(s, data, len);
}

int
sink_writehashed(struct sink *s, const void *data, size_t len)
{
	const unsigned char *p = data;
	struct slot *sl;
	size_t n;

	if (s->failed)
		return -1;
	switch (s->comp) {
	case COMPRESS_NONE:
		return emit(s, data, len);
	case COMPRESS_ZSTD:
		return zstdwrite(s, data, len, ZSTD_e_continue);
	case COMPRESS_GZIP:
		break;
	}
	while (len > 0) {
		sl = slotof(s, s->fillseq);
		n = CHUNK - sl->inlen < len ? CHUNK - sl->inlen : len;
		if (!sl->in)
			sl->in = xmalloc(CHUNK);
		memcpy(sl->in + sl->inlen, p, n);
		sl->inlen += n;
		p += n;
		len -= n;
		if (sl->inlen == CHUNK && queue(s) < 0) {
			s->failed = 1;
			return -1;
		}
	}
	return 0;
}

/* stop the workers and free everything */
static void
freesink(struct sink *s)
{
	int i;

	if (s->comp == COMPRESS_GZIP) {
		pthread_mutex_lock(&s->lock);
		s->stop = 1;
		pthread_cond_broadcast(&s->queued);
		pthread_mutex_unlock(&s->lock);
		for (i = 0; i < s->nworkers; i++)
			pthread_join(s->workers[i], NULL);
		for (i = 0; i < s->nslots; i++) {
			free(s->slots[i].in);
			free(s->slots[i].out);
		}
		free(s->slots);
		free(s->workers);
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->queued);
		pthread_cond_destroy(&s->done);
		libdeflate_free_compressor(s->own);
	}
	if (s->zc)
		ZSTD_freeCCtx(s->zc);
	free(s->zout);
	sha256free(s->digest);
	free(s);
}

int
sink_close(struct sink *s, struct sinkresult *r)
{
	unsigned char md[SHA256_DIGEST_SIZE];
	struct slot *sl;
	size_t n;
	int ret = s->failed ? -1 : 0;

	if (ret == 0 && s->comp == COMPRESS_GZIP && s->fillseq == 0) {
		/* one chunk in all: compressed here, no worker started, into a buffer of its size */
		sl = slotof(s, 0);
		if (sl->inlen > 0) {
			n = libdeflate_gzip_compress_bound(s->own, sl->inlen);
			sl->out = xmalloc(n);
			sl->outlen = libdeflate_gzip_compress(s->own, sl->in, sl->inlen, sl->out, n);
			if (sl->outlen == 0 || emit(s, sl->out, sl->outlen) < 0)
				ret = -1;
		}
	} else if (ret == 0 && s->comp == COMPRESS_GZIP) {
		if (slotof(s, s->fillseq)->inlen > 0)
			ret = queue(s);
		while (ret == 0 && s->writeseq < s->fillseq)
			ret = drain(s, 1);
	} else if (ret == 0 && s->comp == COMPRESS_ZSTD) {
		ret = zstdwrite(s, NULL, 0, ZSTD_e_end);
	}
	if (ret == 0) {
		memcpy(r->diffid, "sha256:", 7);
		memcpy(r->digest, "sha256:", 7);
		sha256_digest(&s->diffid, sizeof(md), md);
		hexstr(md, sizeof(md), r->diffid + 7);
		if (s->comp == COMPRESS_NONE) {
			memcpy(r->digest, r->diffid, sizeof(r->digest));
		} else {
			sha256done(s->digest, r->digest + 7);
			s->digest = NULL;
		}
		r->size = s->size;
	}
	freesink(s);
	return ret;
}
