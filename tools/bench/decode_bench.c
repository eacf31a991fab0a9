/* Decode benchmark (issue 3): floe's NDJSON decoder (tokens + strict
 * validation + typed values per schema) against jsmn tokenizing the same
 * lines and doing nothing else, in one run, on the same bytes. For a .zst
 * input the baseline decompresses with the same zstd decoder and then
 * tokenizes, and floe decodes the compressed bytes.
 *
 *   decode_bench SCHEMA.json FILE.ndjson[.zst] [REPEATS]
 *
 * Prints the figures, the ratio and the decoder's arena bytes. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "floe/floe.h"
#define ZSTD_STATIC_LINKING_ONLY
#include "zstd.h"
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include "jsmn.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *b;
    long len;
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)len + 1);
    if (b == NULL || fread(b, 1, (size_t)len, f) != (size_t)len)
        return NULL;
    fclose(f);
    *n = (size_t)len;
    return b;
}

static jsmntok_t tokens[512];
static long jsmn_lines;

static void jsmn_lines_of(const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        jsmn_parser jp;
        if (nl == NULL)
            nl = end;
        jsmn_init(&jp);
        if (jsmn_parse(&jp, p, (size_t)(nl - p), tokens, 512) > 0)
            jsmn_lines++;
        p = nl + 1;
    }
}

/* Baseline for zstd input: stream-decompress into a 64 KiB buffer and
 * tokenize whole lines as they appear (what any decoder must do). */
static char carry[1 << 20];
static void zstd_then_jsmn(const char *z, size_t zn)
{
    static char out[65536];
    ZSTD_DStream *ds = ZSTD_createDStream();
    ZSTD_inBuffer in = {z, zn, 0};
    size_t carried = 0;
    if (ds == NULL) {
        /* libfloe's zstd has no heap: use a static context. */
        static unsigned long long ws[(4u << 20) / 8];
        ds = ZSTD_initStaticDStream(ws, sizeof ws);
    }
    while (in.pos < in.size) {
        ZSTD_outBuffer o = {out, sizeof out, 0};
        char *last_nl;
        ZSTD_decompressStream(ds, &o, &in);
        if (o.pos == 0)
            continue;
        memcpy(carry + carried, out, o.pos);
        carried += o.pos;
        last_nl = NULL;
        for (size_t i = carried; i > 0; i--)
            if (carry[i - 1] == '\n') {
                last_nl = carry + i - 1;
                break;
            }
        if (last_nl != NULL) {
            size_t done = (size_t)(last_nl - carry) + 1;
            jsmn_lines_of(carry, done);
            memmove(carry, carry + done, carried - done);
            carried -= done;
        }
    }
    jsmn_lines_of(carry, carried);
}

static long rows;
static int on_row(void *ctx, const struct floe_row *r)
{
    (void)ctx;
    (void)r;
    rows++;
    return 0;
}

int main(int argc, char **argv)
{
    static unsigned long long schema_arena[1 << 15];
    struct floe_arena sa, da;
    struct floe_schema schema;
    struct floe_ndjson_config cfg;
    struct floe_ndjson dec;
    char why[200];
    size_t sl, n, need;
    char *stext, *data;
    void *ab;
    int repeats = argc > 3 ? atoi(argv[3]) : 5, r, is_zst;
    double best_base = 1e30, best_floe = 1e30;
    if (argc < 3) {
        fprintf(stderr, "usage: decode_bench SCHEMA.json FILE.ndjson[.zst] [REPEATS]\n");
        return 2;
    }
    stext = slurp(argv[1], &sl);
    data = slurp(argv[2], &n);
    if (stext == NULL || data == NULL) {
        fprintf(stderr, "cannot read inputs\n");
        return 2;
    }
    floe_arena_init(&sa, schema_arena, sizeof schema_arena);
    if (floe_schema_parse(stext, sl, &sa, &schema, why, sizeof why) != FLOE_OK) {
        fprintf(stderr, "schema: %s\n", why);
        return 2;
    }
    is_zst = n >= 4 && (unsigned char)data[0] == 0x28 && (unsigned char)data[1] == 0xb5;
    memset(&cfg, 0, sizeof cfg);
    cfg.schema = &schema;
    cfg.on_row = on_row;
    cfg.no_zstd = !is_zst;
    need = floe_ndjson_size(&cfg);
    ab = malloc(need + 64);
    for (r = 0; r < repeats; r++) {
        double t0 = now(), t1, t2;
        jsmn_lines = 0;
        if (is_zst)
            zstd_then_jsmn(data, n);
        else
            jsmn_lines_of(data, n);
        t1 = now();
        floe_arena_init(&da, ab, need + 64);
        floe_ndjson_init(&dec);
        floe_ndjson_setup(&dec, &cfg, &da);
        floe_ndjson_begin(&dec, argv[2]);
        rows = 0;
        floe_ndjson_push(&dec, data, n);
        floe_ndjson_end(&dec);
        t2 = now();
        if (t1 - t0 < best_base)
            best_base = t1 - t0;
        if (t2 - t1 < best_floe)
            best_floe = t2 - t1;
    }
    printf("{\"input\":\"%s\",\"input_bytes\":%zu,\"decoded_bytes\":%llu,\"lines\":%ld,\"rows\":%ld,"
           "\"dead_letters\":%llu,\"baseline\":\"%s\",\"baseline_mb_s\":%.1f,\"floe_mb_s\":%.1f,"
           "\"ratio\":%.3f,\"decoder_arena_bytes\":%zu,\"repeats\":%d}\n",
           argv[2], n, (unsigned long long)dec.stats.bytes_decoded, jsmn_lines, rows,
           (unsigned long long)dec.stats.dead_letters, is_zst ? "zstd+jsmn" : "jsmn", n / 1e6 / best_base,
           n / 1e6 / best_floe, best_base / best_floe, need, repeats);
    return 0;
}
