#ifndef FLOE_SHA256_H
#define FLOE_SHA256_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
#define FLOE_SHA256_LEN 32

struct floe_sha256 {
    uint32_t h[8];
    uint64_t total;
    uint32_t used;
    uint8_t buf[64];
};

void floe_sha256_init(struct floe_sha256 *s);
void floe_sha256_update(struct floe_sha256 *s, const void *data, size_t n);
/** @brief Writes the digest and wipes the state. */
void floe_sha256_final(struct floe_sha256 *s, uint8_t out[FLOE_SHA256_LEN]);
void floe_sha256(const void *data, size_t n, uint8_t out[FLOE_SHA256_LEN]);
/** @brief HMAC-SHA256 (RFC 2104); wipes its key material from the stack. */
void floe_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                      uint8_t out[FLOE_SHA256_LEN]);
/** @brief Lower-case hex of in[0..n) into out (2n+1 bytes, NUL-terminated). */
void floe_hex(const uint8_t *in, size_t n, char *out);
#ifdef __cplusplus
}
#endif
#endif
