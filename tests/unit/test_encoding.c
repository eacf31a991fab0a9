#include "test.h"
#include "parquet/encoding.h"
#include <stdlib.h>

/* Big enough for 100000 values at 32 bits plus headers. */
#define BIG 100000
static uint8_t enc_buf[BIG * 9 + 4096];
static uint8_t hdr_buf[FLOE_DELTA_HEADER_MAX];
static uint32_t vals32[BIG], back32[BIG];
static int64_t vals64[BIG], back64[BIG];

static const size_t sizes[] = {0, 1, 7, 8, 9, 127, 128, 129, 1000, 100000};

/* ---- output buffer ---- */

TEST(buf_overflow_is_sticky)
{
    uint8_t mem[6];
    struct floe_buf b;
    floe_buf_init(&b, mem, sizeof mem);
    floe_buf_put_u8(&b, 1);
    floe_buf_put_le32(&b, 0x05040302u);
    CHECK_EQ_INT(b.err, FLOE_OK);
    CHECK_EQ_INT(b.len, 5);
    floe_buf_put_le32(&b, 7); /* does not fit: nothing written */
    CHECK_EQ_INT(b.err, FLOE_ERR_NOMEM);
    CHECK_EQ_INT(b.len, 5);
    floe_buf_put_u8(&b, 9); /* would fit, but the error is sticky */
    CHECK_EQ_INT(b.len, 5);
    CHECK_EQ_MEM(mem, "\x01\x02\x03\x04\x05", 5);
    CHECK(floe_buf_reserve(&b, 0) == NULL);

    /* An empty buffer: zero-length writes are fine, anything else fails. */
    floe_buf_init(&b, NULL, 0);
    floe_buf_put_bytes(&b, "", 0);
    CHECK_EQ_INT(b.err, FLOE_OK);
    floe_buf_put_u8(&b, 1);
    CHECK_EQ_INT(b.err, FLOE_ERR_NOMEM);
}

TEST(uvarint_and_zigzag)
{
    uint8_t mem[64];
    struct floe_buf b;
    size_t pos = 0;
    uint64_t v;
    floe_buf_init(&b, mem, sizeof mem);
    floe_buf_put_uvarint(&b, 0);
    floe_buf_put_uvarint(&b, 127);
    floe_buf_put_uvarint(&b, 128);
    floe_buf_put_uvarint(&b, 300);
    floe_buf_put_uvarint(&b, UINT64_MAX);
    floe_buf_put_zigzag(&b, -1);
    floe_buf_put_zigzag(&b, 1);
    floe_buf_put_zigzag(&b, INT64_MIN);
    REQUIRE(b.err == FLOE_OK);
    CHECK_EQ_INT(b.len, 1 + 1 + 2 + 2 + 10 + 1 + 1 + 10);
    CHECK_EQ_MEM(mem, "\x00\x7f\x80\x01\xac\x02", 6);
    CHECK_EQ_MEM(mem + 6, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
    CHECK_EQ_MEM(mem + 16, "\x01\x02", 2);
    CHECK_EQ_U64(floe_zigzag64(INT64_MIN), UINT64_MAX);
    CHECK_EQ_U64(floe_zigzag64(INT64_MAX), UINT64_MAX - 1);
    CHECK(floe_unzigzag64(UINT64_MAX) == INT64_MIN);
    CHECK(floe_unzigzag64(UINT64_MAX - 1) == INT64_MAX);
    CHECK(floe_unzigzag64(3) == -2);

    CHECK_EQ_INT(floe_get_uvarint(mem, b.len, &pos, &v), FLOE_OK);
    CHECK_EQ_U64(v, 0);
    floe_get_uvarint(mem, b.len, &pos, &v);
    floe_get_uvarint(mem, b.len, &pos, &v);
    CHECK_EQ_U64(v, 128);
    floe_get_uvarint(mem, b.len, &pos, &v);
    CHECK_EQ_U64(v, 300);
    CHECK_EQ_INT(floe_get_uvarint(mem, b.len, &pos, &v), FLOE_OK);
    CHECK_EQ_U64(v, UINT64_MAX);
    /* Truncated, and more than 64 bits. */
    pos = 0;
    CHECK_EQ_INT(floe_get_uvarint((const uint8_t *)"\x80\x80", 2, &pos, &v), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(pos, 0);
    CHECK_EQ_INT(floe_get_uvarint((const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10,
                                  &pos, &v),
                 FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_get_uvarint((const uint8_t *)"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00",
                                  11, &pos, &v),
                 FLOE_ERR_MALFORMED);
}

/* ---- bit packing ---- */

TEST(bit_width)
{
    CHECK_EQ_INT(floe_bit_width(0), 0);
    CHECK_EQ_INT(floe_bit_width(1), 1);
    CHECK_EQ_INT(floe_bit_width(2), 2);
    CHECK_EQ_INT(floe_bit_width(255), 8);
    CHECK_EQ_INT(floe_bit_width(256), 9);
    CHECK_EQ_INT(floe_bit_width(0xffffffffu), 32);
    CHECK_EQ_INT(floe_bit_width((uint64_t)1 << 63), 64);
    CHECK_EQ_INT(floe_bitpack_bytes(8, 3), 3);
    CHECK_EQ_INT(floe_bitpack_bytes(3, 3), 2);
    CHECK_EQ_INT(floe_bitpack_bytes(32, 64), 256);
    CHECK_EQ_INT(floe_bitpack_bytes(5, 0), 0);
}

TEST(bitpack_spec_example)
{
    /* Encodings.md, RLE section: 0..7 at 3 bits -> 10001000 11000110 11111010 */
    static const uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    uint64_t v64[8], b64[8];
    uint32_t back[8];
    uint8_t out[8];
    int i;
    memset(out, 0xee, sizeof out);
    floe_bitpack32(v, 8, 3, out);
    CHECK_EQ_MEM(out, "\x88\xc6\xfa\xee", 4);
    floe_bitunpack32(out, 8, 3, back);
    CHECK_EQ_MEM(back, v, sizeof v);
    for (i = 0; i < 8; i++)
        v64[i] = v[i];
    memset(out, 0xee, sizeof out);
    floe_bitpack64(v64, 8, 3, out);
    CHECK_EQ_MEM(out, "\x88\xc6\xfa\xee", 4);
    floe_bitunpack64(out, 8, 3, b64);
    CHECK_EQ_MEM(b64, v64, sizeof v64);
}

TEST(bitpack_round_trips_every_width)
{
    static uint64_t in[131], back[131];
    static uint32_t in32[131], back32_[131];
    static uint8_t out[131 * 8 + 8];
    unsigned w;
    size_t n, i;
    for (w = 0; w <= 64; w++) {
        uint64_t mask = w == 64 ? UINT64_MAX : (((uint64_t)1 << w) - 1);
        for (n = 0; n <= 131; n += (n < 17 ? 1 : 19)) {
            size_t bytes = floe_bitpack_bytes(n, w);
            for (i = 0; i < n; i++)
                in[i] = test_rand();
            memset(out, 0xa5, sizeof out);
            floe_bitpack64(in, n, w, out);
            /* Exactly `bytes` written: the byte after is untouched. */
            CHECK_EQ_INT(out[bytes], 0xa5);
            floe_bitunpack64(out, n, w, back);
            for (i = 0; i < n; i++)
                if ((in[i] & mask) != back[i]) {
                    test_fail(__FILE__, __LINE__, "w=%u n=%zu i=%zu", w, n, i);
                    break;
                }
            if (w > 32)
                continue;
            for (i = 0; i < n; i++)
                in32[i] = (uint32_t)in[i];
            memset(out, 0x5a, sizeof out);
            floe_bitpack32(in32, n, w, out);
            CHECK_EQ_INT(out[bytes], 0x5a);
            /* The 32- and 64-bit packers agree. */
            floe_bitunpack64(out, n, w, back);
            floe_bitunpack32(out, n, w, back32_);
            for (i = 0; i < n; i++)
                if ((in[i] & mask) != back[i] || back32_[i] != back[i]) {
                    test_fail(__FILE__, __LINE__, "32: w=%u n=%zu i=%zu", w, n, i);
                    break;
                }
        }
    }
}

/* ---- PLAIN ---- */

TEST(plain_scalars_are_little_endian)
{
    uint8_t mem[64];
    struct floe_buf b;
    floe_buf_init(&b, mem, sizeof mem);
    floe_plain_put_i32(&b, -2);
    floe_plain_put_i64(&b, 0x0102030405060708ll);
    floe_plain_put_float(&b, 1.0f);
    floe_plain_put_double(&b, -2.5);
    floe_plain_put_byte_array(&b, "abc", 3);
    floe_plain_put_byte_array(&b, NULL, 0);
    REQUIRE(b.err == FLOE_OK);
    CHECK_EQ_INT(b.len, 4 + 8 + 4 + 8 + 7 + 4);
    CHECK_EQ_MEM(mem, "\xfe\xff\xff\xff", 4);
    CHECK_EQ_MEM(mem + 4, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    CHECK_EQ_MEM(mem + 12, "\x00\x00\x80\x3f", 4);
    CHECK_EQ_MEM(mem + 16, "\x00\x00\x00\x00\x00\x00\x04\xc0", 8);
    CHECK_EQ_MEM(mem + 24, "\x03\x00\x00\x00" "abc" "\x00\x00\x00\x00", 11);
}

TEST(plain_byte_array_reader_is_bounded)
{
    static const uint8_t ok[] = {2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0};
    static const uint8_t bad[] = {3, 0, 0, 0, 'h', 'i'};
    static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 'x'};
    const uint8_t *v;
    uint32_t len;
    size_t pos = 0;
    CHECK_EQ_INT(floe_plain_get_byte_array(ok, sizeof ok, &pos, &v, &len), FLOE_OK);
    CHECK_EQ_INT(len, 2);
    CHECK_EQ_MEM(v, "hi", 2);
    CHECK_EQ_INT(floe_plain_get_byte_array(ok, sizeof ok, &pos, &v, &len), FLOE_OK);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(pos, sizeof ok);
    CHECK_EQ_INT(floe_plain_get_byte_array(ok, sizeof ok, &pos, &v, &len), FLOE_ERR_MALFORMED);
    pos = 0;
    CHECK_EQ_INT(floe_plain_get_byte_array(bad, sizeof bad, &pos, &v, &len), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_plain_get_byte_array(huge, sizeof huge, &pos, &v, &len), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_plain_get_byte_array(bad, 3, &pos, &v, &len), FLOE_ERR_MALFORMED);
    pos = 100;
    CHECK_EQ_INT(floe_plain_get_byte_array(ok, sizeof ok, &pos, &v, &len), FLOE_ERR_MALFORMED);
}

TEST(plain_booleans_pack_lsb_first)
{
    static const int v[] = {1, 0, 1, 1, 0, 0, 0, 0, 1, 1};
    uint8_t mem[4], back[10];
    struct floe_buf b;
    struct floe_bool_packer bp;
    size_t i;
    floe_buf_init(&b, mem, sizeof mem);
    floe_bool_packer_init(&bp, &b);
    for (i = 0; i < 10; i++)
        floe_bool_packer_put(&bp, v[i]);
    CHECK_EQ_INT(floe_bool_packer_finish(&bp), FLOE_OK);
    CHECK_EQ_INT(b.len, 2);
    CHECK_EQ_MEM(mem, "\x0d\x03", 2);
    CHECK_EQ_INT(floe_bool_unpack(mem, 2, back, 10), FLOE_OK);
    for (i = 0; i < 10; i++)
        CHECK_EQ_INT(back[i], v[i]);
    CHECK_EQ_INT(floe_bool_unpack(mem, 1, back, 9), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_bool_unpack(mem, 1, back, 8), FLOE_OK);
    /* Exactly 8: no partial byte at finish. */
    floe_buf_init(&b, mem, sizeof mem);
    floe_bool_packer_init(&bp, &b);
    for (i = 0; i < 8; i++)
        floe_bool_packer_put(&bp, 1);
    CHECK_EQ_INT(floe_bool_packer_finish(&bp), FLOE_OK);
    CHECK_EQ_INT(b.len, 1);
    CHECK_EQ_INT(mem[0], 0xff);
}

/* ---- RLE / bit-packing hybrid ---- */

/* Encodes v[0..n) at width w into enc_buf; returns the length or -1. */
static int rle_encode(const uint32_t *v, size_t n, unsigned w)
{
    struct floe_buf b;
    struct floe_rle_encoder e;
    size_t i;
    floe_buf_init(&b, enc_buf, sizeof enc_buf);
    if (floe_rle_init(&e, w, &b) != FLOE_OK)
        return -1;
    for (i = 0; i < n; i++)
        floe_rle_put(&e, v[i]);
    if (floe_rle_finish(&e) != FLOE_OK)
        return -1;
    return (int)b.len;
}

TEST(rle_spec_bitpacked_example)
{
    static const uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    uint32_t back[8];
    CHECK_EQ_INT(rle_encode(v, 8, 3), 4);
    /* One bit-packed run of one group: header (1 << 1) | 1. */
    CHECK_EQ_MEM(enc_buf, "\x03\x88\xc6\xfa", 4);
    CHECK_EQ_INT(floe_rle_decode(enc_buf, 4, 3, back, 8), 4);
    CHECK_EQ_MEM(back, v, sizeof v);
}

TEST(rle_hand_computed_runs)
{
    static uint32_t v[200];
    size_t i;
    /* 100 x 5 at 3 bits: one RLE run, header 200 as ULEB128, value 1 byte. */
    for (i = 0; i < 100; i++)
        v[i] = 5;
    CHECK_EQ_INT(rle_encode(v, 100, 3), 3);
    CHECK_EQ_MEM(enc_buf, "\xc8\x01\x05", 3);

    /* 0,1,0,1,0,1,0 then 101 ones at 1 bit: the group is completed from the
     * run (0xaa), the other 100 ones are an RLE run. */
    for (i = 0; i < 7; i++)
        v[i] = (uint32_t)(i & 1);
    for (; i < 108; i++)
        v[i] = 1;
    CHECK_EQ_INT(rle_encode(v, 108, 1), 5);
    CHECK_EQ_MEM(enc_buf, "\x03\xaa\xc8\x01\x01", 5);

    /* 1,2,3 at 2 bits: a zero-padded group. */
    v[0] = 1, v[1] = 2, v[2] = 3;
    CHECK_EQ_INT(rle_encode(v, 3, 2), 3);
    CHECK_EQ_MEM(enc_buf, "\x03\x39\x00", 3);

    /* 7,7,7 at 3 bits: a short final run is cheaper as RLE. */
    v[0] = v[1] = v[2] = 7;
    CHECK_EQ_INT(rle_encode(v, 3, 3), 2);
    CHECK_EQ_MEM(enc_buf, "\x06\x07", 2);

    /* 20 x 1 at 1 bit mid-stream stays bit-packed (RLE would cost more). */
    for (i = 0; i < 20; i++)
        v[i] = 1;
    for (; i < 24; i++)
        v[i] = 0;
    CHECK_EQ_INT(rle_encode(v, 24, 1), 4);
    CHECK_EQ_MEM(enc_buf, "\x07\xff\xff\x0f", 4);

    /* Wide values: 2 x 0x01020304 at 32 bits as a final RLE run. */
    v[0] = v[1] = 0x01020304u;
    CHECK_EQ_INT(rle_encode(v, 2, 32), 5);
    CHECK_EQ_MEM(enc_buf, "\x04\x04\x03\x02\x01", 5);
}

TEST(rle_width_zero_and_empty)
{
    static uint32_t v[1000];
    uint32_t back[4] = {9, 9, 9, 9};
    CHECK_EQ_INT(rle_encode(v, 1000, 0), 2);
    CHECK_EQ_MEM(enc_buf, "\xd0\x0f", 2);
    CHECK_EQ_INT(floe_rle_decode(enc_buf, 2, 0, back, 4), 2);
    CHECK(back[0] == 0 && back[3] == 0);
    CHECK_EQ_INT(rle_encode(v, 0, 5), 0);
    CHECK_EQ_INT(floe_rle_decode(enc_buf, 0, 5, back, 0), 0);
    CHECK_EQ_INT(floe_rle_decode(enc_buf, 0, 5, back, 1), FLOE_ERR_MALFORMED);
}

TEST(rle_group_runs_split_at_63_groups)
{
    static uint32_t v[1000];
    size_t i;
    for (i = 0; i < 1000; i++)
        v[i] = (uint32_t)(i * 7u) & 0xffu; /* no two neighbours equal */
    CHECK_EQ_INT(rle_encode(v, 1000, 8), 2 + 1000);
    CHECK_EQ_INT(enc_buf[0], (63 << 1) | 1);
    CHECK_EQ_INT(enc_buf[1], 0);
    CHECK_EQ_INT(enc_buf[1 + 504], (62 << 1) | 1);
    CHECK_EQ_INT(floe_rle_decode(enc_buf, 1002, 8, back32, 1000), 1002);
    CHECK_EQ_MEM(back32, v, sizeof v);
}

TEST(rle_prefixed_length)
{
    uint8_t mem[16];
    struct floe_buf b;
    struct floe_rle_encoder e;
    floe_buf_init(&b, mem, sizeof mem);
    floe_buf_put_u8(&b, 0xaa); /* something before */
    CHECK_EQ_INT(floe_rle_init_prefixed(&e, 3, &b), FLOE_OK);
    floe_rle_put_repeated(&e, 7, 3);
    CHECK_EQ_INT(floe_rle_finish(&e), FLOE_OK);
    CHECK_EQ_INT(b.len, 1 + 4 + 2);
    CHECK_EQ_INT(e.start, 5);
    CHECK_EQ_MEM(mem, "\xaa\x02\x00\x00\x00\x06\x07", 7);
    /* Empty: a zero length. */
    floe_buf_init(&b, mem, sizeof mem);
    floe_rle_init_prefixed(&e, 1, &b);
    CHECK_EQ_INT(floe_rle_finish(&e), FLOE_OK);
    CHECK_EQ_INT(b.len, 4);
    CHECK_EQ_MEM(mem, "\x00\x00\x00\x00", 4);
}

TEST(rle_errors)
{
    uint8_t mem[8];
    struct floe_buf b;
    struct floe_rle_encoder e;
    uint32_t i;
    floe_buf_init(&b, mem, sizeof mem);
    CHECK_EQ_INT(floe_rle_init(&e, 33, &b), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_rle_init(NULL, 1, &b), FLOE_ERR_INVAL);
    floe_rle_init(&e, 2, &b);
    floe_rle_put(&e, 4); /* needs 3 bits */
    CHECK_EQ_INT(floe_rle_finish(&e), FLOE_ERR_INVAL);
    /* Output too small. */
    floe_buf_init(&b, mem, sizeof mem);
    floe_rle_init(&e, 8, &b);
    for (i = 0; i < 64; i++)
        floe_rle_put(&e, i);
    CHECK_EQ_INT(floe_rle_finish(&e), FLOE_ERR_NOMEM);
    CHECK(b.len <= sizeof mem);
    /* Exactly enough: one group at 7 bits is 1 + 7 bytes. */
    floe_buf_init(&b, mem, sizeof mem);
    floe_rle_init(&e, 7, &b);
    for (i = 0; i < 8; i++)
        floe_rle_put(&e, i);
    CHECK_EQ_INT(floe_rle_finish(&e), FLOE_OK);
    CHECK_EQ_INT(b.len, 8);
}

TEST(rle_long_runs_are_split_at_2_pow_31)
{
    uint8_t mem[64];
    struct floe_buf b;
    struct floe_rle_encoder e;
    uint64_t total = 0;
    size_t pos = 0;
    int runs = 0;
    floe_buf_init(&b, mem, sizeof mem);
    floe_rle_init(&e, 1, &b);
    floe_rle_put(&e, 0);
    floe_rle_put_repeated(&e, 1, 5000000000ull);
    floe_rle_put_repeated(&e, 1, 0);
    CHECK_EQ_INT(floe_rle_finish(&e), FLOE_OK);
    /* First a zero-padded group can't hold 5e9 ones: the group (0 + 7 ones)
     * then RLE runs of at most 2^31 - 1. */
    CHECK_EQ_MEM(mem, "\x03\xfe", 2);
    total = 7;
    pos = 2;
    while (pos < b.len) {
        uint64_t h;
        REQUIRE(floe_get_uvarint(mem, b.len, &pos, &h) == FLOE_OK);
        CHECK_EQ_INT(h & 1, 0);
        CHECK((h >> 1) >= 1 && (h >> 1) <= FLOE_RLE_MAX_RUN);
        total += h >> 1;
        CHECK_EQ_INT(mem[pos], 1);
        pos++;
        runs++;
    }
    CHECK_EQ_U64(total, 5000000000ull);
    CHECK_EQ_INT(runs, 3);
}

/* Values with runs of random lengths, some long, some 1. */
static void fill_levels(uint32_t *v, size_t n, unsigned w)
{
    uint32_t mask = w >= 32 ? 0xffffffffu : ((uint32_t)1 << w) - 1u;
    size_t i = 0;
    int style = (int)(test_rand() % 3);
    while (i < n) {
        uint64_t r = test_rand();
        size_t len = style == 0 ? 1 : (r & 0x100) ? (size_t)(r % 70) + 1 : (size_t)(r % 5) + 1;
        uint32_t x = (uint32_t)(r >> 32) & mask;
        while (len-- > 0 && i < n)
            v[i++] = x;
    }
}

TEST(rle_round_trips_all_widths_and_sizes)
{
    unsigned w;
    size_t s;
    for (w = 0; w <= 32; w++) {
        for (s = 0; s < FLOE_ARRAY_LEN(sizes); s++) {
            size_t n = sizes[s], i;
            int len, got;
            fill_levels(vals32, n, w);
            len = rle_encode(vals32, n, w);
            REQUIRE(len >= 0);
            CHECK((size_t)len <= floe_rle_max_size(w, n));
            memset(back32, 0xcc, n * sizeof back32[0]);
            got = floe_rle_decode(enc_buf, (size_t)len, w, back32, n);
            if (got != len)
                test_fail(__FILE__, __LINE__, "w=%u n=%zu: decode %d, len %d", w, n, got, len);
            for (i = 0; i < n; i++)
                if (vals32[i] != back32[i]) {
                    test_fail(__FILE__, __LINE__, "w=%u n=%zu i=%zu", w, n, i);
                    break;
                }
        }
    }
}

TEST(rle_worst_case_stays_under_the_bound)
{
    /* Runs just at and around the RLE threshold, all widths. */
    unsigned w;
    for (w = 1; w <= 32; w++) {
        size_t n = 0, run;
        int len;
        for (run = 1; n + run <= 5000; run = run % 60 + 1) {
            size_t k;
            for (k = 0; k < run; k++)
                vals32[n + k] = (uint32_t)(run & 1);
            n += run;
        }
        len = rle_encode(vals32, n, w);
        REQUIRE(len >= 0);
        CHECK((size_t)len <= floe_rle_max_size(w, n));
        /* Never much worse than pure bit-packing. */
        CHECK((size_t)len <= floe_bitpack_bytes(n, w) + n / 504 + 16);
        CHECK_EQ_INT(floe_rle_decode(enc_buf, (size_t)len, w, back32, n), len);
        CHECK_EQ_MEM(back32, vals32, n * sizeof vals32[0]);
    }
}

TEST(rle_repeated_equals_one_by_one)
{
    static uint8_t a[4096];
    struct floe_buf b1, b2;
    struct floe_rle_encoder e1, e2;
    int round;
    for (round = 0; round < 200; round++) {
        unsigned w = (unsigned)(test_rand() % 6);
        int runs = (int)(test_rand() % 20), r;
        floe_buf_init(&b1, a, sizeof a);
        floe_buf_init(&b2, enc_buf, sizeof enc_buf);
        floe_rle_init(&e1, w, &b1);
        floe_rle_init(&e2, w, &b2);
        for (r = 0; r < runs; r++) {
            uint32_t v = (uint32_t)test_rand() & ((1u << w) - 1u);
            uint64_t c = test_rand() % 40, k;
            floe_rle_put_repeated(&e1, v, c);
            for (k = 0; k < c; k++)
                floe_rle_put(&e2, v);
        }
        CHECK_EQ_INT(floe_rle_finish(&e1), FLOE_OK);
        CHECK_EQ_INT(floe_rle_finish(&e2), FLOE_OK);
        CHECK_EQ_INT(b1.len, b2.len);
        CHECK_EQ_MEM(a, enc_buf, b1.len);
    }
}

TEST(rle_all_present_levels_are_tiny)
{
    struct floe_buf b;
    struct floe_rle_encoder e;
    size_t i;
    floe_buf_init(&b, enc_buf, sizeof enc_buf);
    floe_rle_init(&e, 1, &b);
    for (i = 0; i < 1000000; i++)
        floe_rle_put(&e, 1);
    CHECK_EQ_INT(floe_rle_finish(&e), FLOE_OK);
    CHECK_EQ_INT(b.len, 4); /* ULEB128(2000000) = 3 bytes, value 1 byte */
}

TEST(rle_decoder_rejects_hostile_input)
{
    uint32_t out[64];
    /* Truncated bit-packed run. */
    CHECK_EQ_INT(floe_rle_decode((const uint8_t *)"\x03\x88", 2, 3, out, 8), FLOE_ERR_MALFORMED);
    /* Zero-length runs. */
    CHECK_EQ_INT(floe_rle_decode((const uint8_t *)"\x00\x01", 2, 1, out, 1), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_rle_decode((const uint8_t *)"\x01", 1, 1, out, 1), FLOE_ERR_MALFORMED);
    /* RLE value wider than the bit width. */
    CHECK_EQ_INT(floe_rle_decode((const uint8_t *)"\x02\x08", 2, 3, out, 1), FLOE_ERR_MALFORMED);
    /* RLE value bytes missing. */
    CHECK_EQ_INT(floe_rle_decode((const uint8_t *)"\x02\x01", 2, 9, out, 1), FLOE_ERR_MALFORMED);
    /* Huge group count. */
    CHECK_EQ_INT(floe_rle_decode((const uint8_t *)"\xff\xff\xff\xff\x0f", 5, 1, out, 1),
                 FLOE_ERR_MALFORMED);
    /* Overlong varint header. */
    CHECK_EQ_INT(floe_rle_decode((const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
                                 11, 1, out, 1),
                 FLOE_ERR_MALFORMED);
    /* Not enough runs for the count. */
    CHECK_EQ_INT(floe_rle_decode((const uint8_t *)"\x06\x01", 2, 1, out, 4), FLOE_ERR_MALFORMED);
    /* A run longer than needed is fine; only count values are written. */
    out[2] = 77;
    CHECK_EQ_INT(floe_rle_decode((const uint8_t *)"\x10\x01", 2, 1, out, 2), 2);
    CHECK_EQ_INT(out[2], 77);
    /* A truncated last group holding the needed values is accepted. */
    CHECK_EQ_INT(floe_rle_decode((const uint8_t *)"\x05\xff", 2, 1, out, 8), 2);
    CHECK_EQ_INT(floe_rle_decode((const uint8_t *)"\x05\xff", 2, 1, out, 9), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_rle_decode(NULL, 1, 1, out, 1), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_rle_decode((const uint8_t *)"", 0, 33, out, 0), FLOE_ERR_INVAL);
}

/* ---- DELTA_BINARY_PACKED ---- */

/* Encodes v[0..n); the page (header + body) lands in enc_buf. Returns its
 * length or -1; *hdr_len gets the header's length. */
static int delta_encode(const int64_t *v, size_t n, unsigned bits, size_t *hdr_len)
{
    static struct floe_delta_encoder e; /* 1 KiB: not on the stack */
    struct floe_buf body, hdr;
    size_t i;
    floe_buf_init(&body, enc_buf + FLOE_DELTA_HEADER_MAX, sizeof enc_buf - FLOE_DELTA_HEADER_MAX);
    floe_buf_init(&hdr, hdr_buf, sizeof hdr_buf);
    if (bits == 32)
        floe_delta_init32(&e, &body);
    else
        floe_delta_init(&e, &body);
    for (i = 0; i < n; i++)
        floe_delta_put(&e, v[i]);
    if (floe_delta_finish(&e, &hdr) != FLOE_OK)
        return -1;
    if (body.len > floe_delta_max_size(bits, n))
        return -1;
    /* Page = header then body. */
    memmove(enc_buf + hdr.len, enc_buf + FLOE_DELTA_HEADER_MAX, body.len);
    memcpy(enc_buf, hdr_buf, hdr.len);
    if (hdr_len != NULL)
        *hdr_len = hdr.len;
    return (int)(hdr.len + body.len);
}

TEST(delta_spec_example_1)
{
    static const int64_t v[] = {1, 2, 3, 4, 5};
    int64_t back[5];
    size_t hl, count;
    int len = delta_encode(v, 5, 64, &hl);
    /* Header: block 128, 4 miniblocks, 5 values, first 1 (zigzag 2). */
    CHECK_EQ_INT(hl, 5);
    CHECK_EQ_INT(len, 10);
    /* Block: min delta 1 (zigzag 2), all widths 0, no data. */
    CHECK_EQ_MEM(enc_buf, "\x80\x01\x04\x05\x02" "\x02\x00\x00\x00\x00", 10);
    CHECK_EQ_INT(floe_delta_decode(enc_buf, (size_t)len, 64, back, 5, &count), len);
    CHECK_EQ_INT(count, 5);
    CHECK_EQ_MEM(back, v, sizeof v);
}

TEST(delta_spec_example_2)
{
    static const int64_t v[] = {7, 5, 3, 1, 2, 3, 4, 5};
    int64_t back[8];
    size_t hl, count;
    int len = delta_encode(v, 8, 64, &hl);
    /* Header: 128, 4, 8 values, first 7 (zigzag 14). Block: min -2 (zigzag
     * 3), widths 2,0,0,0, then 0,0,0,3,3,3,3 (+25 zero pads) at 2 bits. */
    CHECK_EQ_INT(len, 5 + 1 + 4 + 8);
    CHECK_EQ_MEM(enc_buf, "\x80\x01\x04\x08\x0e" "\x03\x02\x00\x00\x00"
                          "\xc0\x3f\x00\x00\x00\x00\x00\x00", 18);
    CHECK_EQ_INT(floe_delta_decode(enc_buf, (size_t)len, 64, back, 8, &count), len);
    CHECK_EQ_INT(count, 8);
    CHECK_EQ_MEM(back, v, sizeof v);
    /* The same as INT32. */
    CHECK_EQ_INT(delta_encode(v, 8, 32, &hl), 18);
    CHECK_EQ_MEM(enc_buf, "\x80\x01\x04\x08\x0e\x03\x02", 7);
}

TEST(delta_empty_and_single)
{
    int64_t back[2], one = -3;
    size_t hl, count = 99;
    CHECK_EQ_INT(delta_encode(NULL, 0, 64, &hl), 5);
    CHECK_EQ_MEM(enc_buf, "\x80\x01\x04\x00\x00", 5);
    CHECK_EQ_INT(floe_delta_decode(enc_buf, 5, 64, back, 0, &count), 5);
    CHECK_EQ_INT(count, 0);
    CHECK_EQ_INT(delta_encode(&one, 1, 32, &hl), 5);
    CHECK_EQ_MEM(enc_buf, "\x80\x01\x04\x01\x05", 5);
    CHECK_EQ_INT(floe_delta_decode(enc_buf, 5, 32, back, 2, &count), 5);
    CHECK_EQ_INT(count, 1);
    CHECK(back[0] == -3);
}

static void check_delta_round_trip(const int64_t *v, size_t n, unsigned bits, int line)
{
    size_t count = 0, hl, pos;
    int len = delta_encode(v, n, bits, &hl), got;
    if (len < 0) {
        test_fail(__FILE__, line, "encode failed n=%zu bits=%u", n, bits);
        return;
    }
    /* Every used miniblock's width fits the type. */
    pos = hl;
    while (pos < (size_t)len) {
        uint64_t z;
        unsigned m;
        size_t body = 0;
        if (floe_get_uvarint(enc_buf, (size_t)len, &pos, &z) != FLOE_OK || pos + 4 > (size_t)len) {
            test_fail(__FILE__, line, "bad block n=%zu", n);
            return;
        }
        for (m = 0; m < 4; m++) {
            if (enc_buf[pos + m] > bits)
                test_fail(__FILE__, line, "width %u > %u", enc_buf[pos + m], bits);
            body += enc_buf[pos + m] * 4u;
        }
        pos += 4 + body;
    }
    got = floe_delta_decode(enc_buf, (size_t)len, bits, back64, BIG, &count);
    if (got != len || count != n) {
        test_fail(__FILE__, line, "n=%zu bits=%u: decode %d/%d, count %zu", n, bits, got, len, count);
        return;
    }
    if (n != 0 && memcmp(back64, v, n * sizeof v[0]) != 0)
        test_fail(__FILE__, line, "n=%zu bits=%u: values differ", n, bits);
}

TEST(delta_round_trips_random_sizes)
{
    size_t s, i;
    int kind;
    for (kind = 0; kind < 5; kind++) {
        for (s = 0; s < FLOE_ARRAY_LEN(sizes); s++) {
            size_t n = sizes[s];
            int64_t acc = (int64_t)(test_rand() >> 1);
            for (i = 0; i < n; i++) {
                uint64_t r = test_rand();
                switch (kind) {
                case 0: vals64[i] = (int64_t)(r >> 1) - (int64_t)(r & 1) * INT64_MAX; break;
                case 1: vals64[i] = (int64_t)(r % 2001) - 1000; break;
                case 2: acc += (int64_t)(r % 100); vals64[i] = acc; break;
                case 3: vals64[i] = (int64_t)(int32_t)(uint32_t)r; break;
                default: vals64[i] = (r & 1) ? INT64_MAX : INT64_MIN; break;
                }
            }
            check_delta_round_trip(vals64, n, 64, __LINE__);
            for (i = 0; i < n; i++)
                vals64[i] = (int64_t)(int32_t)(uint32_t)vals64[i];
            check_delta_round_trip(vals64, n, 32, __LINE__);
        }
    }
}

TEST(delta_int64_extremes_wrap)
{
    static const int64_t ext[] = {INT64_MIN, INT64_MAX, INT64_MIN, 0, INT64_MAX, -1, 1,
                                  INT64_MIN, INT64_MIN + 1, INT64_MAX - 1, INT64_MAX};
    static const int64_t ext32[] = {INT32_MIN, INT32_MAX, INT32_MIN, 0, INT32_MAX, -1, 1,
                                    INT32_MIN, INT32_MIN + 1, INT32_MAX - 1, INT32_MAX};
    size_t i;
    check_delta_round_trip(ext, FLOE_ARRAY_LEN(ext), 64, __LINE__);
    check_delta_round_trip(ext32, FLOE_ARRAY_LEN(ext32), 32, __LINE__);
    /* Long stretches, across blocks. */
    for (i = 0; i < 1000; i++)
        vals64[i] = ext[(i * 7) % FLOE_ARRAY_LEN(ext)];
    check_delta_round_trip(vals64, 1000, 64, __LINE__);
    for (i = 0; i < 1000; i++)
        vals64[i] = ext32[(i * 5) % FLOE_ARRAY_LEN(ext32)];
    check_delta_round_trip(vals64, 1000, 32, __LINE__);
    /* int32 extremes stay within 32-bit widths (checked in the helper). */
    for (i = 0; i < 300; i++)
        vals64[i] = (i & 1) ? INT32_MAX : INT32_MIN;
    check_delta_round_trip(vals64, 300, 32, __LINE__);
}

TEST(delta_sorted_timestamps_beat_plain_by_4x)
{
    size_t n = BIG, i, hl;
    int64_t t = 1700000000000000ll; /* microseconds, ~1.7e15 */
    int len;
    for (i = 0; i < n; i++) {
        t += 1000 + (int64_t)(test_rand() % 64) - 32;
        vals64[i] = t;
    }
    len = delta_encode(vals64, n, 64, &hl);
    REQUIRE(len > 0);
    if (getenv("TEST_VERBOSE"))
        fprintf(stderr, "delta: %zu timestamps -> %d bytes (PLAIN %zu, %.2f bits/value)\n", n,
                len, n * 8, len * 8.0 / (double)n);
    CHECK((size_t)len * 4 <= n * 8);
    check_delta_round_trip(vals64, n, 64, __LINE__);
}

/* With byte slack, a miniblock's width is padded to whole bytes only when
 * that costs at most the slack; the values read back the same either way. */
TEST(delta_byte_alignment_pads_only_within_the_slack)
{
    static struct floe_delta_encoder e;
    static uint8_t page[FLOE_DELTA_HEADER_MAX + 1024];
    static const struct { unsigned step_bits, slack, width; } cases[] = {
        {15, 0, 15}, {15, 1, 16}, {15, 2, 16}, {13, 2, 13}, {13, 3, 16}, {16, 2, 16}, {7, 2, 8},
    };
    size_t k, i, count;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct floe_buf body, hdr;
        int64_t t = 1735689600000000ll, back[129];
        floe_buf_init(&body, enc_buf, sizeof enc_buf);
        floe_buf_init(&hdr, hdr_buf, sizeof hdr_buf);
        floe_delta_init(&e, &body);
        floe_delta_align_bytes(&e, cases[k].slack);
        /* 129 values: one full block of 128 deltas; delta 0 and one of
         * exactly step_bits bits set the miniblocks' width. */
        for (i = 0; i < 129; i++) {
            t += i % 2 ? (int64_t)1 << (cases[k].step_bits - 1u) : 0;
            vals64[i] = t;
            floe_delta_put(&e, t);
        }
        REQUIRE(floe_delta_finish(&e, &hdr) == FLOE_OK);
        /* Body: min delta (zigzag 0: one byte), then the 4 widths. */
        for (i = 0; i < 4; i++)
            CHECK_EQ_INT(body.p[1 + i], cases[k].width);
        CHECK_EQ_INT(body.len, 1 + 4 + 4 * cases[k].width * 32 / 8);
        memcpy(page, hdr.p, hdr.len);
        memcpy(page + hdr.len, body.p, body.len);
        CHECK_EQ_INT(floe_delta_decode(page, hdr.len + body.len, 64, back, 129, &count),
                     (int)(hdr.len + body.len));
        CHECK_EQ_INT(count, 129);
        CHECK_EQ_MEM(back, vals64, 129 * sizeof back[0]);
    }
}

TEST(delta_rejects_bad_values_and_small_buffers)
{
    static struct floe_delta_encoder e;
    uint8_t mem[16], h[4];
    struct floe_buf b, hb;
    int i;
    floe_buf_init(&b, mem, sizeof mem);
    floe_buf_init(&hb, hdr_buf, sizeof hdr_buf);
    floe_delta_init32(&e, &b);
    floe_delta_put(&e, (int64_t)INT32_MAX + 1);
    CHECK_EQ_INT(floe_delta_finish(&e, &hb), FLOE_ERR_INVAL);
    /* Body too small. */
    floe_buf_init(&b, mem, sizeof mem);
    floe_buf_init(&hb, hdr_buf, sizeof hdr_buf);
    floe_delta_init(&e, &b);
    for (i = 0; i < 300; i++)
        floe_delta_put(&e, (int64_t)test_rand());
    CHECK_EQ_INT(floe_delta_finish(&e, &hb), FLOE_ERR_NOMEM);
    /* Header too small. */
    floe_buf_init(&b, mem, sizeof mem);
    floe_buf_init(&hb, h, sizeof h);
    floe_delta_init(&e, &b);
    floe_delta_put(&e, 1);
    CHECK_EQ_INT(floe_delta_finish(&e, &hb), FLOE_ERR_NOMEM);
}

TEST(delta_decoder_rejects_hostile_input)
{
    int64_t out[300];
    size_t count;
    static const struct {
        const char *p;
        size_t n;
        int err;
    } cases[] = {
        {"\x80\x01\x04\x05", 4, FLOE_ERR_MALFORMED},            /* no first value */
        {"\x40\x01\x01\x02", 4, FLOE_ERR_MALFORMED},            /* block 64 */
        {"\x00\x01\x01\x02", 4, FLOE_ERR_MALFORMED},            /* block 0 */
        {"\x80\x01\x03\x01\x02", 5, FLOE_ERR_MALFORMED},        /* 128 / 3 */
        {"\x80\x01\x08\x01\x02", 5, FLOE_ERR_MALFORMED},        /* miniblock of 16 */
        {"\x80\x01\x00\x01\x02", 5, FLOE_ERR_MALFORMED},        /* 0 miniblocks */
        {"\x80\x80\x80\x01\x01\x01\x02", 7, FLOE_ERR_MALFORMED}, /* block 2^21 */
        {"\x80\x01\x04\x05\x02\x02", 6, FLOE_ERR_MALFORMED},    /* widths missing */
        {"\x80\x01\x04\x05\x02\x02\x41\x00\x00\x00", 10, FLOE_ERR_MALFORMED}, /* width 65 */
        {"\x80\x01\x04\x05\x02\x02\x08\x00\x00\x00\x01", 11, FLOE_ERR_MALFORMED}, /* data short */
        {"\x80\x01\x04\xff\xff\xff\xff\x0f\x02", 9, FLOE_ERR_LIMIT}, /* too many values */
        {"\x80\x01\x04\x05\x02", 5, FLOE_ERR_MALFORMED},        /* no block */
    };
    size_t i;
    for (i = 0; i < FLOE_ARRAY_LEN(cases); i++) {
        int got = floe_delta_decode((const uint8_t *)cases[i].p, cases[i].n, 64, out, 300, &count);
        if (got != cases[i].err)
            test_fail(__FILE__, __LINE__, "case %zu: %d != %d", i, got, cases[i].err);
    }
    /* int32: a first value or min delta outside int32, a width above 32. */
    CHECK_EQ_INT(floe_delta_decode((const uint8_t *)"\x80\x01\x04\x01\x80\x80\x80\x80\x10", 9, 32,
                                   out, 300, &count),
                 FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_delta_decode((const uint8_t *)"\x80\x01\x04\x02\x00\x80\x80\x80\x80\x10"
                                                    "\x00\x00\x00\x00",
                                   14, 32, out, 300, &count),
                 FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_delta_decode((const uint8_t *)"\x80\x01\x04\x02\x00\x00\x21\x00\x00\x00", 10,
                                   32, out, 300, &count),
                 FLOE_ERR_MALFORMED);
    /* Unused miniblock widths may hold anything. */
    CHECK_EQ_INT(floe_delta_decode((const uint8_t *)"\x80\x01\x04\x02\x00\x02\x00\xff\xff\xff", 10,
                                   64, out, 300, &count),
                 10);
    CHECK_EQ_INT(count, 2);
    CHECK(out[0] == 0 && out[1] == 1);
    CHECK_EQ_INT(floe_delta_decode(NULL, 3, 64, out, 300, &count), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_delta_decode((const uint8_t *)"", 0, 16, out, 300, &count), FLOE_ERR_INVAL);
}

/* ---- BYTE_STREAM_SPLIT ---- */

TEST(byte_stream_split_spec_example)
{
    static const uint8_t plain[] = {0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x11, 0x22, 0x33,
                                    0xa3, 0xb4, 0xc5, 0xd6};
    uint8_t out[12], back[12];
    CHECK_EQ_INT(floe_byte_stream_split(plain, 3, 4, out), FLOE_OK);
    CHECK_EQ_MEM(out, "\xaa\x00\xa3\xbb\x11\xb4\xcc\x22\xc5\xdd\x33\xd6", 12);
    CHECK_EQ_INT(floe_byte_stream_join(out, 3, 4, back), FLOE_OK);
    CHECK_EQ_MEM(back, plain, 12);
    CHECK_EQ_INT(floe_byte_stream_split(plain, 2, 0, out), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_byte_stream_split(NULL, 0, 4, NULL), FLOE_OK);
}

TEST(byte_stream_split_round_trips)
{
    static uint8_t plain[1000 * 8], split[1000 * 8], back[1000 * 8];
    static const size_t widths[] = {1, 2, 3, 4, 8, 16};
    size_t w, s, i;
    for (w = 0; w < FLOE_ARRAY_LEN(widths); w++) {
        for (s = 0; s < 9; s++) {
            size_t n = sizes[s] * widths[w] > sizeof plain ? sizeof plain / widths[w] : sizes[s];
            size_t bytes = n * widths[w];
            for (i = 0; i < bytes; i++)
                plain[i] = (uint8_t)test_rand();
            CHECK_EQ_INT(floe_byte_stream_split(plain, n, widths[w], split), FLOE_OK);
            for (i = 0; i < bytes; i++)
                if (split[(i % widths[w]) * n + i / widths[w]] != plain[i]) {
                    test_fail(__FILE__, __LINE__, "w=%zu n=%zu i=%zu", widths[w], n, i);
                    break;
                }
            CHECK_EQ_INT(floe_byte_stream_join(split, n, widths[w], back), FLOE_OK);
            CHECK_EQ_MEM(back, plain, bytes);
        }
    }
}

TEST(byte_stream_split_of_plain_doubles)
{
    static const double d[] = {1.0, -2.5, 3.25};
    uint8_t mem[24], out[24];
    struct floe_buf b;
    size_t i;
    floe_buf_init(&b, mem, sizeof mem);
    for (i = 0; i < 3; i++)
        floe_plain_put_double(&b, d[i]);
    CHECK_EQ_INT(floe_byte_stream_split(mem, 3, 8, out), FLOE_OK);
    /* Stream 7 holds the sign/exponent bytes: 3f c0 40. */
    CHECK_EQ_MEM(out + 21, "\x3f\xc0\x40", 3);
    CHECK_EQ_MEM(out + 18, "\xf0\x04\x0a", 3);
}

/* A page's indices re-packed at wider widths part-way (in an open group
 * run, after RLE runs, across the 8-bit line where RLE values take two
 * bytes) decode at the last width to every value put. */
TEST(rle_widen_keeps_every_value)
{
    static uint8_t mem[64 * 1024];
    int round;
    for (round = 0; round < 400; round++) {
        struct floe_buf b;
        struct floe_rle_encoder e;
        unsigned w = (unsigned)(test_rand() % 12);
        size_t n = (size_t)(test_rand() % 3000), i = 0;
        int len;
        floe_buf_init(&b, mem, sizeof mem);
        REQUIRE(floe_rle_init(&e, w, &b) == FLOE_OK);
        while (i < n) {
            size_t k, run = (size_t)(test_rand() % 200) + 1;
            if (run > n - i)
                run = n - i;
            fill_levels(vals32 + i, run, w);
            for (k = 0; k < run; k++)
                floe_rle_put(&e, vals32[i + k]);
            i += run;
            if (w < 32 && test_rand() % 2) {
                unsigned to = w + 1u + (unsigned)(test_rand() % (w < 28 ? 4 : 32 - w));
                REQUIRE(floe_rle_widen(&e, to, SIZE_MAX, 16) == FLOE_OK);
                w = to;
            }
        }
        len = floe_rle_finish(&e);
        REQUIRE(len == FLOE_OK);
        CHECK(b.len <= floe_rle_max_size(w, n));
        memset(back32, 0xcc, n * sizeof back32[0]);
        if (floe_rle_decode(mem, b.len, w, back32, n) != (int)b.len || memcmp(back32, vals32, n * sizeof vals32[0]))
            test_fail(__FILE__, __LINE__, "round %d: n=%zu, last width %u: values changed", round, n, w);
    }
}

/* Widening that would add more than max_growth bytes or leave less than
 * keep_free changes nothing; a width that is not larger is refused. */
TEST(rle_widen_without_room_changes_nothing)
{
    static uint8_t mem[64], copy[64];
    struct floe_buf b;
    struct floe_rle_encoder e, before;
    uint32_t v[40];
    size_t i;
    floe_buf_init(&b, mem, sizeof mem);
    REQUIRE(floe_rle_init(&e, 3, &b) == FLOE_OK);
    for (i = 0; i < 40; i++) {
        v[i] = (uint32_t)(i * 5 % 8);
        floe_rle_put(&e, v[i]);
    }
    CHECK_EQ_INT(floe_rle_widen(&e, 3, SIZE_MAX, 0), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_rle_widen(&e, 33, SIZE_MAX, 0), FLOE_ERR_INVAL);
    memcpy(copy, mem, sizeof mem);
    before = e;
    /* 32 values in 4 groups, 8 waiting: 1 + 4 x 3 bytes, 1 + 4 x 12 at 12 bits */
    CHECK_EQ_INT(floe_rle_widen(&e, 12, SIZE_MAX, 16), FLOE_ERR_LIMIT); /* 15 bytes left */
    CHECK_EQ_INT(floe_rle_widen(&e, 12, 35, 0), FLOE_ERR_LIMIT);        /* 36 more */
    CHECK_EQ_U64(b.len, 13);
    CHECK(memcmp(mem, copy, b.len) == 0 && memcmp(&e, &before, sizeof e) == 0);
    REQUIRE(floe_rle_widen(&e, 12, 36, 15) == FLOE_OK);
    CHECK_EQ_U64(b.len, 49);
    REQUIRE(floe_rle_finish(&e) == FLOE_OK);
    REQUIRE(floe_rle_decode(mem, b.len, 12, back32, 40) == (int)b.len);
    CHECK_EQ_MEM(back32, v, sizeof v);
}
