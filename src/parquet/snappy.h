/* Snappy (raw format, no framing) for Parquet's SNAPPY codec.
 *
 * A stream is a little-endian varint of the uncompressed length followed by
 * literal and copy elements. The compressor works in independent 64 KiB
 * blocks, so its offsets always fit a copy with a 1- or 2-byte offset; the
 * decompressor accepts every element the format defines (including 4-byte
 * offsets and copies that reach across block boundaries) and checks each
 * one against the input and the declared length before touching memory.
 *
 * No heap, no recursion: the compressor's hash table is caller-provided
 * scratch of FLOE_SNAPPY_WORK_BYTES, the decompressor needs none. */
#ifndef FLOE_PARQUET_SNAPPY_H
#define FLOE_PARQUET_SNAPPY_H

#include "floe/config.h"
#include <stddef.h>
#include <stdint.h>

/* FLOE_SNAPPY_HASH_LOG: log2 of the compressor's hash table entries (16-bit
 * each). 14 (32 KiB of scratch) matches the usual Snappy ratio; tiny
 * firmware may use 10..13 (2..16 KiB) and trade a little ratio. Any value
 * produces valid Snappy streams. */
#ifndef FLOE_SNAPPY_HASH_LOG
#define FLOE_SNAPPY_HASH_LOG 14
#endif
#if FLOE_SNAPPY_HASH_LOG < 8 || FLOE_SNAPPY_HASH_LOG > 15
#error "FLOE_SNAPPY_HASH_LOG must be 8..15"
#endif

/* Bytes of scratch floe_snappy_compress() needs, aligned to at least
 * FLOE_SNAPPY_WORK_ALIGN (a static uint16_t array or any arena take will do). */
#define FLOE_SNAPPY_WORK_BYTES ((size_t)2u << FLOE_SNAPPY_HASH_LOG)
#define FLOE_SNAPPY_WORK_ALIGN 2u

/* The largest uncompressed length the format can describe (2^32 - 1). */
#define FLOE_SNAPPY_MAX_INPUT 0xFFFFFFFFu

/* The format's worst case for n input bytes: 32 + n + n/6. Returns 0 when n
 * exceeds FLOE_SNAPPY_MAX_INPUT or the bound does not fit a size_t. */
size_t floe_snappy_max_compressed_length(size_t n);

/* Compresses in[0..n) into out. out_cap must be at least
 * floe_snappy_max_compressed_length(n): the compressor checks that up front
 * instead of bounds-checking every element. Bytes of out past the returned
 * length (but below out_cap) may be overwritten: short literals are moved
 * 16 bytes at a time. work is
 * FLOE_SNAPPY_WORK_BYTES of scratch (its contents on entry do not matter).
 * Returns the bytes written (at least 1: an empty input is the 1-byte
 * stream 0x00), or 0 when out_cap is too small or an argument is bad
 * (NULL out or work, NULL in with n > 0, misaligned work, n too large).
 * The output is the same on every host, whatever its byte order. */
size_t floe_snappy_compress(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap,
                            void *work);

/* Reads the uncompressed length from the stream's preamble.
 * Returns FLOE_OK, FLOE_ERR_MALFORMED (truncated varint, more than 5 bytes,
 * or a value over 2^32 - 1) or FLOE_ERR_INVAL (NULL arguments). */
int floe_snappy_uncompressed_length(const uint8_t *in, size_t n, size_t *len);

/* Decompresses in[0..n) into out[0..out_cap) and sets *out_len to the
 * uncompressed length. Safe on hostile input: never reads past in + n nor
 * writes past out + (declared length).
 * Returns FLOE_OK;
 *   FLOE_ERR_LIMIT when the declared length exceeds out_cap (nothing written);
 *   FLOE_ERR_MALFORMED for a bad preamble, a truncated element, a copy with
 *   offset 0 or reaching before the start of the output, any element running
 *   past the declared length, or a stream that ends short of it (out may
 *   then hold partial output);
 *   FLOE_ERR_INVAL for NULL arguments (out may be NULL only when out_cap is 0).
 * *out_len is 0 on every error. */
int floe_snappy_uncompress(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap,
                           size_t *out_len);

#endif
