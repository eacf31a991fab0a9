#include "floe/utc.h"
#include "core/internal.h"

#define US_PER_SEC 1000000LL
#define US_PER_DAY (86400LL * US_PER_SEC)
/* The instants RFC 3339's 4-digit years name: 0000-01-01T00:00:00Z to
 * 9999-12-31T23:59:59.999999Z. */
#define UTC_MIN_US (-62167219200LL * US_PER_SEC)
#define UTC_MAX_US (253402300800LL * US_PER_SEC - 1)

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const uint8_t len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Counts days in 400-year eras starting on March 1st, so the leap day is the
 * last day of the shifted year and needs no special case. */
int64_t floe_utc_days_from_civil(int year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2 ? 1 : 0);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t year_of_era = y - era * 400;                               /* 0..399 */
    int64_t shifted_month = month > 2 ? month - 3 : month + 9;         /* Mar=0 */
    int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;     /* 0..365 */
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468; /* 719468: 0000-03-01 to 1970-01-01 */
}

static void civil_from_days(int64_t days, struct floe_civil *c)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t day_of_era = z - era * 146097;
    int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t shifted_month = (5 * day_of_year + 2) / 153;
    c->day = (int)(day_of_year - (153 * shifted_month + 2) / 5 + 1);
    c->month = (int)(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
    c->year = (int)(year_of_era + era * 400 + (c->month <= 2 ? 1 : 0));
}

void floe_utc_civil(int64_t unix_us, struct floe_civil *out)
{
    int64_t days = unix_us / US_PER_DAY;
    int64_t rem = unix_us % US_PER_DAY;
    if (rem < 0) {
        rem += US_PER_DAY;
        days--;
    }
    civil_from_days(days, out);
    out->micros = (int32_t)(rem % US_PER_SEC);
    rem /= US_PER_SEC;
    out->second = (int)(rem % 60);
    out->minute = (int)(rem / 60 % 60);
    out->hour = (int)(rem / 3600);
}

static char *put_digits(char *p, int v, int width)
{
    int i;
    for (i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

size_t floe_utc_format_iso(int64_t unix_us, char *out)
{
    struct floe_civil c;
    char *p = out;
    floe_utc_civil(unix_us, &c);
    p = put_digits(p, c.year, 4);
    *p++ = '-';
    p = put_digits(p, c.month, 2);
    *p++ = '-';
    p = put_digits(p, c.day, 2);
    *p++ = 'T';
    p = put_digits(p, c.hour, 2);
    *p++ = ':';
    p = put_digits(p, c.minute, 2);
    *p++ = ':';
    p = put_digits(p, c.second, 2);
    *p++ = '.';
    p = put_digits(p, (int)c.micros, 6);
    *p++ = 'Z';
    *p = '\0';
    return (size_t)(p - out);
}

size_t floe_utc_format_date(int64_t unix_us, char *out)
{
    struct floe_civil c;
    char *p = out;
    floe_utc_civil(unix_us, &c);
    p = put_digits(p, c.year, 4);
    *p++ = '-';
    p = put_digits(p, c.month, 2);
    *p++ = '-';
    p = put_digits(p, c.day, 2);
    *p = '\0';
    return 10;
}

size_t floe_utc_format_amz(int64_t unix_us, char *out)
{
    struct floe_civil c;
    char *p = out;
    floe_utc_civil(unix_us, &c);
    p = put_digits(p, c.year, 4);
    p = put_digits(p, c.month, 2);
    p = put_digits(p, c.day, 2);
    *p++ = 'T';
    p = put_digits(p, c.hour, 2);
    p = put_digits(p, c.minute, 2);
    p = put_digits(p, c.second, 2);
    *p++ = 'Z';
    *p = '\0';
    return 16;
}

/* Reads exactly width digits at s[*pos]; -1 if any is not a digit. */
static int read_digits(const char *s, size_t n, size_t *pos, int width)
{
    int v = 0, i;
    if (n - *pos < (size_t)width)
        return -1;
    for (i = 0; i < width; i++) {
        char c = s[*pos + (size_t)i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *pos += (size_t)width;
    return v;
}

static int expect_char(const char *s, size_t n, size_t *pos, char c)
{
    if (*pos >= n || s[*pos] != c)
        return 0;
    (*pos)++;
    return 1;
}

static int parse_date_part(const char *s, size_t n, size_t *pos, int *y, int *m, int *d)
{
    *y = read_digits(s, n, pos, 4);
    if (*y < 0 || !expect_char(s, n, pos, '-'))
        return FLOE_ERR_MALFORMED;
    *m = read_digits(s, n, pos, 2);
    if (*m < 0 || !expect_char(s, n, pos, '-'))
        return FLOE_ERR_MALFORMED;
    *d = read_digits(s, n, pos, 2);
    if (*d < 0)
        return FLOE_ERR_MALFORMED;
    if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return FLOE_ERR_RANGE;
    return FLOE_OK;
}

int floe_utc_parse_date(const char *s, size_t n, int32_t *days)
{
    size_t pos = 0;
    int y, m, d;
    FLOE_FAIL_IF(s == NULL || days == NULL, FLOE_ERR_INVAL);
    FLOE_TRY(parse_date_part(s, n, &pos, &y, &m, &d));
    if (pos != n)
        return FLOE_ERR_MALFORMED;
    *days = (int32_t)floe_utc_days_from_civil(y, m, d);
    return FLOE_OK;
}

/* Two digits at s[0..2), or -1: for the fixed layout below. */
static int two_digits(const char *s)
{
    unsigned a = (unsigned)(unsigned char)s[0] - '0', b = (unsigned)(unsigned char)s[1] - '0';
    return a <= 9u && b <= 9u ? (int)(a * 10u + b) : -1;
}

static int same16(const char *a, const char *b)
{
    uint64_t a0, a1, b0, b1;
    floe_memcpy(&a0, a, 8);
    floe_memcpy(&a1, a + 8, 8);
    floe_memcpy(&b0, b, 8);
    floe_memcpy(&b1, b + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

int floe_utc_parse_rfc3339_cached(const char *s, size_t n, struct floe_utc_cache *cache, int64_t *unix_us)
{
    size_t pos = 0;
    int y = 0, mo = 0, d = 0, h, mi, sec, digits = 0, cached = 0;
    int64_t frac_us = 0, offset_min = 0, minute_us;
    int y1 = -1, y2 = -1;
    FLOE_FAIL_IF(s == NULL || unix_us == NULL, FLOE_ERR_INVAL);
    /* The usual layout, YYYY-MM-DDThh:mm:ss, read at fixed places; anything
     * else (a bad digit or separator) takes the general path, which gives
     * the same answer field by field. */
    if (n >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') &&
        s[13] == ':' && s[16] == ':') {
        if (cache != NULL && cache->valid && same16(s, cache->key) && (sec = two_digits(s + 17)) >= 0) {
            /* The minute read before (it parsed, so its fields are in range). */
            int ms = n == 24 && s[19] == '.' && (s[23] == 'Z' || s[23] == 'z') ? two_digits(s + 20) : -1;
            if (ms >= 0 && (unsigned)(unsigned char)s[22] - '0' <= 9u && sec <= 59) {
                /* ...and the usual milliseconds and Z: what the tail below
                 * computes for them, without its loops. */
                *unix_us = cache->minute_us + (int64_t)sec * US_PER_SEC + (int64_t)(ms * 10 + (s[22] - '0')) * 1000;
                return FLOE_OK;
            }
            cached = 1;
            h = 0;
            mi = 0;
            pos = 19;
            goto tail;
        }
        y1 = two_digits(s);
        y2 = two_digits(s + 2);
        mo = two_digits(s + 5);
        d = two_digits(s + 8);
        h = two_digits(s + 11);
        mi = two_digits(s + 14);
        sec = two_digits(s + 17);
        if ((mo | d | h | mi | sec) < 0)
            y1 = -1;
    }
    if ((y1 | y2) >= 0) {
        y = y1 * 100 + y2;
        if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
            return FLOE_ERR_RANGE;
        pos = 19;
    } else {
        FLOE_TRY(parse_date_part(s, n, &pos, &y, &mo, &d));
        if (pos >= n || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' '))
            return FLOE_ERR_MALFORMED;
        pos++;
        h = read_digits(s, n, &pos, 2);
        if (h < 0 || !expect_char(s, n, &pos, ':'))
            return FLOE_ERR_MALFORMED;
        mi = read_digits(s, n, &pos, 2);
        if (mi < 0 || !expect_char(s, n, &pos, ':'))
            return FLOE_ERR_MALFORMED;
        sec = read_digits(s, n, &pos, 2);
        if (sec < 0)
            return FLOE_ERR_MALFORMED;
    }
tail:
    if (expect_char(s, n, &pos, '.')) {
        while (pos < n && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 6)
                frac_us = frac_us * 10 + (s[pos] - '0');
            digits++;
            pos++;
        }
        if (digits == 0) /* RFC 3339 allows any number; the line length bounds them */
            return FLOE_ERR_MALFORMED;
        if (digits > 6)
            digits = 6;
        for (; digits < 6; digits++)
            frac_us *= 10;
    }
    if (pos >= n)
        return FLOE_ERR_MALFORMED;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        pos++;
    } else if (s[pos] == '+' || s[pos] == '-') {
        int sign = s[pos] == '-' ? -1 : 1, oh, om;
        pos++;
        oh = read_digits(s, n, &pos, 2);
        if (oh < 0 || !expect_char(s, n, &pos, ':'))
            return FLOE_ERR_MALFORMED;
        om = read_digits(s, n, &pos, 2);
        if (om < 0)
            return FLOE_ERR_MALFORMED;
        if (oh > 23 || om > 59)
            return FLOE_ERR_RANGE;
        offset_min = sign * (oh * 60 + om);
    } else {
        return FLOE_ERR_MALFORMED;
    }
    if (pos != n)
        return FLOE_ERR_MALFORMED;
    if (h > 23 || mi > 59 || sec > 59)
        return FLOE_ERR_RANGE;
    if (cached) {
        minute_us = cache->minute_us;
    } else {
        minute_us = floe_utc_days_from_civil(y, mo, d) * US_PER_DAY + ((int64_t)h * 3600 + mi * 60) * US_PER_SEC;
        if (cache != NULL && (y1 | y2) >= 0) { /* the fixed layout: s[0..16) is the minute */
            floe_memcpy(cache->key, s, 16);
            cache->minute_us = minute_us;
            cache->valid = 1;
        }
    }
    minute_us += ((int64_t)sec - offset_min * 60) * US_PER_SEC + frac_us;
    /* An offset can carry the fields past the years the format has: such an
     * instant has no 4-digit year to name its partition or to print it. */
    if (minute_us < UTC_MIN_US || minute_us > UTC_MAX_US)
        return FLOE_ERR_RANGE;
    *unix_us = minute_us;
    return FLOE_OK;
}

int floe_utc_parse_rfc3339(const char *s, size_t n, int64_t *unix_us)
{
    return floe_utc_parse_rfc3339_cached(s, n, NULL, unix_us);
}
