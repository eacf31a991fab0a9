/* HTTP/1.1 for S3: an incremental response parser with no I/O (RFC 9112
 * message syntax and framing) and a client that writes one request on a
 * floe_stream and reads the answer through the parser, under idle and
 * overall deadlines from the clock port. */
#include "core/internal.h"
#include "floe/arena.h"
#include "floe/http.h"

/* ---- character classes -------------------------------------------------- */

static int is_tchar(uint8_t ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return 1;
    switch (ch) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return 1;
    default:
        return 0;
    }
}

/* field-vchar, SP or HTAB (obs-text included): what a field value, reason
 * phrase or chunk extension may hold. */
static int is_text(uint8_t ch)
{
    return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

static int is_ows(uint8_t ch)
{
    return ch == ' ' || ch == '\t';
}

static int hex_value(uint8_t ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static uint8_t lower(uint8_t ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch - 'A' + 'a') : ch;
}

/* Case-insensitive equality of s[0..n) and the lowercase word. */
static int word_is(const char *s, size_t n, const char *word)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (word[i] == '\0' || lower((uint8_t)s[i]) != (uint8_t)word[i])
            return 0;
    return word[n] == '\0';
}

static int name_eq(const char *a, const char *b)
{
    while (*a != '\0' && *b != '\0') {
        if (lower((uint8_t)*a) != lower((uint8_t)*b))
            return 0;
        a++;
        b++;
    }
    return *a == *b;
}

/* ---- header block ------------------------------------------------------- */

/* The block is a run of "name\0value\0" pairs. */
static int block_next(const char *block, size_t len, size_t *pos, const char **name,
                      const char **value, size_t *vlen)
{
    size_t i = *pos, n0, v0;
    if (i >= len)
        return FLOE_ERR_MISSING;
    n0 = i;
    while (i < len && block[i] != '\0')
        i++;
    if (i >= len)
        return FLOE_ERR_MISSING;
    v0 = ++i;
    while (i < len && block[i] != '\0')
        i++;
    if (i >= len)
        return FLOE_ERR_MISSING;
    *name = block + n0;
    *value = block + v0;
    if (vlen != NULL)
        *vlen = i - v0;
    *pos = i + 1;
    return FLOE_OK;
}

static int block_find(const char *block, size_t len, const char *name, const char **value,
                      size_t *vlen)
{
    size_t pos = 0;
    const char *n, *v;
    size_t l;
    while (block_next(block, len, &pos, &n, &v, &l) == FLOE_OK) {
        if (name_eq(n, name)) {
            if (value != NULL)
                *value = v;
            if (vlen != NULL)
                *vlen = l;
            return FLOE_OK;
        }
    }
    return FLOE_ERR_MISSING;
}

/* ---- parser ------------------------------------------------------------- */

enum {
    P_STATUS, P_HEADER, P_INTERIM, P_BODY_LEN, P_BODY_CLOSE, P_CHUNK_SIZE, P_CHUNK_DATA,
    P_CHUNK_CRLF, P_TRAILER, P_DONE, P_ERROR
};

/* Sub-states of the byte-at-a-time lines. */
enum { CS_DIGITS, CS_AFTER, CS_EXT, CS_CR };            /* chunk-size line */
enum { TR_START, TR_MID, TR_START_CR, TR_MID_CR };      /* trailer section */

static void reset_message(struct floe_http_parser *p)
{
    p->state = P_STATUS;
    p->substate = 0;
    p->headers_done = 0;
    p->te_seen = p->te_chunked = p->te_chunked_last = p->te_other = 0;
    p->cl_seen = p->conn_close = p->conn_keep = 0;
    p->hdr_len = p->line_len = p->raw = p->line_raw = p->fields_at = 0;
    p->remaining = 0;
    p->chunk_digits = 0;
    p->header_count = 0;
    p->has_retry_after = 0;
    p->retry_after_s = 0;
    p->content_length = -1;
    p->keep_alive = 0;
    p->chunked = 0;
}

int floe_http_parser_init(struct floe_http_parser *p, void *hdr, size_t hdr_cap, void *body,
                          size_t body_cap, uint16_t max_headers, unsigned flags)
{
    FLOE_FAIL_IF(p == NULL || hdr == NULL || hdr_cap < 16 || max_headers == 0, FLOE_ERR_INVAL);
    FLOE_FAIL_IF(body == NULL && body_cap > 0, FLOE_ERR_INVAL);
    floe_memset(p, 0, sizeof *p);
    p->hdr = (char *)hdr;
    p->hdr_cap = hdr_cap;
    p->body = (uint8_t *)body;
    p->body_cap = body_cap;
    p->max_headers = max_headers;
    p->flags = (uint8_t)flags;
    reset_message(p);
    return FLOE_OK;
}

/* Collects bytes of the current status/header line, up to and including
 * LF. Returns 1 when the line is complete (LF consumed; a CR before it
 * dropped), 0 when all input went into the line, or FLOE_ERR_LIMIT. */
static int collect_line(struct floe_http_parser *p, const uint8_t *d, size_t n, size_t *i)
{
    const uint8_t *start = d + *i;
    const uint8_t *lf = (const uint8_t *)floe_memchr(start, '\n', n - *i);
    size_t seg = lf != NULL ? (size_t)(lf - start) : n - *i;
    size_t take = lf != NULL ? seg + 1 : seg;
    /* The raw section bound; the stored form never outgrows the raw bytes,
     * but keep one spare byte for the in-place rewrite all the same. */
    if (take > p->hdr_cap - p->raw || seg + 1 > p->hdr_cap - p->hdr_len - p->line_len)
        return FLOE_ERR_LIMIT;
    floe_memcpy(p->hdr + p->hdr_len + p->line_len, start, seg);
    p->line_len += seg;
    p->raw += take;
    *i += take;
    if (lf == NULL)
        return 0;
    if (p->line_len > 0 && p->hdr[p->hdr_len + p->line_len - 1] == '\r')
        p->line_len--;
    return 1;
}

/* "HTTP/1.x 200 reason": keeps only "reason\0" at the start of the block. */
static int status_line(struct floe_http_parser *p)
{
    char *s = p->hdr;
    size_t n = p->line_len, i, reason_at;
    if (n < 12 || floe_memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != ' ')
        return FLOE_ERR_MALFORMED;
    if (s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9')
        return FLOE_ERR_MALFORMED;
    if (n > 12 && s[12] != ' ')
        return FLOE_ERR_MALFORMED;
    reason_at = n > 12 ? 13 : 12; /* a missing SP before an empty reason is tolerated */
    for (i = reason_at; i < n; i++)
        if (!is_text((uint8_t)s[i]))
            return FLOE_ERR_MALFORMED;
    p->version_minor = s[7] == '0' ? 0 : 1;
    p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    floe_memmove(s, s + reason_at, n - reason_at);
    s[n - reason_at] = '\0';
    p->hdr_len = n - reason_at + 1;
    p->fields_at = p->hdr_len;
    p->line_len = 0;
    return FLOE_OK;
}

/* Calls fn for each non-empty element of a comma-separated list, trimmed. */
typedef int (*list_fn)(struct floe_http_parser *p, const char *s, size_t n);

static int each_element(struct floe_http_parser *p, const char *v, size_t n, list_fn fn)
{
    size_t i = 0;
    while (i <= n) {
        size_t a = i, b;
        while (i < n && v[i] != ',')
            i++;
        b = i;
        while (a < b && is_ows((uint8_t)v[a]))
            a++;
        while (b > a && is_ows((uint8_t)v[b - 1]))
            b--;
        if (b > a)
            FLOE_TRY(fn(p, v + a, b - a));
        i++;
    }
    return FLOE_OK;
}

static int te_element(struct floe_http_parser *p, const char *s, size_t n)
{
    if (word_is(s, n, "chunked")) {
        if (p->te_chunked)
            return FLOE_ERR_MALFORMED; /* chunked applied twice */
        p->te_chunked = 1;
        p->te_chunked_last = 1;
    } else {
        p->te_other = 1;
        p->te_chunked_last = 0;
    }
    return FLOE_OK;
}

static int conn_element(struct floe_http_parser *p, const char *s, size_t n)
{
    if (word_is(s, n, "close"))
        p->conn_close = 1;
    else if (word_is(s, n, "keep-alive"))
        p->conn_keep = 1;
    return FLOE_OK;
}

/* Content-Length: 1*DIGIT, or a list of identical values ("42, 42"). */
static int content_length(struct floe_http_parser *p, const char *v, size_t n)
{
    size_t i = 0;
    int any = 0;
    while (i <= n) {
        uint64_t x = 0;
        size_t digits = 0;
        while (i < n && is_ows((uint8_t)v[i]))
            i++;
        while (i < n && v[i] >= '0' && v[i] <= '9') {
            uint64_t d = (uint64_t)(v[i] - '0');
            if (x > ((uint64_t)INT64_MAX - d) / 10u)
                return FLOE_ERR_LIMIT;
            x = x * 10u + d;
            digits++;
            i++;
        }
        while (i < n && is_ows((uint8_t)v[i]))
            i++;
        if (digits == 0 || (i < n && v[i] != ','))
            return FLOE_ERR_MALFORMED;
        if ((p->cl_seen || any) && (int64_t)x != p->content_length)
            return FLOE_ERR_MALFORMED;
        p->content_length = (int64_t)x;
        any = 1;
        i++;
    }
    p->cl_seen = 1;
    return FLOE_OK;
}

/* "name: value" at hdr + hdr_len becomes "name\0value\0" in place. */
static int header_line(struct floe_http_parser *p)
{
    char *s = p->hdr + p->hdr_len;
    size_t n = p->line_len, colon = 0, a, b, i;
    if (is_ows((uint8_t)s[0]))
        return FLOE_ERR_MALFORMED; /* obs-fold (or a leading space) */
    while (colon < n && s[colon] != ':') {
        if (!is_tchar((uint8_t)s[colon]))
            return FLOE_ERR_MALFORMED;
        colon++;
    }
    if (colon == 0 || colon == n)
        return FLOE_ERR_MALFORMED;
    a = colon + 1;
    b = n;
    while (a < b && is_ows((uint8_t)s[a]))
        a++;
    while (b > a && is_ows((uint8_t)s[b - 1]))
        b--;
    for (i = a; i < b; i++)
        if (!is_text((uint8_t)s[i]))
            return FLOE_ERR_MALFORMED;
    if (p->header_count >= p->max_headers)
        return FLOE_ERR_LIMIT;
    p->header_count++;
    s[colon] = '\0';
    floe_memmove(s + colon + 1, s + a, b - a);
    s[colon + 1 + (b - a)] = '\0';
    p->hdr_len += colon + 1 + (b - a) + 1;
    p->line_len = 0;
    {
        const char *v = s + colon + 1;
        size_t vn = b - a;
        if (word_is(s, colon, "content-length"))
            return content_length(p, v, vn);
        if (word_is(s, colon, "transfer-encoding")) {
            p->te_seen = 1;
            return each_element(p, v, vn, te_element);
        }
        if (word_is(s, colon, "connection"))
            return each_element(p, v, vn, conn_element);
    }
    return FLOE_OK;
}

static void retry_after(struct floe_http_parser *p)
{
    const char *v;
    size_t n, i;
    uint64_t x = 0;
    if (block_find(p->hdr + p->fields_at, p->hdr_len - p->fields_at, "retry-after", &v, &n) != FLOE_OK ||
        n == 0)
        return;
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return; /* an HTTP-date: ignored */
        if (x < UINT32_MAX)
            x = x * 10u + (uint64_t)(v[i] - '0');
    }
    p->retry_after_s = x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
    p->has_retry_after = 1;
}

/* The empty line: decide how the body is framed (RFC 9112 6.3). Returns
 * FLOE_HTTP_MORE to go on reading, INTERIM or DONE, or an error. */
static int end_of_headers(struct floe_http_parser *p)
{
    p->headers_done = 1;
    if (p->status < 200) {
        if (p->status == 101)
            return FLOE_ERR_HTTP;
        if (++p->interim_count > FLOE_HTTP_MAX_INTERIM)
            return FLOE_ERR_LIMIT;
        p->state = P_INTERIM;
        return FLOE_HTTP_INTERIM;
    }
    retry_after(p);
    p->keep_alive = (uint8_t)(p->version_minor >= 1 ? !p->conn_close : (p->conn_keep && !p->conn_close));
    if (((p->flags & FLOE_HTTP_PARSE_CONNECT) && p->status < 300) ||
        (p->flags & FLOE_HTTP_PARSE_HEAD) || p->status == 204 || p->status == 304) {
        p->state = P_DONE;
        return FLOE_HTTP_DONE;
    }
    if (p->te_seen) {
        /* Both framings at once, or chunked from an HTTP/1.0 server, is how
         * response splitting looks: refuse it. */
        if (p->cl_seen || p->version_minor == 0)
            return FLOE_ERR_MALFORMED;
        if (p->te_other)
            return FLOE_ERR_UNSUPPORTED;
        if (!p->te_chunked_last)
            return FLOE_ERR_MALFORMED; /* an empty Transfer-Encoding */
        p->chunked = 1;
        p->state = P_CHUNK_SIZE;
        p->substate = CS_DIGITS;
        return FLOE_HTTP_MORE;
    }
    if (p->cl_seen) {
        p->remaining = (uint64_t)p->content_length;
        p->state = p->remaining == 0 ? P_DONE : P_BODY_LEN;
        return p->remaining == 0 ? FLOE_HTTP_DONE : FLOE_HTTP_MORE;
    }
    p->keep_alive = 0; /* the body ends when the connection does */
    p->state = P_BODY_CLOSE;
    return FLOE_HTTP_MORE;
}

static void store_body(struct floe_http_parser *p, const uint8_t *d, size_t n)
{
    size_t room = p->body_cap - p->body_len;
    size_t k = n < room ? n : room;
    if (k > 0) {
        floe_memcpy(p->body + p->body_len, d, k);
        p->body_len += k;
    }
    if (k < n)
        p->body_truncated = 1;
    p->body_total += n;
}

static int chunk_size_byte(struct floe_http_parser *p, uint8_t ch)
{
    if (++p->line_raw > FLOE_HTTP_CHUNK_LINE_MAX)
        return FLOE_ERR_LIMIT;
    switch (p->substate) {
    case CS_DIGITS: {
        int h = hex_value(ch);
        if (h >= 0) {
            if (++p->chunk_digits > 16)
                return FLOE_ERR_LIMIT;
            p->remaining = (p->remaining << 4) | (uint64_t)h;
            return FLOE_HTTP_MORE;
        }
        if (p->chunk_digits == 0)
            return FLOE_ERR_MALFORMED;
        p->substate = CS_AFTER;
    }
    /* fall through */
    case CS_AFTER:
        if (is_ows(ch))
            return FLOE_HTTP_MORE;
        if (ch == ';') {
            p->substate = CS_EXT;
            return FLOE_HTTP_MORE;
        }
        break;
    case CS_EXT:
        if (ch != '\r' && ch != '\n')
            return is_text(ch) ? FLOE_HTTP_MORE : FLOE_ERR_MALFORMED;
        break;
    default: /* CS_CR */
        if (ch != '\n')
            return FLOE_ERR_MALFORMED;
        break;
    }
    if (ch == '\r' && p->substate != CS_CR) {
        p->substate = CS_CR;
        return FLOE_HTTP_MORE;
    }
    if (ch != '\n')
        return FLOE_ERR_MALFORMED;
    /* The line ended: extensions are ignored. */
    p->line_raw = 0;
    p->substate = TR_START;
    p->state = p->remaining == 0 ? P_TRAILER : P_CHUNK_DATA;
    return FLOE_HTTP_MORE;
}

/* Trailer fields after the last chunk: checked for stray control bytes,
 * bounded, and skipped. */
static int trailer_byte(struct floe_http_parser *p, uint8_t ch)
{
    if (++p->line_raw > p->hdr_cap)
        return FLOE_ERR_LIMIT;
    switch (p->substate) {
    case TR_START:
    case TR_MID:
        if (ch == '\n') {
            if (p->substate == TR_START) {
                p->state = P_DONE;
                return FLOE_HTTP_DONE;
            }
            p->substate = TR_START;
            return FLOE_HTTP_MORE;
        }
        if (ch == '\r') {
            p->substate = p->substate == TR_START ? TR_START_CR : TR_MID_CR;
            return FLOE_HTTP_MORE;
        }
        if (!is_text(ch))
            return FLOE_ERR_MALFORMED;
        p->substate = TR_MID;
        return FLOE_HTTP_MORE;
    default:
        if (ch != '\n')
            return FLOE_ERR_MALFORMED;
        if (p->substate == TR_START_CR) {
            p->state = P_DONE;
            return FLOE_HTTP_DONE;
        }
        p->substate = TR_START;
        return FLOE_HTTP_MORE;
    }
}

static int run(struct floe_http_parser *p, const uint8_t *d, size_t n, size_t *ip)
{
    size_t i = *ip;
    int r = FLOE_HTTP_MORE;
    while (i < n && r == FLOE_HTTP_MORE) {
        switch (p->state) {
        case P_STATUS:
        case P_HEADER:
            r = collect_line(p, d, n, &i);
            if (r <= 0)
                break;
            if (p->state == P_STATUS) {
                r = status_line(p);
                p->state = P_HEADER;
            } else if (p->line_len == 0) {
                r = end_of_headers(p);
            } else {
                r = header_line(p);
            }
            break;
        case P_BODY_LEN:
        case P_CHUNK_DATA: {
            size_t k = n - i;
            if ((uint64_t)k > p->remaining)
                k = (size_t)p->remaining;
            store_body(p, d + i, k);
            i += k;
            p->remaining -= k;
            if (p->remaining == 0) {
                if (p->state == P_BODY_LEN) {
                    p->state = P_DONE;
                    r = FLOE_HTTP_DONE;
                } else {
                    p->state = P_CHUNK_CRLF;
                    p->substate = 0;
                }
            }
            break;
        }
        case P_BODY_CLOSE:
            store_body(p, d + i, n - i);
            i = n;
            break;
        case P_CHUNK_CRLF: {
            uint8_t ch = d[i++];
            if (ch == '\r' && p->substate == 0) {
                p->substate = 1;
            } else if (ch == '\n') {
                p->state = P_CHUNK_SIZE;
                p->substate = CS_DIGITS;
                p->chunk_digits = 0;
                p->line_raw = 0;
            } else {
                r = FLOE_ERR_MALFORMED;
            }
            break;
        }
        case P_CHUNK_SIZE:
            r = chunk_size_byte(p, d[i++]);
            break;
        case P_TRAILER:
            r = trailer_byte(p, d[i++]);
            break;
        default:
            r = FLOE_ERR_STATE; /* unreachable: feed() handles the others */
            break;
        }
    }
    *ip = i;
    return r;
}

int floe_http_parser_feed(struct floe_http_parser *p, const void *data, size_t n, size_t *used)
{
    size_t i = 0;
    int r;
    if (used != NULL)
        *used = 0;
    FLOE_FAIL_IF(p == NULL || p->hdr == NULL || (data == NULL && n > 0), FLOE_ERR_INVAL);
    if (p->state == P_ERROR)
        return p->err;
    if (p->state == P_DONE)
        return FLOE_HTTP_DONE;
    if (p->state == P_INTERIM)
        reset_message(p);
    r = run(p, (const uint8_t *)data, n, &i);
    if (r < 0) {
        p->state = P_ERROR;
        p->err = r;
    }
    if (used != NULL)
        *used = i;
    return r;
}

int floe_http_parser_eof(struct floe_http_parser *p)
{
    FLOE_FAIL_IF(p == NULL, FLOE_ERR_INVAL);
    if (p->state == P_ERROR)
        return p->err;
    if (p->state == P_BODY_CLOSE)
        p->state = P_DONE;
    if (p->state == P_DONE)
        return FLOE_HTTP_DONE;
    p->state = P_ERROR;
    p->err = FLOE_ERR_MALFORMED;
    return p->err;
}

int floe_http_parser_header(const struct floe_http_parser *p, const char *name,
                            const char **value, size_t *len)
{
    FLOE_FAIL_IF(p == NULL || name == NULL, FLOE_ERR_INVAL);
    if (!p->headers_done)
        return FLOE_ERR_STATE;
    return block_find(p->hdr + p->fields_at, p->hdr_len - p->fields_at, name, value, len);
}

/* ---- client ------------------------------------------------------------- */

/* Zero-byte stream calls with no clock movement in between, before the
 * client gives up: a guard against ports that return 0 without waiting. */
#define STALL_MAX 10000u
/* Largest single send from a caller's memory body. */
#define SEND_PIECE_MAX ((size_t)1 << 16)

static void resolve(const struct floe_http_config *cfg, struct floe_http_config *r)
{
    *r = *cfg;
    if (r->header_max == 0)
        r->header_max = FLOE_HTTP_DEFAULT_HEADER_MAX;
    if (r->send_buf == 0)
        r->send_buf = FLOE_HTTP_DEFAULT_SEND_BUF;
    if (r->recv_buf == 0)
        r->recv_buf = FLOE_HTTP_DEFAULT_RECV_BUF;
    if (r->body_max == 0)
        r->body_max = FLOE_HTTP_DEFAULT_BODY_MAX;
    if (r->max_headers == 0)
        r->max_headers = FLOE_HTTP_DEFAULT_MAX_HEADERS;
    if (r->io_timeout_ms == 0)
        r->io_timeout_ms = FLOE_HTTP_DEFAULT_IO_TIMEOUT_MS;
    if (r->request_timeout_ms == 0)
        r->request_timeout_ms = FLOE_HTTP_DEFAULT_REQUEST_TIMEOUT_MS;
    if (r->continue_timeout_ms == 0)
        r->continue_timeout_ms = FLOE_HTTP_DEFAULT_CONTINUE_TIMEOUT_MS;
}

static int config_ok(const struct floe_http_config *r)
{
    return r->clock != NULL && r->clock->monotonic_ms != NULL && r->header_max >= 128 &&
           r->send_buf >= 64 && r->recv_buf >= 64;
}

static int carve(struct floe_arena *a, const struct floe_http_config *r, struct floe_http_client *c)
{
    void *hdr, *snd, *rcv, *body;
    FLOE_TRY(floe_arena_take(a, FLOE_ALIGN_UP(r->header_max, 8u), 8, &hdr));
    FLOE_TRY(floe_arena_take(a, FLOE_ALIGN_UP(r->send_buf, 8u), 8, &snd));
    FLOE_TRY(floe_arena_take(a, FLOE_ALIGN_UP(r->recv_buf, 8u), 8, &rcv));
    FLOE_TRY(floe_arena_take(a, FLOE_ALIGN_UP(r->body_max, 8u), 8, &body));
    if (c != NULL) {
        c->hdr = (char *)hdr;
        c->hdr_cap = r->header_max;
        c->send_buf = (uint8_t *)snd;
        c->send_cap = r->send_buf;
        c->recv_buf = (uint8_t *)rcv;
        c->recv_cap = r->recv_buf;
        c->body = (uint8_t *)body;
        c->body_cap = r->body_max;
    }
    return FLOE_OK;
}

size_t floe_http_size(const struct floe_http_config *cfg)
{
    struct floe_http_config r;
    struct floe_arena a;
    if (cfg == NULL)
        return 0;
    resolve(cfg, &r);
    if (!config_ok(&r))
        return 0;
    floe_arena_init_counting(&a);
    if (carve(&a, &r, NULL) != FLOE_OK)
        return 0;
    return a.used;
}

void floe_http_init(struct floe_http_client *c)
{
    if (c != NULL)
        floe_memset(c, 0, sizeof *c);
}

int floe_http_setup(struct floe_http_client *c, const struct floe_http_config *cfg,
                    struct floe_arena *arena)
{
    struct floe_http_config r;
    size_t mark;
    int err;
    FLOE_FAIL_IF(c == NULL || cfg == NULL || arena == NULL, FLOE_ERR_INVAL);
    resolve(cfg, &r);
    FLOE_FAIL_IF(!config_ok(&r), FLOE_ERR_INVAL);
    FLOE_FAIL_IF(floe_arena_counting(arena), FLOE_ERR_INVAL);
    floe_memset(c, 0, sizeof *c);
    mark = floe_arena_mark(arena);
    err = carve(arena, &r, c);
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        floe_memset(c, 0, sizeof *c);
        return err;
    }
    c->max_headers = r.max_headers;
    c->io_timeout_ms = r.io_timeout_ms;
    c->request_timeout_ms = r.request_timeout_ms;
    c->continue_timeout_ms = r.continue_timeout_ms;
    c->clock = r.clock;
    c->log = r.log;
    return FLOE_OK;
}

void floe_http_set_stream(struct floe_http_client *c, const struct floe_stream *s)
{
    if (c == NULL)
        return;
    if (s == NULL || s->send == NULL || s->recv == NULL) {
        floe_memset(&c->stream, 0, sizeof c->stream);
        c->has_stream = 0;
        c->reusable = 0;
    } else {
        c->stream = *s;
        c->has_stream = 1;
        c->reusable = 1;
    }
    c->recv_pos = c->recv_len = 0;
}

static uint64_t now_ms(const struct floe_http_client *c)
{
    return c->clock->monotonic_ms(c->clock->ctx);
}

static void begin(struct floe_http_client *c, uint32_t timeout_ms)
{
    uint64_t t = now_ms(c);
    c->deadline = t + (timeout_ms ? timeout_ms : c->request_timeout_ms);
    c->progress_at = t;
    c->stall_at = t;
    c->stalls = 0;
    c->send_len = 0;
    c->recv_pos = c->recv_len = 0;
}

/* The wait for the next stream call: what is left of the idle window and of
 * the overall deadline, and of cap_at when it is not 0. */
static int budget(struct floe_http_client *c, uint64_t cap_at, uint32_t *out)
{
    uint64_t t = now_ms(c), end = c->deadline, idle_end = c->progress_at + c->io_timeout_ms;
    if (t >= c->deadline || t >= idle_end)
        return FLOE_ERR_TIMEOUT;
    if (idle_end < end)
        end = idle_end;
    if (cap_at != 0 && cap_at < end)
        end = cap_at;
    if (end <= t)
        end = t + 1;
    *out = end - t > UINT32_MAX ? UINT32_MAX : (uint32_t)(end - t);
    return FLOE_OK;
}

/* Books the outcome of one stream call: bytes moved, 0 (try again), or an
 * error. */
static floe_ssize_t after_io(struct floe_http_client *c, floe_ssize_t r, size_t asked)
{
    uint64_t t;
    if (r < 0)
        return r;
    if ((size_t)r > asked)
        return FLOE_ERR_IO; /* a stream that claims more than it was given */
    t = now_ms(c);
    if (r > 0) {
        c->progress_at = t;
        c->stalls = 0;
        return r;
    }
    if (t != c->stall_at) {
        c->stall_at = t;
        c->stalls = 0;
    } else if (++c->stalls > STALL_MAX) {
        return FLOE_ERR_TIMEOUT;
    }
    return 0;
}

static int send_all(struct floe_http_client *c, const uint8_t *b, size_t n)
{
    while (n > 0) {
        uint32_t to;
        size_t k = n < SEND_PIECE_MAX ? n : SEND_PIECE_MAX;
        floe_ssize_t r;
        FLOE_TRY(budget(c, 0, &to));
        r = after_io(c, c->stream.send(c->stream.ctx, b, k, to), k);
        if (r < 0)
            return (int)r;
        b += r;
        n -= (size_t)r;
    }
    return FLOE_OK;
}

static int out_flush(struct floe_http_client *c)
{
    int err = send_all(c, c->send_buf, c->send_len);
    c->send_len = 0;
    return err;
}

static int out_put(struct floe_http_client *c, const void *s, size_t n)
{
    const uint8_t *b = (const uint8_t *)s;
    while (n > 0) {
        size_t room = c->send_cap - c->send_len, k;
        if (room == 0) {
            FLOE_TRY(out_flush(c));
            room = c->send_cap;
        }
        k = n < room ? n : room;
        floe_memcpy(c->send_buf + c->send_len, b, k);
        c->send_len += k;
        b += k;
        n -= k;
    }
    return FLOE_OK;
}

static int out_str(struct floe_http_client *c, const char *s)
{
    return out_put(c, s, floe_strlen(s));
}

static int out_u64(struct floe_http_client *c, uint64_t v)
{
    char rev[20];
    char txt[20];
    size_t n = 0, i;
    do {
        rev[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0);
    for (i = 0; i < n; i++)
        txt[i] = rev[n - 1 - i];
    return out_put(c, txt, n);
}

static int out_header(struct floe_http_client *c, const char *name, const char *value)
{
    FLOE_TRY(out_str(c, name));
    FLOE_TRY(out_put(c, ": ", 2));
    FLOE_TRY(out_str(c, value));
    return out_put(c, "\r\n", 2);
}

/* Checks for request smuggling through caller strings. */
static int token_ok(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!is_tchar((uint8_t)*s))
            return 0;
    return 1;
}

/* Visible ASCII only: targets and authorities go out as they are. */
static int visible_ok(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if ((uint8_t)*s <= 0x20 || (uint8_t)*s >= 0x7f)
            return 0;
    return 1;
}

static int value_ok(const char *s)
{
    if (s == NULL)
        return 0;
    for (; *s != '\0'; s++)
        if (!is_text((uint8_t)*s))
            return 0;
    return 1;
}

static int reserved_name(const char *name)
{
    return name_eq(name, "host") || name_eq(name, "content-length") ||
           name_eq(name, "connection") || name_eq(name, "expect") ||
           name_eq(name, "transfer-encoding");
}

static int request_ok(const struct floe_http_request *req)
{
    size_t i;
    if (!token_ok(req->method) || !visible_ok(req->target) || !visible_ok(req->host))
        return 0;
    if (req->header_count > 0 && req->headers == NULL)
        return 0;
    for (i = 0; i < req->header_count; i++) {
        const struct floe_http_header *h = &req->headers[i];
        if (!token_ok(h->name) || !value_ok(h->value) || reserved_name(h->name))
            return 0;
    }
    if (req->body != NULL && req->read_body != NULL)
        return 0;
    if (req->body_len > 0 && req->body == NULL && req->read_body == NULL)
        return 0;
    if (req->body != NULL && req->body_len > (uint64_t)SIZE_MAX)
        return 0;
    return 1;
}

static int write_head(struct floe_http_client *c, const struct floe_http_request *req, int expect)
{
    size_t i;
    FLOE_TRY(out_str(c, req->method));
    FLOE_TRY(out_put(c, " ", 1));
    FLOE_TRY(out_str(c, req->target));
    FLOE_TRY(out_put(c, " HTTP/1.1\r\n", 11));
    FLOE_TRY(out_header(c, "Host", req->host));
    if (req->body_len > 0 || name_eq(req->method, "PUT") || name_eq(req->method, "POST")) {
        FLOE_TRY(out_put(c, "Content-Length: ", 16));
        FLOE_TRY(out_u64(c, req->body_len));
        FLOE_TRY(out_put(c, "\r\n", 2));
    }
    if (expect)
        FLOE_TRY(out_header(c, "Expect", "100-continue"));
    for (i = 0; i < req->header_count; i++)
        FLOE_TRY(out_header(c, req->headers[i].name, req->headers[i].value));
    FLOE_TRY(out_header(c, "Connection", "keep-alive"));
    return out_put(c, "\r\n", 2);
}

/* Sends the body after the head. *from_stream tells a stream failure (the
 * server may have answered) from a failure of the body's source. */
static int send_body(struct floe_http_client *c, const struct floe_http_request *req,
                     int *from_stream)
{
    uint64_t off = 0;
    size_t unit, fill;
    int err;
    *from_stream = 1;
    if (req->body != NULL) {
        size_t n = (size_t)req->body_len;
        /* A small body rides along with the head. */
        if (n <= c->send_cap - c->send_len)
            FLOE_TRY(out_put(c, req->body, n));
        else {
            FLOE_TRY(out_flush(c));
            FLOE_TRY(send_all(c, (const uint8_t *)req->body, n));
        }
        return out_flush(c);
    }
    /* Flush in whole write units of the stream (TLS records): a 16 KiB
     * buffer over 16,383-byte TLS 1.3 records would otherwise send a
     * record of one byte after every full one. */
    unit = c->stream.write_unit != NULL ? c->stream.write_unit(c->stream.ctx) : 0;
    if (unit == 0 || unit > c->send_cap)
        unit = c->send_cap;
    fill = c->send_cap - c->send_cap % unit;
    while (off < req->body_len) {
        size_t room = fill > c->send_len ? fill - c->send_len : 0, k;
        int r;
        if (room == 0) {
            FLOE_TRY(out_flush(c));
            room = fill;
        }
        k = req->body_len - off < (uint64_t)room ? (size_t)(req->body_len - off) : room;
        if (k > (size_t)INT32_MAX)
            k = (size_t)INT32_MAX;
        r = req->read_body(req->body_ctx, off, c->send_buf + c->send_len, k);
        if (r <= 0 || (size_t)r > k) {
            *from_stream = 0;
            /* 0: the source is shorter than body_len; more than asked: it lies. */
            return r < 0 ? r : FLOE_ERR_IO;
        }
        c->send_len += (size_t)r;
        off += (uint64_t)r;
    }
    err = out_flush(c);
    return err;
}

/* No byte of a response has arrived yet. */
static int parser_quiet(const struct floe_http_parser *p)
{
    return p->state == P_INTERIM || (p->state == P_STATUS && p->raw == 0);
}

/* Reads and parses until the final response is complete (FLOE_HTTP_DONE),
 * or, with stop_on_100, a 100 Continue ends (FLOE_HTTP_INTERIM). While no
 * byte of a response is in, gives up at quiet_until (when not 0) with
 * FLOE_HTTP_MORE. Bytes after a 100 stay in recv_buf for the next call. */
static int read_until(struct floe_http_client *c, int stop_on_100, uint64_t quiet_until)
{
    struct floe_http_parser *p = &c->parser;
    for (;;) {
        uint64_t cap = 0;
        uint32_t to;
        floe_ssize_t n;
        if (c->recv_pos < c->recv_len) {
            size_t used = 0;
            int r = floe_http_parser_feed(p, c->recv_buf + c->recv_pos, c->recv_len - c->recv_pos, &used);
            c->recv_pos += used;
            if (r < 0 || r == FLOE_HTTP_DONE)
                return r;
            if (r == FLOE_HTTP_INTERIM) {
                if (stop_on_100 && p->status == 100)
                    return FLOE_HTTP_INTERIM;
                continue;
            }
        }
        c->recv_pos = c->recv_len = 0;
        if (quiet_until != 0 && parser_quiet(p)) {
            if (now_ms(c) >= quiet_until)
                return FLOE_HTTP_MORE;
            cap = quiet_until;
        }
        FLOE_TRY(budget(c, cap, &to));
        n = after_io(c, c->stream.recv(c->stream.ctx, c->recv_buf, c->recv_cap, to), c->recv_cap);
        if (n == FLOE_ERR_NET) {
            /* The peer closed: fine only if that is how this body ends. */
            return floe_http_parser_eof(p) == FLOE_HTTP_DONE ? FLOE_HTTP_DONE : FLOE_ERR_NET;
        }
        if (n < 0)
            return (int)n;
        c->recv_len = (size_t)n;
    }
}

static void fill_response(struct floe_http_client *c, struct floe_http_response *resp)
{
    const struct floe_http_parser *p = &c->parser;
    const char *v;
    size_t n;
    resp->status = p->status;
    resp->keep_alive = p->keep_alive;
    resp->chunked = p->chunked;
    resp->body_truncated = p->body_truncated;
    resp->has_retry_after = p->has_retry_after;
    resp->retry_after_s = p->retry_after_s;
    resp->content_length = p->content_length;
    resp->body = p->body;
    resp->body_len = p->body_len;
    resp->body_total = p->body_total;
    resp->reason = p->hdr;
    resp->headers = p->hdr + p->fields_at;
    resp->headers_len = p->hdr_len - p->fields_at;
    if (block_find(resp->headers, resp->headers_len, "etag", &v, &n) == FLOE_OK) {
        resp->etag = v;
        resp->etag_len = n;
    }
}

static void clear_response(struct floe_http_response *resp)
{
    uint8_t *buf = resp->body_buf;
    size_t cap = resp->body_cap;
    floe_memset(resp, 0, sizeof *resp);
    resp->body_buf = buf;
    resp->body_cap = cap;
    resp->content_length = -1;
}

static int fail(struct floe_http_client *c, struct floe_http_response *resp, const char *what, int err)
{
    c->reusable = 0;
    if (resp != NULL) {
        if (c->parser.headers_done && c->parser.status >= 200)
            resp->status = c->parser.status; /* a response cut short */
        resp->keep_alive = 0;
    }
    FLOE_LOG_WARN(c->log, "http: %s failed: %s", what, floe_errname(err));
    return err;
}

int floe_http_request(struct floe_http_client *c, const struct floe_http_request *req,
                      struct floe_http_response *resp)
{
    uint8_t *body;
    size_t body_cap;
    int has_body, expect, r, err, from_stream;
    FLOE_FAIL_IF(c == NULL || req == NULL || resp == NULL || c->clock == NULL, FLOE_ERR_INVAL);
    FLOE_FAIL_IF(resp->body_buf == NULL && resp->body_cap > 0, FLOE_ERR_INVAL);
    FLOE_FAIL_IF(!request_ok(req), FLOE_ERR_INVAL);
    clear_response(resp);
    if (!c->has_stream || !c->reusable)
        return FLOE_ERR_STATE;
    c->reusable = 0; /* until this exchange proves otherwise */
    body = resp->body_buf != NULL ? resp->body_buf : c->body;
    body_cap = resp->body_buf != NULL ? resp->body_cap : c->body_cap;
    FLOE_TRY(floe_http_parser_init(&c->parser, c->hdr, c->hdr_cap, body, body_cap, c->max_headers,
                                   name_eq(req->method, "HEAD") ? FLOE_HTTP_PARSE_HEAD : 0u));
    begin(c, req->timeout_ms);
    has_body = req->body_len > 0;
    expect = has_body && req->expect_continue;
    err = write_head(c, req, expect);
    if (err == FLOE_OK && (expect || !has_body))
        err = out_flush(c);
    if (err != FLOE_OK)
        return fail(c, resp, req->method, err);
    r = FLOE_HTTP_MORE;
    if (expect) {
        /* Wait for 100 Continue, a final answer (the body is then never
         * sent), or continue_timeout_ms of silence. */
        r = read_until(c, 1, now_ms(c) + c->continue_timeout_ms);
        if (r < 0)
            return fail(c, resp, req->method, r);
        /* Success for a body that never went out would lose data. */
        if (r == FLOE_HTTP_DONE && c->parser.status < 300)
            return fail(c, resp, req->method, FLOE_ERR_HTTP);
    }
    if (r != FLOE_HTTP_DONE) {
        if (has_body) {
            err = send_body(c, req, &from_stream);
            if (err != FLOE_OK) {
                /* The server may have answered and closed (400 or 403 in the
                 * middle of a large body): that answer says more than the
                 * send error. */
                c->progress_at = now_ms(c);
                if (from_stream && err == FLOE_ERR_NET &&
                    read_until(c, 0, now_ms(c) + c->continue_timeout_ms) == FLOE_HTTP_DONE &&
                    c->parser.status >= 300) {
                    fill_response(c, resp);
                    resp->keep_alive = 0;
                    c->last_status = resp->status;
                    return FLOE_OK;
                }
                return fail(c, resp, req->method, err);
            }
            resp->body_sent = 1;
        }
        c->progress_at = now_ms(c); /* the wait for the answer starts now */
        r = read_until(c, 0, 0);
        if (r < 0)
            return fail(c, resp, req->method, r);
    }
    fill_response(c, resp);
    /* Reusable only if the exchange ended exactly where the response did:
     * every body byte sent, no bytes beyond the response. */
    if ((has_body && !resp->body_sent) || c->recv_pos < c->recv_len)
        resp->keep_alive = 0;
    c->reusable = resp->keep_alive;
    c->last_status = resp->status;
    FLOE_LOG_DEBUG(c->log, "http: %s -> %d", req->method, resp->status);
    return FLOE_OK;
}

int floe_http_connect_tunnel(struct floe_http_client *c, const struct floe_stream *stream,
                             const char *host, uint16_t port, const char *proxy_auth)
{
    int r, v6;
    FLOE_FAIL_IF(c == NULL || c->clock == NULL || stream == NULL || stream->send == NULL ||
                     stream->recv == NULL || !visible_ok(host) || port == 0,
                 FLOE_ERR_INVAL);
    FLOE_FAIL_IF(proxy_auth != NULL && !value_ok(proxy_auth), FLOE_ERR_INVAL);
    FLOE_FAIL_IF(host[0] == '[', FLOE_ERR_INVAL); /* give IPv6 without brackets */
    floe_http_set_stream(c, stream);
    c->reusable = 0;
    c->last_status = 0;
    FLOE_TRY(floe_http_parser_init(&c->parser, c->hdr, c->hdr_cap, c->body, c->body_cap,
                                   c->max_headers, FLOE_HTTP_PARSE_CONNECT));
    begin(c, 0);
    v6 = floe_memchr(host, ':', floe_strlen(host)) != NULL;
    /* request-target and Host are both the authority "host:port". */
    {
        int pass, err = FLOE_OK;
        for (pass = 0; pass < 2 && err == FLOE_OK; pass++) {
            err = out_str(c, pass == 0 ? "CONNECT " : "Host: ");
            if (err == FLOE_OK && v6)
                err = out_put(c, "[", 1);
            if (err == FLOE_OK)
                err = out_str(c, host);
            if (err == FLOE_OK)
                err = out_str(c, v6 ? "]:" : ":");
            if (err == FLOE_OK)
                err = out_u64(c, port);
            if (err == FLOE_OK)
                err = out_str(c, pass == 0 ? " HTTP/1.1\r\n" : "\r\n");
        }
        if (err == FLOE_OK && proxy_auth != NULL)
            err = out_header(c, "Proxy-Authorization", proxy_auth);
        if (err == FLOE_OK)
            err = out_put(c, "\r\n", 2);
        if (err == FLOE_OK)
            err = out_flush(c);
        if (err != FLOE_OK)
            return fail(c, NULL, "CONNECT", err);
    }
    r = read_until(c, 0, 0);
    if (r < 0)
        return fail(c, NULL, "CONNECT", r);
    c->last_status = c->parser.status;
    if (c->parser.status >= 200 && c->parser.status < 300) {
        /* The proxy may not speak for the server: bytes after its header
         * block would be lost to TLS. */
        if (c->recv_pos < c->recv_len)
            return fail(c, NULL, "CONNECT", FLOE_ERR_HTTP);
        c->reusable = 1;
        return FLOE_OK;
    }
    FLOE_LOG_WARN(c->log, "http: CONNECT refused: %d", c->parser.status);
    return c->parser.status == 407 ? FLOE_ERR_AUTH : FLOE_ERR_HTTP;
}

int floe_http_header(const struct floe_http_response *resp, const char *name,
                     const char **value, size_t *len)
{
    FLOE_FAIL_IF(resp == NULL || name == NULL, FLOE_ERR_INVAL);
    if (resp->headers == NULL)
        return FLOE_ERR_MISSING;
    return block_find(resp->headers, resp->headers_len, name, value, len);
}

int floe_http_header_next(const struct floe_http_response *resp, size_t *pos,
                          const char **name, const char **value)
{
    FLOE_FAIL_IF(resp == NULL || pos == NULL || name == NULL || value == NULL, FLOE_ERR_INVAL);
    if (resp->headers == NULL)
        return FLOE_ERR_MISSING;
    return block_next(resp->headers, resp->headers_len, pos, name, value, NULL);
}
