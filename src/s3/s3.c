/* The S3 client (see floe/s3.h). */
#include "floe/s3.h"
#include "floe/crc32c.h"
#include "floe/sha256.h"
#include "floe/utc.h"
#include "core/internal.h"

#define PATH_BUF 2048u       /* raw "/bucket/key" */
#define TARGET_BUF 4096u     /* encoded path + query */
#define QUERY_BUF 1536u
#define HASH_BUF 16384u      /* file bytes read to hash a part */
#define COMPLETE_MAX_PARTS 256u
#define COMPLETE_BUF (COMPLETE_MAX_PARTS * 240u + 128u)
#define RESP_BODY 4096u
#define FLOE_PROXY_USERINFO_MAX 256u
#define FLOE_PROXY_AUTH_MAX (8u + (FLOE_PROXY_USERINFO_MAX + 2u) / 3u * 4u + 1u)

struct floe_s3_state {
    const struct floe_s3_config *cfg;
    struct floe_url url;
    struct floe_url proxy;              /* valid when use_proxy */
    int use_proxy;
    char proxy_auth[FLOE_PROXY_AUTH_MAX]; /* "Basic ..." or "": a secret, never logged */
    char host[FLOE_URL_HOST_MAX + 80];  /* the Host header value */
    char conn_host[FLOE_URL_HOST_MAX + 80]; /* the name to connect to */
    struct floe_tcp_stream tcp;
    struct floe_stream tcp_stream;
    struct floe_stream tls_stream;
    int connected;
    int tls_ready;
    struct floe_sigv4_key key;
    char *scratch;
    size_t scratch_size;
    char auth[FLOE_SIGV4_AUTH_MAX];
    char *path;
    char *target;
    char *query;
    uint8_t *hash_buf;
    uint8_t *resp_body;
    size_t resp_len;     /* bytes of the last response body in resp_body */
    char *complete;
    void *file;
    /* the body being sent */
    uint64_t body_base;
};

static int carve(struct floe_arena *a, const struct floe_s3_config *cfg, struct floe_s3_state **out,
                 struct floe_s3 *s3)
{
    struct floe_s3_state *st;
    void *p;
    FLOE_TRY(floe_arena_take(a, sizeof *st, 8, &p));
    st = (struct floe_s3_state *)p;
    FLOE_TRY(floe_arena_take(a, FLOE_SIGV4_SCRATCH_DEFAULT, 8, &p));
    if (st) {
        st->scratch = (char *)p;
        st->scratch_size = FLOE_SIGV4_SCRATCH_DEFAULT;
    }
    FLOE_TRY(floe_arena_take(a, PATH_BUF, 8, &p));
    if (st)
        st->path = (char *)p;
    FLOE_TRY(floe_arena_take(a, TARGET_BUF, 8, &p));
    if (st)
        st->target = (char *)p;
    FLOE_TRY(floe_arena_take(a, QUERY_BUF, 8, &p));
    if (st)
        st->query = (char *)p;
    FLOE_TRY(floe_arena_take(a, HASH_BUF, 8, &p));
    if (st)
        st->hash_buf = (uint8_t *)p;
    FLOE_TRY(floe_arena_take(a, RESP_BODY, 8, &p));
    if (st)
        st->resp_body = (uint8_t *)p;
    FLOE_TRY(floe_arena_take(a, COMPLETE_BUF, 8, &p));
    if (st)
        st->complete = (char *)p;
    FLOE_TRY(floe_arena_take(a, cfg->fs->file_size, 8, &p));
    if (st)
        st->file = p;
    if (st == NULL) {
        size_t n = floe_tcp_stream_size(cfg->net), h = floe_http_size(&cfg->http);
        if (n == 0 || h == 0)
            return FLOE_ERR_INVAL;
        FLOE_TRY(floe_arena_take(a, n + h + 16, 8, &p));
    } else {
        FLOE_TRY(floe_tcp_stream_setup(&st->tcp, cfg->net, a));
        floe_http_init(&s3->http);
        FLOE_TRY(floe_http_setup(&s3->http, &cfg->http, a));
    }
    *out = st;
    return FLOE_OK;
}

static int config_ok(const struct floe_s3_config *cfg)
{
    struct floe_url u;
    if (cfg == NULL || cfg->endpoint == NULL || cfg->net == NULL || cfg->fs == NULL || cfg->clock == NULL ||
        floe_url_parse(cfg->endpoint, &u) != FLOE_OK)
        return 0;
    if (!cfg->plain_put &&
        (cfg->region == NULL || cfg->bucket == NULL || cfg->bucket[0] == '\0' || floe_strlen(cfg->bucket) >= 64 ||
         cfg->credentials.access_key_id == NULL || cfg->credentials.secret_access_key == NULL))
        return 0;
    return
           (cfg->proxy == NULL || cfg->proxy[0] == '\0' ||
            (floe_url_parse(cfg->proxy, &u) == FLOE_OK && !u.https && u.userinfo_len <= FLOE_PROXY_USERINFO_MAX));
}

/* "Basic " + base64 of the proxy URL's user:pass, %-decoded (RFC 7617). */
static int proxy_basic_auth(const struct floe_url *proxy, char *out, size_t cap)
{
    char plain[FLOE_PROXY_USERINFO_MAX];
    size_t i, n = 0;
    int err;
    out[0] = '\0';
    if (proxy->userinfo == NULL)
        return FLOE_OK;
    for (i = 0; i < proxy->userinfo_len; i++) {
        char c = proxy->userinfo[i];
        if (c == '%' && i + 2 < proxy->userinfo_len && floe_hex_digit(proxy->userinfo[i + 1]) >= 0 &&
            floe_hex_digit(proxy->userinfo[i + 2]) >= 0) {
            c = (char)(floe_hex_digit(proxy->userinfo[i + 1]) * 16 + floe_hex_digit(proxy->userinfo[i + 2]));
            i += 2;
        }
        plain[n++] = c;
    }
    floe_memcpy(out, "Basic ", 6);
    err = floe_s3_base64_encode(plain, n, out + 6, cap - 6);
    floe_memset(plain, 0, sizeof plain);
    return err < 0 ? err : FLOE_OK;
}

size_t floe_s3_size(const struct floe_s3_config *cfg)
{
    struct floe_arena a;
    struct floe_s3_state *st;
    struct floe_url u;
    size_t tls = 0;
    if (!config_ok(cfg))
        return 0;
    floe_url_parse(cfg->endpoint, &u);
    if (u.https) {
        tls = floe_tls_size(&cfg->tls);
        if (tls == 0)
            return 0;
    }
    floe_arena_init_counting(&a);
    if (carve(&a, cfg, &st, NULL) != FLOE_OK)
        return 0;
    return a.used + tls + 16;
}

void floe_s3_init(struct floe_s3 *s3)
{
    if (s3 != NULL)
        floe_memset(s3, 0, sizeof *s3);
}

int floe_s3_setup(struct floe_s3 *s3, const struct floe_s3_config *cfg, struct floe_arena *arena)
{
    struct floe_s3_state *st = NULL;
    size_t mark;
    int err;
    FLOE_FAIL_IF(s3 == NULL || arena == NULL || !config_ok(cfg), FLOE_ERR_INVAL);
    mark = floe_arena_mark(arena);
    err = carve(arena, cfg, &st, s3);
    if (err == FLOE_OK) {
        st->cfg = cfg;
        floe_url_parse(cfg->endpoint, &st->url);
        st->use_proxy = cfg->proxy != NULL && cfg->proxy[0] != '\0';
        if (st->use_proxy) {
            floe_url_parse(cfg->proxy, &st->proxy);
            err = proxy_basic_auth(&st->proxy, st->proxy_auth, sizeof st->proxy_auth);
        }
        if (err == FLOE_OK && st->url.https)
            err = floe_tls_setup(&s3->tls, &cfg->tls, arena);
    }
    if (err == FLOE_OK) {
        char authority[FLOE_URL_HOST_MAX + 16];
        err = floe_url_authority(&st->url, authority, sizeof authority);
        if (err >= 0) {
            err = FLOE_OK;
            /* Virtual-hosted style puts the bucket in the host name. */
            if (cfg->path_style || cfg->plain_put) {
                floe_format(st->host, sizeof st->host, "%s", authority);
                floe_format(st->conn_host, sizeof st->conn_host, "%s", st->url.host);
            } else {
                floe_format(st->host, sizeof st->host, "%s.%s", cfg->bucket, authority);
                floe_format(st->conn_host, sizeof st->conn_host, "%s.%s", cfg->bucket, st->url.host);
            }
        }
    }
    if (err != FLOE_OK) {
        floe_arena_rewind(arena, mark);
        return err;
    }
    st->tls_ready = st->url.https;
    s3->st = st;
    return FLOE_OK;
}

void floe_s3_disconnect(struct floe_s3 *s3)
{
    struct floe_s3_state *st;
    if (s3 == NULL || s3->st == NULL || !s3->st->connected)
        return;
    st = s3->st;
    if (st->url.https)
        floe_tls_close(&s3->tls);
    st->tcp_stream.close(st->tcp_stream.ctx);
    floe_http_set_stream(&s3->http, NULL);
    st->connected = 0;
}

void floe_s3_free(struct floe_s3 *s3)
{
    if (s3 == NULL || s3->st == NULL)
        return;
    floe_s3_disconnect(s3);
    if (s3->st->url.https)
        floe_tls_free(&s3->tls);
    floe_sigv4_key_wipe(&s3->st->key);
    floe_memset(s3, 0, sizeof *s3);
}

static floe_ssize_t tcp_send(void *ctx, const void *buf, size_t n, uint32_t t)
{
    struct floe_stream *s = (struct floe_stream *)ctx;
    return s->send(s->ctx, buf, n, t);
}

static floe_ssize_t tcp_recv(void *ctx, void *buf, size_t n, uint32_t t)
{
    struct floe_stream *s = (struct floe_stream *)ctx;
    return s->recv(s->ctx, buf, n, t);
}

static int connect_if_needed(struct floe_s3 *s3, struct floe_s3_result *res)
{
    struct floe_s3_state *st = s3->st;
    uint32_t timeout = st->cfg->connect_timeout_ms ? st->cfg->connect_timeout_ms : 10000u;
    int err;
    if (st->connected && s3->http.reusable)
        return FLOE_OK;
    floe_s3_disconnect(s3);
    if (st->use_proxy)
        err = floe_tcp_stream_open(&st->tcp, st->proxy.host, st->proxy.port, timeout, &st->tcp_stream);
    else
        err = floe_tcp_stream_open(&st->tcp, st->conn_host, st->url.port, timeout, &st->tcp_stream);
    if (err != FLOE_OK) {
        floe_format(res->message, sizeof res->message, "cannot connect to %s%s:%u: %s",
                    st->use_proxy ? "the proxy " : "", st->use_proxy ? st->proxy.host : st->conn_host,
                    (unsigned)(st->use_proxy ? st->proxy.port : st->url.port), floe_strerror(err));
        return err;
    }
    if (st->use_proxy) {
        err = floe_http_connect_tunnel(&s3->http, &st->tcp_stream, st->conn_host, st->url.port,
                                       st->proxy_auth[0] ? st->proxy_auth : NULL);
        if (err != FLOE_OK) {
            if (s3->http.last_status != 0)
                floe_format(res->message, sizeof res->message, "proxy %s:%u refused CONNECT %s:%u: HTTP %d",
                            st->proxy.host, (unsigned)st->proxy.port, st->conn_host, (unsigned)st->url.port,
                            s3->http.last_status);
            else
                floe_format(res->message, sizeof res->message, "proxy %s:%u, CONNECT %s:%u: %s", st->proxy.host,
                            (unsigned)st->proxy.port, st->conn_host, (unsigned)st->url.port, floe_strerror(err));
            /* Wrong proxy credentials will not heal by retrying. */
            if (err == FLOE_ERR_AUTH)
                res->outcome = FLOE_S3_FATAL;
            st->tcp_stream.close(st->tcp_stream.ctx);
            floe_http_set_stream(&s3->http, NULL);
            return err;
        }
    }
    if (st->url.https) {
        struct floe_tls_transport tr;
        tr.ctx = &st->tcp_stream;
        tr.send = tcp_send;
        tr.recv = tcp_recv;
        err = floe_tls_connect(&s3->tls, &tr, st->conn_host, timeout);
        if (err != FLOE_OK) {
            floe_format(res->message, sizeof res->message, "TLS to %s: %s", st->conn_host,
                        floe_tls_last_error(&s3->tls));
            st->tcp_stream.close(st->tcp_stream.ctx);
            return err;
        }
        st->tls_stream.ctx = &s3->tls;
        st->tls_stream.send = floe_tls_send;
        st->tls_stream.recv = floe_tls_recv;
        st->tls_stream.write_unit = floe_tls_write_unit;
        st->tls_stream.close = floe_tls_close;
        floe_http_set_stream(&s3->http, &st->tls_stream);
    } else {
        floe_http_set_stream(&s3->http, &st->tcp_stream);
    }
    st->connected = 1;
    s3->reconnects++;
    return FLOE_OK;
}

/* ---- responses --------------------------------------------------------- */

/* The text of <tag>...</tag> in an XML body (no entity beyond the five). */
static int xml_value(const uint8_t *body, size_t n, const char *tag, char *out, size_t cap)
{
    char open[48];
    size_t ol = floe_format(open, sizeof open, "<%s>", tag), i, j, o = 0;
    for (i = 0; i + ol <= n; i++) {
        if (floe_memcmp(body + i, open, ol) != 0)
            continue;
        for (j = i + ol; j < n && body[j] != '<'; j++) {
            char c = (char)body[j];
            if (c == '&') {
                static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
                static const char chars[] = "&<>\"'";
                size_t k;
                for (k = 0; k < 5; k++) {
                    size_t el = floe_strlen(ents[k]);
                    if (j + el <= n && floe_memcmp(body + j, ents[k], el) == 0) {
                        c = chars[k];
                        j += el - 1;
                        break;
                    }
                }
            }
            if (o + 1 < cap)
                out[o++] = c;
        }
        out[o] = '\0';
        return 1;
    }
    if (cap > 0)
        out[0] = '\0';
    return 0;
}

int floe_s3_code_is(const struct floe_s3_result *res, const char *code)
{
    size_t n;
    if (res == NULL || code == NULL)
        return 0;
    n = floe_strlen(code);
    return floe_strlen(res->code) == n && floe_memcmp(res->code, code, n) == 0;
}

/* Sorts a finished exchange into OK / RETRY / FATAL. */
static int judge(struct floe_s3_result *res, const struct floe_http_response *resp)
{
    res->status = resp->status;
    res->retry_after_s = resp->has_retry_after ? resp->retry_after_s : 0;
    if (resp->status >= 200 && resp->status < 300) {
        res->outcome = FLOE_S3_OK;
        res->err = FLOE_OK;
        return FLOE_OK;
    }
    xml_value(resp->body, resp->body_len, "Code", res->code, sizeof res->code);
    xml_value(resp->body, resp->body_len, "Message", res->message, sizeof res->message);
    if (res->code[0] == '\0')
        floe_format(res->code, sizeof res->code, "HTTP%d", resp->status);
    if (floe_s3_code_is(res, "RequestTimeTooSkewed") || floe_s3_code_is(res, "RequestExpired")) {
        /* Our clock, not the request, is wrong (a gateway without an RTC
         * before NTP sync): it heals, so retry, and say what is off. */
        char ours[40], theirs[40];
        xml_value(resp->body, resp->body_len, "RequestTime", ours, sizeof ours);
        xml_value(resp->body, resp->body_len, "ServerTime", theirs, sizeof theirs);
        if (ours[0] != '\0' && theirs[0] != '\0')
            floe_format(res->message, sizeof res->message,
                        "clock skew: request time %s, server time %s (is the clock set? NTP?)", ours, theirs);
        else
            floe_format(res->message, sizeof res->message,
                        "clock skew: the store says our clock is off (is the clock set? NTP?)");
        res->outcome = FLOE_S3_RETRY;
        res->err = FLOE_ERR_AUTH;
        return FLOE_ERR_AUTH;
    }
    if (resp->status >= 500 || resp->status == 408 || resp->status == 429 ||
        floe_s3_code_is(res, "SlowDown") || floe_s3_code_is(res, "RequestTimeout")) {
        res->outcome = FLOE_S3_RETRY;
        res->err = FLOE_ERR_HTTP;
        return FLOE_ERR_HTTP;
    }
    res->outcome = FLOE_S3_FATAL;
    res->err = resp->status == 401 || resp->status == 403 ? FLOE_ERR_AUTH
               : resp->status == 404                    ? FLOE_ERR_NOENT
                                                        : FLOE_ERR_HTTP;
    return res->err;
}

/* ---- requests ---------------------------------------------------------- */

struct body_src {
    struct floe_s3_state *st;
    uint64_t base;
};

static int read_file_body(void *ctx, uint64_t offset, void *buf, size_t n)
{
    struct body_src *b = (struct body_src *)ctx;
    const struct floe_fs_port *fs = b->st->cfg->fs;
    floe_ssize_t r = fs->read(fs->ctx, b->st->file, b->base + offset, buf, n);
    if (r == 0)
        return FLOE_ERR_IO; /* the file is shorter than it was said to be */
    return (int)r;
}

struct req {
    const char *method;
    const char *key;
    const char *query;       /* raw query (already encoded values), or NULL */
    const char *payload_sha; /* hex or UNSIGNED-PAYLOAD */
    const char *crc_b64;     /* x-amz-checksum-crc32c, or NULL */
    const char *checksum_algorithm; /* x-amz-checksum-algorithm (CreateMultipartUpload), or NULL */
    const char *content_type;
    uint64_t body_len;
    const void *body;        /* memory body */
    const char *file_path;   /* or a file body */
    uint64_t file_offset;
};

static int plain_exchange(struct floe_s3 *s3, const struct req *rq, struct floe_s3_result *res);
static int send_and_judge(struct floe_s3 *s3, const struct req *rq, struct floe_http_request *hreq,
                          struct floe_s3_result *res);

static int exchange(struct floe_s3 *s3, const struct req *rq, struct floe_s3_result *res)
{
    struct floe_s3_state *st = s3->st;
    const struct floe_s3_config *cfg = st->cfg;
    struct floe_sigv4_header sh[8];
    struct floe_http_header hh[8];
    struct floe_sigv4_request sreq;
    struct floe_http_request hreq;
    char amz_date[FLOE_SIGV4_AMZ_DATE_LEN + 1];
    size_t n_sh = 0, n_hh = 0, plen;
    int err;
    int64_t now_ms;

    floe_memset(res, 0, sizeof *res);
    st->resp_len = 0;
    if (cfg->plain_put)
        return plain_exchange(s3, rq, res);
    if (cfg->path_style)
        plen = floe_format(st->path, PATH_BUF, "/%s/%s", cfg->bucket, rq->key);
    else
        plen = floe_format(st->path, PATH_BUF, "/%s", rq->key);
    if (plen + 1 >= PATH_BUF) {
        res->outcome = FLOE_S3_FATAL;
        return res->err = FLOE_ERR_LIMIT;
    }
    err = floe_sigv4_uri_encode(st->path, st->target, TARGET_BUF - QUERY_BUF, 1);
    if (err < 0) {
        res->outcome = FLOE_S3_FATAL;
        return res->err = err;
    }
    if (rq->query != NULL)
        floe_format(st->target + err, TARGET_BUF - (size_t)err, "?%s", rq->query);

    now_ms = cfg->clock->utc_ms(cfg->clock->ctx);
    floe_utc_format_amz(now_ms * 1000, amz_date);
    sh[n_sh].name = "host";
    sh[n_sh++].value = st->host;
    sh[n_sh].name = "x-amz-date";
    sh[n_sh++].value = amz_date;
    sh[n_sh].name = "x-amz-content-sha256";
    sh[n_sh++].value = rq->payload_sha;
    if (cfg->credentials.session_token != NULL && cfg->credentials.session_token[0] != '\0') {
        sh[n_sh].name = "x-amz-security-token";
        sh[n_sh++].value = cfg->credentials.session_token;
    }
    if (rq->crc_b64 != NULL) {
        sh[n_sh].name = "x-amz-checksum-crc32c";
        sh[n_sh++].value = rq->crc_b64;
    }
    if (rq->checksum_algorithm != NULL) {
        sh[n_sh].name = "x-amz-checksum-algorithm";
        sh[n_sh++].value = rq->checksum_algorithm;
    }
    if (rq->content_type != NULL) {
        sh[n_sh].name = "content-type";
        sh[n_sh++].value = rq->content_type;
    }
    floe_memset(&sreq, 0, sizeof sreq);
    sreq.method = rq->method;
    sreq.path = st->path;
    sreq.query = rq->query;
    sreq.headers = sh;
    sreq.n_headers = n_sh;
    sreq.payload_sha256 = rq->payload_sha;
    sreq.region = cfg->region;
    sreq.service = "s3";
    sreq.amz_date = amz_date;
    {
        struct floe_sigv4_credentials cr = cfg->credentials;
        cr.key_cache = &st->key;
        err = floe_sigv4_sign(&sreq, &cr, st->scratch, st->scratch_size, st->auth, sizeof st->auth);
    }
    if (err < 0) {
        res->outcome = FLOE_S3_FATAL;
        floe_format(res->message, sizeof res->message, "cannot sign the request: %s", floe_strerror(err));
        return res->err = err;
    }
    /* Everything signed but host goes out as is; the client adds Host. */
    {
        size_t i;
        for (i = 1; i < n_sh; i++) {
            hh[n_hh].name = sh[i].name;
            hh[n_hh++].value = sh[i].value;
        }
        hh[n_hh].name = "Authorization";
        hh[n_hh++].value = st->auth;
    }
    floe_memset(&hreq, 0, sizeof hreq);
    hreq.headers = hh;
    hreq.header_count = n_hh;
    return send_and_judge(s3, rq, &hreq, res);
}

/* Sends one request (method, target, host and body filled in here) and turns
 * the answer into res; shared by S3 and plain PUT. */
static int send_and_judge(struct floe_s3 *s3, const struct req *rq, struct floe_http_request *hreq,
                          struct floe_s3_result *res)
{
    struct floe_s3_state *st = s3->st;
    const struct floe_s3_config *cfg = st->cfg;
    struct floe_http_response resp;
    struct body_src src;
    int err, file_open = 0;
    hreq->method = rq->method;
    hreq->target = st->target;
    hreq->host = st->host;
    hreq->body_len = rq->body_len;
    /* The request's deadline grows with its body, as if sent at 2,000 bytes
     * a second: a 16 MiB PutObject over a 128 kbit/s uplink needs about
     * 17 minutes, and a fixed 10 would fail it on every retry. A link that
     * stops moving is still cut after the idle timeout. */
    {
        uint64_t t = (cfg->http.request_timeout_ms ? cfg->http.request_timeout_ms
                                                   : FLOE_HTTP_DEFAULT_REQUEST_TIMEOUT_MS) +
                     rq->body_len / 2u;
        hreq->timeout_ms = t > 0xffffffffu ? 0xffffffffu : (uint32_t)t;
    }
    if (rq->file_path != NULL) {
        err = cfg->fs->open(cfg->fs->ctx, st->file, rq->file_path, FLOE_FS_READ);
        if (err != FLOE_OK) {
            /* Not the store's doing, and it may pass: the spool's
             * drop_oldest policy can take a batch between its listing and
             * this open. Retried, the uploader moves on to what is there. */
            res->outcome = FLOE_S3_RETRY;
            floe_format(res->message, sizeof res->message, "cannot open %s: %s", rq->file_path, floe_strerror(err));
            return res->err = err;
        }
        file_open = 1;
        src.st = st;
        src.base = rq->file_offset;
        hreq->read_body = read_file_body;
        hreq->body_ctx = &src;
    } else {
        hreq->body = rq->body;
    }
    /* A request the store refuses (403, 404) should not cost the whole body. */
    hreq->expect_continue = rq->body_len > 65536u;
    floe_memset(&resp, 0, sizeof resp);
    resp.body_buf = st->resp_body;
    resp.body_cap = RESP_BODY;
    err = connect_if_needed(s3, res);
    if (err == FLOE_OK) {
        s3->requests++;
        err = floe_http_request(&s3->http, hreq, &resp);
    }
    if (file_open)
        cfg->fs->close(cfg->fs->ctx, st->file);
    if (err != FLOE_OK) {
        /* Transport trouble: the connection is gone, a retry may heal it. */
        if (res->message[0] == '\0' && st->url.https && (err == FLOE_ERR_TLS || err == FLOE_ERR_CERT))
            floe_format(res->message, sizeof res->message, "%s %s: TLS: %s", rq->method, rq->key,
                        floe_tls_last_error(&s3->tls));
        floe_s3_disconnect(s3);
        if (res->outcome != FLOE_S3_FATAL)
            res->outcome = FLOE_S3_RETRY;
        if (res->message[0] == '\0')
            floe_format(res->message, sizeof res->message, "%s %s: %s", rq->method, rq->key, floe_strerror(err));
        return res->err = err;
    }
    st->resp_len = resp.body_len;
    if (resp.body_sent) {
        res->bytes_sent = rq->body_len;
        s3->bytes_sent += rq->body_len;
    }
    if (!resp.keep_alive)
        floe_s3_disconnect(s3);
    if (resp.etag != NULL && resp.etag_len < sizeof res->etag) {
        floe_memcpy(res->etag, resp.etag, resp.etag_len);
        res->etag[resp.etag_len] = '\0';
    }
    err = judge(res, &resp);
    if (err == FLOE_OK || res->outcome == FLOE_S3_OK)
        return FLOE_OK;
    FLOE_LOG_WARN(cfg->log, "%s %s: HTTP %d %s %s", rq->method, rq->key, resp.status, res->code, res->message);
    return err;
}

/* Plain PUT: the endpoint's own path and query, the key encoded into it. */
#define SLOT_LEN 9u
/* Where "{key}" is in s[0..n), as a URL carries it (escaped: %7Bkey%7D). */
static const char *find_key_slot(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i + SLOT_LEN <= n; i++)
        if (floe_memcmp(s + i, "%7Bkey%7D", SLOT_LEN) == 0 || floe_memcmp(s + i, "%7bkey%7d", SLOT_LEN) == 0)
            return s + i;
    return NULL;
}

static int plain_exchange(struct floe_s3 *s3, const struct req *rq, struct floe_s3_result *res)
{
    struct floe_s3_state *st = s3->st;
    const struct floe_s3_config *cfg = st->cfg;
    const struct floe_url *u = &st->url;
    struct floe_http_header hh[4];
    struct floe_http_request hreq;
    /* SigV4's scratch is free in this mode: the encoded key and the
     * Authorization value live there, off the stack. */
    char *enc_key = st->scratch, *bearer = st->scratch + st->scratch_size / 2, digest[80];
    size_t half = st->scratch_size / 2;
    /* The slot is "{key}", in the path or else in the query. */
    const char *slot = find_key_slot(u->path, u->path_len);
    const char *qslot = slot == NULL && u->query != NULL ? find_key_slot(u->query, u->query_len) : NULL;
    size_t i, n_hh = 0, len;
    int err;
    /* In a query value a '/' is escaped too. */
    err = floe_sigv4_uri_encode(rq->key, enc_key, half, qslot == NULL);
    if (err < 0) {
        res->outcome = FLOE_S3_FATAL;
        return res->err = err;
    }
    if (slot != NULL)
        len = floe_format(st->target, TARGET_BUF, "%.*s%s%.*s", (int)(slot - u->path), u->path, enc_key,
                          (int)(u->path_len - (size_t)(slot - u->path) - SLOT_LEN), slot + SLOT_LEN);
    else if (qslot != NULL)
        len = floe_format(st->target, TARGET_BUF, "%.*s", (int)u->path_len, u->path);
    else
        len = floe_format(st->target, TARGET_BUF, "%.*s/%s",
                          (int)(u->path_len > 0 && u->path[u->path_len - 1] == '/' ? u->path_len - 1 : u->path_len),
                          u->path, enc_key);
    if (qslot != NULL)
        len += floe_format(st->target + len, TARGET_BUF - len, "?%.*s%s%.*s", (int)(qslot - u->query), u->query,
                           enc_key, (int)(u->query_len - (size_t)(qslot - u->query) - SLOT_LEN), qslot + SLOT_LEN);
    else if (u->query != NULL)
        len += floe_format(st->target + len, TARGET_BUF - len, "?%.*s", (int)u->query_len, u->query);
    if (len + 1 >= TARGET_BUF) {
        res->outcome = FLOE_S3_FATAL;
        floe_format(res->message, sizeof res->message, "URL too long for key %s", rq->key);
        return res->err = FLOE_ERR_LIMIT;
    }
    if (rq->content_type != NULL) {
        hh[n_hh].name = "Content-Type";
        hh[n_hh++].value = rq->content_type;
    }
    /* RFC 9530: the SHA-256 the writer computed, for the receiver to check. */
    if (rq->payload_sha != NULL && floe_strlen(rq->payload_sha) == 64) {
        uint8_t sha[32];
        for (i = 0; i < 32; i++)
            sha[i] = (uint8_t)(floe_hex_digit(rq->payload_sha[2 * i]) * 16 + floe_hex_digit(rq->payload_sha[2 * i + 1]));
        floe_memcpy(digest, "sha-256=:", 9);
        err = floe_s3_base64_encode(sha, 32, digest + 9, sizeof digest - 11);
        if (err >= 0) {
            len = floe_strlen(digest);
            digest[len] = ':';
            digest[len + 1] = '\0';
            hh[n_hh].name = "Content-Digest";
            hh[n_hh++].value = digest;
        }
    }
    if (cfg->bearer_token != NULL && cfg->bearer_token[0] != '\0') {
        if (floe_format(bearer, half, "Bearer %s", cfg->bearer_token) + 1 >= half) {
            res->outcome = FLOE_S3_FATAL;
            floe_format(res->message, sizeof res->message, "bearer token too long");
            return res->err = FLOE_ERR_LIMIT;
        }
        hh[n_hh].name = "Authorization";
        hh[n_hh++].value = bearer;
    }
    floe_memset(&hreq, 0, sizeof hreq);
    hreq.headers = hh;
    hreq.header_count = n_hh;
    err = send_and_judge(s3, rq, &hreq, res);
    floe_memset(bearer, 0, half);
    return err;
}

int floe_s3_put_file(struct floe_s3 *s3, const char *key, const char *path, uint64_t size,
                     const uint8_t sha256[32], uint32_t crc32c, struct floe_s3_result *res)
{
    return floe_s3_put_file_typed(s3, key, path, size, sha256, crc32c, "application/vnd.apache.parquet", res);
}

int floe_s3_put_file_typed(struct floe_s3 *s3, const char *key, const char *path, uint64_t size,
                           const uint8_t sha256[32], uint32_t crc32c, const char *content_type,
                           struct floe_s3_result *res)
{
    struct req rq;
    char hex[65], crc[9];
    FLOE_FAIL_IF(s3 == NULL || s3->st == NULL || key == NULL || path == NULL || res == NULL, FLOE_ERR_INVAL);
    floe_hex(sha256, 32, hex);
    floe_s3_checksum_crc32c_b64(crc32c, crc);
    floe_memset(&rq, 0, sizeof rq);
    rq.method = "PUT";
    rq.key = key;
    rq.payload_sha = hex;
    rq.crc_b64 = crc;
    rq.content_type = content_type;
    rq.body_len = size;
    rq.file_path = path;
    return exchange(s3, &rq, res);
}

int floe_s3_put_bytes(struct floe_s3 *s3, const char *key, const void *data, size_t n, const char *content_type,
                      struct floe_s3_result *res)
{
    struct req rq;
    uint8_t digest[32];
    char hex[65], crc[9];
    FLOE_FAIL_IF(s3 == NULL || s3->st == NULL || key == NULL || res == NULL, FLOE_ERR_INVAL);
    floe_sha256(data, n, digest);
    floe_hex(digest, 32, hex);
    floe_s3_checksum_crc32c_b64(floe_crc32c(data, n), crc);
    floe_memset(&rq, 0, sizeof rq);
    rq.method = "PUT";
    rq.key = key;
    rq.payload_sha = hex;
    rq.crc_b64 = crc;
    rq.content_type = content_type;
    rq.body_len = n;
    rq.body = data;
    return exchange(s3, &rq, res);
}

int floe_s3_multipart_create(struct floe_s3 *s3, const char *key, char *upload_id, size_t cap,
                             struct floe_s3_result *res)
{
    struct req rq;
    int err;
    FLOE_FAIL_IF(s3 == NULL || s3->st == NULL || key == NULL || upload_id == NULL || res == NULL, FLOE_ERR_INVAL);
    floe_memset(&rq, 0, sizeof rq);
    rq.method = "POST";
    rq.key = key;
    rq.query = "uploads";
    rq.payload_sha = FLOE_SIGV4_EMPTY_SHA256;
    rq.content_type = "application/vnd.apache.parquet";
    /* Every part carries a CRC-32C; S3 keeps one for the whole object. */
    rq.checksum_algorithm = "CRC32C";
    err = exchange(s3, &rq, res);
    if (err != FLOE_OK)
        return err;
    if (!xml_value(s3->st->resp_body, s3->st->resp_len, "UploadId", upload_id, cap) || upload_id[0] == '\0') {
        res->outcome = FLOE_S3_RETRY;
        floe_format(res->message, sizeof res->message, "CreateMultipartUpload answer without an UploadId");
        return res->err = FLOE_ERR_HTTP;
    }
    return FLOE_OK;
}

/* Appends "uploadId=<encoded>" to the query buffer. */
static int upload_id_query(struct floe_s3_state *st, const char *prefix, const char *upload_id)
{
    size_t n = floe_format(st->query, QUERY_BUF, "%s", prefix);
    int e = floe_sigv4_uri_encode(upload_id, st->query + n, QUERY_BUF - n, 0);
    return e < 0 ? e : FLOE_OK;
}

int floe_s3_upload_part(struct floe_s3 *s3, const char *key, const char *upload_id, uint32_t part_number,
                        const char *path, uint64_t offset, uint64_t len, struct floe_s3_result *res)
{
    struct floe_s3_state *st;
    const struct floe_fs_port *fs;
    struct floe_sha256 sha;
    struct req rq;
    uint8_t digest[32];
    char hex[65], crc_text[9], prefix[48];
    uint32_t crc = 0;
    uint64_t done = 0;
    int err;
    FLOE_FAIL_IF(s3 == NULL || s3->st == NULL || key == NULL || upload_id == NULL || path == NULL || res == NULL,
                 FLOE_ERR_INVAL);
    FLOE_FAIL_IF(part_number == 0 || part_number > FLOE_S3_MAX_PARTS, FLOE_ERR_INVAL);
    st = s3->st;
    fs = st->cfg->fs;
    floe_memset(res, 0, sizeof *res);
    /* Hash the part first: its SHA-256 signs the request, its CRC-32C is
     * checked by S3 against what arrives. */
    FLOE_TRY(fs->open(fs->ctx, st->file, path, FLOE_FS_READ));
    floe_sha256_init(&sha);
    while (done < len) {
        size_t want = len - done < HASH_BUF ? (size_t)(len - done) : HASH_BUF;
        floe_ssize_t r = fs->read(fs->ctx, st->file, offset + done, st->hash_buf, want);
        if (r <= 0) {
            fs->close(fs->ctx, st->file);
            res->outcome = FLOE_S3_FATAL;
            return res->err = r < 0 ? (int)r : FLOE_ERR_IO;
        }
        floe_sha256_update(&sha, st->hash_buf, (size_t)r);
        crc = floe_crc32c_update(crc, st->hash_buf, (size_t)r);
        done += (uint64_t)r;
    }
    fs->close(fs->ctx, st->file);
    floe_sha256_final(&sha, digest);
    floe_hex(digest, 32, hex);
    floe_s3_checksum_crc32c_b64(crc, crc_text);
    floe_format(prefix, sizeof prefix, "partNumber=%u&uploadId=", (unsigned)part_number);
    err = upload_id_query(st, prefix, upload_id);
    if (err != FLOE_OK) {
        res->outcome = FLOE_S3_FATAL;
        return res->err = err;
    }
    floe_memset(&rq, 0, sizeof rq);
    rq.method = "PUT";
    rq.key = key;
    rq.query = st->query;
    rq.payload_sha = hex;
    rq.crc_b64 = crc_text;
    rq.body_len = len;
    rq.file_path = path;
    rq.file_offset = offset;
    err = exchange(s3, &rq, res);
    floe_format(res->crc32c_b64, sizeof res->crc32c_b64, "%s", crc_text);
    if (err == FLOE_OK && res->etag[0] == '\0') {
        res->outcome = FLOE_S3_RETRY;
        floe_format(res->message, sizeof res->message, "UploadPart answer without an ETag");
        return res->err = FLOE_ERR_HTTP;
    }
    return err;
}

int floe_s3_multipart_complete(struct floe_s3 *s3, const char *key, const char *upload_id,
                               const struct floe_s3_part *parts, uint32_t n_parts, struct floe_s3_result *res)
{
    struct floe_s3_state *st;
    struct req rq;
    uint8_t digest[32];
    char hex[65];
    size_t n;
    uint32_t i;
    int err;
    FLOE_FAIL_IF(s3 == NULL || s3->st == NULL || key == NULL || upload_id == NULL || parts == NULL || res == NULL,
                 FLOE_ERR_INVAL);
    FLOE_FAIL_IF(n_parts == 0 || n_parts > COMPLETE_MAX_PARTS, FLOE_ERR_LIMIT);
    st = s3->st;
    n = floe_format(st->complete, COMPLETE_BUF, "<CompleteMultipartUpload>");
    for (i = 0; i < n_parts; i++)
        n += floe_format(st->complete + n, COMPLETE_BUF - n,
                         "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag><ChecksumCRC32C>%s</ChecksumCRC32C></Part>",
                         (unsigned)parts[i].number, parts[i].etag, parts[i].crc32c_b64);
    n += floe_format(st->complete + n, COMPLETE_BUF - n, "</CompleteMultipartUpload>");
    if (n + 1 >= COMPLETE_BUF)
        return FLOE_ERR_LIMIT;
    floe_sha256(st->complete, n, digest);
    floe_hex(digest, 32, hex);
    err = upload_id_query(st, "uploadId=", upload_id);
    if (err != FLOE_OK)
        return err;
    floe_memset(&rq, 0, sizeof rq);
    rq.method = "POST";
    rq.key = key;
    rq.query = st->query;
    rq.payload_sha = hex;
    rq.content_type = "application/xml";
    rq.body_len = n;
    rq.body = st->complete;
    err = exchange(s3, &rq, res);
    if (err != FLOE_OK)
        return err;
    /* S3 may answer 200 and put an error in the body (a late failure). */
    {
        char code[64];
        if (xml_value(st->resp_body, st->resp_len, "Code", code, sizeof code) && code[0] != '\0') {
            floe_format(res->code, sizeof res->code, "%s", code);
            xml_value(st->resp_body, st->resp_len, "Message", res->message, sizeof res->message);
            res->outcome = FLOE_S3_RETRY;
            return res->err = FLOE_ERR_HTTP;
        }
    }
    return FLOE_OK;
}

int floe_s3_multipart_abort(struct floe_s3 *s3, const char *key, const char *upload_id,
                            struct floe_s3_result *res)
{
    struct req rq;
    int err;
    FLOE_FAIL_IF(s3 == NULL || s3->st == NULL || key == NULL || upload_id == NULL || res == NULL, FLOE_ERR_INVAL);
    err = upload_id_query(s3->st, "uploadId=", upload_id);
    if (err != FLOE_OK)
        return err;
    floe_memset(&rq, 0, sizeof rq);
    rq.method = "DELETE";
    rq.key = key;
    rq.query = s3->st->query;
    rq.payload_sha = FLOE_SIGV4_EMPTY_SHA256;
    return exchange(s3, &rq, res);
}
