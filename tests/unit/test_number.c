/* JSON numbers: grammar, exact integers, and float conversions checked bit for
 * bit against the C library's strtod/strtof (glibc's are correctly rounded). */
#include "test.h"
#include "ndjson/number.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>

/* Sized to keep each test well under 2 s (ASan, qemu-user); a stress run can
 * raise them with -DRANDOM_CASES=... -DHALFWAY_CASES=... */
#ifndef RANDOM_CASES
#if defined(__arm__) || defined(__aarch64__)
#define RANDOM_CASES 60000 /* these run under qemu-user */
#else
#define RANDOM_CASES 200000
#endif
#endif
#ifndef HALFWAY_CASES
#define HALFWAY_CASES (RANDOM_CASES / 40)
#endif

static int scan(const char *s, struct floe_json_number *num)
{
    return floe_json_number_scan(s, strlen(s), num);
}

/* ---- grammar ---- */

TEST(number_grammar_accepts_rfc8259_numbers_only)
{
    static const char *const good[] = {
        "0", "-0", "1", "-1", "10", "123456789", "0.0", "0.5", "-0.5", "1.25", "1e5", "1E5",
        "1e+5", "1e-5", "1E-05", "0e0", "-0e-0", "0.000", "12.5e1", "1.0e+308", "9e00000",
        "123456789012345678901234567890", "1e999999999999999999999", "4.9406564584124654e-324"};
    static const char *const bad[] = {
        "", "-", "+1", "01", "-01", "00", "00.5", ".5", "-.5", "1.", "1.e5", "1e", "1e+",
        "1e-", "1E", "e5", "0x10", "0X1", "inf", "-inf", "Infinity", "nan", "NaN", " 1", "1 ",
        "1\n", "\t1", "1,", "1.5.2", "1e5e5", "1e5.5", "--1", "-+1", "1-", "1+1", "1_000",
        "1.5f", "1d", "\xef\xbc\x91", "٣", "1e+-5", "- 1", "0..1", "1.-5"};
    struct floe_json_number num;
    size_t i;
    for (i = 0; i < FLOE_ARRAY_LEN(good); i++)
        if (scan(good[i], &num) != FLOE_OK)
            test_fail(__FILE__, __LINE__, "rejected \"%s\"", good[i]);
    for (i = 0; i < FLOE_ARRAY_LEN(bad); i++)
        if (scan(bad[i], &num) != FLOE_ERR_MALFORMED)
            test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
    /* All n bytes, no more and no fewer, and NUL is just a byte. */
    CHECK_EQ_INT(floe_json_number_scan("12", 1, &num), FLOE_OK);
    CHECK_EQ_INT(floe_json_number_scan("1.5", 2, &num), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_json_number_scan("1\0", 2, &num), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_json_number_scan("1e5", 3, &num), FLOE_OK);
    CHECK_EQ_INT(floe_json_number_scan(NULL, 0, &num), FLOE_ERR_MALFORMED);
    {
        double d;
        int64_t v;
        float f;
        int32_t v32;
        CHECK_EQ_INT(floe_json_to_f64("1.", 2, &d), FLOE_ERR_MALFORMED);
        CHECK_EQ_INT(floe_json_to_f32("+1", 2, &f), FLOE_ERR_MALFORMED);
        CHECK_EQ_INT(floe_json_to_i64("01", 2, &v), FLOE_ERR_MALFORMED);
        CHECK_EQ_INT(floe_json_to_i32("nan", 3, &v32), FLOE_ERR_MALFORMED);
    }
}

TEST(number_scan_records_digits_and_exponent)
{
    struct floe_json_number num;
    static char big[1200];
    REQUIRE(scan("-120.0450e+3", &num) == FLOE_OK);
    CHECK(num.negative && !num.is_integer);
    CHECK_EQ_INT(num.int_len, 3);
    CHECK_EQ_INT(num.frac_len, 4);
    CHECK(num.int_digits != NULL && num.int_digits[0] == '1');
    CHECK(num.frac_digits != NULL && num.frac_digits[0] == '0');
    CHECK_EQ_INT(num.sig_first, 0);
    CHECK_EQ_INT(num.n_sig, 6); /* 120045 */
    CHECK_EQ_INT(num.exp, 3);
    CHECK(num.exp_digits != NULL && num.exp_digits[0] == '3');
    CHECK_EQ_INT(num.exp_len, 1);
    CHECK_EQ_INT(num.dp, 6); /* 0.120045e6 */
    CHECK_EQ_U64(num.mant, 1200450);
    CHECK_EQ_INT(num.mant_digits, 7);

    REQUIRE(scan("0.00250", &num) == FLOE_OK);
    CHECK(!num.negative && !num.is_integer);
    CHECK(num.exp_digits == NULL && num.exp_len == 0);
    CHECK_EQ_INT(num.sig_first, 3);
    CHECK_EQ_INT(num.n_sig, 2);
    CHECK_EQ_INT(num.dp, -2);
    CHECK_EQ_U64(num.mant, 250);

    REQUIRE(scan("1735689600123", &num) == FLOE_OK);
    CHECK(num.is_integer);
    CHECK_EQ_INT(num.n_sig, 13);
    CHECK_EQ_INT(num.dp, 13);
    CHECK_EQ_U64(num.mant, 1735689600123ULL);

    REQUIRE(scan("-0.000e7", &num) == FLOE_OK);
    CHECK(num.negative);
    CHECK_EQ_INT(num.n_sig, 0);
    CHECK_EQ_U64(num.mant, 0);

    /* Only the first 19 digits go into mant. */
    REQUIRE(scan("12345678901234567890123", &num) == FLOE_OK);
    CHECK_EQ_INT(num.mant_digits, 19);
    CHECK_EQ_U64(num.mant, 1234567890123456789ULL);
    CHECK_EQ_INT(num.n_sig, 23);
    CHECK_EQ_INT(num.dp, 23);

    /* Huge exponents clamp instead of overflowing. */
    REQUIRE(scan("1e999999999999999999", &num) == FLOE_OK);
    CHECK_EQ_INT(num.exp, FLOE_JSON_EXP_CLAMP);
    CHECK_EQ_INT(num.dp, FLOE_JSON_EXP_CLAMP);
    REQUIRE(scan("-1.5E-99999999999999999999999999999999", &num) == FLOE_OK);
    CHECK_EQ_INT(num.exp, -FLOE_JSON_EXP_CLAMP);
    CHECK_EQ_INT(num.dp, -FLOE_JSON_EXP_CLAMP);
    REQUIRE(scan("1e2147483648", &num) == FLOE_OK);
    CHECK_EQ_INT(num.dp, FLOE_JSON_EXP_CLAMP);
    /* A thousand digits and an exponent that brings them back to 0.5. */
    memset(big, '0', sizeof big);
    big[0] = '5';
    memcpy(big + 1000, "e-1000", 7);
    REQUIRE(scan(big, &num) == FLOE_OK);
    CHECK_EQ_INT(num.n_sig, 1);
    CHECK_EQ_INT(num.dp, 0); /* 0.5 */
}

/* ---- integers ---- */

TEST(number_i64_is_exact_at_the_edges)
{
    static const struct {
        const char *s;
        int rc;
        int64_t v;
    } cases[] = {
        {"0", FLOE_OK, 0},
        {"-0", FLOE_OK, 0},
        {"-0.0e5", FLOE_OK, 0},
        {"7", FLOE_OK, 7},
        {"-71", FLOE_OK, -71},
        {"1735689600123", FLOE_OK, 1735689600123LL},
        {"9223372036854775807", FLOE_OK, INT64_MAX},
        {"-9223372036854775808", FLOE_OK, INT64_MIN},
        {"9223372036854775808", FLOE_ERR_RANGE, 0},
        {"-9223372036854775809", FLOE_ERR_RANGE, 0},
        {"9223372036854775807.0", FLOE_OK, INT64_MAX},
        {"-9223372036854775808.000000", FLOE_OK, INT64_MIN},
        {"9223372036854775807.5", FLOE_ERR_TYPE, 0},
        {"92233720368547758.07e2", FLOE_OK, INT64_MAX},
        {"0.9223372036854775808e19", FLOE_ERR_RANGE, 0},
        {"-0.9223372036854775808e19", FLOE_OK, INT64_MIN},
        {"18446744073709551615", FLOE_ERR_RANGE, 0},
        {"18446744073709551616", FLOE_ERR_RANGE, 0},
        {"99999999999999999999", FLOE_ERR_RANGE, 0},
        {"1e18", FLOE_OK, 1000000000000000000LL},
        {"-1e18", FLOE_OK, -1000000000000000000LL},
        {"1e19", FLOE_ERR_RANGE, 0},
        {"1e999999999999999999", FLOE_ERR_RANGE, 0},
        {"1.0", FLOE_OK, 1},
        {"1e3", FLOE_OK, 1000},
        {"12.5e1", FLOE_OK, 125},
        {"1250e-1", FLOE_OK, 125},
        {"1250000000000000000000e-19", FLOE_OK, 125},
        {"0.00001e5", FLOE_OK, 1},
        {"0.5", FLOE_ERR_TYPE, 0},
        {"-0.5", FLOE_ERR_TYPE, 0},
        {"1e-1", FLOE_ERR_TYPE, 0},
        {"12.55e1", FLOE_ERR_TYPE, 0},
        {"1e-999999999999999999", FLOE_ERR_TYPE, 0},
        {"1.5e30", FLOE_ERR_RANGE, 0},
        {"100000000000000000000000000000000000000000.5", FLOE_ERR_TYPE, 0},
        {"0e999999999999999999", FLOE_OK, 0},
    };
    size_t i;
    for (i = 0; i < FLOE_ARRAY_LEN(cases); i++) {
        int64_t v = 42;
        int rc = floe_json_to_i64(cases[i].s, strlen(cases[i].s), &v);
        if (rc != cases[i].rc || (rc == FLOE_OK && v != cases[i].v) || (rc != FLOE_OK && v != 42))
            test_fail(__FILE__, __LINE__, "\"%s\": rc %d value %lld, want rc %d value %lld",
                      cases[i].s, rc, (long long)v, cases[i].rc, (long long)cases[i].v);
    }
}

TEST(number_i32_range)
{
    int32_t v = 0;
    CHECK_EQ_INT(floe_json_to_i32("2147483647", 10, &v), FLOE_OK);
    CHECK_EQ_INT(v, INT32_MAX);
    CHECK_EQ_INT(floe_json_to_i32("-2147483648", 11, &v), FLOE_OK);
    CHECK_EQ_INT(v, INT32_MIN);
    CHECK_EQ_INT(floe_json_to_i32("2147483648", 10, &v), FLOE_ERR_RANGE);
    CHECK_EQ_INT(floe_json_to_i32("-2147483649", 11, &v), FLOE_ERR_RANGE);
    CHECK_EQ_INT(floe_json_to_i32("1e10", 4, &v), FLOE_ERR_RANGE);
    CHECK_EQ_INT(floe_json_to_i32("2.5", 3, &v), FLOE_ERR_TYPE);
    CHECK_EQ_INT(floe_json_to_i32("2.50e1", 6, &v), FLOE_OK);
    CHECK_EQ_INT(v, 25);
}

TEST(number_i64_matches_strtoll_on_random_integers)
{
    static char buf[64];
    int i;
    for (i = 0; i < 20000; i++) {
        uint64_t r = test_rand();
        int64_t want, got = 0;
        int rc;
        int shift = 1 + (int)(test_rand() % 63);
        long long x = (long long)(r >> shift);
        if (test_rand() & 1)
            x = -x;
        snprintf(buf, sizeof buf, "%lld", x);
        want = strtoll(buf, NULL, 10);
        rc = floe_json_to_i64(buf, strlen(buf), &got);
        if (rc != FLOE_OK || got != want) {
            test_fail(__FILE__, __LINE__, "\"%s\": rc %d got %lld", buf, rc, (long long)got);
            break;
        }
    }
}

/* ---- floats against the C library ---- */

static char show[2100];

/* Checks s against strtod: bit-identical, or FLOE_ERR_RANGE where strtod
 * overflows to infinity. Returns 0 on mismatch. */
static int same_as_strtod(const char *s, size_t n, int line)
{
    double want, got = 0;
    int rc;
    memcpy(show, s, n < sizeof show - 1 ? n : sizeof show - 1);
    show[n < sizeof show - 1 ? n : sizeof show - 1] = 0;
    want = strtod(show, NULL);
    rc = floe_json_to_f64(s, n, &got);
    if (isinf(want) ? rc == FLOE_ERR_RANGE : (rc == FLOE_OK && memcmp(&got, &want, sizeof got) == 0))
        return 1;
    if (n > 200)
        memcpy(show + 90, "...", 4);
    test_fail(__FILE__, line, "f64 \"%s\": rc %d got %a want %a", show, rc, got, want);
    return 0;
}

static int same_as_strtof(const char *s, size_t n, int line)
{
    float want, got = 0;
    int rc;
    memcpy(show, s, n < sizeof show - 1 ? n : sizeof show - 1);
    show[n < sizeof show - 1 ? n : sizeof show - 1] = 0;
    want = strtof(show, NULL);
    rc = floe_json_to_f32(s, n, &got);
    if (isinf(want) ? rc == FLOE_ERR_RANGE : (rc == FLOE_OK && memcmp(&got, &want, sizeof got) == 0))
        return 1;
    if (n > 200)
        memcpy(show + 90, "...", 4);
    test_fail(__FILE__, line, "f32 \"%s\": rc %d got %a want %a", show, rc, (double)got,
              (double)want);
    return 0;
}

#define SAME64(s) same_as_strtod((s), strlen(s), __LINE__)
#define SAME32(s) same_as_strtof((s), strlen(s), __LINE__)

static uint64_t f64_bits(const char *s, int *rc)
{
    double d = 0;
    uint64_t b;
    *rc = floe_json_to_f64(s, strlen(s), &d);
    memcpy(&b, &d, sizeof b);
    return b;
}

static uint32_t f32_bits(const char *s, int *rc)
{
    float f = 0;
    uint32_t b;
    *rc = floe_json_to_f32(s, strlen(s), &f);
    memcpy(&b, &f, sizeof b);
    return b;
}

TEST(number_f64_known_hard_cases)
{
    static const struct {
        const char *s;
        int rc;
        uint64_t bits;
    } cases[] = {
        {"0", FLOE_OK, 0},
        {"-0", FLOE_OK, 0x8000000000000000ULL},
        {"-0.0e-5", FLOE_OK, 0x8000000000000000ULL},
        {"1", FLOE_OK, 0x3ff0000000000000ULL},
        {"0.1", FLOE_OK, 0x3fb999999999999aULL},
        {"9007199254740992", FLOE_OK, 0x4340000000000000ULL},
        {"9007199254740993", FLOE_OK, 0x4340000000000000ULL}, /* tie, to even */
        {"9007199254740995", FLOE_OK, 0x4340000000000002ULL}, /* tie, to even */
        {"9007199254740993.0000000000000000000000001", FLOE_OK, 0x4340000000000001ULL},
        {"2.2250738585072011e-308", FLOE_OK, 0x000fffffffffffffULL},
        {"2.2250738585072012e-308", FLOE_OK, 0x0010000000000000ULL},
        {"2.2250738585072014e-308", FLOE_OK, 0x0010000000000000ULL},
        {"4.9406564584124654e-324", FLOE_OK, 1},
        {"2.4703282292062327e-324", FLOE_OK, 0},
        {"2.4703282292062328e-324", FLOE_OK, 1},
        {"-2.4703282292062328e-324", FLOE_OK, 0x8000000000000001ULL},
        {"1e-400", FLOE_OK, 0},
        {"-1e-999999999999999999", FLOE_OK, 0x8000000000000000ULL},
        {"1.7976931348623157e308", FLOE_OK, 0x7fefffffffffffffULL},
        {"1.7976931348623158e308", FLOE_OK, 0x7fefffffffffffffULL},
        {"1.7976931348623159e308", FLOE_ERR_RANGE, 0},
        {"-1.7976931348623159e308", FLOE_ERR_RANGE, 0},
        {"1e309", FLOE_ERR_RANGE, 0},
        {"1e400", FLOE_ERR_RANGE, 0},
        {"1e999999999999999999", FLOE_ERR_RANGE, 0},
        {"0e999999999999999999", FLOE_OK, 0},
        {"1e23", FLOE_OK, 0x44b52d02c7e14af6ULL},
        {"8.98846567431158e307", FLOE_OK, 0x7fe0000000000000ULL},
    };
    static const char *const vs_libc[] = {
        "2.2250738585072011e-308", "2.225073858507201136057409796709131975934819546351645648e-308",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
        "7.2057594037927933e16", "3.5e-324", "5e-324", "1.5e-323", "2.5e-323",
        "1.1754943508222875e-38", "179769313486231580793728971405303415079934132710037826936173778"
        "9804449682927647509466490179775872070963302864166928879109465555478519404026306574886715"
        "0582068190890200070838367627385484581771153176447573027006985557136695962284291481986083"
        "4936475292719074168444365510704342711559699508093042880177904174497791",
        "179769313486231580793728971405303415079934132710037826936173778"
        "9804449682927647509466490179775872070963302864166928879109465555478519404026306574886715"
        "0582068190890200070838367627385484581771153176447573027006985557136695962284291481986083"
        "4936475292719074168444365510704342711559699508093042880177904174497792",
        "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899",
        "0.30000000000000004", "123456789012345678901234567890e-20", "1e22", "1e-22",
        "9.999999999999999e22", "4503599627370496.5", "4503599627370497.5",
        "6.631236846766476e-316", "3.23e-322", "69533558078350e-334", "1.8e-323",
    };
    size_t i;
    for (i = 0; i < FLOE_ARRAY_LEN(cases); i++) {
        int rc;
        uint64_t b = f64_bits(cases[i].s, &rc);
        if (rc != cases[i].rc || (rc == FLOE_OK && b != cases[i].bits))
            test_fail(__FILE__, __LINE__, "\"%s\": rc %d bits %016llx, want rc %d bits %016llx",
                      cases[i].s, rc, (unsigned long long)b, cases[i].rc,
                      (unsigned long long)cases[i].bits);
#if defined(__GLIBC__) || !defined(__arm__)
        /* The table is the oracle; glibc's strtod, and musl's on 64-bit
         * targets, agree with it. musl 1.2.3 on armhf does not: its strtod
         * takes "-2.4703282292062328e-324" to +0 (seen under qemu-arm), though
         * the value is above half the least subnormal and the positive one
         * rounds up. */
        SAME64(cases[i].s);
#endif
    }
    for (i = 0; i < FLOE_ARRAY_LEN(vs_libc); i++)
        SAME64(vs_libc[i]);
}

TEST(number_f32_known_hard_cases)
{
    static const struct {
        const char *s;
        int rc;
        uint32_t bits;
    } cases[] = {
        {"-0", FLOE_OK, 0x80000000u},
        {"0.1", FLOE_OK, 0x3dcccccdu},
        {"16777217", FLOE_OK, 0x4b800000u}, /* tie, to even */
        {"16777219", FLOE_OK, 0x4b800002u},
        {"16777217.000000000000000000001", FLOE_OK, 0x4b800001u},
        {"1.00000005960464477539062499", FLOE_OK, 0x3f800000u},
        {"1.000000059604644775390625", FLOE_OK, 0x3f800000u}, /* tie, to even */
        {"1.00000005960464477539062501", FLOE_OK, 0x3f800001u},
        {"1.4e-45", FLOE_OK, 1},
        {"7.006492321624085354618647916449580656401309709382578858785341419448955413429303e-46",
         FLOE_OK, 0}, /* exactly half the least subnormal: to even */
        {"7.0064923216240853546186479164495806564013097093825788587853414194489554134293031e-46",
         FLOE_OK, 1},
        {"1.1754942e-38", FLOE_OK, 0x007fffffu},
        {"3.4028234663852886e38", FLOE_OK, 0x7f7fffffu},
        {"3.4028235677973366e38", FLOE_OK, 0x7f7fffffu}, /* just under the halfway */
        {"3.40282356779733661637539395458142568448e38", FLOE_ERR_RANGE, 0}, /* halfway: even is inf */
        {"3.5e38", FLOE_ERR_RANGE, 0},
        {"1e39", FLOE_ERR_RANGE, 0},
        {"1e-46", FLOE_OK, 0},
        /* Through double this double-rounds to 0x3f800001. */
        {"1.00000005960464477550", FLOE_OK, 0x3f800001u},
        {"1.0000000596046447753906250000000001", FLOE_OK, 0x3f800001u},
    };
    static const char *const vs_libc[] = {
        "7.038531e-26", "1.17549435e-38", "3.4e38", "3.4028236e38", "1.0000000596046447755",
        "0.000000000000000000000000000000000000011754943508222875079687365372222456778186655567720875215087517062784172594547271728515625",
        "8388608.5", "8388609.5", "2.7182818284590452353602874713526624977572", "1e-45", "2e-45",
        "16777216.999999999999999999", "4.2e-45", "3.4028235e38",
    };
    size_t i;
    for (i = 0; i < FLOE_ARRAY_LEN(cases); i++) {
        int rc;
        uint32_t b = f32_bits(cases[i].s, &rc);
        if (rc != cases[i].rc || (rc == FLOE_OK && b != cases[i].bits))
            test_fail(__FILE__, __LINE__, "\"%s\": rc %d bits %08x, want rc %d bits %08x",
                      cases[i].s, rc, b, cases[i].rc, cases[i].bits);
        SAME32(cases[i].s);
    }
    for (i = 0; i < FLOE_ARRAY_LEN(vs_libc); i++)
        SAME32(vs_libc[i]);
}

/* ---- very long inputs ---- */

static char longbuf[2100];

TEST(number_long_inputs)
{
    static const char half1[] = "1.00000000000000011102230246251565404236316680908203125";
    size_t n, i;
    int rc;
    uint64_t b;
    double d;

    /* 0.000...0001 with 800 zeros: far below the least subnormal. */
    n = 0;
    longbuf[n++] = '0';
    longbuf[n++] = '.';
    memset(longbuf + n, '0', 800);
    n += 800;
    longbuf[n++] = '1';
    longbuf[n] = 0;
    b = f64_bits(longbuf, &rc);
    CHECK_EQ_INT(rc, FLOE_OK);
    CHECK_EQ_U64(b, 0);
    SAME64(longbuf);
    SAME32(longbuf);
    /* ...and brought back into range by an exponent. */
    memcpy(longbuf + n, "e+801", 6);
    b = f64_bits(longbuf, &rc);
    CHECK_EQ_U64(b, 0x3ff0000000000000ULL);
    SAME64(longbuf);
    SAME32(longbuf);
    memcpy(longbuf + n, "e+500", 6);
    SAME64(longbuf);
    memcpy(longbuf + n, "e+480", 6);
    SAME64(longbuf);
    /* 1 followed by 1000 zeros, scaled back. */
    longbuf[0] = '1';
    memset(longbuf + 1, '0', 1000);
    memcpy(longbuf + 1001, "e-1000", 7);
    b = f64_bits(longbuf, &rc);
    CHECK_EQ_U64(b, 0x3ff0000000000000ULL);
    memcpy(longbuf + 1001, "e-1308", 7);
    SAME64(longbuf);
    memcpy(longbuf + 1001, "e-1325", 7);
    SAME64(longbuf);

    /* A 1000-digit mantissa that is exactly halfway between 1 and its
     * successor: a tie, to even (1). A 1 at digit 900 tips it up. */
    n = strlen(half1);
    memcpy(longbuf, half1, n);
    memset(longbuf + n, '0', 1001 - n);
    longbuf[1001] = 0;
    b = f64_bits(longbuf, &rc);
    CHECK_EQ_U64(b, 0x3ff0000000000000ULL);
    SAME64(longbuf);
    longbuf[901] = '1';
    b = f64_bits(longbuf, &rc);
    CHECK_EQ_U64(b, 0x3ff0000000000001ULL);
    SAME64(longbuf);
    /* ...and a 1 at digit 1000 (past the 800 kept digits) too. */
    longbuf[901] = '0';
    longbuf[1000] = '1';
    b = f64_bits(longbuf, &rc);
    CHECK_EQ_U64(b, 0x3ff0000000000001ULL);
    SAME64(longbuf);
    /* Just below the halfway point: ...203124999...9. */
    memcpy(longbuf, half1, n);
    longbuf[n - 1] = '4';
    memset(longbuf + n, '9', 1001 - n);
    b = f64_bits(longbuf, &rc);
    CHECK_EQ_U64(b, 0x3ff0000000000000ULL);
    SAME64(longbuf);

    /* 9007199254740993 (a tie) with a non-zero digit far out. */
    memcpy(longbuf, "9007199254740993.", 17);
    memset(longbuf + 17, '0', 1200);
    longbuf[1217] = 0;
    d = 0;
    CHECK_EQ_INT(floe_json_to_f64(longbuf, 1217, &d), FLOE_OK);
    CHECK(d == 9007199254740992.0);
    longbuf[1216] = '1';
    CHECK_EQ_INT(floe_json_to_f64(longbuf, 1217, &d), FLOE_OK);
    CHECK(d == 9007199254740994.0);
    SAME64(longbuf);
    SAME32(longbuf);

    /* 2000 nines: 10^2000 - 1 overflows; scaled down it is 1 - tiny. */
    memset(longbuf, '9', 2000);
    longbuf[2000] = 0;
    CHECK_EQ_INT(floe_json_to_f64(longbuf, 2000, &d), FLOE_ERR_RANGE);
    memcpy(longbuf + 2000, "e-2000", 7);
    b = f64_bits(longbuf, &rc);
    CHECK_EQ_U64(b, 0x3ff0000000000000ULL);
    SAME64(longbuf);
    SAME32(longbuf);
    for (i = 0; i < 40; i++) {
        /* Long fractions of random digits across the range. */
        size_t k;
        int e = (int)(test_rand() % 660) - 340;
        longbuf[0] = (char)('1' + test_rand() % 9);
        longbuf[1] = '.';
        for (k = 2; k < 1500; k++)
            longbuf[k] = (char)('0' + test_rand() % 10);
        snprintf(longbuf + 1500, 20, "e%d", e);
        if (!SAME64(longbuf))
            break;
        snprintf(longbuf + 1500, 20, "e%d", e / 8);
        if (!SAME32(longbuf))
            break;
    }
}

/* ---- exact halfway points ---- */

/* Exact decimal of a finite double through glibc's printf (exact for any
 * precision): digits d[0..] with value 0.d0d1... * 10^*dexp. */
static int exact_digits(double x, char *digits, int *dexp)
{
    static char tmp[1000];
    int n = 0, i;
    snprintf(tmp, sizeof tmp, "%.780e", x); /* a double has at most 767 significant digits */
    digits[n++] = tmp[0];
    for (i = 2; tmp[i] >= '0' && tmp[i] <= '9'; i++)
        digits[n++] = tmp[i];
    *dexp = atoi(tmp + i + 1) + 1;
    return n;
}

/* Writes (a + b) / 2 (halve) or a + b exactly, as "0.ddd...e<exp>" into out,
 * for finite non-negative doubles. Returns the length. */
static size_t exact_sum(double a, double b, int halve, char *out)
{
    static char da[800], db[800];
    static int acc[1700];
    int na, nb, ea, eb, top, base, i, len, first, last, r;
    size_t o = 0;
    na = exact_digits(a, da, &ea);
    nb = exact_digits(b, db, &eb);
    if (a == 0)
        ea = eb;
    if (b == 0)
        eb = ea;
    top = (ea > eb ? ea : eb) + 1;              /* power of the top slot + 1 */
    base = (ea - na < eb - nb ? ea - na : eb - nb) - 1; /* lowest power - 1 (for .5) */
    len = top - base;
    memset(acc, 0, sizeof acc);
    /* slot k holds the digit of 10^(base + k) */
    for (i = 0; i < na; i++)
        acc[ea - 1 - i - base] += da[i] - '0';
    for (i = 0; i < nb; i++)
        acc[eb - 1 - i - base] += db[i] - '0';
    for (i = 0; i < len - 1; i++) {
        acc[i + 1] += acc[i] / 10;
        acc[i] %= 10;
    }
    if (halve) {
        for (r = 0, i = len - 1; i >= 0; i--) {
            int cur = r * 10 + acc[i];
            acc[i] = cur / 2;
            r = cur % 2;
        }
    }
    for (first = len - 1; first > 0 && acc[first] == 0; first--)
        ;
    for (last = 0; last < first && acc[last] == 0; last++)
        ;
    out[o++] = '0';
    out[o++] = '.';
    for (i = first; i >= last; i--)
        out[o++] = (char)('0' + acc[i]);
    o += (size_t)sprintf(out + o, "e%d", base + first + 1);
    return o;
}

/* A random finite positive double: all binades, with extra weight on the
 * subnormals, the normal/subnormal boundary and the top. */
static double random_double(void)
{
    uint64_t r = test_rand(), bits;
    double d;
    uint64_t e;
    switch (r % 8) {
    case 0:
        e = 0;
        break;
    case 1:
        e = 1 + (r >> 8) % 2;
        break;
    case 2:
        e = 2046 - (r >> 8) % 3;
        break;
    default:
        e = (r >> 8) % 2047;
    }
    bits = (e << 52) | (test_rand() & 0xfffffffffffffULL);
    if (bits == 0)
        bits = 1;
    memcpy(&d, &bits, sizeof d);
    return d;
}

TEST(number_f64_halfway_points)
{
    static char mid[2000], var[2100];
    int i, n = 0;
    const int cases = HALFWAY_CASES;
    /* The top: DBL_MAX + half an ulp is a tie whose even neighbour is 2^1024. */
    exact_sum(DBL_MAX, ldexp(1, 970), 0, mid);
    CHECK_EQ_INT(floe_json_to_f64(mid, strlen(mid), &(double){0}), FLOE_ERR_RANGE);
    SAME64(mid);
    /* The bottom: half the least subnormal is a tie to 0. */
    exact_sum(0, 4.9406564584124654e-324, 1, mid);
    SAME64(mid);
    for (i = 0; i < cases; i++) {
        double lo = random_double(), hi = nextafter(lo, INFINITY);
        size_t len, k;
        char *e;
        if (isinf(hi))
            continue;
        len = exact_sum(lo, hi, 1, mid);
        n++;
        if (!same_as_strtod(mid, len, __LINE__))
            break;
        e = strchr(mid, 'e');
        k = (size_t)(e - mid);
        /* Just above: append a 1 to the digits. */
        memcpy(var, mid, k);
        var[k] = '1';
        strcpy(var + k + 1, e);
        if (!SAME64(var))
            break;
        /* Just below: last digit minus one, then nines. */
        memcpy(var, mid, k);
        var[k - 1]--;
        memcpy(var + k, "999", 3);
        strcpy(var + k + 3, e);
        if (!SAME64(var))
            break;
        /* Cut to 16..40 digits: short inputs near the halfway point. */
        {
            size_t cut = 2 + 16 + (size_t)(test_rand() % 25);
            if (cut < k) {
                memcpy(var, mid, cut);
                strcpy(var + cut, e);
                if (!SAME64(var))
                    break;
                var[cut - 1] = var[cut - 1] == '9' ? '9' : (char)(var[cut - 1] + 1);
                if (!SAME64(var))
                    break;
            }
        }
        /* The same value written with a negative sign. */
        var[0] = '-';
        memcpy(var + 1, mid, len + 1);
        if (!SAME64(var))
            break;
    }
    CHECK(n > cases / 2);
}

TEST(number_f32_halfway_points)
{
    static char mid[300], var[320];
    int i;
    /* FLT_MAX + half an ulp is a tie that rounds to infinity. */
    snprintf(mid, sizeof mid, "%.200e", (double)FLT_MAX + ldexp(1, 103));
    CHECK_EQ_INT(floe_json_to_f32(mid, strlen(mid), &(float){0}), FLOE_ERR_RANGE);
    SAME32(mid);
    for (i = 0; i < HALFWAY_CASES * 4; i++) {
        uint32_t bits = (uint32_t)test_rand(), eb;
        float lo, hi;
        double m;
        char *e;
        size_t k;
        switch (i % 4) {
        case 0:
            bits &= 0x007fffffu; /* subnormal */
            break;
        case 1:
            eb = 1u + (uint32_t)(test_rand() % 2);
            bits = (bits & 0x007fffffu) | (eb << 23);
            break;
        default:
            bits &= 0x7fffffffu;
            if ((bits >> 23) == 0xff)
                bits &= 0x7f7fffffu;
        }
        memcpy(&lo, &bits, sizeof lo);
        hi = nextafterf(lo, INFINITY);
        if (isinf(hi))
            continue;
        m = ((double)lo + (double)hi) / 2; /* exact: 25 bits */
        snprintf(mid, sizeof mid, "%.200e", m);
        /* trim the zero padding */
        e = strchr(mid, 'e');
        for (k = (size_t)(e - mid); mid[k - 1] == '0'; k--)
            ;
        memmove(mid + k, e, strlen(e) + 1);
        if (!SAME32(mid))
            break;
        e = strchr(mid, 'e');
        k = (size_t)(e - mid);
        memcpy(var, mid, k);
        var[k] = '1';
        strcpy(var + k + 1, e);
        if (!SAME32(var))
            break;
        if (var[k - 1] != '.' && var[k - 1] != '0') {
            memcpy(var, mid, k);
            var[k - 1]--;
            memcpy(var + k, "99", 2);
            strcpy(var + k + 2, e);
            if (!SAME32(var))
                break;
        }
    }
}

/* ---- random decimal strings ---- */

/* A random JSON number: 1..40 significant digits (runs of 0s and 9s
 * included), a point anywhere, and an exponent placing the value in
 * [10^lo, 10^hi] with extra weight at both ends. */
static size_t random_number(char *buf, int lo, int hi)
{
    size_t p = 0;
    int nd = 1 + (int)(test_rand() % 40), k, point, e, ex;
    int style = (int)(test_rand() % 4);
    if (test_rand() % 4 == 0)
        buf[p++] = '-';
    point = (int)(test_rand() % (unsigned)(nd + 1)); /* digits before the point */
    if (point == 0) {
        buf[p++] = '0';
        buf[p++] = '.';
        for (k = (int)(test_rand() % 4); k > 0; k--)
            buf[p++] = '0';
    }
    for (k = 0; k < nd; k++) {
        unsigned r = (unsigned)(test_rand() % 10), d;
        if (k == 0)
            d = 1 + r % 9;
        else if (style == 1)
            d = r < 7 ? 9 : r; /* long runs of 9 */
        else if (style == 2)
            d = r < 7 ? 0 : r; /* long runs of 0 */
        else
            d = r;
        buf[p++] = (char)('0' + d);
        if (k + 1 == point && k + 1 < nd)
            buf[p++] = '.';
    }
    /* value ~ 10^(point + ex) */
    switch (test_rand() % 8) {
    case 0:
        e = lo + (int)(test_rand() % 12); /* underflow edge */
        break;
    case 1:
        e = hi - (int)(test_rand() % 6); /* overflow edge */
        break;
    case 2:
        e = (int)(test_rand() % 40) - 20; /* everyday values */
        break;
    case 3:
        e = point; /* no exponent */
        break;
    default:
        e = lo + (int)(test_rand() % (unsigned)(hi - lo + 1));
    }
    ex = e - point;
    if (e != point || test_rand() % 2)
        p += (size_t)sprintf(buf + p, "%s%d", test_rand() % 2 ? "e" : "E", ex);
    buf[p] = 0;
    return p;
}

TEST(number_f64_random_vs_strtod)
{
    static char buf[128];
    int i;
    for (i = 0; i < RANDOM_CASES; i++) {
        size_t n = random_number(buf, -345, 310);
        if (!same_as_strtod(buf, n, __LINE__))
            break;
    }
}

TEST(number_f32_random_vs_strtof)
{
    static char buf[128];
    int i;
    for (i = 0; i < RANDOM_CASES; i++) {
        size_t n = random_number(buf, -47, 40);
        if (!same_as_strtof(buf, n, __LINE__))
            break;
    }
}

TEST(number_f64_round_trips_random_doubles)
{
    /* The shortest round-trip forms (%.17g) and one digit fewer. */
    static char buf[64];
    int i;
    for (i = 0; i < RANDOM_CASES / 4; i++) {
        double d = random_double(), got = 0;
        snprintf(buf, sizeof buf, "%.17g", d);
        if (floe_json_to_f64(buf, strlen(buf), &got) != FLOE_OK || memcmp(&got, &d, sizeof d) != 0) {
            test_fail(__FILE__, __LINE__, "\"%s\" did not round-trip", buf);
            break;
        }
        snprintf(buf, sizeof buf, "%.16g", d);
        if (!SAME64(buf))
            break;
    }
}

/* ---- the short-form fast paths of floe_json_to_* ---- */

/* Telemetry-style numbers: an optional '-', 1..21 digits (so some pass the
 * 19-digit and 2^53 limits of the fast paths), a point anywhere or none, no
 * exponent; a leading "0." or runs of zeros now and then. */
static size_t random_short(char *buf)
{
    size_t p = 0;
    int nd = 1 + (int)(test_rand() % 21), point, k, zero_point = 0;
    if (test_rand() % 3 == 0)
        buf[p++] = '-';
    if (test_rand() % 4 == 0) {
        buf[p++] = '0'; /* "0" or "0.ddd" */
        if (test_rand() % 8 == 0) {
            buf[p] = 0;
            return p;
        }
        point = 0;
        zero_point = 1;
        buf[p++] = '.';
    } else {
        point = (int)(test_rand() % (unsigned)(nd + 1)); /* 0: no point */
    }
    for (k = 0; k < nd; k++) {
        unsigned r = (unsigned)(test_rand() % 10);
        if (k == 0 && !zero_point)
            r = 1 + r % 9; /* no leading zero */
        else if (r < 3)
            r = 0;
        buf[p++] = (char)('0' + r);
        if (k + 1 == point && k + 1 < nd)
            buf[p++] = '.';
    }
    buf[p] = 0;
    return p;
}

TEST(number_short_forms_match_the_general_path_and_strtod)
{
    static char buf[64];
    int i;
    for (i = 0; i < RANDOM_CASES; i++) {
        size_t n = random_short(buf);
        struct floe_json_number num;
        double fast = 0, slow = 0;
        int64_t fi = 0, si = 0;
        int32_t f32i = 0, s32i = 0;
        int rf, rs;
        if (!same_as_strtod(buf, n, __LINE__))
            break;
        /* the general path, without the fast one */
        if (floe_json_number_scan(buf, n, &num) != FLOE_OK) {
            test_fail(__FILE__, __LINE__, "\"%s\" did not scan", buf);
            break;
        }
        rf = floe_json_to_f64(buf, n, &fast);
        rs = floe_json_number_f64(&num, &slow);
        if (rf != rs || memcmp(&fast, &slow, sizeof fast) != 0) {
            test_fail(__FILE__, __LINE__, "f64 \"%s\": fast %a (rc %d), general %a (rc %d)", buf, fast, rf, slow, rs);
            break;
        }
        rf = floe_json_to_i64(buf, n, &fi);
        rs = floe_json_number_i64(&num, &si);
        if (rf != rs || (rf == FLOE_OK && fi != si)) {
            test_fail(__FILE__, __LINE__, "i64 \"%s\": fast %lld (rc %d), general %lld (rc %d)", buf, (long long)fi,
                      rf, (long long)si, rs);
            break;
        }
        if (rf == FLOE_OK && strchr(buf, '.') == NULL && fi != strtoll(buf, NULL, 10)) {
            test_fail(__FILE__, __LINE__, "i64 \"%s\": %lld", buf, (long long)fi);
            break;
        }
        rf = floe_json_to_i32(buf, n, &f32i);
        rs = floe_json_number_i32(&num, &s32i);
        if (rf != rs || (rf == FLOE_OK && f32i != s32i)) {
            test_fail(__FILE__, __LINE__, "i32 \"%s\": fast %d (rc %d), general %d (rc %d)", buf, (int)f32i, rf,
                      (int)s32i, rs);
            break;
        }
    }
}

TEST(number_short_forms_edges)
{
    int64_t v = 0;
    int32_t w = 0;
    double d = 1;
    CHECK_EQ_INT(floe_json_to_i64("9223372036854775807", 19, &v), FLOE_OK);
    CHECK(v == INT64_MAX);
    CHECK_EQ_INT(floe_json_to_i64("-9223372036854775808", 20, &v), FLOE_OK);
    CHECK(v == INT64_MIN);
    CHECK_EQ_INT(floe_json_to_i64("9223372036854775808", 19, &v), FLOE_ERR_RANGE);
    CHECK_EQ_INT(floe_json_to_i64("9999999999999999999", 19, &v), FLOE_ERR_RANGE);
    CHECK_EQ_INT(floe_json_to_i32("2147483647", 10, &w), FLOE_OK);
    CHECK_EQ_INT(w, INT32_MAX);
    CHECK_EQ_INT(floe_json_to_i32("-2147483648", 11, &w), FLOE_OK);
    CHECK_EQ_INT(w, INT32_MIN);
    CHECK_EQ_INT(floe_json_to_i32("2147483648", 10, &w), FLOE_ERR_RANGE);
    CHECK_EQ_INT(floe_json_to_i32("-2147483649", 11, &w), FLOE_ERR_RANGE);
    CHECK_EQ_INT(floe_json_to_i64("-0", 2, &v), FLOE_OK);
    CHECK(v == 0);
    CHECK_EQ_INT(floe_json_to_f64("-0", 2, &d), FLOE_OK);
    CHECK(d == 0 && signbit(d));
    CHECK_EQ_INT(floe_json_to_f64("-0.000", 6, &d), FLOE_OK);
    CHECK(d == 0 && signbit(d));
    CHECK_EQ_INT(floe_json_to_f64("9007199254740993", 16, &d), FLOE_OK); /* 2^53 + 1: not exact */
    CHECK(d == 9007199254740992.0);
    CHECK_EQ_INT(floe_json_to_i64("1.0", 3, &v), FLOE_OK);
    CHECK(v == 1);
    CHECK_EQ_INT(floe_json_to_i64("1.5", 3, &v), FLOE_ERR_TYPE);
    /* Bad grammar still fails through the general path. */
    CHECK_EQ_INT(floe_json_to_i64("01", 2, &v), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_json_to_f64("1.", 2, &d), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_json_to_f64("-", 1, &d), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_json_to_f64(".5", 2, &d), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_json_to_f64("0x1", 3, &d), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_json_to_f64("1.2.3", 5, &d), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_json_to_i32("12a", 3, &w), FLOE_ERR_MALFORMED);
    CHECK_EQ_INT(floe_json_to_i32("", 0, &w), FLOE_ERR_MALFORMED);
}
