/* libFuzzer target: the NDJSON decoder's push API on arbitrary bytes (plain,
 * or zstd when the input starts with a frame), split into chunks of sizes the
 * input itself chooses, with a schema that uses every type and _extra. The
 * decoder must never crash, never read out of bounds, and account for every
 * non-blank line as a row or a dead letter; a json column's value must be
 * one JSON text with no whitespace outside its strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "floe/floe.h"

static const struct floe_column cols[] = {
    {"ts", NULL, FLOE_TYPE_TIMESTAMP_US, 0, 0},
    {"ms", NULL, FLOE_TYPE_TIMESTAMP_MS, 1, FLOE_EPOCH_MS},
    {"id", NULL, FLOE_TYPE_STRING, 1, 0},
    {"n", NULL, FLOE_TYPE_INT64, 1, 0},
    {"i", NULL, FLOE_TYPE_INT32, 1, 0},
    {"d", NULL, FLOE_TYPE_DOUBLE, 1, 0},
    {"f", NULL, FLOE_TYPE_FLOAT, 1, 0},
    {"b", NULL, FLOE_TYPE_BOOL, 1, 0},
    {"day", NULL, FLOE_TYPE_DATE, 1, 0},
    {"site", "tags.site", FLOE_TYPE_STRING, 1, 0},
    {"deep", "a.b.c", FLOE_TYPE_INT64, 1, 0},
    {"j", NULL, FLOE_TYPE_JSON, 1, 0},
    {"tj", "tags.j", FLOE_TYPE_JSON, 1, 0},
};
static const struct floe_schema schema = {cols, sizeof cols / sizeof cols[0], 1};

static uint64_t arena_buf[(3u << 20) / 8];
static uint64_t rows, dead;
static uint64_t json_work[(64u * 1024u) / 8];

static void check_json_text(const struct floe_value *v)
{
    const char *why;
    size_t where, i;
    int in_string = 0, escaped = 0;
    if (v->is_null)
        return;
    if (floe_json_validate_work(64, 8) > sizeof json_work ||
        floe_json_validate_text(v->v.str.ptr, v->v.str.len, json_work, sizeof json_work, 64, 8, &why, &where) !=
            FLOE_OK)
        abort();
    for (i = 0; i < v->v.str.len; i++) {
        char c = v->v.str.ptr[i];
        if (in_string) {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if (c == '"') {
            in_string = 1;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            abort(); /* whitespace between tokens is taken out */
        }
    }
}

static int on_row(void *ctx, const struct floe_row *row)
{
    size_t i;
    (void)ctx;
    /* Touch every string so ASan sees any bad pointer. */
    for (i = 0; i < row->n_values; i++) {
        const struct floe_value *v = &row->values[i];
        if (!v->is_null && (i == 2 || i == 9 || i == row->n_values - 1) && v->v.str.len > 0) {
            volatile char c = v->v.str.ptr[0];
            volatile char d = v->v.str.ptr[v->v.str.len - 1];
            (void)c;
            (void)d;
        }
        if (i < schema.n_columns && cols[i].type == FLOE_TYPE_JSON)
            check_json_text(v);
    }
    rows++;
    return FLOE_OK;
}

static int on_dead_letter(void *ctx, const struct floe_dead_letter *dl)
{
    (void)ctx;
    if (dl->raw_len > 0) {
        volatile char c = dl->raw[dl->raw_len - 1];
        (void)c;
    }
    if (strlen(dl->reason_text) == 0)
        abort();
    dead++;
    return FLOE_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct floe_ndjson dec;
    static struct floe_ndjson_config cfg;
    struct floe_arena a;
    size_t at = 0;
    uint32_t seed = 0x12345u;
    if (size > 0) {
        seed = data[0] * 2654435761u;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.schema = &schema;
    cfg.on_row = on_row;
    cfg.on_dead_letter = on_dead_letter;
    cfg.max_line_bytes = 512;
    cfg.max_tokens = 64;
    cfg.max_depth = 8;
    cfg.zstd_window_log = 20;
    cfg.dl_raw_max = 100;
    floe_arena_init(&a, arena_buf, sizeof arena_buf);
    floe_ndjson_init(&dec);
    if (floe_ndjson_setup(&dec, &cfg, &a) != FLOE_OK)
        abort();
    floe_ndjson_begin(&dec, "fuzz");
    rows = dead = 0;
    while (at < size) {
        size_t k;
        seed = seed * 1103515245u + 12345u;
        k = 1 + (seed >> 16) % 97u;
        if (k > size - at)
            k = size - at;
        if (floe_ndjson_push(&dec, data + at, k) != FLOE_OK)
            break;
        at += k;
    }
    floe_ndjson_end(&dec);
    /* Every non-blank line became exactly one row or one dead letter. */
    if (rows != dec.stats.records_ok || dead != dec.stats.dead_letters ||
        rows + dead != dec.stats.lines + dec.stats.dead_by_reason[FLOE_DL_BAD_COMPRESSION] +
                           dec.stats.dead_by_reason[FLOE_DL_TRUNCATED_INPUT])
        abort();
    return 0;
}
