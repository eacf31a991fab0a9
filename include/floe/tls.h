/* floe: TLS client (mbedTLS 3.6) over any byte transport.
 *
 *     struct floe_tls tls;
 *     size_t need = floe_tls_size(&cfg);          arena must have this free
 *     floe_tls_setup(&tls, &cfg, &arena);         CA bundle parsed, mbedTLS ready
 *     floe_tls_connect(&tls, &tcp, "bucket.s3.eu-west-1.amazonaws.com", 10000);
 *     floe_tls_send(&tls, req, len, 5000); floe_tls_recv(&tls, buf, cap, 5000);
 *     floe_tls_close(&tls);                       close_notify; TCP stays open
 *     ...connect again (the last session is resumed), ...
 *     floe_tls_free(&tls);
 *
 * send/recv/close have the shape of a stream (ctx = the struct floe_tls *), so
 * an HTTP layer can wrap them with three assignments; the transport under TLS
 * (plain TCP) is given in the same shape.
 *
 * Memory. Setup takes floe_tls_size(cfg) bytes from the arena: a small state,
 * the mbedTLS heap slice (cfg.heap_bytes) and, only while setup runs, a PEM
 * window (FLOE_TLS_PEM_MAX) that it gives back before returning. Every mbedTLS
 * and PSA allocation comes from the slice (MBEDTLS_MEMORY_BUFFER_ALLOC_C): the
 * 16 KiB + 16 KiB record buffers (about 37 KB with PSA and one CA right
 * after setup; build with -DFLOE_TLS_OUT_RECORD_BYTES=4096 to save 12 KB at
 * some CPU per uploaded byte), the parsed CA certificates, the handshake and
 * the saved session. Peaks measured by tests/integration/tls_test.sh on
 * x86-64: a TLS 1.2 or 1.3 handshake plus data, records of any size, one CA:
 * ~48 KB; with a client certificate (mTLS): ~52 KB (with 4 KiB out records
 * they were ~35 and ~40 KB, and ~33 / ~36 KB on armhf). Each parsed CA certificate
 * adds ~2.3 bytes per byte of its PEM on x86-64 (~3.4 KB for an RSA root,
 * allocator headers included); Debian's whole bundle (145 roots, 220 KB of
 * PEM) plus a handshake peaks at ~533 / ~391 KB. Defaults when heap_bytes
 * is 0: FLOE_TLS_HEAP_DEFAULT + FLOE_TLS_HEAP_PER_CA_PEM_BYTE * ca_pem_len
 * (64 KiB + ~20 KiB for Amazon's five roots), or FLOE_TLS_HEAP_CA_FILE_DEFAULT
 * when a CA file is read. floe_tls_stats() reports the slice's high-water
 * mark; to trim the slice, set heap_bytes to that plus 8 KiB (failures with
 * less than 4 KiB of the slice left are reported as FLOE_ERR_NOMEM, since
 * mbedTLS turns many failed allocations into other errors). Firmware that
 * talks to S3 only should embed just Amazon's roots (ca_pem).
 *
 * One per process. mbedTLS's buffer allocator and PSA's key store and RNG are
 * process-wide singletons (no MBEDTLS_THREADING_C), so only one floe_tls may
 * be set up at a time, used from one thread (floe's uploader); a second setup
 * returns FLOE_ERR_STATE until the first is freed. The entropy glue
 * (mbedtls_hardware_poll, defined by floe) reads the entropy port of that one
 * context through a static pointer.
 *
 * Trust. Verification is on by default: the chain must end at a CA of the
 * bundle, the certificate must be valid now (the wall clock matters: a device
 * with no RTC must set its clock first) and must name the host (SAN/CN); SNI
 * carries the host name. FLOE_TLS_NO_VERIFY turns verification off for tests;
 * it is logged at warn level at setup and on every connection. */
#ifndef FLOE_TLS_H
#define FLOE_TLS_H

#include <stddef.h>
#include <stdint.h>
#include "floe/arena.h"
#include "floe/port.h"

#ifdef __cplusplus
extern "C" {
#endif

/** mbedTLS heap slice when heap_bytes is 0 and no CA file is loaded ... */
#define FLOE_TLS_HEAP_DEFAULT (64u * 1024u)
/** ... plus this many bytes per byte of ca_pem (rounded up to 4 KiB). */
#define FLOE_TLS_HEAP_PER_CA_PEM_BYTE 3u
/** Slice when heap_bytes is 0 and a CA file is read: Debian's full bundle
 *  and a handshake (~535 KB on x86-64) with room for the bundle to grow. */
#define FLOE_TLS_HEAP_CA_FILE_DEFAULT (640u * 1024u)
/** Smallest heap_bytes accepted. */
#define FLOE_TLS_HEAP_MIN (16u * 1024u)
/** The CA file read when neither ca_pem nor ca_file is given (needs cfg.fs). */
#define FLOE_TLS_DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
/** Longest single PEM block (one certificate, or the client key) accepted. */
#define FLOE_TLS_PEM_MAX 8192u
/** Bytes of the reason string, NUL included. */
#define FLOE_TLS_ERROR_MAX 160u
/** Longest host name (DNS limit). */
#define FLOE_TLS_HOST_MAX 253u

enum floe_tls_flags {
    /** INSECURE: accept any server certificate and host name. Logged at warn
     *  level at setup and on every connection, with what would have failed. */
    FLOE_TLS_NO_VERIFY = 1u,
    /** Never resume: every connection does a full handshake. */
    FLOE_TLS_NO_RESUME = 2u
};

enum floe_tls_version {
    FLOE_TLS_VERSION_DEFAULT = 0, /* min 1.2, max 1.3 */
    FLOE_TLS_1_2 = 12,
    FLOE_TLS_1_3 = 13
};

/** The byte transport under TLS (a connected TCP socket). Same contract as
 *  floe_net_port send/recv: a count, 0 when nothing moved within timeout_ms,
 *  negative floe_err on failure (FLOE_ERR_NET when the peer closed). */
struct floe_tls_transport {
    void *ctx;
    floe_ssize_t (*send)(void *ctx, const void *buf, size_t n, uint32_t timeout_ms);
    floe_ssize_t (*recv)(void *ctx, void *buf, size_t n, uint32_t timeout_ms);
};

struct floe_tls_config {
    /* Trust anchors: ca_pem (a PEM bundle of any number of certificates, or
     * one DER certificate; need not be NUL-terminated) and/or ca_file (a PEM
     * bundle read through fs). Neither given: FLOE_TLS_DEFAULT_CA_FILE when fs
     * is set. Certificates that fail to parse are skipped and counted (warn);
     * none usable is FLOE_ERR_CERT. Not needed with FLOE_TLS_NO_VERIFY. */
    const void *ca_pem;
    size_t ca_pem_len;
    const char *ca_file;

    /* Client identity for mutual TLS, optional: a certificate (chain, PEM or
     * DER) and its unencrypted private key, each from memory or from a file. */
    const void *client_cert_pem;
    size_t client_cert_len;
    const char *client_cert_file;
    const void *client_key_pem;
    size_t client_key_len;
    const char *client_key_file;

    uint32_t flags;          /* enum floe_tls_flags */
    uint8_t min_version;     /* enum floe_tls_version; 0: TLS 1.2 */
    uint8_t max_version;     /* enum floe_tls_version; 0: TLS 1.3 */
    size_t heap_bytes;       /* mbedTLS heap slice; 0: see FLOE_TLS_HEAP_DEFAULT */
    uint32_t close_timeout_ms; /* budget for close_notify; 0: 1000 */

    const struct floe_fs_port *fs;           /* for the *_file options */
    const struct floe_clock_port *clock;     /* required: deadlines */
    const struct floe_entropy_port *entropy; /* required: seeds the RNG */
    const struct floe_log_port *log;         /* optional */
};

struct floe_tls_stats {
    size_t heap_bytes;     /* the slice given to mbedTLS */
    size_t heap_peak;      /* high-water mark: bytes of the slice ever touched by
                              the allocator (blocks and headers, fragmentation
                              included); a slice of heap_peak + a few bytes
                              would have served the same run */
    size_t heap_max_used;  /* mbedTLS's own peak of live bytes; 0 unless built
                              with MBEDTLS_MEMORY_DEBUG=1 */
    uint32_t ca_loaded;    /* CA certificates in the trust chain */
    uint32_t ca_skipped;   /* CA certificates that failed to parse */
    uint32_t handshakes;   /* completed handshakes */
    uint32_t resumed;      /* ... of which resumed a saved session */
    uint8_t version;       /* enum floe_tls_version of the current/last connection */
    uint8_t last_resumed;  /* the current/last handshake was resumed */
    const char *ciphersuite; /* IANA name, or "" */
};

struct floe_tls_state;

struct floe_tls {
    struct floe_tls_state *st;
    char error[FLOE_TLS_ERROR_MAX]; /* see floe_tls_last_error() */
};

/** @brief Arena bytes floe_tls_setup() needs for cfg (0 for a bad cfg). */
size_t floe_tls_size(const struct floe_tls_config *cfg);

/**
 * @brief Carves the state and the mbedTLS heap slice from arena, starts the
 * allocator and PSA, loads the CA bundle and the client identity, and
 * prepares a client configuration. cfg (and the buffers it points to) may go
 * away after the call; the ports must outlive tls.
 * @return FLOE_OK; FLOE_ERR_INVAL (bad cfg); FLOE_ERR_NOMEM (arena or slice
 *         short); FLOE_ERR_STATE (another floe_tls is set up); FLOE_ERR_CERT
 *         (no usable CA, bad client certificate/key); fs port errors for the
 *         files; FLOE_ERR_IO (entropy port). floe_tls_last_error() says why.
 */
int floe_tls_setup(struct floe_tls *tls, const struct floe_tls_config *cfg, struct floe_arena *arena);

/**
 * @brief Runs the handshake with host_name (SNI and certificate name check)
 * over transport, within timeout_ms. The transport struct is copied; its ctx
 * must stay valid until floe_tls_close(). A session saved from an earlier
 * connection to the same host name is offered for resumption.
 * @return FLOE_OK; FLOE_ERR_CERT (certificate or host name not trusted, or the
 *         server refused the client certificate); FLOE_ERR_TLS (other TLS
 *         failures, e.g. no common version or cipher); FLOE_ERR_TIMEOUT;
 *         FLOE_ERR_NOMEM (heap slice exhausted); transport errors unchanged;
 *         FLOE_ERR_STATE (already connected). floe_tls_last_error() says why.
 */
int floe_tls_connect(struct floe_tls *tls, const struct floe_tls_transport *transport,
                     const char *host_name, uint32_t timeout_ms);

/**
 * @brief Encrypts and sends up to n bytes (at most one record, 4 KiB), waiting
 * at most timeout_ms. ctx is the struct floe_tls *.
 * @return the count taken (a record that could not be flushed in time stays
 *         queued and is flushed first by the next send/recv/close); 0 when
 *         nothing was taken in time; a negative floe_err (as for connect).
 */
floe_ssize_t floe_tls_send(void *ctx, const void *buf, size_t n, uint32_t timeout_ms);

/**
 * @brief Receives up to n decrypted bytes, waiting at most timeout_ms.
 * @return the count; 0 when nothing arrived in time; FLOE_ERR_NET when the
 *         peer closed (close_notify or TCP close); other negative floe_err.
 */
floe_ssize_t floe_tls_recv(void *ctx, void *buf, size_t n, uint32_t timeout_ms);

/** @brief The most plaintext one record carries on this connection (16383
 *  bytes in TLS 1.3 with a 16 KiB record, 16384 in TLS 1.2); 0 when not
 *  connected. A floe_stream's write_unit. */
size_t floe_tls_write_unit(void *ctx);

/**
 * @brief Sends close_notify (within cfg.close_timeout_ms) and forgets the
 * connection; the session stays saved for resumption. Does not close the
 * transport: its owner does that after this call. Safe to call twice.
 * @return FLOE_OK, or the error of flushing/close_notify (the connection is
 *         forgotten either way).
 */
int floe_tls_close(void *ctx);

/** @brief Why the last failing call failed, in plain English, e.g.
 *  "certificate not trusted (unknown CA)", "certificate expired", "host name
 *  mismatch", "peer does not support TLS 1.2+". Cleared ("") by setup and
 *  connect and by send/recv/close on a healthy connection. Never NULL. */
const char *floe_tls_last_error(const struct floe_tls *tls);

/** @brief Counters and the heap high-water mark (computed on the call). */
void floe_tls_stats(const struct floe_tls *tls, struct floe_tls_stats *out);

/** @brief Drops the saved session: the next connect does a full handshake. */
void floe_tls_forget_session(struct floe_tls *tls);

/** @brief Frees everything mbedTLS holds, stops PSA and the allocator, and
 *  releases the process-wide slot. The arena memory is the caller's again.
 *  Safe on a zeroed or already freed struct. */
void floe_tls_free(struct floe_tls *tls);

#ifdef __cplusplus
}
#endif
#endif
