/* Bounds for string statistics that are too long to keep whole.
 *
 * Parquet lets min_value/max_value be a bound rather than a value taken from
 * the data (is_min_value_exact / is_max_value_exact = false): a lower bound
 * is a prefix of the smallest value, an upper bound a prefix of the largest
 * with its last character incremented. Both work on UTF-8 characters when
 * the bytes are UTF-8, so that the bounds stay valid strings; on other bytes
 * they work byte by byte. Order is byte-wise (Parquet's for BYTE_ARRAY). */
#ifndef FLOE_PARQUET_STATS_H
#define FLOE_PARQUET_STATS_H

#include <stddef.h>
#include <stdint.h>

/** Length of the lower bound of s[0..len): the longest prefix of at most
 *  @p max bytes that does not end inside a UTF-8 character (len if len <= max). */
size_t floe_stat_prefix(const uint8_t *s, size_t len, size_t max);

/** Makes p[0..n) (n <= max) into the smallest string of at most @p max bytes
 *  found that is greater than every string starting with p[0..n): the last
 *  character that can be incremented is, and what follows it is dropped.
 *  Returns the new length, or 0 when there is no such string (p is empty or
 *  all 0xFF bytes). */
size_t floe_stat_upper(uint8_t *p, size_t n, size_t max);

#endif
