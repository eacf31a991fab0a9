/* floe: platform ports.
 *
 * Everything platform-specific reaches the library through these structs of
 * function pointers, one per concern, each with its own context pointer. The
 * library never calls the OS directly. port/posix implements them for Linux;
 * port/test wraps any port to fail or shorten chosen calls.
 *
 * Conventions: calls return >= 0 on success (a byte count where it says so)
 * or a negative floe_err. A port maps its platform errors onto floe_err:
 * no space -> FLOE_ERR_NOSPC, missing file -> FLOE_ERR_NOENT, timeout ->
 * FLOE_ERR_TIMEOUT, anything else -> FLOE_ERR_IO / FLOE_ERR_NET. */
#ifndef FLOE_PORT_H
#define FLOE_PORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A signed byte count or a negative floe_err. */
typedef ptrdiff_t floe_ssize_t;

/* ---- file system ------------------------------------------------------- */

/** Open flags. Exactly one of READ or WRITE; WRITE creates the file. */
enum floe_fs_open_flags {
    FLOE_FS_READ = 1,
    FLOE_FS_WRITE = 2,     /* create if missing, write from the start */
    FLOE_FS_TRUNC = 4,     /* with WRITE: discard old contents */
    FLOE_FS_APPEND = 8,    /* with WRITE: writes go to the end */
    FLOE_FS_EXCL = 16      /* with WRITE: fail with FLOE_ERR_EXIST if present */
};

/** Called once per directory entry (not "." or ".."); non-zero stops the walk
 *  and is returned by list(). */
typedef int (*floe_fs_list_cb)(void *arg, const char *name, int is_dir);

struct floe_fs_port {
    void *ctx;
    /** Bytes of one open-file object; the library allocates them from its arena. */
    size_t file_size;
    int (*open)(void *ctx, void *file, const char *path, int flags);
    /** Reads up to n bytes at offset; returns the count, 0 at end of file. */
    floe_ssize_t (*read)(void *ctx, void *file, uint64_t offset, void *buf, size_t n);
    /** Appends/writes at the current position; returns the count written
     *  (may be short), FLOE_ERR_NOSPC when storage is full. */
    floe_ssize_t (*write)(void *ctx, void *file, const void *buf, size_t n);
    /** Makes the file's data durable (fsync). */
    int (*sync)(void *ctx, void *file);
    int (*close)(void *ctx, void *file);
    /** Atomically replaces to with from (POSIX rename semantics). */
    int (*rename)(void *ctx, const char *from, const char *to);
    int (*remove)(void *ctx, const char *path);
    /** Creates a directory; FLOE_OK if it already exists. */
    int (*mkdir)(void *ctx, const char *path);
    /** Makes a directory's entries (creates, renames, removes) durable. */
    int (*sync_dir)(void *ctx, const char *path);
    int (*list)(void *ctx, const char *dir, floe_fs_list_cb cb, void *arg);
    /** Size of a file in bytes. */
    int (*stat_size)(void *ctx, const char *path, uint64_t *size);
    /** Bytes available to an unprivileged writer on the file system of path. */
    int (*free_space)(void *ctx, const char *path, uint64_t *bytes);
};

/* ---- network ----------------------------------------------------------- */

struct floe_net_port {
    void *ctx;
    /** Bytes of one socket object; the library allocates them from its arena. */
    size_t sock_size;
    /** Resolves host and connects; FLOE_ERR_TIMEOUT after timeout_ms. */
    int (*connect)(void *ctx, void *sock, const char *host, uint16_t port, uint32_t timeout_ms);
    /** Sends up to n bytes, waiting at most timeout_ms; returns the count,
     *  0 when nothing could be sent in time (would block), negative on error. */
    floe_ssize_t (*send)(void *ctx, void *sock, const void *buf, size_t n, uint32_t timeout_ms);
    /** Receives up to n bytes, waiting at most timeout_ms; returns the count,
     *  0 when nothing arrived in time (would block), FLOE_ERR_NET when the
     *  peer closed or reset the connection. */
    floe_ssize_t (*recv)(void *ctx, void *sock, void *buf, size_t n, uint32_t timeout_ms);
    int (*close)(void *ctx, void *sock);
};

/* ---- clock ------------------------------------------------------------- */

struct floe_clock_port {
    void *ctx;
    /** Milliseconds from an arbitrary start; never goes backwards. */
    uint64_t (*monotonic_ms)(void *ctx);
    /** Wall-clock UTC time in milliseconds since 1970-01-01 (for object
     *  names, partitions and SigV4 dates). */
    int64_t (*utc_ms)(void *ctx);
};

/* ---- entropy ----------------------------------------------------------- */

struct floe_entropy_port {
    void *ctx;
    /** Fills buf with n unpredictable bytes; FLOE_OK or a negative error. */
    int (*fill)(void *ctx, void *buf, size_t n);
};

/* ---- log --------------------------------------------------------------- */

enum floe_log_level {
    FLOE_LOG_NONE = 0,
    FLOE_LOG_ERROR = 1,
    FLOE_LOG_WARN = 2,
    FLOE_LOG_INFO = 3,
    FLOE_LOG_DEBUG = 4
};

struct floe_log_port {
    void *ctx;
    /** Receives one formatted line (no newline). NULL: logging off. */
    void (*write)(void *ctx, int level, const char *line);
    /** Lines above this level are not formatted at all. Zero: silent. */
    int level;
};

/** The name of a level: "error", "warn", "info", "debug". */
const char *floe_log_level_name(int level);

/** All ports together, as modules and the agent take them. */
struct floe_ports {
    const struct floe_fs_port *fs;
    const struct floe_net_port *net;
    const struct floe_clock_port *clock;
    const struct floe_entropy_port *entropy;
    const struct floe_log_port *log;
};

#ifdef __cplusplus
}
#endif
#endif
