/* floe: UUIDv7 (RFC 9562), the names of floe's files and objects.
 *
 * 48 bits of Unix milliseconds, then a 12-bit counter (RFC 9562 method 1,
 * seeded at random each millisecond) and 62 random bits: names sort by
 * creation time and thousands of gateways need no coordination to stay
 * unique. The generator never goes backwards, even when the clock does. */
#ifndef FLOE_UUID_H
#define FLOE_UUID_H

#include <stdint.h>
#include "floe/port.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FLOE_UUID_STR_LEN 36 /* without the NUL */

struct floe_uuid7_gen {
    uint64_t last_ms; /* timestamp of the last UUID handed out */
    uint16_t counter; /* its 12-bit counter */
};

/** @brief Starts a generator (all zero is also a valid start). */
void floe_uuid7_init(struct floe_uuid7_gen *g);

/**
 * @brief The next UUIDv7 for wall time @p unix_ms, strictly greater than
 * every one this generator returned before.
 * @return FLOE_OK, FLOE_ERR_INVAL for NULL arguments or a negative time, or
 *         the entropy port's error.
 */
int floe_uuid7_next(struct floe_uuid7_gen *g, int64_t unix_ms,
                    const struct floe_entropy_port *entropy, uint8_t out[16]);

/** @brief Lower-case 8-4-4-4-12 text; out holds FLOE_UUID_STR_LEN + 1 bytes. */
void floe_uuid_format(const uint8_t uuid[16], char *out);

/** @brief Parses 8-4-4-4-12 hex text (either case). FLOE_ERR_MALFORMED if not. */
int floe_uuid_parse(const char *text, uint8_t out[16]);

/** @brief The Unix milliseconds stored in a UUIDv7. */
uint64_t floe_uuid7_ms(const uint8_t uuid[16]);

#ifdef __cplusplus
}
#endif
#endif
