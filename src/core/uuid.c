#include "floe/uuid.h"
#include "core/internal.h"

#define UUID7_MAX_MS 0xffffffffffffull /* 48 bits */

void floe_uuid7_init(struct floe_uuid7_gen *g)
{
    g->last_ms = 0;
    g->counter = 0;
}

int floe_uuid7_next(struct floe_uuid7_gen *g, int64_t unix_ms,
                    const struct floe_entropy_port *entropy, uint8_t out[16])
{
    uint8_t rnd[10];
    uint64_t ms;
    uint16_t counter;
    int i;
    FLOE_FAIL_IF(g == NULL || entropy == NULL || entropy->fill == NULL || out == NULL, FLOE_ERR_INVAL);
    FLOE_FAIL_IF(unix_ms < 0 || (uint64_t)unix_ms > UUID7_MAX_MS, FLOE_ERR_INVAL);
    FLOE_TRY(entropy->fill(entropy->ctx, rnd, sizeof rnd));

    ms = (uint64_t)unix_ms;
    if (ms > g->last_ms) {
        /* New millisecond: a random counter start with its top bit clear
         * leaves at least 2048 increments before it can overflow. */
        counter = (uint16_t)(((rnd[0] << 8) | rnd[1]) & 0x7ffu);
    } else {
        /* Same millisecond, or the clock stepped back: continue upward. */
        ms = g->last_ms;
        counter = (uint16_t)(g->counter + 1u);
        if (counter > 0xfffu) {
            /* Counter exhausted: borrow the next millisecond (RFC 9562 6.2). */
            FLOE_FAIL_IF(ms == UUID7_MAX_MS, FLOE_ERR_RANGE);
            ms++;
            counter = (uint16_t)(((rnd[0] << 8) | rnd[1]) & 0x7ffu);
        }
    }
    g->last_ms = ms;
    g->counter = counter;

    for (i = 0; i < 6; i++)
        out[i] = (uint8_t)(ms >> (40 - 8 * i));
    out[6] = (uint8_t)(0x70u | (counter >> 8)); /* version 7 */
    out[7] = (uint8_t)counter;
    out[8] = (uint8_t)(0x80u | (rnd[2] & 0x3fu)); /* variant 10 */
    for (i = 9; i < 16; i++)
        out[i] = rnd[i - 6];
    return FLOE_OK;
}

void floe_uuid_format(const uint8_t uuid[16], char *out)
{
    static const char hex[] = "0123456789abcdef";
    int i, o = 0;
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[uuid[i] >> 4];
        out[o++] = hex[uuid[i] & 15];
    }
    out[o] = '\0';
}

int floe_uuid_parse(const char *text, uint8_t out[16])
{
    int i, pos = 0;
    FLOE_FAIL_IF(text == NULL || out == NULL, FLOE_ERR_INVAL);
    for (i = 0; i < 16; i++) {
        int hi, lo;
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            if (text[pos] != '-')
                return FLOE_ERR_MALFORMED;
            pos++;
        }
        hi = floe_hex_digit(text[pos]);
        lo = hi < 0 ? -1 : floe_hex_digit(text[pos + 1]);
        if (lo < 0)
            return FLOE_ERR_MALFORMED;
        out[i] = (uint8_t)((hi << 4) | lo);
        pos += 2;
    }
    return text[pos] == '\0' ? FLOE_OK : FLOE_ERR_MALFORMED;
}

uint64_t floe_uuid7_ms(const uint8_t uuid[16])
{
    uint64_t ms = 0;
    int i;
    for (i = 0; i < 6; i++)
        ms = (ms << 8) | uuid[i];
    return ms;
}
