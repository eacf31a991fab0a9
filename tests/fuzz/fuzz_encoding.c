/* Fuzz target for src/parquet/encoding.c and dict.c: the decoders on hostile
 * bytes, and encode -> decode round trips of values taken from the input.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *     tests/fuzz/fuzz_encoding.c src/parquet/encoding.c src/parquet/dict.c \
 *     src/core/arena.c -o /tmp/fuzz_enc && /tmp/fuzz_enc -max_total_time=60
 *
 * The first input byte picks the mode, the second is a parameter. */
#include "parquet/dict.h"
#include "parquet/encoding.h"
#include <stdlib.h>
#include <string.h>

#define MAXV 20000

static uint32_t v32[MAXV], b32[MAXV];
static int64_t v64[MAXV], b64[MAXV];
static uint8_t enc[MAXV * 9 + 1024], enc2[MAXV * 9 + 1024];
static uint8_t hdr[FLOE_DELTA_HEADER_MAX];
static uint64_t arena_mem[(1u << 20) / 8];
static struct floe_delta_encoder delta_enc;

#define ASSERT(x)              \
    do {                       \
        if (!(x))              \
            __builtin_trap();  \
    } while (0)

static uint64_t take(const uint8_t **p, size_t *n, size_t bytes)
{
    uint64_t v = 0;
    size_t i;
    for (i = 0; i < bytes && *n > 0; i++) {
        v |= (uint64_t)**p << (8 * i);
        (*p)++;
        (*n)--;
    }
    return v;
}

static void fuzz_rle_decode(const uint8_t *p, size_t n, unsigned param)
{
    unsigned w = param % 34; /* 33 must be refused */
    size_t count = n > 2 ? (size_t)(p[0] | (p[1] << 8)) % MAXV : 0, i;
    int r = floe_rle_decode(p, n, w, b32, count);
    if (w > 32) {
        ASSERT(r == FLOE_ERR_INVAL);
        return;
    }
    ASSERT(r == FLOE_ERR_MALFORMED || (r >= 0 && (size_t)r <= n));
    if (r >= 0 && w < 32)
        for (i = 0; i < count; i++)
            ASSERT(b32[i] >> w == 0);
}

static int delta_encode(const int64_t *v, size_t n, unsigned bits, size_t cap, size_t *len)
{
    struct floe_buf body, h;
    size_t i;
    int err;
    floe_buf_init(&body, enc + FLOE_DELTA_HEADER_MAX, cap);
    floe_buf_init(&h, hdr, sizeof hdr);
    if (bits == 32)
        floe_delta_init32(&delta_enc, &body);
    else
        floe_delta_init(&delta_enc, &body);
    for (i = 0; i < n; i++)
        floe_delta_put(&delta_enc, v[i]);
    err = floe_delta_finish(&delta_enc, &h);
    if (err != FLOE_OK)
        return err;
    ASSERT(body.len <= floe_delta_max_size(bits, n));
    memmove(enc + h.len, enc + FLOE_DELTA_HEADER_MAX, body.len);
    memcpy(enc, hdr, h.len);
    *len = h.len + body.len;
    return FLOE_OK;
}

static void delta_round_trip(const int64_t *v, size_t n, unsigned bits)
{
    size_t len, count = 0;
    int r;
    ASSERT(delta_encode(v, n, bits, sizeof enc - FLOE_DELTA_HEADER_MAX, &len) == FLOE_OK);
    r = floe_delta_decode(enc, len, bits, b64, MAXV, &count);
    ASSERT(r >= 0 && (size_t)r == len && count == n);
    ASSERT(n == 0 || memcmp(b64, v, n * sizeof v[0]) == 0);
}

static void fuzz_delta_decode(const uint8_t *p, size_t n, unsigned param)
{
    unsigned bits = (param & 1) ? 32 : 64;
    size_t cap = (param >> 1) == 0 ? MAXV : (param >> 1) * 100u, count = 0, i;
    int r = floe_delta_decode(p, n, bits, v64, cap, &count);
    ASSERT(r == FLOE_ERR_MALFORMED || r == FLOE_ERR_LIMIT || (r >= 0 && (size_t)r <= n));
    if (r < 0)
        return;
    ASSERT(count <= cap);
    for (i = 0; i < count && bits == 32; i++)
        ASSERT(v64[i] >= INT32_MIN && v64[i] <= INT32_MAX);
    /* Whatever decoded re-encodes to something that decodes the same. */
    delta_round_trip(v64, count, bits);
}

static void fuzz_plain(const uint8_t *p, size_t n, unsigned param)
{
    size_t pos = 0, count = (size_t)param * 8u;
    const uint8_t *v;
    uint32_t len;
    uint8_t bools[256 * 8];
    int guard = 0;
    while (floe_plain_get_byte_array(p, n, &pos, &v, &len) == FLOE_OK) {
        ASSERT(v >= p && v + len <= p + n && pos <= n);
        ASSERT(++guard <= (int)n);
    }
    if (floe_bool_unpack(p, n, bools, count) == FLOE_OK) {
        struct floe_buf b;
        struct floe_bool_packer bp;
        size_t i;
        floe_buf_init(&b, enc, sizeof enc);
        floe_bool_packer_init(&bp, &b);
        for (i = 0; i < count; i++) {
            ASSERT(bools[i] <= 1);
            floe_bool_packer_put(&bp, bools[i]);
        }
        ASSERT(floe_bool_packer_finish(&bp) == FLOE_OK);
        ASSERT(b.len == (count + 7) / 8 && memcmp(enc, p, b.len) == 0);
    }
}

static void fuzz_rle_round_trip(const uint8_t *p, size_t n, unsigned param)
{
    unsigned w = param % 33;
    uint32_t mask = w >= 32 ? 0xffffffffu : ((uint32_t)1 << w) - 1u;
    struct floe_buf b, b2;
    struct floe_rle_encoder e, e2;
    size_t count = 0, i, small;
    int r;
    /* The input is (run length, value) pairs; long runs use put_repeated. */
    floe_buf_init(&b, enc, sizeof enc);
    ASSERT(floe_rle_init_prefixed(&e, w, &b) == FLOE_OK);
    while (n > 0 && count < MAXV) {
        size_t run = (size_t)take(&p, &n, 1);
        uint32_t v = (uint32_t)take(&p, &n, (w + 7) / 8) & mask;
        if (run > 200)
            run = (run - 200) * 50;
        if (run == 0)
            run = 1;
        if (run > MAXV - count)
            run = MAXV - count;
        if (run > 16)
            floe_rle_put_repeated(&e, v, run);
        for (i = 0; i < run; i++) {
            v32[count + i] = v;
            if (run <= 16)
                floe_rle_put(&e, v);
        }
        count += run;
    }
    ASSERT(floe_rle_finish(&e) == FLOE_OK);
    ASSERT(b.len >= 4 && floe_get_le32(enc) == b.len - 4);
    ASSERT(b.len - 4 <= floe_rle_max_size(w, count));
    r = floe_rle_decode(enc + 4, b.len - 4, w, b32, count);
    ASSERT(r >= 0 && (size_t)r == b.len - 4);
    ASSERT(count == 0 || memcmp(v32, b32, count * sizeof v32[0]) == 0);

    /* A short output buffer fails cleanly or gives the same bytes. */
    small = (b.len * (param + 1)) / 256;
    floe_buf_init(&b2, enc2, small);
    floe_rle_init_prefixed(&e2, w, &b2);
    for (i = 0; i < count; i++)
        floe_rle_put(&e2, v32[i]);
    r = floe_rle_finish(&e2);
    ASSERT(r == FLOE_ERR_NOMEM || (r == FLOE_OK && b2.len <= small));
    if (r == FLOE_OK)
        ASSERT(floe_rle_decode(enc2 + 4, b2.len - 4, w, b32, count) == (int)(b2.len - 4));
}

/* Dictionary indices whose width grows part-way: (run, value, widen by
 * [, growth allowed]) tuples, the page re-packed at each new width in a
 * buffer of param's size. Every value decodes at the last width; a widening
 * refused changes nothing and the encoder goes on at its width. */
static void fuzz_rle_widen(const uint8_t *p, size_t n, unsigned param)
{
    unsigned w = param % 9;
    struct floe_buf b;
    struct floe_rle_encoder e;
    size_t count = 0, cap = 64 + (size_t)param * 256, i;
    int r;
    floe_buf_init(&b, enc, cap);
    ASSERT(floe_rle_init(&e, w, &b) == FLOE_OK);
    while (n > 0 && count < MAXV) {
        size_t run = (size_t)take(&p, &n, 1) % 40 + 1;
        uint32_t mask = w >= 32 ? 0xffffffffu : ((uint32_t)1 << w) - 1u;
        uint32_t v = (uint32_t)take(&p, &n, 4) & mask;
        unsigned grow = (unsigned)take(&p, &n, 1) % 8;
        size_t max_growth = (size_t)(grow == 1 ? take(&p, &n, 1) * 4 : SIZE_MAX);
        if (run > MAXV - count)
            run = MAXV - count;
        for (i = 0; i < run; i++) {
            v32[count + i] = v;
            floe_rle_put(&e, v);
        }
        count += run;
        if (grow != 0 && grow <= 3 && w + grow <= 32) {
            size_t len = b.len;
            memcpy(enc2, enc, len);
            r = floe_rle_widen(&e, w + grow, max_growth, 16);
            ASSERT(r == FLOE_OK || r == FLOE_ERR_LIMIT || (b.err != FLOE_OK && r == b.err));
            if (r == FLOE_OK) {
                w += grow;
                ASSERT(b.len >= len && b.len - len <= max_growth);
            } else {
                ASSERT(b.len == len && memcmp(enc, enc2, len) == 0);
            }
        }
    }
    r = floe_rle_finish(&e);
    if (r == FLOE_ERR_NOMEM)
        return; /* the values outgrew the buffer, as they may */
    ASSERT(r == FLOE_OK);
    ASSERT(floe_rle_decode(enc, b.len, w, b32, count) == (int)b.len);
    ASSERT(count == 0 || memcmp(v32, b32, count * sizeof v32[0]) == 0);
}

static void fuzz_delta_round_trip(const uint8_t *p, size_t n, unsigned param)
{
    unsigned bits = (param & 1) ? 32 : 64;
    size_t count = 0;
    int64_t acc = 0;
    /* Each value: a tag byte says raw or a small step from the previous. */
    while (n > 0 && count < MAXV) {
        unsigned tag = (unsigned)take(&p, &n, 1);
        uint64_t raw;
        if (tag & 1) {
            raw = take(&p, &n, 8);
            acc = raw <= (uint64_t)INT64_MAX ? (int64_t)raw : -(int64_t)(~raw) - 1;
        } else {
            acc = (int64_t)((uint64_t)acc + (uint64_t)(int64_t)((int)(tag >> 1) - 64));
        }
        if (bits == 32)
            acc = (int64_t)(int32_t)(uint32_t)(uint64_t)acc;
        v64[count++] = acc;
        if (tag == 0xfe) /* a long stretch of the same step */
            while (count < MAXV && count % 300 != 0) {
                acc = (int64_t)((uint64_t)acc + 1000u);
                if (bits == 32)
                    acc = (int64_t)(int32_t)(uint32_t)(uint64_t)acc;
                v64[count++] = acc;
            }
    }
    delta_round_trip(v64, count, bits);
    {
        /* A short body buffer fails cleanly. */
        size_t len;
        int r = delta_encode(v64, count, bits, param * 4u, &len);
        ASSERT(r == FLOE_OK || r == FLOE_ERR_NOMEM);
    }
}

static void fuzz_byte_stream_split(const uint8_t *p, size_t n, unsigned param)
{
    size_t width = param % 17 + 1, values = n / width;
    if (values * width > sizeof enc)
        values = sizeof enc / width;
    ASSERT(floe_byte_stream_split(p, values, width, enc) == FLOE_OK);
    ASSERT(floe_byte_stream_join(enc, values, width, enc2) == FLOE_OK);
    ASSERT(memcmp(enc2, p, values * width) == 0);
}

static void fuzz_dict_bytes(const uint8_t *p, size_t n, unsigned param)
{
    struct floe_arena a;
    struct floe_dict d;
    uint32_t max_entries = (param & 0x1f) + 1;
    size_t max_bytes = (size_t)(param >> 5) * 16u, pos = 0;
    struct floe_buf b;
    uint32_t e;
    floe_arena_init(&a, arena_mem, sizeof arena_mem);
    ASSERT(floe_dict_init(&d, &a, FLOE_DICT_BYTES, max_entries, max_bytes) == FLOE_OK);
    /* Values are the input split at '\n'; a 0xff byte resets. */
    while (n > 0) {
        const uint8_t *nl = memchr(p, '\n', n);
        size_t len = nl != NULL ? (size_t)(nl - p) : n;
        uint32_t idx = 0xdeadbeefu, before = floe_dict_count(&d);
        size_t bytes_before = floe_dict_plain_bytes(&d);
        if (len == 1 && p[0] == 0xff) {
            floe_dict_reset(&d);
            ASSERT(floe_dict_count(&d) == 0);
        } else {
            int r = floe_dict_insert(&d, p, len, &idx);
            if (r == FLOE_OK) {
                const uint8_t *v;
                size_t vlen;
                ASSERT(idx < floe_dict_count(&d));
                ASSERT(floe_dict_get_bytes(&d, idx, &v, &vlen) == FLOE_OK);
                ASSERT(vlen == len && (len == 0 || memcmp(v, p, len) == 0));
                ASSERT(idx == before ? floe_dict_count(&d) == before + 1
                                     : floe_dict_count(&d) == before);
            } else {
                ASSERT(r == FLOE_ERR_LIMIT && idx == 0xdeadbeefu);
                ASSERT(floe_dict_count(&d) == before && floe_dict_plain_bytes(&d) == bytes_before);
                ASSERT(before == max_entries || bytes_before - 4u * before + len > max_bytes);
            }
        }
        p += len;
        n -= len;
        if (n > 0) { /* the '\n' */
            p++;
            n--;
        }
    }
    /* The PLAIN page reads back as the entries in index order. */
    floe_buf_init(&b, enc, sizeof enc);
    ASSERT(floe_dict_write_plain(&d, &b) == FLOE_OK && b.len == floe_dict_plain_bytes(&d));
    for (e = 0; e < floe_dict_count(&d); e++) {
        const uint8_t *v, *want;
        uint32_t len;
        size_t wlen;
        uint32_t again;
        ASSERT(floe_plain_get_byte_array(enc, b.len, &pos, &v, &len) == FLOE_OK);
        ASSERT(floe_dict_get_bytes(&d, e, &want, &wlen) == FLOE_OK);
        ASSERT(len == wlen && (len == 0 || memcmp(v, want, len) == 0));
        ASSERT(floe_dict_insert(&d, v, len, &again) == FLOE_OK && again == e);
    }
    ASSERT(pos == b.len);
}

static void fuzz_dict_fixed(const uint8_t *p, size_t n, unsigned param)
{
    struct floe_arena a;
    struct floe_dict d;
    enum floe_dict_kind kind = (param & 1) ? FLOE_DICT_FIXED8 : FLOE_DICT_FIXED4;
    size_t width = kind == FLOE_DICT_FIXED8 ? 8 : 4;
    uint32_t max_entries = (param >> 1) * 4u + 1;
    floe_arena_init(&a, arena_mem, sizeof arena_mem);
    ASSERT(floe_dict_init(&d, &a, kind, max_entries, 100000) == FLOE_OK);
    while (n >= 1) {
        /* One byte picks a small value (many repeats) or a raw one. */
        uint64_t v = take(&p, &n, 1);
        uint32_t idx;
        int r;
        if (v & 1)
            v = take(&p, &n, width);
        else
            v >>= 4;
        if (width == 4)
            r = floe_dict_insert_u32(&d, (uint32_t)v, &idx);
        else
            r = floe_dict_insert_u64(&d, v, &idx);
        if (r == FLOE_OK) {
            uint8_t le[8];
            uint32_t idx2;
            ASSERT(floe_dict_get_fixed(&d, idx) == v);
            floe_put_le64(le, v);
            ASSERT(floe_dict_insert(&d, le, width, &idx2) == FLOE_OK && idx2 == idx);
        } else {
            ASSERT(r == FLOE_ERR_LIMIT && floe_dict_count(&d) == max_entries);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned mode, param;
    if (size < 2)
        return 0;
    mode = data[0] % 10;
    param = data[1];
    data += 2;
    size -= 2;
    switch (mode) {
    case 0: fuzz_rle_decode(data, size, param); break;
    case 1: fuzz_delta_decode(data, size, param); break;
    case 2: fuzz_plain(data, size, param); break;
    case 3: fuzz_rle_round_trip(data, size, param); break;
    case 4: fuzz_delta_round_trip(data, size, param); break;
    case 5: fuzz_byte_stream_split(data, size, param); break;
    case 6: fuzz_dict_bytes(data, size, param); break;
    case 7: fuzz_dict_fixed(data, size, param); break;
    case 8: fuzz_rle_widen(data, size, param); break;
    default: {
        /* Bit packing at any width, both directions. */
        unsigned w = param % 65;
        size_t count = size * 8 / (w ? w : 1), i;
        uint64_t *u = (uint64_t *)(void *)v64, *back = (uint64_t *)(void *)b64;
        if (count > MAXV)
            count = MAXV;
        if (floe_bitpack_bytes(count, w) > size)
            count = 0;
        floe_bitunpack64(data, count, w, u);
        floe_bitpack64(u, count, w, enc);
        ASSERT(floe_bitpack_bytes(count, w) <= size);
        floe_bitunpack64(enc, count, w, back);
        for (i = 0; i < count; i++)
            ASSERT(u[i] == back[i] && (w == 64 || u[i] >> w == 0));
        break;
    }
    }
    return 0;
}
