/* Small encoders S3 request headers need: base64 (RFC 4648) for
 * x-amz-checksum-crc32c and Content-MD5 style values. */
#include "floe/sigv4.h"
#include "core/internal.h"

#include <limits.h>

int floe_s3_base64_encode(const void *in, size_t n, char *out, size_t cap)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *p = (const uint8_t *)in;
    size_t need, i, o = 0;

    FLOE_FAIL_IF((in == NULL && n > 0) || (out == NULL && cap > 0), FLOE_ERR_INVAL);
    FLOE_FAIL_IF(n / 3 >= ((size_t)INT_MAX - 4) / 4, FLOE_ERR_LIMIT);
    need = (n + 2) / 3 * 4;
    if (need >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return FLOE_ERR_NOMEM;
    }
    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return (int)o;
}

void floe_s3_checksum_crc32c_b64(uint32_t crc, char out[9])
{
    uint8_t be[4];
    be[0] = (uint8_t)(crc >> 24);
    be[1] = (uint8_t)(crc >> 16);
    be[2] = (uint8_t)(crc >> 8);
    be[3] = (uint8_t)crc;
    (void)floe_s3_base64_encode(be, sizeof be, out, 9);
}
