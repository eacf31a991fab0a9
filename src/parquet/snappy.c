/* Snappy compressor and bounds-checked decompressor (raw format).
 *
 * Compressor: greedy LZ77 over independent 64 KiB blocks. A multiplicative
 * hash of the next 4 bytes indexes a table of 16-bit block positions; on a
 * miss the probe stride grows by one byte every 32 misses, so incompressible
 * data is skimmed instead of hashed byte by byte. Matches extend 8 bytes a
 * time, then the position before the match end is hashed and the end itself
 * tried at once, which keeps runs of back-to-back copies cheap.
 *
 * All multi-byte loads go through snappy_load32/64, which return the
 * little-endian value of the bytes on every host, so the hash (and with it
 * the compressed output) and the "first differing byte" arithmetic of the
 * match extension do not depend on the host's byte order. */
#include "parquet/snappy.h"
#include "core/internal.h"

#define SNAPPY_BLOCK ((size_t)1 << 16)
/* Positions closer than this to the block end are not searched: every load
 * of the search loop then stays in bounds without a check of its own. */
#define SNAPPY_TAIL 15u
/* Multiplier of the 4-byte hash: an odd constant with well-mixed bits
 * (xxHash's PRIME32_5). Knuth's 0x9E3779B1 puts runs like "0123", "1234",
 * ... into few buckets of a small table and was measurably worse. */
#define SNAPPY_HASH_MUL 0x165667B1u

/* The fast paths need GNU builtins and a known byte order; anything else
 * (or -DFLOE_SNAPPY_PORTABLE, which the unit tests use to cover this path on
 * the host) assembles values byte by byte. */
#if !defined(FLOE_SNAPPY_PORTABLE) && defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    defined(__ORDER_LITTLE_ENDIAN__) && defined(__ORDER_BIG_ENDIAN__)
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SNAPPY_HOST_LE 1
#elif __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SNAPPY_HOST_BE 1
#endif
#endif

static inline uint32_t snappy_load32(const uint8_t *p)
{
#if defined(SNAPPY_HOST_LE) || defined(SNAPPY_HOST_BE)
    uint32_t v;
    floe_memcpy(&v, p, 4);
#if defined(SNAPPY_HOST_BE)
    v = __builtin_bswap32(v);
#endif
    return v;
#else
    return floe_get_le32(p);
#endif
}

static inline uint64_t snappy_load64(const uint8_t *p)
{
#if defined(SNAPPY_HOST_LE) || defined(SNAPPY_HOST_BE)
    uint64_t v;
    floe_memcpy(&v, p, 8);
#if defined(SNAPPY_HOST_BE)
    v = __builtin_bswap64(v);
#endif
    return v;
#else
    return floe_get_le64(p);
#endif
}

/* Index of the lowest nonzero byte of x (x != 0): with little-endian loads,
 * the first byte at which two 8-byte runs differ. */
static inline size_t snappy_first_diff(uint64_t x)
{
#if defined(SNAPPY_HOST_LE) || defined(SNAPPY_HOST_BE)
    return (size_t)__builtin_ctzll(x) >> 3;
#else
    size_t i = 0;
    while ((x & 0xFFu) == 0) {
        x >>= 8;
        i++;
    }
    return i;
#endif
}

static inline uint32_t snappy_hash(const uint8_t *p, unsigned shift)
{
    return (uint32_t)(snappy_load32(p) * SNAPPY_HASH_MUL) >> shift;
}

size_t floe_snappy_max_compressed_length(size_t n)
{
    /* Written so that neither the comparison nor the sum can wrap. */
    if (n > (size_t)FLOE_SNAPPY_MAX_INPUT || n > SIZE_MAX - 32 || n / 6 > (SIZE_MAX - 32) - n)
        return 0;
    return 32 + n + n / 6;
}

/* Bytes a[0..] and b[0..] have in common, b not passing b_end (a < b). */
static inline size_t snappy_match_len(const uint8_t *a, const uint8_t *b, const uint8_t *b_end)
{
    const uint8_t *b0 = b;
    while ((size_t)(b_end - b) >= 8) {
        uint64_t x = snappy_load64(a) ^ snappy_load64(b);
        if (x != 0)
            return (size_t)(b - b0) + snappy_first_diff(x);
        a += 8;
        b += 8;
    }
    while (b < b_end && *a == *b) {
        a++;
        b++;
    }
    return (size_t)(b - b0);
}

/* Literal of len >= 1 bytes. */
static uint8_t *snappy_emit_literal(uint8_t *op, const uint8_t *lit, size_t len)
{
    size_t v = len - 1;
    FLOE_ASSERT(len > 0);
    if (v < 60) {
        *op++ = (uint8_t)(v << 2);
    } else if (v < 0x100) {
        *op++ = 60 << 2;
        *op++ = (uint8_t)v;
    } else if (v < 0x10000) {
        *op++ = 61 << 2;
        floe_put_le16(op, (uint16_t)v);
        op += 2;
    } else if (v < 0x1000000) {
        *op++ = 62 << 2;
        floe_put_le16(op, (uint16_t)v);
        op[2] = (uint8_t)(v >> 16);
        op += 3;
    } else {
        *op++ = 63 << 2;
        floe_put_le32(op, (uint32_t)v);
        op += 4;
    }
    floe_memcpy(op, lit, len);
    return op + len;
}

/* One copy element with a 2-byte offset: len 1..64, off < 65536. */
static inline uint8_t *snappy_emit_copy2(uint8_t *op, size_t off, size_t len)
{
    op[0] = (uint8_t)(2u | ((len - 1) << 2));
    floe_put_le16(op + 1, (uint16_t)off);
    return op + 3;
}

/* A match of len >= 4 at offset 1..65535, as few elements as possible:
 * 64-byte pieces, keeping the last piece at 4 bytes or more so that it can
 * still use the 2-byte copy-1 form when the offset is below 2048. */
static uint8_t *snappy_emit_copy(uint8_t *op, size_t off, size_t len)
{
    while (len >= 68) {
        op = snappy_emit_copy2(op, off, 64);
        len -= 64;
    }
    if (len > 64) {
        op = snappy_emit_copy2(op, off, 60);
        len -= 60;
    }
    if (len < 12 && off < 2048) {
        op[0] = (uint8_t)(1u | ((len - 4) << 2) | ((off >> 8) << 5));
        op[1] = (uint8_t)off;
        return op + 2;
    }
    return snappy_emit_copy2(op, off, len);
}

/* Literal of 1..16 bytes when 16 bytes may be read at lit and 17 written
 * at op: one fixed-size move instead of a call with a variable length. */
static inline uint8_t *snappy_emit_short_literal(uint8_t *op, const uint8_t *lit, size_t len)
{
    op[0] = (uint8_t)((len - 1) << 2);
    floe_memcpy(op + 1, lit, 16);
    return op + 1 + len;
}

/* Compresses one block of n <= 64 KiB bytes; positions in table are
 * relative to the block start, so they fit 16 bits. out_end bounds the
 * output only for the over-long moves of short literals: out_cap already
 * covers the worst case. */
static uint8_t *snappy_compress_block(const uint8_t *base, size_t n, uint8_t *op,
                                      const uint8_t *out_end, uint16_t *table)
{
    const uint8_t *end = base + n;
    const uint8_t *lit = base; /* first byte not yet emitted */
    const uint8_t *ip, *limit, *next, *cand;
    unsigned bits = 8, shift;
    uint32_t h, h_next;
    size_t len;

    if (n <= SNAPPY_TAIL)
        goto tail;
    /* A table no larger than the block: small pages clear less scratch. */
    while (bits < FLOE_SNAPPY_HASH_LOG && ((size_t)1 << bits) < n)
        bits++;
    shift = 32 - bits;
    floe_memset(table, 0, sizeof(uint16_t) << bits);

    limit = end - SNAPPY_TAIL;
    ip = base + 1;
    h_next = snappy_hash(ip, shift);
    for (;;) {
        /* Search: probe ip, remember it, move on by a stride that grows
         * with the number of misses since the last match. */
        uint32_t misses = 32;
        next = ip;
        do {
            ip = next;
            h = h_next;
            next = ip + (misses++ >> 5);
            if (next > limit)
                goto tail;
            h_next = snappy_hash(next, shift);
            cand = base + table[h];
            table[h] = (uint16_t)(ip - base);
        } while (snappy_load32(ip) != snappy_load32(cand));

        /* ip <= limit, so 16 bytes from lit are readable when the
         * literal is at most that long. */
        len = (size_t)(ip - lit);
        if (len <= 16 && (size_t)(out_end - op) >= 17)
            op = snappy_emit_short_literal(op, lit, len);
        else
            op = snappy_emit_literal(op, lit, len);
        /* Emit copies for as long as the position right after the
         * previous copy starts another match. */
        for (;;) {
            len = 4 + snappy_match_len(cand + 4, ip + 4, end);
            op = snappy_emit_copy(op, (size_t)(ip - cand), len);
            ip += len;
            lit = ip;
            if (ip >= limit)
                goto tail;
            table[snappy_hash(ip - 1, shift)] = (uint16_t)(ip - 1 - base);
            h = snappy_hash(ip, shift);
            cand = base + table[h];
            table[h] = (uint16_t)(ip - base);
            if (snappy_load32(ip) != snappy_load32(cand))
                break;
        }
        ip++;
        h_next = snappy_hash(ip, shift);
    }
tail:
    if (lit < end)
        op = snappy_emit_literal(op, lit, (size_t)(end - lit));
    return op;
}

size_t floe_snappy_compress(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap,
                            void *work)
{
    size_t need = floe_snappy_max_compressed_length(n), pos = 0;
    uint8_t *op = out;
    uint32_t v;

    if (need == 0 || out_cap < need || out == NULL || work == NULL || (in == NULL && n > 0) ||
        ((uintptr_t)work & (FLOE_SNAPPY_WORK_ALIGN - 1)) != 0)
        return 0;
    for (v = (uint32_t)n; v >= 0x80; v >>= 7)
        *op++ = (uint8_t)(v | 0x80);
    *op++ = (uint8_t)v;
    while (pos < n) {
        size_t blen = n - pos < SNAPPY_BLOCK ? n - pos : SNAPPY_BLOCK;
        op = snappy_compress_block(in + pos, blen, op, out + out_cap, (uint16_t *)work);
        pos += blen;
    }
    return (size_t)(op - out);
}

/* The preamble: returns its size in bytes, or FLOE_ERR_MALFORMED. */
static int snappy_read_length(const uint8_t *in, size_t n, size_t *len)
{
    uint32_t v = 0;
    size_t i;
    for (i = 0; i < 5 && i < n; i++) {
        uint8_t b = in[i];
        /* The fifth byte holds bits 28..31: no continuation, nothing above. */
        if (i == 4 && b > 0x0F)
            return FLOE_ERR_MALFORMED;
        v |= (uint32_t)(b & 0x7Fu) << (7 * i);
        if ((b & 0x80) == 0) {
            *len = (size_t)v;
            return (int)i + 1;
        }
    }
    return FLOE_ERR_MALFORMED;
}

int floe_snappy_uncompressed_length(const uint8_t *in, size_t n, size_t *len)
{
    int r;
    FLOE_FAIL_IF(len == NULL || (in == NULL && n > 0), FLOE_ERR_INVAL);
    *len = 0;
    r = snappy_read_length(in, n, len);
    return r < 0 ? r : FLOE_OK;
}

/* dst[0..len) = the bytes off back (1 <= off <= bytes already written);
 * room >= len bytes are writable at dst. */
static inline void snappy_copy_back(uint8_t *dst, size_t off, size_t len, size_t room)
{
    /* Multiples of off that are 8 or more but at most 8 + off. */
    static const uint8_t period8[8] = {0, 8, 8, 9, 8, 10, 12, 14};
    const uint8_t *src = dst - off;
    size_t i;

    if (room - len >= 8) {
        /* 8-byte moves, up to 7 bytes past len (later elements overwrite
         * them). With off >= 8 each move reads only finished bytes; a
         * shorter off first lays down 8 bytes of its pattern, then copies
         * from a period of the pattern that is at least 8 back. */
        if (off < 8) {
            for (i = 0; i < 8; i++)
                dst[i] = src[i];
            off = period8[off];
            i = 8;
        } else {
            i = 0;
        }
        for (; i < len; i += 8)
            floe_memcpy(dst + i, dst + i - off, 8);
        return;
    }
    if (off >= len) {
        floe_memcpy(dst, src, len);
        return;
    }
    /* Overlapping: [src, dst) repeats with period off, so it can be copied
     * onto dst whole, and the span doubles each round. */
    while (len > 0) {
        size_t chunk = (size_t)(dst - src);
        if (chunk > len)
            chunk = len;
        floe_memcpy(dst, src, chunk);
        dst += chunk;
        len -= chunk;
    }
}

int floe_snappy_uncompress(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap,
                           size_t *out_len)
{
    const uint8_t *ip, *end;
    size_t ulen, op = 0;
    int hdr;

    FLOE_FAIL_IF(out_len == NULL, FLOE_ERR_INVAL);
    *out_len = 0;
    FLOE_FAIL_IF((in == NULL && n > 0) || (out == NULL && out_cap > 0), FLOE_ERR_INVAL);
    hdr = snappy_read_length(in, n, &ulen);
    FLOE_TRY(hdr);
    FLOE_FAIL_IF(ulen > out_cap, FLOE_ERR_LIMIT);
    ip = in + hdr;
    end = in + n;

    while (ip < end) {
        unsigned tag = *ip++;
        size_t avail = (size_t)(end - ip), room = ulen - op, len, off;

        switch (tag & 3u) {
        case 0: /* literal */
            len = (tag >> 2) + 1;
            if (len > 60) {
                size_t nb = len - 60, i;
                uint32_t v = 0;
                FLOE_FAIL_IF(avail < nb, FLOE_ERR_MALFORMED);
                for (i = 0; i < nb; i++)
                    v |= (uint32_t)ip[i] << (8 * i);
                ip += nb;
                avail -= nb;
                /* v + 1 bytes must follow; v < avail also keeps v + 1 from
                 * wrapping a 32-bit size_t. */
                FLOE_FAIL_IF((size_t)v >= avail, FLOE_ERR_MALFORMED);
                len = (size_t)v + 1;
            }
            FLOE_FAIL_IF(len > avail || len > room, FLOE_ERR_MALFORMED);
            if (len <= 16 && avail >= 16 && room >= 16)
                floe_memcpy(out + op, ip, 16);
            else
                floe_memcpy(out + op, ip, len);
            ip += len;
            op += len;
            continue;
        case 1: /* copy, 11-bit offset, length 4..11 */
            FLOE_FAIL_IF(avail < 1, FLOE_ERR_MALFORMED);
            len = 4 + ((tag >> 2) & 7u);
            off = ((size_t)(tag >> 5) << 8) | ip[0];
            ip += 1;
            break;
        case 2: /* copy, 16-bit offset, length 1..64 */
            FLOE_FAIL_IF(avail < 2, FLOE_ERR_MALFORMED);
            len = (tag >> 2) + 1;
            off = floe_get_le16(ip);
            ip += 2;
            break;
        default: /* copy, 32-bit offset, length 1..64 */
            FLOE_FAIL_IF(avail < 4, FLOE_ERR_MALFORMED);
            len = (tag >> 2) + 1;
            off = (size_t)floe_get_le32(ip);
            ip += 4;
            break;
        }
        FLOE_FAIL_IF(off == 0 || off > op || len > room, FLOE_ERR_MALFORMED);
        snappy_copy_back(out + op, off, len, room);
        op += len;
    }
    FLOE_FAIL_IF(op != ulen, FLOE_ERR_MALFORMED);
    *out_len = ulen;
    return FLOE_OK;
}
