/* Parquet's split block Bloom filter (SBBF), as BloomFilter.md in
 * apache/parquet-format defines it, and the XXH64 hash it is keyed by.
 *
 * A filter is numBytes / 32 blocks of eight little-endian 32-bit words. A
 * value is hashed (XXH64, seed 0) over its PLAIN bytes (a BYTE_ARRAY without
 * its length prefix); the hash's high 32 bits pick a block, its low 32 bits
 * times eight fixed odd "salts" set one bit in each word. A reader that finds
 * any of the eight bits clear knows the value is not in the column chunk.
 *
 * The writer fills one filter per dictionary-encoded column chunk from the
 * chunk's dictionary, which holds every distinct value: no work per row. */
#ifndef FLOE_PARQUET_BLOOM_H
#define FLOE_PARQUET_BLOOM_H

#include <stddef.h>
#include <stdint.h>

#define FLOE_BLOOM_BLOCK_BYTES 32u
/* The longest BloomFilterHeader: 14 bytes and the varint of 2 * numBytes. */
#define FLOE_BLOOM_HEADER_MAX 20u

/** XXH64 of p[0..n) with @p seed (the xxHash specification's algorithm). */
uint64_t floe_xxh64(const void *p, size_t n, uint64_t seed);

/** Bytes of a filter for @p ndv distinct values at a false-positive rate of
 *  at most 1% (9.68 bits a value, from the specification's formula
 *  -8 / ln(1 - p^(1/8))), rounded up to a power of two (as other writers
 *  do, so that readers that mask instead of multiplying agree), at least
 *  one block and at most @p max_bytes rounded down to a power of two (a
 *  smaller filter only raises the false-positive rate). 0 when max_bytes
 *  is below one block. */
size_t floe_bloom_bytes(uint32_t ndv, size_t max_bytes);

/** Sets the value's eight bits in the zeroed-then-filled bitset of @p n bytes
 *  (a multiple of 32). */
void floe_bloom_insert(uint8_t *bits, size_t n, uint64_t hash);

/** 1 when every one of the value's bits is set (the value may be there), 0
 *  when one is clear (it is not). */
int floe_bloom_check(const uint8_t *bits, size_t n, uint64_t hash);

/** The BloomFilterHeader (Thrift compact) for a bitset of @p n bytes: SBBF,
 *  XXHASH, UNCOMPRESSED. Returns its length (at most FLOE_BLOOM_HEADER_MAX),
 *  or 0 if @p cap is too small. */
size_t floe_bloom_header(uint8_t *out, size_t cap, size_t n);

#endif
