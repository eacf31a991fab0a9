/* Truncated string bounds for Parquet statistics (see stats.h). */
#include "parquet/stats.h"

size_t floe_stat_prefix(const uint8_t *s, size_t len, size_t max)
{
    size_t n = len;
    if (n <= max)
        return n;
    n = max;
    /* Back off to a character start; on bytes that are not UTF-8 this may
     * leave less, which is still a lower bound. */
    while (n > 0 && (s[n] & 0xC0u) == 0x80u)
        n--;
    return n;
}

/* The code point of the well-formed UTF-8 character s[0..len), or -1. */
static int32_t utf8_char(const uint8_t *s, size_t len)
{
    static const uint32_t least[5] = {0, 0, 0x80u, 0x800u, 0x10000u};
    uint32_t cp;
    size_t want, i;
    if (s[0] < 0x80u)
        want = 1, cp = s[0];
    else if (s[0] >= 0xC2u && s[0] <= 0xDFu)
        want = 2, cp = s[0] & 0x1Fu;
    else if (s[0] >= 0xE0u && s[0] <= 0xEFu)
        want = 3, cp = s[0] & 0x0Fu;
    else if (s[0] >= 0xF0u && s[0] <= 0xF4u)
        want = 4, cp = s[0] & 0x07u;
    else
        return -1;
    if (len != want)
        return -1;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0u) != 0x80u)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < least[len] || cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu))
        return -1;
    return (int32_t)cp;
}

static size_t utf8_put(uint8_t *out, uint32_t cp)
{
    if (cp < 0x80u) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800u) {
        out[0] = (uint8_t)(0xC0u | (cp >> 6));
        out[1] = (uint8_t)(0x80u | (cp & 0x3Fu));
        return 2;
    }
    if (cp < 0x10000u) {
        out[0] = (uint8_t)(0xE0u | (cp >> 12));
        out[1] = (uint8_t)(0x80u | ((cp >> 6) & 0x3Fu));
        out[2] = (uint8_t)(0x80u | (cp & 0x3Fu));
        return 3;
    }
    out[0] = (uint8_t)(0xF0u | (cp >> 18));
    out[1] = (uint8_t)(0x80u | ((cp >> 12) & 0x3Fu));
    out[2] = (uint8_t)(0x80u | ((cp >> 6) & 0x3Fu));
    out[3] = (uint8_t)(0x80u | (cp & 0x3Fu));
    return 4;
}

size_t floe_stat_upper(uint8_t *p, size_t n, size_t max)
{
    while (n > 0) {
        size_t k = n - 1;
        int32_t cp;
        while (k > 0 && n - k < 4u && (p[k] & 0xC0u) == 0x80u)
            k--;
        cp = utf8_char(p + k, n - k);
        if (cp >= 0) {
            /* UTF-8 keeps code point order in byte order and no character
             * is a prefix of another: the next code point sorts after every
             * string that starts with this one. */
            uint32_t next = (uint32_t)cp + 1u;
            uint8_t enc[4];
            size_t elen;
            if (next == 0xD800u)
                next = 0xE000u;
            if (next <= 0x10FFFFu) {
                elen = utf8_put(enc, next);
                if (k + elen <= max) {
                    size_t i;
                    for (i = 0; i < elen; i++)
                        p[k + i] = enc[i];
                    return k + elen;
                }
            }
            n = k; /* U+10FFFF, or no room: increment the character before */
            continue;
        }
        if (p[n - 1] != 0xFFu) {
            p[n - 1]++;
            return n;
        }
        n--;
    }
    return 0;
}
