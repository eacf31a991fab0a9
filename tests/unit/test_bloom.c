/* XXH64 and the split block Bloom filter (src/parquet/bloom.c). */
#include "test.h"
#include "parquet/bloom.h"
#include "parquet/thrift.h"
#include "floe/error.h"

/* XXH64 values published with xxHash, and values of xxHash's reference
 * implementation (zstd's lib/common/xxhash.h, seeds 0 and 12345) over bytes
 * i * 37 + 11: every tail (8-, 4- and 1-byte rounds) and the 32-byte stripes. */
TEST(xxh64_matches_published_values)
{
    static const char spam[] = "Nobody inspects the spammish repetition";
    static const struct {
        size_t len;
        uint64_t seed0, seed12345;
    } ref[] = {
        {4, 0xfb1e5cf2f1ae4d95ull, 0x4ff0c85576f0f1ceull},    {8, 0x57cb2b7521f3e21aull, 0x0db84c04e52124efull},
        {12, 0x2f53b00266039e64ull, 0x61fad8202f55861cull},   {16, 0xc6843cef99721174ull, 0xfd032bf679e2703eull},
        {31, 0xe4a0e629e519a4aeull, 0x00b4051bdb059b1eull},   {32, 0xcc6b8aaada790b2dull, 0x35b21e080e63e43full},
        {33, 0x35ec49850475a832ull, 0x88873d45c63b8712ull},   {64, 0x155ccce4bf32befcull, 0x5b6b952d42a6c9f5ull},
        {100, 0x4826e367566ea023ull, 0xe7b0dc1a7e6b2f6bull},  {255, 0x178ea4a7d2319abeull, 0xb72325440f4c7432ull},
    };
    uint8_t buf[256];
    size_t i;
    CHECK_EQ_U64(floe_xxh64("", 0, 0), 0xef46db3751d8e999ull);
    CHECK_EQ_U64(floe_xxh64("a", 1, 0), 0xd24ec4f1a98c6e5bull);
    CHECK_EQ_U64(floe_xxh64("abc", 3, 0), 0x44bc2cf5ad770999ull);
    CHECK_EQ_U64(floe_xxh64(spam, sizeof spam - 1, 0), 0xfbcea83c8a378bf1ull);
    for (i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 37u + 11u);
    for (i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        CHECK_EQ_U64(floe_xxh64(buf, ref[i].len, 0), ref[i].seed0);
        CHECK_EQ_U64(floe_xxh64(buf, ref[i].len, 12345), ref[i].seed12345);
    }
}

TEST(xxh64_reads_every_byte_and_the_seed)
{
    uint8_t buf[200];
    size_t n, i;
    for (i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 37u + 11u);
    for (n = 0; n < sizeof buf; n++) {
        uint64_t h = floe_xxh64(buf, n, 0);
        CHECK(floe_xxh64(buf, n, 1) != h);
        if (n > 0) {
            buf[n - 1] ^= 0x80u; /* the last byte counts, whatever the length */
            CHECK(floe_xxh64(buf, n, 0) != h);
            buf[n - 1] ^= 0x80u;
            CHECK(floe_xxh64(buf, n - 1, 0) != h);
        }
    }
}

TEST(bloom_size_follows_distinct_values)
{
    CHECK_EQ_INT(floe_bloom_bytes(0, 1u << 20), 32);
    CHECK_EQ_INT(floe_bloom_bytes(26, 1u << 20), 32);   /* 26 * 9.68 bits = 252 bits */
    CHECK_EQ_INT(floe_bloom_bytes(27, 1u << 20), 64);
    CHECK_EQ_INT(floe_bloom_bytes(2000, 1u << 20), 4096); /* 2420 bytes, rounded up */
    CHECK_EQ_INT(floe_bloom_bytes(1000000, 1u << 20), 1u << 20); /* capped */
    CHECK_EQ_INT(floe_bloom_bytes(1000000, 100000), 65536);     /* cap rounded down */
    CHECK_EQ_INT(floe_bloom_bytes(5, 31), 0);
}

TEST(bloom_has_no_false_negatives_and_few_false_positives)
{
    static uint8_t bits[4096];
    char key[32];
    unsigned i, fp = 0;
    size_t n = floe_bloom_bytes(2000, sizeof bits);
    REQUIRE(n == sizeof bits);
    memset(bits, 0, n);
    for (i = 0; i < 2000; i++) {
        int len = snprintf(key, sizeof key, "gw-%04u/sensor-%02u", i / 20u, i % 20u);
        floe_bloom_insert(bits, n, floe_xxh64(key, (size_t)len, 0));
    }
    for (i = 0; i < 2000; i++) {
        int len = snprintf(key, sizeof key, "gw-%04u/sensor-%02u", i / 20u, i % 20u);
        CHECK(floe_bloom_check(bits, n, floe_xxh64(key, (size_t)len, 0)));
    }
    for (i = 0; i < 100000; i++) {
        int len = snprintf(key, sizeof key, "absent-%u", i);
        fp += (unsigned)floe_bloom_check(bits, n, floe_xxh64(key, (size_t)len, 0));
    }
    /* 16 bits a value here: well under the 1% design rate. */
    if (fp >= 1000)
        test_fail(__FILE__, __LINE__, "%u false positives in 100000", fp);
}

TEST(bloom_header_is_the_thrift_struct)
{
    uint8_t h[32];
    size_t len = floe_bloom_header(h, sizeof h, 4096);
    /* numBytes (i32 field 1, zigzag varint 8192), then three one-member unions
     * holding an empty struct: field 2, 3, 4 each "1c 1c 00 00"... */
    static const uint8_t want[] = {0x15, 0x80, 0x40, 0x1c, 0x1c, 0x00, 0x00, 0x1c,
                                   0x1c, 0x00, 0x00, 0x1c, 0x1c, 0x00, 0x00, 0x00};
    CHECK_EQ_INT(len, sizeof want);
    CHECK(memcmp(h, want, sizeof want) == 0);
    CHECK_EQ_INT(floe_bloom_header(h, 8, 4096), 0); /* too small: nothing */
}
