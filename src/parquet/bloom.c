/* Split block Bloom filters and XXH64 (see bloom.h). */
#include "parquet/bloom.h"
#include "core/internal.h"
#include "parquet/encoding.h"
#include "parquet/thrift.h"

/* ---- XXH64 --------------------------------------------------------------- */

#define XXH_P1 0x9E3779B185EBCA87ull
#define XXH_P2 0xC2B2AE3D27D4EB4Full
#define XXH_P3 0x165667B19E3779F9ull
#define XXH_P4 0x85EBCA77C2B2AE63ull
#define XXH_P5 0x27D4EB2F165667C5ull

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64u - r));
}

/* One 8-byte lane into an accumulator. */
static inline uint64_t lane_round(uint64_t acc, uint64_t lane)
{
    return rotl64(acc + lane * XXH_P2, 31) * XXH_P1;
}

static inline uint64_t merge_round(uint64_t h, uint64_t acc)
{
    return (h ^ lane_round(0, acc)) * XXH_P1 + XXH_P4;
}

uint64_t floe_xxh64(const void *data, size_t n, uint64_t seed)
{
    const uint8_t *p = (const uint8_t *)data;
    size_t left = n;
    uint64_t h;
    if (left >= 32) {
        /* Four accumulators over 32-byte stripes. */
        uint64_t a1 = seed + XXH_P1 + XXH_P2, a2 = seed + XXH_P2, a3 = seed, a4 = seed - XXH_P1;
        do {
            a1 = lane_round(a1, floe_get_le64(p));
            a2 = lane_round(a2, floe_get_le64(p + 8));
            a3 = lane_round(a3, floe_get_le64(p + 16));
            a4 = lane_round(a4, floe_get_le64(p + 24));
            p += 32;
            left -= 32;
        } while (left >= 32);
        h = rotl64(a1, 1) + rotl64(a2, 7) + rotl64(a3, 12) + rotl64(a4, 18);
        h = merge_round(h, a1);
        h = merge_round(h, a2);
        h = merge_round(h, a3);
        h = merge_round(h, a4);
    } else {
        h = seed + XXH_P5;
    }
    h += (uint64_t)n;
    for (; left >= 8; left -= 8, p += 8)
        h = rotl64(h ^ lane_round(0, floe_get_le64(p)), 27) * XXH_P1 + XXH_P4;
    if (left >= 4) {
        h = rotl64(h ^ ((uint64_t)floe_get_le32(p) * XXH_P1), 23) * XXH_P2 + XXH_P3;
        p += 4;
        left -= 4;
    }
    for (; left > 0; left--, p++)
        h = rotl64(h ^ ((uint64_t)*p * XXH_P5), 11) * XXH_P1;
    /* Avalanche. */
    h ^= h >> 33;
    h *= XXH_P2;
    h ^= h >> 29;
    h *= XXH_P3;
    h ^= h >> 32;
    return h;
}

/* ---- the filter ---------------------------------------------------------- */

static const uint32_t salt[8] = {0x47b6137bu, 0x44974d91u, 0x8824ad5bu, 0xa2b7289du,
                                 0x705495c7u, 0x2df1424bu, 0x9efc4947u, 0x5c6bfb31u};

size_t floe_bloom_bytes(uint32_t ndv, size_t max_bytes)
{
    uint64_t want = ((uint64_t)ndv * 968u / 100u + 7u) / 8u; /* 9.68 bits a value: 1% */
    uint64_t cap, bytes;
    if (max_bytes < FLOE_BLOOM_BLOCK_BYTES)
        return 0;
    /* (the writer asks at every new dictionary entry: no loops) */
    cap = (uint64_t)1 << (floe_bit_width((uint64_t)max_bytes) - 1u);
    if (want <= FLOE_BLOOM_BLOCK_BYTES)
        return FLOE_BLOOM_BLOCK_BYTES;
    bytes = (uint64_t)1 << floe_bit_width(want - 1u);
    return (size_t)(bytes < cap ? bytes : cap);
}

/* The block a hash picks: its high 32 bits scaled to the block count. */
static size_t block_of(uint64_t hash, size_t n)
{
    uint64_t blocks = n / FLOE_BLOOM_BLOCK_BYTES;
    return (size_t)(((hash >> 32) * blocks) >> 32) * FLOE_BLOOM_BLOCK_BYTES;
}

void floe_bloom_insert(uint8_t *bits, size_t n, uint64_t hash)
{
    uint8_t *block = bits + block_of(hash, n);
    uint32_t key = (uint32_t)hash;
    unsigned i;
    for (i = 0; i < 8; i++) {
        uint8_t *word = block + 4u * i;
        floe_put_le32(word, floe_get_le32(word) | (1u << ((key * salt[i]) >> 27)));
    }
}

int floe_bloom_check(const uint8_t *bits, size_t n, uint64_t hash)
{
    const uint8_t *block = bits + block_of(hash, n);
    uint32_t key = (uint32_t)hash;
    unsigned i;
    for (i = 0; i < 8; i++)
        if ((floe_get_le32(block + 4u * i) & (1u << ((key * salt[i]) >> 27))) == 0)
            return 0;
    return 1;
}

/* A union field whose one member is an empty struct (SplitBlockAlgorithm,
 * XxHash, Uncompressed: each member 1 of its union). */
static void empty_choice(struct floe_thrift_writer *w, int16_t id)
{
    floe_thrift_write_struct_begin(w, id);
    floe_thrift_write_struct_begin(w, 1);
    floe_thrift_write_struct_end(w);
    floe_thrift_write_struct_end(w);
}

size_t floe_bloom_header(uint8_t *out, size_t cap, size_t n)
{
    struct floe_thrift_writer w;
    int len;
    floe_thrift_writer_init(&w, out, cap);
    floe_thrift_write_i32(&w, 1, (int32_t)n); /* numBytes */
    empty_choice(&w, 2);                      /* algorithm: BLOCK */
    empty_choice(&w, 3);                      /* hash: XXHASH */
    empty_choice(&w, 4);                      /* compression: UNCOMPRESSED */
    len = floe_thrift_writer_finish(&w);
    return len < 0 ? 0 : (size_t)len;
}
