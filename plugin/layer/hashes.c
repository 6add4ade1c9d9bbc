/*
 * hashes: the three digests a layer pass takes of each file's contents in
 * one walk over them. A file's bytes are hashed with SHA1 and SHA256 for its
 * facts, and are also part of the tar stream whose SHA256 is the layer's
 * diff_id. A tar member's data starts on a 512-byte boundary of the stream,
 * so the file's 64-byte blocks are the stream's blocks too: one walk over
 * them updates the three states, and the two SHA256 states share one
 * message schedule.
 *
 * With the CPU's SHA instructions (x86-64 SHA extensions, with SSSE3 and
 * SSE4.1) the three states are carried in registers side by side, their
 * rounds interleaved, which keeps the SHA units busier than one stream
 * does. Anything else (another CPU, contexts that are not at the same
 * offset in their blocks, IMAGEGEN_HASH=nettle) goes through nettle's
 * updates, which compute the same digests.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include "layer/hashes.h"

enum {
	BLOCK = 64,
};

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SHANI 1
#include <cpuid.h>
#include <immintrin.h>

#define SHANI __attribute__((target("sha,ssse3,sse4.1")))

/* SHA256's round constants (FIPS 180-4, 4.2.2) */
static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* a SHA256 state as sha256rnds2 takes it: words A B E F and C D G H */
struct abef {
	__m128i abef, cdgh;
};

SHANI static inline struct abef
abefload(const uint32_t st[8])
{
	__m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)st), 0xb1);
	__m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(st + 4)), 0x1b);
	struct abef s;

	s.abef = _mm_alignr_epi8(dcba, hgfe, 8);
	s.cdgh = _mm_blend_epi16(hgfe, dcba, 0xf0);
	return s;
}

SHANI static inline void
abefstore(struct abef s, uint32_t st[8])
{
	__m128i feba = _mm_shuffle_epi32(s.abef, 0x1b);
	__m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xb1);

	_mm_storeu_si128((__m128i *)st, _mm_blend_epi16(feba, dchg, 0xf0));
	_mm_storeu_si128((__m128i *)(st + 4), _mm_alignr_epi8(dchg, feba, 8));
}

/* four rounds of s with four message words plus their constants */
SHANI static inline void
rounds256(struct abef *s, __m128i wk)
{
	s->cdgh = _mm_sha256rnds2_epu32(s->cdgh, s->abef, wk);
	s->abef = _mm_sha256rnds2_epu32(s->abef, s->cdgh, _mm_shuffle_epi32(wk, 0x0e));
}

/* four rounds of SHA1's abcd with e plus four message words, in round group g (0-3) */
SHANI static inline __m128i
rounds1(__m128i abcd, __m128i ew, int g)
{
	switch (g) {
	case 0:
		return _mm_sha1rnds4_epu32(abcd, ew, 0);
	case 1:
		return _mm_sha1rnds4_epu32(abcd, ew, 1);
	case 2:
		return _mm_sha1rnds4_epu32(abcd, ew, 2);
	default:
		return _mm_sha1rnds4_epu32(abcd, ew, 3);
	}
}

/*
 * nblocks 64-byte blocks of p into the SHA1 state s1 and the SHA256 states
 * s2 and s3. Step i (0-19) takes message words 4i..4i+3: SHA1's 80 rounds
 * are 20 steps of four, SHA256's 64 are the first 16; each keeps its last
 * four groups of words in a ring (w for SHA256, v for SHA1).
 */
SHANI static void
blocks3(uint32_t s1[5], uint32_t s2[8], uint32_t s3[8], const unsigned char *p, size_t nblocks)
{
	/* big-endian words: each word's bytes reversed (SHA256); the whole block reversed (SHA1's lane order) */
	const __m128i swap256 = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	const __m128i swap1 = _mm_set_epi64x(0x0001020304050607ULL, 0x08090a0b0c0d0e0fULL);
	struct abef a = abefload(s2), b = abefload(s3), a0, b0;
	__m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)s1), 0x1b);
	__m128i e = _mm_set_epi32((int)s1[4], 0, 0, 0);
	__m128i w[4], v[4], m, wk, abcd0, e0, last = abcd, ew;
	int i;

	for (; nblocks > 0; nblocks--, p += BLOCK) {
		a0 = a;
		b0 = b;
		abcd0 = abcd;
		e0 = e;
		for (i = 0; i < 20; i++) {
			if (i < 4) {
				m = _mm_loadu_si128((const __m128i *)(p + 16 * i));
				w[i] = _mm_shuffle_epi8(m, swap256);
				v[i] = _mm_shuffle_epi8(m, swap1);
			} else {
				v[i & 3] = _mm_sha1msg2_epu32(
				    _mm_xor_si128(_mm_sha1msg1_epu32(v[i & 3], v[(i + 1) & 3]), v[(i + 2) & 3]),
				    v[(i + 3) & 3]);
				if (i < 16) {
					m = _mm_add_epi32(_mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]),
					                  _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
					w[i & 3] = _mm_sha256msg2_epu32(m, w[(i + 3) & 3]);
				}
			}
			if (i < 16) {
				wk = _mm_add_epi32(w[i & 3], _mm_loadu_si128((const __m128i *)&K256[4 * i]));
				rounds256(&a, wk);
				rounds256(&b, wk);
			}
			/* SHA1's e for these rounds: the first from the state, the rest from abcd four rounds back */
			ew = i == 0 ? _mm_add_epi32(e, v[0]) : _mm_sha1nexte_epu32(last, v[i & 3]);
			last = abcd;
			abcd = rounds1(abcd, ew, i / 5);
		}
		e = _mm_sha1nexte_epu32(last, e0);
		abcd = _mm_add_epi32(abcd, abcd0);
		a.abef = _mm_add_epi32(a.abef, a0.abef);
		a.cdgh = _mm_add_epi32(a.cdgh, a0.cdgh);
		b.abef = _mm_add_epi32(b.abef, b0.abef);
		b.cdgh = _mm_add_epi32(b.cdgh, b0.cdgh);
	}
	abefstore(a, s2);
	abefstore(b, s3);
	_mm_storeu_si128((__m128i *)s1, _mm_shuffle_epi32(abcd, 0x1b));
	s1[4] = (uint32_t)_mm_extract_epi32(e, 3);
}

/* whether this CPU has the SHA extensions, SSSE3 and SSE4.1 */
static int
cpuhas(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & (1u << 29)) != 0;
}
#endif

/* whether the SHA instructions are used: -1 not asked yet */
static int fused = -1;

int
hashes_fused(void)
{
	const char *e;

	if (fused < 0) {
		e = getenv("IMAGEGEN_HASH");
		fused = 0;
#ifdef HAVE_SHANI
		fused = !(e && strcmp(e, "nettle") == 0) && cpuhas();
#else
		(void)e;
#endif
	}
	return fused;
}

static void
each(struct sha1_ctx *c1, struct sha256_ctx *c2, struct sha256_ctx *c3, const unsigned char *p, size_t len)
{
	sha1_update(c1, len, p);
	sha256_update(c2, len, p);
	sha256_update(c3, len, p);
}

void
hashes_three(struct sha1_ctx *c1, struct sha256_ctx *c2, struct sha256_ctx *c3, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t n;

	if (!hashes_fused() || c1->index != c2->index || c2->index != c3->index) {
		each(c1, c2, c3, p, len);
		return;
	}
	/* fill the blocks the three have begun, alike */
	if (c1->index > 0) {
		n = BLOCK - c1->index < len ? BLOCK - c1->index : len;
		each(c1, c2, c3, p, n);
		p += n;
		len -= n;
		if (c1->index > 0)
			return;
	}
#ifdef HAVE_SHANI
	n = len / BLOCK;
	if (n > 0) {
		blocks3(c1->state, c2->state, c3->state, p, n);
		c1->count += n;
		c2->count += n;
		c3->count += n;
		p += n * BLOCK;
		len -= n * BLOCK;
	}
#endif
	if (len > 0)
		each(c1, c2, c3, p, len);
}
