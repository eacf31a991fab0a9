#ifndef FLOE_CRC32C_H
#define FLOE_CRC32C_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/** @brief CRC-32C of data[0..n). floe_crc32c("123456789", 9) == 0xE3069283. */
uint32_t floe_crc32c(const void *data, size_t n);
/** @brief Continues a CRC: crc is the value returned for the bytes so far
 *  (0 to start), so floe_crc32c_update(floe_crc32c(a), b) == crc of a||b. */
uint32_t floe_crc32c_update(uint32_t crc, const void *data, size_t n);
#ifdef __cplusplus
}
#endif
#endif
