/* AWS Signature Version 4 (header and presigned forms), written from AWS's
 * documentation: "Create a canonical request", the S3 API reference's
 * "Authenticating Requests (AWS Signature Version 4)" pages and the SigV4 test
 * suite.
 *
 * The canonical request is never stored: it is produced once, byte by byte,
 * into a sink that hashes it (and copies it to the caller's scratch when one
 * is given). Sorting the query parameters and headers needs no memory either:
 * each next item is found by a scan for the least one above the last emitted
 * (quadratic in the item count, which is a handful for S3 requests), and the
 * encoded forms being compared are generated on the fly. */
#include "floe/sigv4.h"
#include "core/internal.h"

#include <limits.h>

static const char hex_upper[] = "0123456789ABCDEF";
static const char scope_terminator[] = "aws4_request";

/* Longest string to sign: algorithm, date, scope (8 + 2 parts + terminator),
 * hash, separators. */
#define STS_MAX                                                                      \
    (sizeof FLOE_SIGV4_ALGORITHM + FLOE_SIGV4_AMZ_DATE_LEN + 1 + 8 + 1 +             \
     2 * (FLOE_SIGV4_SCOPE_PART_MAX + 1) + sizeof scope_terminator + 2 * FLOE_SHA256_LEN + 1)

/* ---- character classes --------------------------------------------------- */

static int is_unreserved(unsigned c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 9110 tchar: what a method or header name may be made of. */
static int is_tchar(unsigned c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return 1;
    default:
        return 0;
    }
}

static int hex_value(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    return -1;
}

static unsigned lower(unsigned c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int is_blank(unsigned c)
{
    return c == ' ' || c == '\t';
}

/* ---- output sink ---------------------------------------------------------- */

/* Produces bytes into an optional buffer and an optional hash, and counts them
 * all (past cap too, saturating), so one routine serves sizing and writing. */
struct sink {
    char *buf;
    size_t cap;
    size_t len;
    struct floe_sha256 *sha;
};

static void sink_init(struct sink *s, char *buf, size_t cap, struct floe_sha256 *sha)
{
    s->buf = buf;
    s->cap = buf != NULL ? cap : 0;
    s->len = 0;
    s->sha = sha;
}

static void put(struct sink *s, const char *p, size_t n)
{
    if (s->sha != NULL)
        floe_sha256_update(s->sha, p, n);
    if (s->len < s->cap) {
        size_t room = s->cap - s->len;
        floe_memcpy(s->buf + s->len, p, n < room ? n : room);
    }
    s->len = n > SIZE_MAX - s->len ? SIZE_MAX : s->len + n;
}

static void put_c(struct sink *s, char c)
{
    put(s, &c, 1);
}

static void put_s(struct sink *s, const char *str)
{
    put(s, str, floe_strlen(str));
}

static void put_enc_byte(struct sink *s, unsigned c, int keep_slash)
{
    if (is_unreserved(c) || (keep_slash && c == '/')) {
        put_c(s, (char)c);
    } else {
        char t[3];
        t[0] = '%';
        t[1] = hex_upper[(c >> 4) & 15];
        t[2] = hex_upper[c & 15];
        put(s, t, 3);
    }
}

static void put_enc(struct sink *s, const char *p, size_t n, int keep_slash)
{
    size_t i;
    for (i = 0; i < n; i++)
        put_enc_byte(s, (unsigned char)p[i], keep_slash);
}

/* NUL-terminates a finished sink: FLOE_ERR_NOMEM if it did not fit. */
static int sink_finish(struct sink *s)
{
    if (s->buf == NULL)
        return FLOE_OK;
    if (s->len >= s->cap) {
        if (s->cap > 0)
            s->buf[0] = '\0';
        return FLOE_ERR_NOMEM;
    }
    s->buf[s->len] = '\0';
    return FLOE_OK;
}

int floe_sigv4_uri_encode(const char *in, char *out, size_t cap, int keep_slash)
{
    struct sink s;
    FLOE_FAIL_IF(in == NULL || (out == NULL && cap > 0), FLOE_ERR_INVAL);
    FLOE_FAIL_IF(out == NULL, FLOE_ERR_NOMEM);
    sink_init(&s, out, cap, NULL);
    put_enc(&s, in, floe_strlen(in), keep_slash);
    FLOE_FAIL_IF(s.len > (size_t)INT_MAX, FLOE_ERR_LIMIT);
    FLOE_TRY(sink_finish(&s));
    return (int)s.len;
}

/* ---- encoded-form iteration (for sorting without storing) ----------------- */

/* Yields the SigV4 encoding of p[0..n), %-decoding it first when decode
 * (escapes already validated). */
struct enc_it {
    const char *p, *e;
    int decode;
    char pend[2];
    int npend;
};

static void enc_it_init(struct enc_it *it, const char *p, size_t n, int decode)
{
    it->p = p;
    it->e = p + n;
    it->decode = decode;
    it->npend = 0;
}

/* Next encoded byte, or -1 at the end. */
static int enc_next(struct enc_it *it)
{
    unsigned c;
    if (it->npend > 0) {
        int r = (unsigned char)it->pend[2 - it->npend];
        it->npend--;
        return r;
    }
    if (it->p == it->e)
        return -1;
    c = (unsigned char)*it->p;
    if (it->decode && c == '%') {
        c = (unsigned)(hex_value((unsigned char)it->p[1]) << 4 | hex_value((unsigned char)it->p[2]));
        it->p += 3;
    } else {
        it->p++;
    }
    if (is_unreserved(c))
        return (int)c;
    it->pend[0] = hex_upper[c >> 4];
    it->pend[1] = hex_upper[c & 15];
    it->npend = 2;
    return '%';
}

/* Byte order of the encoded forms (a proper prefix sorts first). */
static int enc_cmp(const char *a, size_t an, int adec, const char *b, size_t bn, int bdec)
{
    struct enc_it x, y;
    enc_it_init(&x, a, an, adec);
    enc_it_init(&y, b, bn, bdec);
    for (;;) {
        int cx = enc_next(&x), cy = enc_next(&y);
        if (cx != cy)
            return cx < cy ? -1 : 1;
        if (cx < 0)
            return 0;
    }
}

static void put_decoded_enc(struct sink *s, const char *p, size_t n, int decode)
{
    struct enc_it it;
    int c;
    enc_it_init(&it, p, n, decode);
    while ((c = enc_next(&it)) >= 0)
        put_c(s, (char)c);
}

/* ---- query parameters ----------------------------------------------------- */

struct qparam {
    const char *name, *value;
    size_t name_len, value_len;
    size_t pos; /* offset in the query: the tie-break between equal pairs */
};

/* Next non-empty '&'-separated segment at q[*pos..]; 0 at the end. */
static int next_param(const char *q, size_t qlen, size_t *pos, struct qparam *p)
{
    size_t i = *pos, start, end, eq;
    while (i < qlen && q[i] == '&')
        i++;
    if (i >= qlen) {
        *pos = qlen;
        return 0;
    }
    start = i;
    while (i < qlen && q[i] != '&')
        i++;
    end = i;
    for (eq = start; eq < end && q[eq] != '='; eq++)
        ;
    p->name = q + start;
    p->name_len = eq - start;
    p->value = eq < end ? q + eq + 1 : q + end;
    p->value_len = eq < end ? end - eq - 1 : 0;
    p->pos = start;
    *pos = end;
    return 1;
}

static int param_cmp(const struct qparam *a, const struct qparam *b)
{
    int c = enc_cmp(a->name, a->name_len, 1, b->name, b->name_len, 1);
    if (c == 0)
        c = enc_cmp(a->value, a->value_len, 1, b->value, b->value_len, 1);
    if (c == 0)
        c = a->pos < b->pos ? -1 : a->pos > b->pos;
    return c;
}

/* Decoded name equals lit, ignoring ASCII case. */
static int name_is(const struct qparam *p, const char *lit)
{
    size_t i = 0, j = 0;
    while (i < p->name_len) {
        unsigned c = (unsigned char)p->name[i];
        if (c == '%') {
            c = (unsigned)(hex_value((unsigned char)p->name[i + 1]) << 4 |
                           hex_value((unsigned char)p->name[i + 2]));
            i += 3;
        } else {
            i++;
        }
        if (lit[j] == '\0' || lower(c) != lower((unsigned char)lit[j]))
            return 0;
        j++;
    }
    return lit[j] == '\0';
}

/* ---- validated request ---------------------------------------------------- */

enum gen_param {
    GEN_ALGORITHM,
    GEN_CREDENTIAL,
    GEN_DATE,
    GEN_EXPIRES,
    GEN_TOKEN,
    GEN_SIGNED_HEADERS,
    GEN_COUNT
};

/* The presign parameters, in canonical (byte) order of their names. */
static const char *const gen_names[GEN_COUNT] = {
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
    "X-Amz-Security-Token", "X-Amz-SignedHeaders",
};

struct ctx {
    const struct floe_sigv4_request *req;
    const char *path;
    const char *query;
    size_t query_len;
    const char *payload;
    const char *access_key_id; /* NULL when only the canonical request is wanted */
    const char *token;         /* NULL when none */
    uint32_t expires;          /* 0: header signing */
    /* The signed headers: req's, then up to three added ones. */
    const struct floe_sigv4_header *hdr;
    size_t n_hdr;
    struct floe_sigv4_header added[3];
    size_t n_added;
};

static const struct floe_sigv4_header *hdr_at(const struct ctx *c, size_t i)
{
    return i < c->n_hdr ? &c->hdr[i] : &c->added[i - c->n_hdr];
}

static size_t hdr_count(const struct ctx *c)
{
    return c->n_hdr + c->n_added;
}

/* strcmp of the lower-cased names. */
static int name_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned x = lower((unsigned char)*a), y = lower((unsigned char)*b);
        if (x != y)
            return x < y ? -1 : 1;
        if (x == 0)
            return 0;
    }
}

static int valid_token(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return 0;
    return 1;
}

/* A field value: no control bytes but tab (CR and LF would split lines of
 * both the canonical request and the HTTP request). */
static int valid_value(const char *s)
{
    for (; *s; s++) {
        unsigned c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

static int valid_scope_part(const char *s)
{
    size_t n = 0;
    if (s == NULL)
        return 0;
    for (; s[n]; n++)
        if (n >= FLOE_SIGV4_SCOPE_PART_MAX || !is_unreserved((unsigned char)s[n]))
            return 0;
    return n > 0;
}

static int valid_amz_date(const char *d)
{
    int i;
    if (d == NULL)
        return 0;
    for (i = 0; i < FLOE_SIGV4_AMZ_DATE_LEN; i++) {
        unsigned c = (unsigned char)d[i];
        if (i == 8) {
            if (c != 'T')
                return 0;
        } else if (i == 15) {
            if (c != 'Z')
                return 0;
        } else if (c < '0' || c > '9') {
            return 0;
        }
    }
    return d[FLOE_SIGV4_AMZ_DATE_LEN] == '\0';
}

static int valid_payload(const char *p)
{
    size_t n;
    if (p == NULL)
        return 0;
    n = floe_strlen(p);
    if (n == 2 * FLOE_SHA256_LEN) {
        size_t i;
        for (i = 0; i < n; i++)
            if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
                return 0;
        return 1;
    }
    if (floe_strlen(FLOE_SIGV4_UNSIGNED_PAYLOAD) == n &&
        floe_memcmp(p, FLOE_SIGV4_UNSIGNED_PAYLOAD, n) == 0)
        return 1;
    if (n > 10 && floe_memcmp(p, "STREAMING-", 10) == 0) {
        size_t i;
        for (i = 10; i < n; i++)
            if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
                return 0;
        return 1;
    }
    return 0;
}

static int valid_access_key(const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (; *s; s++) {
        unsigned c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == ',')
            return 0;
    }
    return 1;
}

static int valid_query(const char *q, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (q[i] == '%' && (i + 2 >= n || hex_value((unsigned char)q[i + 1]) < 0 ||
                            hex_value((unsigned char)q[i + 2]) < 0))
            return 0;
    return 1;
}

/* The value as signed (trimmed, blank runs as one space) equals want. */
static int canon_value_is(const char *v, const char *want)
{
    int pending = 0, any = 0;
    for (; *v; v++) {
        if (is_blank((unsigned char)*v)) {
            pending = any;
            continue;
        }
        if (pending) {
            if (*want++ != ' ')
                return 0;
            pending = 0;
        }
        if (*want++ != *v)
            return 0;
        any = 1;
    }
    return *want == '\0';
}

/* Adds header name = value unless req lists it; if it does, its value must
 * be value. */
static int add_or_check(struct ctx *c, const char *name, const char *value)
{
    size_t i, seen = 0;
    for (i = 0; i < c->n_hdr; i++) {
        if (name_cmp(c->hdr[i].name, name) != 0)
            continue;
        if (++seen > 1 || !canon_value_is(c->hdr[i].value, value))
            return FLOE_ERR_INVAL;
    }
    if (seen == 0) {
        c->added[c->n_added].name = name;
        c->added[c->n_added].value = value;
        c->n_added++;
    }
    return FLOE_OK;
}

/* Checks everything the canonical request and the scope are made of. cr may
 * be NULL when only the canonical request of a header signature is wanted. */
static int ctx_init(struct ctx *c, const struct floe_sigv4_request *req,
                    const struct floe_sigv4_credentials *cr, uint32_t expires, int need_keys)
{
    size_t i;
    int have_host = 0;

    FLOE_FAIL_IF(req == NULL, FLOE_ERR_INVAL);
    if (expires > 0)
        need_keys = 1; /* X-Amz-Credential is part of what is signed */
    floe_memset(c, 0, sizeof *c);
    c->req = req;
    c->expires = expires;
    FLOE_FAIL_IF(!valid_token(req->method), FLOE_ERR_INVAL);
    c->path = req->path != NULL && req->path[0] != '\0' ? req->path : "/";
    FLOE_FAIL_IF(c->path[0] != '/', FLOE_ERR_INVAL);
    c->query = req->query != NULL ? req->query : "";
    c->query_len = floe_strlen(c->query);
    FLOE_FAIL_IF(!valid_query(c->query, c->query_len), FLOE_ERR_INVAL);
    c->payload = req->payload_sha256;
    if (c->payload == NULL && expires > 0)
        c->payload = FLOE_SIGV4_UNSIGNED_PAYLOAD;
    FLOE_FAIL_IF(!valid_payload(c->payload), FLOE_ERR_INVAL);
    FLOE_FAIL_IF(!valid_scope_part(req->region) || !valid_scope_part(req->service),
                 FLOE_ERR_INVAL);
    FLOE_FAIL_IF(!valid_amz_date(req->amz_date), FLOE_ERR_INVAL);
    FLOE_FAIL_IF(req->n_headers > 0 && req->headers == NULL, FLOE_ERR_INVAL);
    FLOE_FAIL_IF(expires > FLOE_SIGV4_MAX_EXPIRES, FLOE_ERR_INVAL);

    if (cr != NULL) {
        if (cr->session_token != NULL && cr->session_token[0] != '\0') {
            FLOE_FAIL_IF(!valid_value(cr->session_token), FLOE_ERR_INVAL);
            c->token = cr->session_token;
        }
        if (need_keys) {
            FLOE_FAIL_IF(!valid_access_key(cr->access_key_id), FLOE_ERR_INVAL);
            FLOE_FAIL_IF(cr->secret_access_key == NULL || cr->secret_access_key[0] == '\0',
                         FLOE_ERR_INVAL);
            c->access_key_id = cr->access_key_id;
        }
    } else {
        FLOE_FAIL_IF(need_keys, FLOE_ERR_INVAL);
    }

    c->hdr = req->headers;
    c->n_hdr = req->n_headers;
    for (i = 0; i < c->n_hdr; i++) {
        const struct floe_sigv4_header *h = &c->hdr[i];
        FLOE_FAIL_IF(!valid_token(h->name) || h->value == NULL || !valid_value(h->value),
                     FLOE_ERR_INVAL);
        if (name_cmp(h->name, "host") == 0)
            have_host = 1;
    }
    FLOE_FAIL_IF(!have_host, FLOE_ERR_MISSING);

    if (expires == 0) {
        FLOE_TRY(add_or_check(c, "x-amz-date", req->amz_date));
        if (!(req->flags & FLOE_SIGV4_NO_CONTENT_SHA256))
            FLOE_TRY(add_or_check(c, "x-amz-content-sha256", c->payload));
        if (c->token != NULL)
            FLOE_TRY(add_or_check(c, "x-amz-security-token", c->token));
    } else {
        /* The authentication parameters are ours to write. */
        struct qparam p;
        size_t pos = 0;
        while (next_param(c->query, c->query_len, &pos, &p)) {
            int g;
            FLOE_FAIL_IF(name_is(&p, "X-Amz-Signature"), FLOE_ERR_INVAL);
            for (g = 0; g < GEN_COUNT; g++)
                FLOE_FAIL_IF(name_is(&p, gen_names[g]), FLOE_ERR_INVAL);
        }
    }
    return FLOE_OK;
}

/* ---- canonical pieces ----------------------------------------------------- */

/* A header value as signed: trimmed, inner blank runs as one space. */
static void put_value(struct sink *s, const char *v)
{
    int pending = 0, any = 0;
    for (; *v; v++) {
        if (is_blank((unsigned char)*v)) {
            pending = any;
            continue;
        }
        if (pending) {
            put_c(s, ' ');
            pending = 0;
        }
        put_c(s, *v);
        any = 1;
    }
}

static void put_lower(struct sink *s, const char *name)
{
    for (; *name; name++)
        put_c(s, (char)lower((unsigned char)*name));
}

/* The least header name above last (NULL: the least of all), or NULL. */
static const char *next_header_name(const struct ctx *c, const char *last)
{
    const char *best = NULL;
    size_t i, n = hdr_count(c);
    for (i = 0; i < n; i++) {
        const char *name = hdr_at(c, i)->name;
        if (last != NULL && name_cmp(name, last) <= 0)
            continue;
        if (best == NULL || name_cmp(name, best) < 0)
            best = name;
    }
    return best;
}

/* "name:value\n" per distinct name, in order. */
static void put_canonical_headers(struct sink *s, const struct ctx *c)
{
    const char *name = NULL;
    size_t i, n = hdr_count(c);
    while ((name = next_header_name(c, name)) != NULL) {
        int first = 1;
        put_lower(s, name);
        put_c(s, ':');
        for (i = 0; i < n; i++) {
            const struct floe_sigv4_header *h = hdr_at(c, i);
            if (name_cmp(h->name, name) != 0)
                continue;
            if (!first)
                put_c(s, ',');
            put_value(s, h->value);
            first = 0;
        }
        put_c(s, '\n');
    }
}

/* "host;x-amz-date", with ';' as %3B when it is a query value. */
static void put_signed_headers(struct sink *s, const struct ctx *c, int encode)
{
    const char *name = NULL;
    int first = 1;
    while ((name = next_header_name(c, name)) != NULL) {
        if (!first)
            put_s(s, encode ? "%3B" : ";");
        put_lower(s, name);
        first = 0;
    }
}

static void put_scope(struct sink *s, const struct ctx *c, const char *sep)
{
    put(s, c->req->amz_date, 8);
    put_s(s, sep);
    put_s(s, c->req->region);
    put_s(s, sep);
    put_s(s, c->req->service);
    put_s(s, sep);
    put_s(s, scope_terminator);
}

static void put_u32(struct sink *s, uint32_t v)
{
    char t[10];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0)
        put_c(s, t[--n]);
}

static void put_gen_param(struct sink *s, const struct ctx *c, int g)
{
    put_s(s, gen_names[g]);
    put_c(s, '=');
    switch (g) {
    case GEN_ALGORITHM:
        put_s(s, FLOE_SIGV4_ALGORITHM);
        break;
    case GEN_CREDENTIAL:
        put_enc(s, c->access_key_id, floe_strlen(c->access_key_id), 0);
        put_s(s, "%2F");
        put_scope(s, c, "%2F");
        break;
    case GEN_DATE:
        put_s(s, c->req->amz_date);
        break;
    case GEN_EXPIRES:
        put_u32(s, c->expires);
        break;
    case GEN_TOKEN:
        put_enc(s, c->token, floe_strlen(c->token), 0);
        break;
    default:
        put_signed_headers(s, c, 1);
        break;
    }
}

/* The canonical query: req's parameters sorted by encoded name, then value,
 * merged (when presigning) with the authentication parameters. */
static void put_canonical_query(struct sink *s, const struct ctx *c)
{
    struct qparam last, best, p;
    int have_last = 0, first = 1, g = 0;

    for (;;) {
        size_t pos = 0;
        int have_best = 0;
        while (next_param(c->query, c->query_len, &pos, &p)) {
            if (have_last && param_cmp(&p, &last) <= 0)
                continue;
            if (!have_best || param_cmp(&p, &best) < 0) {
                best = p;
                have_best = 1;
            }
        }
        if (!have_best)
            break;
        /* Generated names never equal a caller's (ctx_init refused those). */
        for (; c->expires > 0 && g < GEN_COUNT; g++) {
            if (g == GEN_TOKEN && c->token == NULL)
                continue;
            if (enc_cmp(gen_names[g], floe_strlen(gen_names[g]), 0, best.name, best.name_len, 1) > 0)
                break;
            if (!first)
                put_c(s, '&');
            put_gen_param(s, c, g);
            first = 0;
        }
        if (!first)
            put_c(s, '&');
        put_decoded_enc(s, best.name, best.name_len, 1);
        put_c(s, '=');
        put_decoded_enc(s, best.value, best.value_len, 1);
        first = 0;
        last = best;
        have_last = 1;
    }
    for (; c->expires > 0 && g < GEN_COUNT; g++) {
        if (g == GEN_TOKEN && c->token == NULL)
            continue;
        if (!first)
            put_c(s, '&');
        put_gen_param(s, c, g);
        first = 0;
    }
}

static void put_canonical_request(struct sink *s, const struct ctx *c)
{
    put_s(s, c->req->method);
    put_c(s, '\n');
    put_enc(s, c->path, floe_strlen(c->path), 1);
    put_c(s, '\n');
    put_canonical_query(s, c);
    put_c(s, '\n');
    put_canonical_headers(s, c);
    put_c(s, '\n');
    put_signed_headers(s, c, 0);
    put_c(s, '\n');
    put_s(s, c->payload);
}

static void put_string_to_sign(struct sink *s, const struct ctx *c,
                               const uint8_t hash[FLOE_SHA256_LEN])
{
    char hex[2 * FLOE_SHA256_LEN + 1];
    floe_hex(hash, FLOE_SHA256_LEN, hex);
    put_s(s, FLOE_SIGV4_ALGORITHM);
    put_c(s, '\n');
    put_s(s, c->req->amz_date);
    put_c(s, '\n');
    put_scope(s, c, "/");
    put_c(s, '\n');
    put(s, hex, 2 * FLOE_SHA256_LEN);
}

/* ---- keys ----------------------------------------------------------------- */

/* What a signing key was derived from, as one digest (so the cache never
 * holds the secret itself). */
static void key_tag(const char *secret, const char *date, const char *region, const char *service,
                    uint8_t tag[FLOE_SHA256_LEN])
{
    struct floe_sha256 h;
    floe_sha256_init(&h);
    floe_sha256_update(&h, secret, floe_strlen(secret) + 1);
    floe_sha256_update(&h, date, 8);
    floe_sha256_update(&h, "", 1);
    floe_sha256_update(&h, region, floe_strlen(region) + 1);
    floe_sha256_update(&h, service, floe_strlen(service) + 1);
    floe_sha256_final(&h, tag);
}

int floe_sigv4_derive_key(struct floe_sigv4_key *key, const char *secret, const char *date,
                          const char *region, const char *service)
{
    uint8_t k[64], a[FLOE_SHA256_LEN], b[FLOE_SHA256_LEN];
    size_t n, i;

    FLOE_FAIL_IF(key == NULL || secret == NULL || secret[0] == '\0' || date == NULL ||
                     !valid_scope_part(region) || !valid_scope_part(service),
                 FLOE_ERR_INVAL);
    for (i = 0; i < 8; i++)
        FLOE_FAIL_IF(date[i] < '0' || date[i] > '9', FLOE_ERR_INVAL);
    n = floe_strlen(secret);
    /* kSecret = "AWS4" secret; HMAC hashes a key longer than a block first,
     * which lets a long secret be streamed instead of copied. */
    if (n <= sizeof k - 4) {
        floe_memcpy(k, "AWS4", 4);
        floe_memcpy(k + 4, secret, n);
        n += 4;
    } else {
        struct floe_sha256 h;
        floe_sha256_init(&h);
        floe_sha256_update(&h, "AWS4", 4);
        floe_sha256_update(&h, secret, n);
        floe_sha256_final(&h, k);
        n = FLOE_SHA256_LEN;
    }
    floe_hmac_sha256(k, n, date, 8, a);
    floe_hmac_sha256(a, sizeof a, region, floe_strlen(region), b);
    floe_hmac_sha256(b, sizeof b, service, floe_strlen(service), a);
    floe_hmac_sha256(a, sizeof a, scope_terminator, sizeof scope_terminator - 1, key->key);
    key_tag(secret, date, region, service, key->tag);
    key->valid = 1;
    floe_memset(k, 0, sizeof k);
    floe_memset(a, 0, sizeof a);
    floe_memset(b, 0, sizeof b);
    return FLOE_OK;
}

void floe_sigv4_key_wipe(struct floe_sigv4_key *key)
{
    if (key != NULL)
        floe_memset(key, 0, sizeof *key);
}

/* The signature of sts: hex into sig (65 bytes). */
static int signature(const struct ctx *c, const struct floe_sigv4_credentials *cr,
                     const char *sts, size_t sts_len, char *sig)
{
    struct floe_sigv4_key local, *k = cr->key_cache;
    uint8_t mac[FLOE_SHA256_LEN];
    const char *secret = cr->secret_access_key;
    const struct floe_sigv4_request *req = c->req;

    if (k != NULL && k->valid) {
        uint8_t tag[FLOE_SHA256_LEN];
        key_tag(secret, req->amz_date, req->region, req->service, tag);
        if (floe_memcmp(tag, k->tag, sizeof tag) != 0)
            k->valid = 0;
    }
    if (k == NULL)
        k = &local;
    if (k == &local || !k->valid)
        FLOE_TRY(floe_sigv4_derive_key(k, secret, req->amz_date, req->region, req->service));
    floe_hmac_sha256(k->key, sizeof k->key, sts, sts_len, mac);
    floe_hex(mac, sizeof mac, sig);
    if (k == &local)
        floe_sigv4_key_wipe(&local);
    return FLOE_OK;
}

/* Builds the canonical request (hashed, and copied to scratch when given),
 * then the string to sign into sts. */
static int make_sts(const struct ctx *c, char *scratch, size_t scratch_size, char *sts,
                    size_t *sts_len)
{
    struct floe_sha256 h;
    uint8_t hash[FLOE_SHA256_LEN];
    struct sink s;

    floe_sha256_init(&h);
    sink_init(&s, scratch, scratch_size, &h);
    put_canonical_request(&s, c);
    floe_sha256_final(&h, hash);
    if (scratch != NULL)
        FLOE_TRY(sink_finish(&s));
    {
        size_t used = scratch != NULL ? s.len + 1 : 0;
        struct sink t;
        sink_init(&t, sts, STS_MAX, NULL);
        put_string_to_sign(&t, c, hash);
        FLOE_TRY(sink_finish(&t));
        *sts_len = t.len;
        if (scratch != NULL) {
            if (t.len + 1 > scratch_size - used) {
                scratch[0] = '\0';
                return FLOE_ERR_NOMEM;
            }
            floe_memcpy(scratch + used, sts, t.len + 1);
        }
    }
    return FLOE_OK;
}

size_t floe_sigv4_scratch_size(const struct floe_sigv4_request *req,
                               const struct floe_sigv4_credentials *cr, uint32_t expires_s)
{
    struct ctx c;
    struct sink s;
    uint8_t zero[FLOE_SHA256_LEN];
    size_t creq;

    if (ctx_init(&c, req, cr, expires_s, cr != NULL) != FLOE_OK)
        return 0;
    sink_init(&s, NULL, 0, NULL);
    put_canonical_request(&s, &c);
    creq = s.len;
    floe_memset(zero, 0, sizeof zero);
    sink_init(&s, NULL, 0, NULL);
    put_string_to_sign(&s, &c, zero);
    if (creq > SIZE_MAX - s.len - 2)
        return 0;
    return creq + 1 + s.len + 1;
}

int floe_sigv4_canonical_request(const struct floe_sigv4_request *req,
                                 const struct floe_sigv4_credentials *cr, char *out, size_t cap)
{
    struct ctx c;
    struct sink s;
    FLOE_FAIL_IF(out == NULL, FLOE_ERR_INVAL);
    FLOE_TRY(ctx_init(&c, req, cr, 0, 0));
    sink_init(&s, out, cap, NULL);
    put_canonical_request(&s, &c);
    FLOE_TRY(sink_finish(&s));
    FLOE_FAIL_IF(s.len > (size_t)INT_MAX, FLOE_ERR_LIMIT);
    return (int)s.len;
}

int floe_sigv4_string_to_sign(const struct floe_sigv4_request *req,
                              const struct floe_sigv4_credentials *cr, char *out, size_t cap)
{
    struct ctx c;
    char sts[STS_MAX];
    size_t n;
    FLOE_FAIL_IF(out == NULL, FLOE_ERR_INVAL);
    FLOE_TRY(ctx_init(&c, req, cr, 0, 0));
    FLOE_TRY(make_sts(&c, NULL, 0, sts, &n));
    if (n + 1 > cap) {
        if (cap > 0)
            out[0] = '\0';
        return FLOE_ERR_NOMEM;
    }
    floe_memcpy(out, sts, n + 1);
    return (int)n;
}

int floe_sigv4_sign(const struct floe_sigv4_request *req, const struct floe_sigv4_credentials *cr,
                    void *scratch, size_t scratch_size, char *authorization, size_t auth_cap)
{
    struct ctx c;
    struct sink s;
    char sts[STS_MAX], sig[2 * FLOE_SHA256_LEN + 1];
    size_t sts_len;

    FLOE_FAIL_IF(authorization == NULL || cr == NULL, FLOE_ERR_INVAL);
    FLOE_FAIL_IF(scratch == NULL && scratch_size > 0, FLOE_ERR_INVAL);
    if (auth_cap > 0)
        authorization[0] = '\0';
    FLOE_TRY(ctx_init(&c, req, cr, 0, 1));
    FLOE_TRY(make_sts(&c, (char *)scratch, scratch_size, sts, &sts_len));
    FLOE_TRY(signature(&c, cr, sts, sts_len, sig));
    sink_init(&s, authorization, auth_cap, NULL);
    put_s(&s, FLOE_SIGV4_ALGORITHM " Credential=");
    put_s(&s, c.access_key_id);
    put_c(&s, '/');
    put_scope(&s, &c, "/");
    put_s(&s, ", SignedHeaders=");
    put_signed_headers(&s, &c, 0);
    put_s(&s, ", Signature=");
    put(&s, sig, 2 * FLOE_SHA256_LEN);
    FLOE_TRY(sink_finish(&s));
    FLOE_FAIL_IF(s.len > (size_t)INT_MAX, FLOE_ERR_LIMIT);
    return (int)s.len;
}

int floe_sigv4_presign(const struct floe_sigv4_request *req, const struct floe_sigv4_credentials *cr,
                       uint32_t expires_s, void *scratch, size_t scratch_size, char *query,
                       size_t query_cap)
{
    struct ctx c;
    struct sink s;
    char sts[STS_MAX], sig[2 * FLOE_SHA256_LEN + 1];
    size_t sts_len;

    FLOE_FAIL_IF(query == NULL || cr == NULL, FLOE_ERR_INVAL);
    FLOE_FAIL_IF(scratch == NULL && scratch_size > 0, FLOE_ERR_INVAL);
    if (query_cap > 0)
        query[0] = '\0';
    FLOE_FAIL_IF(expires_s == 0, FLOE_ERR_INVAL);
    FLOE_TRY(ctx_init(&c, req, cr, expires_s, 1));
    FLOE_TRY(make_sts(&c, (char *)scratch, scratch_size, sts, &sts_len));
    FLOE_TRY(signature(&c, cr, sts, sts_len, sig));
    sink_init(&s, query, query_cap, NULL);
    put_canonical_query(&s, &c);
    put_s(&s, "&X-Amz-Signature=");
    put(&s, sig, 2 * FLOE_SHA256_LEN);
    FLOE_TRY(sink_finish(&s));
    FLOE_FAIL_IF(s.len > (size_t)INT_MAX, FLOE_ERR_LIMIT);
    return (int)s.len;
}
