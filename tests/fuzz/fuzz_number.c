/* libFuzzer target for src/ndjson/number.c: scan and every conversion on
 * arbitrary bytes; whenever the grammar accepts, f64/f32 must match the C
 * library's strtod/strtof bit for bit (or overflow where they give infinity),
 * and the integer conversions must agree with the float value.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *     tests/fuzz/fuzz_number.c src/ndjson/number.c -o /tmp/fuzz_number */
#include "ndjson/number.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char copy[1 << 16];

static void mismatch(const char *what, size_t size)
{
    fprintf(stderr, "fuzz_number: %s mismatch on \"%.*s\"\n", what, (int)(size < 400 ? size : 400),
            copy);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct floe_json_number num;
    double d = 0, want;
    float f = 0, wantf;
    int64_t i64 = 0;
    int32_t i32 = 0;
    int rc, rd, rf, ri, ri32;

    rc = floe_json_number_scan(s, size, &num);
    rd = floe_json_to_f64(s, size, &d);
    rf = floe_json_to_f32(s, size, &f);
    ri = floe_json_to_i64(s, size, &i64);
    ri32 = floe_json_to_i32(s, size, &i32);
    if (rc != FLOE_OK) {
        if (rc != FLOE_ERR_MALFORMED || rd != rc || rf != rc || ri != rc || ri32 != rc)
            mismatch("error code", 0);
        return 0;
    }
    if (size >= sizeof copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = 0;

    want = strtod(copy, NULL);
    if (isinf(want) ? rd != FLOE_ERR_RANGE : (rd != FLOE_OK || memcmp(&d, &want, sizeof d) != 0))
        mismatch("f64", size);
    wantf = strtof(copy, NULL);
    if (isinf(wantf) ? rf != FLOE_ERR_RANGE : (rf != FLOE_OK || memcmp(&f, &wantf, sizeof f) != 0))
        mismatch("f32", size);

    /* Integers: exact where the double is exact, and consistent with it. */
    if (ri == FLOE_OK) {
        if (rd != FLOE_OK || d != nearbyint(d) || fabs(d) > 9223372036854775808.0)
            mismatch("i64 vs f64", size);
        if (fabs(d) < 9007199254740992.0 && (double)i64 != d)
            mismatch("i64 value", size);
    } else if (ri == FLOE_ERR_TYPE) {
        if (num.is_integer || num.n_sig == 0)
            mismatch("i64 type", size);
    } else if (ri == FLOE_ERR_RANGE) {
        if (rd == FLOE_OK && fabs(d) < 9.2e18)
            mismatch("i64 range", size);
    } else {
        mismatch("i64 code", size);
    }
    if (ri32 == FLOE_OK && (ri != FLOE_OK || i64 != i32))
        mismatch("i32", size);
    if (ri32 == FLOE_ERR_RANGE && ri == FLOE_OK && i64 >= INT32_MIN && i64 <= INT32_MAX)
        mismatch("i32 range", size);
    return 0;
}
