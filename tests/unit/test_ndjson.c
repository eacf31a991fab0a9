#define _DEFAULT_SOURCE
#include "test.h"
#include "floe/floe.h"
#include "floe/ndjson.h"
#include "ndjson/json.h"
#include "ndjson/number.h"
#include <dirent.h>
#include <math.h>
#include <stdlib.h>

/* ---- strict JSON ---------------------------------------------------------- */

static uint8_t json_work[1 << 16];

static int validate(const char *s)
{
    return floe_json_validate_text(s, strlen(s), json_work, sizeof json_work, 256, 16, NULL, NULL);
}

TEST(json_accepts_rfc8259_texts)
{
    static const char *const ok[] = {
        "{}", "[]", "0", "-0", "1.5e-3", "\"\"", "true", "null", " {\"a\" : [1, 2 , {\"b\":null}] } ",
        "[\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\"]", "{\"a\":{\"b\":{\"c\":[[]]}}}", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
        "[1E+2,1e-2,-1.0e0]", "\t[\r\n]", "\"\x7f\"",
    };
    size_t i;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (validate(ok[i]) != FLOE_OK)
            test_fail(__FILE__, __LINE__, "rejected valid JSON: %s", ok[i]);
    }
}

/* A string's bytes are checked by a scan of the whole line in blocks (and a
 * last block overlapping the one before): one special byte at every place of
 * lines of every length from 4 to 80 bytes must be found. */
TEST(json_string_bytes_checked_at_every_place)
{
    static const struct {
        const char *bytes;
        int ok;
    } cases[] = {{"\x01", 0}, {"\x1f", 0}, {"\t", 0}, {"\x7f", 1}, {"\x80", 0}, {"\xc3\xa9", 1},
                 {"\xed\xa0\x80", 0}, {"\\n", 1}, {"\\x", 0}, {"\\ud800", 0}, {"~", 1}};
    char text[128];
    size_t len, at, k;
    for (len = 4; len <= 80; len++) {
        for (at = 2; at + 2 < len; at++) {
            for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
                size_t bl = strlen(cases[k].bytes);
                int rc;
                if (at + bl + 2 > len)
                    continue;
                memset(text, 'a', len);
                text[0] = '[';
                text[1] = '"';
                text[len - 2] = '"';
                text[len - 1] = ']';
                memcpy(text + at, cases[k].bytes, bl);
                rc = floe_json_validate_text(text, len, json_work, sizeof json_work, 256, 16, NULL, NULL);
                if ((rc == FLOE_OK) != cases[k].ok) {
                    test_fail(__FILE__, __LINE__, "length %zu, byte %zu, case %zu: rc %d", len, at, k, rc);
                    return;
                }
            }
        }
    }
}

TEST(json_rejects_what_jsmn_alone_lets_through)
{
    static const char *const bad[] = {
        "", " ", "{", "}", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":}", "{1:2}", "{\"a\"}", "[1 2]",
        "01", "1.", ".5", "+1", "-", "1e", "1e+", "tru", "nul", "truex", "NaN", "Infinity", "0x10",
        "{} {}", "1 2", "[1]x", "\"a\" \"b\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud800\\u0041\"", "\"a\tb\"", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
        "\"\xff\"", "[1]]", "[[1]", "{\"a\":1]", "'a'", "[1,\n]", "\xef\xbb\xbf{}", "{\"a\":1}\x01",
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (validate(bad[i]) == FLOE_OK)
            test_fail(__FILE__, __LINE__, "accepted invalid JSON: [%s]", bad[i]);
    }
    /* An embedded NUL ends nothing: the text is invalid. */
    CHECK(floe_json_validate_text("{}\0", 3, json_work, sizeof json_work, 16, 16, NULL, NULL) != FLOE_OK);
    CHECK(floe_json_validate_text("[\"a\0\"]", 6, json_work, sizeof json_work, 16, 16, NULL, NULL) != FLOE_OK);
}

TEST(json_limits_depth_and_tokens)
{
    static char deep[200];
    const char *why = NULL;
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    CHECK_EQ_INT(floe_json_validate_text(deep, 200, json_work, sizeof json_work, 256, 16, &why, NULL), FLOE_ERR_LIMIT);
    CHECK(why != NULL && strstr(why, "deep") != NULL);
    CHECK_EQ_INT(floe_json_validate_text(deep + 84, 32, json_work, sizeof json_work, 256, 16, NULL, NULL), FLOE_OK);
    CHECK_EQ_INT(floe_json_validate_text("[1,2,3,4]", 9, json_work, sizeof json_work, 4, 16, &why, NULL),
                 FLOE_ERR_LIMIT);
    CHECK_EQ_INT(floe_json_validate_text("[1,2,3]", 7, json_work, sizeof json_work, 4, 16, NULL, NULL), FLOE_OK);
}

TEST(json_unescape_and_compact)
{
    char out[64];
    size_t n = floe_json_unescape("a\\n\\u00e9\\ud83d\\ude00\\/\\\"", 25, out);
    CHECK_EQ_INT(n, 10);
    CHECK(memcmp(out, "a\n\xc3\xa9\xf0\x9f\x98\x80/\"", 10) == 0);
    n = floe_json_compact("{ \"a b\" : [ 1 , \"x \\\" y\" ] }", 29, out);
    out[n] = 0;
    CHECK_EQ_STR(out, "{\"a b\":[1,\"x \\\" y\"]}");
}

/* JSONTestSuite (../shared/testdata): every y_ accepted, every n_ rejected,
 * every i_ decided without a crash. */
static char suite_buf[1 << 20];

TEST(json_test_suite)
{
    const char *base = getenv("FLOE_TESTDATA");
    char dir[512], path[1024];
    DIR *d;
    struct dirent *e;
    int y = 0, n = 0, i_acc = 0, i_rej = 0;
    if (base == NULL)
        base = "../shared/testdata";
    snprintf(dir, sizeof dir, "%s/jsontestsuite/test_parsing", base);
    d = opendir(dir);
    if (d == NULL) {
        test_fail(__FILE__, __LINE__, "JSONTestSuite not found at %s (set FLOE_TESTDATA)", dir);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        FILE *f;
        size_t len;
        int r;
        if (e->d_name[0] != 'y' && e->d_name[0] != 'n' && e->d_name[0] != 'i')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        f = fopen(path, "rb");
        REQUIRE(f != NULL);
        len = fread(suite_buf, 1, sizeof suite_buf, f);
        fclose(f);
        r = floe_json_validate_text(suite_buf, len, json_work, sizeof json_work, 1024, 64, NULL, NULL);
        if (e->d_name[0] == 'y') {
            y++;
            if (r != FLOE_OK)
                test_fail(__FILE__, __LINE__, "rejected %s", e->d_name);
        } else if (e->d_name[0] == 'n') {
            n++;
            if (r == FLOE_OK)
                test_fail(__FILE__, __LINE__, "accepted %s", e->d_name);
        } else {
            /* docs/jsontestsuite.md: numbers of any size are valid syntax
             * (typed columns range-check them); no other i_ file passes
             * (bad UTF-8, lone surrogates, UTF-16, a BOM, depth 500 > 64). */
            int want = strncmp(e->d_name, "i_number_", 9) == 0;
            if ((r == FLOE_OK) != want)
                test_fail(__FILE__, __LINE__, "%s %s, docs/jsontestsuite.md says otherwise", e->d_name,
                          r == FLOE_OK ? "accepted" : "rejected");
            if (r == FLOE_OK)
                i_acc++;
            else
                i_rej++;
        }
    }
    closedir(d);
    CHECK(y >= 90 && n >= 180 && i_acc == 10 && i_rej == 25);
    if (getenv("TEST_VERBOSE"))
        fprintf(stderr, "JSONTestSuite: %d y_ accepted, %d n_ rejected, i_: %d accepted %d rejected\n", y, n,
                i_acc, i_rej);
}

/* ---- the decoder ---------------------------------------------------------- */

#define MAX_ROWS 64
struct captured_row {
    struct floe_value v[16];
    char strs[16][128];
    uint64_t line;
    uint64_t offset;
};
struct capture {
    int rows, dls;
    struct captured_row row[MAX_ROWS];
    int dl_reason[MAX_ROWS];
    char dl_text[MAX_ROWS][200];
    char dl_raw[MAX_ROWS][64];
    uint64_t dl_line[MAX_ROWS];
    int dl_truncated[MAX_ROWS];
};
static struct capture cap;

static const struct floe_schema *capture_schema;

static int on_row(void *ctx, const struct floe_row *row)
{
    struct capture *c = ctx;
    struct captured_row *r;
    size_t i;
    if (c->rows == MAX_ROWS)
        return FLOE_OK;
    r = &c->row[c->rows++];
    r->line = row->line;
    r->offset = row->offset;
    for (i = 0; i < row->n_values && i < 16; i++) {
        int is_string = capture_schema == NULL || i >= capture_schema->n_columns ||
                        capture_schema->columns[i].type == FLOE_TYPE_STRING ||
                        capture_schema->columns[i].type == FLOE_TYPE_JSON;
        r->v[i] = row->values[i];
        /* copy strings (they live only during the callback) */
        if (!row->values[i].is_null && is_string) {
            size_t n = row->values[i].v.str.len < 127 ? row->values[i].v.str.len : 127;
            memcpy(r->strs[i], row->values[i].v.str.ptr, n);
            r->strs[i][n] = 0;
        }
    }
    return FLOE_OK;
}

static int on_dl(void *ctx, const struct floe_dead_letter *dl)
{
    struct capture *c = ctx;
    if (c->dls < MAX_ROWS) {
        size_t n = dl->raw_len < 63 ? dl->raw_len : 63;
        c->dl_reason[c->dls] = dl->reason;
        snprintf(c->dl_text[c->dls], sizeof c->dl_text[0], "%s", dl->reason_text);
        memcpy(c->dl_raw[c->dls], dl->raw, n);
        c->dl_raw[c->dls][n] = 0;
        c->dl_line[c->dls] = dl->line;
        c->dl_truncated[c->dls] = dl->truncated;
    }
    c->dls++;
    return FLOE_OK;
}

static const struct floe_column telemetry_cols[] = {
    {"ts", NULL, FLOE_TYPE_TIMESTAMP_US, 0, 0},
    {"device_id", NULL, FLOE_TYPE_STRING, 0, 0},
    {"seq", NULL, FLOE_TYPE_INT64, 0, 0},
    {"temp_c", NULL, FLOE_TYPE_DOUBLE, 1, 0},
    {"rssi", NULL, FLOE_TYPE_INT32, 1, 0},
    {"ok", NULL, FLOE_TYPE_BOOL, 1, 0},
    {"site", "tags.site", FLOE_TYPE_STRING, 1, 0},
    {"f", NULL, FLOE_TYPE_FLOAT, 1, 0},
    {"day", NULL, FLOE_TYPE_DATE, 1, 0},
    {"ts_ms", NULL, FLOE_TYPE_TIMESTAMP_MS, 1, FLOE_EPOCH_S},
};
static const struct floe_schema telemetry = {telemetry_cols, 10, 1};

static uint64_t arena_buf[(4u << 20) / 8];
static struct floe_ndjson dec;
static struct floe_ndjson_config dcfg;

static void setup_decoder(const struct floe_schema *schema, uint32_t max_line, uint32_t window_log)
{
    struct floe_arena a;
    size_t need;
    memset(&cap, 0, sizeof cap);
    memset(&dcfg, 0, sizeof dcfg);
    capture_schema = schema;
    dcfg.schema = schema;
    dcfg.on_row = on_row;
    dcfg.on_dead_letter = on_dl;
    dcfg.cb_ctx = &cap;
    dcfg.max_line_bytes = max_line;
    dcfg.zstd_window_log = window_log;
    dcfg.dl_raw_max = 40;
    need = floe_ndjson_size(&dcfg);
    floe_arena_init(&a, arena_buf, sizeof arena_buf);
    floe_ndjson_init(&dec);
    if (floe_ndjson_setup(&dec, &dcfg, &a) != FLOE_OK)
        test_fail(__FILE__, __LINE__, "setup failed");
    /* The size function and the carving agree exactly. */
    CHECK_EQ_INT(a.used, need);
}

/* Decodes all of text[0..n) as one source named name, in one push. */
static void decode_whole(const struct floe_schema *schema, const char *name, const char *text, size_t n)
{
    setup_decoder(schema, 0, 0);
    floe_ndjson_begin(&dec, name);
    floe_ndjson_push(&dec, text, n);
    floe_ndjson_end(&dec);
}

/* Pushes text in chunks of pseudo-random sizes (including 0 and 1). */
static void push_chunked(const char *text, size_t n, int max_chunk)
{
    size_t at = 0;
    while (at < n) {
        size_t k = max_chunk <= 1 ? 1 : (size_t)(test_rand() % (uint64_t)max_chunk);
        if (k > n - at)
            k = n - at;
        CHECK_EQ_INT(floe_ndjson_push(&dec, text + at, k), FLOE_OK);
        at += k;
    }
}

static const char telemetry_text[] =
    "{\"ts\":\"2025-01-01T00:00:00.123Z\",\"device_id\":\"gw-0001/sensor-01\",\"seq\":41,\"temp_c\":21.5,"
    "\"rssi\":-71,\"ok\":true,\"tags\":{\"site\":\"site-01\",\"line\":\"L1\"},\"f\":0.1,\"day\":\"2025-11-21\","
    "\"ts_ms\":1735689600}\r\n"
    "\n   \n"
    "{\"device_id\":\"caf\\u00e9\",\"ts\":\"2025-01-01T01:00:00+01:00\",\"seq\":-9223372036854775808,"
    "\"temp_c\":null,\"fw\":\"1.4.2\",\"ts_ms\":1735689600.5}\n"
    "{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"x\",\"seq\":1,\"tags\":{\"site\":\"s\",\"zone\":[1, 2]},\"z\":{}}";

static void check_telemetry_rows(void)
{
    REQUIRE(cap.rows == 3);
    CHECK_EQ_INT(cap.dls, 0);
    CHECK_EQ_INT(cap.row[0].v[0].v.i64, 1735689600123000LL);
    CHECK_EQ_STR(cap.row[0].strs[1], "gw-0001/sensor-01");
    CHECK_EQ_INT(cap.row[0].v[2].v.i64, 41);
    CHECK(cap.row[0].v[3].v.f64 == 21.5);
    CHECK_EQ_INT(cap.row[0].v[4].v.i64, -71);
    CHECK_EQ_INT(cap.row[0].v[5].v.b, 1);
    CHECK_EQ_STR(cap.row[0].strs[6], "site-01");
    CHECK(cap.row[0].v[7].v.f32 == 0.1f);
    CHECK_EQ_INT(cap.row[0].v[8].v.i64, 20413);
    CHECK_EQ_INT(cap.row[0].v[9].v.i64, 1735689600000LL);
    CHECK_EQ_STR(cap.row[0].strs[10], "{\"tags\":{\"line\":\"L1\"}}");
    CHECK_EQ_INT(cap.row[0].line, 1);

    CHECK_EQ_INT(cap.row[1].line, 4);
    CHECK_EQ_STR(cap.row[1].strs[1], "caf\xc3\xa9");
    CHECK_EQ_INT(cap.row[1].v[0].v.i64, 1735689600000000LL);
    CHECK_EQ_INT(cap.row[1].v[2].v.i64, INT64_MIN);
    CHECK(cap.row[1].v[3].is_null && cap.row[1].v[4].is_null && cap.row[1].v[6].is_null);
    CHECK_EQ_INT(cap.row[1].v[9].v.i64, 1735689600500LL);
    CHECK_EQ_STR(cap.row[1].strs[10], "{\"fw\":\"1.4.2\"}");

    /* The last line has no newline: a record once the input ends. */
    CHECK_EQ_STR(cap.row[2].strs[10], "{\"tags\":{\"zone\":[1,2]},\"z\":{}}");
    CHECK_EQ_INT(dec.stats.records_ok, 3);
    CHECK_EQ_INT(dec.stats.lines, 3);
}

TEST(ndjson_decodes_typed_values_whole_and_in_random_chunks)
{
    int max_chunk;
    for (max_chunk = 0; max_chunk <= 64; max_chunk = max_chunk ? max_chunk * 2 : 1) {
        setup_decoder(&telemetry, 0, 0);
        CHECK_EQ_INT(floe_ndjson_begin(&dec, "t.ndjson"), FLOE_OK);
        if (max_chunk == 0)
            CHECK_EQ_INT(floe_ndjson_push(&dec, telemetry_text, sizeof telemetry_text - 1), FLOE_OK);
        else
            push_chunked(telemetry_text, sizeof telemetry_text - 1, max_chunk);
        CHECK_EQ_INT(floe_ndjson_end(&dec), FLOE_OK);
        check_telemetry_rows();
    }
}

/* Row offsets locate each line in the source whatever the chunking: the
 * spool resumes from them after a crash. */
TEST(ndjson_row_offsets_and_tell_survive_any_chunking)
{
    int max_chunk;
    const char *second = strstr(telemetry_text, "\n{\"device_id\"") + 1;
    const char *third = strstr(second, "\n") + 1;
    for (max_chunk = 1; max_chunk <= 300; max_chunk = max_chunk * 3 + 1) {
        uint64_t off, line;
        setup_decoder(&telemetry, 0, 0);
        floe_ndjson_begin(&dec, "t");
        push_chunked(telemetry_text, sizeof telemetry_text - 1, max_chunk);
        floe_ndjson_tell(&dec, &off, &line);
        CHECK_EQ_INT(off, third - telemetry_text); /* the unterminated last line is not complete yet */
        CHECK_EQ_INT(line, 4);
        floe_ndjson_end(&dec);
        REQUIRE(cap.rows == 3);
        CHECK_EQ_INT(cap.row[0].offset, 0);
        CHECK_EQ_INT(cap.row[1].offset, second - telemetry_text);
        CHECK_EQ_INT(cap.row[2].offset, third - telemetry_text);
    }
}

/* A source resumed part-way gives the same rows as reading it whole. */
TEST(ndjson_resume_at_offset_by_seek_or_skip)
{
    const char *second = strstr(telemetry_text, "\n{\"device_id\"") + 1;
    size_t at = (size_t)(second - telemetry_text);
    setup_decoder(&telemetry, 0, 0);
    CHECK_EQ_INT(floe_ndjson_begin_at(&dec, "t", at, 3, 0), FLOE_OK);
    push_chunked(second, sizeof telemetry_text - 1 - at, 17);
    floe_ndjson_end(&dec);
    REQUIRE(cap.rows == 2);
    CHECK_EQ_INT(cap.row[0].line, 4);
    CHECK_EQ_INT(cap.row[0].offset, at);
    CHECK_EQ_STR(cap.row[0].strs[1], "caf\xc3\xa9");
    setup_decoder(&telemetry, 0, 0);
    CHECK_EQ_INT(floe_ndjson_begin_at(&dec, "t", at, 3, 1), FLOE_OK);
    push_chunked(telemetry_text, sizeof telemetry_text - 1, 17);
    floe_ndjson_end(&dec);
    REQUIRE(cap.rows == 2);
    CHECK_EQ_INT(cap.row[0].line, 4);
    CHECK_EQ_INT(cap.row[0].offset, at);
}

struct dl_case {
    const char *line;
    int reason;
    const char *text_has;
};

TEST(ndjson_dead_letters_name_reason_and_field)
{
    static const char good_line[] = "\n{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"b\",\"seq\":2}\n";
    static const struct dl_case cases[] = {
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\"", FLOE_DL_MALFORMED_JSON, "end"},
        {"[1,2]", FLOE_DL_NOT_OBJECT, "object"},
        {"\"just a string\"", FLOE_DL_NOT_OBJECT, "object"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":1,\"seq\":2}", FLOE_DL_DUPLICATE_KEY, "seq"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":1,\"q\":1,\"q\":2}", FLOE_DL_DUPLICATE_KEY, "q"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\"}", FLOE_DL_MISSING_FIELD, "seq"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":null,\"seq\":1}", FLOE_DL_MISSING_FIELD, "device_id"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":\"7\"}", FLOE_DL_WRONG_TYPE, "seq"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":1.5}", FLOE_DL_WRONG_TYPE, "fraction"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":9223372036854775808}", FLOE_DL_OUT_OF_RANGE, "int64"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":1,\"rssi\":2147483648}", FLOE_DL_OUT_OF_RANGE, "rssi"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":1,\"temp_c\":1e400}", FLOE_DL_OUT_OF_RANGE, "temp_c"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":1,\"f\":1e39}", FLOE_DL_OUT_OF_RANGE, "float"},
        {"{\"ts\":\"2025-02-30T00:00:00Z\",\"device_id\":\"a\",\"seq\":1}", FLOE_DL_BAD_TIMESTAMP, "range"},
        {"{\"ts\":\"yesterday\",\"device_id\":\"a\",\"seq\":1}", FLOE_DL_BAD_TIMESTAMP, "RFC 3339"},
        {"{\"ts\":1735689600,\"device_id\":\"a\",\"seq\":1}", FLOE_DL_WRONG_TYPE, "ts"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":1,\"tags\":5}", FLOE_DL_WRONG_TYPE, "tags"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":1,\"ok\":1}", FLOE_DL_WRONG_TYPE, "ok"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"\xff\",\"seq\":1}", FLOE_DL_BAD_UTF8, "UTF-8"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"\\ud800\",\"seq\":1}", FLOE_DL_BAD_UTF8, "surrogate"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\tb\",\"seq\":1}", FLOE_DL_MALFORMED_JSON, "control character"},
        {"{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", FLOE_DL_TOO_DEEP, "deep"},
        {"{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":1,\"day\":\"2025-1-1\"}", FLOE_DL_BAD_TIMESTAMP, "day"},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setup_decoder(&telemetry, 0, 0);
        floe_ndjson_begin(&dec, "dl");
        CHECK_EQ_INT(floe_ndjson_push(&dec, cases[i].line, strlen(cases[i].line)), FLOE_OK);
        CHECK_EQ_INT(floe_ndjson_push(&dec, good_line, sizeof good_line - 1), FLOE_OK);
        floe_ndjson_end(&dec);
        if (cap.dls != 1 || cap.dl_reason[0] != cases[i].reason || strstr(cap.dl_text[0], cases[i].text_has) == NULL)
            test_fail(__FILE__, __LINE__, "case %zu [%s]: %d dead letters, reason %d (%s) \"%s\"", i, cases[i].line,
                      cap.dls, cap.dl_reason[0], floe_dl_reason_name(cap.dl_reason[0]), cap.dl_text[0]);
        /* The stream carries on: the good line after it is a row. */
        CHECK_EQ_INT(cap.rows, 1);
        CHECK_EQ_INT(cap.dl_line[0], 1);
        CHECK_EQ_INT(dec.stats.dead_by_reason[cases[i].reason], 1);
    }
}

/* Refuses rows with seq 1; explains when reject_text is set. */
static const char *reject_text;
static int on_row_refusing(void *ctx, const struct floe_row *row)
{
    if (row->values[2].v.i64 != 1)
        return on_row(ctx, row);
    if (reject_text != NULL)
        snprintf(row->reject_reason, row->reject_reason_size, "%s", reject_text);
    return FLOE_ROW_REJECT;
}

TEST(ndjson_refused_row_is_a_dead_letter_with_the_callbacks_reason)
{
    static const char text[] = "{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":1}\n"
                               "{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"b\",\"seq\":2}\n";
    int k;
    for (k = 0; k < 2; k++) {
        reject_text = k == 0 ? "column \"device_id\": too long for a page" : NULL;
        setup_decoder(&telemetry, 0, 0);
        dcfg.on_row = on_row_refusing;
        floe_ndjson_begin(&dec, "refuse");
        CHECK_EQ_INT(floe_ndjson_push(&dec, text, sizeof text - 1), FLOE_OK);
        CHECK_EQ_INT(floe_ndjson_end(&dec), FLOE_OK);
        CHECK_EQ_INT(cap.rows, 1);
        REQUIRE(cap.dls == 1);
        CHECK_EQ_INT(cap.dl_reason[0], FLOE_DL_REJECTED);
        CHECK_EQ_INT(cap.dl_line[0], 1);
        CHECK_EQ_STR(cap.dl_text[0], k == 0 ? reject_text : "row rejected by the row callback");
    }
    reject_text = NULL;
}

/* What a dead-letter writer may put as text: UTF-8 whole, a character cut
 * by the raw limit dropped, anything else (size_t)-1 (latin-1 bytes). */
TEST(dead_letter_raw_text_len_keeps_utf8_and_flags_the_rest)
{
    static const struct { const char *raw; size_t line_len; size_t want; } cases[] = {
        {"plain ascii", 11, 11},
        {"caf\xc3\xa9 \xe2\x98\x95 \xf0\x9d\x84\x9e", 14, 14},
        {"\xff\xfe", 2, (size_t)-1},
        {"ok \xc0\x80", 5, (size_t)-1},        /* overlong NUL */
        {"\xed\xa0\x80", 3, (size_t)-1},      /* a UTF-16 surrogate */
        {"\xf4\x90\x80\x80", 4, (size_t)-1}, /* past U+10FFFF */
        {"caf\xc3", 5, 3},                     /* cut inside the last character */
        {"ab\xe2\x98", 9, 2},
        {"caf\xc3", 4, (size_t)-1},            /* not cut: the line itself ends there */
        {"ab\xff", 9, (size_t)-1},             /* cut, but an invalid byte */
        {"ab\xc3\xc3", 9, (size_t)-1},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct floe_dead_letter dl;
        memset(&dl, 0, sizeof dl);
        dl.raw = cases[i].raw;
        dl.raw_len = strlen(cases[i].raw);
        dl.line_len = cases[i].line_len;
        dl.truncated = dl.raw_len < dl.line_len;
        if (floe_dead_letter_raw_text_len(&dl) != cases[i].want)
            test_fail(__FILE__, __LINE__, "case %zu: got %zu, want %zu", i, floe_dead_letter_raw_text_len(&dl),
                      cases[i].want);
    }
    CHECK_EQ_INT(floe_utf8_prefix("ab\xc3\xa9\xff", 5), 4);
    CHECK_EQ_INT(floe_utf8_prefix("", 0), 0);
}

TEST(ndjson_overlong_line_is_dead_lettered_and_stream_continues)
{
    static char text[600];
    int chunk;
    for (chunk = 0; chunk < 3; chunk++) {
        size_t n = 0;
        setup_decoder(&telemetry, 128, 0);
        floe_ndjson_begin(&dec, "long");
        n += (size_t)sprintf(text + n, "{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":1}\n");
        n += (size_t)sprintf(text + n, "{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"");
        memset(text + n, 'x', 300);
        n += 300;
        n += (size_t)sprintf(text + n, "\",\"seq\":2}\n{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"c\",\"seq\":3}");
        if (chunk == 0)
            floe_ndjson_push(&dec, text, n);
        else
            push_chunked(text, n, chunk == 1 ? 7 : 200);
        floe_ndjson_end(&dec);
        CHECK_EQ_INT(cap.rows, 2);
        CHECK_EQ_INT(cap.dls, 1);
        CHECK_EQ_INT(cap.dl_reason[0], FLOE_DL_LINE_TOO_LONG);
        CHECK_EQ_INT(cap.dl_line[0], 2);
        CHECK_EQ_INT(cap.dl_truncated[0], 1); /* only its start is kept */
        CHECK_EQ_INT(cap.row[1].line, 3);
        CHECK(strncmp(cap.dl_raw[0], "{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id", 39) == 0);
    }
    /* An overlong final line without a newline. */
    setup_decoder(&telemetry, 128, 0);
    floe_ndjson_begin(&dec, "long2");
    floe_ndjson_push(&dec, text + 56, 200);
    floe_ndjson_end(&dec);
    CHECK_EQ_INT(cap.dls, 1);
    CHECK_EQ_INT(cap.dl_reason[0], FLOE_DL_LINE_TOO_LONG);
}

TEST(ndjson_bom_at_start_and_validate_only_mode)
{
    static const char text[] = "\xef\xbb\xbf{\"a\":1}\n\xef\xbb\xbf{\"a\":2}\n{\"b\":[1,{}]}";
    decode_whole(NULL, "bom", text, sizeof text - 1);
    CHECK_EQ_INT(cap.rows, 2);
    CHECK_EQ_INT(cap.dls, 1); /* a BOM is only dropped at the start of a source */
    CHECK_EQ_INT(cap.dl_line[0], 2);
}

/* zstd input: compressed by the zstd tool, so the test also proves interop. */
static size_t read_file(const char *path, char *buf, size_t cap_bytes)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL)
        return 0;
    n = fread(buf, 1, cap_bytes, f);
    fclose(f);
    return n;
}

static char zbuf[1 << 16];

static size_t make_zstd(const char *text, size_t n, const char *zstd_args)
{
    char in[512], out[512], cmd[1400];
    FILE *f;
    snprintf(in, sizeof in, "%s/z.in", test_tmpdir());
    snprintf(out, sizeof out, "%s/z.out", test_tmpdir());
    f = fopen(in, "wb");
    if (f == NULL)
        return 0;
    fwrite(text, 1, n, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cat '%s' | zstd -q -c %s > '%s'", in, zstd_args, out);
    if (system(cmd) != 0)
        return 0;
    return read_file(out, zbuf, sizeof zbuf);
}

TEST(ndjson_zstd_frames_concatenated_with_checksums)
{
    size_t a, b;
    static char two[sizeof zbuf * 2];
    int max_chunk;
    a = make_zstd(telemetry_text, 300, "--check");
    REQUIRE(a > 0 && a < sizeof zbuf);
    memcpy(two, zbuf, a);
    b = make_zstd(telemetry_text + 300, sizeof telemetry_text - 1 - 300, "--no-check");
    REQUIRE(b > 0);
    memcpy(two + a, zbuf, b);
    /* zstd reading a pipe does not know the size and uses a 2 MiB window
     * (level 3): the default limit (window_log 21) takes it. */
    for (max_chunk = 0; max_chunk <= 16; max_chunk += 4) {
        setup_decoder(&telemetry, 0, 0);
        floe_ndjson_begin(&dec, "t.ndjson.zst");
        if (max_chunk == 0)
            CHECK_EQ_INT(floe_ndjson_push(&dec, two, a + b), FLOE_OK);
        else
            push_chunked(two, a + b, max_chunk);
        CHECK_EQ_INT(floe_ndjson_end(&dec), FLOE_OK);
        if (cap.dls > 0)
            fprintf(stderr, "unexpected dead letter: %s\n", cap.dl_text[0]);
        check_telemetry_rows();
    }
}

/* An overlong line that a zstd frame cuts short: truncated_input, and
 * "truncated", as only its start is held (it said not, and a cut inside a
 * character then read as Latin-1). */
TEST(ndjson_overlong_line_cut_by_the_input_end_is_truncated)
{
    static char text[400], two[2 * sizeof zbuf];
    size_t n = (size_t)sprintf(text, "{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\""), z, a;
    memset(text + n, 'x', 300);
    n += 300;
    /* Two frames: the line's start whole (decoded, so held), then the
     * rest, cut short. */
    a = make_zstd(text, 200, "--no-check");
    REQUIRE(a > 0);
    memcpy(two, zbuf, a);
    z = make_zstd(text + 200, n - 200, "--no-check");
    REQUIRE(z > 8);
    memcpy(two + a, zbuf, z - 1);
    setup_decoder(&telemetry, 128, 0);
    floe_ndjson_begin(&dec, "long.zst");
    floe_ndjson_push(&dec, two, a + z - 1);
    floe_ndjson_end(&dec);
    REQUIRE(cap.dls == 1);
    CHECK_EQ_INT(cap.dl_reason[0], FLOE_DL_TRUNCATED_INPUT);
    CHECK_EQ_INT(cap.dl_truncated[0], 1);
}

TEST(ndjson_zstd_window_too_large_and_truncation_are_dead_letters)
{
    size_t n = make_zstd(telemetry_text, sizeof telemetry_text - 1, "--zstd=wlog=22");
    REQUIRE(n > 0);
    setup_decoder(&telemetry, 0, 20);
    floe_ndjson_begin(&dec, "big-window.zst");
    CHECK_EQ_INT(floe_ndjson_push(&dec, zbuf, n), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_ndjson_push(&dec, zbuf, 1), FLOE_ERR_MALFORMED); /* stays failed */
    floe_ndjson_end(&dec);
    CHECK_EQ_INT(cap.rows, 0);
    CHECK_EQ_INT(cap.dls, 1);
    CHECK_EQ_INT(cap.dl_reason[0], FLOE_DL_BAD_COMPRESSION);
    if (getenv("TEST_VERBOSE")) fprintf(stderr, "zstd dl: %s\n", cap.dl_text[0]);
    CHECK(strstr(cap.dl_text[0], "1024 KiB") != NULL);

    n = make_zstd(telemetry_text, sizeof telemetry_text - 1, "");
    setup_decoder(&telemetry, 0, 0);
    floe_ndjson_begin(&dec, "cut.zst");
    CHECK_EQ_INT(floe_ndjson_push(&dec, zbuf, n - 6), FLOE_OK);
    CHECK_EQ_INT(floe_ndjson_end(&dec), FLOE_OK);
    CHECK_EQ_INT(cap.dls, 1);
    CHECK_EQ_INT(cap.dl_reason[cap.dls - 1], FLOE_DL_TRUNCATED_INPUT);

    /* A checksum that does not match is found at the frame's end, after its
     * lines went on (the checksum pushed after the rest, so its lines are
     * decoded first): the reason says which lines came from that frame. */
    n = make_zstd(telemetry_text, sizeof telemetry_text - 1, "--check");
    zbuf[n - 1] ^= 0x01;
    setup_decoder(&telemetry, 0, 0);
    floe_ndjson_begin(&dec, "checksum.zst");
    CHECK_EQ_INT(floe_ndjson_push(&dec, zbuf, n - 4), FLOE_OK);
    CHECK_EQ_INT(floe_ndjson_push(&dec, zbuf + n - 4, 4), FLOE_ERR_MALFORMED);
    floe_ndjson_end(&dec);
    REQUIRE(cap.dls >= 1);
    CHECK_EQ_INT(cap.dl_reason[cap.dls - 1], FLOE_DL_BAD_COMPRESSION);
    if (strstr(cap.dl_text[cap.dls - 1], "checksum, in the frame from line 1 (its lines 1 to ") == NULL)
        test_fail(__FILE__, __LINE__, "reason: %s", cap.dl_text[cap.dls - 1]);

    /* Corrupt bytes inside the frame: a clear error, not garbage rows. */
    n = make_zstd(telemetry_text, sizeof telemetry_text - 1, "--check");
    zbuf[n / 2] ^= 0x55;
    setup_decoder(&telemetry, 0, 0);
    floe_ndjson_begin(&dec, "corrupt.zst");
    floe_ndjson_push(&dec, zbuf, n);
    floe_ndjson_end(&dec);
    CHECK(cap.dls >= 1);
}

/* Unnamed fields keep one spelling per key in _extra: an escaped key equals
 * its plain twin (a duplicate, dead-lettered), and what is written is the
 * decoded key, escaped only where JSON requires. A key repeated inside an
 * unnamed field's value is a duplicate too (readers of _extra would choose
 * differently), and its reason names both keys. */
TEST(ndjson_extra_keys_compare_decoded)
{
    static const char text[] =
        "{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"a\",\"seq\":1,\"q\":1,\"\\u0071\":2}\n"
        "{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"b\",\"seq\":2,\"k\\\"x\":1,\"k\\u0022x\":2}\n"
        "{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"d\",\"seq\":4,\"caf\\u00e9\":1,\"t\\u0009k\\u0001\":2,"
        "\"s\\/l\":3}\n"
        "{\"ts\":\"2025-01-01T00:00:00Z\",\"device_id\":\"e\",\"seq\":5,\"x\":{\"b\":[{\"a\":1,\"a\":2}]}}\n";
    setup_decoder(&telemetry, 0, 0);
    floe_ndjson_begin(&dec, "keys.ndjson");
    CHECK_EQ_INT(floe_ndjson_push(&dec, text, sizeof text - 1), FLOE_OK);
    CHECK_EQ_INT(floe_ndjson_end(&dec), FLOE_OK);
    REQUIRE(cap.dls == 3);
    CHECK_EQ_INT(cap.dl_reason[0], FLOE_DL_DUPLICATE_KEY);
    CHECK_EQ_STR(cap.dl_text[0], "duplicate key '\\u0071'");
    CHECK_EQ_INT(cap.dl_reason[1], FLOE_DL_DUPLICATE_KEY);
    CHECK_EQ_INT(cap.dl_reason[2], FLOE_DL_DUPLICATE_KEY);
    CHECK_EQ_STR(cap.dl_text[2], "duplicate key 'a' inside 'x'");
    REQUIRE(cap.rows == 1);
    CHECK_EQ_STR(cap.row[0].strs[10], "{\"caf\xc3\xa9\":1,\"t\\tk\\u0001\":2,\"s/l\":3}");
}

/* A json column holds any value as its text, only the whitespace between
 * tokens taken out: numbers, escapes and key order as written, a string
 * with its quotes. null and a missing field are NULL; a key twice anywhere
 * inside is a duplicate, escaped spelling or not. */
TEST(ndjson_json_column_keeps_the_value_as_written)
{
    static const struct floe_column cols[] = {{"id", NULL, FLOE_TYPE_INT64, 0, 0},
                                              {"p", "a.p", FLOE_TYPE_JSON, 1, 0},
                                              {"r", NULL, FLOE_TYPE_JSON, 0, 0}};
    static const struct floe_schema s = {cols, 3, 0};
    static const char text[] =
        "{\"id\":1,\"a\":{\"p\": { \"x\" : [ 1 , 2.50 , \"s\\u0041 \" ] ,\"y\":null } },\"r\":1.5e3}\n"
        "{\"id\":2,\"a\":{\"p\":\"str\\\"q\"},\"r\":true}\n"
        "{\"id\":3,\"a\":{\"p\":null},\"r\":[\t]}\n"
        "{\"id\":4,\"r\":{}}\n"
        "{\"id\":5,\"r\":-0}\n"
        "{\"id\":6,\"r\":{\"k\":[{\"b\":1,\"\\u0062\":2}]}}\n"
        "{\"id\":7,\"r\":null}\n"
        "{\"id\":8,\"a\":{\"p\":[{\"c\":1},{\"c\":1}]},\"r\":\"\"}\n";
    decode_whole(&s, "json", text, sizeof text - 1);
    REQUIRE(cap.rows == 6);
    REQUIRE(cap.dls == 2);
    CHECK_EQ_STR(cap.row[0].strs[1], "{\"x\":[1,2.50,\"s\\u0041 \"],\"y\":null}");
    CHECK_EQ_STR(cap.row[0].strs[2], "1.5e3");
    CHECK_EQ_STR(cap.row[1].strs[1], "\"str\\\"q\"");
    CHECK_EQ_STR(cap.row[1].strs[2], "true");
    CHECK(cap.row[2].v[1].is_null);
    CHECK_EQ_STR(cap.row[2].strs[2], "[]");
    CHECK(cap.row[3].v[1].is_null);
    CHECK_EQ_STR(cap.row[3].strs[2], "{}");
    CHECK_EQ_STR(cap.row[4].strs[2], "-0");
    CHECK_EQ_STR(cap.row[5].strs[1], "[{\"c\":1},{\"c\":1}]");
    CHECK_EQ_STR(cap.row[5].strs[2], "\"\"");
    CHECK_EQ_INT(cap.dl_reason[0], FLOE_DL_DUPLICATE_KEY);
    CHECK_EQ_STR(cap.dl_text[0], "duplicate key 'b' inside 'r'");
    CHECK_EQ_INT(cap.dl_reason[1], FLOE_DL_MISSING_FIELD);
}

/* A skippable frame: magic 0x184D2A5?, a 4-byte little-endian size, bytes. */
static size_t put_skippable(char *at, unsigned nibble, size_t len)
{
    size_t i;
    at[0] = (char)(0x50 | nibble);
    at[1] = 0x2A;
    at[2] = 0x4D;
    at[3] = 0x18;
    at[4] = (char)(len & 0xff);
    at[5] = (char)(len >> 8);
    at[6] = 0;
    at[7] = 0;
    for (i = 0; i < len; i++)
        at[8 + i] = (char)(0xA5 ^ i); /* anything: it is skipped */
    return 8 + len;
}

TEST(ndjson_zstd_skippable_frames_anywhere)
{
    static char all[3 * sizeof zbuf];
    size_t n = 0, a;
    int max_chunk;
    n += put_skippable(all + n, 0x0, 0);
    a = make_zstd(telemetry_text, 300, "--check");
    REQUIRE(a > 0);
    memcpy(all + n, zbuf, a);
    n += a;
    n += put_skippable(all + n, 0xF, 300);
    a = make_zstd(telemetry_text + 300, sizeof telemetry_text - 1 - 300, "--no-check");
    REQUIRE(a > 0);
    memcpy(all + n, zbuf, a);
    n += a;
    n += put_skippable(all + n, 0x7, 9);
    for (max_chunk = 0; max_chunk <= 12; max_chunk += 3) {
        setup_decoder(&telemetry, 0, 0);
        floe_ndjson_begin(&dec, "skippable.ndjson.zst");
        if (max_chunk == 0)
            CHECK_EQ_INT(floe_ndjson_push(&dec, all, n), FLOE_OK);
        else
            push_chunked(all, n, max_chunk);
        CHECK_EQ_INT(floe_ndjson_end(&dec), FLOE_OK);
        CHECK_EQ_INT(cap.dls, 0);
        check_telemetry_rows();
    }
}

/* The content checksum is checked at the end of its frame: a mismatch is a
 * dead letter that names it (the window limit is not the reason). */
TEST(ndjson_zstd_checksum_mismatch_is_a_dead_letter)
{
    size_t n = make_zstd(telemetry_text, sizeof telemetry_text - 1, "--check");
    REQUIRE(n > 4);
    zbuf[n - 1] ^= 0x01; /* the last byte of the 4-byte checksum */
    setup_decoder(&telemetry, 0, 0);
    floe_ndjson_begin(&dec, "bad-checksum.zst");
    CHECK_EQ_INT(floe_ndjson_push(&dec, zbuf, n), FLOE_ERR_MALFORMED);
    floe_ndjson_end(&dec);
    REQUIRE(cap.dls == 1);
    CHECK_EQ_INT(cap.dl_reason[0], FLOE_DL_BAD_COMPRESSION);
    CHECK(strstr(cap.dl_text[0], "checksum") != NULL);
    CHECK(strstr(cap.dl_text[0], "window limit") == NULL);
}

TEST(ndjson_setup_rejects_bad_config_and_small_arena)
{
    static const struct floe_column dup[] = {{"a", NULL, FLOE_TYPE_INT64, 1, 0}, {"a", "b", FLOE_TYPE_INT64, 1, 0}};
    static const struct floe_column nest[] = {{"a", "t", FLOE_TYPE_INT64, 1, 0}, {"b", "t.x", FLOE_TYPE_INT64, 1, 0}};
    static const struct floe_schema s_dup = {dup, 2, 0}, s_nest = {nest, 2, 0};
    struct floe_ndjson_config c;
    struct floe_arena a;
    memset(&c, 0, sizeof c);
    c.schema = &s_dup;
    CHECK_EQ_INT(floe_ndjson_size(&c), 0);
    c.schema = &s_nest;
    CHECK_EQ_INT(floe_ndjson_size(&c), 0);
    c.schema = &telemetry;
    c.zstd_window_log = 30;
    CHECK_EQ_INT(floe_ndjson_size(&c), 0);
    c.zstd_window_log = 0;
    floe_arena_init(&a, arena_buf, floe_ndjson_size(&c) - 1);
    floe_ndjson_init(&dec);
    CHECK_EQ_INT(floe_ndjson_setup(&dec, &c, &a), FLOE_ERR_NOMEM);
    CHECK_EQ_INT(a.used, 0); /* nothing kept from a failed setup */
    c.no_zstd = 1;
    CHECK(floe_ndjson_size(&c) < 360000); /* no zstd: a few hundred KiB at the default limits */
}

TEST(schema_file_parses_and_reports_bad_keys)
{
    static const char good[] =
        "{\"columns\":[{\"name\":\"ts\",\"type\":\"timestamp_us\",\"path\":\"ts\",\"nullable\":false},"
        "{\"name\":\"site\",\"type\":\"string\",\"path\":\"tags.site\"},"
        "{\"name\":\"t\",\"type\":\"timestamp_ms\",\"epoch_unit\":\"ms\"}],\"extra\":true}";
    struct floe_arena a;
    struct floe_schema s;
    char why[200];
    const char *bad_type = "{\"columns\":[{\"name\":\"a\",\"type\":\"int128\"}]}";
    const char *dup_name = "{\"columns\":[{\"name\":\"a\",\"type\":\"int32\"},{\"name\":\"a\",\"type\":\"int32\"}]}";
    floe_arena_init(&a, arena_buf, sizeof arena_buf);
    REQUIRE(floe_schema_parse(good, sizeof good - 1, &a, &s, why, sizeof why) == FLOE_OK);
    CHECK_EQ_INT(s.n_columns, 3);
    CHECK_EQ_INT(s.extra, 1);
    CHECK_EQ_STR(s.columns[0].name, "ts");
    CHECK_EQ_INT(s.columns[0].nullable, 0);
    CHECK_EQ_STR(s.columns[1].path, "tags.site");
    CHECK_EQ_INT(s.columns[1].nullable, 1);
    CHECK_EQ_INT(s.columns[2].epoch_unit, FLOE_EPOCH_MS);
    CHECK(a.used < 2048); /* the token scratch was given back */

    CHECK_EQ_INT(floe_schema_parse(bad_type, strlen(bad_type), &a, &s, why, sizeof why),
                 FLOE_ERR_INVAL);
    CHECK(strstr(why, "int128") != NULL);
    CHECK_EQ_INT(floe_schema_parse("{\"columns\":[{\"name\":\"a\",\"typo\":1}]}", 35, &a, &s, why, sizeof why),
                 FLOE_ERR_INVAL);
    CHECK(strstr(why, "typo") != NULL);
    CHECK_EQ_INT(floe_schema_parse("{\"columns\":[]}", 14, &a, &s, why, sizeof why), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_schema_parse("{\"columns\":[", 12, &a, &s, why, sizeof why), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_schema_parse(dup_name, strlen(dup_name), &a, &s, why, sizeof why),
                 FLOE_ERR_INVAL);
    CHECK(strstr(why, "duplicate") != NULL);
}

/* Epoch numbers are scaled from their decimal text exactly, rounding half
 * away from zero, at any size (no pass through a double), and must name an
 * instant of years 0000 to 9999, as the string form must: the last
 * microsecond of 9999 and the first of 0000 are in, a microsecond past
 * either is a dead letter (a year-10000 or int64-sized epoch once went into
 * the file, where DuckDB could not read the column). */
TEST(ndjson_epoch_numbers_scale_exactly)
{
    static const struct floe_column cols[] = {{"t", NULL, FLOE_TYPE_TIMESTAMP_US, 1, FLOE_EPOCH_S},
                                              {"m", NULL, FLOE_TYPE_TIMESTAMP_US, 1, FLOE_EPOCH_MS}};
    static const struct floe_schema s = {cols, 2, 0};
    static const char text[] = "{\"t\":0.0000005,\"m\":-0.0005}\n"
                               "{\"t\":1735689600.4999994,\"m\":4503599627370.497}\n"
                               "{\"t\":4503599627.370497,\"m\":1e-4}\n"
                               "{\"t\":-1.5e-6,\"m\":253402300799999.9994}\n"
                               "{\"t\":-62167219200,\"m\":0}\n"
                               "{\"t\":9223372036854.775808}\n"
                               "{\"t\":253402300800}\n"
                               "{\"m\":253402300799999.9995}\n"
                               "{\"t\":-62167219200.000001}\n";
    int i;
    decode_whole(&s, "epochs", text, sizeof text - 1);
    if (cap.rows != 5)
        fprintf(stderr, "rows %d dls %d: %s\n", cap.rows, cap.dls, cap.dl_text[0]);
    REQUIRE(cap.rows == 5);
    CHECK_EQ_INT(cap.row[0].v[0].v.i64, 1);
    CHECK_EQ_INT(cap.row[0].v[1].v.i64, -1);
    CHECK_EQ_INT(cap.row[1].v[0].v.i64, 1735689600499999LL);
    CHECK_EQ_INT(cap.row[1].v[1].v.i64, 4503599627370497LL);
    CHECK_EQ_INT(cap.row[2].v[0].v.i64, 4503599627370497LL);
    CHECK_EQ_INT(cap.row[2].v[1].v.i64, 0);
    CHECK_EQ_INT(cap.row[3].v[0].v.i64, -2);
    CHECK_EQ_INT(cap.row[3].v[1].v.i64, 253402300799999999LL);
    CHECK_EQ_INT(cap.row[4].v[0].v.i64, -62167219200000000LL);
    /* Past int64 microseconds, past 9999, before 0000: dead letters, not
     * wrapped or unreadable values. */
    CHECK_EQ_INT(cap.dls, 4);
    for (i = 0; i < cap.dls && i < 4; i++)
        CHECK_EQ_INT(cap.dl_reason[i], FLOE_DL_OUT_OF_RANGE);
}

/* An epoch number into a millisecond column is rounded once, to the ms:
 * 1.0016 s and 1.0019995 s are both 1,002 ms (through microseconds the
 * first was 1,001: rounded to us, then floored to ms). The range is years
 * 0000 to 9999 in milliseconds too: a nanosecond epoch sent to an ms
 * column is a dead letter. */
TEST(ndjson_epoch_numbers_round_once_into_milliseconds)
{
    static const struct floe_column cols[] = {{"s", NULL, FLOE_TYPE_TIMESTAMP_MS, 1, FLOE_EPOCH_S},
                                              {"m", NULL, FLOE_TYPE_TIMESTAMP_MS, 1, FLOE_EPOCH_MS},
                                              {"u", NULL, FLOE_TYPE_TIMESTAMP_MS, 1, FLOE_EPOCH_US}};
    static const struct floe_schema s = {cols, 3, 0};
    static const char text[] = "{\"s\":1.0016,\"m\":1001.9995,\"u\":1001499}\n"
                               "{\"s\":1.0019995,\"m\":-1.5,\"u\":-1500}\n"
                               "{\"m\":253402300799999,\"u\":499}\n"
                               "{\"m\":1733300000000000000}\n"
                               "{\"m\":253402300800000}\n";
    decode_whole(&s, "epochs-ms", text, sizeof text - 1);
    REQUIRE(cap.rows == 3);
    CHECK_EQ_INT(cap.dls, 2);
    CHECK_EQ_INT(cap.row[0].v[0].v.i64, 1002);
    CHECK_EQ_INT(cap.row[0].v[1].v.i64, 1002);
    CHECK_EQ_INT(cap.row[0].v[2].v.i64, 1001);
    CHECK_EQ_INT(cap.row[1].v[0].v.i64, 1002);
    CHECK_EQ_INT(cap.row[1].v[1].v.i64, -2); /* half away from zero, as SQL's round() */
    CHECK_EQ_INT(cap.row[1].v[2].v.i64, -2);
    CHECK_EQ_INT(cap.row[2].v[1].v.i64, 253402300799999LL);
    CHECK_EQ_INT(cap.row[2].v[2].v.i64, 0);
}

/* The decoder converts short numbers from the digits the validator read;
 * every value must equal the standalone conversion of the same text, and
 * the same numbers fail the same way (range, fraction in an integer). */
TEST(ndjson_numbers_match_standalone_conversion)
{
    static const struct floe_column cols[] = {{"i", NULL, FLOE_TYPE_INT32, 1, 0},
                                              {"l", NULL, FLOE_TYPE_INT64, 1, 0},
                                              {"d", NULL, FLOE_TYPE_DOUBLE, 1, 0}};
    static const struct floe_schema s = {cols, 3, 0};
    static char text[256], num[64];
    int round, failures = 0;
    for (round = 0; round < 3000 && failures == 0; round++) {
        size_t k = 0;
        int nd = 1 + (int)(test_rand() % 22), j, rc_i, rc_l, rc_d, ok, point = 0;
        int32_t wi = 0;
        int64_t wl = 0;
        double wd = 0;
        if (test_rand() % 2)
            num[k++] = '-';
        num[k++] = (char)('1' + test_rand() % 9);
        for (j = 1; j < nd; j++) {
            if (!point && j == (int)(test_rand() % (unsigned)nd)) {
                num[k++] = '.';
                point = 1;
            }
            num[k++] = (char)('0' + test_rand() % 10);
        }
        if (test_rand() % 10 == 0)
            k += (size_t)sprintf(num + k, "e%d", (int)(test_rand() % 7) - 3);
        num[k] = 0;
        rc_i = floe_json_to_i32(num, k, &wi);
        rc_l = floe_json_to_i64(num, k, &wl);
        rc_d = floe_json_to_f64(num, k, &wd);
        snprintf(text, sizeof text, "{\"i\":%s,\"l\":%s,\"d\":%s}\n", num, num, num);
        setup_decoder(&s, 0, 0);
        floe_ndjson_begin(&dec, "n");
        floe_ndjson_push(&dec, text, strlen(text));
        floe_ndjson_end(&dec);
        ok = rc_i == FLOE_OK && rc_l == FLOE_OK && rc_d == FLOE_OK;
        if (ok ? cap.rows != 1 || cap.row[0].v[0].v.i64 != wi || cap.row[0].v[1].v.i64 != wl ||
                     memcmp(&cap.row[0].v[2].v.f64, &wd, sizeof wd) != 0
               : cap.rows != 0 || cap.dls != 1 ||
                     cap.dl_reason[0] != (rc_i == FLOE_ERR_TYPE ? FLOE_DL_WRONG_TYPE : FLOE_DL_OUT_OF_RANGE)) {
            test_fail(__FILE__, __LINE__, "%s: rc %d %d %d, rows %d dls %d", num, rc_i, rc_l, rc_d, cap.rows, cap.dls);
            failures++;
        }
    }
}

/* Records laid out like the one before replay its walk over the schema;
 * every way a record can differ with the same token count must still give
 * what a fresh walk gives. */
/* The replayed walk compares keys a word at a time: keys of 8, 9, 16 and 17
 * bytes that differ from the planned ones only in their last byte, at the
 * very end of the line, are other fields. */
TEST(ndjson_replayed_walk_tells_long_keys_apart)
{
    static const struct floe_column cols[] = {{"k8ABCDEF", NULL, FLOE_TYPE_INT64, 1, 0},
                                              {"k9ABCDEFG", NULL, FLOE_TYPE_INT64, 1, 0},
                                              {"k16ABCDEFGHIJKLM", NULL, FLOE_TYPE_INT64, 1, 0},
                                              {"k17ABCDEFGHIJKLMN", NULL, FLOE_TYPE_INT64, 1, 0}};
    static const struct floe_schema s = {cols, 4, 1};
    static const char text[] =
        "{\"k8ABCDEF\":1,\"k9ABCDEFG\":2,\"k16ABCDEFGHIJKLM\":3,\"k17ABCDEFGHIJKLMN\":4}\n"
        "{\"k8ABCDEF\":1,\"k9ABCDEFG\":2,\"k16ABCDEFGHIJKLM\":3,\"k17ABCDEFGHIJKLMN\":4}\n"
        "{\"k8ABCDEX\":1,\"k9ABCDEFG\":2,\"k16ABCDEFGHIJKLM\":3,\"k17ABCDEFGHIJKLMN\":4}\n"
        "{\"k8ABCDEF\":1,\"k9ABCDEFX\":2,\"k16ABCDEFGHIJKLM\":3,\"k17ABCDEFGHIJKLMN\":4}\n"
        "{\"k8ABCDEF\":1,\"k9ABCDEFG\":2,\"k16ABCDEFGHIJKLX\":3,\"k17ABCDEFGHIJKLMN\":4}\n"
        "{\"k8ABCDEF\":1,\"k9ABCDEFG\":2,\"k16ABCDEFGHIJKLM\":3,\"k17ABCDEFGHIJKLMX\":4}\n"
        "{\"k8ABCDEF\":1,\"k9ABCDEFG\":2,\"k16ABCDEFGHIJKLM\":3,\"k17ABCDEFGHIJKLMN\":4}";
    int i;
    decode_whole(&s, "long-keys", text, sizeof text - 1);
    REQUIRE(cap.rows == 7);
    CHECK_EQ_INT(cap.dls, 0);
    for (i = 0; i < 7; i++) {
        int col, off = i >= 2 && i <= 5 ? i - 2 : -1; /* the column whose key changed */
        for (col = 0; col < 4; col++) {
            if (col == off)
                CHECK(cap.row[i].v[col].is_null);
            else
                CHECK(!cap.row[i].v[col].is_null && cap.row[i].v[col].v.i64 == col + 1);
        }
        if (off < 0)
            CHECK(cap.row[i].v[4].is_null);
        else
            CHECK(!cap.row[i].v[4].is_null && strstr(cap.row[i].strs[4], "X\":") != NULL);
    }
}

TEST(ndjson_replayed_walk_matches_a_fresh_walk)
{
    static const struct floe_column cols[] = {{"a", NULL, FLOE_TYPE_INT64, 0, 0},
                                              {"b", NULL, FLOE_TYPE_STRING, 1, 0},
                                              {"s", "t.s", FLOE_TYPE_STRING, 1, 0}};
    static const struct floe_schema s = {cols, 3, 1};
    static const char text[] = "{\"a\":1,\"b\":\"x\",\"t\":{\"s\":\"y\"}}\n"   /* 1: planned */
                               "{\"b\":\"x2\",\"a\":2,\"t\":{\"s\":\"y2\"}}\n" /* 2: keys swapped */
                               "{\"a\":3,\"b\":\"x3\",\"t\":{\"s\":\"y3\"}}\n" /* 3 */
                               "{\"\\u0061\":4,\"b\":\"x4\",\"t\":{\"s\":\"y4\"}}\n" /* 4: escaped key */
                               "{\"a\":5,\"b\":\"x5\",\"t\":{\"s\":\"y5\"}}\n" /* 5 */
                               "{\"a\":6,\"b\":\"x6\",\"t\":{\"z\":\"y6\"}}\n" /* 6: unknown inner key */
                               "{\"a\":7,\"b\":\"x7\",\"t\":{\"s\":\"y7\"}}\n" /* 7 */
                               "{\"a\":8,\"b\":\"x8\",\"t\":[1,2]}\n"           /* dl: not an object */
                               "{\"a\":9,\"a\":\"x9\",\"t\":{\"s\":\"y9\"}}\n" /* dl: duplicate */
                               "{\"a\":null,\"b\":\"x\",\"t\":{\"s\":\"y\"}}\n" /* dl: required null */
                               "{\"a\":10,\"b\":1,\"t\":{\"s\":\"y10\"}}\n"    /* dl: wrong type */
                               "{\"a\":11,\"b\":null,\"t\":{\"s\":null}}\n"     /* 8: nulls */
                               "{\"a\":12,\"b\":\"x12\",\"q\":{\"s\":\"y12\"}}\n"; /* 9: unknown object */
    decode_whole(&s, "plan", text, sizeof text - 1);
    REQUIRE(cap.rows == 9);
    REQUIRE(cap.dls == 4);
    CHECK_EQ_INT(cap.row[1].v[0].v.i64, 2);
    CHECK_EQ_STR(cap.row[1].strs[1], "x2");
    CHECK_EQ_STR(cap.row[1].strs[2], "y2");
    CHECK_EQ_INT(cap.row[3].v[0].v.i64, 4);
    CHECK_EQ_STR(cap.row[3].strs[2], "y4");
    CHECK_EQ_INT(cap.row[5].v[0].v.i64, 6);
    CHECK(cap.row[5].v[2].is_null);
    CHECK_EQ_STR(cap.row[5].strs[3], "{\"t\":{\"z\":\"y6\"}}");
    CHECK_EQ_INT(cap.row[6].v[0].v.i64, 7);
    CHECK_EQ_STR(cap.row[6].strs[2], "y7");
    CHECK(cap.row[6].v[3].is_null);
    CHECK(cap.row[7].v[1].is_null && cap.row[7].v[2].is_null);
    CHECK_EQ_STR(cap.row[8].strs[3], "{\"q\":{\"s\":\"y12\"}}");
    CHECK_EQ_INT(cap.dl_reason[0], FLOE_DL_WRONG_TYPE);
    CHECK_EQ_STR(cap.dl_text[0], "field 't': expected an object");
    CHECK_EQ_INT(cap.dl_reason[1], FLOE_DL_DUPLICATE_KEY);
    CHECK_EQ_INT(cap.dl_reason[2], FLOE_DL_MISSING_FIELD);
    CHECK_EQ_STR(cap.dl_text[2], "field 'a': required field is null");
    CHECK_EQ_INT(cap.dl_reason[3], FLOE_DL_WRONG_TYPE);
    CHECK_EQ_STR(cap.dl_text[3], "field 'b': expected a string");
}

/* _extra keeps the input's shape and is valid JSON whatever the keys: an
 * unknown field under a schema object stays nested (so "tags.x" written
 * literally is another key, not a duplicate), a schema key with a quote is
 * escaped, and a value kept whole may not repeat a key inside it (readers
 * of _extra would disagree on which one counts). */
TEST(ndjson_extra_keeps_the_shape_and_stays_json)
{
    static const struct floe_column cols[] = {{"id", NULL, FLOE_TYPE_INT64, 0, 0},
                                              {"site", "tags.site", FLOE_TYPE_STRING, 1, 0},
                                              {"w", "we\"ird.w", FLOE_TYPE_STRING, 1, 0}};
    static const struct floe_schema s = {cols, 3, 1};
    static const char text[] = "{\"id\":1,\"tags\":{\"x\":1},\"tags.x\":2}\n"
                               "{\"id\":2,\"tags.x\":2,\"tags\":{\"site\":\"A\",\"x\":1}}\n"
                               "{\"id\":3,\"we\\\"ird\":{\"w\":\"v\",\"other\":1}}\n"
                               "{\"id\":4,\"q\":{\"a\":1,\"a\":2}}\n"
                               "{\"id\":5,\"q\":[{\"b\":1},{\"\\u0062\":2,\"b\":3}]}\n"
                               "{\"id\":6,\"tags\":{\"x\":1,\"x\":2}}\n"
                               "{\"id\":7,\"q\":{\"a\":{\"a\":1},\"b\":[1,{\"a\":2}]}}\n";
    decode_whole(&s, "extra", text, sizeof text - 1);
    REQUIRE(cap.rows == 4);
    REQUIRE(cap.dls == 3);
    CHECK_EQ_STR(cap.row[0].strs[3], "{\"tags\":{\"x\":1},\"tags.x\":2}");
    CHECK_EQ_STR(cap.row[1].strs[3], "{\"tags.x\":2,\"tags\":{\"x\":1}}");
    CHECK_EQ_STR(cap.row[1].strs[1], "A");
    CHECK_EQ_STR(cap.row[2].strs[3], "{\"we\\\"ird\":{\"other\":1}}");
    CHECK_EQ_STR(cap.row[2].strs[2], "v");
    CHECK_EQ_STR(cap.row[3].strs[3], "{\"q\":{\"a\":{\"a\":1},\"b\":[1,{\"a\":2}]}}");
    CHECK_EQ_INT(cap.dl_reason[0], FLOE_DL_DUPLICATE_KEY);
    CHECK_EQ_INT(cap.dl_reason[1], FLOE_DL_DUPLICATE_KEY);
    CHECK_EQ_INT(cap.dl_reason[2], FLOE_DL_DUPLICATE_KEY);
}
