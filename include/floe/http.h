/* floe: a small HTTP/1.1 client for S3, over plain TCP or TLS.
 *
 * Three layers, each usable alone:
 *
 *  - struct floe_stream: a byte stream (send/recv/close with timeouts). The
 *    plain-TCP stream over a net port is here (floe_tcp_stream_open); the TLS
 *    stream (src/net/tls.c) has the same shape.
 *  - struct floe_http_parser: an incremental response parser with no I/O,
 *    fed arbitrary chunks; bounded header block and body cap.
 *  - struct floe_http_client: writes one request on a stream and reads its
 *    response, with idle and overall deadlines from a clock port.
 *
 *     struct floe_http_config cfg = {0};
 *     cfg.clock = &clock;                      defaults for everything else
 *     size_t need = floe_http_size(&cfg);
 *     floe_http_init(&c);
 *     floe_http_setup(&c, &cfg, &arena);       arena holds >= need bytes
 *     floe_tcp_stream_open(&tcp, "s3.example", 80, 5000, &stream);
 *     floe_http_set_stream(&c, &stream);
 *     floe_http_request(&c, &req, &resp);      then resp.status, resp.body ...
 *     if (!resp.keep_alive) stream.close(stream.ctx);
 *
 * Nothing here allocates: all memory comes from the arena at setup. */
#ifndef FLOE_HTTP_H
#define FLOE_HTTP_H

#include "floe/arena.h"
#include "floe/port.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- streams ----------------------------------------------------------- */

/** A connected byte stream. Same conventions as the net port: send/recv
 *  return a byte count, 0 when nothing moved within timeout_ms, or a negative
 *  floe_err; recv returns FLOE_ERR_NET when the peer closed. Zero the struct
 *  (or set every field) before filling it in: optional fields are read. */
struct floe_stream {
    void *ctx;
    floe_ssize_t (*send)(void *ctx, const void *buf, size_t n, uint32_t timeout_ms);
    floe_ssize_t (*recv)(void *ctx, void *buf, size_t n, uint32_t timeout_ms);
    int (*close)(void *ctx);
    /** Optional (NULL: none): the most bytes one send() puts in one unit on
     *  the wire (a TLS record). The body is handed over in pieces of that
     *  size, so no record carries a few leftover bytes. */
    size_t (*write_unit)(void *ctx);
};

/** Plain TCP through a net port. The socket object comes from the arena once
 *  (setup); the stream can then be opened, closed and reopened any number of
 *  times. */
struct floe_tcp_stream {
    const struct floe_net_port *net;
    void *sock;        /* net->sock_size bytes from the arena */
    uint8_t connected;
};

/** @brief Arena bytes floe_tcp_stream_setup() takes (0 for a NULL port). */
size_t floe_tcp_stream_size(const struct floe_net_port *net);

/** @brief Takes the socket object from the arena.
 *  @return FLOE_OK; FLOE_ERR_INVAL; FLOE_ERR_NOMEM. */
int floe_tcp_stream_setup(struct floe_tcp_stream *t, const struct floe_net_port *net,
                          struct floe_arena *arena);

/**
 * @brief Connects to host:port (closing any earlier connection first) and
 * fills *out with a stream over it. out->close() closes the socket.
 * @return FLOE_OK; FLOE_ERR_INVAL; the port's connect error
 *         (FLOE_ERR_NET, FLOE_ERR_TIMEOUT).
 */
int floe_tcp_stream_open(struct floe_tcp_stream *t, const char *host, uint16_t port,
                         uint32_t timeout_ms, struct floe_stream *out);

/* ---- URLs -------------------------------------------------------------- */

#define FLOE_URL_HOST_MAX 255u  /* bytes of a host name or IPv6 literal */
#define FLOE_URL_MAX 8192u      /* bytes of a whole URL */

struct floe_url {
    uint8_t https;          /* 1 for https://, 0 for http:// */
    uint8_t ipv6;           /* host was an [IPv6] literal (host[] has no brackets) */
    uint8_t port_explicit;  /* the URL named a port */
    uint16_t port;          /* the named port, else 80 / 443 */
    char host[FLOE_URL_HOST_MAX + 1]; /* NUL-terminated, lowercased */
    /* Pointers into the parsed string (no copies, no decoding): */
    const char *userinfo;   /* "user:pass" before '@' (still %-encoded); NULL if none */
    size_t userinfo_len;
    const char *path;       /* starts with '/'; a static "/" when the URL has none */
    size_t path_len;
    const char *query;      /* after '?' (without it); NULL if none */
    size_t query_len;
};

/**
 * @brief Parses an absolute http:// or https:// URL (scheme case-insensitive).
 * A fragment ("#...") is dropped. Path, query and userinfo must be valid
 * RFC 3986 characters (%XX escapes with two hex digits); hosts are DNS-style
 * names (letters, digits, '-', '.', '_', '~'), IPv4, or [IPv6] without zone.
 * @return FLOE_OK; FLOE_ERR_INVAL (NULL argument); FLOE_ERR_UNSUPPORTED
 *         (another scheme); FLOE_ERR_LIMIT (URL over FLOE_URL_MAX, host over
 *         FLOE_URL_HOST_MAX); FLOE_ERR_MALFORMED (anything else invalid:
 *         missing "//", empty host, bad port, bad character or escape).
 */
int floe_url_parse(const char *url, struct floe_url *out);

/**
 * @brief Writes the authority as a Host header wants it: "host", "[v6]",
 * with ":port" only when it is not the scheme's default. NUL-terminated.
 * @return the length; FLOE_ERR_LIMIT when cap is too small; FLOE_ERR_INVAL.
 */
int floe_url_authority(const struct floe_url *u, char *out, size_t cap);

/* ---- response parser --------------------------------------------------- */

enum floe_http_parse_result {
    FLOE_HTTP_MORE = 0,    /* all input used; feed more */
    FLOE_HTTP_INTERIM = 1, /* a 1xx response ended (status holds it); the parser
                            * is ready for the next response: feed the rest */
    FLOE_HTTP_DONE = 2     /* the response is complete; *used says where it ended */
};

enum floe_http_parse_flags {
    FLOE_HTTP_PARSE_HEAD = 1,   /* response to HEAD: never a body */
    FLOE_HTTP_PARSE_CONNECT = 2 /* response to CONNECT: 2xx ends at the header block */
};

#define FLOE_HTTP_MAX_INTERIM 16u     /* 1xx responses before a final one */
#define FLOE_HTTP_CHUNK_LINE_MAX 1024u /* bytes of a chunk-size line with extensions */

struct floe_http_parser {
    /* buffers and limits (floe_http_parser_init) */
    char *hdr;            /* header block: "reason\0" then "name\0value\0" pairs */
    size_t hdr_cap;       /* also the bound on the raw header section */
    uint8_t *body;        /* where body bytes go, up to body_cap; the rest is discarded */
    size_t body_cap;
    uint16_t max_headers;
    uint8_t flags;        /* enum floe_http_parse_flags */
    /* state (private) */
    uint8_t state;
    uint8_t substate;
    uint8_t interim_count;
    uint8_t headers_done; /* the header block ended: lookups work */
    uint8_t te_seen, te_chunked, te_chunked_last, te_other; /* Transfer-Encoding */
    uint8_t cl_seen, conn_close, conn_keep;
    int err;
    size_t hdr_len;       /* bytes of the finished header block */
    size_t fields_at;     /* where the name/value pairs start (after the reason) */
    size_t line_len;      /* bytes of the line being collected (at hdr + hdr_len) */
    size_t raw;           /* raw bytes of the header section so far */
    size_t line_raw;      /* raw bytes of a chunk-size line / trailer section */
    uint64_t remaining;   /* bytes left in the Content-Length body or chunk */
    uint32_t chunk_digits;
    /* results */
    int status;           /* 100..599 */
    uint8_t version_minor;/* 0 or 1 (HTTP/1.x with x > 1 counts as 1) */
    uint8_t keep_alive;   /* the connection may carry another request */
    uint8_t chunked;      /* the body was chunked */
    uint8_t body_truncated; /* the body exceeded body_cap; the excess was discarded */
    uint8_t has_retry_after;
    uint16_t header_count;
    uint32_t retry_after_s; /* Retry-After in seconds (HTTP-date form is ignored) */
    int64_t content_length; /* -1 when absent */
    size_t body_len;      /* bytes stored in body */
    uint64_t body_total;  /* body bytes received, stored or not */
};

/**
 * @brief Prepares a parser. The header section (status line, fields, final
 * empty line) may take at most hdr_cap raw bytes and max_headers fields;
 * either bound exceeded is FLOE_ERR_LIMIT. body may be NULL with body_cap 0
 * (everything discarded, body_truncated set if there was any).
 * @return FLOE_OK or FLOE_ERR_INVAL (NULL parser/hdr, hdr_cap < 16,
 *         max_headers 0, body NULL with a cap).
 */
int floe_http_parser_init(struct floe_http_parser *p, void *hdr, size_t hdr_cap, void *body,
                          size_t body_cap, uint16_t max_headers, unsigned flags);

/**
 * @brief Feeds n bytes. *used (may be NULL) gets how many were consumed:
 * all of them for FLOE_HTTP_MORE; up to the end of the 1xx or final response
 * for FLOE_HTTP_INTERIM / FLOE_HTTP_DONE. After DONE or an error, further
 * calls return the same result and use nothing.
 * @return enum floe_http_parse_result; FLOE_ERR_MALFORMED (invalid syntax,
 *         obs-fold, conflicting Content-Length, Content-Length with
 *         Transfer-Encoding, bad chunk framing); FLOE_ERR_LIMIT (header block,
 *         header count, chunk-size digits, chunk line, Content-Length value,
 *         or interim responses over their bounds); FLOE_ERR_UNSUPPORTED
 *         (a transfer coding other than chunked on a body); FLOE_ERR_HTTP
 *         (101 Switching Protocols, never asked for).
 */
int floe_http_parser_feed(struct floe_http_parser *p, const void *data, size_t n, size_t *used);

/**
 * @brief Tells the parser the peer closed the connection.
 * @return FLOE_HTTP_DONE when that ends the response (a close-delimited
 *         body, or it was already done); FLOE_ERR_MALFORMED when the response
 *         is incomplete; an earlier error stays.
 */
int floe_http_parser_eof(struct floe_http_parser *p);

/**
 * @brief Looks up a header of the parsed response by name (case-insensitive;
 * the first of duplicates). The value is NUL-terminated, with surrounding
 * whitespace removed, valid until the parser is reset.
 * @return FLOE_OK; FLOE_ERR_MISSING; FLOE_ERR_STATE before the header block
 *         ended; FLOE_ERR_INVAL.
 */
int floe_http_parser_header(const struct floe_http_parser *p, const char *name,
                            const char **value, size_t *len);

/* ---- client ------------------------------------------------------------ */

#define FLOE_HTTP_DEFAULT_HEADER_MAX 8192u
#define FLOE_HTTP_DEFAULT_SEND_BUF 16384u
#define FLOE_HTTP_DEFAULT_RECV_BUF 2048u
#define FLOE_HTTP_DEFAULT_BODY_MAX 4096u
#define FLOE_HTTP_DEFAULT_MAX_HEADERS 64u
#define FLOE_HTTP_DEFAULT_IO_TIMEOUT_MS 30000u
#define FLOE_HTTP_DEFAULT_REQUEST_TIMEOUT_MS 600000u
#define FLOE_HTTP_DEFAULT_CONTINUE_TIMEOUT_MS 1000u

/** Zero fields take the defaults above. */
struct floe_http_config {
    size_t header_max;       /* response header section bound (and its buffer) */
    size_t send_buf;         /* request head and body pieces go out through this */
    size_t recv_buf;         /* response bytes come in through this */
    size_t body_max;         /* the client's own response body buffer */
    uint16_t max_headers;    /* response header fields */
    uint32_t io_timeout_ms;  /* longest wait without progress on a send/recv */
    uint32_t request_timeout_ms;  /* whole request, unless the request sets its own */
    uint32_t continue_timeout_ms; /* wait for 100 Continue before sending anyway */
    const struct floe_clock_port *clock; /* required */
    const struct floe_log_port *log;     /* may be NULL */
};

struct floe_http_header {
    const char *name;   /* a token, e.g. "x-amz-date" */
    const char *value;  /* no CR, LF or NUL inside */
};

struct floe_http_request {
    const char *method;     /* "PUT", "GET", "HEAD", "POST", "DELETE" ... */
    const char *target;     /* origin-form, e.g. "/bucket/key?uploadId=x" (already %-encoded) */
    const char *host;       /* the Host header value (see floe_url_authority) */
    const struct floe_http_header *headers; /* extra headers; not Host, Content-Length,
                                             * Connection, Expect, Transfer-Encoding */
    size_t header_count;
    /* The body: body_len bytes from memory (body) or from read_body, which
     * fills buf with up to n bytes of the body at offset and returns the
     * count (> 0) or a negative floe_err. Content-Length is sent when
     * body_len > 0 and always for PUT and POST. */
    uint64_t body_len;
    const void *body;
    int (*read_body)(void *ctx, uint64_t offset, void *buf, size_t n);
    void *body_ctx;
    uint8_t expect_continue; /* send "Expect: 100-continue" (only with a body) */
    uint32_t timeout_ms;     /* overall deadline; 0: the config's request_timeout_ms */
};

struct floe_http_response {
    /* In (optional): where the body goes. NULL: the client's own buffer of
     * cfg.body_max bytes. */
    uint8_t *body_buf;
    size_t body_cap;
    /* Out. Pointers stay valid until the next request on the client. */
    int status;
    uint8_t keep_alive;     /* the connection can carry another request */
    uint8_t body_sent;      /* the request body went out in full */
    uint8_t chunked;
    uint8_t body_truncated; /* body longer than the cap: the rest was read and dropped */
    uint8_t has_retry_after;
    uint32_t retry_after_s;
    int64_t content_length; /* -1 when absent */
    const uint8_t *body;
    size_t body_len;        /* bytes in body */
    uint64_t body_total;    /* body bytes received */
    const char *reason;     /* reason phrase, NUL-terminated (may be "") */
    const char *etag;       /* ETag value as sent (with quotes); NULL if none */
    size_t etag_len;
    const char *headers;    /* header block for floe_http_header()/floe_http_header_next() */
    size_t headers_len;
};

struct floe_http_client {
    struct floe_stream stream;
    uint8_t has_stream;
    uint8_t reusable;       /* the last exchange left the connection usable */
    uint16_t max_headers;
    uint32_t io_timeout_ms, request_timeout_ms, continue_timeout_ms;
    const struct floe_clock_port *clock;
    const struct floe_log_port *log;
    char *hdr;
    size_t hdr_cap;
    uint8_t *send_buf;
    size_t send_cap, send_len;
    uint8_t *recv_buf;
    size_t recv_cap, recv_pos, recv_len;
    uint8_t *body;
    size_t body_cap;
    int last_status;        /* status of the last final response (0: none) */
    /* deadlines of the request in progress */
    uint64_t deadline, progress_at, stall_at;
    uint32_t stalls;
    struct floe_http_parser parser;
};

/** @brief Arena bytes floe_http_setup() takes for cfg (0 for a bad config). */
size_t floe_http_size(const struct floe_http_config *cfg);

/** @brief Zeroes a client (safe to call before setup). */
void floe_http_init(struct floe_http_client *c);

/**
 * @brief Takes the client's buffers from the arena and copies the config.
 * @return FLOE_OK; FLOE_ERR_INVAL (no clock, buffers under 64 bytes, header
 *         max under 128); FLOE_ERR_NOMEM (nothing is taken).
 */
int floe_http_setup(struct floe_http_client *c, const struct floe_http_config *cfg,
                    struct floe_arena *arena);

/** @brief Uses this stream for the next requests (copied; NULL detaches). A
 *  new stream is assumed fresh: reusable again. */
void floe_http_set_stream(struct floe_http_client *c, const struct floe_stream *s);

/**
 * @brief Sends one request and reads its final response into *resp.
 *
 * With expect_continue, the head goes first; the body follows a 100
 * Continue, or continue_timeout_ms of silence. A final status before the
 * body (e.g. 403, 417) ends the exchange: the body is never sent, body_sent
 * is 0 and keep_alive 0. An error status that arrives while the body is
 * failing to go out (the server answered and reset) is returned the same
 * way. A 1xx/2xx in either case is FLOE_ERR_HTTP: the body did not arrive.
 *
 * Any other HTTP status is FLOE_OK here; the caller judges resp->status.
 * @return FLOE_OK; FLOE_ERR_INVAL (bad request fields, header injection);
 *         FLOE_ERR_STATE (no stream, or the last exchange left it unusable);
 *         FLOE_ERR_TIMEOUT (idle or overall deadline); FLOE_ERR_NET (closed
 *         or reset, also mid-response); FLOE_ERR_IO (read_body ended early)
 *         or read_body's own error; the stream's errors (FLOE_ERR_TLS...);
 *         the parser's errors (FLOE_ERR_MALFORMED, FLOE_ERR_LIMIT,
 *         FLOE_ERR_UNSUPPORTED, FLOE_ERR_HTTP). After an error the
 *         connection must be closed; resp->status holds the status of a
 *         response that was cut short (0 if none arrived).
 */
int floe_http_request(struct floe_http_client *c, const struct floe_http_request *req,
                      struct floe_http_response *resp);

/**
 * @brief Asks an HTTP proxy on @p stream for a tunnel to host:port
 * ("CONNECT host:port HTTP/1.1"). proxy_auth, when not NULL, is sent as the
 * Proxy-Authorization value (e.g. "Basic dXNlcjpwYXNz"). On success the
 * stream carries raw bytes to host:port: run TLS over it. The stream becomes
 * the client's stream either way; the status is in c->last_status.
 * @return FLOE_OK (2xx); FLOE_ERR_AUTH (407); FLOE_ERR_HTTP (another status,
 *         or bytes after the 2xx header block); the request errors above.
 */
int floe_http_connect_tunnel(struct floe_http_client *c, const struct floe_stream *stream,
                             const char *host, uint16_t port, const char *proxy_auth);

/**
 * @brief Looks up a response header by name (case-insensitive, the first of
 * duplicates). The value is NUL-terminated and trimmed.
 * @return FLOE_OK; FLOE_ERR_MISSING; FLOE_ERR_INVAL.
 */
int floe_http_header(const struct floe_http_response *resp, const char *name,
                     const char **value, size_t *len);

/**
 * @brief Walks all response headers in order: start with *pos = 0.
 * @return FLOE_OK with *name and *value set; FLOE_ERR_MISSING at the end.
 */
int floe_http_header_next(const struct floe_http_response *resp, size_t *pos,
                          const char **name, const char **value);

#ifdef __cplusplus
}
#endif
#endif
