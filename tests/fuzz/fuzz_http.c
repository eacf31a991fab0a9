/* libFuzzer target for src/net/http.c (response parser, client) and
 * src/net/url.c.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *     tests/fuzz/fuzz_http.c src/net/http.c src/net/url.c src/core/CORE.c -o /tmp/fuzz_http
 * (CORE.c: every .c file in src/core.)
 *
 * Input: byte 0 picks parser flags and buffer sizes, bytes 1..8 seed the
 * chunk sizes, the rest is the server's bytes. Every input is used as:
 *  (a) a response fed to the parser whole, in seeded chunks and one byte at
 *      a time, into buffers of exactly the configured sizes (so ASan sees any
 *      overrun); the three runs must agree on everything;
 *  (b) a URL, as it is and behind "http://";
 *  (c) the answer to a client request (GET, HEAD, PUT with Expect, or
 *      CONNECT) over a fake stream and a fake clock: it must end, with the
 *      answer or a clean error. */
#include "floe/error.h"
#include "floe/http.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t hdr_caps[] = {16, 40, 128, 512, 8192, 300, 1024, 64};
static const size_t body_caps[] = {0, 1, 7, 64, 4096, 3, 100, 512};

struct outcome {
    int rc;
    int status;
    int interims;
    size_t used;
    size_t body_len;
    uint64_t total;
    int keep_alive, chunked, truncated, has_retry;
    uint32_t retry;
    int64_t cl;
    uint8_t *body;
};

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static int tchar_ok(char ch)
{
    return ch > 0x20 && ch < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", ch) == NULL;
}

/* Walks the header block the way a caller would. */
static void check_headers(const struct floe_http_parser *p)
{
    struct floe_http_response r;
    size_t pos = 0, count = 0;
    const char *name, *value, *v;
    size_t len;
    memset(&r, 0, sizeof r);
    if (p->fields_at > p->hdr_len || p->hdr_len > p->hdr_cap)
        abort();
    r.headers = p->hdr + p->fields_at;
    r.headers_len = p->hdr_len - p->fields_at;
    while (floe_http_header_next(&r, &pos, &name, &value) == FLOE_OK) {
        const char *c;
        if (*name == '\0')
            abort();
        for (c = name; *c != '\0'; c++)
            if (!tchar_ok(*c))
                abort();
        if (value < r.headers || value + strlen(value) >= r.headers + r.headers_len)
            abort();
        if (floe_http_header(&r, name, &v, &len) != FLOE_OK || v > value)
            abort(); /* the lookup finds it, or an earlier duplicate */
        count++;
    }
    if (pos != r.headers_len || count != p->header_count)
        abort();
    if (floe_http_parser_header(p, "content-length", &v, &len) == FLOE_OK && p->content_length < 0)
        abort();
}

/* Feeds msg in pieces: mode 0 whole, 1 seeded sizes, 2 one byte at a time. */
static void run_parser(const uint8_t *msg, size_t n, int mode, uint64_t seed, unsigned flags,
                       size_t hdr_cap, size_t body_cap, struct outcome *out)
{
    struct floe_http_parser p;
    char *hdr = malloc(hdr_cap);
    uint8_t *body = body_cap ? malloc(body_cap) : NULL;
    size_t off = 0;
    if (hdr == NULL || (body_cap && body == NULL))
        abort();
    memset(out, 0, sizeof *out);
    if (floe_http_parser_init(&p, hdr, hdr_cap, body, body_cap, 16, flags) != FLOE_OK)
        abort();
    out->rc = FLOE_HTTP_MORE;
    while (off < n) {
        size_t piece = n - off, used = (size_t)-1;
        int r;
        if (mode == 1) {
            uint64_t x = rng_next(&seed);
            piece = (x & 3) == 0 ? (size_t)(x >> 8) % 4096 + 1 : (size_t)(x >> 8) % 16 + 1;
        } else if (mode == 2) {
            piece = 1;
        }
        if (piece > n - off)
            piece = n - off;
        r = floe_http_parser_feed(&p, msg + off, piece, &used);
        if (used > piece)
            abort();
        off += used;
        if (r < 0) {
            out->rc = r;
            break;
        }
        if (r == FLOE_HTTP_INTERIM) {
            if (p.status < 100 || p.status > 199 || p.status == 101 || used == 0)
                abort();
            out->interims++;
            continue;
        }
        if (r == FLOE_HTTP_DONE) {
            out->rc = r;
            break;
        }
        if (r != FLOE_HTTP_MORE || used != piece)
            abort();
    }
    if (out->rc == FLOE_HTTP_MORE)
        out->rc = floe_http_parser_eof(&p);
    if (out->rc < 0 && out->rc != FLOE_ERR_MALFORMED && out->rc != FLOE_ERR_LIMIT &&
        out->rc != FLOE_ERR_UNSUPPORTED && out->rc != FLOE_ERR_HTTP)
        abort();
    /* Sticky results. */
    if (floe_http_parser_feed(&p, "x", 1, NULL) != (out->rc == FLOE_HTTP_DONE ? FLOE_HTTP_DONE : out->rc))
        abort();
    if (p.body_len > body_cap || p.body_total < p.body_len || (!p.body_truncated && p.body_total != p.body_len))
        abort();
    if (out->rc == FLOE_HTTP_DONE) {
        if (p.status < 200 || p.status > 599)
            abort();
        check_headers(&p);
    }
    out->used = off;
    out->status = p.status;
    out->body_len = p.body_len;
    out->total = p.body_total;
    out->keep_alive = p.keep_alive;
    out->chunked = p.chunked;
    out->truncated = p.body_truncated;
    out->has_retry = p.has_retry_after;
    out->retry = p.retry_after_s;
    out->cl = p.content_length;
    out->body = malloc(p.body_len + 1);
    if (out->body == NULL)
        abort();
    if (p.body_len)
        memcpy(out->body, body, p.body_len);
    free(hdr);
    free(body);
}

static void same(const struct outcome *a, const struct outcome *b)
{
    if (a->rc != b->rc)
        abort();
    if (a->rc < 0)
        return;
    if (a->status != b->status || a->interims != b->interims || a->used != b->used ||
        a->body_len != b->body_len || a->total != b->total || a->keep_alive != b->keep_alive ||
        a->chunked != b->chunked || a->truncated != b->truncated || a->cl != b->cl ||
        a->has_retry != b->has_retry || a->retry != b->retry ||
        memcmp(a->body, b->body, a->body_len) != 0)
        abort();
}

static void fuzz_url(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 8);
    struct floe_url u;
    size_t k;
    if (s == NULL)
        abort();
    for (k = 0; k < 2; k++) {
        size_t pre = k ? 7 : 0, n;
        char auth[FLOE_URL_HOST_MAX + 16];
        if (pre)
            memcpy(s, "http://", 7);
        memcpy(s + pre, data, size);
        s[pre + size] = '\0';
        n = strlen(s);
        if (floe_url_parse(s, &u) != FLOE_OK)
            continue;
        if (n > FLOE_URL_MAX || strlen(u.host) == 0 || strlen(u.host) > FLOE_URL_HOST_MAX || u.port == 0)
            abort();
        if (u.path_len == 0 || u.path[0] != '/')
            abort();
        if (!(u.path_len == 1 && strcmp(u.path, "/") == 0) && (u.path < s || u.path + u.path_len > s + n))
            abort();
        if (u.query != NULL && (u.query < s || u.query + u.query_len > s + n || u.query[-1] != '?'))
            abort();
        if (u.userinfo != NULL && (u.userinfo < s || u.userinfo + u.userinfo_len > s + n))
            abort();
        if (floe_url_authority(&u, auth, sizeof auth) <= 0)
            abort();
    }
    free(s);
}

/* ---- the client over a fake stream --------------------------------------- */

struct fake {
    const uint8_t *data;
    size_t n, off;
    uint64_t seed;
    uint64_t now;
    int silent_end; /* after the data: silence instead of a close */
    uint64_t sent;
};

static uint64_t f_mono(void *ctx)
{
    struct fake *f = (struct fake *)ctx;
    return ++f->now;
}

static int64_t f_utc(void *ctx)
{
    (void)ctx;
    return 0;
}

static floe_ssize_t f_send(void *ctx, const void *buf, size_t n, uint32_t to)
{
    struct fake *f = (struct fake *)ctx;
    uint64_t x = rng_next(&f->seed);
    size_t k = (size_t)(x % 5000) + 1;
    (void)buf;
    if ((x >> 32) % 97 == 0) {
        f->now += to;
        return 0;
    }
    if (k > n)
        k = n;
    f->sent += k;
    return (floe_ssize_t)k;
}

static floe_ssize_t f_recv(void *ctx, void *buf, size_t n, uint32_t to)
{
    struct fake *f = (struct fake *)ctx;
    uint64_t x = rng_next(&f->seed);
    size_t k = (size_t)(x % 300) + 1;
    if (f->off == f->n) {
        if (!f->silent_end)
            return FLOE_ERR_NET;
        f->now += to;
        return 0;
    }
    if ((x >> 32) % 31 == 0) { /* a pause */
        f->now += to < 700 ? to : 700;
        return 0;
    }
    if (k > n)
        k = n;
    if (k > f->n - f->off)
        k = f->n - f->off;
    memcpy(buf, f->data + f->off, k);
    f->off += k;
    return (floe_ssize_t)k;
}

static int gen_body(void *ctx, uint64_t off, void *buf, size_t n)
{
    (void)ctx;
    memset(buf, (int)(off & 0xff), n);
    return (int)n;
}

static void fuzz_client(const uint8_t *data, size_t size, uint8_t mode, uint64_t seed)
{
    static uint8_t arena_mem[16384] __attribute__((aligned(8)));
    struct fake f;
    struct floe_clock_port clock = {NULL, f_mono, f_utc};
    struct floe_stream s = {NULL, f_send, f_recv, NULL, NULL};
    struct floe_http_config cfg;
    struct floe_http_client c;
    struct floe_http_request req;
    struct floe_http_response resp;
    struct floe_arena a;
    int rc, kind = mode & 3;
    memset(&f, 0, sizeof f);
    f.data = data;
    f.n = size;
    f.seed = seed | 1;
    f.silent_end = (mode >> 2) & 1;
    clock.ctx = &f;
    s.ctx = &f;
    memset(&cfg, 0, sizeof cfg);
    cfg.clock = &clock;
    cfg.header_max = 1024;
    cfg.send_buf = 256;
    cfg.recv_buf = 128;
    cfg.body_max = 200;
    cfg.max_headers = 16;
    cfg.io_timeout_ms = 3000;
    cfg.request_timeout_ms = 20000;
    cfg.continue_timeout_ms = 1000;
    if (floe_http_size(&cfg) > sizeof arena_mem)
        abort();
    floe_arena_init(&a, arena_mem, sizeof arena_mem);
    floe_http_init(&c);
    if (floe_http_setup(&c, &cfg, &a) != FLOE_OK)
        abort();
    if (kind == 3) {
        rc = floe_http_connect_tunnel(&c, &s, "bucket.s3.amazonaws.com", 443, "Basic eA==");
        if (rc != FLOE_OK && rc != FLOE_ERR_AUTH && rc != FLOE_ERR_HTTP && rc != FLOE_ERR_NET &&
            rc != FLOE_ERR_TIMEOUT && rc != FLOE_ERR_MALFORMED && rc != FLOE_ERR_LIMIT &&
            rc != FLOE_ERR_UNSUPPORTED)
            abort();
        if (rc == FLOE_OK && (c.last_status < 200 || c.last_status > 299))
            abort();
        return;
    }
    floe_http_set_stream(&c, &s);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = kind == 0 ? "GET" : kind == 1 ? "HEAD" : "PUT";
    req.target = "/bucket/key";
    req.host = "bucket.s3.amazonaws.com";
    if (kind == 2) {
        req.body_len = 10000;
        req.read_body = gen_body;
        req.expect_continue = (mode >> 3) & 1;
    }
    rc = floe_http_request(&c, &req, &resp);
    if (f.now > 20000 + 3000 + 2000)
        abort(); /* past the deadline by more than one wait */
    if (rc == FLOE_OK) {
        if (resp.status < 200 || resp.status > 599 || resp.body_len > 200)
            abort();
        if (resp.keep_alive && kind == 2 && !resp.body_sent)
            abort();
        if (resp.body_sent && f.sent < 10000)
            abort();
        return;
    }
    if (rc != FLOE_ERR_NET && rc != FLOE_ERR_TIMEOUT && rc != FLOE_ERR_MALFORMED &&
        rc != FLOE_ERR_LIMIT && rc != FLOE_ERR_UNSUPPORTED && rc != FLOE_ERR_HTTP)
        abort();
    if (c.reusable)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct outcome whole, chunks, bytes;
    uint64_t seed = 0;
    unsigned flags;
    size_t hdr_cap, body_cap, i;
    uint8_t mode;
    fuzz_url(data, size);
    if (size < 9)
        return 0;
    mode = data[0];
    flags = mode & 3u;
    hdr_cap = hdr_caps[(mode >> 2) & 7];
    body_cap = body_caps[(mode >> 5) & 7];
    for (i = 1; i < 9; i++)
        seed = seed << 8 | data[i];
    seed |= 1;
    data += 9;
    size -= 9;
    run_parser(data, size, 0, seed, flags, hdr_cap, body_cap, &whole);
    run_parser(data, size, 1, seed, flags, hdr_cap, body_cap, &chunks);
    same(&whole, &chunks);
    if (size <= 8192) {
        run_parser(data, size, 2, seed, flags, hdr_cap, body_cap, &bytes);
        same(&whole, &bytes);
        free(bytes.body);
    }
    free(whole.body);
    free(chunks.body);
    fuzz_client(data, size, mode, seed);
    return 0;
}
