/* Helpers shared by the library's modules; not part of the public API. */
#ifndef FLOE_CORE_INTERNAL_H
#define FLOE_CORE_INTERNAL_H

#include "floe/config.h"
#include "floe/error.h"
#include "floe/port.h"
#include "floe_deps.h"
#include <stdarg.h>

/* Return early with the error of a call that failed. */
#define FLOE_TRY(expr)                 \
    do {                               \
        int floe_try_err_ = (expr);    \
        if (floe_try_err_ < 0)         \
            return floe_try_err_;      \
    } while (0)

/* Return err when cond holds: the boundary check of a public function. */
#define FLOE_FAIL_IF(cond, err) \
    do {                        \
        if (cond)               \
            return (err);       \
    } while (0)

#define FLOE_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* count * size, or SIZE_MAX when that does not fit a size_t (a 32-bit
 * target's limits): an arena refuses SIZE_MAX bytes, so a carve fails with
 * FLOE_ERR_NOMEM instead of taking a wrapped, too small size. */
static inline size_t floe_size_mul(size_t count, size_t size)
{
    return size != 0 && count > SIZE_MAX / size ? SIZE_MAX : count * size;
}

/* SHA-256 internals for the tests: the portable block compression, and
 * whether floe_sha256_update() uses CPU instructions instead (SHA-NI, Armv8). */
void floe_sha256_portable_blocks(uint32_t h[8], const uint8_t *p, size_t blocks);
int floe_sha256_accelerated(void);

/* Little-endian stores and loads, independent of the host's byte order. */
/* The value of one hex digit, -1 if c is not one. */
static inline int floe_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static inline void floe_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void floe_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline void floe_put_le64(uint8_t *p, uint64_t v)
{
    floe_put_le32(p, (uint32_t)v);
    floe_put_le32(p + 4, (uint32_t)(v >> 32));
}
static inline uint16_t floe_get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t floe_get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t floe_get_le64(const uint8_t *p)
{
    return (uint64_t)floe_get_le32(p) | ((uint64_t)floe_get_le32(p + 4) << 32);
}

/* Logging through a log port. Formats with floe's own small formatter
 * (%s %.*s %c %d %u %ld %lu %lld %llu %zu %x %llx %%): no stdio in the library.
 * Never pass a secret: the formatter does not know what one is. */
/* Formats into buf (always NUL-terminated when cap > 0); returns the length. */
/* Writes all n bytes to an open file of the fs port. */
int floe_fs_write_all(const struct floe_fs_port *fs, void *file, const void *data, size_t n);

/* Ends a write into tmp that went as far as err says: the file is synced,
 * closed and renamed to final_path, or closed and removed. The caller syncs
 * the directory when the rename must survive a power cut. */
int floe_fs_finish(const struct floe_fs_port *fs, void *file, int err, const char *tmp, const char *final_path);

/* mkdir -p for the folders of path past its first base_len bytes (a folder
 * that exists already); each one's entry is made durable in its parent, or a
 * file renamed into it could vanish with it after a power cut. */
int floe_fs_make_dirs(const struct floe_fs_port *fs, char *path, size_t base_len);

/* Length of the valid UTF-8 sequence at s[0..n) (2..4), or 0 if invalid:
 * overlong forms, UTF-16 surrogates and code points past U+10FFFF are not
 * UTF-8 (RFC 3629). */
size_t floe_utf8_seq(const uint8_t *s, size_t n);

/* How byte c of a string goes into a JSON string: 0 when as it is, else the
 * length of its escape in out. '"' and '\\' take a backslash, control bytes
 * \u00XX; when the string is not UTF-8 (utf8 0), so does every byte from
 * 0x7f up (its latin-1 code point): the text stays valid JSON and the bytes
 * stay recoverable. */
size_t floe_json_escape_byte(unsigned char c, int utf8, char out[6]);

size_t floe_vformat(char *buf, size_t cap, const char *fmt, va_list ap);
size_t floe_format(char *buf, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

void floe_log(const struct floe_log_port *log, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#define FLOE_LOG_AT(log, lvl, ...)                                     \
    do {                                                               \
        if ((lvl) <= FLOE_LOG_LEVEL_MAX && (log) != NULL && (log)->write != NULL && \
            (lvl) <= (log)->level)                                     \
            floe_log((log), (lvl), __VA_ARGS__);                       \
    } while (0)
#define FLOE_LOG_ERROR(log, ...) FLOE_LOG_AT(log, FLOE_LOG_ERROR, __VA_ARGS__)
#define FLOE_LOG_WARN(log, ...) FLOE_LOG_AT(log, FLOE_LOG_WARN, __VA_ARGS__)
#define FLOE_LOG_INFO(log, ...) FLOE_LOG_AT(log, FLOE_LOG_INFO, __VA_ARGS__)
#define FLOE_LOG_DEBUG(log, ...) FLOE_LOG_AT(log, FLOE_LOG_DEBUG, __VA_ARGS__)

/* floe_utc_parse_rfc3339 with a cache of the last YYYY-MM-DDThh:mm prefix it
 * read (zeroed: empty), for a stream of timestamps from the same minute: the
 * same results, the date and time of day read once per minute. */
struct floe_utc_cache {
    char key[16];
    int64_t minute_us;
    int valid;
};
int floe_utc_parse_rfc3339_cached(const char *s, size_t n, struct floe_utc_cache *cache, int64_t *unix_us);

#endif
