/* Fuzz target for the CLI's Parquet reader (tools/floe/pqread.c): the
 * footer parser and the value decoder take untrusted bytes and must never
 * crash, read out of bounds or loop.
 *
 * The first input byte picks the mode:
 *   even  the rest is a whole file: pq_open, then every column chunk of
 *         every row group decoded, every value and statistic formatted
 *         (which reads each byte a value points at), and its page index
 *         read (pq_read_page_index) and each page's bounds formatted;
 *   odd   the rest is one column chunk (pages) of a column described by the
 *         next three bytes (physical type, repetition/codec/annotation,
 *         type_length), decoded with pq_decode_chunk.
 * Seeds: tests/cli/test_inspect.sh writes some (a floe-written file with a
 * 0x00 byte in front, and its column chunks with chunk-mode headers) into
 * $FLOE_FUZZ_SEEDS when that is set.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *     -Iinclude -Isrc -Itools/floe tests/fuzz/fuzz_pqread.c tools/floe/pqread.c \
 *     src/parquet/thrift.c src/parquet/encoding.c src/parquet/dict.c \
 *     src/parquet/snappy.c src/core/arena.c src/core/crc32c.c src/core/error.c \
 *     src/core/log.c src/core/sha256.c src/core/utc.c src/core/uuid.c \
 *     -lm -o /tmp/fuzz_pqread
 *   /tmp/fuzz_pqread -max_total_time=60 -max_len=65536 CORPUS_DIR SEED_DIR
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pqread.h"

#define CHECK(x)              \
    do {                      \
        if (!(x))             \
            __builtin_trap(); \
    } while (0)

#define WANT (1u << 14) /* values decoded per column chunk */

static void format_values(const struct pq_leaf *leaf, const struct pq_values *v, size_t want)
{
    struct pq_sb sb = {NULL, 0, 0, 0};
    size_t i;
    CHECK(v->n <= want);
    for (i = 0; i < v->n; i++) {
        pq_format_value(&sb, leaf, &v->v[i], (i & 1) ? 7 : 0, (int)(i & 2) ? PQ_FMT_BARE_TIME : 0);
        if (sb.len > (1u << 20))
            sb.len = 0;
    }
    CHECK(!sb.oom);
    pq_sb_free(&sb);
}

static void format_stats(const struct pq_leaf *leaf, const struct pq_chunk *c)
{
    struct pq_sb sb = {NULL, 0, 0, 0};
    struct pq_value v;
    char buf[64], nb[16];
    pq_logical_text(leaf->elem, buf, sizeof buf);
    CHECK(strlen(buf) < sizeof buf);
    pq_codec_name(c->codec, nb);
    pq_encoding_name((int32_t)c->n_encodings, nb);
    pq_type_name(c->type, nb);
    pq_repetition_name(leaf->elem->repetition, nb);
    if (c->has_stats && c->stats.has_min && pq_stat_value(leaf, c->stats.min, &v) == 0)
        pq_format_value(&sb, leaf, &v, 64, PQ_FMT_BARE_TIME);
    if (c->has_stats && c->stats.has_max && pq_stat_value(leaf, c->stats.max, &v) == 0)
        pq_format_value(&sb, leaf, &v, 0, 0);
    pq_sb_free(&sb);
}

static void read_page_index(const struct pq_file *f, uint32_t r, uint32_t c)
{
    struct pq_page_index pi;
    struct pq_value v;
    struct pq_sb sb = {NULL, 0, 0, 0};
    uint32_t i;
    if (pq_read_page_index(f, r, c, &pi) != 0) {
        CHECK(pi.err[0] != '\0');
    } else {
        CHECK(!pi.has_oi || !pi.has_ci || pi.n_loc == pi.n_ci);
        for (i = 0; pi.has_ci && i < pi.n_ci; i++) {
            if (pq_stat_value(&f->leaves[c], pi.min[i], &v) == 0)
                pq_format_value(&sb, &f->leaves[c], &v, 64, 0);
            if (pq_stat_value(&f->leaves[c], pi.max[i], &v) == 0)
                pq_format_value(&sb, &f->leaves[c], &v, 0, 0);
            if (pi.null_counts != NULL)
                pq_sb_printf(&sb, "%lld", (long long)pi.null_counts[i]);
            if (sb.len > (1u << 20))
                sb.len = 0;
        }
    }
    pq_sb_free(&sb);
    pq_page_index_free(&pi);
}

static void run_file(const uint8_t *data, size_t size)
{
    struct pq_bytes mem;
    struct pq_source src;
    struct pq_file f;
    uint32_t r, c;
    pq_source_memory(&src, &mem, data, size);
    if (pq_open(&f, &src) != 0) {
        CHECK(f.err[0] != '\0');
        pq_close(&f);
        return;
    }
    CHECK(f.footer_used <= f.footer_len && f.footer_len + 12 <= size);
    for (r = 0; r < f.n_row_groups; r++) {
        CHECK(f.row_groups[r].n_chunks == f.n_leaves);
        for (c = 0; c < f.n_leaves; c++) {
            struct pq_values v;
            format_stats(&f.leaves[c], &f.row_groups[r].chunks[c]);
            if (pq_read_column(&f, r, c, WANT, &v) != 0)
                CHECK(v.err[0] != '\0');
            format_values(&f.leaves[c], &v, WANT);
            pq_values_free(&v);
            read_page_index(&f, r, c);
        }
    }
    for (r = 0; r < f.n_kv; r++) {
        struct pq_sb sb = {NULL, 0, 0, 0};
        pq_sb_json_string(&sb, f.kv[r].key.p, f.kv[r].key.n, 200);
        pq_sb_json_string(&sb, f.kv[r].value.p, f.kv[r].value.n, 0);
        pq_sb_free(&sb);
    }
    pq_close(&f);
}

static void run_chunk(const uint8_t *data, size_t size)
{
    struct pq_schema_elem e;
    struct pq_leaf leaf;
    struct pq_values v;
    static const int logical[8] = {PQ_LT_NONE, PQ_LT_STRING, PQ_LT_TIMESTAMP, PQ_LT_DATE,
                                   PQ_LT_DECIMAL, PQ_LT_INTEGER, PQ_LT_UUID, PQ_LT_TIME};
    uint8_t t, opts, tl;
    char path[] = "col";
    if (size < 3)
        return;
    t = data[0];
    opts = data[1];
    tl = data[2];
    data += 3;
    size -= 3;
    memset(&e, 0, sizeof e);
    e.type = t % 8;
    e.type_length = tl % 33;
    e.repetition = (opts & 3) == 0 ? PQ_REQUIRED : PQ_OPTIONAL;
    e.num_children = e.converted = e.scale = e.precision = e.field_id = -1;
    e.logical.kind = logical[(opts >> 3) & 7];
    e.logical.unit = 1 + (tl >> 6) % 3;
    e.logical.utc = tl >> 7;
    e.logical.scale = tl % 20;
    e.logical.is_signed = tl & 1;
    memset(&leaf, 0, sizeof leaf);
    leaf.path = path;
    leaf.elem = &e;
    leaf.max_def = (int16_t)(opts & 3) > 2 ? 2 : (int16_t)(opts & 3);
    memset(&v, 0, sizeof v);
    if (pq_decode_chunk(&leaf, (opts >> 2) & 1 ? 1 : 0, data, size, WANT, &v) != 0)
        CHECK(v.err[0] != '\0');
    format_values(&leaf, &v, WANT);
    pq_values_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Keep hostile page sizes cheap: no page of more than 64 Ki values. */
    pq_max_page_values = 1u << 16;
    if (size < 1)
        return 0;
    if ((data[0] & 1) == 0)
        run_file(data + 1, size - 1);
    else
        run_chunk(data + 1, size - 1);
    return 0;
}
