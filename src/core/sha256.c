/* SHA-256 (FIPS 180-4): file checksums for the uploader (x-amz-content-sha256)
 * and SigV4 signing. Streaming, no heap, byte-order independent; the CPU's
 * SHA-256 instructions (x86 SHA-NI, Armv8 SHA2) when it has them. */
#include "floe/sha256.h"
#include "core/internal.h"

/* First 32 bits of the fractional parts of the cube roots of the first 64
 * primes (generated from the definition). */
static const uint32_t k256[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u,
    0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
    0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u,
    0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
    0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
    0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au,
    0x5b9cca4fu, 0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress(uint32_t h[8], const uint8_t *block)
{
    uint32_t w[64], a, b, c, d, e, f, g, hh;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = ((uint32_t)block[4 * i] << 24) | ((uint32_t)block[4 * i + 1] << 16) |
               ((uint32_t)block[4 * i + 2] << 8) | block[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; hh = h[7];
    for (i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + k256[i] + w[i];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

/* x86 SHA extensions (Intel SHA-NI, most x86-64 CPUs since 2017-2019): the
 * same compression, two rounds an instruction, chosen at run time by CPUID.
 * The output SHA-256 the writer computes over every byte it writes costs
 * about 5% of `floe convert` in software. */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(FLOE_NO_SHA_NI)
#include <cpuid.h>
#include <immintrin.h>
#define FLOE_SHA_NI 1

__attribute__((target("sha,sse4.1"))) static void compress_sha_ni(uint32_t h[8], const uint8_t *p, size_t blocks)
{
    /* Big-endian message words: reverse the bytes of each 32-bit lane. */
    const __m128i bswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    __m128i abef, cdgh, tmp;
    /* The instructions keep the state as {A,B,E,F} and {C,D,G,H} (lane 3 first). */
    tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)&h[0]), 0xB1); /* C D A B */
    cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)&h[4]), 0x1B); /* E F G H */
    abef = _mm_alignr_epi8(tmp, cdgh, 8);
    cdgh = _mm_blend_epi16(cdgh, tmp, 0xF0);
    for (; blocks > 0; blocks--, p += 64) {
        __m128i m[4], abef0 = abef, cdgh0 = cdgh;
        int i;
        for (i = 0; i < 4; i++)
            m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)), bswap);
        for (i = 0; i < 16; i++) {
            __m128i wk;
            if (i >= 4) {
                /* W[4i..4i+3] from W[4i-16..4i-1], held in m[i&3], m[i+1&3],
                 * m[i+2&3], m[i+3&3]. */
                __m128i t = _mm_sha256msg1_epu32(m[i & 3], m[(i + 1) & 3]);
                t = _mm_add_epi32(t, _mm_alignr_epi8(m[(i + 3) & 3], m[(i + 2) & 3], 4));
                m[i & 3] = _mm_sha256msg2_epu32(t, m[(i + 3) & 3]);
            }
            wk = _mm_add_epi32(m[i & 3], _mm_loadu_si128((const __m128i *)(const void *)&k256[4 * i]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    tmp = _mm_shuffle_epi32(abef, 0x1B);  /* F E B A -> A B E F by lane */
    cdgh = _mm_shuffle_epi32(cdgh, 0xB1); /* G H C D */
    _mm_storeu_si128((__m128i *)(void *)&h[0], _mm_blend_epi16(tmp, cdgh, 0xF0));
    _mm_storeu_si128((__m128i *)(void *)&h[4], _mm_alignr_epi8(cdgh, tmp, 8));
}

static int have_sha_ni(void)
{
    /* Benign race: every thread that computes it stores the same value. */
    static volatile int known = -1;
    if (known < 0) {
        unsigned a, b, c, d;
        int yes = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 19)) != 0 && /* SSE4.1 */
                  __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)) != 0; /* SHA */
        known = yes;
    }
    return known;
}
#endif

/* Armv8 SHA-2 instructions (most 64-bit Arm gateway SoCs have the crypto
 * extension; the Raspberry Pi 4's Cortex-A72 does not): four rounds an
 * instruction, chosen at run time by the kernel's HWCAP_SHA2. */
#if defined(__aarch64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(FLOE_NO_SHA_NI)
#include <arm_neon.h>
#include <sys/auxv.h>
#define FLOE_SHA_ARMV8 1

__attribute__((target("+crypto"))) static void compress_armv8(uint32_t h[8], const uint8_t *p, size_t blocks)
{
    uint32x4_t abcd = vld1q_u32(&h[0]), efgh = vld1q_u32(&h[4]);
    for (; blocks > 0; blocks--, p += 64) {
        uint32x4_t m[4], abcd0 = abcd, efgh0 = efgh;
        int i;
        for (i = 0; i < 4; i++)
            m[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * i))); /* big-endian words */
        for (i = 0; i < 16; i++) {
            uint32x4_t wk, prev;
            if (i >= 4) /* W[4i..4i+3] from the four groups before it */
                m[i & 3] = vsha256su1q_u32(vsha256su0q_u32(m[i & 3], m[(i + 1) & 3]), m[(i + 2) & 3], m[(i + 3) & 3]);
            wk = vaddq_u32(m[i & 3], vld1q_u32(&k256[4 * i]));
            prev = abcd;
            abcd = vsha256hq_u32(abcd, efgh, wk);
            efgh = vsha256h2q_u32(efgh, prev, wk);
        }
        abcd = vaddq_u32(abcd, abcd0);
        efgh = vaddq_u32(efgh, efgh0);
    }
    vst1q_u32(&h[0], abcd);
    vst1q_u32(&h[4], efgh);
}

static int have_sha_armv8(void)
{
    static volatile int known = -1; /* benign race, as for SHA-NI */
    if (known < 0)
        known = (getauxval(AT_HWCAP) & (1ul << 6)) != 0; /* HWCAP_SHA2 */
    return known;
}
#endif

/* Compresses `blocks` whole 64-byte blocks at p into h. */
static void compress_blocks(uint32_t h[8], const uint8_t *p, size_t blocks)
{
#ifdef FLOE_SHA_NI
    if (have_sha_ni()) {
        compress_sha_ni(h, p, blocks);
        return;
    }
#endif
#ifdef FLOE_SHA_ARMV8
    if (have_sha_armv8()) {
        compress_armv8(h, p, blocks);
        return;
    }
#endif
    for (; blocks > 0; blocks--, p += 64)
        compress(h, p);
}

/* The portable compression alone, whatever the CPU: lets the tests hold the
 * accelerated one to it. */
void floe_sha256_portable_blocks(uint32_t h[8], const uint8_t *p, size_t blocks)
{
    for (; blocks > 0; blocks--, p += 64)
        compress(h, p);
}

int floe_sha256_accelerated(void)
{
#if defined(FLOE_SHA_NI)
    return have_sha_ni();
#elif defined(FLOE_SHA_ARMV8)
    return have_sha_armv8();
#else
    return 0;
#endif
}

void floe_sha256_init(struct floe_sha256 *s)
{
    /* First 32 bits of the fractional parts of the square roots of the
     * first 8 primes. */
    static const uint32_t iv[8] = {
        0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
        0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
    };
    floe_memcpy(s->h, iv, sizeof iv);
    s->total = 0;
    s->used = 0;
}

void floe_sha256_update(struct floe_sha256 *s, const void *data, size_t n)
{
    const uint8_t *p = (const uint8_t *)data;
    s->total += n;
    if (s->used > 0) {
        size_t take = 64u - s->used < n ? 64u - s->used : n;
        floe_memcpy(s->buf + s->used, p, take);
        s->used += (uint32_t)take;
        p += take;
        n -= take;
        if (s->used < 64)
            return;
        compress_blocks(s->h, s->buf, 1);
        s->used = 0;
    }
    if (n >= 64) {
        compress_blocks(s->h, p, n / 64u);
        p += n / 64u * 64u;
        n %= 64u;
    }
    if (n > 0) {
        floe_memcpy(s->buf, p, n);
        s->used = (uint32_t)n;
    }
}

void floe_sha256_final(struct floe_sha256 *s, uint8_t out[FLOE_SHA256_LEN])
{
    uint64_t bits = s->total * 8u;
    int i;
    s->buf[s->used++] = 0x80;
    if (s->used > 56) {
        floe_memset(s->buf + s->used, 0, 64u - s->used);
        compress_blocks(s->h, s->buf, 1);
        s->used = 0;
    }
    floe_memset(s->buf + s->used, 0, 56u - s->used);
    for (i = 0; i < 8; i++)
        s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    compress_blocks(s->h, s->buf, 1);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(s->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->h[i];
    }
    floe_memset(s, 0, sizeof *s);
}

void floe_sha256(const void *data, size_t n, uint8_t out[FLOE_SHA256_LEN])
{
    struct floe_sha256 s;
    floe_sha256_init(&s);
    floe_sha256_update(&s, data, n);
    floe_sha256_final(&s, out);
}

void floe_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                      uint8_t out[FLOE_SHA256_LEN])
{
    uint8_t k[64], pad[64], inner[FLOE_SHA256_LEN];
    struct floe_sha256 s;
    size_t i;
    floe_memset(k, 0, sizeof k);
    if (key_len > 64)
        floe_sha256(key, key_len, k);
    else
        floe_memcpy(k, key, key_len);
    for (i = 0; i < 64; i++)
        pad[i] = (uint8_t)(k[i] ^ 0x36u);
    floe_sha256_init(&s);
    floe_sha256_update(&s, pad, 64);
    floe_sha256_update(&s, msg, msg_len);
    floe_sha256_final(&s, inner);
    for (i = 0; i < 64; i++)
        pad[i] = (uint8_t)(k[i] ^ 0x5cu);
    floe_sha256_init(&s);
    floe_sha256_update(&s, pad, 64);
    floe_sha256_update(&s, inner, sizeof inner);
    floe_sha256_final(&s, out);
    /* The key schedule is a secret (SigV4 signing keys): do not leave it on the stack. */
    floe_memset(k, 0, sizeof k);
    floe_memset(pad, 0, sizeof pad);
}

void floe_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}
