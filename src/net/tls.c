/* TLS client on mbedTLS 3.6 (configured by floe_mbedtls_config.h): see
 * include/floe/tls.h for the contract.
 *
 * mbedTLS's heap is a slice of the caller's arena given to the buffer
 * allocator before anything else runs (psa_crypto_init included). The slice
 * is painted after the allocator starts, so its high-water mark can be read
 * back without MBEDTLS_MEMORY_DEBUG: calloc zeroes every block it hands out
 * and splitting writes a header, so the last byte that no longer holds the
 * paint bounds everything the allocator ever used.
 *
 * Entropy: the config has MBEDTLS_ENTROPY_HARDWARE_ALT, so the entropy module
 * (and PSA's RNG on top of it) polls mbedtls_hardware_poll(), defined here on
 * floe's entropy port. It lives in this object because this is the object
 * that calls into mbedTLS: whenever anything pulls mbedTLS's entropy code into
 * a link, this object is already in it, ahead of the mbedTLS archives. The
 * port is reached through a static pointer set by floe_tls_setup(), which is
 * fine because the allocator and PSA are process-wide singletons anyway (one
 * floe_tls per process). An integrator who brings their own
 * mbedtls_hardware_poll defines FLOE_TLS_NO_HARDWARE_POLL.
 *
 * Randomness for TLS comes from PSA's RNG (mbedtls_psa_get_random): one
 * CTR_DRBG seeded from the entropy module, shared with PSA, instead of a
 * second DRBG and entropy context of our own.
 *
 * Writes: mbedtls_ssl_write() copies data into a record before it flushes; if
 * the flush cannot finish in time the record stays queued (out_pending) and
 * the count is reported as taken. Any later call flushes it first, by calling
 * mbedtls_ssl_write() again, which with output pending only flushes. */
#include "floe/config.h"

#ifndef FLOE_NO_TLS

#include <limits.h>
#include "floe/tls.h"
#include "core/internal.h"

#include "mbedtls/memory_buffer_alloc.h"
#include "mbedtls/entropy.h"
#include "mbedtls/pk.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/psa_util.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "psa/crypto.h"

#define PAINT 0xA5u
#define PAINT_FROM 256u /* past the allocator's first header on any target */
#define DEFAULT_CLOSE_TIMEOUT_MS 1000u
#define HEAP_FULL_MARGIN 4096u
/* Returned to mbedTLS from the bio when the transport failed; the transport's
 * own error (st->io_err) is what floe returns. */
#define BIO_TRANSPORT_FAILED (-0x004C)

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

struct floe_tls_state {
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt own_cert;
    mbedtls_pk_context own_key;
    mbedtls_ssl_session session; /* the last session, for resumption */
    struct floe_tls_transport tr;
    const struct floe_clock_port *clock;
    const struct floe_log_port *log;
    uint8_t *heap;
    size_t heap_len;
    uint64_t deadline;
    uint32_t flags;
    uint32_t close_timeout_ms;
    int io_err;          /* the transport error behind the last bio failure */
    int broken;          /* fatal error of the current connection, or 0 */
    uint32_t verify_calls; /* certificates verified in this handshake */
    uint32_t ca_loaded, ca_skipped;
    uint32_t handshakes, resumed;
    uint8_t min_version, max_version;
    uint8_t connected, out_pending, have_session, last_resumed, version;
    const char *suite;
    char host[FLOE_TLS_HOST_MAX + 1];
    char session_host[FLOE_TLS_HOST_MAX + 1];
};

/* The one set-up context (the allocator and PSA are process-wide). */
static struct floe_tls_state *tls_owner;
static const struct floe_entropy_port *tls_entropy;
static int tls_entropy_failed;

#ifndef FLOE_TLS_NO_HARDWARE_POLL
/* Declared in mbedTLS's private library/entropy_poll.h. */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen);

int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
    const struct floe_entropy_port *e = tls_entropy;
    (void)data;
    *olen = 0;
    if (e == NULL || e->fill == NULL || e->fill(e->ctx, output, len) != FLOE_OK) {
        tls_entropy_failed = 1;
        return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    }
    *olen = len;
    return 0;
}
#endif

/* ---- errors ------------------------------------------------------------- */

static void set_error(struct floe_tls *tls, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void set_error(struct floe_tls *tls, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    floe_vformat(tls->error, sizeof tls->error, fmt, ap);
    va_end(ap);
}

/* mbedTLS codes are a high-level part (0x1000..0x7F80) plus a low-level one. */
static int is_alloc_error(int ret)
{
    unsigned v, high, low;
    if (ret == PSA_ERROR_INSUFFICIENT_MEMORY)
        return 1;
    if (ret >= 0)
        return 0;
    v = (unsigned)-ret;
    high = v & 0xFF80u;
    low = v & 0x007Fu;
    return high == 0x7F00u /* SSL */ || high == 0x2880u /* X509 */ || high == 0x1180u /* PEM */ ||
           high == 0x3F80u /* PK */ || high == 0x4D80u /* ECP */ || high == 0x6180u /* CIPHER */ ||
           high == 0x5180u /* MD */ || low == 0x0010u /* MPI */ || low == 0x006Au /* ASN1 */;
}

static unsigned hex_code(int ret)
{
    return ret < 0 ? (unsigned)-ret : (unsigned)ret;
}

/* Appends "; what" (or "what" first) to out. */
static void add_reason(char *out, size_t cap, const char *what)
{
    size_t n = floe_strlen(out);
    floe_format(out + n, cap - n, "%s%s", n > 0 ? "; " : "", what);
}

static void describe_flags(char *out, size_t cap, uint32_t flags)
{
    out[0] = '\0';
    if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        add_reason(out, cap, "certificate not trusted (unknown CA)");
    if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
        add_reason(out, cap, "certificate expired");
    if (flags & MBEDTLS_X509_BADCERT_FUTURE)
        add_reason(out, cap, "certificate not yet valid (is the clock set?)");
    if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
        add_reason(out, cap, "host name mismatch");
    if (flags & MBEDTLS_X509_BADCERT_MISSING)
        add_reason(out, cap, "server sent no certificate");
    if (flags & MBEDTLS_X509_BADCERT_REVOKED)
        add_reason(out, cap, "certificate revoked");
    if (flags & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
                 MBEDTLS_X509_BADCERT_NS_CERT_TYPE))
        add_reason(out, cap, "certificate not valid for a TLS server (key usage)");
    if (flags & (MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK | MBEDTLS_X509_BADCERT_BAD_KEY))
        add_reason(out, cap, "certificate uses a weak or unsupported algorithm or key");
    if (out[0] == '\0')
        add_reason(out, cap, "certificate rejected");
}

/* The alert a peer sent, after MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE: the record
 * is still in the input buffer. mbedTLS 3.6 has no getter for it, so this reads
 * private fields (the pinned version is built with this file; recheck them on
 * an mbedTLS upgrade). -1 when unknown. */
static int received_alert(const mbedtls_ssl_context *ssl)
{
    if (ssl->MBEDTLS_PRIVATE(in_msgtype) != MBEDTLS_SSL_MSG_ALERT || ssl->MBEDTLS_PRIVATE(in_msg) == NULL ||
        ssl->MBEDTLS_PRIVATE(in_msglen) < 2)
        return -1;
    return ssl->MBEDTLS_PRIVATE(in_msg)[1];
}

static const char *alert_name(int alert)
{
    switch (alert) {
    case MBEDTLS_SSL_ALERT_MSG_UNEXPECTED_MESSAGE: return "unexpected_message";
    case MBEDTLS_SSL_ALERT_MSG_BAD_RECORD_MAC: return "bad_record_mac";
    case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE: return "handshake_failure";
    case MBEDTLS_SSL_ALERT_MSG_BAD_CERT: return "bad_certificate";
    case MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT: return "unsupported_certificate";
    case MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED: return "certificate_revoked";
    case MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED: return "certificate_expired";
    case MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN: return "certificate_unknown";
    case MBEDTLS_SSL_ALERT_MSG_ILLEGAL_PARAMETER: return "illegal_parameter";
    case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA: return "unknown_ca";
    case MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED: return "access_denied";
    case MBEDTLS_SSL_ALERT_MSG_DECODE_ERROR: return "decode_error";
    case MBEDTLS_SSL_ALERT_MSG_DECRYPT_ERROR: return "decrypt_error";
    case MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION: return "protocol_version";
    case MBEDTLS_SSL_ALERT_MSG_INSUFFICIENT_SECURITY: return "insufficient_security";
    case MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR: return "internal_error";
    case MBEDTLS_SSL_ALERT_MSG_MISSING_EXTENSION: return "missing_extension";
    case MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_EXT: return "unsupported_extension";
    case MBEDTLS_SSL_ALERT_MSG_UNRECOGNIZED_NAME: return "unrecognized_name";
    case MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED: return "certificate_required";
    case MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL: return "no_application_protocol";
    default: return "alert";
    }
}

static const char *min_version_text(const struct floe_tls_state *st)
{
    return st->min_version == FLOE_TLS_1_3 ? "peer does not support TLS 1.3" : "peer does not support TLS 1.2+";
}

static int map_alert(struct floe_tls *tls, const char *op, int alert)
{
    struct floe_tls_state *st = tls->st;
    switch (alert) {
    case MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION:
        set_error(tls, "%s (alert protocol_version)", min_version_text(st));
        return FLOE_ERR_TLS;
    case MBEDTLS_SSL_ALERT_MSG_CERT_REQUIRED:
        set_error(tls, "server requires a client certificate%s (alert certificate_required)",
                  mbedtls_pk_get_type(&st->own_key) == MBEDTLS_PK_NONE ? " (none configured)" : "");
        return FLOE_ERR_CERT;
    case MBEDTLS_SSL_ALERT_MSG_BAD_CERT:
    case MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT:
    case MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED:
    case MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED:
    case MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN:
    case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA:
    case MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED:
        set_error(tls, "server rejected the client certificate (alert %s)", alert_name(alert));
        return FLOE_ERR_CERT;
    case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE:
        if (mbedtls_pk_get_type(&st->own_key) == MBEDTLS_PK_NONE)
            set_error(tls, "server refused the handshake (alert handshake_failure): no common cipher "
                           "suite, or it requires a client certificate");
        else
            set_error(tls, "server refused the handshake (alert handshake_failure): no common cipher suite");
        return FLOE_ERR_TLS;
    case MBEDTLS_SSL_ALERT_MSG_INSUFFICIENT_SECURITY:
        set_error(tls, "server requires stronger security (alert insufficient_security)");
        return FLOE_ERR_TLS;
    case MBEDTLS_SSL_ALERT_MSG_UNRECOGNIZED_NAME:
        set_error(tls, "server does not serve this host name (alert unrecognized_name)");
        return FLOE_ERR_TLS;
    default:
        if (alert < 0)
            set_error(tls, "%s: fatal alert from peer", op);
        else
            set_error(tls, "%s: fatal alert %d (%s) from peer", op, alert, alert_name(alert));
        return FLOE_ERR_TLS;
    }
}

/* The slice's high-water mark (see the top of this file). */
static size_t heap_peak(const struct floe_tls_state *st)
{
    size_t i = st->heap_len;
    while (i > PAINT_FROM && st->heap[i - 1] == PAINT)
        i--;
    return i;
}

/* mbedTLS often reports a failed allocation as some other error (PSA's
 * out-of-memory becomes a handshake failure, a signature check that could
 * not allocate an untrusted chain). When the allocator has used the slice up
 * to its last few KiB, that is the likely cause; it may also be a coincidence
 * on a slice trimmed too tightly, which deserves the same advice. */
static int heap_nearly_full(const struct floe_tls_state *st)
{
    return st->heap_len - heap_peak(st) < HEAP_FULL_MARGIN;
}

static int heap_exhausted(struct floe_tls *tls, const char *op, int ret)
{
    const struct floe_tls_state *st = tls->st;
    set_error(tls, "%s: mbedTLS heap slice exhausted (peak %zu of %zu bytes; raise heap_bytes; mbedTLS -0x%x)", op,
              heap_peak(st), st->heap_len, hex_code(ret));
    return FLOE_ERR_NOMEM;
}

/* Turns an mbedTLS failure into a floe code and a reason; the connection is
 * unusable afterwards (except after a timeout, which callers handle). */
static int map_error(struct floe_tls *tls, const char *op, int ret)
{
    struct floe_tls_state *st = tls->st;
    if (st->io_err != 0) {
        int e = st->io_err;
        st->io_err = 0;
        set_error(tls, "%s: transport: %s", op, floe_strerror(e));
        return e;
    }
    if (is_alloc_error(ret)) {
        set_error(tls, "%s: mbedTLS heap slice exhausted (%zu bytes; raise heap_bytes)", op, st->heap_len);
        return FLOE_ERR_NOMEM;
    }
    switch (ret) {
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE: /* the peer's verdicts, not ours */
    case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
    case MBEDTLS_ERR_SSL_CONN_EOF:
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
        break;
    default:
        /* Includes certificate failures: a signature check that could not
         * allocate reports the chain as not trusted. */
        if (heap_nearly_full(st))
            return heap_exhausted(tls, op, ret);
        break;
    }
    switch (ret) {
    case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
    case MBEDTLS_ERR_SSL_BAD_CERTIFICATE:
    case MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED: {
        char why[FLOE_TLS_ERROR_MAX];
        describe_flags(why, sizeof why, mbedtls_ssl_get_verify_result(&st->ssl));
        set_error(tls, "%s", why);
        return FLOE_ERR_CERT;
    }
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
        return map_alert(tls, op, received_alert(&st->ssl));
    case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
        set_error(tls, "%s", min_version_text(st));
        return FLOE_ERR_TLS;
    case MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE:
        set_error(tls, "%s: no cipher suite, group or signature algorithm in common with the peer", op);
        return FLOE_ERR_TLS;
    case MBEDTLS_ERR_SSL_CONN_EOF:
        set_error(tls, "%s: peer closed the connection", op);
        return FLOE_ERR_NET;
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
        set_error(tls, "%s: peer closed the connection (close_notify)", op);
        return FLOE_ERR_NET;
    case MBEDTLS_ERR_SSL_INVALID_RECORD:
    case MBEDTLS_ERR_SSL_UNEXPECTED_RECORD:
        set_error(tls, "%s: malformed TLS record from peer (not a TLS server?)", op);
        return FLOE_ERR_TLS;
    case MBEDTLS_ERR_SSL_ILLEGAL_PARAMETER:
        set_error(tls, "%s: peer sent a handshake field mbedTLS refuses (illegal_parameter, mbedTLS -0x%x)", op,
                  hex_code(ret));
        return FLOE_ERR_TLS;
    case MBEDTLS_ERR_SSL_INVALID_MAC:
        set_error(tls, "%s: record failed authentication (corrupted or tampered)", op);
        return FLOE_ERR_TLS;
    default:
        break;
    }
    if (ret <= -0x2080 && ret >= -0x3000) { /* MBEDTLS_ERR_X509_* (+ low-level) */
        set_error(tls, "%s: server certificate could not be parsed (mbedTLS -0x%x)", op, hex_code(ret));
        return FLOE_ERR_CERT;
    }
    set_error(tls, "%s: TLS error (mbedTLS -0x%x)", op, hex_code(ret));
    return FLOE_ERR_TLS;
}

/* ---- time and the bio ----------------------------------------------------- */

static uint64_t now_ms(const struct floe_tls_state *st)
{
    return st->clock->monotonic_ms(st->clock->ctx);
}

static void set_deadline(struct floe_tls_state *st, uint32_t timeout_ms)
{
    st->deadline = now_ms(st) + timeout_ms;
}

static uint32_t remaining_ms(const struct floe_tls_state *st)
{
    uint64_t now = now_ms(st);
    if (now >= st->deadline)
        return 0;
    return st->deadline - now > UINT32_MAX ? UINT32_MAX : (uint32_t)(st->deadline - now);
}

static int expired(const struct floe_tls_state *st)
{
    return now_ms(st) >= st->deadline;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    struct floe_tls_state *st = (struct floe_tls_state *)ctx;
    floe_ssize_t r;
    if (len > INT_MAX)
        len = INT_MAX;
    r = st->tr.send(st->tr.ctx, buf, len, remaining_ms(st));
    if (r > 0)
        return (int)r;
    if (r == 0)
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    st->io_err = (int)r;
    return BIO_TRANSPORT_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct floe_tls_state *st = (struct floe_tls_state *)ctx;
    floe_ssize_t r;
    if (len > INT_MAX)
        len = INT_MAX;
    r = st->tr.recv(st->tr.ctx, buf, len, remaining_ms(st));
    if (r > 0)
        return (int)r;
    if (r == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    st->io_err = (int)r;
    return BIO_TRANSPORT_FAILED;
}

static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    struct floe_tls_state *st = (struct floe_tls_state *)ctx;
    (void)crt;
    (void)depth;
    (void)flags;
    st->verify_calls++;
    return 0;
}

/* ---- PEM sources: caller memory or a file through the fs port ------------ */

struct src {
    const uint8_t *mem;
    size_t mem_len;
    const struct floe_fs_port *fs;
    void *file;
    uint64_t off;
    const char *name; /* for messages */
};

static floe_ssize_t src_read(struct src *s, uint8_t *buf, size_t n)
{
    if (s->fs != NULL) {
        floe_ssize_t r = s->fs->read(s->fs->ctx, s->file, s->off, buf, n);
        if (r > 0)
            s->off += (uint64_t)r;
        return r;
    }
    if (s->off >= s->mem_len)
        return 0;
    if (n > s->mem_len - (size_t)s->off)
        n = s->mem_len - (size_t)s->off;
    floe_memcpy(buf, s->mem + s->off, n);
    s->off += n;
    return (floe_ssize_t)n;
}

static int src_open(struct floe_tls *tls, struct src *s, const void *mem, size_t mem_len, const char *path,
                    const struct floe_fs_port *fs, void *file, const char *what)
{
    floe_memset(s, 0, sizeof *s);
    if (path != NULL) {
        int err = fs->open(fs->ctx, file, path, FLOE_FS_READ);
        if (err < 0) {
            set_error(tls, "%s %s: %s", what, path, floe_strerror(err));
            return err;
        }
        s->fs = fs;
        s->file = file;
        s->name = path;
    } else {
        s->mem = (const uint8_t *)mem;
        s->mem_len = mem_len;
        s->name = "(memory)";
    }
    return FLOE_OK;
}

static void src_close(struct src *s)
{
    if (s->fs != NULL)
        s->fs->close(s->fs->ctx, s->file);
    s->fs = NULL;
}

static size_t find(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = floe_strlen(needle), i;
    for (i = 0; i + k <= n; i++)
        if (hay[i] == (uint8_t)needle[0] && floe_memcmp(hay + i, needle, k) == 0)
            return i;
    return (size_t)-1;
}

/* Fills win[have..FLOE_TLS_PEM_MAX-1) (one byte stays free for a NUL). */
static int fill(struct src *s, uint8_t *win, size_t *have, int *eof)
{
    while (!*eof && *have < FLOE_TLS_PEM_MAX - 1) {
        floe_ssize_t r = src_read(s, win + *have, FLOE_TLS_PEM_MAX - 1 - *have);
        if (r < 0)
            return (int)r;
        if (r == 0)
            *eof = 1;
        *have += (size_t)r;
    }
    return FLOE_OK;
}

struct cert_count {
    uint32_t loaded, failed;
    int first_err; /* mbedTLS code of the first failure */
};

/* Parses every certificate of a PEM bundle (or the one DER certificate) from
 * s into chain, one block at a time through the window, so a bundle of any
 * size needs only FLOE_TLS_PEM_MAX bytes besides the parsed certificates. */
static int load_certs(struct src *s, uint8_t *win, mbedtls_x509_crt *chain, struct cert_count *c)
{
    size_t have = 0, blen = sizeof pem_begin - 1, elen = sizeof pem_end - 1;
    int eof = 0, first = 1;
    for (;;) {
        size_t b, e;
        int ret;
        FLOE_TRY(fill(s, win, &have, &eof));
        b = find(win, have, pem_begin);
        if (first && b == (size_t)-1 && eof && have > 0 && win[0] == 0x30) {
            ret = mbedtls_x509_crt_parse_der(chain, win, have); /* one DER certificate */
            if (is_alloc_error(ret))
                return FLOE_ERR_NOMEM;
            if (ret == 0)
                c->loaded++;
            else {
                c->failed++;
                c->first_err = ret;
            }
            return FLOE_OK;
        }
        first = 0;
        if (b == (size_t)-1) {
            if (eof)
                return FLOE_OK;
            /* Keep a tail that may hold the start of a marker. */
            floe_memmove(win, win + have - (blen - 1), blen - 1);
            have = blen - 1;
            continue;
        }
        if (b > 0) {
            floe_memmove(win, win + b, have - b);
            have -= b;
            continue;
        }
        e = find(win, have, pem_end);
        if (e == (size_t)-1) {
            c->failed++;
            if (c->first_err == 0)
                c->first_err = MBEDTLS_ERR_X509_BUFFER_TOO_SMALL;
            if (eof)
                return FLOE_OK; /* truncated last block */
            /* Longer than the window: skip it. */
            floe_memmove(win, win + blen, have - blen);
            have -= blen;
            continue;
        }
        e += elen;
        {
            uint8_t saved = win[e]; /* e <= have < FLOE_TLS_PEM_MAX */
            win[e] = 0;
            ret = mbedtls_x509_crt_parse(chain, win, e + 1);
            win[e] = saved;
        }
        if (is_alloc_error(ret))
            return FLOE_ERR_NOMEM;
        if (ret == 0) {
            c->loaded++;
        } else {
            c->failed++;
            if (c->first_err == 0)
                c->first_err = ret;
        }
        floe_memmove(win, win + e, have - e);
        have -= e;
    }
}

/* Reads a whole (small) source into win, NUL-terminated; *len excludes it. */
static int read_all(struct floe_tls *tls, struct src *s, uint8_t *win, size_t *len, const char *what)
{
    size_t have = 0;
    int eof = 0;
    FLOE_TRY(fill(s, win, &have, &eof));
    if (!eof) {
        uint8_t probe;
        floe_ssize_t r = src_read(s, &probe, 1);
        if (r < 0)
            return (int)r;
        if (r > 0) {
            set_error(tls, "%s %s: longer than %u bytes", what, s->name, FLOE_TLS_PEM_MAX - 1);
            return FLOE_ERR_LIMIT;
        }
    }
    win[have] = 0;
    *len = have;
    return FLOE_OK;
}

/* ---- setup ---------------------------------------------------------------- */

static int uses_files(const struct floe_tls_config *cfg)
{
    return cfg->ca_file != NULL || cfg->client_cert_file != NULL || cfg->client_key_file != NULL ||
           (cfg->ca_pem == NULL && !(cfg->flags & FLOE_TLS_NO_VERIFY));
}

static const char *ca_file_of(const struct floe_tls_config *cfg)
{
    if (cfg->ca_file != NULL)
        return cfg->ca_file;
    if (cfg->ca_pem == NULL && !(cfg->flags & FLOE_TLS_NO_VERIFY))
        return FLOE_TLS_DEFAULT_CA_FILE;
    return NULL;
}

static size_t heap_of(const struct floe_tls_config *cfg)
{
    size_t n;
    if (cfg->heap_bytes != 0)
        return cfg->heap_bytes;
    if (ca_file_of(cfg) != NULL)
        return FLOE_TLS_HEAP_CA_FILE_DEFAULT;
    n = FLOE_TLS_HEAP_DEFAULT;
    if (cfg->ca_pem != NULL && cfg->ca_pem_len <= (SIZE_MAX - n) / FLOE_TLS_HEAP_PER_CA_PEM_BYTE - 4096u)
        n += FLOE_ALIGN_UP(cfg->ca_pem_len * FLOE_TLS_HEAP_PER_CA_PEM_BYTE, 4096u);
    return n;
}

static int config_ok(const struct floe_tls_config *cfg)
{
    int have_cert, have_key;
    uint8_t lo, hi;
    if (cfg == NULL || cfg->clock == NULL || cfg->clock->monotonic_ms == NULL || cfg->entropy == NULL ||
        cfg->entropy->fill == NULL)
        return 0;
    if (cfg->heap_bytes != 0 && cfg->heap_bytes < FLOE_TLS_HEAP_MIN)
        return 0;
    if (cfg->flags & ~(uint32_t)(FLOE_TLS_NO_VERIFY | FLOE_TLS_NO_RESUME))
        return 0;
    lo = cfg->min_version ? cfg->min_version : FLOE_TLS_1_2;
    hi = cfg->max_version ? cfg->max_version : FLOE_TLS_1_3;
    if ((lo != FLOE_TLS_1_2 && lo != FLOE_TLS_1_3) || (hi != FLOE_TLS_1_2 && hi != FLOE_TLS_1_3) || lo > hi)
        return 0;
    if ((cfg->ca_pem != NULL && cfg->ca_pem_len == 0) ||
        (cfg->client_cert_pem != NULL && cfg->client_cert_len == 0) ||
        (cfg->client_key_pem != NULL && cfg->client_key_len == 0))
        return 0;
    have_cert = cfg->client_cert_pem != NULL || cfg->client_cert_file != NULL;
    have_key = cfg->client_key_pem != NULL || cfg->client_key_file != NULL;
    if (have_cert != have_key || (cfg->client_cert_pem != NULL && cfg->client_cert_file != NULL) ||
        (cfg->client_key_pem != NULL && cfg->client_key_file != NULL))
        return 0;
    if (uses_files(cfg) && (cfg->fs == NULL || cfg->fs->open == NULL || cfg->fs->read == NULL ||
                            cfg->fs->close == NULL))
        return 0;
    return 1;
}

struct carved {
    struct floe_tls_state *st;
    uint8_t *heap;
    size_t heap_len;
    size_t temp_mark; /* what follows is released at the end of setup */
    uint8_t *win;
    void *file;
};

static int carve(struct floe_arena *a, const struct floe_tls_config *cfg, struct carved *out)
{
    void *p;
    FLOE_TRY(floe_arena_take(a, sizeof(struct floe_tls_state), 16, &p));
    out->st = (struct floe_tls_state *)p;
    out->heap_len = heap_of(cfg);
    FLOE_TRY(floe_arena_take(a, out->heap_len, 16, &p));
    out->heap = (uint8_t *)p;
    out->temp_mark = floe_arena_mark(a);
    FLOE_TRY(floe_arena_take(a, FLOE_TLS_PEM_MAX, 8, &p));
    out->win = (uint8_t *)p;
    out->file = NULL;
    if (uses_files(cfg)) {
        FLOE_TRY(floe_arena_take(a, cfg->fs->file_size ? cfg->fs->file_size : 1, 8, &p));
        out->file = p;
    }
    return FLOE_OK;
}

size_t floe_tls_size(const struct floe_tls_config *cfg)
{
    struct floe_arena a;
    struct carved c;
    if (!config_ok(cfg))
        return 0;
    floe_arena_init_counting(&a);
    if (carve(&a, cfg, &c) != FLOE_OK)
        return 0;
    /* The counting arena starts 16-aligned; a real one may start 8 off, and
     * each of the two 16-aligned takes can then lose 8 bytes. */
    return (a.high_water > a.used ? a.high_water : a.used) + 2u * (16u - FLOE_ARENA_ALIGN);
}

static void release(struct floe_tls_state *st)
{
    mbedtls_ssl_free(&st->ssl);
    mbedtls_ssl_config_free(&st->conf);
    mbedtls_ssl_session_free(&st->session);
    mbedtls_x509_crt_free(&st->ca);
    mbedtls_x509_crt_free(&st->own_cert);
    mbedtls_pk_free(&st->own_key);
    mbedtls_psa_crypto_free();
    mbedtls_memory_buffer_alloc_free();
    /* Freed blocks may still hold key material. */
    mbedtls_platform_zeroize(st->heap, st->heap_len);
    tls_entropy = NULL;
    tls_owner = NULL;
}

static int load_ca(struct floe_tls *tls, const struct floe_tls_config *cfg, const struct carved *c)
{
    struct floe_tls_state *st = tls->st;
    const char *path = ca_file_of(cfg);
    struct cert_count n;
    int pass, err;
    floe_memset(&n, 0, sizeof n);
    for (pass = 0; pass < 2; pass++) {
        struct src s;
        const char *name;
        if (pass == 0 && cfg->ca_pem == NULL)
            continue;
        if (pass == 1 && path == NULL)
            continue;
        FLOE_TRY(src_open(tls, &s, cfg->ca_pem, cfg->ca_pem_len, pass == 1 ? path : NULL, cfg->fs, c->file,
                          "CA file"));
        name = pass == 1 ? path : "ca_pem";
        err = load_certs(&s, c->win, &st->ca, &n);
        src_close(&s);
        if (err == FLOE_ERR_NOMEM) {
            set_error(tls, "CA bundle %s: mbedTLS heap slice exhausted after %u certificates (%zu bytes; "
                           "raise heap_bytes)", name, n.loaded, st->heap_len);
            return err;
        }
        if (err < 0) {
            set_error(tls, "CA file %s: %s", name, floe_strerror(err));
            return err;
        }
    }
    st->ca_loaded = n.loaded;
    st->ca_skipped = n.failed;
    if (n.loaded == 0 && !(cfg->flags & FLOE_TLS_NO_VERIFY)) {
        if (n.failed == 0)
            set_error(tls, "CA bundle %s: no certificate found (expected PEM \"-----BEGIN CERTIFICATE-----\" "
                           "blocks or one DER certificate)", path != NULL ? path : "ca_pem");
        else
            set_error(tls, "CA bundle %s: no certificate could be parsed (%u failed; bad PEM? mbedTLS -0x%x)",
                      path != NULL ? path : "ca_pem", n.failed, hex_code(n.first_err));
        return FLOE_ERR_CERT;
    }
    if (n.failed > 0)
        FLOE_LOG_WARN(st->log, "tls: %u CA certificate(s) could not be parsed and were skipped (mbedTLS -0x%x)",
                      n.failed, hex_code(n.first_err));
    return FLOE_OK;
}

static int load_identity(struct floe_tls *tls, const struct floe_tls_config *cfg, const struct carved *c)
{
    struct floe_tls_state *st = tls->st;
    struct cert_count n;
    struct src s;
    size_t len = 0;
    int err, ret;
    if (cfg->client_cert_pem == NULL && cfg->client_cert_file == NULL)
        return FLOE_OK;
    floe_memset(&n, 0, sizeof n);
    FLOE_TRY(src_open(tls, &s, cfg->client_cert_pem, cfg->client_cert_len, cfg->client_cert_file, cfg->fs,
                      c->file, "client certificate"));
    err = load_certs(&s, c->win, &st->own_cert, &n);
    src_close(&s);
    if (err == FLOE_ERR_NOMEM) {
        set_error(tls, "client certificate: mbedTLS heap slice exhausted (%zu bytes)", st->heap_len);
        return err;
    }
    if (err < 0) {
        set_error(tls, "client certificate %s: %s", s.name, floe_strerror(err));
        return err;
    }
    if (n.loaded == 0 || n.failed > 0) {
        set_error(tls, "client certificate %s: could not be parsed (mbedTLS -0x%x)", s.name,
                  hex_code(n.first_err));
        return FLOE_ERR_CERT;
    }

    FLOE_TRY(src_open(tls, &s, cfg->client_key_pem, cfg->client_key_len, cfg->client_key_file, cfg->fs, c->file,
                      "client key"));
    err = read_all(tls, &s, c->win, &len, "client key");
    src_close(&s);
    if (err < 0) {
        if (err != FLOE_ERR_LIMIT)
            set_error(tls, "client key %s: %s", s.name, floe_strerror(err));
        mbedtls_platform_zeroize(c->win, FLOE_TLS_PEM_MAX);
        return err;
    }
    /* PEM wants its terminating NUL counted; DER does not. */
    if (find(c->win, len, "-----BEGIN") != (size_t)-1)
        len++;
    ret = mbedtls_pk_parse_key(&st->own_key, c->win, len, NULL, 0, mbedtls_psa_get_random,
                               MBEDTLS_PSA_RANDOM_STATE);
    mbedtls_platform_zeroize(c->win, FLOE_TLS_PEM_MAX);
    if (ret != 0) {
        if (is_alloc_error(ret)) {
            set_error(tls, "client key: mbedTLS heap slice exhausted (%zu bytes)", st->heap_len);
            return FLOE_ERR_NOMEM;
        }
        if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED || ret == MBEDTLS_ERR_PK_PASSWORD_MISMATCH)
            set_error(tls, "client key %s: encrypted keys are not supported", s.name);
        else
            set_error(tls, "client key %s: could not be parsed (mbedTLS -0x%x)", s.name, hex_code(ret));
        return FLOE_ERR_CERT;
    }
    ret = mbedtls_pk_check_pair(&st->own_cert.pk, &st->own_key, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
    if (ret != 0) {
        set_error(tls, "client key does not match the client certificate (mbedTLS -0x%x)", hex_code(ret));
        return FLOE_ERR_CERT;
    }
    ret = mbedtls_ssl_conf_own_cert(&st->conf, &st->own_cert, &st->own_key);
    if (ret != 0) {
        set_error(tls, "client certificate: mbedTLS -0x%x", hex_code(ret));
        return is_alloc_error(ret) ? FLOE_ERR_NOMEM : FLOE_ERR_TLS;
    }
    return FLOE_OK;
}

/* Whether AES-GCM runs on instructions here (AES-NI and PCLMULQDQ; the Armv8
 * AES and PMULL extension): mbedTLS's own run-time choice, asked the same way. */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
static int aes_gcm_in_hardware(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 25)) != 0 && (c & (1u << 1)) != 0;
}
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
static int aes_gcm_in_hardware(void)
{
    unsigned long hw = getauxval(AT_HWCAP);
    return (hw & (1ul << 3)) != 0 && (hw & (1ul << 4)) != 0; /* HWCAP_AES, HWCAP_PMULL */
}
#else
static int aes_gcm_in_hardware(void)
{
    return 0;
}
#endif

/* mbedTLS's suites, reordered for this CPU: with AES instructions
 * AES-128-GCM first (4 fewer rounds than AES-256; TLS 1.3's mandatory
 * suite), else ChaCha20-Poly1305 first (without AES instructions it needs
 * no tables, so in software it is faster and constant time). The set is
 * mbedTLS's own; only the order changes. */
#define SUITES_MAX 64
static int suite_order[SUITES_MAX + 1];

static int name_has(const char *name, const char *part)
{
    for (; *name != '\0'; name++) {
        size_t i = 0;
        while (part[i] != '\0' && name[i] == part[i])
            i++;
        if (part[i] == '\0')
            return 1;
    }
    return 0;
}

static int suite_rank(int id, int aes_hw)
{
    const char *name = mbedtls_ssl_get_ciphersuite_name(id);
    int chacha = name_has(name, "CHACHA20"), aes128 = name_has(name, "AES-128-GCM");
    if (aes_hw)
        return aes128 ? 0 : chacha ? 2 : 1;
    return chacha ? 0 : aes128 ? 1 : 2;
}

static const int *ordered_suites(void)
{
    const int *all = mbedtls_ssl_list_ciphersuites();
    int aes_hw = aes_gcm_in_hardware(), rank, n = 0, i;
    for (i = 0; all[i] != 0; i++) {
    }
    if (i > SUITES_MAX)
        return all; /* a bigger build: its own order rather than a cut set */
    for (rank = 0; rank < 3; rank++)
        for (i = 0; all[i] != 0; i++)
            if (suite_rank(all[i], aes_hw) == rank)
                suite_order[n++] = all[i];
    suite_order[n] = 0;
    return suite_order;
}

/* Signature algorithms offered, RSA PKCS#1 v1.5 ahead of RSA-PSS. mbedTLS
 * 3.6.6 offers rsa_pss_rsae_* first in a TLS 1.2+1.3 ClientHello but its TLS
 * 1.2 client then rejects a ServerKeyExchange signed that way (illegal
 * parameter; an upstream regression, fixed after 3.6.6). Servers that follow
 * the client's order (OpenSSL, Go) so pick PKCS#1 v1.5 in TLS 1.2; TLS 1.3
 * cannot use it for CertificateVerify, so RSA servers still pick PSS there. */
static const uint16_t sig_algs[] = {
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA512,
    MBEDTLS_TLS1_3_SIG_NONE,
};

static mbedtls_ssl_protocol_version mbed_version(uint8_t v)
{
    return v == FLOE_TLS_1_3 ? MBEDTLS_SSL_VERSION_TLS1_3 : MBEDTLS_SSL_VERSION_TLS1_2;
}

static int configure(struct floe_tls *tls, const struct floe_tls_config *cfg, const struct carved *c)
{
    struct floe_tls_state *st = tls->st;
    int ret, resume = !(cfg->flags & FLOE_TLS_NO_RESUME);
    psa_status_t ps;

    tls_entropy = cfg->entropy;
    tls_entropy_failed = 0;
    ps = psa_crypto_init();
    if (ps != PSA_SUCCESS) {
        if (tls_entropy_failed || ps == PSA_ERROR_INSUFFICIENT_ENTROPY) {
            set_error(tls, "the entropy port failed (PSA %d)", (int)ps);
            return FLOE_ERR_IO;
        }
        if (ps == PSA_ERROR_INSUFFICIENT_MEMORY) {
            set_error(tls, "PSA init: mbedTLS heap slice exhausted (%zu bytes)", st->heap_len);
            return FLOE_ERR_NOMEM;
        }
        set_error(tls, "PSA crypto init failed (%d)", (int)ps);
        return FLOE_ERR_TLS;
    }

    ret = mbedtls_ssl_config_defaults(&st->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        set_error(tls, "TLS config: mbedTLS -0x%x", hex_code(ret));
        return is_alloc_error(ret) ? FLOE_ERR_NOMEM : FLOE_ERR_TLS;
    }
    mbedtls_ssl_conf_rng(&st->conf, mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
    mbedtls_ssl_conf_sig_algs(&st->conf, sig_algs);
    mbedtls_ssl_conf_ciphersuites(&st->conf, ordered_suites());
    mbedtls_ssl_conf_min_tls_version(&st->conf, mbed_version(st->min_version));
    mbedtls_ssl_conf_max_tls_version(&st->conf, mbed_version(st->max_version));
    /* Without verification, still verify (OPTIONAL) so the warning can say
     * what would have failed, and so resumption can be told apart. */
    mbedtls_ssl_conf_authmode(&st->conf, (cfg->flags & FLOE_TLS_NO_VERIFY) ? MBEDTLS_SSL_VERIFY_OPTIONAL
                                                                            : MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_verify(&st->conf, verify_cb, st);
    mbedtls_ssl_conf_session_tickets(&st->conf, resume ? MBEDTLS_SSL_SESSION_TICKETS_ENABLED
                                                       : MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
    mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
        &st->conf, resume ? MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED
                          : MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_DISABLED);

    FLOE_TRY(load_ca(tls, cfg, c));
    if (st->ca_loaded > 0)
        mbedtls_ssl_conf_ca_chain(&st->conf, &st->ca, NULL);
    FLOE_TRY(load_identity(tls, cfg, c));

    ret = mbedtls_ssl_setup(&st->ssl, &st->conf); /* allocates the record buffers */
    if (ret != 0) {
        if (is_alloc_error(ret)) {
            set_error(tls, "TLS setup: mbedTLS heap slice exhausted (%zu bytes)", st->heap_len);
            return FLOE_ERR_NOMEM;
        }
        set_error(tls, "TLS setup: mbedTLS -0x%x", hex_code(ret));
        return FLOE_ERR_TLS;
    }
    return FLOE_OK;
}

int floe_tls_setup(struct floe_tls *tls, const struct floe_tls_config *cfg, struct floe_arena *arena)
{
    struct floe_tls_state *st;
    struct carved c;
    size_t mark;
    int err;
    FLOE_FAIL_IF(tls == NULL, FLOE_ERR_INVAL);
    tls->st = NULL;
    tls->error[0] = '\0';
    if (arena == NULL || floe_arena_counting(arena) || !config_ok(cfg)) {
        set_error(tls, "bad TLS configuration");
        return FLOE_ERR_INVAL;
    }
    if (tls_owner != NULL) {
        set_error(tls, "another TLS context is set up (mbedTLS's heap and PSA are process-wide)");
        return FLOE_ERR_STATE;
    }
    mark = floe_arena_mark(arena);
    err = carve(arena, cfg, &c);
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        set_error(tls, "arena too small for TLS (%zu bytes needed)", floe_tls_size(cfg));
        return err;
    }
    st = c.st;
    mbedtls_ssl_init(&st->ssl);
    mbedtls_ssl_config_init(&st->conf);
    mbedtls_x509_crt_init(&st->ca);
    mbedtls_x509_crt_init(&st->own_cert);
    mbedtls_pk_init(&st->own_key);
    mbedtls_ssl_session_init(&st->session);
    st->clock = cfg->clock;
    st->log = cfg->log;
    st->flags = cfg->flags;
    st->close_timeout_ms = cfg->close_timeout_ms ? cfg->close_timeout_ms : DEFAULT_CLOSE_TIMEOUT_MS;
    st->min_version = cfg->min_version ? cfg->min_version : FLOE_TLS_1_2;
    st->max_version = cfg->max_version ? cfg->max_version : FLOE_TLS_1_3;
    st->heap = c.heap;
    st->heap_len = c.heap_len;
    st->suite = "";
    tls_owner = st;
    tls->st = st;

    mbedtls_memory_buffer_alloc_init(st->heap, st->heap_len);
    floe_memset(st->heap + PAINT_FROM, PAINT, st->heap_len - PAINT_FROM);

    err = configure(tls, cfg, &c);
    floe_arena_rewind(arena, c.temp_mark); /* the PEM window and file object */
    if (err != FLOE_OK) {
        FLOE_LOG_ERROR(cfg->log, "tls: setup failed: %s", tls->error);
        release(st);
        tls->st = NULL;
        floe_arena_rewind(arena, mark);
        return err;
    }
    if (cfg->flags & FLOE_TLS_NO_VERIFY)
        FLOE_LOG_WARN(st->log, "tls: certificate verification is OFF (FLOE_TLS_NO_VERIFY): connections can be "
                               "intercepted; use only for tests");
    FLOE_LOG_INFO(st->log, "tls: ready, %u CA certificate(s)%s%s, heap slice %zu bytes", st->ca_loaded,
                  ca_file_of(cfg) != NULL ? " from " : "", ca_file_of(cfg) != NULL ? ca_file_of(cfg) : "",
                  st->heap_len);
    return FLOE_OK;
}

/* ---- connections ---------------------------------------------------------- */

static void save_session(struct floe_tls_state *st)
{
    if (st->flags & FLOE_TLS_NO_RESUME)
        return;
    mbedtls_ssl_session_free(&st->session);
    mbedtls_ssl_session_init(&st->session);
    st->have_session = 0;
    if (mbedtls_ssl_get_session(&st->ssl, &st->session) == 0) {
        st->have_session = 1;
        floe_memcpy(st->session_host, st->host, sizeof st->host);
    }
}

static void drop_session(struct floe_tls_state *st)
{
    mbedtls_ssl_session_free(&st->session);
    mbedtls_ssl_session_init(&st->session);
    st->have_session = 0;
}

/* Fatal error on an open connection: remembered and returned from then on. */
static int fail(struct floe_tls *tls, const char *op, int ret)
{
    struct floe_tls_state *st = tls->st;
    int err = map_error(tls, op, ret);
    st->broken = err;
    if (err == FLOE_ERR_CERT)
        FLOE_LOG_ERROR(st->log, "tls: %s: %s", st->host, tls->error);
    else
        FLOE_LOG_WARN(st->log, "tls: %s: %s", st->host, tls->error);
    return err;
}

int floe_tls_connect(struct floe_tls *tls, const struct floe_tls_transport *transport, const char *host_name,
                     uint32_t timeout_ms)
{
    struct floe_tls_state *st;
    size_t hlen;
    int ret;
    FLOE_FAIL_IF(tls == NULL || tls->st == NULL || transport == NULL || transport->send == NULL ||
                     transport->recv == NULL || host_name == NULL,
                 FLOE_ERR_INVAL);
    st = tls->st;
    hlen = floe_strlen(host_name);
    FLOE_FAIL_IF(hlen == 0 || hlen > FLOE_TLS_HOST_MAX, FLOE_ERR_INVAL);
    tls->error[0] = '\0';
    if (st->connected) {
        set_error(tls, "already connected (call floe_tls_close first)");
        return FLOE_ERR_STATE;
    }
    if (st->flags & FLOE_TLS_NO_VERIFY)
        FLOE_LOG_WARN(st->log, "tls: %s: certificate verification is OFF (FLOE_TLS_NO_VERIFY): this connection "
                               "can be intercepted", host_name);
    floe_memcpy(st->host, host_name, hlen + 1);
    st->tr = *transport;
    st->io_err = 0;
    st->broken = 0;
    st->out_pending = 0;
    st->verify_calls = 0;
    st->last_resumed = 0;
    st->version = 0;
    st->suite = "";

    ret = mbedtls_ssl_session_reset(&st->ssl);
    if (ret == 0)
        ret = mbedtls_ssl_set_hostname(&st->ssl, st->host); /* SNI and the name check */
    if (ret != 0)
        return map_error(tls, "connect", ret);
    mbedtls_ssl_set_bio(&st->ssl, st, bio_send, bio_recv, NULL);
    if (st->have_session && !(st->flags & FLOE_TLS_NO_RESUME) &&
        floe_memcmp(st->session_host, st->host, hlen + 1) == 0) {
        ret = mbedtls_ssl_set_session(&st->ssl, &st->session);
        if (ret != 0)
            FLOE_LOG_DEBUG(st->log, "tls: %s: saved session not offered (mbedTLS -0x%x)", st->host,
                           hex_code(ret));
    }

    set_deadline(st, timeout_ms);
    for (;;) {
        ret = mbedtls_ssl_handshake(&st->ssl);
        if (ret == 0)
            break;
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            if (expired(st)) {
                set_error(tls, "handshake timed out after %u ms", (unsigned)timeout_ms);
                FLOE_LOG_WARN(st->log, "tls: %s: %s", st->host, tls->error);
                mbedtls_ssl_session_reset(&st->ssl);
                return FLOE_ERR_TIMEOUT;
            }
            continue;
        }
        if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            save_session(st);
            continue;
        }
        ret = fail(tls, "handshake", ret);
        if (ret == FLOE_ERR_TLS || ret == FLOE_ERR_CERT)
            drop_session(st); /* the server may have changed; transport trouble keeps it */
        mbedtls_ssl_session_reset(&st->ssl); /* gives the handshake's memory back */
        st->broken = 0;
        return ret;
    }

    st->connected = 1;
    st->handshakes++;
    st->version = mbedtls_ssl_get_version_number(&st->ssl) == MBEDTLS_SSL_VERSION_TLS1_3 ? FLOE_TLS_1_3
                                                                                         : FLOE_TLS_1_2;
    /* A resumed handshake carries no certificate, so nothing was verified. */
    st->last_resumed = st->verify_calls == 0;
    if (st->last_resumed)
        st->resumed++;
    st->suite = mbedtls_ssl_get_ciphersuite(&st->ssl);
    if (st->suite == NULL)
        st->suite = "";
    /* TLS 1.2 sessions exist now; TLS 1.3 ones come as tickets after it. */
    if (st->version == FLOE_TLS_1_2)
        save_session(st);
    if ((st->flags & FLOE_TLS_NO_VERIFY) && !st->last_resumed) {
        uint32_t flags = mbedtls_ssl_get_verify_result(&st->ssl);
        if (flags != 0) {
            char why[FLOE_TLS_ERROR_MAX];
            describe_flags(why, sizeof why, flags);
            FLOE_LOG_WARN(st->log, "tls: %s: verification is OFF; this certificate would have been refused: %s",
                          st->host, why);
        }
    }
    FLOE_LOG_INFO(st->log, "tls: %s: connected, TLS 1.%c %s%s", st->host, st->version == FLOE_TLS_1_3 ? '3' : '2',
                  st->suite, st->last_resumed ? " (resumed)" : "");
    return FLOE_OK;
}

static int check_stream(struct floe_tls *tls)
{
    if (tls == NULL || tls->st == NULL)
        return FLOE_ERR_INVAL;
    if (!tls->st->connected) {
        set_error(tls, "not connected");
        return FLOE_ERR_STATE;
    }
    if (tls->st->broken == 0)
        tls->error[0] = '\0'; /* else the failure's reason stays */
    return tls->st->broken;
}

/* Flushes a queued record. 1: nothing queued; 0: still queued at the
 * deadline; negative: error. */
static int flush_pending(struct floe_tls *tls, const char *op)
{
    struct floe_tls_state *st = tls->st;
    while (st->out_pending) {
        unsigned char unused = 0;
        int ret = mbedtls_ssl_write(&st->ssl, &unused, 1); /* output pending: flush only */
        if (ret >= 0) {
            st->out_pending = 0;
            break;
        }
        if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ) {
            if (expired(st))
                return 0;
            continue;
        }
        return fail(tls, op, ret);
    }
    return 1;
}

size_t floe_tls_write_unit(void *ctx)
{
    struct floe_tls *tls = (struct floe_tls *)ctx;
    int max;
    if (tls == NULL || tls->st == NULL || !tls->st->connected)
        return 0;
    max = mbedtls_ssl_get_max_out_record_payload(&tls->st->ssl);
    return max > 0 ? (size_t)max : 0;
}

floe_ssize_t floe_tls_send(void *ctx, const void *buf, size_t n, uint32_t timeout_ms)
{
    struct floe_tls *tls = (struct floe_tls *)ctx;
    struct floe_tls_state *st;
    int err = check_stream(tls), max;
    if (err != FLOE_OK)
        return err;
    FLOE_FAIL_IF(buf == NULL && n > 0, FLOE_ERR_INVAL);
    st = tls->st;
    set_deadline(st, timeout_ms);
    err = flush_pending(tls, "send");
    if (err <= 0)
        return err;
    if (n == 0)
        return 0;
    max = mbedtls_ssl_get_max_out_record_payload(&st->ssl);
    if (max > 0 && n > (size_t)max)
        n = (size_t)max;
    for (;;) {
        int ret = mbedtls_ssl_write(&st->ssl, (const unsigned char *)buf, n);
        if (ret >= 0)
            return ret;
        if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            /* The record holds the data; it goes out with the next call. */
            st->out_pending = 1;
            return (floe_ssize_t)n;
        }
        if (ret == MBEDTLS_ERR_SSL_WANT_READ) {
            if (expired(st))
                return 0;
            continue;
        }
        return fail(tls, "send", ret);
    }
}

floe_ssize_t floe_tls_recv(void *ctx, void *buf, size_t n, uint32_t timeout_ms)
{
    struct floe_tls *tls = (struct floe_tls *)ctx;
    struct floe_tls_state *st;
    int err = check_stream(tls);
    if (err != FLOE_OK)
        return err;
    FLOE_FAIL_IF(buf == NULL && n > 0, FLOE_ERR_INVAL);
    st = tls->st;
    if (n == 0)
        return 0;
    set_deadline(st, timeout_ms);
    err = flush_pending(tls, "recv");
    if (err <= 0)
        return err;
    for (;;) {
        int ret = mbedtls_ssl_read(&st->ssl, (unsigned char *)buf, n);
        if (ret > 0)
            return ret;
        if (ret == 0)
            ret = MBEDTLS_ERR_SSL_CONN_EOF;
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
                st->out_pending = 1;
            if (expired(st))
                return 0;
            if (st->out_pending) {
                err = flush_pending(tls, "recv");
                if (err <= 0)
                    return err;
            }
            continue;
        }
        if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
            save_session(st);
            continue;
        }
        return fail(tls, "recv", ret);
    }
}

int floe_tls_close(void *ctx)
{
    struct floe_tls *tls = (struct floe_tls *)ctx;
    struct floe_tls_state *st;
    int err = FLOE_OK;
    FLOE_FAIL_IF(tls == NULL || tls->st == NULL, FLOE_ERR_INVAL);
    st = tls->st;
    if (!st->connected)
        return FLOE_OK;
    if (st->broken == 0) {
        tls->error[0] = '\0';
        set_deadline(st, st->close_timeout_ms);
        err = flush_pending(tls, "close");
        if (err == 0)
            err = FLOE_ERR_TIMEOUT;
        else if (err > 0)
            err = FLOE_OK;
        while (err == FLOE_OK) {
            int ret = mbedtls_ssl_close_notify(&st->ssl);
            if (ret == 0)
                break;
            if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ) {
                if (expired(st))
                    err = FLOE_ERR_TIMEOUT;
                continue;
            }
            err = fail(tls, "close", ret);
        }
        if (err == FLOE_ERR_TIMEOUT)
            set_error(tls, "close: close_notify not sent within %u ms", (unsigned)st->close_timeout_ms);
    }
    mbedtls_ssl_session_reset(&st->ssl);
    st->connected = 0;
    st->broken = 0;
    st->out_pending = 0;
    st->io_err = 0;
    return err;
}

/* ---- the rest --------------------------------------------------------------- */

const char *floe_tls_last_error(const struct floe_tls *tls)
{
    return tls != NULL ? tls->error : "";
}

void floe_tls_stats(const struct floe_tls *tls, struct floe_tls_stats *out)
{
    const struct floe_tls_state *st;
    if (out == NULL)
        return;
    floe_memset(out, 0, sizeof *out);
    out->ciphersuite = "";
    if (tls == NULL || tls->st == NULL)
        return;
    st = tls->st;
    out->heap_bytes = st->heap_len;
    out->heap_peak = heap_peak(st);
#if defined(MBEDTLS_MEMORY_DEBUG)
    {
        size_t max_used = 0, max_blocks = 0;
        mbedtls_memory_buffer_alloc_max_get(&max_used, &max_blocks);
        out->heap_max_used = max_used;
    }
#endif
    out->ca_loaded = st->ca_loaded;
    out->ca_skipped = st->ca_skipped;
    out->handshakes = st->handshakes;
    out->resumed = st->resumed;
    out->version = st->version;
    out->last_resumed = st->last_resumed;
    out->ciphersuite = st->suite;
}

void floe_tls_forget_session(struct floe_tls *tls)
{
    if (tls != NULL && tls->st != NULL)
        drop_session(tls->st);
}

void floe_tls_free(struct floe_tls *tls)
{
    if (tls == NULL || tls->st == NULL)
        return;
    release(tls->st);
    tls->st = NULL;
}

#else /* FLOE_NO_TLS: the API stays, every call reports FLOE_ERR_UNSUPPORTED. */

#include "floe/tls.h"
#include "core/internal.h"

size_t floe_tls_size(const struct floe_tls_config *cfg)
{
    (void)cfg;
    return 0;
}

int floe_tls_setup(struct floe_tls *tls, const struct floe_tls_config *cfg, struct floe_arena *arena)
{
    (void)cfg;
    (void)arena;
    if (tls != NULL) {
        tls->st = NULL;
        floe_format(tls->error, sizeof tls->error, "TLS compiled out (FLOE_NO_TLS)");
    }
    return FLOE_ERR_UNSUPPORTED;
}

int floe_tls_connect(struct floe_tls *tls, const struct floe_tls_transport *transport, const char *host_name,
                     uint32_t timeout_ms)
{
    (void)tls;
    (void)transport;
    (void)host_name;
    (void)timeout_ms;
    return FLOE_ERR_UNSUPPORTED;
}

size_t floe_tls_write_unit(void *ctx)
{
    (void)ctx;
    return 0;
}

floe_ssize_t floe_tls_send(void *ctx, const void *buf, size_t n, uint32_t timeout_ms)
{
    (void)ctx;
    (void)buf;
    (void)n;
    (void)timeout_ms;
    return FLOE_ERR_UNSUPPORTED;
}

floe_ssize_t floe_tls_recv(void *ctx, void *buf, size_t n, uint32_t timeout_ms)
{
    (void)ctx;
    (void)buf;
    (void)n;
    (void)timeout_ms;
    return FLOE_ERR_UNSUPPORTED;
}

int floe_tls_close(void *ctx)
{
    (void)ctx;
    return FLOE_ERR_UNSUPPORTED;
}

const char *floe_tls_last_error(const struct floe_tls *tls)
{
    return tls != NULL ? tls->error : "";
}

void floe_tls_stats(const struct floe_tls *tls, struct floe_tls_stats *out)
{
    (void)tls;
    if (out != NULL) {
        floe_memset(out, 0, sizeof *out);
        out->ciphersuite = "";
    }
}

void floe_tls_forget_session(struct floe_tls *tls)
{
    (void)tls;
}

void floe_tls_free(struct floe_tls *tls)
{
    if (tls != NULL)
        tls->st = NULL;
}

#endif /* FLOE_NO_TLS */
