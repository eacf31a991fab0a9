/* JSON numbers: the exact RFC 8259 grammar, and conversions to int32/int64
 * (exact, never rounded or wrapped) and to binary32/binary64 (correctly
 * rounded, round-half-even, independent of locale and of the FPU's
 * precision). No allocation, no recursion; the slow path of the float
 * conversions uses under 1 KiB of stack. Internal to floe. */
#ifndef FLOE_NDJSON_NUMBER_H
#define FLOE_NDJSON_NUMBER_H

#include "core/internal.h"
#include <float.h>

/* One IEEE division rounds correctly when digits and power of ten are both
 * exact, unless floats are evaluated in wider precision. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0 && !defined(FLOE_NUMBER_NO_FP_FAST)
#define FLOE_NUM_FP_FAST 1
#else
#define FLOE_NUM_FP_FAST 0
#endif

/* |dp| and |exp| are clamped to this: far past any double's range, and small
 * enough that sums of a few of them cannot overflow an int32_t. */
#define FLOE_JSON_EXP_CLAMP 100000000

/* Digits kept in the mantissa word: 10^19 - 1 < 2^64. */
#define FLOE_JSON_MANT_DIGITS 19

/* What floe_json_number_scan learns about one number.
 *
 * The "digit sequence" is the integer digits followed by the fraction digits,
 * without the '.'; positions in it are 0-based. The significant digits are
 * those from the first non-zero digit to the last non-zero one, d1..dn, and
 * the value is (-1)^negative * 0.d1d2...dn * 10^dp. */
struct floe_json_number {
    const char *int_digits;  /* first integer digit (after any '-') */
    const char *frac_digits; /* first fraction digit, or NULL */
    size_t int_len;          /* integer digits: >= 1 */
    size_t frac_len;         /* fraction digits: 0 without a '.' */
    const char *exp_digits;  /* first exponent digit (after any sign), or NULL */
    size_t exp_len;          /* exponent digits: 0 without an exponent */
    size_t sig_first;        /* position of d1 in the digit sequence */
    size_t n_sig;            /* n: significant digits; 0 when the value is zero */
    int32_t dp;              /* decimal point position (see above), clamped */
    int32_t exp;             /* the written exponent, clamped; 0 if none */
    uint64_t mant;           /* the first mant_digits digits from d1, as written
                              * (so it may end in zeros); 0 for zero */
    uint8_t mant_digits;     /* min(19, digits from d1 to the end) */
    uint8_t negative;        /* a leading '-' (also for "-0") */
    uint8_t is_integer;      /* written without '.' and without an exponent */
};

/* Checks that all n bytes of s are one number in the exact RFC 8259 grammar
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and fills *out (which keeps
 * pointers into s). Returns FLOE_OK or FLOE_ERR_MALFORMED (leading '+',
 * leading zeros, ".5", "1.", "1e", whitespace, hex, inf/nan, ...); *out is
 * unspecified on error. */
int floe_json_number_scan(const char *s, size_t n, struct floe_json_number *out);

/* Conversions of a scanned number. On error *out is left untouched.
 *
 * Integers are exact: "1.0", "1e3", "12.5e1" and "-0" are integers, but a
 * non-zero fractional part gives FLOE_ERR_TYPE (checked first), and a value
 * outside the type gives FLOE_ERR_RANGE.
 *
 * Floats are correctly rounded to nearest, ties to even. A value that rounds
 * beyond the largest finite value gives FLOE_ERR_RANGE (never infinity);
 * underflow is not an error: it rounds to a subnormal or to a signed zero.
 * The fast path assumes the FPU is in its default round-to-nearest mode. */
int floe_json_number_i64(const struct floe_json_number *num, int64_t *out);
int floe_json_number_i32(const struct floe_json_number *num, int32_t *out);
int floe_json_number_f64(const struct floe_json_number *num, double *out);
int floe_json_number_f32(const struct floe_json_number *num, float *out);

/* Scan, then convert: FLOE_ERR_MALFORMED or the conversion's result. */
int floe_json_to_i64(const char *s, size_t n, int64_t *out);
int floe_json_to_i32(const char *s, size_t n, int32_t *out);
int floe_json_to_f64(const char *s, size_t n, double *out);
int floe_json_to_f32(const char *s, size_t n, float *out);

/* A "short decimal": -?(0|[1-9][0-9]*)(\.[0-9]+)? with at most 19 digits,
 * given as m (every digit, the point dropped: m < 10^19), frac (digits after
 * the point) and the sign. These convert it when the answer is immediate and
 * return 1; 0 means use the general conversion (which then also applies the
 * type's range and fraction rules). */
static inline int floe_json_short_i64(uint64_t m, unsigned frac, int negative, int64_t *out)
{
    if (frac != 0 || m > (uint64_t)INT64_MAX)
        return 0;
    *out = negative ? -(int64_t)m : (int64_t)m;
    return 1;
}

static inline int floe_json_short_i32(uint64_t m, unsigned frac, int negative, int32_t *out)
{
    if (frac != 0 || m > (uint64_t)INT32_MAX)
        return 0;
    *out = negative ? -(int32_t)m : (int32_t)m;
    return 1;
}

static inline int floe_json_short_f64(uint64_t m, unsigned frac, int negative, double *out)
{
#if FLOE_NUM_FP_FAST
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (m <= ((uint64_t)1 << 53) && frac <= 22) {
        double d = (double)m / p10[frac];
        *out = negative ? -d : d;
        return 1;
    }
#else
    (void)m;
    (void)frac;
    (void)negative;
    (void)out;
#endif
    return 0;
}

#endif
