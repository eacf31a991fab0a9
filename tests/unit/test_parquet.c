/* The Parquet writer and the file roller: statistics, codecs, row-group and
 * file limits, rolling by age/idle/bytes/rows, and the facts of a sealed file.
 * Files are read back with floe's Thrift reader (the footer) and, for ZSTD
 * pages, zstd's decoder; no heap (static buffers). */
#include "test.h"
#include "floe/floe.h"
#include "floe/parquet.h"
#include "floe/roll.h"
#include "floe/crc32c.h"
#include "floe/sha256.h"
#include "core/internal.h"
#include "parquet/encoding.h"
#include "parquet/stats.h"
#include "parquet/thrift.h"
#include <stdlib.h>
#include "floe_emufs.h"
#ifdef FLOE_ZSTD_COMPRESS
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#endif

/* ---- the file, as a reader sees it ------------------------------------------ */

#define MAX_RG 70
#define MAX_COLS 8

struct chunk_facts {
    int32_t codec;
    int64_t num_values, null_count, data_offset, dict_offset;
    uint32_t encodings; /* bit e set: Encoding e in the chunk's list */
    int has_min, has_max, min_exact, max_exact; /* exact: -1 when absent */
    uint8_t min[64], max[64];
    size_t min_len, max_len;
    int64_t total_comp;
    int64_t offset_index_at, column_index_at; /* -1: none */
    int32_t offset_index_len, column_index_len;
};

struct footer_facts {
    int64_t num_rows;
    uint32_t n_rgs, n_cols;
    int64_t rg_rows[MAX_RG], rg_comp[MAX_RG];
    struct chunk_facts c[MAX_RG][MAX_COLS];
};

static struct footer_facts ff;

static int read_stats(struct floe_thrift_reader *r, struct chunk_facts *c)
{
    int t, b;
    int16_t id;
    const uint8_t *p;
    size_t n;
    FLOE_TRY(floe_thrift_read_struct_begin(r));
    while ((t = floe_thrift_read_field_header(r, NULL, &id)) > 0) {
        if (id == 3)
            FLOE_TRY(floe_thrift_read_i64(r, &c->null_count));
        else if ((id == 5 || id == 6) && t == FLOE_THRIFT_BINARY) {
            FLOE_TRY(floe_thrift_read_binary(r, &p, &n));
            if (n > sizeof c->min)
                return FLOE_ERR_MALFORMED;
            memcpy(id == 5 ? c->max : c->min, p, n);
            *(id == 5 ? &c->max_len : &c->min_len) = n;
            *(id == 5 ? &c->has_max : &c->has_min) = 1;
        } else if (id == 7 || id == 8) {
            FLOE_TRY(floe_thrift_read_bool(r, t, &b));
            *(id == 7 ? &c->max_exact : &c->min_exact) = b;
        } else
            FLOE_TRY(floe_thrift_skip(r, t));
    }
    return t;
}

static int read_column_meta(struct floe_thrift_reader *r, struct chunk_facts *c)
{
    int t;
    int16_t id;
    FLOE_TRY(floe_thrift_read_struct_begin(r));
    while ((t = floe_thrift_read_field_header(r, NULL, &id)) > 0) {
        if (id == 2) {
            int et;
            uint32_t n, k;
            FLOE_TRY(floe_thrift_read_list_header(r, &et, &n));
            for (k = 0; k < n; k++) {
                int32_t e;
                FLOE_TRY(floe_thrift_read_i32(r, &e));
                if (e >= 0 && e < 32)
                    c->encodings |= 1u << e;
            }
        } else if (id == 4)
            FLOE_TRY(floe_thrift_read_i32(r, &c->codec));
        else if (id == 5)
            FLOE_TRY(floe_thrift_read_i64(r, &c->num_values));
        else if (id == 9)
            FLOE_TRY(floe_thrift_read_i64(r, &c->data_offset));
        else if (id == 11)
            FLOE_TRY(floe_thrift_read_i64(r, &c->dict_offset));
        else if (id == 7)
            FLOE_TRY(floe_thrift_read_i64(r, &c->total_comp));
        else if (id == 12)
            FLOE_TRY(read_stats(r, c));
        else
            FLOE_TRY(floe_thrift_skip(r, t));
    }
    return t;
}

static int read_row_group(struct floe_thrift_reader *r, uint32_t g)
{
    int t, et;
    int16_t id;
    uint32_t n, i;
    FLOE_TRY(floe_thrift_read_struct_begin(r));
    while ((t = floe_thrift_read_field_header(r, NULL, &id)) > 0) {
        if (id == 1) {
            FLOE_TRY(floe_thrift_read_list_header(r, &et, &n));
            if (n > MAX_COLS)
                return FLOE_ERR_LIMIT;
            ff.n_cols = n;
            for (i = 0; i < n; i++) {
                int ct;
                int16_t cid;
                struct chunk_facts *c = &ff.c[g][i];
                memset(c, 0, sizeof *c);
                c->min_exact = c->max_exact = -1;
                c->dict_offset = -1;
                c->offset_index_at = c->column_index_at = -1;
                FLOE_TRY(floe_thrift_read_struct_begin(r));
                while ((ct = floe_thrift_read_field_header(r, NULL, &cid)) > 0) {
                    if (cid == 3)
                        FLOE_TRY(read_column_meta(r, c));
                    else if (cid == 4)
                        FLOE_TRY(floe_thrift_read_i64(r, &c->offset_index_at));
                    else if (cid == 5)
                        FLOE_TRY(floe_thrift_read_i32(r, &c->offset_index_len));
                    else if (cid == 6)
                        FLOE_TRY(floe_thrift_read_i64(r, &c->column_index_at));
                    else if (cid == 7)
                        FLOE_TRY(floe_thrift_read_i32(r, &c->column_index_len));
                    else
                        FLOE_TRY(floe_thrift_skip(r, ct));
                }
                FLOE_TRY(ct);
            }
        } else if (id == 3) {
            FLOE_TRY(floe_thrift_read_i64(r, &ff.rg_rows[g]));
        } else if (id == 6) {
            FLOE_TRY(floe_thrift_read_i64(r, &ff.rg_comp[g]));
        } else
            FLOE_TRY(floe_thrift_skip(r, t));
    }
    return t;
}

/* Parses file[0..n)'s footer into ff. */
static int read_footer(const uint8_t *file, size_t n)
{
    struct floe_thrift_reader r;
    uint32_t flen, g, count;
    int t, et;
    int16_t id;
    memset(&ff, 0, sizeof ff);
    if (n < 12 || memcmp(file, "PAR1", 4) != 0 || memcmp(file + n - 4, "PAR1", 4) != 0)
        return FLOE_ERR_MALFORMED;
    flen = (uint32_t)file[n - 8] | (uint32_t)file[n - 7] << 8 | (uint32_t)file[n - 6] << 16 |
           (uint32_t)file[n - 5] << 24;
    if (flen > n - 12)
        return FLOE_ERR_MALFORMED;
    floe_thrift_reader_init(&r, file + n - 8 - flen, flen);
    while ((t = floe_thrift_read_field_header(&r, NULL, &id)) > 0) {
        if (id == 3)
            FLOE_TRY(floe_thrift_read_i64(&r, &ff.num_rows));
        else if (id == 4) {
            FLOE_TRY(floe_thrift_read_list_header(&r, &et, &count));
            if (count > MAX_RG)
                return FLOE_ERR_LIMIT;
            ff.n_rgs = count;
            for (g = 0; g < count; g++)
                FLOE_TRY(read_row_group(&r, g));
        } else
            FLOE_TRY(floe_thrift_skip(&r, t));
    }
    return t;
}

static int64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return (int64_t)v;
}

static int32_t le32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static double le_double(const uint8_t *p)
{
    uint64_t b = (uint64_t)le64(p);
    double d;
    memcpy(&d, &b, 8);
    return d;
}

static float le_float(const uint8_t *p)
{
    uint32_t b = (uint32_t)le32(p);
    float f;
    memcpy(&f, &b, 4);
    return f;
}

/* ---- a writer on a memory sink ---------------------------------------------------- */

static uint8_t file_buf[4u << 20];
static size_t file_len;
static uint64_t pq_mem[(3u << 20) / 8];

static int mem_write(void *ctx, const void *data, size_t n)
{
    (void)ctx;
    if (n > sizeof file_buf - file_len)
        return FLOE_ERR_NOSPC;
    memcpy(file_buf + file_len, data, n);
    file_len += n;
    return FLOE_OK;
}

static const struct floe_parquet_sink mem_sink = {NULL, mem_write};
static struct floe_parquet pq;
static struct floe_parquet_config pcfg;
static struct floe_schema schema;
static struct floe_column columns[MAX_COLS];

static void small_config(struct floe_parquet_config *c, const struct floe_schema *sc, int codec)
{
    memset(c, 0, sizeof *c);
    c->schema = sc;
    c->codec = (uint8_t)codec;
    c->page_bytes = 4096;
    c->row_group_bytes = 64 * 1024;
    c->dict_pool_bytes = 32 * 1024;
    c->dict_entries = 256;
    c->dict_bytes = 4096;
}

/* The schema: one column "c" of the given type. */
static void one_column(int type, int nullable)
{
    memset(columns, 0, sizeof columns);
    columns[0].name = "c";
    columns[0].type = (uint8_t)type;
    columns[0].nullable = (uint8_t)nullable;
    schema.columns = columns;
    schema.n_columns = 1;
    schema.extra = 0;
}

/* Sets the writer up with pcfg and opens a file on the memory sink. */
static int open_configured(void)
{
    struct floe_arena a;
    if (floe_parquet_size(&pcfg) == 0 || floe_parquet_size(&pcfg) > sizeof pq_mem)
        return FLOE_ERR_NOMEM;
    floe_arena_init(&a, pq_mem, sizeof pq_mem);
    floe_parquet_init(&pq);
    FLOE_TRY(floe_parquet_setup(&pq, &pcfg, &a));
    file_len = 0;
    return floe_parquet_open(&pq, &mem_sink);
}

/* One column of the given type, small budgets; opens a file. */
static int open_one(int type, int nullable, int codec)
{
    one_column(type, nullable);
    small_config(&pcfg, &schema, codec);
    return open_configured();
}

static int put_i64(int64_t v)
{
    struct floe_value x;
    memset(&x, 0, sizeof x);
    x.v.i64 = v;
    return floe_parquet_write_row(&pq, &x);
}

static int put_null(void)
{
    struct floe_value x;
    memset(&x, 0, sizeof x);
    x.is_null = 1;
    return floe_parquet_write_row(&pq, &x);
}

static int put_double(double d)
{
    struct floe_value x;
    memset(&x, 0, sizeof x);
    x.v.f64 = d;
    return floe_parquet_write_row(&pq, &x);
}

static int put_float(float f)
{
    struct floe_value x;
    memset(&x, 0, sizeof x);
    x.v.f32 = f;
    return floe_parquet_write_row(&pq, &x);
}

static int put_str(const char *s, size_t n)
{
    struct floe_value x;
    memset(&x, 0, sizeof x);
    x.v.str.ptr = s;
    x.v.str.len = (uint32_t)n;
    return floe_parquet_write_row(&pq, &x);
}

/* Closes the file and parses its footer. */
static int close_and_read(void)
{
    FLOE_TRY(floe_parquet_close(&pq));
    return read_footer(file_buf, file_len);
}

/* ---- statistics ----------------------------------------------------------------- */

TEST(parquet_stats_signed_order_int64_and_int32)
{
    static const int64_t v64[] = {5, -3, INT64_MIN, 7, INT64_MAX, -1};
    static const int64_t v32[] = {-2147483647 - 1, 12, -1, 2147483647, 0};
    size_t i;
    REQUIRE(open_one(FLOE_TYPE_INT64, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    for (i = 0; i < sizeof v64 / sizeof v64[0]; i++)
        REQUIRE(put_i64(v64[i]) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.n_rgs == 1 && ff.c[0][0].has_min && ff.c[0][0].has_max);
    CHECK_EQ_INT(ff.c[0][0].min_len, 8);
    CHECK(le64(ff.c[0][0].min) == INT64_MIN);
    CHECK(le64(ff.c[0][0].max) == INT64_MAX);
    CHECK_EQ_INT(ff.c[0][0].min_exact, 1);
    CHECK_EQ_INT(ff.c[0][0].max_exact, 1);
    CHECK_EQ_INT(ff.num_rows, 6);

    REQUIRE(open_one(FLOE_TYPE_INT32, 0, FLOE_PARQUET_UNCOMPRESSED) == FLOE_OK);
    for (i = 0; i < sizeof v32 / sizeof v32[0]; i++)
        REQUIRE(put_i64(v32[i]) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.c[0][0].min_len, 4);
    CHECK_EQ_INT(le32(ff.c[0][0].min), -2147483647 - 1);
    CHECK_EQ_INT(le32(ff.c[0][0].max), 2147483647);
}

/* Dictionary-encoded values update the statistics once, when they enter
 * the dictionary: bounds from repeats, from values that only ever repeat an
 * early entry, and after the fallback to PLAIN are all still right. */
TEST(parquet_stats_from_dictionary_entries_and_after_fallback)
{
    static const char *const words[] = {"m", "b", "m", "z", "b", "b", "z", "m"};
    size_t i;
    REQUIRE(open_one(FLOE_TYPE_STRING, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    for (i = 0; i < 400; i++)
        REQUIRE(put_str(words[i % 8], 1) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.c[0][0].has_min && ff.c[0][0].has_max);
    CHECK(ff.c[0][0].min_len == 1 && ff.c[0][0].min[0] == 'b');
    CHECK(ff.c[0][0].max_len == 1 && ff.c[0][0].max[0] == 'z');
    /* Distinct ints: the dictionary gives up after a while; the extremes
     * come late, in the PLAIN part, and early, in the dictionary part. */
    REQUIRE(open_one(FLOE_TYPE_INT64, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    REQUIRE(put_i64(-777) == FLOE_OK);
    for (i = 0; i < 5000; i++)
        REQUIRE(put_i64((int64_t)(i * 7919u % 5000u)) == FLOE_OK);
    REQUIRE(put_i64(-777) == FLOE_OK);
    REQUIRE(put_i64(123456789) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK(le64(ff.c[0][0].min) == -777);
    CHECK(le64(ff.c[0][0].max) == 123456789);
}

/* Parquet's Encoding values. */
#define ENC_BIT_DELTA_BINARY_PACKED (1u << 5)
#define ENC_BIT_RLE_DICTIONARY (1u << 8)
#define ENC_BIT_BYTE_STREAM_SPLIT (1u << 9)

/* The default dictionary budget, with a file-sized row group. */
static int open_one_default_dict_paged(int type, int codec, uint32_t page_bytes)
{
    one_column(type, 0);
    memset(&pcfg, 0, sizeof pcfg);
    pcfg.schema = &schema;
    pcfg.codec = (uint8_t)codec;
    pcfg.page_bytes = page_bytes;
    pcfg.row_group_bytes = 512 * 1024;
    return open_configured();
}

static int open_one_default_dict(int type)
{
    return open_one_default_dict_paged(type, FLOE_PARQUET_SNAPPY, 8192);
}

/* A reading with 12,000 possible values (one of every 100 hundredths from
 * 0 to 120): its first 1,024 distinct values come about 96% new, and a
 * 20,000-row chunk holds some 9,700 of them. The dictionary must keep it:
 * more than 8,192 entries of 8 bytes (the string budget, 64 KiB, does not
 * apply) and not given up for being "mostly new" at 1,024. Distinct doubles
 * do give up, and integers keep the 90% rule. */
TEST(parquet_dictionary_keeps_a_reading_of_thousands_of_values)
{
    uint64_t x = 88172645463325252ull;
    uint32_t i;
    REQUIRE(open_one_default_dict(FLOE_TYPE_DOUBLE) == FLOE_OK);
    for (i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        REQUIRE(put_double((double)(x % 12000u) / 100.0) == FLOE_OK);
    }
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.n_rgs == 1);
    CHECK(ff.c[0][0].dict_offset > 0);
    CHECK(ff.c[0][0].encodings & ENC_BIT_RLE_DICTIONARY);
    CHECK_EQ_INT(ff.c[0][0].encodings & ENC_BIT_BYTE_STREAM_SPLIT, 0);

    REQUIRE(open_one_default_dict(FLOE_TYPE_DOUBLE) == FLOE_OK);
    for (i = 0; i < 5000; i++)
        REQUIRE(put_double(i * 0.5) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK(ff.c[0][0].encodings & ENC_BIT_BYTE_STREAM_SPLIT);

    REQUIRE(open_one_default_dict(FLOE_TYPE_INT64) == FLOE_OK);
    for (i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        REQUIRE(put_i64((int64_t)(x % 12000u)) == FLOE_OK);
    }
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.c[0][0].encodings & ENC_BIT_RLE_DICTIONARY, ENC_BIT_RLE_DICTIONARY);
    CHECK(ff.c[0][0].encodings & ENC_BIT_DELTA_BINARY_PACKED); /* after 1,024 entries */
}

static int64_t dict_page_bytes(void)
{
    return ff.c[0][0].dict_offset >= 0 ? ff.c[0][0].data_offset - ff.c[0][0].dict_offset : 0;
}

static int put_f64_all(double from, double step, int64_t n, int64_t mod)
{
    int64_t i;
    for (i = 0; i < n; i++)
        FLOE_TRY(put_double(from + step * (double)(mod ? i % mod : i)));
    return FLOE_OK;
}

/* A column whose dictionary gave up in the last file (readings that never
 * repeat) tries it for 128 entries in the next, not 1,024: its dictionary
 * page there is an eighth. A column that gave up and then repeats keeps its
 * dictionary, and the trial after that is the long one again. */
TEST(parquet_dictionary_that_gave_up_gets_a_short_trial_in_the_next_file)
{
    REQUIRE(open_one_default_dict_paged(FLOE_TYPE_DOUBLE, FLOE_PARQUET_UNCOMPRESSED, 8192) == FLOE_OK);
    REQUIRE(put_f64_all(1000000.5, 7, 3000, 0) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK(ff.c[0][0].encodings & ENC_BIT_BYTE_STREAM_SPLIT);
    CHECK(dict_page_bytes() > 1024 * 8); /* judged at 1,024 */
    file_len = 0;
    REQUIRE(floe_parquet_open(&pq, &mem_sink) == FLOE_OK);
    REQUIRE(put_f64_all(2000000.5, 7, 3000, 0) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK(ff.c[0][0].encodings & ENC_BIT_BYTE_STREAM_SPLIT);
    CHECK(dict_page_bytes() > 128 * 8 && dict_page_bytes() < 130 * 8 + 64); /* judged at 128 */

    file_len = 0;
    REQUIRE(floe_parquet_open(&pq, &mem_sink) == FLOE_OK);
    REQUIRE(put_f64_all(0.5, 1, 3000, 5) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.c[0][0].encodings & (ENC_BIT_RLE_DICTIONARY | ENC_BIT_BYTE_STREAM_SPLIT), ENC_BIT_RLE_DICTIONARY);
    /* It kept it: the next file judges at 1,024 again, so 300 values that
     * come all new at first keep theirs. */
    file_len = 0;
    REQUIRE(floe_parquet_open(&pq, &mem_sink) == FLOE_OK);
    REQUIRE(put_f64_all(0.5, 1, 3000, 300) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.c[0][0].encodings & (ENC_BIT_RLE_DICTIONARY | ENC_BIT_BYTE_STREAM_SPLIT), ENC_BIT_RLE_DICTIONARY);
}

/* Integers are judged at 128 entries from the first file: a counter's
 * dictionary page holds 129 values, not 1,025 (its values go DELTA, which
 * suits it), while a code of a few hundred values keeps its dictionary. */
TEST(parquet_integer_dictionaries_get_the_short_trial)
{
    int64_t i;
    REQUIRE(open_one_default_dict_paged(FLOE_TYPE_INT64, FLOE_PARQUET_UNCOMPRESSED, 8192) == FLOE_OK);
    for (i = 0; i < 3000; i++)
        REQUIRE(put_i64(1000000 + i * 7) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK(ff.c[0][0].encodings & ENC_BIT_DELTA_BINARY_PACKED);
    CHECK(dict_page_bytes() > 128 * 8 && dict_page_bytes() < 130 * 8 + 64);

    file_len = 0;
    REQUIRE(floe_parquet_open(&pq, &mem_sink) == FLOE_OK);
    for (i = 0; i < 3000; i++) { /* 200 codes in random order: about 90 of the first 128 new */
        uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ull;
        REQUIRE(put_i64((int64_t)((x >> 40) % 200u)) == FLOE_OK);
    }
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.c[0][0].encodings & (ENC_BIT_RLE_DICTIONARY | ENC_BIT_DELTA_BINARY_PACKED),
                 ENC_BIT_RLE_DICTIONARY);
}

/* 20 columns, 4 of them strings, leave a 1 MiB row group no sure room with
 * 32 KiB pages (a sort window would be refused); the roomy page size does,
 * and a narrow schema keeps the default. */
TEST(parquet_roomy_pages_leave_wide_row_groups_room)
{
    static const char *const names[MAX_COLS] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    struct floe_arena a;
    uint32_t i, roomy;
    memset(columns, 0, sizeof columns);
    for (i = 0; i < MAX_COLS; i++) {
        columns[i].name = names[i];
        columns[i].type = (uint8_t)(i % 2 ? FLOE_TYPE_STRING : FLOE_TYPE_INT64);
        columns[i].nullable = 1;
    }
    schema.columns = columns;
    schema.n_columns = MAX_COLS; /* 8 columns, 4 strings, and _extra */
    schema.extra = 1;
    memset(&pcfg, 0, sizeof pcfg);
    pcfg.schema = &schema;
    pcfg.row_group_bytes = 512 * 1024; /* as tight as 20 columns in 1 MiB */
    roomy = floe_parquet_roomy_page_bytes(&pcfg);
    CHECK(roomy >= 4096 && roomy < FLOE_PARQUET_DEFAULT_PAGE_BYTES);
    floe_arena_init(&a, pq_mem, sizeof pq_mem);
    floe_parquet_init(&pq);
    REQUIRE(floe_parquet_setup(&pq, &pcfg, &a) == FLOE_OK);
    CHECK(floe_parquet_sure_room(&pq) == 0);
    pcfg.page_bytes = roomy;
    floe_arena_init(&a, pq_mem, sizeof pq_mem);
    floe_parquet_init(&pq);
    REQUIRE(floe_parquet_setup(&pq, &pcfg, &a) == FLOE_OK);
    CHECK(floe_parquet_sure_room(&pq) > 0);
    pcfg.page_bytes = roomy * 2;
    CHECK_EQ_INT(floe_parquet_roomy_page_bytes(&pcfg), roomy); /* halved from a page size given */

    one_column(FLOE_TYPE_STRING, 1);
    memset(&pcfg, 0, sizeof pcfg);
    pcfg.schema = &schema;
    CHECK_EQ_INT(floe_parquet_roomy_page_bytes(&pcfg), FLOE_PARQUET_DEFAULT_PAGE_BYTES);
}

/* A string much longer than the dictionary's starting byte budget (4 KiB)
 * grows it as often as it takes, not once, and the column keeps its
 * dictionary: a repeated 20,000-byte message is stored once. */
TEST(parquet_dictionary_grows_to_a_long_string)
{
    static char msg[20000];
    uint32_t i;
    memset(msg, 'm', sizeof msg);
    REQUIRE(open_one_default_dict_paged(FLOE_TYPE_STRING, FLOE_PARQUET_UNCOMPRESSED, 32768) == FLOE_OK);
    for (i = 0; i < 50; i++)
        REQUIRE(put_str(msg, i % 2 ? sizeof msg : 3) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.n_rgs == 1);
    CHECK(ff.c[0][0].dict_offset > 0);
    CHECK_EQ_INT(ff.c[0][0].encodings & ENC_BIT_RLE_DICTIONARY, ENC_BIT_RLE_DICTIONARY);
    CHECK(file_len < 2u * sizeof msg); /* the message once, not 25 times */
}

TEST(parquet_stats_nan_never_a_bound)
{
    double nan = 0.0 / 0.0;
    REQUIRE(open_one(FLOE_TYPE_DOUBLE, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    REQUIRE(put_double(nan) == FLOE_OK);
    REQUIRE(put_double(1.5) == FLOE_OK);
    REQUIRE(put_double(nan) == FLOE_OK);
    REQUIRE(put_double(-2.25) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.c[0][0].has_min && ff.c[0][0].has_max);
    CHECK(le_double(ff.c[0][0].min) == -2.25);
    CHECK(le_double(ff.c[0][0].max) == 1.5);

    REQUIRE(open_one(FLOE_TYPE_FLOAT, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    REQUIRE(put_float(3.0f) == FLOE_OK);
    REQUIRE(put_float((float)nan) == FLOE_OK);
    REQUIRE(put_float(-0.5f) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.c[0][0].min_len, 4);
    CHECK(le_float(ff.c[0][0].min) == -0.5f);
    CHECK(le_float(ff.c[0][0].max) == 3.0f);

    /* Only NaN: no bounds at all (a NaN bound would mislead every reader). */
    REQUIRE(open_one(FLOE_TYPE_DOUBLE, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    REQUIRE(put_double(nan) == FLOE_OK);
    REQUIRE(put_double(-nan) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK(!ff.c[0][0].has_min && !ff.c[0][0].has_max);
    CHECK_EQ_INT(ff.c[0][0].num_values, 2);
}

TEST(parquet_stats_zero_bounds_cover_both_signs)
{
    /* Readers compare -0.0 == +0.0: a chunk of zeros has bounds -0.0..+0.0
     * whichever sign was written. */
    static const double cases[2] = {0.0, -0.0};
    int k;
    for (k = 0; k < 2; k++) {
        REQUIRE(open_one(FLOE_TYPE_DOUBLE, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
        REQUIRE(put_double(cases[k]) == FLOE_OK);
        REQUIRE(close_and_read() == FLOE_OK);
        CHECK_EQ_U64((uint64_t)le64(ff.c[0][0].min), 0x8000000000000000ull);
        CHECK_EQ_U64((uint64_t)le64(ff.c[0][0].max), 0);
    }
    REQUIRE(open_one(FLOE_TYPE_FLOAT, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    REQUIRE(put_float(-0.0f) == FLOE_OK);
    REQUIRE(put_float(2.0f) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_U64((uint32_t)le32(ff.c[0][0].min), 0x80000000u);
    CHECK(le_float(ff.c[0][0].max) == 2.0f);
}

TEST(parquet_stats_strings_byte_order)
{
    /* "é" (C3 A9) sorts after "z" byte-wise; "" before everything. */
    REQUIRE(open_one(FLOE_TYPE_STRING, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    REQUIRE(put_str("b", 1) == FLOE_OK);
    REQUIRE(put_str("\xc3\xa9", 2) == FLOE_OK);
    REQUIRE(put_str("z", 1) == FLOE_OK);
    REQUIRE(put_str("ab", 2) == FLOE_OK);
    REQUIRE(put_str("a", 1) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.c[0][0].min_len, 1);
    CHECK_EQ_MEM(ff.c[0][0].min, "a", 1);
    CHECK_EQ_INT(ff.c[0][0].max_len, 2);
    CHECK_EQ_MEM(ff.c[0][0].max, "\xc3\xa9", 2);

    REQUIRE(open_one(FLOE_TYPE_STRING, 1, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    REQUIRE(put_str("x", 1) == FLOE_OK);
    REQUIRE(put_null() == FLOE_OK);
    REQUIRE(put_str("", 0) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK(ff.c[0][0].has_min);
    CHECK_EQ_INT(ff.c[0][0].min_len, 0);
    CHECK_EQ_MEM(ff.c[0][0].max, "x", 1);
    CHECK_EQ_INT(ff.c[0][0].null_count, 1);
}

TEST(parquet_stats_all_null_column)
{
    int i;
    REQUIRE(open_one(FLOE_TYPE_INT64, 1, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    for (i = 0; i < 100; i++)
        REQUIRE(put_null() == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.c[0][0].num_values, 100);
    CHECK_EQ_INT(ff.c[0][0].null_count, 100);
    CHECK(!ff.c[0][0].has_min && !ff.c[0][0].has_max);
    /* A required column refuses a null, and the row leaves nothing behind. */
    REQUIRE(open_one(FLOE_TYPE_INT64, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    CHECK_EQ_INT(put_null(), FLOE_ERR_MISSING);
    CHECK_EQ_INT(put_i64(4), FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.num_rows, 1);
}

/* ---- truncated string bounds ---------------------------------------------------- */

TEST(parquet_stat_prefix_cuts_on_characters)
{
    uint8_t s[40];
    memset(s, 'a', sizeof s);
    CHECK_EQ_INT(floe_stat_prefix(s, 10, 32), 10);
    CHECK_EQ_INT(floe_stat_prefix(s, 32, 32), 32);
    CHECK_EQ_INT(floe_stat_prefix(s, 40, 32), 32);
    /* a 2-byte character across the cut: the cut moves before it */
    s[31] = 0xC3;
    s[32] = 0xA9;
    CHECK_EQ_INT(floe_stat_prefix(s, 40, 32), 31);
    /* a 4-byte character ending at the cut stays whole */
    memcpy(s + 28, "\xf0\x9f\x98\x80", 4);
    s[32] = 'a';
    CHECK_EQ_INT(floe_stat_prefix(s, 40, 32), 32);
}

TEST(parquet_stat_upper_increments_the_last_character)
{
    uint8_t p[8];
    memcpy(p, "abc", 3);
    REQUIRE(floe_stat_upper(p, 3, 8) == 3);
    CHECK_EQ_MEM(p, "abd", 3);
    /* U+007F -> U+0080 needs one more byte: fits in 8 */
    memcpy(p, "a\x7f", 2);
    REQUIRE(floe_stat_upper(p, 2, 8) == 3);
    CHECK_EQ_MEM(p, "a\xc2\x80", 3);
    /* ... but not in 2: the character before is incremented instead */
    memcpy(p, "a\x7f", 2);
    REQUIRE(floe_stat_upper(p, 2, 2) == 1);
    CHECK_EQ_MEM(p, "b", 1);
    /* U+00E9 -> U+00EA */
    memcpy(p, "x\xc3\xa9", 3);
    REQUIRE(floe_stat_upper(p, 3, 8) == 3);
    CHECK_EQ_MEM(p, "x\xc3\xaa", 3);
    /* U+D7FF -> U+E000 (no surrogates) */
    memcpy(p, "\xed\x9f\xbf", 3);
    REQUIRE(floe_stat_upper(p, 3, 8) == 3);
    CHECK_EQ_MEM(p, "\xee\x80\x80", 3);
    /* U+10FFFF has no successor: dropped, "q" becomes "r" */
    memcpy(p, "q\xf4\x8f\xbf\xbf", 5);
    REQUIRE(floe_stat_upper(p, 5, 8) == 1);
    CHECK_EQ_MEM(p, "r", 1);
    /* not UTF-8: bytes, trailing 0xFF dropped */
    memcpy(p, "ab\xff\xff", 4);
    REQUIRE(floe_stat_upper(p, 4, 8) == 2);
    CHECK_EQ_MEM(p, "ac", 2);
    memcpy(p, "\x80", 1);
    REQUIRE(floe_stat_upper(p, 1, 8) == 1);
    CHECK_EQ_MEM(p, "\x81", 1);
    /* nothing sorts after all-0xFF in as many bytes */
    memset(p, 0xFF, 4);
    CHECK_EQ_INT(floe_stat_upper(p, 4, 8), 0);
    CHECK_EQ_INT(floe_stat_upper(p, 0, 8), 0);
}

/* The bound must sort after every string that starts with the prefix, and
 * the prefix before them: checked on random byte strings, mostly UTF-8-ish. */
TEST(parquet_stat_bounds_hold_for_random_strings)
{
    static const uint8_t alphabet[] = {'a', 'z', 0x7F, 0xC3, 0xA9, 0xBF, 0xED, 0x9F, 0xF4, 0x8F, 0x80, 0xFF, 0x00};
    uint8_t s[48], up[32];
    int i;
    test_seed(4242);
    for (i = 0; i < 20000; i++) {
        size_t len = 33 + test_rand() % 15, j, pre, n;
        for (j = 0; j < len; j++)
            s[j] = alphabet[test_rand() % sizeof alphabet];
        pre = floe_stat_prefix(s, len, 32);
        REQUIRE(pre <= 32 && memcmp(s, s, pre) == 0);
        memcpy(up, s, pre);
        n = floe_stat_upper(up, pre, 32);
        if (n == 0) {
            for (j = 0; j < pre; j++)
                REQUIRE(s[j] == 0xFF);
            continue;
        }
        REQUIRE(n <= 32);
        /* up > s byte-wise, and differs within its own length */
        {
            size_t k = n < len ? n : len;
            int r = memcmp(up, s, k);
            if (r <= 0) {
                test_fail(__FILE__, __LINE__, "case %d: upper bound not above the string", i);
                return;
            }
        }
    }
}

TEST(parquet_stats_long_strings_give_inexact_bounds)
{
    char a40[41], b33[34], m32[33];
    memset(a40, 'a', 40);
    a40[40] = '\0';
    memset(b33, 'b', 33);
    b33[33] = '\0';
    memset(m32, 'm', 32);
    m32[32] = '\0';

    /* one long value: prefix below, incremented prefix above */
    REQUIRE(open_one(FLOE_TYPE_STRING, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    REQUIRE(put_str(a40, 40) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.c[0][0].has_min && ff.c[0][0].has_max);
    CHECK_EQ_INT(ff.c[0][0].min_len, 32);
    CHECK_EQ_MEM(ff.c[0][0].min, a40, 32);
    CHECK_EQ_INT(ff.c[0][0].min_exact, 0);
    CHECK_EQ_INT(ff.c[0][0].max_len, 32);
    CHECK_EQ_MEM(ff.c[0][0].max, a40, 31);
    CHECK_EQ_INT(ff.c[0][0].max[31], 'b');
    CHECK_EQ_INT(ff.c[0][0].max_exact, 0);

    /* a short exact min, a long max */
    REQUIRE(open_one(FLOE_TYPE_STRING, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    REQUIRE(put_str(m32, 32) == FLOE_OK);
    REQUIRE(put_str(b33, 33) == FLOE_OK);
    REQUIRE(put_str("abc", 3) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.c[0][0].min_len, 3);
    CHECK_EQ_INT(ff.c[0][0].min_exact, 1);
    CHECK_EQ_INT(ff.c[0][0].max_len, 32);
    CHECK_EQ_MEM(ff.c[0][0].max, m32, 32); /* "mmm..." (32, exact) > "bbb...c" */
    CHECK_EQ_INT(ff.c[0][0].max_exact, 1);

    /* a value equal to a truncated bound makes it exact */
    REQUIRE(open_one(FLOE_TYPE_STRING, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    REQUIRE(put_str(a40, 40) == FLOE_OK);
    REQUIRE(put_str(a40, 32) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.c[0][0].min_len, 32);
    CHECK_EQ_INT(ff.c[0][0].min_exact, 1);
    CHECK_EQ_INT(ff.c[0][0].max_exact, 0);
}

TEST(parquet_stats_no_upper_bound_keeps_the_min)
{
    static char ff40[40];
    memset(ff40, 0xFF, sizeof ff40);
    REQUIRE(open_one(FLOE_TYPE_STRING, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    REQUIRE(put_str("k", 1) == FLOE_OK);
    REQUIRE(put_str(ff40, sizeof ff40) == FLOE_OK);
    REQUIRE(put_str("a", 1) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK(!ff.c[0][0].has_max);
    CHECK_EQ_INT(ff.c[0][0].max_exact, -1);
    REQUIRE(ff.c[0][0].has_min);
    CHECK_EQ_MEM(ff.c[0][0].min, "a", 1);
    CHECK_EQ_INT(ff.c[0][0].min_exact, 1);
}

/* ---- booleans ------------------------------------------------------------------ */

/* The header of the page at off: its encoding (data pages), sizes and length. */
static int page_at(int64_t off, int32_t *type, int32_t *encoding, int32_t *uncomp, int32_t *comp, size_t *hdr)
{
    struct floe_thrift_reader r;
    int t;
    int16_t id;
    if (off < 4 || (size_t)off >= file_len)
        return FLOE_ERR_MALFORMED;
    *encoding = -1;
    floe_thrift_reader_init(&r, file_buf + off, file_len - (size_t)off);
    while ((t = floe_thrift_read_field_header(&r, NULL, &id)) > 0) {
        if (id == 1)
            FLOE_TRY(floe_thrift_read_i32(&r, type));
        else if (id == 2)
            FLOE_TRY(floe_thrift_read_i32(&r, uncomp));
        else if (id == 3)
            FLOE_TRY(floe_thrift_read_i32(&r, comp));
        else if (id == 5) { /* DataPageHeader */
            int st;
            int16_t sid;
            FLOE_TRY(floe_thrift_read_struct_begin(&r));
            while ((st = floe_thrift_read_field_header(&r, NULL, &sid)) > 0) {
                if (sid == 2)
                    FLOE_TRY(floe_thrift_read_i32(&r, encoding));
                else
                    FLOE_TRY(floe_thrift_skip(&r, st));
            }
            FLOE_TRY(st);
        } else
            FLOE_TRY(floe_thrift_skip(&r, t));
    }
    FLOE_TRY(t);
    *hdr = r.pos;
    return (size_t)off + r.pos + (size_t)*comp <= file_len ? FLOE_OK : FLOE_ERR_MALFORMED;
}

TEST(parquet_booleans_are_rle_hybrid)
{
    static uint8_t want[3000];
    static uint32_t got[3000];
    struct floe_value x;
    int32_t type = -1, enc, uncomp = -1, comp = -1;
    size_t hdr, i;
    uint32_t len;
    /* long runs, then a stretch of random flags */
    for (i = 0; i < sizeof want; i++)
        want[i] = (uint8_t)(i < 1000 ? 1 : i < 2000 ? 0 : (test_rand() >> 7) & 1u);
    REQUIRE(open_one(FLOE_TYPE_BOOL, 0, FLOE_PARQUET_UNCOMPRESSED) == FLOE_OK);
    memset(&x, 0, sizeof x);
    for (i = 0; i < sizeof want; i++) {
        x.v.b = want[i] ? 7 : 0; /* any nonzero is true */
        REQUIRE(floe_parquet_write_row(&pq, &x) == FLOE_OK);
    }
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.n_rgs == 1 && ff.c[0][0].dict_offset < 0);
    CHECK_EQ_INT(ff.c[0][0].min[0], 0);
    CHECK_EQ_INT(ff.c[0][0].max[0], 1);
    REQUIRE(page_at(ff.c[0][0].data_offset, &type, &enc, &uncomp, &comp, &hdr) == FLOE_OK);
    CHECK_EQ_INT(type, 0);
    CHECK_EQ_INT(enc, 3); /* RLE */
    CHECK_EQ_INT(uncomp, comp);
    /* data page v1: a 4-byte length, then the hybrid runs */
    REQUIRE(uncomp >= 4);
    len = (uint32_t)le32(file_buf + ff.c[0][0].data_offset + hdr);
    CHECK_EQ_INT(len + 4u, uncomp);
    /* runs of 1000 shrink to a few bytes: far below PLAIN's 375 */
    CHECK(uncomp < 4 + 8 + 1000 / 8 + 1000 / 8 / 63 + 2);
    REQUIRE(floe_rle_decode(file_buf + ff.c[0][0].data_offset + hdr + 4, len, 1, got, sizeof want) == (int)len);
    for (i = 0; i < sizeof want; i++)
        if (got[i] != want[i]) {
            test_fail(__FILE__, __LINE__, "value %zu: %u != %u", i, got[i], want[i]);
            break;
        }
}

/* ---- codecs, row groups ------------------------------------------------------------ */

/* Limits past what the dictionaries take are refused at sizing: a 32-bit
 * size of 4 x 2^30 wrapped, and close failed after every row was taken. */
TEST(parquet_dictionary_limits_are_bounded)
{
    one_column(FLOE_TYPE_STRING, 0);
    small_config(&pcfg, &schema, FLOE_PARQUET_SNAPPY);
    pcfg.dict_entries = 1u << 28;
    CHECK(floe_parquet_size(&pcfg) != 0);
    pcfg.dict_entries = (1u << 28) + 1u;
    CHECK_EQ_U64(floe_parquet_size(&pcfg), 0);
    pcfg.dict_entries = 1u << 30;
    CHECK_EQ_U64(floe_parquet_size(&pcfg), 0);
    pcfg.dict_entries = 256;
    pcfg.dict_bytes = (1u << 30) + 1u;
    CHECK_EQ_U64(floe_parquet_size(&pcfg), 0);
}

TEST(parquet_codecs_supported)
{
    CHECK(floe_parquet_codec_supported(FLOE_PARQUET_SNAPPY));
    CHECK(floe_parquet_codec_supported(FLOE_PARQUET_UNCOMPRESSED));
    CHECK(!floe_parquet_codec_supported(7));
#ifdef FLOE_ZSTD_COMPRESS
    CHECK(floe_parquet_codec_supported(FLOE_PARQUET_ZSTD));
#else
    CHECK(!floe_parquet_codec_supported(FLOE_PARQUET_ZSTD));
    columns[0].name = "c";
    columns[0].type = FLOE_TYPE_INT64;
    schema.columns = columns;
    schema.n_columns = 1;
    small_config(&pcfg, &schema, FLOE_PARQUET_ZSTD);
    CHECK_EQ_INT(floe_parquet_size(&pcfg), 0);
#endif
}

#ifdef FLOE_ZSTD_COMPRESS
static uint64_t dctx_mem[(256u << 10) / 8];
static uint8_t page_out[64u << 10];

/* Decompresses the page at off with zstd's decoder; returns its uncompressed
 * size as the page header states it, or -1 when the two disagree. */
static long zstd_page(int64_t off)
{
    struct floe_thrift_reader r;
    int t;
    int16_t id;
    int32_t uncomp = -1, comp = -1;
    ZSTD_DCtx *d = ZSTD_initStaticDCtx(dctx_mem, sizeof dctx_mem);
    size_t got;
    if (d == NULL || off < 4 || (size_t)off >= file_len)
        return -1;
    floe_thrift_reader_init(&r, file_buf + off, file_len - (size_t)off);
    while ((t = floe_thrift_read_field_header(&r, NULL, &id)) > 0) {
        if (id == 2)
            floe_thrift_read_i32(&r, &uncomp);
        else if (id == 3)
            floe_thrift_read_i32(&r, &comp);
        else
            floe_thrift_skip(&r, t);
    }
    if (t != 0 || comp < 0 || uncomp < 0 || (size_t)uncomp > sizeof page_out ||
        (size_t)off + r.pos + (size_t)comp > file_len)
        return -1;
    got = ZSTD_decompressDCtx(d, page_out, sizeof page_out, file_buf + off + r.pos, (size_t)comp);
    if (ZSTD_isError(got) || got != (size_t)uncomp)
        return -1;
    return (long)got;
}

TEST(parquet_zstd_pages_decompress)
{
    int i;
    char s[16];
    REQUIRE(open_one(FLOE_TYPE_STRING, 1, FLOE_PARQUET_ZSTD) == FLOE_OK);
    for (i = 0; i < 3000; i++) {
        int n = snprintf(s, sizeof s, "dev-%d", i % 50);
        REQUIRE((i % 7 == 0 ? put_null() : put_str(s, (size_t)n)) == FLOE_OK);
    }
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.n_rgs == 1);
    CHECK_EQ_INT(ff.c[0][0].codec, 6); /* ZSTD */
    CHECK_EQ_INT(ff.c[0][0].null_count, 429);
    REQUIRE(ff.c[0][0].dict_offset > 0);
    /* the dictionary page: 50 strings of "dev-N" (4-byte length + text) */
    CHECK_EQ_INT(zstd_page(ff.c[0][0].dict_offset), 50 * 4 + 10 * 5 + 40 * 6);
    CHECK(zstd_page(ff.c[0][0].data_offset) > 0);
}

TEST(parquet_zstd_arena_counts_the_context)
{
    size_t snappy, zstd;
    columns[0].name = "c";
    columns[0].type = FLOE_TYPE_INT64;
    schema.columns = columns;
    schema.n_columns = 1;
    small_config(&pcfg, &schema, FLOE_PARQUET_SNAPPY);
    snappy = floe_parquet_size(&pcfg);
    small_config(&pcfg, &schema, FLOE_PARQUET_ZSTD);
    zstd = floe_parquet_size(&pcfg);
    CHECK(snappy > 0 && zstd > snappy);
    /* setup fails cleanly in an arena one byte short of the size */
    {
        struct floe_arena a;
        floe_arena_init(&a, pq_mem, zstd - 1);
        floe_parquet_init(&pq);
        CHECK_EQ_INT(floe_parquet_setup(&pq, &pcfg, &a), FLOE_ERR_NOMEM);
        floe_arena_init(&a, pq_mem, zstd);
        CHECK_EQ_INT(floe_parquet_setup(&pq, &pcfg, &a), FLOE_OK);
    }
}
#endif

TEST(parquet_file_full_of_row_groups_rolls_the_row_over)
{
    /* max_row_groups = 3: the third row group is the last; the row that
     * would need a fourth gets FLOE_PARQUET_FILE_FULL and is not in the file. */
    int64_t rows = 0, i;
    int err = FLOE_OK;
    struct floe_arena a;
    memset(columns, 0, sizeof columns);
    columns[0].name = "v";
    columns[0].type = FLOE_TYPE_DOUBLE;
    schema.columns = columns;
    schema.n_columns = 1;
    small_config(&pcfg, &schema, FLOE_PARQUET_UNCOMPRESSED);
    pcfg.row_group_bytes = 16 * 1024;
    pcfg.max_row_groups = 3;
    floe_arena_init(&a, pq_mem, sizeof pq_mem);
    floe_parquet_init(&pq);
    REQUIRE(floe_parquet_setup(&pq, &pcfg, &a) == FLOE_OK);
    file_len = 0;
    REQUIRE(floe_parquet_open(&pq, &mem_sink) == FLOE_OK);
    test_seed(7);
    for (i = 0; i < 100000; i++) {
        err = put_double((double)(test_rand() >> 11)); /* no dictionary: distinct values */
        if (err != FLOE_OK)
            break;
        rows++;
    }
    CHECK_EQ_INT(err, FLOE_PARQUET_FILE_FULL);
    CHECK_EQ_U64(pq.stats.rows, (uint64_t)rows);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.n_rgs, 3);
    CHECK_EQ_INT(ff.num_rows, rows);
    CHECK_EQ_INT(ff.rg_rows[0] + ff.rg_rows[1] + ff.rg_rows[2], rows);
    CHECK_EQ_INT(ff.c[2][0].num_values, ff.rg_rows[2]);
    /* the refused row opens the next file */
    file_len = 0;
    REQUIRE(floe_parquet_open(&pq, &mem_sink) == FLOE_OK);
    CHECK_EQ_INT(put_double(1.0), FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.num_rows, 1);
}

/* A refused row is refused with the reason a dead letter will carry: the
 * column and page_bytes for a value longer than a page, row_group_bytes for
 * a row whose pages would not fit even an empty row group. */
TEST(parquet_refused_rows_say_why)
{
    static char big[4000];
    struct floe_value row[7];
    struct floe_arena a;
    int i;
    CHECK_EQ_STR(floe_parquet_reject_reason(NULL), "");
    memset(big, 'x', sizeof big);
    REQUIRE(open_one(FLOE_TYPE_STRING, 0, FLOE_PARQUET_UNCOMPRESSED) == FLOE_OK);
    CHECK_EQ_INT(put_str(big, 2812 + 1), FLOE_ERR_LIMIT); /* page 4096 - 4 - 1280 of slack */
    CHECK(strstr(floe_parquet_reject_reason(&pq), "column \"c\": a value of 2813 bytes") != NULL);
    CHECK(strstr(floe_parquet_reject_reason(&pq), "page_bytes 4096") != NULL);
    CHECK_EQ_INT(put_str(big, 2812), FLOE_OK);

    memset(columns, 0, sizeof columns);
    for (i = 0; i < 7; i++) {
        static const char *const names[7] = {"s0", "s1", "s2", "s3", "s4", "s5", "s6"};
        columns[i].name = names[i];
        columns[i].type = FLOE_TYPE_STRING;
    }
    schema.columns = columns;
    schema.n_columns = 7;
    small_config(&pcfg, &schema, FLOE_PARQUET_UNCOMPRESSED);
    pcfg.row_group_bytes = 32 * 1024; /* the least config_ok takes for 7 columns */
    floe_arena_init(&a, pq_mem, sizeof pq_mem);
    floe_parquet_init(&pq);
    REQUIRE(floe_parquet_setup(&pq, &pcfg, &a) == FLOE_OK);
    file_len = 0;
    REQUIRE(floe_parquet_open(&pq, &mem_sink) == FLOE_OK);
    memset(row, 0, sizeof row);
    for (i = 0; i < 7; i++) {
        row[i].v.str.ptr = big;
        row[i].v.str.len = 2800;
    }
    CHECK_EQ_INT(floe_parquet_write_row(&pq, row), FLOE_ERR_LIMIT);
    CHECK(strstr(floe_parquet_reject_reason(&pq), "more than a whole row group (row_group_bytes 32768)") != NULL);
    CHECK_EQ_U64(pq.stats.rows, 0);
    /* Shorter values fit, and the refusal left nothing behind. */
    for (i = 0; i < 7; i++)
        row[i].v.str.len = 100;
    CHECK_EQ_INT(floe_parquet_write_row(&pq, row), FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK_EQ_INT(ff.num_rows, 1);
}

TEST(parquet_row_groups_fill_their_budget)
{
    /* Every row group but the last is full: its compressed bytes are within
     * one page's reserve of row_group_bytes and never over it; the footer's
     * counts add up to what was written, none lost or doubled at a boundary. */
    int64_t i, total = 30000, sum = 0;
    uint32_t g;
    REQUIRE(open_one(FLOE_TYPE_INT64, 0, FLOE_PARQUET_UNCOMPRESSED) == FLOE_OK);
    test_seed(11);
    for (i = 0; i < total; i++)
        REQUIRE(put_i64((int64_t)test_rand()) == FLOE_OK); /* random: delta cannot shrink them */
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.n_rgs >= 3);
    for (g = 0; g < ff.n_rgs; g++) {
        sum += ff.rg_rows[g];
        CHECK_EQ_INT(ff.c[g][0].num_values, ff.rg_rows[g]);
        CHECK(ff.rg_comp[g] <= (int64_t)pcfg.row_group_bytes);
        if (g + 1 < ff.n_rgs && ff.rg_comp[g] < (int64_t)pcfg.row_group_bytes - 3 * (int64_t)pcfg.page_bytes)
            test_fail(__FILE__, __LINE__, "row group %u holds %lld bytes of %u", g, (long long)ff.rg_comp[g],
                      pcfg.row_group_bytes);
    }
    CHECK_EQ_INT(sum, total);
    CHECK_EQ_INT(ff.num_rows, total);
}

/* ---- rolled files ------------------------------------------------------------------ */

struct fake_clock {
    uint64_t mono;
    int64_t utc;
};

static uint64_t fake_mono(void *ctx)
{
    return ((struct fake_clock *)ctx)->mono;
}

static int64_t fake_utc(void *ctx)
{
    return ((struct fake_clock *)ctx)->utc;
}

static int fake_fill(void *ctx, void *buf, size_t n)
{
    uint64_t *state = ctx;
    uint8_t *p = buf;
    size_t i;
    for (i = 0; i < n; i++) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (uint8_t)(*state >> 56);
    }
    return FLOE_OK;
}

#define MAX_FACTS 512
struct seen_file {
    char path[FLOE_ROLL_PATH_MAX];
    uint64_t size, records;
    int64_t min_ts, max_ts;
    uint32_t crc32c;
    uint8_t sha256[FLOE_SHA256_LEN];
    int continues;
};

static struct fake_clock clk;
static struct floe_clock_port clock_port = {&clk, fake_mono, fake_utc};
static uint64_t entropy_state = 3;
static struct floe_entropy_port entropy = {&entropy_state, fake_fill};
static struct floe_emufs emu;
static uint64_t emu_mem[(12u << 20) / 8];
static uint64_t roll_mem[(2u << 20) / 8];
static struct seen_file seen[MAX_FACTS];
static int n_seen;
static struct floe_roll roll;
static struct floe_roll_config rcfg;
static struct floe_column roll_cols[2];
static struct floe_schema roll_schema;

static int on_file(void *ctx, const struct floe_file_facts *f)
{
    struct seen_file *s;
    (void)ctx;
    if (n_seen == MAX_FACTS)
        return FLOE_ERR_LIMIT;
    s = &seen[n_seen++];
    snprintf(s->path, sizeof s->path, "%s", f->path);
    s->size = f->size;
    s->records = f->records;
    s->min_ts = f->min_ts;
    s->max_ts = f->max_ts;
    s->crc32c = f->crc32c;
    memcpy(s->sha256, f->sha256, sizeof s->sha256);
    s->continues = f->continues;
    return FLOE_OK;
}

static int roll_ts_nullable; /* for roll_setup's next roller */
static uint32_t roll_sort_window; /* for roll_setup's next roller: rows grouped by */
static uint16_t roll_sort_column = 1; /* ... this column (1: v) */
static uint32_t roll_source_seq;  /* roll_put_from's rows say this */
static int roll_codec = FLOE_PARQUET_SNAPPY; /* for roll_setup's next roller */
static uint16_t roll_max_rgs;                  /* for roll_setup's next roller; 0: default */
static uint8_t roll_partition;                 /* for roll_setup's next roller: partition_by */
static uint32_t roll_late_window;              /* ... and late_window_bytes */

/* A roller over a fresh emulated file system: ts (timestamp_us) and v (string). */
static int roll_setup(uint64_t file_bytes, uint64_t file_rows, uint32_t max_age_ms, uint32_t idle_ms)
{
    struct floe_emufs_config ecfg;
    struct floe_arena a;
    memset(&ecfg, 0, sizeof ecfg);
    ecfg.capacity = 4u << 20;
    if (floe_emufs_size(&ecfg) > sizeof emu_mem)
        return FLOE_ERR_NOMEM;
    FLOE_TRY(floe_emufs_init(&emu, emu_mem, sizeof emu_mem, &ecfg));
    FLOE_TRY(emu.fs.mkdir(emu.fs.ctx, "/out"));
    memset(roll_cols, 0, sizeof roll_cols);
    roll_cols[0].name = "ts";
    roll_cols[0].type = FLOE_TYPE_TIMESTAMP_US;
    roll_cols[0].nullable = roll_ts_nullable;
    roll_cols[1].name = "v";
    roll_cols[1].type = FLOE_TYPE_STRING;
    roll_cols[1].nullable = 1;
    roll_schema.columns = roll_cols;
    roll_schema.n_columns = 2;
    roll_schema.extra = 0;
    memset(&rcfg, 0, sizeof rcfg);
    small_config(&rcfg.parquet, &roll_schema, roll_codec);
    rcfg.parquet.max_row_groups = roll_max_rgs;
    rcfg.dir = "/out";
    rcfg.ts_column = -1;
    rcfg.file_bytes = file_bytes;
    rcfg.file_rows = file_rows;
    rcfg.max_age_ms = max_age_ms;
    rcfg.idle_ms = idle_ms;
    rcfg.on_file = on_file;
    rcfg.sort_window_bytes = roll_sort_window;
    rcfg.sort_column = roll_sort_column;
    rcfg.partition_by = roll_partition;
    rcfg.late_window_bytes = roll_late_window;
    rcfg.fs = &emu.fs;
    rcfg.clock = &clock_port;
    rcfg.entropy = &entropy;
    clk.mono = 1000;
    clk.utc = 1764700000000;
    n_seen = 0;
    if (floe_roll_size(&rcfg) == 0 || floe_roll_size(&rcfg) > sizeof roll_mem)
        return FLOE_ERR_NOMEM;
    floe_arena_init(&a, roll_mem, sizeof roll_mem);
    floe_roll_init(&roll);
    return floe_roll_setup(&roll, &rcfg, &a);
}

#define NULL_TS INT64_MIN /* roll_put_from's ts: a null timestamp */

static int roll_put_from(const char *source, int64_t ts, const char *s)
{
    struct floe_value v[2];
    struct floe_row row;
    memset(v, 0, sizeof v);
    v[0].v.i64 = ts;
    v[0].is_null = ts == NULL_TS;
    if (s == NULL)
        v[1].is_null = 1;
    else {
        v[1].v.str.ptr = s;
        v[1].v.str.len = (uint32_t)strlen(s);
    }
    memset(&row, 0, sizeof row);
    row.values = v;
    row.n_values = 2;
    row.source = source;
    row.source_seq = roll_source_seq;
    return floe_roll_write(&roll, &row);
}

static int roll_put(int64_t ts, const char *s)
{
    return roll_put_from("unit", ts, s);
}

/* Reads a sealed file into file_buf. */
static int load(const char *path)
{
    floe_ssize_t n = floe_emufs_read_file(&emu, path, 0, file_buf, sizeof file_buf);
    if (n < 0)
        return (int)n;
    file_len = (size_t)n;
    return FLOE_OK;
}

TEST(roll_facts_hash_the_bytes_written)
{
    int i;
    char s[32];
    uint8_t sha[FLOE_SHA256_LEN];
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    for (i = 0; i < 5000; i++) {
        snprintf(s, sizeof s, "value %d", i * 7919 % 1000);
        REQUIRE(roll_put(1764700000000000 + (int64_t)(i % 100) * 1000 - (i == 4321 ? 5000000 : 0),
                         i % 10 == 0 ? NULL : s) == FLOE_OK);
    }
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    REQUIRE(n_seen == 1);
    REQUIRE(load(seen[0].path) == FLOE_OK);
    CHECK_EQ_U64(seen[0].size, file_len);
    CHECK_EQ_U64(seen[0].records, 5000);
    CHECK_EQ_U64(seen[0].crc32c, floe_crc32c(file_buf, file_len));
    floe_sha256(file_buf, file_len, sha);
    CHECK_EQ_MEM(seen[0].sha256, sha, sizeof sha);
    CHECK_EQ_INT(seen[0].min_ts, 1764700000000000 + 21000 - 5000000);
    CHECK_EQ_INT(seen[0].max_ts, 1764700000000000 + 99000);
    REQUIRE(read_footer(file_buf, file_len) == FLOE_OK);
    CHECK_EQ_INT(ff.num_rows, 5000);
    {
        int64_t nulls = 0, lo = INT64_MAX, hi = INT64_MIN;
        uint32_t g;
        for (g = 0; g < ff.n_rgs; g++) {
            nulls += ff.c[g][1].null_count;
            if (le64(ff.c[g][0].min) < lo)
                lo = le64(ff.c[g][0].min);
            if (le64(ff.c[g][0].max) > hi)
                hi = le64(ff.c[g][0].max);
        }
        CHECK_EQ_INT(nulls, 500);
        CHECK_EQ_INT(lo, seen[0].min_ts);
        CHECK_EQ_INT(hi, seen[0].max_ts);
    }
    CHECK(!floe_roll_is_open(&roll));
    CHECK_EQ_INT(floe_roll_seal(&roll), FLOE_OK); /* nothing open: no-op */
    CHECK_EQ_INT(n_seen, 1);
}

TEST(roll_by_age_with_a_fake_clock)
{
    REQUIRE(roll_setup(0, 0, 1000, 0) == FLOE_OK);
    REQUIRE(roll_put(1, "a") == FLOE_OK); /* opened at 1000 */
    clk.mono = 1999;
    REQUIRE(roll_put(2, "b") == FLOE_OK);
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
    CHECK(floe_roll_is_open(&roll));
    CHECK_EQ_INT(n_seen, 0);
    clk.mono = 2000;
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
    CHECK(!floe_roll_is_open(&roll));
    REQUIRE(n_seen == 1);
    CHECK_EQ_U64(seen[0].records, 2);
    /* a tick with nothing open does nothing */
    clk.mono = 9000;
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
    CHECK_EQ_INT(n_seen, 1);
}

/* Rows held in a sort window are activity: a file whose rows all wait in
 * the window is not idle, and an idle seal writes them. */
TEST(roll_sort_window_rows_keep_a_file_busy)
{
    roll_sort_window = 64u << 10;
    REQUIRE(roll_setup(0, 0, 0, 500) == FLOE_OK);
    roll_sort_window = 0;
    REQUIRE(roll_put(1, "b") == FLOE_OK); /* opened at 1000 */
    clk.mono = 1400;
    REQUIRE(roll_put(2, "a") == FLOE_OK);
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
    clk.mono = 1800;
    REQUIRE(roll_put(3, "c") == FLOE_OK);
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
    clk.mono = 2299;
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
    CHECK(floe_roll_is_open(&roll));
    CHECK_EQ_INT(n_seen, 0);
    clk.mono = 2300;
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
    CHECK(!floe_roll_is_open(&roll));
    REQUIRE(n_seen == 1);
    CHECK_EQ_U64(seen[0].records, 3);
}

TEST(roll_by_inactivity_with_a_fake_clock)
{
    REQUIRE(roll_setup(0, 0, 0, 500) == FLOE_OK);
    REQUIRE(roll_put(1, "a") == FLOE_OK); /* opened at 1000 */
    clk.mono = 1400;
    REQUIRE(roll_put(2, "b") == FLOE_OK);
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK); /* rows since the last tick: active at 1400 */
    clk.mono = 1899;
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
    CHECK(floe_roll_is_open(&roll));
    clk.mono = 1900;
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
    CHECK(!floe_roll_is_open(&roll));
    REQUIRE(n_seen == 1);
    CHECK_EQ_U64(seen[0].records, 2);
}

TEST(roll_by_rows_exactly)
{
    int i;
    REQUIRE(roll_setup(0, 100, 0, 0) == FLOE_OK);
    for (i = 0; i < 100; i++)
        REQUIRE(roll_put(i, "x") == FLOE_OK);
    /* exactly full: still open until a row would go over */
    CHECK(floe_roll_is_open(&roll));
    CHECK_EQ_INT(n_seen, 0);
    for (; i < 250; i++)
        REQUIRE(roll_put(i, "x") == FLOE_OK);
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    REQUIRE(n_seen == 3);
    CHECK_EQ_U64(seen[0].records, 100);
    CHECK_EQ_U64(seen[1].records, 100);
    CHECK_EQ_U64(seen[2].records, 50);
    CHECK_EQ_INT(seen[1].min_ts, 100);
    CHECK_EQ_INT(seen[1].max_ts, 199);
    REQUIRE(load(seen[2].path) == FLOE_OK);
    REQUIRE(read_footer(file_buf, file_len) == FLOE_OK);
    CHECK_EQ_INT(ff.num_rows, 50);
}

/* Hour partitions: a row an hour later, or back in an earlier hour, or
 * before 1970 (where a naive division rounds the wrong way), seals the file
 * and opens one under its own hour; rows of the same hour share a file. */
TEST(roll_partitions_by_hour_at_the_edges)
{
    static const int64_t H = 1764702000000000; /* 2025-12-02T19:00:00Z */
    static const struct {
        int64_t ts;
        const char *dir;
    } rows[] = {
        {H - 1, "/out/dt=2025-12-02/hour=18/"},
        {H, "/out/dt=2025-12-02/hour=19/"},
        {H + 3599999999, "/out/dt=2025-12-02/hour=19/"},
        {H + 3600000000, "/out/dt=2025-12-02/hour=20/"},
        {H - 1, "/out/dt=2025-12-02/hour=18/"},
        {-1, "/out/dt=1969-12-31/hour=23/"},
        {-3600000000, "/out/dt=1969-12-31/hour=23/"},
        {-3600000001, "/out/dt=1969-12-31/hour=22/"},
    };
    static const uint64_t records[] = {1, 2, 1, 1, 2, 1};
    size_t i;
    int f;
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    rcfg.ts_column = 0;
    rcfg.partition_by = FLOE_PARTITION_HOUR;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
        REQUIRE(roll_put(rows[i].ts, "x") == FLOE_OK);
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    REQUIRE(n_seen == 6);
    for (f = 0, i = 0; f < n_seen; i += records[f], f++) {
        CHECK_EQ_U64(seen[f].records, records[f]);
        CHECK(strncmp(seen[f].path, rows[i].dir, strlen(rows[i].dir)) == 0);
        CHECK(seen[f].min_ts == (records[f] == 2 && rows[i + 1].ts < rows[i].ts ? rows[i + 1].ts : rows[i].ts));
    }
}

/* A row the writer refuses (a string longer than a page) in another
 * partition neither seals the open file nor opens one of its own: the day's
 * rows stay in one file, and a roller whose only row was refused publishes
 * nothing. */
TEST(roll_refused_row_neither_splits_nor_leaves_a_file)
{
    static const int64_t DAY = 86400000000;
    static char huge[8192];
    memset(huge, 'h', sizeof huge - 1);
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    rcfg.ts_column = 0;
    rcfg.partition_by = FLOE_PARTITION_DAY;
    REQUIRE(roll_put(DAY * 20000, "a") == FLOE_OK);
    CHECK_EQ_INT(roll_put(DAY * 20001, huge), FLOE_ERR_LIMIT);
    CHECK(strstr(floe_parquet_reject_reason(&roll.pq), "does not fit a page") != NULL);
    REQUIRE(roll_put(DAY * 20000 + 1, "b") == FLOE_OK);
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    REQUIRE(n_seen == 1);
    CHECK_EQ_U64(seen[0].records, 2);

    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    CHECK_EQ_INT(roll_put(1, huge), FLOE_ERR_LIMIT);
    CHECK(!floe_roll_is_open(&roll));
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    CHECK_EQ_INT(n_seen, 0);
    CHECK_EQ_U64(roll.files_sealed, 0);
}

/* Partition names readers parse: a null timestamp goes to Hive's default
 * partition at both levels (DuckDB refuses a tree whose paths have different
 * keys), early years have four digits (or dt is no longer a DATE), and hours
 * have no leading zero (DuckDB types "hour=09" as text). */
TEST(roll_partition_names_for_every_reader)
{
    static const int64_t YEAR1 = -62135596800000000; /* 0001-01-01T00:00:00Z */
    REQUIRE((roll_ts_nullable = 1, roll_setup(0, 0, 0, 0)) == FLOE_OK);
    roll_ts_nullable = 0;
    rcfg.ts_column = 0;
    rcfg.partition_by = FLOE_PARTITION_HOUR;
    REQUIRE(roll_put(YEAR1, "x") == FLOE_OK);
    REQUIRE(roll_put_from("unit", NULL_TS, "y") == FLOE_OK);
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    REQUIRE(n_seen == 2);
    CHECK(strncmp(seen[0].path, "/out/dt=0001-01-01/hour=0/", 26) == 0);
    CHECK(strncmp(seen[1].path, "/out/dt=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__/", 67) == 0);
}

/* A column named as a partition key (any case) would be hidden by the
 * folder's value in readers that apply hive partitioning: refused. */
TEST(roll_refuses_a_column_named_as_a_partition_key)
{
    struct floe_column cols[2];
    struct floe_schema sc;
    memset(cols, 0, sizeof cols);
    memset(&sc, 0, sizeof sc);
    cols[0].name = "ts";
    cols[0].type = FLOE_TYPE_TIMESTAMP_US;
    cols[1].name = "Hour";
    cols[1].type = FLOE_TYPE_INT32;
    sc.columns = cols;
    sc.n_columns = 2;
    CHECK(floe_roll_partition_clash(&sc, FLOE_PARTITION_NONE) == NULL);
    CHECK(floe_roll_partition_clash(&sc, FLOE_PARTITION_DAY) == NULL);
    CHECK_EQ_STR(floe_roll_partition_clash(&sc, FLOE_PARTITION_HOUR), "Hour");
    cols[1].name = "DT";
    CHECK_EQ_STR(floe_roll_partition_clash(&sc, FLOE_PARTITION_DAY), "DT");
    cols[1].name = "dt2";
    CHECK(floe_roll_partition_clash(&sc, FLOE_PARTITION_HOUR) == NULL);
    cols[1].name = "hours";
    CHECK(floe_roll_partition_clash(&sc, FLOE_PARTITION_HOUR) == NULL);
    /* setup refuses it: sizing gives 0 */
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    rcfg.partition_by = FLOE_PARTITION_DAY;
    CHECK(floe_roll_size(&rcfg) != 0);
    roll_cols[1].name = "dt";
    CHECK_EQ_U64(floe_roll_size(&rcfg), 0);
    roll_cols[1].name = "v";
}

/* The footer's floe.sources is JSON text whatever the file names hold: a
 * quote and a backslash escaped, a name that is not UTF-8 kept byte for byte
 * as \u00XX, a UTF-8 one as it is. */
TEST(roll_source_names_stay_json_and_utf8)
{
    static const char want[] = "[\"a\\\"b\\\\c\",\"caf\\u00e9\",\"caf\xc3\xa9\"]";
    size_t i;
    int found = 0;
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    REQUIRE(roll_put_from("a\"b\\c", 1, "x") == FLOE_OK);
    REQUIRE(roll_put_from("caf\xe9", 2, "x") == FLOE_OK);
    REQUIRE(roll_put_from("caf\xc3\xa9", 3, "x") == FLOE_OK);
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    REQUIRE(n_seen == 1);
    REQUIRE(load(seen[0].path) == FLOE_OK);
    for (i = 0; i + sizeof want - 1 <= file_len && !found; i++)
        found = memcmp(file_buf + i, want, sizeof want - 1) == 0;
    CHECK(found);
}

static int file_holds(const void *bytes, size_t n)
{
    size_t i;
    for (i = 0; i + n <= file_len; i++)
        if (memcmp(file_buf + i, bytes, n) == 0)
            return 1;
    return 0;
}

/* The agent's writer names every source from one buffer: a file that takes
 * rows of two sources lists both, each once. */
TEST(roll_sources_from_one_reused_buffer_are_all_listed)
{
    static const char want[] = "[\"a.ndjson\",\"b.ndjson\"]";
    char name[16];
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    snprintf(name, sizeof name, "a.ndjson");
    roll_source_seq = 1;
    REQUIRE(roll_put_from(name, 1, "x") == FLOE_OK);
    snprintf(name, sizeof name, "b.ndjson");
    roll_source_seq = 2;
    REQUIRE(roll_put_from(name, 2, "x") == FLOE_OK);
    REQUIRE(roll_put_from(name, 3, "x") == FLOE_OK);
    snprintf(name, sizeof name, "a.ndjson");
    roll_source_seq = 3;
    REQUIRE(roll_put_from(name, 4, "x") == FLOE_OK);
    roll_source_seq = 0;
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    REQUIRE(n_seen == 1);
    REQUIRE(load(seen[0].path) == FLOE_OK);
    CHECK(file_holds(want, sizeof want - 1));
}

/* With a sort window, rows reach a file grouped by v (the dictionary page
 * lists a, b, c, not the arrival order c, a, b) when the window is written:
 * a row of the next hour writes it and seals its file first, so each hour's
 * file has its own rows, and a seal writes the last. A refused row is
 * refused as it comes. */
TEST(roll_sort_window_groups_rows_by_hour)
{
    static const int64_t HOUR = 3600000000;
    static const char *vs[3] = {"c", "a", "b"};
    static const uint8_t dict_sorted[] = {1, 0, 0, 0, 'a', 1, 0, 0, 0, 'b', 1, 0, 0, 0, 'c'};
    static char huge[8192];
    int i;
    roll_sort_window = 64u << 10;
    roll_codec = FLOE_PARQUET_UNCOMPRESSED;
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    roll_sort_window = 0;
    roll_codec = FLOE_PARQUET_SNAPPY;
    rcfg.ts_column = 0;
    rcfg.partition_by = FLOE_PARTITION_HOUR;
    memset(huge, 'h', sizeof huge - 1);
    for (i = 0; i < 300; i++) { /* 150 rows an hour */
        REQUIRE(roll_put(HOUR * 490001 - 150 + i, vs[i % 3]) == FLOE_OK);
        if (i == 10)
            CHECK_EQ_INT(roll_put(HOUR * 490001, huge), FLOE_ERR_LIMIT);
    }
    /* The first hour's file was sealed when the second hour began; the
     * second's rows wait in the window. */
    CHECK_EQ_INT(n_seen, 1);
    CHECK(floe_roll_is_open(&roll));
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    CHECK(!floe_roll_is_open(&roll));
    REQUIRE(n_seen == 2);
    for (i = 0; i < n_seen; i++) {
        CHECK_EQ_U64(seen[i].records, 150);
        CHECK_EQ_INT(seen[i].min_ts, HOUR * 490001 - 150 + 150 * i);
        CHECK_EQ_INT(seen[i].max_ts, HOUR * 490001 - 1 + 150 * i);
        REQUIRE(load(seen[i].path) == FLOE_OK);
        CHECK(file_holds(dict_sorted, sizeof dict_sorted));
    }
}

/* Files of at most four row groups, filled by random strings: each window
 * is kept within what its file surely takes, so no row ever meets a full
 * file partway through a window (that would fail the write), and files
 * still roll. */
TEST(roll_sort_window_never_meets_a_full_file)
{
    int i, f;
    uint64_t total = 0;
    char s[48];
    int err;
    roll_sort_window = 512u << 10; /* rows for more row groups than a file has */
    roll_max_rgs = 4;
    roll_sort_column = 0; /* by ts: 20 keys */
    err = roll_setup(0, 0, 0, 0);
    roll_sort_window = 0;
    roll_max_rgs = 0;
    roll_sort_column = 1;
    REQUIRE(err == FLOE_OK);
    test_seed(7);
    for (i = 0; i < 20000; i++) {
        snprintf(s, sizeof s, "%016llx%016llx", (unsigned long long)test_rand(), (unsigned long long)test_rand());
        REQUIRE(roll_put(19 - i / 1000, s) == FLOE_OK);
    }
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    REQUIRE(n_seen >= 3);
    for (f = 0; f < n_seen; f++) {
        REQUIRE(load(seen[f].path) == FLOE_OK);
        REQUIRE(read_footer(file_buf, file_len) == FLOE_OK);
        CHECK((uint64_t)ff.num_rows == seen[f].records);
        CHECK(ff.n_rgs <= 4);
        total += seen[f].records;
    }
    CHECK_EQ_U64(total, 20000);
}

TEST(roll_by_file_bytes)
{
    int i, f;
    uint64_t total = 0;
    char s[48];
    REQUIRE(roll_setup(32 * 1024, 0, 0, 0) == FLOE_OK);
    test_seed(99);
    for (i = 0; i < 20000; i++) {
        snprintf(s, sizeof s, "%016llx%016llx", (unsigned long long)test_rand(), (unsigned long long)test_rand());
        REQUIRE(roll_put(i, s) == FLOE_OK);
    }
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    REQUIRE(n_seen >= 3);
    for (f = 0; f < n_seen; f++) {
        REQUIRE(load(seen[f].path) == FLOE_OK);
        CHECK_EQ_U64(seen[f].size, file_len);
        REQUIRE(read_footer(file_buf, file_len) == FLOE_OK);
        CHECK_EQ_U64((uint64_t)ff.num_rows, seen[f].records);
        /* a file is sealed once it reaches the limit, before the next row */
        if (f + 1 < n_seen)
            CHECK(seen[f].size >= 32 * 1024);
        total += seen[f].records;
    }
    CHECK_EQ_U64(total, 20000);
    CHECK_EQ_U64(roll.files_sealed, (uint64_t)n_seen);
}

/* ---- late rows: held, and sealed with the open file as one group --------- */

static const int64_t LATE_H = 1764702000000000; /* 2025-12-02T19:00:00Z */

/* seen[i] is a file of hour (on 2025-12-02) with records rows, and says
 * whether more files of its group follow. */
static void check_seen(int i, int hour, uint64_t records, int continues)
{
    char dir[48];
    snprintf(dir, sizeof dir, "/out/dt=2025-12-02/hour=%d/", hour);
    CHECK(strncmp(seen[i].path, dir, strlen(dir)) == 0);
    CHECK_EQ_U64(seen[i].records, records);
    CHECK_EQ_INT(seen[i].continues, continues);
}

/* Every file's timestamps lie in the hour its folder names. */
static int files_in_their_hours(void)
{
    int i;
    for (i = 0; i < n_seen; i++) {
        const char *h = strstr(seen[i].path, "/hour=");
        int64_t lo = seen[i].min_ts / 3600000000, hi = seen[i].max_ts / 3600000000;
        if (h == NULL || strstr(h, "__HIVE") != NULL)
            continue;
        if (lo != hi || strtol(h + 6, NULL, 10) != (long)(lo % 24)) {
            fprintf(stderr, "file %d (%s): timestamps from hour %lld to %lld\n", i, seen[i].path, (long long)lo,
                    (long long)hi);
            return 0;
        }
    }
    return 1;
}


/* Rows across 19:00 from devices whose clocks disagree: 100 rows of hour 18,
 * then 200 alternating between 18 and 19 (with 3 rows without a timestamp
 * among them), then 100 of hour 19. Returns the rows given. */
static int late_jitter_rows(void)
{
    int i, given = 0;
    for (i = 0; i < 100; i++, given++)
        if (roll_put(LATE_H - 100000000 + i, "early") != FLOE_OK)
            return -1;
    for (i = 0; i < 200; i++, given++) {
        if (roll_put(i % 2 ? LATE_H - 2000000 + i : LATE_H + i, i % 2 ? "behind" : "ahead") != FLOE_OK)
            return -1;
        if (i % 70 == 5) {
            if (roll_put(NULL_TS, "no clock") != FLOE_OK)
                return -1;
            given++;
        }
    }
    for (i = 0; i < 100; i++, given++)
        if (roll_put(LATE_H + 100000000 + i, "late") != FLOE_OK)
            return -1;
    return given;
}

TEST(roll_late_rows_make_a_file_per_partition_not_per_switch)
{
    uint64_t total = 0;
    int i, given;
    roll_partition = FLOE_PARTITION_HOUR;
    roll_late_window = 16u << 10;
    roll_ts_nullable = 1;
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    given = late_jitter_rows();
    REQUIRE(given == 403);
    /* Hour 18's file stays open: the rows of hour 19 (ahead) and without a
     * timestamp wait beside it, as hour 18's keep coming. */
    CHECK_EQ_INT(n_seen, 0);
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    CHECK(!floe_roll_is_open(&roll));
    REQUIRE(n_seen == 3);
    /* One group: hour 18, then the held rows by partition, nulls last. */
    check_seen(0, 18, 200, 1);
    CHECK_EQ_INT(seen[0].max_ts, LATE_H - 2000000 + 199);
    check_seen(1, 19, 200, 1);
    CHECK_EQ_INT(seen[1].min_ts, LATE_H);
    CHECK(strstr(seen[2].path, "/out/dt=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__/") == seen[2].path);
    CHECK_EQ_U64(seen[2].records, 3);
    CHECK_EQ_INT(seen[2].continues, 0);
    for (i = 0; i < n_seen; i++)
        total += seen[i].records;
    CHECK_EQ_U64(total, (uint64_t)given);
    CHECK(files_in_their_hours());
    roll_late_window = 0;
    /* Without a late window, each switch seals a file. */
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    REQUIRE(late_jitter_rows() == given);
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    CHECK(n_seen > 150);
    roll_partition = FLOE_PARTITION_NONE;
    roll_ts_nullable = 0;
}

/* A late window that fills seals the open file with it; a row held with no
 * file open is still sealed by the idle limit; every group ends with a file
 * that does not continue, and every row is in one file. */
TEST(roll_late_window_full_or_idle_seals_the_group)
{
    static char wide[600];
    uint64_t total = 0;
    int i, given = 0, ends = 0;
    memset(wide, 'w', sizeof wide - 1);
    roll_partition = FLOE_PARTITION_HOUR;
    roll_late_window = 4096;
    REQUIRE(roll_setup(0, 0, 0, 5000) == FLOE_OK);
    REQUIRE(roll_put(LATE_H, "now") == FLOE_OK);
    given++;
    for (i = 0; i < 7; i++, given++) /* past 4 KiB: the last one fills it */
        REQUIRE(roll_put(LATE_H - 1 - i, wide) == FLOE_OK);
    CHECK_EQ_INT(n_seen, 2);
    CHECK_EQ_INT(seen[0].continues, 1);
    CHECK_EQ_INT(seen[1].continues, 0);
    CHECK(floe_roll_is_open(&roll)); /* the row that did not fit waits, no file open */
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK); /* sees the row: not idle */
    clk.mono += 4000;
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
    CHECK_EQ_INT(n_seen, 2);
    clk.mono += 1500;
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
    CHECK(!floe_roll_is_open(&roll));
    REQUIRE(n_seen == 3);
    CHECK(strncmp(seen[2].path, "/out/dt=2025-12-02/hour=18/", 27) == 0);
    CHECK_EQ_INT(seen[2].continues, 0);
    for (i = 0; i < n_seen; i++) {
        total += seen[i].records;
        ends += !seen[i].continues;
    }
    CHECK_EQ_U64(total, (uint64_t)given);
    CHECK_EQ_INT(ends, 2);
    roll_late_window = 0;
    roll_partition = FLOE_PARTITION_NONE;
}

/* Files that fill their row groups while late rows are held: the sealed
 * group moves on to the late rows' partitions, and the file opened next
 * for the row that did not fit is in the row's own hour again. */
TEST(roll_full_file_with_late_rows_keeps_each_row_in_its_hour)
{
    uint64_t total = 0;
    int i, given = 0;
    roll_partition = FLOE_PARTITION_HOUR;
    roll_late_window = 256u << 10; /* files fill before it does */
    roll_max_rgs = 1;
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    for (i = 0; i < 3000; i++, given++) {
        static uint64_t x = 88172645463325252ull;
        char v[101];
        int k;
        for (k = 0; k < 100; k++) { /* incompressible: about 5 row groups of 64 KiB */
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v[k] = "0123456789abcdef"[x & 15u];
        }
        v[100] = '\0';
        REQUIRE(roll_put(i % 2 ? LATE_H - 1000 - i : LATE_H + i, v) == FLOE_OK);
    }
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    CHECK(n_seen >= 4);
    CHECK(files_in_their_hours());
    for (i = 0; i < n_seen; i++)
        total += seen[i].records;
    CHECK_EQ_U64(total, (uint64_t)given);
    roll_max_rgs = 0;
    roll_late_window = 0;
    roll_partition = FLOE_PARTITION_NONE;
}

/* A roller whose late window (4 KiB) filled: the group of one row of hour
 * 19 and six wide late rows is sealed, and the seventh late row is held
 * with no file open. */
static int late_row_held_with_no_file_open(uint32_t max_age_ms)
{
    static char wide[600];
    int i;
    memset(wide, 'w', sizeof wide - 1);
    roll_partition = FLOE_PARTITION_HOUR;
    roll_late_window = 4096;
    FLOE_TRY(roll_setup(0, 0, max_age_ms, 0));
    roll_late_window = 0;
    roll_partition = FLOE_PARTITION_NONE;
    FLOE_TRY(roll_put(LATE_H, "now"));
    for (i = 0; i < 7; i++)
        FLOE_TRY(roll_put(LATE_H - 1 - i, wide));
    return n_seen == 2 && floe_roll_is_open(&roll) ? FLOE_OK : FLOE_ERR_STATE;
}

/* A late row held while no file is open stays held when the next row opens
 * a file: it goes with that file's group, not into a file of its own at
 * once. */
TEST(roll_late_row_held_with_no_file_open_waits_for_the_next_group)
{
    REQUIRE(late_row_held_with_no_file_open(0) == FLOE_OK);
    REQUIRE(roll_put(LATE_H + 5, "now again") == FLOE_OK);
    CHECK_EQ_INT(n_seen, 2);
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    REQUIRE(n_seen == 4);
    check_seen(2, 19, 1, 1);
    check_seen(3, 18, 1, 0);
}

/* A late row held with no file open counts its age from when it came: the
 * file that opens after it is sealed max_age after the row, not after the
 * file (the row could wait twice max_age). */
TEST(roll_late_row_held_keeps_its_age)
{
    REQUIRE(late_row_held_with_no_file_open(5000) == FLOE_OK);
    clk.mono += 3000;
    REQUIRE(roll_put(LATE_H + 5, "opens a file") == FLOE_OK);
    clk.mono += 2500;
    REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
    CHECK_EQ_INT(n_seen, 4);
    CHECK(!floe_roll_is_open(&roll));
}

/* A backlog read after live data (yesterday's file after today's): its rows
 * are all of an earlier hour. The late window fills with hardly a live row
 * among them: the group is sealed and the backlog's rows go on in a file of
 * their own, the row that filled the window with them (held, it made a file
 * of one row when the backlog's file was sealed). */
/* One device whose clock is a day ahead, among devices on time: its rows
 * wait beside the open file instead of taking it over (each of them would
 * seal it, and the next on-time row seal theirs: 2 files per such row). */
TEST(roll_a_device_clock_ahead_does_not_take_the_open_file)
{
    uint64_t total = 0;
    int i, given = 0;
    roll_partition = FLOE_PARTITION_HOUR;
    roll_late_window = 4096;
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    for (i = 0; i < 3000; i++, given++) {
        int ahead = i % 50 == 25;
        REQUIRE(roll_put(LATE_H - 3000000000 + (int64_t)i * 1000000 + (ahead ? 86400000000 : 0),
                         ahead ? "ahead" : "on time") == FLOE_OK);
    }
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    for (i = 0; i < n_seen; i++)
        total += seen[i].records;
    CHECK_EQ_U64(total, (uint64_t)given);
    CHECK(files_in_their_hours());
    /* At most 4 files, two per full window's group: 2 here (hour 18's 2,940
     * rows and the 60 a day ahead). The roller before 2026-12-04, which
     * followed each newer row, made 60. */
    CHECK(n_seen <= 4);
    CHECK_EQ_U64(roll.rows_late, 60);
    roll_late_window = 0;
    roll_partition = FLOE_PARTITION_NONE;
}

/* The next hour begins: its rows wait until they fill the window with
 * hardly a row for the open file; then the open file is sealed with them
 * (a file of their own, ending the group) and the row that filled the
 * window opens the next file. None of them counts as late. */
TEST(roll_the_next_hour_moves_the_open_file_when_its_rows_fill_the_window)
{
    int i, given = 0;
    roll_partition = FLOE_PARTITION_HOUR;
    roll_late_window = 4096;
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    for (i = 0; i < 300; i++, given++)
        REQUIRE(roll_put(LATE_H - 300000000 + (int64_t)i * 1000000, "hour 18") == FLOE_OK);
    for (i = 0; i < 1000; i++, given++)
        REQUIRE(roll_put(LATE_H + (int64_t)i * 1000000, "hour 19") == FLOE_OK);
    REQUIRE(n_seen == 2); /* hour 18 and the held rows of hour 19: one group */
    check_seen(0, 18, 300, 1);
    CHECK(seen[1].records > 10 && seen[1].records < 200);
    check_seen(1, 19, seen[1].records, 0);
    CHECK_EQ_INT(seen[1].min_ts, LATE_H);
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    REQUIRE(n_seen == 3);
    check_seen(2, 19, 1000 - seen[1].records, 0);
    CHECK_EQ_U64(roll.rows_late, 0); /* held a while, but none late: they were the next hour's */
    CHECK(files_in_their_hours());
    roll_late_window = 0;
    roll_partition = FLOE_PARTITION_NONE;
}

TEST(roll_backlog_after_live_rows_makes_big_files)
{
    uint64_t total = 0;
    int i, given = 0, small = 0;
    roll_partition = FLOE_PARTITION_HOUR;
    roll_late_window = 4096;
    REQUIRE(roll_setup(0, 0, 0, 0) == FLOE_OK);
    for (i = 0; i < 100; i++, given++)
        REQUIRE(roll_put(LATE_H + i, "live") == FLOE_OK);
    for (i = 0; i < 5000; i++, given++) /* hour 18, in order */
        REQUIRE(roll_put(LATE_H - 3600000000 + (int64_t)i * 700000, "backlog") == FLOE_OK);
    for (i = 0; i < 100; i++, given++)
        REQUIRE(roll_put(LATE_H + 1000 + i, "live again") == FLOE_OK);
    REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
    for (i = 0; i < n_seen; i++) {
        total += seen[i].records;
        small += seen[i].records < 100;
    }
    CHECK_EQ_U64(total, (uint64_t)given);
    CHECK(files_in_their_hours());
    CHECK(n_seen <= 5);
    CHECK_EQ_INT(small, 0);
    roll_late_window = 0;
    roll_partition = FLOE_PARTITION_NONE;
}

/* ---- random streams through the late window ------------------------------- */
/* (Written first by a review of the late window's later-partition change.) */
static uint64_t rnd_given_before; /* rows given before the roll call under way */
static int rnd_in_write, rnd_torn_groups, rnd_part_open;
static uint64_t rnd_sealed_rows, rnd_call, rnd_part_call, rnd_spanning;

/* on_file, checking that a group ends only where every row given before
 * the call is in a sealed file, and noting groups that span calls. */
static int rnd_on_file(void *ctx, const struct floe_file_facts *f)
{
    int r = on_file(ctx, f);
    if (f->continues) {
        if (!rnd_part_open)
            rnd_part_call = rnd_call;
        rnd_part_open = 1;
    } else {
        rnd_spanning += rnd_part_open && rnd_part_call != rnd_call;
        rnd_part_open = 0;
    }
    rnd_sealed_rows += f->records;
    if (!f->continues && rnd_in_write && rnd_sealed_rows != rnd_given_before && rnd_torn_groups++ < 5)
        fprintf(stderr, "a group ends at %llu sealed rows, %llu given before the row\n",
                (unsigned long long)rnd_sealed_rows, (unsigned long long)rnd_given_before);
    return r;
}

static uint64_t rnd_state;
static uint32_t rnd_next(void)
{
    rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rnd_state >> 33);
}

/* Streams walking through four hours with rows behind, ahead, far ahead
 * and without a timestamp, under random windows, sort, file limits and
 * ticks: every row lands once, in its own hour's file; every group ends
 * within the call that began it, where all rows given before are sealed. */
TEST(roll_random_streams_keep_every_row_once_in_its_hour)
{
    int iter;
    roll_partition = FLOE_PARTITION_HOUR;
    roll_ts_nullable = 1;
    for (iter = 0; iter < 300; iter++) {
        int i, n, mode, err;
        uint64_t given = 0, total = 0, per_hour[8] = {0}, nulls = 0, in_files[8] = {0}, null_files = 0;
        char s[80];
        rnd_state = (uint64_t)iter * 7919u + 11u;
        roll_late_window = 4096u + (rnd_next() % 4u) * 2048u;
        roll_sort_window = rnd_next() % 2 ? 8192u : 0u;
        roll_max_rgs = (uint16_t)(rnd_next() % 3);
        {
            uint64_t file_rows = rnd_next() % 3 ? 0 : 20 + rnd_next() % 200;
            uint32_t age = rnd_next() % 2 ? 5000 : 0;
            uint64_t file_bytes = rnd_next() % 2 ? 0 : 3000 + rnd_next() % 30000;
            err = roll_setup(file_bytes, file_rows, age, 0);
            if (err == FLOE_ERR_INVAL)
                continue; /* pages too big for such row groups: no sort window fits */
            REQUIRE(err == FLOE_OK);
        }
        rcfg.on_file = rnd_on_file;
        rnd_sealed_rows = 0;
        rnd_torn_groups = 0;
        rnd_spanning = 0;
        n = 200 + (int)(rnd_next() % 2000);
        mode = (int)(rnd_next() % 4);
        for (i = 0; i < n; i++) {
            int h = (int)((int64_t)i * 4 / n);
            uint32_t x = rnd_next() % 100;
            int64_t ts;
            if (mode >= 1 && x < 10)
                h = h > 0 ? h - 1 : h; /* behind */
            else if (mode >= 2 && x < 13)
                h = h + 1 < 7 ? h + 1 : h; /* ahead */
            else if (mode == 3 && x < 15)
                h = 7; /* far ahead */
            ts = LATE_H + (int64_t)h * 3600000000LL + (int64_t)(rnd_next() % 3600000u) * 1000;
            if (mode >= 2 && x >= 97)
                ts = NULL_TS;
            snprintf(s, sizeof s, "dev%02u-row-%d%s", rnd_next() % 20, i, x % 3 ? "" : "-with-a-longer-tail-of-text");
            rnd_given_before = given;
            rnd_call++;
            rnd_in_write = 1;
            err = roll_put(ts, s);
            rnd_in_write = 0;
            REQUIRE(err == FLOE_OK);
            given++;
            if (ts == NULL_TS)
                nulls++;
            else
                per_hour[h]++;
            if (rnd_next() % 5 == 0) {
                clk.mono += 100;
                rnd_call++;
                REQUIRE(floe_roll_tick(&roll) == FLOE_OK);
            }
        }
        REQUIRE(floe_roll_seal(&roll) == FLOE_OK);
        CHECK(!floe_roll_is_open(&roll));
        CHECK(n_seen > 0 && seen[n_seen - 1].continues == 0);
        for (i = 0; i < n_seen; i++) {
            total += seen[i].records;
            if (strstr(seen[i].path, "__HIVE") != NULL) {
                null_files += seen[i].records;
            } else {
                int64_t h = (seen[i].min_ts - LATE_H) / 3600000000LL;
                if (h >= 0 && h < 8)
                    in_files[h] += seen[i].records;
            }
        }
        CHECK(files_in_their_hours());
        CHECK_EQ_U64(total, given);
        CHECK_EQ_U64(null_files, nulls);
        for (i = 0; i < 8; i++)
            CHECK_EQ_U64(in_files[i], per_hour[i]);
        CHECK_EQ_INT(rnd_torn_groups, 0);
        CHECK_EQ_U64(rnd_spanning, 0);
        if (rnd_torn_groups || total != given || rnd_spanning) {
            fprintf(stderr, "stream %d: mode %d, sort window %u, late window %u, %d rows\n", iter, mode,
                    roll_sort_window, roll_late_window, n);
            break;
        }
    }
    roll_late_window = 0;
    roll_max_rgs = 0;
    roll_sort_window = 0;
    roll_ts_nullable = 0;
    roll_partition = FLOE_PARTITION_NONE;
}

/* ---- page index ---------------------------------------------------------------- */

#define PI_MAX_PAGES 256

struct page_index_facts {
    uint32_t n;
    int64_t offset[PI_MAX_PAGES], first_row[PI_MAX_PAGES];
    int32_t size[PI_MAX_PAGES];
    int has_column_index;
    uint32_t n_ci;
    int null_page[PI_MAX_PAGES];
    uint8_t min[PI_MAX_PAGES][40], max[PI_MAX_PAGES][40];
    size_t min_len[PI_MAX_PAGES], max_len[PI_MAX_PAGES];
    int64_t nulls[PI_MAX_PAGES];
    int32_t order;
};

static struct page_index_facts pif;

static int read_binary_list(struct floe_thrift_reader *r, uint8_t (*out)[40], size_t *len, uint32_t *n)
{
    int et;
    uint32_t k;
    FLOE_TRY(floe_thrift_read_list_header(r, &et, n));
    if (*n > PI_MAX_PAGES)
        return FLOE_ERR_LIMIT;
    for (k = 0; k < *n; k++) {
        const uint8_t *p;
        FLOE_TRY(floe_thrift_read_binary(r, &p, &len[k]));
        if (len[k] > 40)
            return FLOE_ERR_LIMIT;
        memcpy(out[k], p, len[k]);
    }
    return FLOE_OK;
}

/* Parses the OffsetIndex and ColumnIndex (if any) of chunk (g, col) into pif. */
static int read_page_index(uint32_t g, uint32_t col)
{
    const struct chunk_facts *c = &ff.c[g][col];
    struct floe_thrift_reader r;
    int t, et;
    int16_t id;
    uint32_t k, n;
    memset(&pif, 0, sizeof pif);
    pif.order = -1;
    if (c->offset_index_at < 4 || (size_t)c->offset_index_at + (size_t)c->offset_index_len > file_len)
        return FLOE_ERR_MALFORMED;
    floe_thrift_reader_init(&r, file_buf + c->offset_index_at, (size_t)c->offset_index_len);
    while ((t = floe_thrift_read_field_header(&r, NULL, &id)) > 0) {
        if (id != 1) {
            FLOE_TRY(floe_thrift_skip(&r, t));
            continue;
        }
        FLOE_TRY(floe_thrift_read_list_header(&r, &et, &pif.n));
        if (pif.n > PI_MAX_PAGES)
            return FLOE_ERR_LIMIT;
        for (k = 0; k < pif.n; k++) {
            int st;
            int16_t sid;
            FLOE_TRY(floe_thrift_read_struct_begin(&r));
            while ((st = floe_thrift_read_field_header(&r, NULL, &sid)) > 0) {
                if (sid == 1)
                    FLOE_TRY(floe_thrift_read_i64(&r, &pif.offset[k]));
                else if (sid == 2)
                    FLOE_TRY(floe_thrift_read_i32(&r, &pif.size[k]));
                else if (sid == 3)
                    FLOE_TRY(floe_thrift_read_i64(&r, &pif.first_row[k]));
                else
                    FLOE_TRY(floe_thrift_skip(&r, st));
            }
            FLOE_TRY(st);
        }
    }
    FLOE_TRY(t);
    if (c->column_index_at < 0)
        return FLOE_OK;
    if ((size_t)c->column_index_at + (size_t)c->column_index_len > file_len)
        return FLOE_ERR_MALFORMED;
    pif.has_column_index = 1;
    floe_thrift_reader_init(&r, file_buf + c->column_index_at, (size_t)c->column_index_len);
    while ((t = floe_thrift_read_field_header(&r, NULL, &id)) > 0) {
        if (id == 1) {
            FLOE_TRY(floe_thrift_read_list_header(&r, &et, &pif.n_ci));
            if (pif.n_ci > PI_MAX_PAGES)
                return FLOE_ERR_LIMIT;
            for (k = 0; k < pif.n_ci; k++)
                FLOE_TRY(floe_thrift_read_elem_bool(&r, &pif.null_page[k]));
        } else if (id == 2) {
            FLOE_TRY(read_binary_list(&r, pif.min, pif.min_len, &n));
        } else if (id == 3) {
            FLOE_TRY(read_binary_list(&r, pif.max, pif.max_len, &n));
        } else if (id == 4) {
            FLOE_TRY(floe_thrift_read_i32(&r, &pif.order));
        } else if (id == 5) {
            FLOE_TRY(floe_thrift_read_list_header(&r, &et, &n));
            if (n > PI_MAX_PAGES)
                return FLOE_ERR_LIMIT;
            for (k = 0; k < n; k++)
                FLOE_TRY(floe_thrift_read_i64(&r, &pif.nulls[k]));
        } else {
            FLOE_TRY(floe_thrift_skip(&r, t));
        }
    }
    return t;
}

/* The values a data page header at off says it holds. */
static int32_t page_values_at(int64_t off)
{
    struct floe_thrift_reader r;
    int t;
    int16_t id;
    int32_t values = -1;
    floe_thrift_reader_init(&r, file_buf + off, file_len - (size_t)off);
    while ((t = floe_thrift_read_field_header(&r, NULL, &id)) > 0) {
        if (id == 5) {
            int st;
            int16_t sid;
            if (floe_thrift_read_struct_begin(&r) != FLOE_OK)
                return -1;
            while ((st = floe_thrift_read_field_header(&r, NULL, &sid)) > 0) {
                if (sid == 1 ? floe_thrift_read_i32(&r, &values) : floe_thrift_skip(&r, st) != FLOE_OK)
                    return -1;
            }
        } else if (floe_thrift_skip(&r, t) != FLOE_OK) {
            return -1;
        }
    }
    return values;
}

/* The OffsetIndex tiles chunk (g, col)'s data pages: each location holds a
 * data page header whose values reach the next page's first row. */
static void check_offset_index(uint32_t g, uint32_t col)
{
    const struct chunk_facts *c = &ff.c[g][col];
    int64_t end = (c->dict_offset >= 0 ? c->dict_offset : c->data_offset) + c->total_comp;
    uint32_t k;
    REQUIRE(read_page_index(g, col) == FLOE_OK);
    REQUIRE(pif.n > 0);
    CHECK_EQ_U64((uint64_t)pif.offset[0], (uint64_t)c->data_offset);
    CHECK_EQ_U64((uint64_t)pif.first_row[0], 0);
    for (k = 0; k < pif.n; k++) {
        int64_t next = k + 1 < pif.n ? pif.offset[k + 1] : end;
        int64_t rows = (k + 1 < pif.n ? pif.first_row[k + 1] : ff.rg_rows[g]) - pif.first_row[k];
        CHECK_EQ_U64((uint64_t)(pif.offset[k] + pif.size[k]), (uint64_t)next);
        CHECK_EQ_INT(page_values_at(pif.offset[k]), (int)rows);
    }
}

TEST(parquet_page_index_locates_pages_and_bounds_them)
{
    int64_t i;
    uint32_t k;
    REQUIRE(open_one(FLOE_TYPE_INT64, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    /* Unique values: DELTA pages of FLOE_PARQUET_PAGE_MAX_VALUES each. */
    for (i = 0; i < 50000; i++)
        REQUIRE(put_i64(1000 + i * 3) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.n_rgs == 1);
    check_offset_index(0, 0);
    REQUIRE(pif.has_column_index);
    REQUIRE(pif.n_ci == pif.n && pif.n >= 3);
    for (k = 0; k < pif.n; k++) {
        int64_t first = pif.first_row[k], last = (k + 1 < pif.n ? pif.first_row[k + 1] : 50000) - 1;
        CHECK(!pif.null_page[k]);
        CHECK_EQ_U64((uint64_t)le64(pif.min[k]), (uint64_t)(1000 + first * 3));
        CHECK_EQ_U64((uint64_t)le64(pif.max[k]), (uint64_t)(1000 + last * 3));
        CHECK_EQ_U64((uint64_t)pif.nulls[k], 0);
    }
    CHECK_EQ_INT(pif.order, 1); /* ASCENDING */

    /* Falling values: DESCENDING. */
    REQUIRE(open_one(FLOE_TYPE_INT32, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    for (i = 0; i < 50000; i++)
        REQUIRE(put_i64(-i * 7) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    check_offset_index(0, 0);
    REQUIRE(pif.has_column_index && pif.n >= 3);
    CHECK_EQ_INT(pif.order, 2);
    CHECK_EQ_INT(le32(pif.max[1]), (int32_t)(-pif.first_row[1] * 7));
}

/* A dictionary page's bounds come from the entries it used: pages of
 * different value sets, with entry numbers past one 64-bit word. Each
 * page's bounds and nulls must be its rows'. */
TEST(parquet_page_index_bounds_dictionary_pages)
{
    static char vals[24200][8]; /* "" for a null */
    int i, n = 0;
    uint32_t k;
    REQUIRE(open_one(FLOE_TYPE_STRING, 1, FLOE_PARQUET_UNCOMPRESSED) == FLOE_OK);
    for (i = 0; i < 200; i++) /* 200 entries, falling, while the index width grows */
        snprintf(vals[n++], 8, "v%03d", 199 - i);
    for (i = 0; i < 24000; i++) /* repeats, a few distinct, and nulls: more 4K pages */
        if (i % 10 == 0)
            vals[n++][0] = 0;
        else
            snprintf(vals[n++], 8, "v%03d", 130 + (i * 7) % 61);
    for (i = 0; i < n; i++)
        REQUIRE((vals[i][0] ? put_str(vals[i], 4) : put_null()) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.n_rgs == 1);
    CHECK(ff.c[0][0].encodings & (1u << 8)); /* RLE_DICTIONARY */
    check_offset_index(0, 0);
    REQUIRE(pif.has_column_index && pif.n >= 8);
    for (k = 0; k < pif.n; k++) {
        int from = (int)pif.first_row[k], to = k + 1 < pif.n ? (int)pif.first_row[k + 1] : n;
        const char *lo = NULL, *hi = NULL;
        int nulls = 0;
        for (i = from; i < to; i++) {
            if (!vals[i][0]) {
                nulls++;
                continue;
            }
            if (lo == NULL || strcmp(vals[i], lo) < 0)
                lo = vals[i];
            if (hi == NULL || strcmp(vals[i], hi) > 0)
                hi = vals[i];
        }
        CHECK_EQ_U64((uint64_t)pif.nulls[k], (uint64_t)nulls);
        REQUIRE(lo != NULL && !pif.null_page[k]);
        REQUIRE(pif.min_len[k] == 4 && pif.max_len[k] == 4);
        CHECK_EQ_MEM(pif.min[k], lo, 4);
        CHECK_EQ_MEM(pif.max[k], hi, 4);
    }
    CHECK_EQ_INT(pif.order, 0); /* falling, then back up: UNORDERED */
}

/* Dictionary indices that outgrow their bit width early re-pack the page:
 * a row group's first 600 distinct values make one data page at 10 bits
 * (it was a page at each width: 1, 1, 2, 4... values), and its indices
 * read back. A width passed late, when re-packing would cost more than a
 * page, starts a new page. */
TEST(parquet_dictionary_indices_widen_their_page)
{
    static uint32_t got[1000];
    char s[8];
    int32_t type = -1, enc = -1, uncomp = -1, comp = -1;
    size_t hdr;
    int i;
    REQUIRE(open_one_default_dict_paged(FLOE_TYPE_STRING, FLOE_PARQUET_UNCOMPRESSED, 32 * 1024) == FLOE_OK);
    for (i = 0; i < 1000; i++) {
        snprintf(s, sizeof s, "s%03d", i < 600 ? i : (i - 600) * 7 % 600);
        REQUIRE(put_str(s, 4) == FLOE_OK);
    }
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.n_rgs == 1 && ff.c[0][0].dict_offset >= 0);
    REQUIRE(read_page_index(0, 0) == FLOE_OK);
    CHECK_EQ_U64(pif.n, 1);
    REQUIRE(page_at(ff.c[0][0].data_offset, &type, &enc, &uncomp, &comp, &hdr) == FLOE_OK);
    CHECK_EQ_INT(enc, 8); /* RLE_DICTIONARY */
    REQUIRE(uncomp > 1);
    CHECK_EQ_INT(file_buf[ff.c[0][0].data_offset + hdr], 10);
    REQUIRE(floe_rle_decode(file_buf + ff.c[0][0].data_offset + hdr + 1, (size_t)uncomp - 1u, 10, got, 1000) > 0);
    for (i = 0; i < 1000; i++)
        if (got[i] != (uint32_t)(i < 600 ? i : (i - 600) * 7 % 600)) {
            test_fail(__FILE__, __LINE__, "index %d: %u", i, got[i]);
            break;
        }

    /* 4,000 indices of 8 bits, then a 257th value: 500 bytes more to
     * re-pack, so a new page. */
    REQUIRE(open_one_default_dict_paged(FLOE_TYPE_STRING, FLOE_PARQUET_UNCOMPRESSED, 32 * 1024) == FLOE_OK);
    for (i = 0; i < 4001; i++) {
        snprintf(s, sizeof s, "s%03d", i < 4000 ? i * 13 % 256 : 256);
        REQUIRE(put_str(s, 4) == FLOE_OK);
    }
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(read_page_index(0, 0) == FLOE_OK);
    REQUIRE(pif.n == 2);
    CHECK_EQ_U64((uint64_t)pif.first_row[1], 4000);
}

/* A page of nulls is a null page with empty bounds; a NaN on any page takes
 * the chunk's ColumnIndex away (its OffsetIndex stays). */
TEST(parquet_page_index_null_pages_and_nan)
{
    int i;
    uint32_t k;
    REQUIRE(open_one(FLOE_TYPE_DOUBLE, 1, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    for (i = 0; i < 30000; i++)
        REQUIRE(put_null() == FLOE_OK);
    for (i = 0; i < 30000; i++)
        REQUIRE(put_double(i * 0.5) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    check_offset_index(0, 0);
    REQUIRE(pif.has_column_index && pif.n >= 3);
    CHECK(pif.null_page[0]);
    CHECK_EQ_INT((int)pif.min_len[0], 0);
    CHECK_EQ_U64((uint64_t)pif.nulls[0], (uint64_t)pif.first_row[1]);
    for (k = 0; k < pif.n; k++)
        if (!pif.null_page[k])
            break;
    REQUIRE(k < pif.n);
    CHECK(le_double(pif.max[pif.n - 1]) == 29999 * 0.5);
    CHECK_EQ_INT(pif.order, 0); /* a null page among them: no order claimed */

    REQUIRE(open_one(FLOE_TYPE_DOUBLE, 0, FLOE_PARQUET_SNAPPY) == FLOE_OK);
    for (i = 0; i < 30000; i++)
        REQUIRE(put_double(i == 25000 ? 0.0 / 0.0 : i * 0.25) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    check_offset_index(0, 0);
    CHECK(!pif.has_column_index);
}

/* A fixed pseudo-random 64-bit value for x (splitmix64's finalizer). */
static uint64_t scatter(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Three row groups of one column into a file with page_index_bytes room
 * (0: the default); the footer parsed into ff. */
static void three_row_groups(uint32_t room)
{
    int i;
    one_column(FLOE_TYPE_INT64, 0);
    small_config(&pcfg, &schema, FLOE_PARQUET_UNCOMPRESSED);
    pcfg.page_index_bytes = room;
    REQUIRE(open_configured() == FLOE_OK);
    /* Scattered 64-bit values (the same pages every time) until two row
     * groups are out, then a few rows: a small last chunk. */
    for (i = 0; pq.stats.row_groups < 2; i++)
        REQUIRE(put_i64((int64_t)scatter((uint64_t)i)) == FLOE_OK);
    for (i = 0; i < 10; i++)
        REQUIRE(put_i64(i) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    REQUIRE(ff.n_rgs == 3);
}

/* The index buffer bounds the index. arrow-rs rejects a file where some
 * chunks have an OffsetIndex and others not, so ColumnIndexes give way to
 * OffsetIndexes, and a file whose OffsetIndexes do not all fit has none.
 * Without a page index, no chunk has one. */
TEST(parquet_page_index_within_its_buffer)
{
    uint32_t oi[3], ci[3], g;
    int i;
    three_row_groups(0);
    for (g = 0; g < 3; g++) {
        check_offset_index(g, 0);
        REQUIRE(ff.c[g][0].column_index_at > 0);
        oi[g] = (uint32_t)ff.c[g][0].offset_index_len;
        ci[g] = (uint32_t)ff.c[g][0].column_index_len;
    }
    REQUIRE(ci[1] > oi[2] + 4u && ci[0] > oi[2] + 4u && ci[2] > 4u);

    /* Room for every OffsetIndex and the first ColumnIndex. */
    three_row_groups(oi[0] + oi[1] + oi[2] + ci[0] + 4u);
    for (g = 0; g < 3; g++)
        check_offset_index(g, 0);
    CHECK(ff.c[0][0].column_index_at > 0);
    CHECK(ff.c[1][0].column_index_at < 0 && ff.c[2][0].column_index_at < 0);
    REQUIRE(read_page_index(0, 0) == FLOE_OK);
    CHECK(pif.has_column_index && pif.n_ci == pif.n);

    /* The second OffsetIndex fits only once the first ColumnIndex goes. */
    three_row_groups(oi[0] + ci[0] + oi[1] - 1u);
    for (g = 0; g < 3; g++) {
        check_offset_index(g, 0);
        CHECK(ff.c[g][0].column_index_at < 0);
    }

    /* The second OffsetIndex does not fit at all: no page index. */
    three_row_groups(oi[0] + 8u);
    for (g = 0; g < 3; g++)
        CHECK(ff.c[g][0].offset_index_at < 0 && ff.c[g][0].column_index_at < 0);

    one_column(FLOE_TYPE_INT64, 0);
    small_config(&pcfg, &schema, FLOE_PARQUET_UNCOMPRESSED);
    pcfg.no_page_index = 1;
    REQUIRE(open_configured() == FLOE_OK);
    for (i = 0; i < 100; i++)
        REQUIRE(put_i64(i) == FLOE_OK);
    REQUIRE(close_and_read() == FLOE_OK);
    CHECK(ff.c[0][0].offset_index_at < 0 && ff.c[0][0].column_index_at < 0);
}
