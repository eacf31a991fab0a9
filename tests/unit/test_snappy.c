#include "test.h"
#include "floe/floe.h"
#include "core/internal.h"
#include "parquet/snappy.h"

/* Scratch for the real codec, sized before the lines below change the
 * table size for the second copy. */
static uint16_t work[FLOE_SNAPPY_WORK_BYTES / 2];

/* A second copy of the codec, built with the byte-by-byte loads (the path
 * big-endian and non-GNU compilers take) and a 1 KiB-entry hash table (the
 * small-firmware option), under other names. Up to 1 KiB per block both
 * copies use the same table size, so their outputs must be identical. */
#define FLOE_SNAPPY_PORTABLE 1
#undef FLOE_SNAPPY_HASH_LOG
#define FLOE_SNAPPY_HASH_LOG 10
#define floe_snappy_max_compressed_length portable_snappy_max_compressed_length
#define floe_snappy_compress portable_snappy_compress
#define floe_snappy_uncompressed_length portable_snappy_uncompressed_length
#define floe_snappy_uncompress portable_snappy_uncompress
size_t portable_snappy_max_compressed_length(size_t n);
size_t portable_snappy_compress(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap,
                                void *work);
int portable_snappy_uncompressed_length(const uint8_t *in, size_t n, size_t *len);
int portable_snappy_uncompress(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap,
                               size_t *out_len);
#include "parquet/snappy.c"
#undef floe_snappy_max_compressed_length
#undef floe_snappy_compress
#undef floe_snappy_uncompressed_length
#undef floe_snappy_uncompress
#undef FLOE_SNAPPY_HASH_LOG
#define PORTABLE_WORK_BYTES ((size_t)2u << 10)

#define BIG ((size_t)1 << 20)
#define BIG_BOUND (32 + BIG + BIG / 6)

static uint8_t src[BIG + 64];
static uint8_t comp[BIG_BOUND + 64];
static uint8_t comp2[BIG_BOUND + 64];
static uint8_t back[BIG + 64];
static uint16_t pwork[PORTABLE_WORK_BYTES / 2];

/* ---- data generators (deterministic) ---- */

static void gen_random(uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(test_rand() >> 24);
}

static void gen_text(uint8_t *p, size_t n)
{
    static const char *const words[] = {
        "the", "sensor", "reported", "a", "temperature", "of", "degrees", "and",
        "humidity", "gateway", "uploaded", "batch", "to", "bucket", "with", "status",
        "ok", "warning", "pressure", "device", "firmware", "version", "restart", "in"};
    size_t i = 0;
    while (i < n) {
        const char *w = words[test_rand() % FLOE_ARRAY_LEN(words)];
        while (*w != '\0' && i < n)
            p[i++] = (uint8_t)*w++;
        if (i < n)
            p[i++] = (test_rand() % 12 == 0) ? '.' : ' ';
    }
}

/* Sequential int64 ids (PLAIN encoding: little-endian 8-byte values). */
static void gen_int64_seq(uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i + 8 <= n; i += 8)
        floe_put_le64(p + i, 1000000u + i / 8);
    for (; i < n; i++)
        p[i] = 0;
}

/* Sorted millisecond timestamps about a second apart, with jitter. */
static void gen_timestamps(uint8_t *p, size_t n)
{
    uint64_t t = 1700000000000ull;
    size_t i;
    for (i = 0; i + 8 <= n; i += 8) {
        t += 990 + test_rand() % 21;
        floe_put_le64(p + i, t);
    }
    for (; i < n; i++)
        p[i] = 0;
}

/* PLAIN byte arrays: 4-byte length, then a few short repeated strings. */
static void gen_strings(uint8_t *p, size_t n)
{
    static const char *const vals[] = {"ok", "warn", "error", "sensor-01", "sensor-02",
                                       "sensor-17", "gw-berlin-3", "gw-lyon-1", ""};
    size_t i = 0;
    while (i < n) {
        const char *s = vals[test_rand() % FLOE_ARRAY_LEN(vals)];
        uint8_t rec[32];
        size_t len = strlen(s), k;
        floe_put_le32(rec, (uint32_t)len);
        memcpy(rec + 4, s, len);
        for (k = 0; k < len + 4 && i < n; k++)
            p[i++] = rec[k];
    }
}

/* ---- helpers ---- */

/* Compresses p[0..n), checks the bound, the preamble and the round trip,
 * and returns the compressed size (0 after a failure). */
static size_t roundtrip(const uint8_t *p, size_t n)
{
    size_t bound = floe_snappy_max_compressed_length(n), c, len = 12345, got = 12345;
    int failed = 0;
    if (bound == 0 || bound > sizeof comp) {
        test_fail(__FILE__, __LINE__, "bound %zu for n=%zu", bound, n);
        return 0;
    }
    c = floe_snappy_compress(p, n, comp, bound, work);
    if (c == 0 || c > bound) {
        test_fail(__FILE__, __LINE__, "compress n=%zu gave %zu (bound %zu)", n, c, bound);
        return 0;
    }
    if (floe_snappy_uncompressed_length(comp, c, &len) != FLOE_OK || len != n) {
        test_fail(__FILE__, __LINE__, "preamble of n=%zu says %zu", n, len);
        failed = 1;
    }
    memset(back, 0xA5, n + 64);
    if (floe_snappy_uncompress(comp, c, back, n + 64, &got) != FLOE_OK || got != n ||
        memcmp(back, p, n) != 0) {
        test_fail(__FILE__, __LINE__, "round trip of n=%zu (got %zu)", n, got);
        failed = 1;
    }
    /* Nothing is written past the declared length, even with room. */
    for (len = n; len < n + 64; len++)
        if (back[len] != 0xA5) {
            test_fail(__FILE__, __LINE__, "n=%zu: byte %zu past the end written", n, len);
            failed = 1;
            break;
        }
    return failed ? 0 : c;
}

/* The portable build must decode our output, and its own output must round
 * trip through the fast build; up to 1 KiB blocks the bytes must match. */
static void check_portable(const uint8_t *p, size_t n, size_t c)
{
    size_t c2 = portable_snappy_compress(p, n, comp2, sizeof comp2, pwork), got = 0;
    CHECK(c2 > 0);
    if (n <= 1024) {
        CHECK_EQ_U64(c2, c);
        CHECK_EQ_MEM(comp2, comp, c);
    }
    CHECK_EQ_INT(portable_snappy_uncompress(comp, c, back, n, &got), FLOE_OK);
    CHECK_EQ_U64(got, n);
    CHECK_EQ_MEM(back, p, n);
    CHECK_EQ_INT(floe_snappy_uncompress(comp2, c2, back, n, &got), FLOE_OK);
    CHECK_EQ_U64(got, n);
    CHECK_EQ_MEM(back, p, n);
}

static int decode(const uint8_t *in, size_t n, size_t cap)
{
    size_t got = 99;
    int r = floe_snappy_uncompress(in, n, back, cap, &got);
    if (r != FLOE_OK && got != 0)
        test_fail(__FILE__, __LINE__, "out_len %zu after error %d", got, r);
    return r;
}

/* ---- bound and arguments ---- */

TEST(snappy_bound)
{
    CHECK_EQ_U64(floe_snappy_max_compressed_length(0), 32);
    CHECK_EQ_U64(floe_snappy_max_compressed_length(6), 39);
    CHECK_EQ_U64(floe_snappy_max_compressed_length(65536), 32 + 65536 + 10922);
    if (sizeof(size_t) > 4) {
        CHECK_EQ_U64(floe_snappy_max_compressed_length((size_t)FLOE_SNAPPY_MAX_INPUT),
                     32ull + 0xFFFFFFFFull + 0xFFFFFFFFull / 6);
        CHECK_EQ_U64(floe_snappy_max_compressed_length((size_t)FLOE_SNAPPY_MAX_INPUT + 1), 0);
    } else {
        /* The bound of the largest inputs does not fit a 32-bit size_t. */
        CHECK_EQ_U64(floe_snappy_max_compressed_length(SIZE_MAX), 0);
        CHECK_EQ_U64(floe_snappy_max_compressed_length(SIZE_MAX - 40), 0);
        CHECK_EQ_U64(floe_snappy_max_compressed_length(0xDB6DB6B0u), 0xFFFFFFEDu);
        CHECK_EQ_U64(floe_snappy_max_compressed_length(0xDB6DB6C0u), 0);
    }
    CHECK_EQ_U64(sizeof work, 32768); /* the default FLOE_SNAPPY_HASH_LOG of 14 */
}

TEST(snappy_compress_rejects_bad_arguments)
{
    static uint64_t aligned[sizeof work / 8 + 1];
    const uint8_t in[8] = "abcdefg";
    size_t bound = floe_snappy_max_compressed_length(sizeof in);
    CHECK_EQ_U64(floe_snappy_compress(in, sizeof in, comp, bound - 1, work), 0);
    CHECK_EQ_U64(floe_snappy_compress(in, sizeof in, comp, 0, work), 0);
    CHECK_EQ_U64(floe_snappy_compress(in, sizeof in, NULL, bound, work), 0);
    CHECK_EQ_U64(floe_snappy_compress(in, sizeof in, comp, bound, NULL), 0);
    CHECK_EQ_U64(floe_snappy_compress(NULL, sizeof in, comp, bound, work), 0);
    CHECK_EQ_U64(floe_snappy_compress(in, sizeof in, comp, bound, (uint8_t *)aligned + 1), 0);
    CHECK(floe_snappy_compress(in, sizeof in, comp, bound, aligned) > 0);
    CHECK_EQ_U64(floe_snappy_compress(NULL, 0, comp, 32, work), 1);
    CHECK_EQ_INT(comp[0], 0);
}

TEST(snappy_uncompress_rejects_bad_arguments)
{
    const uint8_t s[] = {0x01, 0x00, 'x'};
    size_t len;
    CHECK_EQ_INT(floe_snappy_uncompress(s, sizeof s, back, 1, NULL), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_snappy_uncompress(NULL, 3, back, 1, &len), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_snappy_uncompress(s, sizeof s, NULL, 1, &len), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_snappy_uncompressed_length(s, sizeof s, NULL), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_snappy_uncompressed_length(NULL, 1, &len), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_snappy_uncompress(s, sizeof s, back, 1, &len), FLOE_OK);
    CHECK_EQ_U64(len, 1);
    CHECK_EQ_INT(back[0], 'x');
}

/* ---- known streams ---- */

TEST(snappy_small_outputs_are_exact)
{
    size_t c, len = 7;
    c = floe_snappy_compress(NULL, 0, comp, 32, work);
    CHECK_EQ_U64(c, 1);
    CHECK_EQ_INT(comp[0], 0x00);
    CHECK_EQ_INT(floe_snappy_uncompress(comp, 1, NULL, 0, &len), FLOE_OK);
    CHECK_EQ_U64(len, 0);

    c = floe_snappy_compress((const uint8_t *)"x", 1, comp, 33, work);
    CHECK_EQ_U64(c, 3);
    CHECK_EQ_INT(comp[0], 0x01);
    CHECK_EQ_INT(comp[1], 0x00); /* literal, length 1 */
    CHECK_EQ_INT(comp[2], 'x');
}

TEST(snappy_compress_emits_copies)
{
    static const char pat[] = "0123456789" "0123456789" "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR";
    uint8_t in[64];
    size_t i, c;

    /* 20 bytes of "ab": a 2-byte literal, then one copy-2 at offset 2 of
     * length 18 (shorter than two copy-1 elements). */
    for (i = 0; i < 20; i++)
        in[i] = (uint8_t)(i % 2 ? 'b' : 'a');
    c = roundtrip(in, 20);
    REQUIRE(c == 1 + 3 + 3);
    CHECK_EQ_INT(comp[0], 20);
    CHECK_EQ_INT(comp[1], 0x04);
    CHECK_EQ_INT(comp[4], 0x02 | (17 << 2));
    CHECK_EQ_INT(comp[5], 0x02);
    CHECK_EQ_INT(comp[6], 0x00);

    /* A 10-byte repeat at offset 10 uses the 2-byte copy-1 form. */
    memcpy(in, pat, 64);
    c = roundtrip(in, 64);
    REQUIRE(c == 1 + 11 + 2 + 45);
    CHECK_EQ_INT(comp[1], (10 - 1) << 2);
    CHECK_EQ_INT(comp[12], 0x01 | ((10 - 4) << 2));
    CHECK_EQ_INT(comp[13], 10);
    CHECK_EQ_INT(comp[14], (44 - 1) << 2);
}

TEST(snappy_decodes_every_element_form)
{
    /* "xababab": literal "xab", copy-1 offset 2 length 4 (the format's example). */
    static const uint8_t s1[] = {7, 0x08, 'x', 'a', 'b', 0x01, 0x02};
    /* The same with a copy-2 and a copy-4. */
    static const uint8_t s2[] = {7, 0x08, 'x', 'a', 'b', 0x02 | (3 << 2), 0x02, 0x00};
    static const uint8_t s3[] = {7, 0x08, 'x', 'a', 'b', 0x03 | (3 << 2), 0x02, 0, 0, 0};
    /* Literal lengths in 1-, 2-, 3- and 4-byte forms, two literals in a row. */
    static const uint8_t s4[] = {6, 60 << 2, 2, 'a', 'b', 'c', 61 << 2, 0, 0, 'd',
                                 62 << 2, 0, 0, 0, 'e', 63 << 2, 0, 0, 0, 0, 'f'};
    /* Copy-1 with the high offset bits: literal of 1030 bytes, then copy 1027 back. */
    static uint8_t s5[2 + 3 + 1030 + 2];
    size_t len, i;

    CHECK_EQ_INT(decode(s1, sizeof s1, 7), FLOE_OK);
    CHECK_EQ_MEM(back, "xababab", 7);
    CHECK_EQ_INT(decode(s2, sizeof s2, 7), FLOE_OK);
    CHECK_EQ_MEM(back, "xababab", 7);
    CHECK_EQ_INT(decode(s3, sizeof s3, 7), FLOE_OK);
    CHECK_EQ_MEM(back, "xababab", 7);
    CHECK_EQ_INT(decode(s4, sizeof s4, 6), FLOE_OK);
    CHECK_EQ_MEM(back, "abcdef", 6);

    s5[0] = (uint8_t)(0x80 | (1036 & 0x7F));
    s5[1] = (uint8_t)(1036 >> 7);
    s5[2] = 61 << 2;
    floe_put_le16(s5 + 3, 1030 - 1);
    for (i = 0; i < 1030; i++)
        s5[5 + i] = (uint8_t)(i * 7 + 1);
    s5[5 + 1030] = (uint8_t)(0x01 | ((6 - 4) << 2) | ((1027 >> 8) << 5));
    s5[5 + 1031] = (uint8_t)(1027 & 0xFF);
    CHECK_EQ_INT(floe_snappy_uncompress(s5, sizeof s5, back, 1036, &len), FLOE_OK);
    CHECK_EQ_U64(len, 1036);
    CHECK_EQ_MEM(back, s5 + 5, 1030);
    CHECK_EQ_MEM(back + 1030, s5 + 5 + 3, 6);
}

TEST(snappy_decodes_overlapping_copies)
{
    /* Offsets 1..9 with long lengths exercise every pattern period. */
    uint8_t s[64];
    size_t off, i, n, got;
    for (off = 1; off <= 9; off++) {
        size_t total = off + 64 * 3 + 5;
        n = 0;
        s[n++] = (uint8_t)(0x80 | (total & 0x7F));
        s[n++] = (uint8_t)(total >> 7);
        s[n++] = (uint8_t)((off - 1) << 2);
        for (i = 0; i < off; i++)
            s[n++] = (uint8_t)('a' + i);
        for (i = 0; i < 3; i++) {
            s[n++] = 0x02 | (63 << 2);
            s[n++] = (uint8_t)off;
            s[n++] = 0;
        }
        s[n++] = 0x01 | ((5 - 4) << 2);
        s[n++] = (uint8_t)off;
        /* Exact room and generous room take different copy paths. */
        for (i = 0; i < 2; i++) {
            size_t k;
            memset(back, 0, total + 32);
            CHECK_EQ_INT(floe_snappy_uncompress(s, n, back, total + i * 32, &got), FLOE_OK);
            CHECK_EQ_U64(got, total);
            for (k = 0; k < total; k++)
                if (back[k] != 'a' + k % off) {
                    test_fail(__FILE__, __LINE__, "off %zu: byte %zu", off, k);
                    break;
                }
            CHECK_EQ_INT(back[total], 0);
        }
    }
}

TEST(snappy_accepts_largest_preamble_and_reports_limit)
{
    static const uint8_t max[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    static const uint8_t s[] = {3, 0x08, 'a', 'b', 'c'};
    size_t len = 0;
    CHECK_EQ_INT(floe_snappy_uncompressed_length(max, sizeof max, &len), FLOE_OK);
    CHECK_EQ_U64(len, 0xFFFFFFFFu);
    CHECK_EQ_INT(decode(max, sizeof max, 1024), FLOE_ERR_LIMIT);
    CHECK_EQ_INT(decode(s, sizeof s, 2), FLOE_ERR_LIMIT);
    CHECK_EQ_INT(decode(s, sizeof s, 3), FLOE_OK);
}

/* ---- hostile input ---- */

struct bad_case {
    const char *what;
    uint8_t bytes[24];
    size_t n;
};

TEST(snappy_rejects_malformed_streams)
{
    static const struct bad_case cases[] = {
        {"empty input", {0}, 0},
        {"truncated varint", {0x80}, 1},
        {"truncated varint 4", {0xFF, 0xFF, 0xFF, 0xFF}, 4},
        {"varint over 5 bytes", {0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 6},
        {"varint over 2^32-1", {0xFF, 0xFF, 0xFF, 0xFF, 0x10}, 5},
        {"varint 2^32", {0x80, 0x80, 0x80, 0x80, 0x10}, 5},
        {"stream ends short", {0x02, 0x00, 'a'}, 3},
        {"no elements", {0x01}, 1},
        {"literal past declared length", {0x01, 0x04, 'a', 'b'}, 4},
        {"second element past length", {0x01, 0x00, 'a', 0x00, 'b'}, 5},
        {"truncated literal", {0x05, 0x10, 'a', 'b'}, 4},
        {"missing literal length byte", {0x40, 60 << 2}, 2},
        {"short 2-byte literal length", {0x40, 61 << 2, 0x3F}, 3},
        {"short 3-byte literal length", {0x40, 62 << 2, 0x3F, 0}, 4},
        {"short 4-byte literal length", {0x40, 63 << 2, 0x3F, 0, 0}, 5},
        {"huge 4-byte literal length", {0x05, 63 << 2, 0xFF, 0xFF, 0xFF, 0xFF, 'a'}, 7},
        {"literal length wraps", {0x05, 63 << 2, 0xFE, 0xFF, 0xFF, 0xFF, 'a'}, 7},
        {"copy before any output", {0x04, 0x01, 0x01}, 3},
        {"copy offset 0 (copy-1)", {0x05, 0x00, 'a', 0x01, 0x00}, 5},
        {"copy offset 0 (copy-2)", {0x05, 0x00, 'a', 0x02 | (3 << 2), 0x00, 0x00}, 6},
        {"copy offset 0 (copy-4)", {0x05, 0x00, 'a', 0x03 | (3 << 2), 0, 0, 0, 0}, 8},
        {"offset past start", {0x06, 0x04, 'a', 'b', 0x01, 0x03}, 6},
        {"copy-2 offset past start", {0x06, 0x04, 'a', 'b', 0x02 | (3 << 2), 0xFF, 0xFF}, 7},
        {"copy-4 huge offset", {0x06, 0x04, 'a', 'b', 0x03 | (3 << 2), 0xFF, 0xFF, 0xFF, 0xFF}, 9},
        {"copy-4 offset 2^32-1+3", {0x06, 0x04, 'a', 'b', 0x03, 0x02, 0, 0, 0x01}, 9},
        {"copy past declared length", {0x05, 0x00, 'a', 0x01 | (4 << 2), 0x01}, 5},
        {"copy-2 past declared length", {0x05, 0x00, 'a', 0x02 | (63 << 2), 0x01, 0x00}, 6},
        {"truncated copy-1", {0x05, 0x00, 'a', 0x01}, 4},
        {"truncated copy-2", {0x05, 0x00, 'a', 0x02, 0x01}, 5},
        {"truncated copy-4", {0x05, 0x00, 'a', 0x03, 0x01, 0x00, 0x00}, 7},
        {"copy leaves length short", {0x09, 0x00, 'a', 0x01, 0x01}, 5},
    };
    size_t i, len;
    for (i = 0; i < FLOE_ARRAY_LEN(cases); i++) {
        int r = decode(cases[i].bytes, cases[i].n, 64);
        if (r != FLOE_ERR_MALFORMED)
            test_fail(__FILE__, __LINE__, "%s: got %d", cases[i].what, r);
    }
    CHECK_EQ_INT(floe_snappy_uncompressed_length(cases[0].bytes, 0, &len), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_snappy_uncompressed_length(cases[4].bytes, 5, &len), FLOE_ERR_MALFORMED);
}

TEST(snappy_survives_mutated_streams)
{
    /* Flip, truncate and overwrite bytes of valid streams; every outcome
     * must be OK, MALFORMED or LIMIT (ASan watches the memory). */
    static uint8_t orig[6000];
    static uint8_t m[6000];
    size_t it, c;
    test_seed(77);
    gen_text(src, 3000);
    gen_int64_seq(src + 3000, 1096);
    c = floe_snappy_compress(src, 4096, orig, sizeof orig, work);
    REQUIRE(c > 0 && c <= sizeof m);
    for (it = 0; it < 3000; it++) {
        size_t n = c, k, flips = 1 + test_rand() % 4, got;
        int r;
        memcpy(m, orig, c);
        for (k = 0; k < flips; k++) {
            size_t at = test_rand() % c;
            switch (test_rand() % 3) {
            case 0: m[at] ^= (uint8_t)(1u << (test_rand() % 8)); break;
            case 1: m[at] = (uint8_t)test_rand(); break;
            default: n = at; break;
            }
        }
        r = floe_snappy_uncompress(m, n, back, 4096 + (it % 2) * 64, &got);
        if (r != FLOE_OK && r != FLOE_ERR_MALFORMED && r != FLOE_ERR_LIMIT) {
            test_fail(__FILE__, __LINE__, "iteration %zu: %d", it, r);
            break;
        }
        if (r == FLOE_OK && got > 4096 + 64) {
            test_fail(__FILE__, __LINE__, "iteration %zu: length %zu", it, got);
            break;
        }
    }
    /* Every prefix of a valid stream but the whole one is malformed. */
    for (it = 0; it < c; it++)
        if (decode(orig, it, 4096) != FLOE_ERR_MALFORMED) {
            test_fail(__FILE__, __LINE__, "prefix %zu accepted", it);
            break;
        }
    CHECK_EQ_INT(decode(orig, c, 4096), FLOE_OK);
}

/* ---- round trips ---- */

TEST(snappy_roundtrip_every_length_to_300)
{
    size_t n, c;
    test_seed(1);
    gen_text(src, 300);
    for (n = 0; n <= 300; n++) {
        c = roundtrip(src, n);
        REQUIRE(c > 0);
        check_portable(src, n, c);
    }
    gen_random(src, 300);
    for (n = 0; n <= 300; n++) {
        c = roundtrip(src, n);
        REQUIRE(c > 0);
        CHECK(c <= n + 5); /* varint 1..2 bytes + one literal tag 1..3 bytes */
        check_portable(src, n, c);
    }
    memset(src, 'z', 300);
    for (n = 0; n <= 300; n++) {
        c = roundtrip(src, n);
        REQUIRE(c > 0);
        check_portable(src, n, c);
    }
}

TEST(snappy_roundtrip_all_zero_mib)
{
    size_t c;
    memset(src, 0, BIG);
    c = roundtrip(src, BIG);
    REQUIRE(c > 0);
    /* Each 64 KiB block: a 1-byte literal and 1024 copies of 64 bytes. */
    CHECK(c <= BIG / 20);
    check_portable(src, BIG, c);
}

TEST(snappy_roundtrip_random_is_not_expanded)
{
    size_t c;
    test_seed(2);
    gen_random(src, BIG);
    c = roundtrip(src, BIG);
    REQUIRE(c > 0);
    /* One literal per block: 3 bytes of tag each, plus the varint. */
    CHECK(c <= BIG + 16 * 3 + 3);
    check_portable(src, BIG, c);
}

TEST(snappy_roundtrip_text)
{
    size_t c;
    test_seed(3);
    gen_text(src, BIG);
    c = roundtrip(src, BIG);
    REQUIRE(c > 0);
    CHECK(c < BIG / 2);
    check_portable(src, BIG, c);
}

TEST(snappy_roundtrip_parquet_like_pages)
{
    size_t c;
    test_seed(4);
    gen_int64_seq(src, BIG);
    c = roundtrip(src, BIG);
    REQUIRE(c > 0);
    CHECK(c < BIG * 55 / 100);
    check_portable(src, BIG, c);

    gen_timestamps(src, BIG);
    c = roundtrip(src, BIG);
    REQUIRE(c > 0);
    CHECK(c < BIG * 70 / 100);
    check_portable(src, BIG, c);

    gen_strings(src, BIG);
    c = roundtrip(src, BIG);
    REQUIRE(c > 0);
    CHECK(c < BIG * 30 / 100);
    check_portable(src, BIG, c);

    /* Small pages, as a row group of many columns produces. */
    gen_strings(src, 777);
    c = roundtrip(src, 777);
    REQUIRE(c > 0);
    CHECK(c < 777 / 2);
    check_portable(src, 777, c);
}

TEST(snappy_roundtrip_block_boundaries)
{
    static const size_t sizes[] = {65535, 65536, 65537, 131072, 131072 + 5, 196608 + 17};
    size_t i, c;
    test_seed(5);
    for (i = 0; i < FLOE_ARRAY_LEN(sizes); i++) {
        size_t n = sizes[i];
        gen_text(src, n);
        c = roundtrip(src, n);
        REQUIRE(c > 0);
        check_portable(src, n, c);
        gen_random(src, n);
        c = roundtrip(src, n);
        REQUIRE(c > 0);
        check_portable(src, n, c);
        /* A pattern that straddles the block edge. */
        memset(src, 'q', n);
        gen_random(src + 65530, 12);
        c = roundtrip(src, n);
        REQUIRE(c > 0);
        check_portable(src, n, c);
    }
}

TEST(snappy_roundtrip_mixed_runs)
{
    /* Alternating stretches of random, text and runs, at random lengths,
     * so literals of every tag size meet copies of every form. */
    size_t pos = 0, c;
    test_seed(6);
    while (pos < BIG) {
        size_t len = 1 + test_rand() % 5000;
        if (len > BIG - pos)
            len = BIG - pos;
        switch (test_rand() % 4) {
        case 0: gen_random(src + pos, len); break;
        case 1: gen_text(src + pos, len); break;
        case 2: memset(src + pos, (int)(test_rand() & 0xFF), len); break;
        default:
            if (pos > 70000) {
                size_t from = pos - 1 - test_rand() % 70000;
                size_t k;
                for (k = 0; k < len; k++)
                    src[pos + k] = src[from + k];
            } else {
                gen_timestamps(src + pos, len);
            }
            break;
        }
        pos += len;
    }
    c = roundtrip(src, BIG);
    REQUIRE(c > 0);
    check_portable(src, BIG, c);
}
