/* libFuzzer target for src/parquet/snappy.c.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *     tests/fuzz/fuzz_snappy.c src/parquet/snappy.c -o /tmp/fuzz_snappy
 *
 * Every input is used twice:
 *  (a) compressed into a buffer of exactly max_compressed_length bytes with a
 *      scratch table of exactly FLOE_SNAPPY_WORK_BYTES (so ASan sees any
 *      overrun), then decompressed into exactly n bytes and compared;
 *  (b) fed to the decompressor as a hostile stream, into a buffer of exactly
 *      the declared length.
 * A second copy of the codec built with the byte-by-byte (big-endian and
 * non-GNU) code paths is included below under other names; it must produce
 * the same compressed bytes and the same decoding verdicts. */
#include "floe/error.h"
#include "parquet/snappy.h"
#include <stdlib.h>
#include <string.h>

#define FLOE_SNAPPY_PORTABLE 1
#define floe_snappy_max_compressed_length portable_snappy_max_compressed_length
#define floe_snappy_compress portable_snappy_compress
#define floe_snappy_uncompressed_length portable_snappy_uncompressed_length
#define floe_snappy_uncompress portable_snappy_uncompress
size_t portable_snappy_max_compressed_length(size_t n);
size_t portable_snappy_compress(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap,
                                void *work);
int portable_snappy_uncompressed_length(const uint8_t *in, size_t n, size_t *len);
int portable_snappy_uncompress(const uint8_t *in, size_t n, uint8_t *out, size_t out_cap,
                               size_t *out_len);
#include "parquet/snappy.c"
#undef floe_snappy_max_compressed_length
#undef floe_snappy_compress
#undef floe_snappy_uncompressed_length
#undef floe_snappy_uncompress

/* Declared lengths above this are only checked for FLOE_ERR_LIMIT. */
#define FUZZ_MAX_OUT ((size_t)4 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const uint8_t *data, size_t size)
{
    size_t bound = floe_snappy_max_compressed_length(size), c, c2, got = 0;
    uint8_t *comp = malloc(bound), *comp2 = malloc(bound), *back = malloc(size ? size : 1);
    void *work = malloc(FLOE_SNAPPY_WORK_BYTES);

    if (comp == NULL || comp2 == NULL || back == NULL || work == NULL)
        abort();
    /* One byte short of the bound is refused without writing. */
    if (floe_snappy_compress(data, size, comp, bound - 1, work) != 0)
        abort();
    c = floe_snappy_compress(data, size, comp, bound, work);
    if (c == 0 || c > bound)
        abort();
    c2 = portable_snappy_compress(data, size, comp2, bound, work);
    if (c2 != c || memcmp(comp, comp2, c) != 0)
        abort();
    if (floe_snappy_uncompress(comp, c, size ? back : NULL, size, &got) != FLOE_OK || got != size ||
        memcmp(back, data, size) != 0)
        abort();
    if (size > 0 && floe_snappy_uncompress(comp, c, back, size - 1, &got) != FLOE_ERR_LIMIT)
        abort();
    free(comp);
    free(comp2);
    free(back);
    free(work);
}

static void hostile(const uint8_t *data, size_t size)
{
    size_t ulen = 0, got = 1, got2 = 1;
    uint8_t *out, *out2;
    int r, r2;

    /* A private copy of exactly size bytes: reads past it are caught. */
    uint8_t *in = malloc(size ? size : 1);
    if (in == NULL)
        abort();
    memcpy(in, data, size);

    r = floe_snappy_uncompressed_length(in, size, &ulen);
    if (r != portable_snappy_uncompressed_length(in, size, &got2))
        abort();
    if (r != FLOE_OK) {
        if (r != FLOE_ERR_MALFORMED || floe_snappy_uncompress(in, size, NULL, 0, &got) != r ||
            got != 0)
            abort();
        free(in);
        return;
    }
    if (ulen > FUZZ_MAX_OUT) {
        out = malloc(64);
        if (out == NULL)
            abort();
        if (floe_snappy_uncompress(in, size, out, 64, &got) != FLOE_ERR_LIMIT || got != 0)
            abort();
        free(out);
        free(in);
        return;
    }
    out = malloc(ulen ? ulen : 1);
    out2 = malloc(ulen ? ulen : 1);
    if (out == NULL || out2 == NULL)
        abort();
    r = floe_snappy_uncompress(in, size, ulen ? out : NULL, ulen, &got);
    r2 = portable_snappy_uncompress(in, size, ulen ? out2 : NULL, ulen, &got2);
    if (r != r2 || (r != FLOE_OK && r != FLOE_ERR_MALFORMED))
        abort();
    if (r == FLOE_OK && (got != ulen || got2 != ulen || memcmp(out, out2, ulen) != 0))
        abort();
    if (r != FLOE_OK && (got != 0 || got2 != 0))
        abort();
    if (ulen > 0 && floe_snappy_uncompress(in, size, out, ulen - 1, &got) != FLOE_ERR_LIMIT)
        abort();
    free(out);
    free(out2);
    free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    roundtrip(data, size);
    hostile(data, size);
    return 0;
}
