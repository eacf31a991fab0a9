/* Parquet value encodings (PLAIN, RLE/bit-packing hybrid, DELTA_BINARY_PACKED,
 * BYTE_STREAM_SPLIT) as pure functions over caller memory.
 *
 * Encoders append to a struct floe_buf. A write that does not fit sets
 * buf->err = FLOE_ERR_NOMEM and writes nothing; the error is sticky, so every
 * later write is a no-op and the caller checks once at the end (the finish
 * functions return it). Everything on disk is little-endian whatever the host.
 *
 * Decoders exist for tests, fuzzing and reading our own files back: they take
 * untrusted bytes, never read past their length and never write more values
 * than asked for. */
#ifndef FLOE_PARQUET_ENCODING_H
#define FLOE_PARQUET_ENCODING_H

#include "core/internal.h"

/* ---- output buffer ---- */

struct floe_buf {
    uint8_t *p;   /* caller memory */
    size_t cap;   /* bytes at p */
    size_t len;   /* bytes written */
    int err;      /* FLOE_OK, or the first error (sticky) */
};

static inline void floe_buf_init(struct floe_buf *b, void *p, size_t cap)
{
    b->p = (uint8_t *)p;
    b->cap = p != NULL ? cap : 0;
    b->len = 0;
    b->err = FLOE_OK;
}

/* Claims n bytes at the end and returns them, or NULL (and sets the sticky
 * error) when they do not fit or an earlier write failed. */
static inline uint8_t *floe_buf_reserve(struct floe_buf *b, size_t n)
{
    uint8_t *at;
    if (b->err != FLOE_OK)
        return NULL;
    if (n > b->cap - b->len) {
        b->err = FLOE_ERR_NOMEM;
        return NULL;
    }
    if (b->p == NULL)
        return NULL; /* n == 0 on an empty buffer: nothing to point at */
    at = b->p + b->len;
    b->len += n;
    return at;
}

static inline void floe_buf_put_u8(struct floe_buf *b, uint8_t v)
{
    if (b->err == FLOE_OK && b->len < b->cap)
        b->p[b->len++] = v;
    else if (b->err == FLOE_OK)
        b->err = FLOE_ERR_NOMEM;
}

static inline void floe_buf_put_bytes(struct floe_buf *b, const void *src, size_t n)
{
    uint8_t *at = floe_buf_reserve(b, n);
    if (at != NULL && n != 0)
        floe_memcpy(at, src, n);
}

static inline void floe_buf_put_le32(struct floe_buf *b, uint32_t v)
{
    uint8_t *at = floe_buf_reserve(b, 4);
    if (at != NULL)
        floe_put_le32(at, v);
}

static inline void floe_buf_put_le64(struct floe_buf *b, uint64_t v)
{
    uint8_t *at = floe_buf_reserve(b, 8);
    if (at != NULL)
        floe_put_le64(at, v);
}

/* ULEB128: 1..10 bytes. */
#define FLOE_UVARINT_MAX 10u

/* Writes v at p (room for FLOE_UVARINT_MAX bytes); returns the end. */
static inline uint8_t *floe_put_uvarint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80u) {
        *p++ = (uint8_t)(v | 0x80u);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline size_t floe_uvarint_bytes(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80u) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline void floe_buf_put_uvarint(struct floe_buf *b, uint64_t v)
{
    uint8_t tmp[FLOE_UVARINT_MAX];
    floe_buf_put_bytes(b, tmp, (size_t)(floe_put_uvarint(tmp, v) - tmp));
}

/* Nonzero when n does not fit in 32 bits (a shift: no type-limits warning
 * where size_t is 32 bits). */
static inline int floe_over_u32(uint64_t n)
{
    return (n >> 32) != 0;
}

/* Zigzag without signed shifts: 0,-1,1,-2,.. -> 0,1,2,3,.. */
static inline uint64_t floe_zigzag64(int64_t v)
{
    uint64_t u = (uint64_t)v;
    return (u << 1) ^ (0u - (u >> 63));
}

/* The inverse, without converting an out-of-range unsigned to signed. */
static inline int64_t floe_unzigzag64(uint64_t z)
{
    uint64_t u = (z >> 1) ^ (0u - (z & 1u));
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}

static inline void floe_buf_put_zigzag(struct floe_buf *b, int64_t v)
{
    floe_buf_put_uvarint(b, floe_zigzag64(v));
}

/* Reads a ULEB128 of at most 64 bits at p[*pos..n). Returns FLOE_OK, or
 * FLOE_ERR_MALFORMED for a truncated or overlong varint (*pos unchanged). */
int floe_get_uvarint(const uint8_t *p, size_t n, size_t *pos, uint64_t *v);

/* ---- bit widths and bit packing ---- */

/* Bits needed for v: 0 for 0, 64 for values with the top bit set. */
static inline unsigned floe_bit_width(uint64_t v)
{
#if defined(__GNUC__)
    return v == 0 ? 0u : 64u - (unsigned)__builtin_clzll(v);
#else
    unsigned w = 0;
    while (v != 0) {
        w++;
        v >>= 1;
    }
    return w;
#endif
}

/* Bytes of n values packed at bit_width bits: ceil(n * bit_width / 8). */
static inline size_t floe_bitpack_bytes(size_t n, unsigned bit_width)
{
    return n / 8u * bit_width + ((n % 8u) * bit_width + 7u) / 8u;
}

/* Packs n values LSB-first at bit_width bits (0..32 or 0..64), writing exactly
 * floe_bitpack_bytes(n, bit_width) bytes. Bits above bit_width are ignored.
 * This is the order of the RLE hybrid, DELTA_BINARY_PACKED and PLAIN booleans. */
void floe_bitpack32(const uint32_t *in, size_t n, unsigned bit_width, uint8_t *out);
void floe_bitpack64(const uint64_t *in, size_t n, unsigned bit_width, uint8_t *out);
/* The inverse: reads exactly floe_bitpack_bytes(n, bit_width) bytes. */
void floe_bitunpack32(const uint8_t *in, size_t n, unsigned bit_width, uint32_t *out);
void floe_bitunpack64(const uint8_t *in, size_t n, unsigned bit_width, uint64_t *out);

/* ---- PLAIN ---- */

static inline void floe_plain_put_i32(struct floe_buf *b, int32_t v)
{
    floe_buf_put_le32(b, (uint32_t)v);
}

static inline void floe_plain_put_i64(struct floe_buf *b, int64_t v)
{
    floe_buf_put_le64(b, (uint64_t)v);
}

/* IEEE 754 bits, little-endian (assumes float byte order = integer order). */
static inline void floe_plain_put_float(struct floe_buf *b, float v)
{
    uint32_t u;
    floe_memcpy(&u, &v, sizeof u);
    floe_buf_put_le32(b, u);
}

static inline void floe_plain_put_double(struct floe_buf *b, double v)
{
    uint64_t u;
    floe_memcpy(&u, &v, sizeof u);
    floe_buf_put_le64(b, u);
}

/* BYTE_ARRAY: 4-byte little-endian length, then the bytes. A value longer
 * than UINT32_MAX sets the sticky error FLOE_ERR_LIMIT. */
static inline void floe_plain_put_byte_array(struct floe_buf *b, const void *v, size_t len)
{
    uint8_t *at;
    if (floe_over_u32(len) || len > SIZE_MAX - 4u) {
        if (b->err == FLOE_OK)
            b->err = FLOE_ERR_LIMIT;
        return;
    }
    at = floe_buf_reserve(b, 4u + len);
    if (at != NULL) {
        floe_put_le32(at, (uint32_t)len);
        if (len != 0)
            floe_memcpy(at + 4, v, len);
    }
}

/* Reads the BYTE_ARRAY at p[*pos..n) and advances *pos past it.
 * Returns FLOE_OK, or FLOE_ERR_MALFORMED when it does not fit in n. */
int floe_plain_get_byte_array(const uint8_t *p, size_t n, size_t *pos, const uint8_t **v,
                              uint32_t *len);

/* PLAIN booleans: one bit each, LSB first, the last byte zero-padded. */
struct floe_bool_packer {
    struct floe_buf *out;
    uint32_t bits;    /* pending bits, LSB first */
    unsigned n_bits;  /* 0..7 */
};

void floe_bool_packer_init(struct floe_bool_packer *bp, struct floe_buf *out);
static inline void floe_bool_packer_put(struct floe_bool_packer *bp, int v)
{
    bp->bits |= (uint32_t)(v != 0) << bp->n_bits;
    if (++bp->n_bits == 8u) {
        floe_buf_put_u8(bp->out, (uint8_t)bp->bits);
        bp->bits = 0;
        bp->n_bits = 0;
    }
}
/* Writes the partial last byte. Returns the buffer's sticky error. */
int floe_bool_packer_finish(struct floe_bool_packer *bp);

/* Unpacks count booleans (0/1) from p[0..n). FLOE_ERR_MALFORMED when n is
 * shorter than ceil(count / 8). */
int floe_bool_unpack(const uint8_t *p, size_t n, uint8_t *out, size_t count);

/* ---- RLE / bit-packing hybrid ----
 *
 * For repetition/definition levels and dictionary indices. Values are put one
 * at a time or as repeats; runs long enough to beat bit-packing become RLE
 * runs (at least 8 values, more for bit widths 1 and 2), the rest goes into
 * bit-packed groups of 8 whose header is patched when the group run ends (at
 * most 63 groups, so the header is always one byte). The last group is padded
 * with zeros: the reader knows the value count from the page header.
 *
 * Where the format wants the 4-byte length prefix (levels in data page v1,
 * RLE booleans), use floe_rle_init_prefixed(): it reserves the prefix and
 * floe_rle_finish() fills it. Data page v2 levels and dictionary indices
 * have no prefix (dictionary indices are preceded by one bit-width byte,
 * which the caller writes). */
#define FLOE_RLE_MAX_RUN 0x7fffffffu /* run lengths are 1..2^31-1 */

struct floe_rle_encoder {
    struct floe_buf *out;
    uint32_t lit[8];      /* values waiting for a bit-packed group */
    uint32_t run_value;   /* value of the trailing run */
    uint64_t run_len;     /* its length, not yet in lit[] or the output */
    size_t hdr_pos;       /* offset of the open group run's header, or SIZE_MAX */
    size_t start;         /* offset of the encoded data (after any prefix) */
    size_t prefix_pos;    /* offset of the length prefix, or SIZE_MAX */
    uint32_t max_value;   /* 2^bit_width - 1 */
    uint32_t min_rle;     /* shortest run worth an RLE run */
    unsigned bit_width;   /* 0..32 */
    unsigned value_bytes; /* bytes of an RLE run's value */
    unsigned n_lit;       /* 0..7 */
    unsigned n_groups;    /* groups in the open group run, 0..63 */
    int err;              /* FLOE_ERR_INVAL after a value wider than bit_width */
};

/* Returns FLOE_OK, or FLOE_ERR_INVAL for a bit width above 32. */
int floe_rle_init(struct floe_rle_encoder *e, unsigned bit_width, struct floe_buf *out);
/* Same, with the 4-byte little-endian length prefix of the encoded data. */
int floe_rle_init_prefixed(struct floe_rle_encoder *e, unsigned bit_width, struct floe_buf *out);

/* Out-of-line part of floe_rle_put; do not call directly. */
void floe_rle_put_slow(struct floe_rle_encoder *e, uint32_t v, uint64_t count);

/* Appends one value (< 2^bit_width, else the encoder fails with INVAL). */
static inline void floe_rle_put(struct floe_rle_encoder *e, uint32_t v)
{
    if (v == e->run_value && e->run_len != 0) {
        e->run_len++;
    } else if (e->run_len == 1 && e->n_lit < 7 && v <= e->max_value) {
        /* A run of one ends: into the open group, as the slow path would
         * (dictionary indices of unsorted values take this way). */
        e->lit[e->n_lit++] = e->run_value;
        e->run_value = v;
    } else {
        floe_rle_put_slow(e, v, 1);
    }
}

/* Appends count copies of v in O(1) (all-present definition levels). */
static inline void floe_rle_put_repeated(struct floe_rle_encoder *e, uint32_t v, uint64_t count)
{
    if (v == e->run_value && e->run_len != 0)
        e->run_len += count;
    else if (count != 0)
        floe_rle_put_slow(e, v, count);
}

/* Writes everything pending and the length prefix, if any. Returns FLOE_OK,
 * FLOE_ERR_INVAL (a value was too wide) or FLOE_ERR_NOMEM (out too small).
 * The encoded data is out->p[e->start .. out->len). */
int floe_rle_finish(struct floe_rle_encoder *e);

/* Re-packs everything written so far at a larger bit width, in place (runs
 * keep their lengths; bit-packed and RLE values take the new width), so one
 * page can go on when its dictionary indices outgrow their width. Returns
 * FLOE_OK; FLOE_ERR_LIMIT, changing nothing, if that would add more than
 * max_growth bytes or leave less than keep_free of out's capacity;
 * FLOE_ERR_INVAL for a width that is not larger or above 32; the error an
 * encoder that failed already has. The caller rewrites any width it stored
 * before the data. */
int floe_rle_widen(struct floe_rle_encoder *e, unsigned bit_width, size_t max_growth, size_t keep_free);

/* An upper bound of the encoded size of n values (without the prefix). */
size_t floe_rle_max_size(unsigned bit_width, uint64_t n);

/* Decodes exactly count values at bit_width (0..32) from p[0..n). Returns the
 * bytes consumed (the runs that supplied the values), FLOE_ERR_MALFORMED for
 * truncated or invalid runs or an RLE value wider than bit_width,
 * FLOE_ERR_INVAL for bad arguments. */
int floe_rle_decode(const uint8_t *p, size_t n, unsigned bit_width, uint32_t *out, size_t count);

/* ---- DELTA_BINARY_PACKED ----
 *
 * Blocks of 128 values in 4 miniblocks of 32. The header holds the total
 * count, so it is only known at the end: the body goes to `out` as blocks
 * fill, and floe_delta_finish() writes the header into a separate small
 * buffer. The page data is the header bytes followed by the body bytes.
 * All arithmetic wraps (int32 columns in 32 bits, int64 in 64 bits), as the
 * spec requires; bit widths never exceed the physical type's width.
 * The struct holds one block (about 1 KiB): keep it off the stack. */
#define FLOE_DELTA_BLOCK 128u
#define FLOE_DELTA_MINIBLOCKS 4u
#define FLOE_DELTA_MINI (FLOE_DELTA_BLOCK / FLOE_DELTA_MINIBLOCKS)
#define FLOE_DELTA_HEADER_MAX 32u /* >= 2 + 1 + 10 + 10 */

struct floe_delta_encoder {
    struct floe_buf *out;
    uint64_t deltas[FLOE_DELTA_BLOCK]; /* pending deltas of this block */
    uint64_t first;       /* the first value */
    uint64_t prev;        /* the last value */
    uint64_t total;       /* values put */
    uint64_t mask;        /* all ones in the type's width */
    unsigned bits;        /* 32 or 64 */
    unsigned n;           /* pending deltas */
    unsigned byte_slack;  /* see floe_delta_align_bytes */
    int err;
};

/* INT64 columns. */
void floe_delta_init(struct floe_delta_encoder *e, struct floe_buf *out);
/* INT32 columns: values must be in int32 range (else FLOE_ERR_INVAL). */
void floe_delta_init32(struct floe_delta_encoder *e, struct floe_buf *out);

/* Rounds a miniblock's bit width up to whole bytes when that costs at most
 * slack bits a value (0: never, the default). For pages an entropy coder
 * (zstd) compresses next: it codes bytes, and a delta split across bytes
 * hides its distribution. Millisecond timestamps in a microsecond column
 * (deltas of 15 bits, 16 aligned) shrink by a quarter. */
static inline void floe_delta_align_bytes(struct floe_delta_encoder *e, unsigned slack)
{
    e->byte_slack = slack;
}

/* Out-of-line part of floe_delta_put (a full block); do not call directly. */
void floe_delta_flush_block(struct floe_delta_encoder *e);

static inline void floe_delta_put(struct floe_delta_encoder *e, int64_t v)
{
    uint64_t u = (uint64_t)v & e->mask;
    if (e->bits == 32 && (v < INT32_MIN || v > INT32_MAX)) {
        e->err = FLOE_ERR_INVAL;
        return;
    }
    if (e->total == 0) {
        e->first = u;
    } else {
        e->deltas[e->n++] = (u - e->prev) & e->mask;
        if (e->n == FLOE_DELTA_BLOCK)
            floe_delta_flush_block(e);
    }
    e->prev = u;
    e->total++;
}

/* Flushes the last partial block to out and writes the header to header
 * (FLOE_DELTA_HEADER_MAX bytes always suffice). Returns FLOE_OK or the first
 * error (FLOE_ERR_NOMEM from either buffer, FLOE_ERR_INVAL). */
int floe_delta_finish(struct floe_delta_encoder *e, struct floe_buf *header);

/* An upper bound of the body size (header excluded) for n values. */
size_t floe_delta_max_size(unsigned bits, uint64_t n);

/* Decodes a whole DELTA_BINARY_PACKED stream (header and blocks) of a
 * 32- or 64-bit column from p[0..n) into out[0..cap). Returns the bytes
 * consumed and sets *count; FLOE_ERR_LIMIT when the stream holds more than
 * cap values, FLOE_ERR_MALFORMED for anything the format does not allow. */
int floe_delta_decode(const uint8_t *p, size_t n, unsigned bits, int64_t *out, size_t cap,
                      size_t *count);

/* ---- BYTE_STREAM_SPLIT ----
 *
 * Turns n_values PLAIN values of width bytes (4: FLOAT, 8: DOUBLE; any width
 * for FIXED_LEN_BYTE_ARRAY) into width streams of n_values bytes. out must
 * not overlap plain. Returns FLOE_OK or FLOE_ERR_INVAL. */
int floe_byte_stream_split(const uint8_t *plain, size_t n_values, size_t width, uint8_t *out);
/* The inverse. */
int floe_byte_stream_join(const uint8_t *split, size_t n_values, size_t width, uint8_t *plain);

#endif
