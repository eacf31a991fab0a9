/* floe: UTC calendar arithmetic, formatting and RFC 3339 parsing.
 * Proleptic Gregorian calendar, years 0000..9999, no time zones but offsets,
 * no leap seconds (":60" is rejected rather than silently moved). */
#ifndef FLOE_UTC_H
#define FLOE_UTC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct floe_civil {
    int year, month, day;       /* 1..12, 1..31 */
    int hour, minute, second;   /* 0..23, 0..59, 0..59 */
    int32_t micros;             /* 0..999999 */
};

/** @brief Days since 1970-01-01 of a valid civil date (negative before it). */
int64_t floe_utc_days_from_civil(int year, int month, int day);

/** @brief Civil date and time of @p unix_us microseconds since the epoch. */
void floe_utc_civil(int64_t unix_us, struct floe_civil *out);

/** @brief "YYYY-MM-DDTHH:MM:SS.ffffffZ"; out holds 28 bytes. Returns 27. */
size_t floe_utc_format_iso(int64_t unix_us, char *out);

/** @brief "YYYY-MM-DD"; out holds 11 bytes. Returns 10. */
size_t floe_utc_format_date(int64_t unix_us, char *out);

/** @brief SigV4's basic format "YYYYMMDDTHHMMSSZ"; out holds 17 bytes. */
size_t floe_utc_format_amz(int64_t unix_us, char *out);

/**
 * @brief Parses an RFC 3339 / ISO-8601 timestamp "YYYY-MM-DDTHH:MM:SS[.f+](Z|+HH:MM|-HH:MM)"
 * ('T' may be 't' or a space, 'Z' may be 'z'; any number of fraction digits,
 * kept to the microsecond by truncation) into microseconds since the epoch, UTC.
 * @return FLOE_OK; FLOE_ERR_MALFORMED for bad syntax; FLOE_ERR_RANGE for
 *         fields out of range (month 13, Feb 30, hour 24, second 60) or an
 *         instant an offset moves outside years 0000 to 9999 UTC.
 */
int floe_utc_parse_rfc3339(const char *s, size_t n, int64_t *unix_us);

/** @brief Parses "YYYY-MM-DD" into days since the epoch. */
int floe_utc_parse_date(const char *s, size_t n, int32_t *days);

#ifdef __cplusplus
}
#endif
#endif
