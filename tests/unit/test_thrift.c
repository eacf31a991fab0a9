/* Thrift compact protocol: encodings checked byte for byte against values
 * worked out by hand from the spec, read-back, malformed input, and a real
 * footer written by DuckDB. */
#include "test.h"
#include "floe/floe.h"
#include "core/internal.h"
#include "parquet/thrift.h"

static uint8_t buf[4096];

/* Finishes w and checks it holds exactly the n bytes of exp. */
#define CHECK_ENCODING(w, exp)                                                  \
    do {                                                                        \
        int n_ = floe_thrift_writer_finish(w);                                  \
        CHECK_EQ_INT(n_, (int)sizeof(exp));                                     \
        if (n_ == (int)sizeof(exp))                                             \
            CHECK_EQ_MEM((w)->buf, exp, sizeof(exp));                           \
    } while (0)

/* ---- writer: exact bytes ---- */

TEST(thrift_field_id_short_and_long_forms)
{
    struct floe_thrift_writer w;
    /* 1: delta 1 -> 0x15; 20 after 1: delta 19 -> 0x05 + zigzag(20)=40;
     * 21: delta 1; 5 after 21: negative delta -> long form zigzag(5)=10;
     * 20 after 5: delta 15, the largest short form -> 0xf5. */
    static const uint8_t exp[] = {0x15, 0x04, 0x05, 0x28, 0x02, 0x15, 0x01,
                                  0x05, 0x0a, 0x00, 0xf5, 0x06, 0x00};
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_i32(&w, 1, 2);
    floe_thrift_write_i32(&w, 20, 1);
    floe_thrift_write_i32(&w, 21, -1);
    floe_thrift_write_i32(&w, 5, 0);
    floe_thrift_write_i32(&w, 20, 3);
    CHECK_ENCODING(&w, exp);
}

TEST(thrift_first_field_delta_counts_from_zero)
{
    struct floe_thrift_writer w;
    /* 16 first: delta 16 -> long form; then 16 again: delta 0 -> long form;
     * then -1: long form, zigzag(-1) = 1. */
    static const uint8_t exp[] = {0x05, 0x20, 0x00, 0x05, 0x20, 0x02, 0x05, 0x01, 0x04, 0x00};
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_i32(&w, 16, 0);
    floe_thrift_write_i32(&w, 16, 1);
    floe_thrift_write_i32(&w, -1, 2);
    CHECK_ENCODING(&w, exp);
}

TEST(thrift_zigzag_i32_values)
{
    struct floe_thrift_writer w;
    static const uint8_t exp[] = {
        0x15, 0x01,                         /* -1 -> 1 */
        0x15, 0x7f,                         /* -64 -> 127 */
        0x15, 0x80, 0x01,                   /* 64 -> 128 */
        0x15, 0xff, 0xff, 0xff, 0xff, 0x0f, /* INT32_MIN -> 0xffffffff */
        0x15, 0xfe, 0xff, 0xff, 0xff, 0x0f, /* INT32_MAX -> 0xfffffffe */
        0x13, 0xfe,                         /* i8 -2: one raw byte */
        0x14, 0xd7, 0x04,                   /* i16 -300 -> 599 */
        0x00};
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_i32(&w, 1, -1);
    floe_thrift_write_i32(&w, 2, -64);
    floe_thrift_write_i32(&w, 3, 64);
    floe_thrift_write_i32(&w, 4, INT32_MIN);
    floe_thrift_write_i32(&w, 5, INT32_MAX);
    floe_thrift_write_i8(&w, 6, -2);
    floe_thrift_write_i16(&w, 7, -300);
    CHECK_ENCODING(&w, exp);
}

TEST(thrift_zigzag_i64_extremes)
{
    struct floe_thrift_writer w;
    static const uint8_t exp[] = {
        0x16, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* INT64_MAX */
        0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* INT64_MIN */
        0x16, 0x00,                                                       /* 0 */
        0x16, 0x80, 0x80, 0x80, 0x80, 0x10, /* 2^31 -> 2^32 */
        0x00};
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_i64(&w, 1, INT64_MAX);
    floe_thrift_write_i64(&w, 2, INT64_MIN);
    floe_thrift_write_i64(&w, 3, 0);
    floe_thrift_write_i64(&w, 4, (int64_t)1 << 31);
    CHECK_ENCODING(&w, exp);
}

TEST(thrift_binary_empty_and_300_bytes)
{
    static uint8_t exp[3 + 3 + 300 + 5 + 1];
    static uint8_t data[300];
    struct floe_thrift_writer w;
    size_t i;
    for (i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    /* 1: "" -> 0x18 0x00; 2: 300 bytes -> length 300 = 0xac 0x02;
     * 3: string "ts" long-form-free. */
    exp[0] = 0x18;
    exp[1] = 0x00;
    exp[2] = 0x18;
    exp[3] = 0xac;
    exp[4] = 0x02;
    memcpy(exp + 5, data, 300);
    exp[305] = 0x18;
    exp[306] = 0x02;
    exp[307] = 't';
    exp[308] = 's';
    exp[309] = 0x00;
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_binary(&w, 1, NULL, 0);
    floe_thrift_write_binary(&w, 2, data, sizeof data);
    floe_thrift_write_string(&w, 3, "ts");
    CHECK_EQ_INT(floe_thrift_writer_finish(&w), 310);
    CHECK_EQ_MEM(buf, exp, 310);
}

TEST(thrift_nested_structs_restore_the_field_id)
{
    struct floe_thrift_writer w;
    /* 1: i32 1; 2: struct { 1: i32 5, 2: true, 4: false }; 3: i32 7.
     * After the inner STOP, 3 is a delta of 1 from 2 again. */
    static const uint8_t exp[] = {0x15, 0x02, 0x1c, 0x15, 0x0a, 0x11, 0x22,
                                  0x00, 0x15, 0x0e, 0x00};
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_i32(&w, 1, 1);
    floe_thrift_write_struct_begin(&w, 2);
    floe_thrift_write_i32(&w, 1, 5);
    floe_thrift_write_bool(&w, 2, 1);
    floe_thrift_write_bool(&w, 4, 0);
    floe_thrift_write_struct_end(&w);
    floe_thrift_write_i32(&w, 3, 7);
    CHECK_ENCODING(&w, exp);
}

TEST(thrift_union_as_struct_with_one_field)
{
    struct floe_thrift_writer w;
    /* SchemaElement-like: 4: name "a", 6: i32 0, 10: LogicalType{1: StringType{}}:
     * 10 after 6 is delta 4 -> 0x4c; the union's member 1 -> 0x1c. */
    static const uint8_t exp[] = {0x48, 0x01, 'a', 0x25, 0x00, 0x4c, 0x1c, 0x00, 0x00, 0x00};
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_string(&w, 4, "a");
    floe_thrift_write_i32(&w, 6, 0);
    floe_thrift_write_struct_begin(&w, 10);
    floe_thrift_write_struct_begin(&w, 1);
    floe_thrift_write_struct_end(&w);
    floe_thrift_write_struct_end(&w);
    CHECK_ENCODING(&w, exp);
}

/* list<struct{1: i32 i}> with n elements, into buf; returns the length. */
static int write_struct_list(struct floe_thrift_writer *w, uint32_t n)
{
    uint32_t i;
    floe_thrift_writer_init(w, buf, sizeof buf);
    floe_thrift_write_list_begin(w, 1, FLOE_THRIFT_STRUCT, n);
    for (i = 0; i < n; i++) {
        floe_thrift_write_elem_struct_begin(w);
        floe_thrift_write_i32(w, 1, (int32_t)i);
        floe_thrift_write_struct_end(w);
    }
    floe_thrift_write_list_end(w);
    floe_thrift_write_i64(w, 2, 9); /* the outer field ids carry on */
    return floe_thrift_writer_finish(w);
}

/* Hand-built expectation: header bytes, then 0x15 zigzag(i) 0x00 per element. */
static size_t expect_struct_list(uint8_t *exp, const uint8_t *hdr, size_t hn, uint32_t n)
{
    size_t k = 0;
    uint32_t i;
    exp[k++] = 0x19;
    memcpy(exp + k, hdr, hn);
    k += hn;
    for (i = 0; i < n; i++) {
        uint32_t z = 2 * i;
        exp[k++] = 0x15;
        if (z < 0x80) {
            exp[k++] = (uint8_t)z;
        } else {
            exp[k++] = (uint8_t)(z | 0x80);
            exp[k++] = (uint8_t)(z >> 7);
        }
        exp[k++] = 0x00;
    }
    exp[k++] = 0x16; /* 2: i64, delta 1 from 1 */
    exp[k++] = 0x12;
    exp[k++] = 0x00;
    return k;
}

TEST(thrift_list_of_struct_counts_0_14_15_100)
{
    static uint8_t exp[1024];
    struct floe_thrift_writer w;
    static const uint8_t h0[] = {0x0c}, h14[] = {0xec}, h15[] = {0xfc, 0x0f},
                         h100[] = {0xfc, 0x64};
    size_t n;
    n = expect_struct_list(exp, h0, 1, 0);
    CHECK_EQ_INT(write_struct_list(&w, 0), (int)n);
    CHECK_EQ_MEM(buf, exp, n);
    n = expect_struct_list(exp, h14, 1, 14);
    CHECK_EQ_INT(write_struct_list(&w, 14), (int)n);
    CHECK_EQ_MEM(buf, exp, n);
    n = expect_struct_list(exp, h15, 2, 15);
    CHECK_EQ_INT(write_struct_list(&w, 15), (int)n);
    CHECK_EQ_MEM(buf, exp, n);
    n = expect_struct_list(exp, h100, 2, 100);
    CHECK_EQ_INT(write_struct_list(&w, 100), (int)n);
    CHECK_EQ_MEM(buf, exp, n);
    /* Spot check against literal bytes: the 100th element is i = 99,
     * zigzag 198 = 0xc6 0x01. */
    CHECK_EQ_INT(n, 3 + 64 * 3 + 36 * 4 + 3);
    CHECK(buf[n - 7] == 0x15 && buf[n - 6] == 0xc6 && buf[n - 5] == 0x01 && buf[n - 4] == 0x00);
}

TEST(thrift_scalar_lists_and_bools)
{
    struct floe_thrift_writer w;
    static const uint8_t exp[] = {
        0x19, 0x31, 0x01, 0x02, 0x01, /* 1: list<bool> [true, false, true] */
        0x19, 0x25, 0x02, 0x01,       /* 2: list<i32> [1, -1] */
        0x19, 0x16, 0x01,             /* 3: list<i64> [-1] */
        0x19, 0x28, 0x01, 'a', 0x00,  /* 4: list<binary> ["a", ""] */
        0x11, 0x12,                   /* 5: true, 6: false */
        0x00};
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_list_begin(&w, 1, FLOE_THRIFT_BOOL, 3);
    floe_thrift_write_elem_bool(&w, 1);
    floe_thrift_write_elem_bool(&w, 0);
    floe_thrift_write_elem_bool(&w, 7);
    floe_thrift_write_list_end(&w);
    floe_thrift_write_list_begin(&w, 2, FLOE_THRIFT_I32, 2);
    floe_thrift_write_elem_i32(&w, 1);
    floe_thrift_write_elem_i32(&w, -1);
    floe_thrift_write_list_end(&w);
    floe_thrift_write_list_begin(&w, 3, FLOE_THRIFT_I64, 1);
    floe_thrift_write_elem_i64(&w, -1);
    floe_thrift_write_list_end(&w);
    floe_thrift_write_list_begin(&w, 4, FLOE_THRIFT_BINARY, 2);
    floe_thrift_write_elem_binary(&w, "a", 1);
    floe_thrift_write_elem_binary(&w, NULL, 0);
    floe_thrift_write_list_end(&w);
    floe_thrift_write_bool(&w, 5, 1);
    floe_thrift_write_bool(&w, 6, 0);
    CHECK_ENCODING(&w, exp);
}

TEST(thrift_empty_struct_is_one_stop)
{
    struct floe_thrift_writer w;
    uint8_t b[1];
    floe_thrift_writer_init(&w, b, sizeof b);
    CHECK_EQ_INT(floe_thrift_writer_finish(&w), 1);
    CHECK_EQ_INT(b[0], 0);
    CHECK_EQ_INT(floe_thrift_writer_finish(&w), 1); /* idempotent */
    CHECK_EQ_INT(floe_thrift_write_i32(&w, 1, 1), FLOE_ERR_STATE);
}

/* ---- writer: errors and sizing ---- */

TEST(thrift_writer_buffer_full_is_sticky)
{
    struct floe_thrift_writer w;
    uint8_t small[4];
    floe_thrift_writer_init(&w, small, sizeof small);
    CHECK_EQ_INT(floe_thrift_write_i32(&w, 1, 1), FLOE_OK);      /* 2 bytes */
    /* Header and length fit, the 3 bytes do not: what fits of the failed
     * field stays, nothing after it is written. */
    CHECK_EQ_INT(floe_thrift_write_string(&w, 2, "abc"), FLOE_ERR_NOMEM);
    CHECK_EQ_INT(w.len, 4);
    CHECK_EQ_INT(floe_thrift_write_i32(&w, 3, 1), FLOE_ERR_NOMEM);
    CHECK_EQ_INT(floe_thrift_write_list_end(&w), FLOE_ERR_NOMEM);
    CHECK_EQ_INT(w.len, 4);
    CHECK_EQ_INT(floe_thrift_writer_finish(&w), FLOE_ERR_NOMEM);
    /* An exact fit is fine. */
    floe_thrift_writer_init(&w, small, 3);
    floe_thrift_write_i32(&w, 1, 1);
    CHECK_EQ_INT(floe_thrift_writer_finish(&w), 3);
    floe_thrift_writer_init(&w, small, 2);
    floe_thrift_write_i32(&w, 1, 1);
    CHECK_EQ_INT(floe_thrift_writer_finish(&w), FLOE_ERR_NOMEM);
}

TEST(thrift_writer_counting_matches_real)
{
    static uint8_t data[200];
    struct floe_thrift_writer c, w;
    int pass;
    for (pass = 0; pass < 2; pass++) {
        struct floe_thrift_writer *x = pass == 0 ? &c : &w;
        uint32_t i;
        if (pass == 0)
            floe_thrift_writer_init_counting(x);
        else
            floe_thrift_writer_init(x, buf, sizeof buf);
        floe_thrift_write_i32(x, 1, 2);
        floe_thrift_write_list_begin(x, 2, FLOE_THRIFT_STRUCT, 20);
        for (i = 0; i < 20; i++) {
            floe_thrift_write_elem_struct_begin(x);
            floe_thrift_write_string(x, 4, "column_name");
            floe_thrift_write_i64(x, 5, (int64_t)i << 40);
            floe_thrift_write_struct_end(x);
        }
        floe_thrift_write_list_end(x);
        floe_thrift_write_binary(x, 6, pass == 0 ? NULL : data, 200); /* counting needs no bytes */
    }
    CHECK(c.buf == NULL && c.cap == SIZE_MAX);
    CHECK(floe_thrift_writer_finish(&c) > 200);
    CHECK_EQ_INT(floe_thrift_writer_finish(&c), floe_thrift_writer_finish(&w));
}

TEST(thrift_writer_rejects_calls_out_of_order)
{
    struct floe_thrift_writer w;
    /* A field where a list element is due. */
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_list_begin(&w, 1, FLOE_THRIFT_I32, 1);
    CHECK_EQ_INT(floe_thrift_write_i32(&w, 1, 1), FLOE_ERR_STATE);
    CHECK_EQ_INT(floe_thrift_writer_finish(&w), FLOE_ERR_STATE);
    /* An element of the wrong type. */
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_list_begin(&w, 1, FLOE_THRIFT_I32, 1);
    CHECK_EQ_INT(floe_thrift_write_elem_i64(&w, 1), FLOE_ERR_STATE);
    /* More elements than announced, and fewer. */
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_list_begin(&w, 1, FLOE_THRIFT_I32, 1);
    floe_thrift_write_elem_i32(&w, 1);
    CHECK_EQ_INT(floe_thrift_write_elem_i32(&w, 2), FLOE_ERR_STATE);
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_list_begin(&w, 1, FLOE_THRIFT_STRUCT, 2);
    floe_thrift_write_elem_struct_begin(&w);
    floe_thrift_write_struct_end(&w);
    CHECK_EQ_INT(floe_thrift_write_list_end(&w), FLOE_ERR_STATE);
    /* Element outside a list; struct_end at the top level; finish inside a struct. */
    floe_thrift_writer_init(&w, buf, sizeof buf);
    CHECK_EQ_INT(floe_thrift_write_elem_i32(&w, 1), FLOE_ERR_STATE);
    floe_thrift_writer_init(&w, buf, sizeof buf);
    CHECK_EQ_INT(floe_thrift_write_struct_end(&w), FLOE_ERR_STATE);
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_struct_begin(&w, 1);
    CHECK_EQ_INT(floe_thrift_writer_finish(&w), FLOE_ERR_STATE);
    /* list_end where a struct is open. */
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_list_begin(&w, 1, FLOE_THRIFT_STRUCT, 1);
    floe_thrift_write_elem_struct_begin(&w);
    CHECK_EQ_INT(floe_thrift_write_list_end(&w), FLOE_ERR_STATE);
    /* Bad element types and sizes. */
    floe_thrift_writer_init(&w, buf, sizeof buf);
    CHECK_EQ_INT(floe_thrift_write_list_begin(&w, 1, FLOE_THRIFT_STOP, 0), FLOE_ERR_INVAL);
    floe_thrift_writer_init(&w, buf, sizeof buf);
    CHECK_EQ_INT(floe_thrift_write_list_begin(&w, 1, 14, 0), FLOE_ERR_INVAL);
    floe_thrift_writer_init(&w, buf, sizeof buf);
    CHECK_EQ_INT(floe_thrift_write_list_begin(&w, 1, FLOE_THRIFT_I32, 0x80000000u), FLOE_ERR_RANGE);
    floe_thrift_writer_init_counting(&w);
    CHECK_EQ_INT(floe_thrift_write_binary(&w, 1, NULL, (size_t)0x7fffffff), FLOE_OK);
#if SIZE_MAX > 0xffffffffu
    CHECK_EQ_INT(floe_thrift_write_binary(&w, 2, NULL, (size_t)0x80000000u), FLOE_ERR_RANGE);
#endif
    floe_thrift_writer_init(&w, buf, sizeof buf);
    CHECK_EQ_INT(floe_thrift_write_binary(&w, 1, NULL, 1), FLOE_ERR_INVAL);
    /* A list<bool> announced with the other bool code is the same list. */
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_list_begin(&w, 1, FLOE_THRIFT_BOOL_FALSE, 1);
    CHECK_EQ_INT(floe_thrift_write_elem_bool(&w, 0), FLOE_OK);
    floe_thrift_write_list_end(&w);
    CHECK_EQ_INT(floe_thrift_writer_finish(&w), 4);
    CHECK_EQ_INT(buf[1], 0x11);
}

TEST(thrift_writer_depth_limit)
{
    struct floe_thrift_writer w;
    int i;
    floe_thrift_writer_init(&w, buf, sizeof buf);
    for (i = 1; i < FLOE_THRIFT_MAX_DEPTH; i++)
        CHECK_EQ_INT(floe_thrift_write_struct_begin(&w, 1), FLOE_OK);
    CHECK_EQ_INT(floe_thrift_write_struct_begin(&w, 1), FLOE_ERR_LIMIT);
    CHECK_EQ_INT(floe_thrift_writer_finish(&w), FLOE_ERR_LIMIT);
    /* Lists count as levels too. */
    floe_thrift_writer_init(&w, buf, sizeof buf);
    for (i = 1; i < FLOE_THRIFT_MAX_DEPTH - 1; i++)
        floe_thrift_write_struct_begin(&w, 1);
    CHECK_EQ_INT(floe_thrift_write_list_begin(&w, 1, FLOE_THRIFT_STRUCT, 1), FLOE_OK);
    CHECK_EQ_INT(floe_thrift_write_elem_struct_begin(&w), FLOE_ERR_LIMIT);
    /* The deepest allowed nesting reads back. */
    floe_thrift_writer_init(&w, buf, sizeof buf);
    for (i = 1; i < FLOE_THRIFT_MAX_DEPTH; i++)
        floe_thrift_write_struct_begin(&w, 1);
    for (i = 1; i < FLOE_THRIFT_MAX_DEPTH; i++)
        floe_thrift_write_struct_end(&w);
    CHECK_EQ_INT(floe_thrift_writer_finish(&w), 2 * FLOE_THRIFT_MAX_DEPTH - 1);
    CHECK_EQ_INT(floe_thrift_dump(buf, 2 * FLOE_THRIFT_MAX_DEPTH - 1, NULL, NULL),
                 2 * FLOE_THRIFT_MAX_DEPTH - 1);
}

/* ---- reader ---- */

TEST(thrift_read_back_every_type)
{
    static uint8_t big[300];
    struct floe_thrift_writer w;
    struct floe_thrift_reader r;
    int n, t, b;
    int16_t id, i16;
    int8_t i8;
    int32_t i32;
    int64_t i64;
    uint32_t count, i;
    const uint8_t *p;
    size_t len;
    memset(big, 'z', sizeof big);
    floe_thrift_writer_init(&w, buf, sizeof buf);
    floe_thrift_write_i32(&w, 1, INT32_MIN);
    floe_thrift_write_i64(&w, 20, INT64_MIN);
    floe_thrift_write_i64(&w, 21, INT64_MAX);
    floe_thrift_write_bool(&w, 22, 1);
    floe_thrift_write_bool(&w, 23, 0);
    floe_thrift_write_i8(&w, 24, -128);
    floe_thrift_write_i16(&w, 25, INT16_MIN);
    floe_thrift_write_binary(&w, 26, big, sizeof big);
    floe_thrift_write_struct_begin(&w, 2);
    floe_thrift_write_i32(&w, 7, 77);
    floe_thrift_write_struct_end(&w);
    floe_thrift_write_list_begin(&w, 3, FLOE_THRIFT_STRUCT, 20);
    for (i = 0; i < 20; i++) {
        floe_thrift_write_elem_struct_begin(&w);
        floe_thrift_write_i64(&w, 1, -(int64_t)i);
        floe_thrift_write_struct_end(&w);
    }
    floe_thrift_write_list_end(&w);
    floe_thrift_write_list_begin(&w, 4, FLOE_THRIFT_BOOL, 2);
    floe_thrift_write_elem_bool(&w, 0);
    floe_thrift_write_elem_bool(&w, 1);
    floe_thrift_write_list_end(&w);
    floe_thrift_write_i32(&w, 5, 5);
    n = floe_thrift_writer_finish(&w);
    REQUIRE(n > 0);

    floe_thrift_reader_init(&r, buf, (size_t)n);
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_I32);
    CHECK_EQ_INT(id, 1);
    CHECK_EQ_INT(floe_thrift_read_i32(&r, &i32), FLOE_OK);
    CHECK_EQ_INT(i32, INT32_MIN);
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_I64);
    CHECK_EQ_INT(id, 20);
    CHECK_EQ_INT(floe_thrift_read_i64(&r, &i64), FLOE_OK);
    CHECK(i64 == INT64_MIN);
    floe_thrift_read_field_header(&r, &t, &id);
    CHECK_EQ_INT(floe_thrift_read_i64(&r, &i64), FLOE_OK);
    CHECK(i64 == INT64_MAX && id == 21);
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_BOOL_TRUE);
    CHECK_EQ_INT(floe_thrift_read_bool(&r, t, &b), FLOE_OK);
    CHECK(b == 1 && id == 22);
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_BOOL_FALSE);
    CHECK_EQ_INT(floe_thrift_read_bool(&r, t, &b), FLOE_OK);
    CHECK(b == 0 && id == 23);
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_I8);
    CHECK_EQ_INT(floe_thrift_read_i8(&r, &i8), FLOE_OK);
    CHECK_EQ_INT(i8, -128);
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_I16);
    CHECK_EQ_INT(floe_thrift_read_i16(&r, &i16), FLOE_OK);
    CHECK_EQ_INT(i16, INT16_MIN);
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_BINARY);
    CHECK_EQ_INT(floe_thrift_read_binary(&r, &p, &len), FLOE_OK);
    CHECK_EQ_INT(len, 300);
    CHECK(p >= buf && p + len <= buf + n && memcmp(p, big, len) == 0);
    /* The struct field: entered, read, left through its STOP. */
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_STRUCT);
    CHECK_EQ_INT(id, 2);
    CHECK_EQ_INT(floe_thrift_read_struct_begin(&r), FLOE_OK);
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_I32);
    CHECK_EQ_INT(id, 7);
    floe_thrift_read_i32(&r, &i32);
    CHECK_EQ_INT(i32, 77);
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_STOP);
    CHECK_EQ_INT(r.depth, 0);
    /* list<struct>: 20 elements. */
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_LIST);
    CHECK_EQ_INT(id, 3);
    CHECK_EQ_INT(floe_thrift_read_list_header(&r, &t, &count), FLOE_OK);
    CHECK_EQ_INT(t, FLOE_THRIFT_STRUCT);
    CHECK_EQ_INT(count, 20);
    for (i = 0; i < count; i++) {
        floe_thrift_read_struct_begin(&r);
        CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_I64);
        floe_thrift_read_i64(&r, &i64);
        CHECK_EQ_INT(i64, -(int64_t)i);
        CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_STOP);
    }
    /* list<bool> */
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_LIST);
    CHECK_EQ_INT(floe_thrift_read_list_header(&r, &t, &count), FLOE_OK);
    CHECK(t == FLOE_THRIFT_BOOL && count == 2);
    CHECK_EQ_INT(floe_thrift_read_elem_bool(&r, &b), FLOE_OK);
    CHECK_EQ_INT(b, 0);
    CHECK_EQ_INT(floe_thrift_read_elem_bool(&r, &b), FLOE_OK);
    CHECK_EQ_INT(b, 1);
    /* The outer ids carry on after the list. */
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_I32);
    CHECK_EQ_INT(id, 5);
    floe_thrift_read_i32(&r, &i32);
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, &id), FLOE_THRIFT_STOP);
    CHECK_EQ_INT(r.pos, (size_t)n);
    CHECK_EQ_INT(r.err, 0);

    /* skip walks the same bytes field by field. */
    floe_thrift_reader_init(&r, buf, (size_t)n);
    while ((t = floe_thrift_read_field_header(&r, NULL, &id)) > 0)
        CHECK_EQ_INT(floe_thrift_skip(&r, t), FLOE_OK);
    CHECK_EQ_INT(t, FLOE_THRIFT_STOP);
    CHECK_EQ_INT(r.pos, (size_t)n);
    CHECK_EQ_INT(floe_thrift_dump(buf, (size_t)n, NULL, NULL), n);
}

TEST(thrift_reader_accepts_other_writers_bools)
{
    struct floe_thrift_reader r;
    int t, b;
    uint32_t n;
    /* list<bool> with element type 2 (spec) and values 1, 0, 2. */
    static const uint8_t in[] = {0x19, 0x32, 0x01, 0x00, 0x02, 0x00};
    floe_thrift_reader_init(&r, in, sizeof in);
    floe_thrift_read_field_header(&r, &t, NULL);
    CHECK_EQ_INT(floe_thrift_read_list_header(&r, &t, &n), FLOE_OK);
    CHECK(t == FLOE_THRIFT_BOOL && n == 3);
    floe_thrift_read_elem_bool(&r, &b);
    CHECK_EQ_INT(b, 1);
    floe_thrift_read_elem_bool(&r, &b);
    CHECK_EQ_INT(b, 0);
    floe_thrift_read_elem_bool(&r, &b);
    CHECK_EQ_INT(b, 0);
    CHECK_EQ_INT(floe_thrift_dump(in, sizeof in, NULL, NULL), (int)sizeof in);
    /* A bool read from a header of another type. */
    floe_thrift_reader_init(&r, in, sizeof in);
    CHECK_EQ_INT(floe_thrift_read_bool(&r, FLOE_THRIFT_I32, &b), FLOE_ERR_MALFORMED);
    /* Errors are sticky. */
    CHECK_EQ_INT(floe_thrift_read_field_header(&r, &t, NULL), FLOE_ERR_MALFORMED);
}

TEST(thrift_reader_depth_limit_counts_open_structs)
{
    struct floe_thrift_reader r;
    static uint8_t in[64];
    int i, t;
    int16_t id;
    floe_thrift_reader_init(&r, in, 0);
    for (i = 1; i < FLOE_THRIFT_MAX_DEPTH; i++)
        CHECK_EQ_INT(floe_thrift_read_struct_begin(&r), FLOE_OK);
    CHECK_EQ_INT(floe_thrift_read_struct_begin(&r), FLOE_ERR_LIMIT);
    /* Skipping a struct from 14 levels down leaves room for one more level. */
    memset(in, 0, sizeof in);
    in[0] = 0x1c; /* 1: struct {} */
    floe_thrift_reader_init(&r, in, sizeof in);
    for (i = 1; i < FLOE_THRIFT_MAX_DEPTH - 1; i++)
        floe_thrift_read_struct_begin(&r);
    t = floe_thrift_read_field_header(&r, NULL, &id);
    CHECK_EQ_INT(t, FLOE_THRIFT_STRUCT);
    CHECK_EQ_INT(floe_thrift_skip(&r, t), FLOE_OK);
    floe_thrift_reader_init(&r, in, sizeof in);
    for (i = 1; i < FLOE_THRIFT_MAX_DEPTH - 1; i++)
        floe_thrift_read_struct_begin(&r);
    in[1] = 0x1c; /* 1: struct { 1: struct {} } */
    t = floe_thrift_read_field_header(&r, NULL, &id);
    CHECK_EQ_INT(t, FLOE_THRIFT_STRUCT);
    CHECK_EQ_INT(floe_thrift_read_struct_begin(&r), FLOE_OK); /* now 15 deep */
    t = floe_thrift_read_field_header(&r, NULL, &id);
    CHECK_EQ_INT(floe_thrift_skip(&r, t), FLOE_ERR_LIMIT);
}

struct bad_case {
    const char *name;
    uint8_t len;
    uint8_t bytes[24];
    int err;
};

static const struct bad_case bad_cases[] = {
    {"empty", 0, {0}, FLOE_ERR_MALFORMED},
    {"no stop", 2, {0x15, 0x02}, FLOE_ERR_MALFORMED},
    {"truncated varint", 2, {0x15, 0x80}, FLOE_ERR_MALFORMED},
    {"11-byte varint", 13,
     {0x16, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00},
     FLOE_ERR_MALFORMED},
    {"10th varint byte over 64 bits", 12,
     {0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00},
     FLOE_ERR_MALFORMED},
    {"i32 over 32 bits", 7, {0x15, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00}, FLOE_ERR_MALFORMED},
    {"i16 over 16 bits", 5, {0x14, 0x80, 0x80, 0x04, 0x00}, FLOE_ERR_MALFORMED},
    {"binary past end", 4, {0x18, 0x05, 'a', 'b'}, FLOE_ERR_MALFORMED},
    {"binary length over INT32_MAX", 7, {0x18, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00},
     FLOE_ERR_MALFORMED},
    {"list count huge", 8, {0x19, 0xf5, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00},
     FLOE_ERR_MALFORMED},
    {"list count over INT32_MAX", 8, {0x19, 0xf5, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00},
     FLOE_ERR_MALFORMED},
    {"list count past end", 4, {0x19, 0x35, 0x02, 0x00}, FLOE_ERR_MALFORMED},
    {"2 doubles in 15 bytes", 17, {0x19, 0x27, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7},
     FLOE_ERR_MALFORMED},
    {"list element type 0", 3, {0x19, 0x10, 0x00}, FLOE_ERR_MALFORMED},
    {"list element type 14", 3, {0x19, 0x0e, 0x00}, FLOE_ERR_MALFORMED},
    {"bool element 3", 4, {0x19, 0x11, 0x03, 0x00}, FLOE_ERR_MALFORMED},
    {"field type 14", 2, {0x1e, 0x00}, FLOE_ERR_MALFORMED},
    {"field type 0 with delta", 2, {0x10, 0x00}, FLOE_ERR_MALFORMED},
    {"long field id over i16", 5, {0x05, 0x80, 0x80, 0x04, 0x00}, FLOE_ERR_MALFORMED},
    {"field id delta past 32767", 7, {0x05, 0xfe, 0xff, 0x03, 0x00, 0x15, 0x00},
     FLOE_ERR_MALFORMED},
    {"map count huge", 6, {0x1b, 0xff, 0xff, 0xff, 0xff, 0x07}, FLOE_ERR_MALFORMED},
    {"map key type 0", 5, {0x1b, 0x01, 0x05, 0x02, 0x00}, FLOE_ERR_MALFORMED},
    {"uuid past end", 4, {0x1d, 1, 2, 3}, FLOE_ERR_MALFORMED},
    {"list of 1000 lists, 3 bytes", 5, {0x19, 0xf9, 0xe8, 0x07, 0x00}, FLOE_ERR_MALFORMED},
};

TEST(thrift_malformed_inputs_fail_cleanly)
{
    size_t i;
    for (i = 0; i < FLOE_ARRAY_LEN(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct floe_thrift_reader r;
        int t, rc;
        int16_t id;
        /* Copy to a buffer of exactly len bytes so ASan sees any overread. */
        static uint8_t exact[sizeof c->bytes];
        uint8_t *p = exact + sizeof exact - c->len;
        memcpy(p, c->bytes, c->len);
        rc = floe_thrift_dump(p, c->len, NULL, NULL);
        if (rc != c->err)
            test_fail(__FILE__, __LINE__, "%s: dump %d, want %d", c->name, rc, c->err);
        /* The reader and skip agree. */
        floe_thrift_reader_init(&r, p, c->len);
        while ((t = floe_thrift_read_field_header(&r, NULL, &id)) > 0)
            if (floe_thrift_skip(&r, t) < 0)
                break;
        if (r.err != c->err)
            test_fail(__FILE__, __LINE__, "%s: reader %d, want %d", c->name, r.err, c->err);
    }
}

TEST(thrift_deep_nesting_is_limited)
{
    static uint8_t in[2 * 100 + 1];
    struct floe_thrift_reader r;
    int i, t;
    int16_t id;
    /* 100 nested struct fields. */
    for (i = 0; i < 100; i++)
        in[i] = 0x1c;
    memset(in + 100, 0, 101);
    CHECK_EQ_INT(floe_thrift_dump(in, sizeof in, NULL, NULL), FLOE_ERR_LIMIT);
    floe_thrift_reader_init(&r, in, sizeof in);
    t = floe_thrift_read_field_header(&r, NULL, &id);
    CHECK_EQ_INT(floe_thrift_skip(&r, t), FLOE_ERR_LIMIT);
    /* 100 nested lists: list<list<list<...>>> of one element each. */
    for (i = 0; i < 100; i++)
        in[i + 1] = 0x19;
    in[0] = 0x19;
    in[101] = 0x05;
    CHECK_EQ_INT(floe_thrift_dump(in, sizeof in, NULL, NULL), FLOE_ERR_LIMIT);
    /* 15 nested struct fields: 16 levels with the top, the most allowed. */
    for (i = 0; i < 15; i++)
        in[i] = 0x1c;
    memset(in + 15, 0, 16);
    CHECK_EQ_INT(floe_thrift_dump(in, 31, NULL, NULL), 31);
    in[15] = 0x1c;
    memset(in + 16, 0, 17);
    CHECK_EQ_INT(floe_thrift_dump(in, 33, NULL, NULL), FLOE_ERR_LIMIT);
}

/* ---- dump ---- */

struct lines {
    char text[4096];
    size_t len;
    int count;
};

static void collect(void *ctx, const char *line)
{
    struct lines *l = ctx;
    size_t n = strlen(line);
    l->count++;
    if (l->len + n + 2 > sizeof l->text)
        return;
    memcpy(l->text + l->len, line, n);
    l->len += n;
    l->text[l->len++] = '\n';
    l->text[l->len] = '\0';
}

TEST(thrift_dump_formats_each_type)
{
    static struct lines l;
    static const uint8_t in[] = {
        0x15, 0x04,                                     /* 1: i32 2 */
        0x18, 0x05, 't', 's', '"', 0x01, 'x',           /* 2: binary */
        0x16, 0x01,                                     /* 3: i64 -1 */
        0x11,                                           /* 4: true */
        0x17, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,             /* 5: double 1.0 */
        0x1c, 0x13, 0xff, 0x00,                         /* 6: struct { 1: i8 -1 } */
        0x19, 0x22, 0x01, 0x02,                         /* 7: list<bool> */
        0x1b, 0x01, 0x85, 0x00, 0x02,                   /* 8: map<binary,i32> */
        0x1a, 0x06,                                     /* 9: set<i64> [] */
        0x1d, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xff, /* 10: uuid */
        0x0b, 0x28, 0x00,                               /* 20: empty map */
        0x00};
    memset(&l, 0, sizeof l);
    CHECK_EQ_INT(floe_thrift_dump(in, sizeof in, collect, &l), (int)sizeof in);
    CHECK_EQ_STR(l.text, "1: i32 = 2\n"
                         "2: binary(5) \"ts\\x22\\x01x\"\n"
                         "3: i64 = -1\n"
                         "4: bool = true\n"
                         "5: double = 0x3ff0000000000000\n"
                         "6: struct\n"
                         "  1: i8 = -1\n"
                         "7: list<bool>[2]\n"
                         "  [0] bool = true\n"
                         "  [1] bool = false\n"
                         "8: map<binary,i32>[1]\n"
                         "  [0] key binary(0) \"\"\n"
                         "  [0] value i32 = 1\n"
                         "9: set<i64>[0]\n"
                         "10: uuid = 000102030405060708090a0b0c0d0eff\n"
                         "20: map<stop,stop>[0]\n");
}

TEST(thrift_dump_cuts_long_binaries)
{
    static struct lines l;
    static uint8_t in[64];
    in[0] = 0x18;
    in[1] = 40;
    memset(in + 2, 'a', 40);
    in[42] = 0;
    memset(&l, 0, sizeof l);
    CHECK_EQ_INT(floe_thrift_dump(in, 43, collect, &l), 43);
    CHECK_EQ_STR(l.text, "1: binary(40) \"aaaaaaaaaaaaaaaaaaaaaaaa\"...\n");
    /* Trailing bytes are not read; the length says where the struct ends. */
    CHECK_EQ_INT(floe_thrift_dump(in, sizeof in, NULL, NULL), 43);
    CHECK_EQ_INT(floe_thrift_dump(NULL, 1, NULL, NULL), FLOE_ERR_INVAL);
}

TEST(thrift_dump_emits_lines_before_an_error)
{
    static struct lines l;
    static const uint8_t in[] = {0x15, 0x02, 0x18, 0x09, 'a'};
    memset(&l, 0, sizeof l);
    CHECK_EQ_INT(floe_thrift_dump(in, sizeof in, collect, &l), FLOE_ERR_MALFORMED);
    CHECK_EQ_STR(l.text, "1: i32 = 1\n");
}

/* ---- interop: a footer written by DuckDB ---- */

/* FileMetaData of `COPY (SELECT 1 AS a, 'x' AS b) TO 'f.parquet'`, written by
 * DuckDB v1.5.6 (the 206 bytes before the footer length and "PAR1"). */
static const uint8_t duckdb_footer[] = {
    0x15, 0x02, 0x19, 0x3c, 0x35, 0x00, 0x18, 0x0d, 0x64, 0x75, 0x63, 0x6b,
    0x64, 0x62, 0x5f, 0x73, 0x63, 0x68, 0x65, 0x6d, 0x61, 0x15, 0x04, 0x00,
    0x15, 0x02, 0x25, 0x02, 0x18, 0x01, 0x61, 0x25, 0x22, 0x00, 0x15, 0x0c,
    0x25, 0x02, 0x18, 0x01, 0x62, 0x25, 0x00, 0x00, 0x16, 0x02, 0x19, 0x1c,
    0x19, 0x2c, 0x26, 0x00, 0x1c, 0x15, 0x02, 0x19, 0x15, 0x00, 0x19, 0x18,
    0x01, 0x61, 0x15, 0x02, 0x16, 0x02, 0x16, 0x36, 0x16, 0x3a, 0x26, 0x08,
    0x3c, 0x18, 0x04, 0x01, 0x00, 0x00, 0x00, 0x18, 0x04, 0x01, 0x00, 0x00,
    0x00, 0x16, 0x00, 0x28, 0x04, 0x01, 0x00, 0x00, 0x00, 0x18, 0x04, 0x01,
    0x00, 0x00, 0x00, 0x11, 0x11, 0x00, 0x00, 0x00, 0x26, 0x00, 0x1c, 0x15,
    0x0c, 0x19, 0x15, 0x00, 0x19, 0x18, 0x01, 0x62, 0x15, 0x02, 0x16, 0x02,
    0x16, 0x38, 0x16, 0x3c, 0x26, 0x42, 0x3c, 0x18, 0x01, 0x78, 0x18, 0x01,
    0x78, 0x16, 0x00, 0x28, 0x01, 0x78, 0x18, 0x01, 0x78, 0x11, 0x11, 0x00,
    0x00, 0x00, 0x16, 0x6e, 0x16, 0x02, 0x26, 0x08, 0x16, 0x76, 0x00, 0x28,
    0x28, 0x44, 0x75, 0x63, 0x6b, 0x44, 0x42, 0x20, 0x76, 0x65, 0x72, 0x73,
    0x69, 0x6f, 0x6e, 0x20, 0x76, 0x31, 0x2e, 0x35, 0x2e, 0x36, 0x20, 0x28,
    0x62, 0x75, 0x69, 0x6c, 0x64, 0x20, 0x30, 0x36, 0x39, 0x63, 0x63, 0x39,
    0x66, 0x39, 0x62, 0x35, 0x29, 0x19, 0x2c, 0x1c, 0x00, 0x00, 0x1c, 0x00,
    0x00, 0x00,
};

TEST(thrift_walks_a_duckdb_footer)
{
    static struct lines l;
    memset(&l, 0, sizeof l);
    CHECK_EQ_INT(floe_thrift_dump(duckdb_footer, sizeof duckdb_footer, collect, &l),
                 (int)sizeof duckdb_footer);
    CHECK(strstr(l.text, "1: i32 = 1\n2: list<struct>[3]\n  [0] struct\n") == l.text);
    CHECK(strstr(l.text, "\n    4: binary(13) \"duckdb_schema\"\n") != NULL);
    CHECK(strstr(l.text, "\n3: i64 = 1\n4: list<struct>[1]\n") != NULL);
    CHECK(strstr(l.text, "\n          12: struct\n"
                         "            1: binary(4) \"\\x01\\x00\\x00\\x00\"\n") != NULL);
    CHECK(strstr(l.text, "\n6: binary(40) \"DuckDB version v1.5.6 (b\"...\n") != NULL);
    CHECK(strstr(l.text, "\n7: list<struct>[2]\n  [0] struct\n    1: struct\n") != NULL);
    /* Every truncation of it fails cleanly. */
    {
        size_t n;
        for (n = 0; n < sizeof duckdb_footer; n++)
            if (floe_thrift_dump(duckdb_footer, n, NULL, NULL) != FLOE_ERR_MALFORMED)
                test_fail(__FILE__, __LINE__, "truncated to %zu bytes: not MALFORMED", n);
    }
}

TEST(thrift_reads_duckdb_footer_fields)
{
    struct floe_thrift_reader r;
    const uint8_t *p;
    size_t len;
    int t;
    int16_t id;
    int32_t version = -1;
    int64_t num_rows = -1;
    char names[64];
    size_t nl = 0;
    int rowgroups = 0;
    floe_thrift_reader_init(&r, duckdb_footer, sizeof duckdb_footer);
    while ((t = floe_thrift_read_field_header(&r, NULL, &id)) > 0) {
        if (id == 1 && t == FLOE_THRIFT_I32) {
            CHECK_EQ_INT(floe_thrift_read_i32(&r, &version), FLOE_OK);
        } else if (id == 3 && t == FLOE_THRIFT_I64) {
            CHECK_EQ_INT(floe_thrift_read_i64(&r, &num_rows), FLOE_OK);
        } else if (id == 2 && t == FLOE_THRIFT_LIST) {
            uint32_t i, count;
            int et;
            CHECK_EQ_INT(floe_thrift_read_list_header(&r, &et, &count), FLOE_OK);
            CHECK_EQ_INT(et, FLOE_THRIFT_STRUCT);
            CHECK_EQ_INT(count, 3);
            for (i = 0; i < count; i++) {
                int ft;
                floe_thrift_read_struct_begin(&r);
                while ((ft = floe_thrift_read_field_header(&r, NULL, &id)) > 0) {
                    if (id == 4 && ft == FLOE_THRIFT_BINARY) {
                        CHECK_EQ_INT(floe_thrift_read_binary(&r, &p, &len), FLOE_OK);
                        if (nl + len + 1 < sizeof names) {
                            memcpy(names + nl, p, len);
                            nl += len;
                            names[nl++] = ',';
                        }
                    } else {
                        CHECK_EQ_INT(floe_thrift_skip(&r, ft), FLOE_OK);
                    }
                }
                CHECK_EQ_INT(ft, FLOE_THRIFT_STOP);
            }
        } else {
            if (id == 4)
                rowgroups++;
            CHECK_EQ_INT(floe_thrift_skip(&r, t), FLOE_OK);
        }
    }
    CHECK_EQ_INT(t, FLOE_THRIFT_STOP);
    CHECK_EQ_INT(r.pos, sizeof duckdb_footer);
    names[nl] = '\0';
    CHECK_EQ_INT(version, 1);
    CHECK_EQ_INT(num_rows, 1);
    CHECK_EQ_INT(rowgroups, 1);
    CHECK_EQ_STR(names, "duckdb_schema,a,b,");
}

/* ---- property: random structures round-trip through skip and dump ---- */

TEST(thrift_random_structures_round_trip)
{
    int round;
    test_seed(0x7417f7);
    for (round = 0; round < 200; round++) {
        struct floe_thrift_writer w;
        struct floe_thrift_reader r;
        int16_t ids[8];
        int64_t vals[8];
        int nf = (int)(test_rand() % 8), i, n, t;
        int16_t id = 0;
        floe_thrift_writer_init(&w, buf, sizeof buf);
        for (i = 0; i < nf; i++) {
            id = (int16_t)(id + 1 + (int)(test_rand() % 40));
            ids[i] = id;
            vals[i] = (int64_t)(test_rand() >> (1 + test_rand() % 63));
            if (test_rand() % 2)
                vals[i] = -vals[i];
            floe_thrift_write_i64(&w, id, vals[i]);
            if (test_rand() % 3 == 0) { /* a nested struct with a list, skipped on read */
                uint32_t k, cnt = (uint32_t)(test_rand() % 20);
                id = (int16_t)(id + 1);
                floe_thrift_write_struct_begin(&w, id);
                floe_thrift_write_list_begin(&w, 3, FLOE_THRIFT_I32, cnt);
                for (k = 0; k < cnt; k++)
                    floe_thrift_write_elem_i32(&w, (int32_t)test_rand());
                floe_thrift_write_list_end(&w);
                floe_thrift_write_struct_end(&w);
            }
        }
        n = floe_thrift_writer_finish(&w);
        REQUIRE(n > 0);
        CHECK_EQ_INT(floe_thrift_dump(buf, (size_t)n, NULL, NULL), n);
        floe_thrift_reader_init(&r, buf, (size_t)n);
        i = 0;
        while ((t = floe_thrift_read_field_header(&r, NULL, &id)) > 0) {
            if (t == FLOE_THRIFT_I64) {
                int64_t v;
                REQUIRE(i < nf);
                CHECK_EQ_INT(id, ids[i]);
                floe_thrift_read_i64(&r, &v);
                CHECK(v == vals[i]);
                i++;
            } else {
                CHECK_EQ_INT(floe_thrift_skip(&r, t), FLOE_OK);
            }
        }
        CHECK_EQ_INT(t, FLOE_THRIFT_STOP);
        CHECK_EQ_INT(i, nf);
        CHECK_EQ_INT(r.pos, (size_t)n);
    }
}
