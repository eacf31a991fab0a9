/* HTTP: URL parsing, the incremental response parser (every split point),
 * and the client against a scripted server behind the fault-injecting net
 * port, with a fake clock so timeouts end without waiting. One test also
 * runs over real loopback sockets (single thread: the answer is written
 * before the request). */
#define _DEFAULT_SOURCE
#include "test.h"
#include "floe/error.h"
#include "floe/http.h"
#include "floe_fault.h"
#include "floe_posix.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- URLs ---------------------------------------------------------------- */

TEST(url_parses_http_https_ipv6_userinfo)
{
    struct floe_url u;
    char auth[300];
    static const char u1[] = "https://s3.EU-west-1.amazonaws.com:8443/bucket/key%20x?uploads=&x=1#frag";
    CHECK_EQ_INT(floe_url_parse("http://example.com", &u), FLOE_OK);
    CHECK_EQ_STR(u.host, "example.com");
    CHECK_EQ_INT(u.https, 0);
    CHECK_EQ_INT(u.port, 80);
    CHECK_EQ_INT(u.port_explicit, 0);
    CHECK(u.path_len == 1 && u.path[0] == '/');
    CHECK(u.query == NULL && u.userinfo == NULL);
    CHECK_EQ_INT(floe_url_authority(&u, auth, sizeof auth), 11);
    CHECK_EQ_STR(auth, "example.com");

    CHECK_EQ_INT(floe_url_parse(u1, &u), FLOE_OK);
    CHECK_EQ_INT(u.https, 1);
    CHECK_EQ_INT(u.port, 8443);
    CHECK_EQ_INT(u.port_explicit, 1);
    CHECK_EQ_STR(u.host, "s3.eu-west-1.amazonaws.com");
    CHECK(u.path == u1 + 39);
    CHECK_EQ_INT(u.path_len, 15);
    CHECK(memcmp(u.path, "/bucket/key%20x", 15) == 0);
    CHECK_EQ_INT(u.query_len, 12);
    CHECK(memcmp(u.query, "uploads=&x=1", 12) == 0);
    CHECK(floe_url_authority(&u, auth, sizeof auth) > 0);
    CHECK_EQ_STR(auth, "s3.eu-west-1.amazonaws.com:8443");

    CHECK_EQ_INT(floe_url_parse("HTTP://[::1]:9000/b", &u), FLOE_OK);
    CHECK_EQ_INT(u.ipv6, 1);
    CHECK_EQ_STR(u.host, "::1");
    CHECK_EQ_INT(u.port, 9000);
    CHECK(floe_url_authority(&u, auth, sizeof auth) > 0);
    CHECK_EQ_STR(auth, "[::1]:9000");
    CHECK_EQ_INT(floe_url_authority(&u, auth, 10), FLOE_ERR_LIMIT);
    CHECK_EQ_INT(floe_url_authority(&u, auth, 11), 10);

    CHECK_EQ_INT(floe_url_parse("http://user:pa%40ss@proxy.local:3128", &u), FLOE_OK);
    CHECK_EQ_INT(u.userinfo_len, 12);
    CHECK(memcmp(u.userinfo, "user:pa%40ss", 12) == 0);
    CHECK_EQ_STR(u.host, "proxy.local");
    CHECK_EQ_INT(u.port, 3128);

    CHECK_EQ_INT(floe_url_parse("https://host:/x?", &u), FLOE_OK); /* empty port: default */
    CHECK_EQ_INT(u.port, 443);
    CHECK_EQ_INT(u.port_explicit, 0);
    CHECK(u.query != NULL && u.query_len == 0);
    CHECK_EQ_INT(floe_url_parse("http://10.0.0.1:80?a=b", &u), FLOE_OK);
    CHECK(u.path_len == 1 && u.query_len == 3);
    CHECK(floe_url_authority(&u, auth, sizeof auth) > 0);
    CHECK_EQ_STR(auth, "10.0.0.1");
}

TEST(url_rejects_bad_input_with_clear_errors)
{
    static char longhost[300], longurl[FLOE_URL_MAX + 64];
    static const struct {
        const char *url;
        int err;
    } bad[] = {
        {"ftp://x/", FLOE_ERR_UNSUPPORTED},
        {"httpx://x/", FLOE_ERR_UNSUPPORTED},
        {"http:/x", FLOE_ERR_MALFORMED},
        {"http:x", FLOE_ERR_MALFORMED},
        {"//x/", FLOE_ERR_MALFORMED},
        {"x", FLOE_ERR_MALFORMED},
        {"", FLOE_ERR_MALFORMED},
        {"1http://x", FLOE_ERR_MALFORMED},
        {"http://", FLOE_ERR_MALFORMED},
        {"http:///path", FLOE_ERR_MALFORMED},
        {"http://:80/", FLOE_ERR_MALFORMED},
        {"http://user@/", FLOE_ERR_MALFORMED},
        {"http://host:0/", FLOE_ERR_MALFORMED},
        {"http://host:65536/", FLOE_ERR_MALFORMED},
        {"http://host:123456/", FLOE_ERR_MALFORMED},
        {"http://host:8x/", FLOE_ERR_MALFORMED},
        {"http://ho st/", FLOE_ERR_MALFORMED},
        {"http://ho%41st/", FLOE_ERR_MALFORMED},
        {"http://host/a b", FLOE_ERR_MALFORMED},
        {"http://host/a\r\nX: y", FLOE_ERR_MALFORMED},
        {"http://host/%zz", FLOE_ERR_MALFORMED},
        {"http://host/%4", FLOE_ERR_MALFORMED},
        {"http://host/?q=\"", FLOE_ERR_MALFORMED},
        {"http://host/#a b", FLOE_ERR_MALFORMED},
        {"http://host/\x80", FLOE_ERR_MALFORMED},
        {"http://[::1/", FLOE_ERR_MALFORMED},
        {"http://[::1]x/", FLOE_ERR_MALFORMED},
        {"http://[]/", FLOE_ERR_MALFORMED},
        {"http://[1]/", FLOE_ERR_MALFORMED},
        {"http://[fe80::1%25eth0]/", FLOE_ERR_MALFORMED},
        {"http://[v1.x]/", FLOE_ERR_MALFORMED},
        {"http://us er@host/", FLOE_ERR_MALFORMED},
    };
    struct floe_url u;
    size_t i;
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        int r = floe_url_parse(bad[i].url, &u);
        if (r != bad[i].err)
            test_fail(__FILE__, __LINE__, "url \"%s\": %d, want %d", bad[i].url, r, bad[i].err);
    }
    CHECK_EQ_INT(floe_url_parse(NULL, &u), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_url_parse("http://x", NULL), FLOE_ERR_INVAL);
    memcpy(longhost, "http://", 7);
    memset(longhost + 7, 'a', 256);
    longhost[7 + 256] = '\0';
    CHECK_EQ_INT(floe_url_parse(longhost, &u), FLOE_ERR_LIMIT);
    longhost[7 + 255] = '\0'; /* exactly FLOE_URL_HOST_MAX */
    CHECK_EQ_INT(floe_url_parse(longhost, &u), FLOE_OK);
    CHECK_EQ_INT(strlen(u.host), 255);
    memcpy(longurl, "http://h/", 9);
    memset(longurl + 9, 'p', sizeof longurl - 10);
    longurl[sizeof longurl - 1] = '\0';
    CHECK_EQ_INT(floe_url_parse(longurl, &u), FLOE_ERR_LIMIT);
    longurl[FLOE_URL_MAX] = '\0'; /* exactly FLOE_URL_MAX bytes */
    CHECK_EQ_INT(floe_url_parse(longurl, &u), FLOE_OK);
    CHECK_EQ_INT(u.path_len, FLOE_URL_MAX - 8);
}

/* ---- parser -------------------------------------------------------------- */

struct presult {
    int rc;        /* DONE, MORE (incomplete) or an error */
    int status;
    int interims;
    int interim_status;
    size_t used;   /* bytes up to the end of the response */
    uint8_t body[512];
    size_t body_len;
    uint64_t total;
    int keep_alive, chunked, truncated, version;
    int64_t cl;
};

static uint8_t phdr[8192];
static uint8_t pbody[512];
static struct floe_http_parser parser;

/* Feeds msg whole (split == 0 and !bytewise), in two pieces cut at split, or
 * one byte at a time; then tells the parser about the close when eof. */
static void parse_msg(const char *msg, size_t n, size_t split, int bytewise, unsigned flags,
                      int eof, size_t hdr_cap, size_t body_cap, struct presult *out)
{
    struct floe_http_parser *p = &parser;
    size_t off = 0;
    memset(out, 0, sizeof *out);
    out->rc = FLOE_HTTP_MORE;
    if (floe_http_parser_init(p, phdr, hdr_cap, body_cap ? pbody : NULL, body_cap, 8, flags) != FLOE_OK) {
        out->rc = 99;
        return;
    }
    while (off < n) {
        size_t lim = bytewise ? off + 1 : (split > 0 && off < split ? split : n), used = 99999;
        int r = floe_http_parser_feed(p, msg + off, lim - off, &used);
        if (used > lim - off) {
            out->rc = 98;
            return;
        }
        off += used;
        if (r < 0) {
            out->rc = r;
            break;
        }
        if (r == FLOE_HTTP_INTERIM) {
            out->interims++;
            out->interim_status = p->status;
            continue;
        }
        if (r == FLOE_HTTP_DONE) {
            out->rc = r;
            out->used = off;
            break;
        }
        if (off != lim) {
            out->rc = 97; /* MORE must use everything */
            return;
        }
    }
    if (out->rc == FLOE_HTTP_MORE && eof) {
        out->rc = floe_http_parser_eof(p);
        out->used = off;
    }
    out->status = p->status;
    memcpy(out->body, pbody, p->body_len);
    out->body_len = p->body_len;
    out->total = p->body_total;
    out->keep_alive = p->keep_alive;
    out->chunked = p->chunked;
    out->truncated = p->body_truncated;
    out->cl = p->content_length;
    out->version = p->version_minor;
}

static void parse_str(const char *msg, unsigned flags, int eof, struct presult *out)
{
    parse_msg(msg, strlen(msg), 0, 0, flags, eof, sizeof phdr, sizeof pbody, out);
}

static int same_result(const struct presult *a, const struct presult *b)
{
    if (a->rc != b->rc)
        return 0;
    if (a->rc < 0)
        return 1; /* the same error; where it stopped may differ */
    return a->status == b->status && a->interims == b->interims && a->used == b->used &&
           a->body_len == b->body_len && memcmp(a->body, b->body, a->body_len) == 0 &&
           a->total == b->total && a->keep_alive == b->keep_alive && a->chunked == b->chunked &&
           a->truncated == b->truncated && a->cl == b->cl;
}

TEST(parser_content_length_and_header_lookup)
{
    struct presult r;
    const char *v;
    size_t n;
    parse_str("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"abc\"\r\nX-Empty:\r\n"
              "x-amz-request-id:  R1 \t\r\n\r\nhello", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_INT(r.version, 1);
    CHECK_EQ_INT(r.body_len, 5);
    CHECK(memcmp(r.body, "hello", 5) == 0);
    CHECK_EQ_INT(r.cl, 5);
    CHECK_EQ_INT(r.keep_alive, 1);
    CHECK_EQ_INT(r.chunked, 0);
    CHECK_EQ_INT(floe_http_parser_header(&parser, "etag", &v, &n), FLOE_OK);
    CHECK_EQ_STR(v, "\"abc\"");
    CHECK_EQ_INT(n, 5);
    CHECK_EQ_INT(floe_http_parser_header(&parser, "X-AMZ-REQUEST-ID", &v, &n), FLOE_OK);
    CHECK_EQ_STR(v, "R1");
    CHECK_EQ_INT(floe_http_parser_header(&parser, "x-empty", &v, &n), FLOE_OK);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(floe_http_parser_header(&parser, "x-missing", &v, &n), FLOE_ERR_MISSING);
    CHECK_EQ_INT(floe_http_parser_header(&parser, "etag2", &v, &n), FLOE_ERR_MISSING);
    CHECK_EQ_STR((const char *)phdr, "OK"); /* the reason phrase */
    /* After DONE, more input is not consumed. */
    CHECK_EQ_INT(floe_http_parser_feed(&parser, "x", 1, &n), FLOE_HTTP_DONE);
    CHECK_EQ_INT(n, 0);
    /* Before the header block ends, lookups are refused. */
    floe_http_parser_init(&parser, phdr, sizeof phdr, NULL, 0, 8, 0);
    CHECK_EQ_INT(floe_http_parser_feed(&parser, "HTTP/1.1 200 OK\r\nA: b\r\n", 23, &n), FLOE_HTTP_MORE);
    CHECK_EQ_INT(floe_http_parser_header(&parser, "a", &v, &n), FLOE_ERR_STATE);
}

TEST(parser_chunked_with_extensions_and_trailers)
{
    struct presult r;
    parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
              "5;foo=bar\r\nhello\r\n6 ; x=\"y z\"\r\n world\r\nA\r\n0123456789\r\n"
              "0\r\nX-Trailer: 1\r\nX-Other: two\r\n\r\n", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.chunked, 1);
    CHECK_EQ_INT(r.body_len, 21);
    CHECK(memcmp(r.body, "hello world0123456789", 21) == 0);
    CHECK_EQ_INT(r.cl, -1);
    CHECK_EQ_INT(r.keep_alive, 1);
    /* Bare LF everywhere, and hex digits in both cases with leading zeros. */
    parse_str("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n00000000000000b\nhello world\nfF\n", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_MORE);
    CHECK_EQ_INT(r.body_len, 11);
    parse_str("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n0\n\n", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.body_len, 0);
}

/* Every response here must parse the same whole, cut in two anywhere, and
 * one byte at a time. */
static const char *const split_msgs[] = {
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"e\"\r\n\r\nhelloEXTRA",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n1\r\n!\r\n0\r\nT: x\r\n\r\nNEXT",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: </x>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nclose delimited body",
    "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
    "HTTP/1.1 304 Not Modified\r\n\r\n",
    "HTTP/1.1 503 Slow Down\r\nRetry-After: 7\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc",
    "HTTP/1.1 200 OK\nContent-Length: 3\n\nabc",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n12345678901234567\r\n",
    "HTTP/1.1 200 OK\r\n Folded: x\r\n\r\n",
    "HTTP/1.1 2000 OK\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nBad\x01Trailer\r\n\r\n",
};

TEST(parser_split_at_every_byte_boundary)
{
    static struct presult whole, piece;
    size_t m;
    for (m = 0; m < ARRAY_LEN(split_msgs); m++) {
        const char *msg = split_msgs[m];
        size_t n = strlen(msg), split;
        parse_msg(msg, n, 0, 0, 0, 1, sizeof phdr, sizeof pbody, &whole);
        CHECK(whole.rc == FLOE_HTTP_DONE || whole.rc < 0);
        for (split = 1; split < n; split++) {
            parse_msg(msg, n, split, 0, 0, 1, sizeof phdr, sizeof pbody, &piece);
            if (!same_result(&whole, &piece))
                test_fail(__FILE__, __LINE__, "message %zu split at %zu: rc %d vs %d", m, split,
                          piece.rc, whole.rc);
        }
        parse_msg(msg, n, 0, 1, 0, 1, sizeof phdr, sizeof pbody, &piece);
        if (!same_result(&whole, &piece))
            test_fail(__FILE__, __LINE__, "message %zu byte by byte: rc %d vs %d", m, piece.rc, whole.rc);
        /* A small body cap changes nothing but what is kept. */
        parse_msg(msg, n, 0, 1, 0, 1, sizeof phdr, 2, &piece);
        CHECK_EQ_INT(piece.rc, whole.rc);
        CHECK_EQ_U64(piece.total, whole.total);
        CHECK(piece.body_len <= 2);
    }
    /* Spot checks of what those messages mean. */
    parse_msg(split_msgs[0], strlen(split_msgs[0]), 0, 1, 0, 1, sizeof phdr, sizeof pbody, &whole);
    CHECK_EQ_INT(whole.used, strlen(split_msgs[0]) - 5);
    parse_msg(split_msgs[1], strlen(split_msgs[1]), 0, 1, 0, 1, sizeof phdr, sizeof pbody, &whole);
    CHECK_EQ_INT(whole.used, strlen(split_msgs[1]) - 4);
    CHECK_EQ_INT(whole.body_len, 6);
    parse_msg(split_msgs[2], strlen(split_msgs[2]), 7, 0, 0, 1, sizeof phdr, sizeof pbody, &whole);
    CHECK_EQ_INT(whole.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(whole.interims, 2);
    CHECK_EQ_INT(whole.status, 201);
    parse_msg(split_msgs[8], strlen(split_msgs[8]), 0, 0, 0, 1, sizeof phdr, sizeof pbody, &whole);
    CHECK_EQ_INT(whole.rc, FLOE_ERR_MALFORMED);
    parse_msg(split_msgs[10], strlen(split_msgs[10]), 0, 0, 0, 1, sizeof phdr, sizeof pbody, &whole);
    CHECK_EQ_INT(whole.rc, FLOE_ERR_LIMIT);
}

TEST(parser_interim_100_then_final)
{
    size_t used;
    const char *v;
    static const char msg[] = "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    floe_http_parser_init(&parser, phdr, sizeof phdr, pbody, sizeof pbody, 8, 0);
    CHECK_EQ_INT(floe_http_parser_feed(&parser, msg, sizeof msg - 1, &used), FLOE_HTTP_INTERIM);
    CHECK_EQ_INT(parser.status, 100);
    CHECK_EQ_INT(used, 39);
    /* The interim header block can be read until more is fed. */
    CHECK_EQ_INT(floe_http_parser_header(&parser, "x-interim", &v, NULL), FLOE_OK);
    CHECK_EQ_INT(floe_http_parser_feed(&parser, msg + used, sizeof msg - 1 - used, &used), FLOE_HTTP_DONE);
    CHECK_EQ_INT(parser.status, 200);
    CHECK_EQ_INT(parser.body_len, 2);
    CHECK_EQ_INT(floe_http_parser_header(&parser, "x-interim", &v, NULL), FLOE_ERR_MISSING);
}

TEST(parser_head_204_304_have_no_body)
{
    struct presult r;
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nTransfer-Encoding: gzip\r\n\r\nNEXT";
    parse_str(head, FLOE_HTTP_PARSE_HEAD, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.used, sizeof head - 1 - 4);
    CHECK_EQ_INT(r.cl, 1000);
    CHECK_EQ_INT(r.body_len, 0);
    CHECK_EQ_INT(r.keep_alive, 1);
    parse_str("HTTP/1.1 204 No Content\r\n\r\nX", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.used, 27);
    parse_str("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.keep_alive, 1);
    /* CONNECT: a 2xx ends at its header block whatever it says about a body. */
    parse_str("HTTP/1.1 200 Connection established\r\nContent-Length: 10\r\n\r\n\x16\x03", FLOE_HTTP_PARSE_CONNECT, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.body_len, 0);
    parse_str("HTTP/1.1 407 Proxy Auth\r\nContent-Length: 2\r\n\r\nno", FLOE_HTTP_PARSE_CONNECT, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.body_len, 2);
}

TEST(parser_close_delimited_and_keep_alive_rules)
{
    struct presult r;
    parse_str("HTTP/1.0 200 OK\r\n\r\nabc", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_MORE);
    parse_str("HTTP/1.0 200 OK\r\n\r\nabc", 0, 1, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.version, 0);
    CHECK_EQ_INT(r.keep_alive, 0);
    CHECK_EQ_INT(r.body_len, 3);
    parse_str("HTTP/1.1 200 OK\r\n\r\nabc", 0, 1, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.keep_alive, 0);
    parse_str("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.keep_alive, 1);
    parse_str("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 0, 0, &r);
    CHECK_EQ_INT(r.keep_alive, 0);
    parse_str("HTTP/1.1 200 OK\r\nConnection: foo, CLOSE\r\nContent-Length: 1\r\n\r\nx", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.keep_alive, 0);
    parse_str("HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.version, 1);
    /* A response cut short is an error at the close. */
    parse_str("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", 0, 1, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_MALFORMED);
    parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 0, 1, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_MALFORMED);
    parse_str("HTTP/1.1 100 Continue\r\n\r\n", 0, 1, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_MALFORMED);
    parse_str("", 0, 1, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_MALFORMED);
}

TEST(parser_rejects_bad_status_lines)
{
    static const char *const bad[] = {
        "HTTP/1.1 20 OK\r\n\r\n", "HTTP/2 200 OK\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1 600 X\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n", "http/1.1 200 OK\r\n\r\n",
        "HTTP/1.1  200 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n", "ICY 200 OK\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 200 O\x01K\r\n\r\n", "HTTP/1.1 200 OK\rX\r\n\r\n",
        "\r\nHTTP/1.1 200 OK\r\n\r\n", "HTTP/1.x 200 OK\r\n\r\n", "HTTP/1.1 200 OK\x7f\r\n\r\n",
        " HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1\t200 OK\r\n\r\n", "HTTP/1.1 -20 OK\r\n\r\n",
    };
    struct presult r;
    size_t i;
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        parse_str(bad[i], 0, 1, &r);
        if (r.rc != FLOE_ERR_MALFORMED)
            test_fail(__FILE__, __LINE__, "status line %zu: %d", i, r.rc);
    }
    parse_str("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 0, 0, &r); /* no reason, no SP */
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    parse_str("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    parse_str("HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_HTTP);
    /* Errors stick. */
    CHECK_EQ_INT(floe_http_parser_feed(&parser, "HTTP/1.1 200 OK\r\n", 17, NULL), FLOE_ERR_HTTP);
    CHECK_EQ_INT(floe_http_parser_eof(&parser), FLOE_ERR_HTTP);
}

TEST(parser_rejects_bad_header_fields)
{
    static const char *const bad[] = {
        "HTTP/1.1 200 OK\r\nA: b\r\n  folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\r\n\tfolded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nName : v\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNa(me: v\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\000c\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\r\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\r\n\r\r\n",
    };
    static const size_t lens[] = {0, 0, 0, 0, 0, 0, 27, 0, 0, 0};
    struct presult r;
    size_t i;
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        size_t n = lens[i] ? lens[i] : strlen(bad[i]);
        parse_msg(bad[i], n, 0, 0, 0, 1, sizeof phdr, sizeof pbody, &r);
        if (r.rc != FLOE_ERR_MALFORMED)
            test_fail(__FILE__, __LINE__, "header case %zu: %d", i, r.rc);
    }
    /* obs-text in values is allowed (RFC 9110 5.5). */
    parse_str("HTTP/1.1 200 OK\r\nX: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
}

TEST(parser_over_long_header_section_is_limit)
{
    static char msg[10000];
    struct presult r;
    size_t n, i;
    /* One 9000-byte value against an 8 KiB bound. */
    n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\nX-Big: ");
    memset(msg + n, 'v', 9000);
    n += 9000;
    memcpy(msg + n, "\r\n\r\n", 4);
    n += 4;
    parse_msg(msg, n, 0, 0, 0, 1, 8192, sizeof pbody, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_LIMIT);
    parse_msg(msg, n, 0, 1, 0, 1, 8192, sizeof pbody, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_LIMIT);
    parse_msg(msg, n, 4000, 0, 0, 1, 8192, sizeof pbody, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_LIMIT);
    /* Exactly at the bound passes; one byte more does not. */
    n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 204 OK\r\nX: ");
    memset(msg + n, 'v', 100 - n - 4);
    memcpy(msg + 96, "\r\n\r\n", 4);
    parse_msg(msg, 100, 0, 0, 0, 0, 100, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    parse_msg(msg, 100, 0, 1, 0, 0, 100, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    parse_msg(msg, 100, 0, 0, 0, 0, 99, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_LIMIT);
    /* Many small lines add up to the bound as well. */
    n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 204 OK\r\n");
    for (i = 0; i < 5; i++)
        n += (size_t)snprintf(msg + n, sizeof msg - n, "A%zu: %0100d\r\n", i, 0);
    n += (size_t)snprintf(msg + n, sizeof msg - n, "\r\n");
    parse_msg(msg, n, 0, 0, 0, 0, 400, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_LIMIT);
    parse_msg(msg, n, 0, 0, 0, 0, 1000, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    /* Header count: the parser allows 8 here. */
    n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 204 OK\r\n");
    for (i = 0; i < 9; i++)
        n += (size_t)snprintf(msg + n, sizeof msg - n, "H%zu: x\r\n", i);
    n += (size_t)snprintf(msg + n, sizeof msg - n, "\r\n");
    parse_msg(msg, n, 0, 0, 0, 0, sizeof phdr, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_LIMIT);
    /* A status line alone over the bound. */
    n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 200 ");
    memset(msg + n, 'r', 200);
    parse_msg(msg, n + 200, 0, 0, 0, 0, 128, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_LIMIT);
    /* Too many interim responses. */
    n = 0;
    for (i = 0; i <= FLOE_HTTP_MAX_INTERIM; i++)
        n += (size_t)snprintf(msg + n, sizeof msg - n, "HTTP/1.1 103 Hints\r\n\r\n");
    parse_msg(msg, n, 0, 0, 0, 0, sizeof phdr, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_LIMIT);
}

TEST(parser_rejects_invalid_chunk_framing)
{
    static const struct {
        const char *chunks;
        int err;
    } bad[] = {
        {"x\r\n", FLOE_ERR_MALFORMED},
        {"\r\n", FLOE_ERR_MALFORMED},
        {";ext\r\n", FLOE_ERR_MALFORMED},
        {"-1\r\n", FLOE_ERR_MALFORMED},
        {"0x5\r\nhello\r\n", FLOE_ERR_MALFORMED},
        {"+5\r\nhello\r\n", FLOE_ERR_MALFORMED},
        {"5 5\r\nhello\r\n", FLOE_ERR_MALFORMED},
        {"11111111111111111\r\n", FLOE_ERR_LIMIT},
        {"00000000000000000\r\n", FLOE_ERR_LIMIT},
        {"5\r\nhelloX\r\n", FLOE_ERR_MALFORMED},
        {"5\r\nhello\r\r\n", FLOE_ERR_MALFORMED},
        {"5\rX", FLOE_ERR_MALFORMED},
        {"5;a\x01\r\nhello\r\n", FLOE_ERR_MALFORMED},
        {"5;a\rb\r\nhello\r\n", FLOE_ERR_MALFORMED},
        {"0\r\nT: a\rb\r\n\r\n", FLOE_ERR_MALFORMED},
        {"0\r\n\rx", FLOE_ERR_MALFORMED},
    };
    static char msg[3000];
    struct presult r;
    size_t i, n;
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%s",
                             bad[i].chunks);
        parse_msg(msg, n, 0, 0, 0, 1, sizeof phdr, sizeof pbody, &r);
        if (r.rc != bad[i].err)
            test_fail(__FILE__, __LINE__, "chunks \"%s\": %d, want %d", bad[i].chunks, r.rc, bad[i].err);
    }
    /* A chunk line of extensions over FLOE_HTTP_CHUNK_LINE_MAX. */
    n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;");
    memset(msg + n, 'e', FLOE_HTTP_CHUNK_LINE_MAX);
    n += FLOE_HTTP_CHUNK_LINE_MAX;
    parse_msg(msg, n, 0, 0, 0, 1, sizeof phdr, sizeof pbody, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_LIMIT);
    /* Trailers over the header bound. */
    n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: ");
    memset(msg + n, 't', 300);
    n += 300;
    parse_msg(msg, n, 0, 0, 0, 1, 256, sizeof pbody, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_LIMIT);
    /* The largest chunk size parses (and then waits for its bytes). */
    parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_MORE);
    CHECK_EQ_INT(r.body_len, 2);
}

TEST(parser_content_length_junk_and_conflicts)
{
    static const struct {
        const char *cl;
        int err;
    } cases[] = {
        {"Content-Length: 5a", FLOE_ERR_MALFORMED},
        {"Content-Length: +5", FLOE_ERR_MALFORMED},
        {"Content-Length: -1", FLOE_ERR_MALFORMED},
        {"Content-Length:", FLOE_ERR_MALFORMED},
        {"Content-Length:   ", FLOE_ERR_MALFORMED},
        {"Content-Length: 5 5", FLOE_ERR_MALFORMED},
        {"Content-Length: 5,", FLOE_ERR_MALFORMED},
        {"Content-Length: ,5", FLOE_ERR_MALFORMED},
        {"Content-Length: 0x5", FLOE_ERR_MALFORMED},
        {"Content-Length: 5.0", FLOE_ERR_MALFORMED},
        {"Content-Length: 5, 6", FLOE_ERR_MALFORMED},
        {"Content-Length: 5\r\nContent-Length: 6", FLOE_ERR_MALFORMED},
        {"Content-Length: 5\r\ncontent-length: 05", FLOE_HTTP_DONE},
        {"Content-Length: 5, 5", FLOE_HTTP_DONE},
        {"Content-Length: 5\r\nContent-Length: 5 , 5", FLOE_HTTP_DONE},
        {"Content-Length: 99999999999999999999", FLOE_ERR_LIMIT},
        {"Content-Length: 9223372036854775808", FLOE_ERR_LIMIT},
        {"Content-Length: 5\r\nTransfer-Encoding: chunked", FLOE_ERR_MALFORMED},
        {"Transfer-Encoding: chunked\r\nContent-Length: 5", FLOE_ERR_MALFORMED},
        {"Transfer-Encoding: gzip", FLOE_ERR_UNSUPPORTED},
        {"Transfer-Encoding: gzip, chunked", FLOE_ERR_UNSUPPORTED},
        {"Transfer-Encoding: chunked, gzip", FLOE_ERR_UNSUPPORTED},
        {"Transfer-Encoding: chunked, chunked", FLOE_ERR_MALFORMED},
        {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", FLOE_ERR_MALFORMED},
        {"Transfer-Encoding:", FLOE_ERR_MALFORMED},
        {"Transfer-Encoding: , chunked ,", FLOE_HTTP_DONE},
    };
    static char msg[512];
    struct presult r;
    size_t i, n;
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        int chunked = strstr(cases[i].cl, "chunked") != NULL;
        n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 200 OK\r\n%s\r\n\r\n%s", cases[i].cl,
                             chunked ? "5\r\nhello\r\n0\r\n\r\n" : "hello");
        parse_msg(msg, n, 0, 0, 0, 1, sizeof phdr, sizeof pbody, &r);
        if (r.rc != cases[i].err)
            test_fail(__FILE__, __LINE__, "case \"%s\": %d, want %d", cases[i].cl, r.rc, cases[i].err);
        if (r.rc == FLOE_HTTP_DONE && (r.body_len != 5 || memcmp(r.body, "hello", 5) != 0))
            test_fail(__FILE__, __LINE__, "case \"%s\": wrong body", cases[i].cl);
    }
    /* Chunked from an HTTP/1.0 server is refused. */
    parse_str("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 1, &r);
    CHECK_EQ_INT(r.rc, FLOE_ERR_MALFORMED);
    /* The largest Content-Length parses. */
    parse_str("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\nab", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_MORE);
    CHECK(r.cl == INT64_MAX);
}

TEST(parser_body_cap_discards_excess_and_retry_after)
{
    static char msg[512];
    struct presult r;
    size_t n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 503 Slow Down\r\nRetry-After: 120\r\n"
                                                 "Content-Length: 100\r\n\r\n");
    memset(msg + n, 'b', 100);
    n += 100;
    parse_msg(msg, n, 0, 0, 0, 0, sizeof phdr, 10, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.body_len, 10);
    CHECK_EQ_INT(r.truncated, 1);
    CHECK_EQ_U64(r.total, 100);
    CHECK_EQ_INT(parser.has_retry_after, 1);
    CHECK_EQ_INT(parser.retry_after_s, 120);
    parse_msg(msg, n, 0, 0, 0, 0, sizeof phdr, 0, &r); /* no buffer at all */
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(r.body_len, 0);
    CHECK_EQ_INT(r.truncated, 1);
    parse_str("HTTP/1.1 503 X\r\nRetry-After: Fri, 31 Dec 1999 23:59:59 GMT\r\nContent-Length: 0\r\n\r\n", 0, 0, &r);
    CHECK_EQ_INT(r.rc, FLOE_HTTP_DONE);
    CHECK_EQ_INT(parser.has_retry_after, 0);
    parse_str("HTTP/1.1 503 X\r\nRetry-After: 99999999999999\r\nContent-Length: 0\r\n\r\n", 0, 0, &r);
    CHECK_EQ_INT(parser.has_retry_after, 1);
    CHECK_EQ_U64(parser.retry_after_s, UINT32_MAX);
    /* Exactly at the cap: not truncated. */
    parse_msg(msg, n, 0, 0, 0, 0, sizeof phdr, 100, &r);
    CHECK_EQ_INT(r.truncated, 0);
    CHECK_EQ_INT(r.body_len, 100);
}

TEST(parser_init_checks_arguments)
{
    CHECK_EQ_INT(floe_http_parser_init(NULL, phdr, 64, NULL, 0, 8, 0), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_parser_init(&parser, NULL, 64, NULL, 0, 8, 0), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_parser_init(&parser, phdr, 15, NULL, 0, 8, 0), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_parser_init(&parser, phdr, 64, NULL, 10, 8, 0), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_parser_init(&parser, phdr, 64, NULL, 0, 0, 0), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_parser_init(&parser, phdr, 64, NULL, 0, 8, 0), FLOE_OK);
    CHECK_EQ_INT(floe_http_parser_feed(&parser, NULL, 1, NULL), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_parser_feed(&parser, NULL, 0, NULL), FLOE_HTTP_MORE);
}

/* ---- a scripted server behind a net port ------------------------------------ */

struct fake_clock {
    uint64_t now;
    uint32_t step; /* added on every reading */
};

static uint64_t fc_mono(void *ctx)
{
    struct fake_clock *k = (struct fake_clock *)ctx;
    k->now += k->step;
    return k->now;
}

static int64_t fc_utc(void *ctx)
{
    (void)ctx;
    return 1750000000000LL;
}

/* What the server says: each segment is released once the client has sent
 * at least `gate` bytes. */
struct seg {
    const char *data;
    size_t len;
    uint64_t gate;
};

#define SENT_CAP 8192

struct fake_server {
    struct seg segs[4];
    int nseg, cur;
    size_t off;
    size_t max_piece;         /* recv hands out 1..max_piece bytes */
    size_t min_piece;         /* ...but at least this many when there are */
    size_t send_max;          /* send takes 1..send_max bytes */
    int close_at_end;         /* after the script: FLOE_ERR_NET, else silence */
    uint64_t reset_after;     /* non-zero: sends past this many bytes fail (peer reset) */
    char sent[SENT_CAP];
    size_t sent_len;
    uint64_t sent_total;
    uint32_t fnv;             /* FNV-1a of everything sent */
    struct fake_clock *clock;
    int connected;
};

static uint32_t fnv_add(uint32_t h, const void *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    while (n-- > 0)
        h = (h ^ *b++) * 16777619u;
    return h;
}

static int fs_connect(void *ctx, void *sock, const char *host, uint16_t port, uint32_t timeout_ms)
{
    struct fake_server *s = (struct fake_server *)ctx;
    (void)sock;
    (void)host;
    (void)port;
    (void)timeout_ms;
    s->connected = 1;
    return FLOE_OK;
}

static floe_ssize_t fs_send(void *ctx, void *sock, const void *buf, size_t n, uint32_t timeout_ms)
{
    struct fake_server *s = (struct fake_server *)ctx;
    size_t k;
    (void)sock;
    (void)timeout_ms;
    if (!s->connected)
        return FLOE_ERR_NET;
    k = 1 + (size_t)(test_rand() % s->send_max);
    if (k > n)
        k = n;
    if (s->reset_after != 0) {
        if (s->sent_total >= s->reset_after)
            return FLOE_ERR_NET;
        if (s->sent_total + k > s->reset_after)
            k = (size_t)(s->reset_after - s->sent_total);
    }
    if (s->sent_len < SENT_CAP) {
        size_t c = k < SENT_CAP - s->sent_len ? k : SENT_CAP - s->sent_len;
        memcpy(s->sent + s->sent_len, buf, c);
        s->sent_len += c;
    }
    s->sent_total += k;
    s->fnv = fnv_add(s->fnv, buf, k);
    return (floe_ssize_t)k;
}

static floe_ssize_t fs_recv(void *ctx, void *sock, void *buf, size_t n, uint32_t timeout_ms)
{
    struct fake_server *s = (struct fake_server *)ctx;
    const struct seg *g;
    size_t k;
    (void)sock;
    if (!s->connected)
        return FLOE_ERR_NET;
    while (s->cur < s->nseg && s->off == s->segs[s->cur].len) {
        s->cur++;
        s->off = 0;
    }
    if (s->cur == s->nseg && s->close_at_end)
        return FLOE_ERR_NET;
    if (s->cur == s->nseg || s->sent_total < s->segs[s->cur].gate) {
        s->clock->now += timeout_ms; /* nothing came: the whole wait passed */
        return 0;
    }
    g = &s->segs[s->cur];
    k = 1 + (size_t)(test_rand() % s->max_piece);
    if (k < s->min_piece)
        k = s->min_piece;
    if (k > n)
        k = n;
    if (k > g->len - s->off)
        k = g->len - s->off;
    memcpy(buf, g->data + s->off, k);
    s->off += k;
    return (floe_ssize_t)k;
}

static int fs_close(void *ctx, void *sock)
{
    (void)sock;
    ((struct fake_server *)ctx)->connected = 0;
    return FLOE_OK;
}

static struct fake_clock fclock;
static const struct floe_clock_port clock_port = {&fclock, fc_mono, fc_utc};
static struct fake_server srv;
static const struct floe_net_port fake_net = {&srv, 8, fs_connect, fs_send, fs_recv, fs_close};
static struct floe_fault fault;
static uint8_t arena_mem[64 * 1024] __attribute__((aligned(8)));
static struct floe_arena arena;
static struct floe_http_client cli;
static struct floe_tcp_stream tcp;
static struct floe_stream stream;

static void script_reset(void)
{
    memset(&srv, 0, sizeof srv);
    srv.max_piece = 7;
    srv.send_max = 50;
    srv.close_at_end = 0;
    srv.fnv = 2166136261u;
    srv.clock = &fclock;
}

static void script_add(const char *data, uint64_t gate)
{
    srv.segs[srv.nseg].data = data;
    srv.segs[srv.nseg].len = strlen(data);
    srv.segs[srv.nseg].gate = gate;
    srv.nseg++;
}

/* A client over the fake server, through the fault port and the TCP stream. */
static int client_up(const struct floe_http_config *over)
{
    struct floe_http_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (over != NULL)
        cfg = *over;
    cfg.clock = &clock_port;
    if (cfg.io_timeout_ms == 0)
        cfg.io_timeout_ms = 2000;
    if (cfg.request_timeout_ms == 0)
        cfg.request_timeout_ms = 60000;
    fclock.now = 1000;
    fclock.step = 1;
    floe_fault_init(&fault, NULL, &fake_net, NULL);
    floe_arena_init(&arena, arena_mem, sizeof arena_mem);
    floe_http_init(&cli);
    if (floe_http_setup(&cli, &cfg, &arena) != FLOE_OK)
        return -1;
    if (floe_tcp_stream_setup(&tcp, &fault.net, &arena) != FLOE_OK)
        return -2;
    if (floe_tcp_stream_open(&tcp, "s3.test", 80, 1000, &stream) != FLOE_OK)
        return -3;
    floe_http_set_stream(&cli, &stream);
    return 0;
}

static floe_ssize_t lying_send(void *ctx, const void *buf, size_t n, uint32_t t)
{
    (void)ctx;
    (void)buf;
    (void)t;
    return (floe_ssize_t)n + 1;
}

static const char ok_xml[] = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nETag: \"9a0364b9e99bb480dd25e1f0284c8555\"\r\n"
                             "x-amz-request-id: REQ1\r\n\r\n<ok>yes</ok>";

TEST(client_get_writes_exact_request_and_reuses_connection)
{
    static const struct floe_http_header hdrs[] = {{"x-amz-date", "20250101T000000Z"},
                                                   {"Authorization", "AWS4-HMAC-SHA256 Credential=x"}};
    static const char want[] = "GET /bucket/key?list-type=2 HTTP/1.1\r\nHost: s3.test:9000\r\n"
                               "x-amz-date: 20250101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=x\r\n"
                               "Connection: keep-alive\r\n\r\n";
    static const char second[] = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n<no>\r\n0\r\n\r\n";
    struct floe_http_request req;
    struct floe_http_response resp;
    const char *v, *name;
    size_t n, pos = 0;
    int count = 0;
    script_reset();
    script_add("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nETag: \"e1\"\r\nx-amz-request-id: R\r\n\r\n<ok>yes</ok>", 1);
    script_add(second, sizeof want - 1 + 1);
    REQUIRE(client_up(NULL) == 0);
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.target = "/bucket/key?list-type=2";
    req.host = "s3.test:9000";
    req.headers = hdrs;
    req.header_count = 2;
    memset(&resp, 0, sizeof resp);
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_STR(resp.reason, "OK");
    CHECK_EQ_INT(resp.keep_alive, 1);
    CHECK_EQ_INT(resp.body_len, 12);
    CHECK(memcmp(resp.body, "<ok>yes</ok>", 12) == 0);
    CHECK_EQ_INT(resp.content_length, 12);
    REQUIRE(resp.etag != NULL);
    CHECK_EQ_STR(resp.etag, "\"e1\"");
    CHECK_EQ_INT(resp.etag_len, 4);
    CHECK_EQ_INT(floe_http_header(&resp, "X-Amz-Request-Id", &v, &n), FLOE_OK);
    CHECK_EQ_STR(v, "R");
    CHECK_EQ_INT(floe_http_header(&resp, "date", &v, &n), FLOE_ERR_MISSING);
    while (floe_http_header_next(&resp, &pos, &name, &v) == FLOE_OK)
        count++;
    CHECK_EQ_INT(count, 3);
    CHECK_EQ_INT(srv.sent_len, sizeof want - 1);
    CHECK(memcmp(srv.sent, want, sizeof want - 1) == 0);
    CHECK_EQ_INT(cli.last_status, 200);
    /* Same connection, next request: a chunked 404. */
    req.header_count = 0;
    req.method = "GET";
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 404);
    CHECK_EQ_INT(resp.chunked, 1);
    CHECK_EQ_INT(resp.body_len, 4);
    CHECK(memcmp(resp.body, "<no>", 4) == 0);
    CHECK_EQ_INT(resp.keep_alive, 1);
    CHECK(resp.etag == NULL);
}

TEST(client_put_memory_body_and_content_length_zero)
{
    static const char want[] = "PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                               "Connection: keep-alive\r\n\r\nhello";
    static const char want0[] = "PUT /b/empty HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n"
                                "Connection: keep-alive\r\n\r\n";
    static char big[20000];
    struct floe_http_request req;
    struct floe_http_response resp;
    uint32_t h;
    size_t i;
    script_reset();
    script_add(ok_xml, sizeof want - 1);
    REQUIRE(client_up(NULL) == 0);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "PUT";
    req.target = "/b/k";
    req.host = "h";
    req.body = "hello";
    req.body_len = 5;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(resp.body_sent, 1);
    CHECK_EQ_INT(srv.sent_len, sizeof want - 1);
    CHECK(memcmp(srv.sent, want, sizeof want - 1) == 0);

    /* An empty PUT still says Content-Length: 0. */
    script_reset();
    script_add(ok_xml, sizeof want0 - 1);
    REQUIRE(client_up(NULL) == 0);
    req.target = "/b/empty";
    req.body = NULL;
    req.body_len = 0;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(srv.sent_len, sizeof want0 - 1);
    CHECK(memcmp(srv.sent, want0, sizeof want0 - 1) == 0);
    CHECK_EQ_INT(resp.body_sent, 0);
    CHECK_EQ_INT(resp.keep_alive, 1);

    /* A memory body larger than the send buffer goes out directly. */
    for (i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    script_reset();
    srv.send_max = 3000;
    script_add(ok_xml, 20000);
    REQUIRE(client_up(NULL) == 0);
    req.target = "/b/big";
    req.body = big;
    req.body_len = sizeof big;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 200);
    {
        static const char bighead[] = "PUT /b/big HTTP/1.1\r\nHost: h\r\nContent-Length: 20000\r\n"
                                      "Connection: keep-alive\r\n\r\n";
        h = fnv_add(2166136261u, bighead, sizeof bighead - 1);
        h = fnv_add(h, big, sizeof big);
        CHECK_EQ_U64(srv.fnv, h);
        CHECK_EQ_U64(srv.sent_total, sizeof bighead - 1 + sizeof big);
    }
}

/* A file body made up on the fly: byte i is (i * 7 + i / 4096) & 0xff. */
struct gen_body {
    uint64_t len;
    unsigned calls;
    size_t max_n;
    uint64_t next_off;
    int fail_at_call;   /* 1-based; 0 never */
    int short_at_call;  /* returns 0 at that call (source shorter than said) */
};

static int gen_read(void *ctx, uint64_t off, void *buf, size_t n)
{
    struct gen_body *g = (struct gen_body *)ctx;
    uint8_t *b = (uint8_t *)buf;
    size_t i, k;
    g->calls++;
    if (n > g->max_n)
        g->max_n = n;
    if (off != g->next_off)
        return FLOE_ERR_INVAL; /* the client must read sequentially */
    if ((int)g->calls == g->fail_at_call)
        return FLOE_ERR_IO;
    if ((int)g->calls == g->short_at_call)
        return 0;
    k = n;
    if (k > 1000 + (size_t)(off % 3000)) /* short reads, like a real file system */
        k = 1000 + (size_t)(off % 3000);
    if ((uint64_t)k > g->len - off)
        k = (size_t)(g->len - off);
    for (i = 0; i < k; i++)
        b[i] = (uint8_t)((off + i) * 7 + (off + i) / 4096);
    g->next_off = off + k;
    return (int)k;
}

static uint32_t gen_fnv(uint32_t h, uint64_t len)
{
    uint8_t piece[4096];
    uint64_t off = 0;
    while (off < len) {
        size_t k = len - off < sizeof piece ? (size_t)(len - off) : sizeof piece, i;
        for (i = 0; i < k; i++)
            piece[i] = (uint8_t)((off + i) * 7 + (off + i) / 4096);
        h = fnv_add(h, piece, k);
        off += k;
    }
    return h;
}

TEST(client_streams_a_large_body_in_buffer_sized_pieces)
{
    static const char head[] = "PUT /b/file.parquet HTTP/1.1\r\nHost: h\r\nContent-Length: 3000000\r\n"
                               "Expect: 100-continue\r\nConnection: keep-alive\r\n\r\n";
    struct floe_http_request req;
    struct floe_http_response resp;
    struct gen_body g;
    memset(&g, 0, sizeof g);
    g.len = 3000000;
    script_reset();
    srv.send_max = 100000;
    srv.max_piece = 64;
    script_add("HTTP/1.1 100 Continue\r\n\r\n", sizeof head - 1);
    script_add(ok_xml, sizeof head - 1 + g.len);
    REQUIRE(client_up(NULL) == 0);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "PUT";
    req.target = "/b/file.parquet";
    req.host = "h";
    req.body_len = g.len;
    req.read_body = gen_read;
    req.body_ctx = &g;
    req.expect_continue = 1;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(resp.body_sent, 1);
    CHECK_EQ_INT(resp.keep_alive, 1);
    CHECK_EQ_U64(srv.sent_total, sizeof head - 1 + g.len);
    CHECK_EQ_U64(srv.fnv, gen_fnv(fnv_add(2166136261u, head, sizeof head - 1), g.len));
    CHECK(g.max_n <= FLOE_HTTP_DEFAULT_SEND_BUF);
    CHECK(g.calls >= g.len / FLOE_HTTP_DEFAULT_SEND_BUF);
    CHECK_EQ_U64(g.next_off, g.len);
    /* With a real 64 MiB the client holds no more than its send buffer. */
}

/* A stream over `stream` that takes every piece whole and records its size,
 * with a write unit like a TLS record's. */
static size_t unit_sizes[64];
static int unit_calls;
static floe_ssize_t unit_send(void *ctx, const void *buf, size_t n, uint32_t t)
{
    size_t done = 0;
    (void)ctx;
    if (unit_calls < 64)
        unit_sizes[unit_calls] = n;
    unit_calls++;
    while (done < n) {
        floe_ssize_t r = stream.send(stream.ctx, (const uint8_t *)buf + done, n - done, t);
        if (r <= 0)
            return r < 0 ? r : FLOE_ERR_IO;
        done += (size_t)r;
    }
    return (floe_ssize_t)n;
}
static floe_ssize_t unit_recv(void *ctx, void *buf, size_t n, uint32_t t)
{
    (void)ctx;
    return stream.recv(stream.ctx, buf, n, t);
}
static size_t unit_of_1000(void *ctx)
{
    (void)ctx;
    return 1000;
}

TEST(client_streams_a_body_in_whole_write_units)
{
    static const char head[] = "PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 20000\r\nConnection: keep-alive\r\n\r\n";
    struct floe_http_config cfg;
    struct floe_stream units = {NULL, unit_send, unit_recv, NULL, unit_of_1000};
    struct floe_http_request req;
    struct floe_http_response resp;
    struct gen_body g;
    int i;
    memset(&g, 0, sizeof g);
    g.len = 20000;
    script_reset();
    srv.send_max = 100000;
    script_add(ok_xml, sizeof head - 1 + g.len);
    memset(&cfg, 0, sizeof cfg);
    cfg.send_buf = 4096;
    REQUIRE(client_up(&cfg) == 0);
    floe_http_set_stream(&cli, &units);
    unit_calls = 0;
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "PUT";
    req.target = "/b/k";
    req.host = "h";
    req.body_len = g.len;
    req.read_body = gen_read;
    req.body_ctx = &g;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_U64(srv.sent_total, sizeof head - 1 + g.len);
    CHECK_EQ_U64(srv.fnv, gen_fnv(fnv_add(2166136261u, head, sizeof head - 1), g.len));
    /* Head and body: 4,000-byte pieces (four units of the 4,096-byte buffer), then the rest. */
    REQUIRE(unit_calls >= 2 && unit_calls <= 64);
    for (i = 0; i + 1 < unit_calls; i++)
        CHECK_EQ_U64(unit_sizes[i], 4000);
    CHECK(unit_sizes[unit_calls - 1] <= 4000);
}

TEST(client_expect_refused_before_body_never_sends_it)
{
    static const char head[] = "PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n"
                               "Expect: 100-continue\r\nConnection: keep-alive\r\n\r\n";
    static const char denied[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 40\r\n\r\n"
                                 "<Error><Code>AccessDenied</Code></Error>";
    struct floe_http_request req;
    struct floe_http_response resp;
    struct gen_body g;
    memset(&g, 0, sizeof g);
    g.len = 100000;
    script_reset();
    script_add(denied, sizeof head - 1);
    REQUIRE(client_up(NULL) == 0);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "PUT";
    req.target = "/b/k";
    req.host = "h";
    req.body_len = g.len;
    req.read_body = gen_read;
    req.body_ctx = &g;
    req.expect_continue = 1;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 403);
    CHECK_EQ_INT(resp.body_sent, 0);
    CHECK_EQ_INT(resp.keep_alive, 0);
    CHECK_EQ_INT(resp.body_len, 40);
    CHECK(memcmp(resp.body, "<Error><Code>AccessDenied", 25) == 0);
    CHECK_EQ_U64(srv.sent_total, sizeof head - 1); /* the head only */
    CHECK(memcmp(srv.sent, head, sizeof head - 1) == 0);
    CHECK_EQ_INT(g.calls, 0);
    /* The connection is in an unknown state: no second request on it. */
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_STATE);
    /* A new stream makes the client usable again. */
    floe_http_set_stream(&cli, &stream);
    CHECK_EQ_INT(cli.reusable, 1);
    /* A 200 before the body: the body never arrived, so not a success. */
    script_reset();
    script_add("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", sizeof head - 1);
    REQUIRE(client_up(NULL) == 0);
    memset(&g, 0, sizeof g);
    g.len = 100000;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_HTTP);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(resp.body_sent, 0);
    CHECK_EQ_INT(resp.keep_alive, 0);
    CHECK_EQ_U64(srv.sent_total, sizeof head - 1);
}

TEST(client_expect_silence_sends_body_after_continue_timeout)
{
    struct floe_http_request req;
    struct floe_http_response resp;
    struct floe_http_config cfg;
    uint64_t t0;
    static const char head[] = "PUT /k HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                               "Expect: 100-continue\r\nConnection: keep-alive\r\n\r\n";
    memset(&cfg, 0, sizeof cfg);
    cfg.continue_timeout_ms = 500;
    script_reset();
    script_add(ok_xml, sizeof head - 1 + 5); /* only once the body is in */
    REQUIRE(client_up(&cfg) == 0);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "PUT";
    req.target = "/k";
    req.host = "h";
    req.body = "hello";
    req.body_len = 5;
    req.expect_continue = 1;
    t0 = fclock.now;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(resp.body_sent, 1);
    CHECK(fclock.now - t0 >= 500);
    CHECK(memcmp(srv.sent + srv.sent_len - 5, "hello", 5) == 0);
    /* A 417 (expectation not met) comes back as a status: retry without. */
    script_reset();
    script_add("HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n", 1);
    REQUIRE(client_up(&cfg) == 0);
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 417);
    CHECK_EQ_INT(resp.body_sent, 0);
}

TEST(client_head_request_and_connection_close)
{
    struct floe_http_request req;
    struct floe_http_response resp;
    script_reset();
    script_add("HTTP/1.1 200 OK\r\nContent-Length: 123456\r\nETag: \"h\"\r\n\r\n", 1);
    script_add("HTTP/1.1 500 Internal\r\nConnection: close\r\nContent-Length: 2\r\n\r\n:(", 2);
    REQUIRE(client_up(NULL) == 0);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "HEAD";
    req.target = "/b/k";
    req.host = "h";
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(resp.content_length, 123456);
    CHECK_EQ_INT(resp.body_len, 0);
    CHECK_EQ_INT(resp.keep_alive, 1);
    req.method = "GET";
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 500);
    CHECK_EQ_INT(resp.keep_alive, 0);
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_STATE);
    /* Close-delimited: complete at the close, not reusable. */
    script_reset();
    srv.close_at_end = 1;
    script_add("HTTP/1.0 200 OK\r\n\r\nall of it", 1);
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.body_len, 9);
    CHECK_EQ_INT(resp.keep_alive, 0);
    /* Bytes beyond the response: not reusable either. */
    script_reset();
    script_add("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxJUNK", 1);
    srv.min_piece = 1000;
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.keep_alive, 0);
}

TEST(client_timeouts_and_closed_connections)
{
    struct floe_http_request req;
    struct floe_http_response resp;
    struct floe_http_config cfg;
    uint64_t t0;
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "GET";
    req.target = "/";
    req.host = "h";
    /* Silence: the idle timeout ends it. */
    script_reset();
    REQUIRE(client_up(NULL) == 0);
    t0 = fclock.now;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_TIMEOUT);
    CHECK(fclock.now - t0 >= 2000 && fclock.now - t0 < 4000);
    CHECK_EQ_INT(resp.keep_alive, 0);
    CHECK_EQ_INT(cli.reusable, 0);
    /* A server that drips: never idle, but the overall deadline ends it. */
    memset(&cfg, 0, sizeof cfg);
    cfg.request_timeout_ms = 10000;
    script_reset();
    {
        static char drip[6000];
        size_t k = (size_t)snprintf(drip, sizeof drip, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
        memset(drip + k, 'x', 5000);
        drip[k + 5000] = '\0';
        script_add(drip, 1);
    }
    REQUIRE(client_up(&cfg) == 0);
    fclock.step = 300;
    t0 = fclock.now;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_TIMEOUT);
    CHECK(fclock.now - t0 >= 10000 && fclock.now - t0 < 12000);
    /* The request's own deadline wins over the config's. */
    script_reset();
    REQUIRE(client_up(NULL) == 0);
    req.timeout_ms = 500;
    t0 = fclock.now;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_TIMEOUT);
    CHECK(fclock.now - t0 >= 500 && fclock.now - t0 < 1000);
    req.timeout_ms = 0;
    /* Closed before a byte came back, and in the middle of a body. */
    script_reset();
    srv.close_at_end = 1;
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_NET);
    script_reset();
    srv.close_at_end = 1;
    script_add("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 10\r\n\r\nabc", 1);
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_NET);
    CHECK_EQ_INT(resp.status, 502); /* what was known when it broke */
    /* Garbage from the server. */
    script_reset();
    script_add("SSH-2.0-OpenSSH_9.6\r\n", 1);
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_MALFORMED);
}

TEST(client_head_larger_than_the_send_buffer)
{
    static char value[1500];
    static char want[2000];
    static struct floe_http_header hdrs[2];
    struct floe_http_config cfg;
    struct floe_http_request req;
    struct floe_http_response resp;
    int n;
    memset(value, 'v', sizeof value - 1);
    hdrs[0].name = "x-amz-meta-long";
    hdrs[0].value = value;
    hdrs[1].name = "x-amz-meta-short";
    hdrs[1].value = "s";
    n = snprintf(want, sizeof want, "POST /b/k?uploads= HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n"
                 "x-amz-meta-long: %s\r\nx-amz-meta-short: s\r\nConnection: keep-alive\r\n\r\n<x>1</x",
                 value);
    memset(&cfg, 0, sizeof cfg);
    cfg.send_buf = 64;
    cfg.recv_buf = 64;
    cfg.header_max = 128;
    script_reset();
    script_add(ok_xml, (uint64_t)n);
    REQUIRE(client_up(&cfg) == 0);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "POST";
    req.target = "/b/k?uploads=";
    req.host = "h";
    req.headers = hdrs;
    req.header_count = 2;
    req.body = "<x>1</x";
    req.body_len = 7;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(srv.sent_len, n);
    CHECK(memcmp(srv.sent, want, (size_t)n) == 0);
    CHECK_EQ_INT(resp.keep_alive, 1);
    /* The next answer's header section is over 128 bytes: refused, not truncated. */
    script_reset();
    srv.connected = 1;
    script_add("HTTP/1.1 200 OK\r\nx-amz-id-2: 0123456789012345678901234567890123456789"
               "0123456789012345678901234567890123456789\r\nContent-Length: 0\r\n\r\n", 1);
    req.header_count = 0;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_LIMIT);
}

TEST(tcp_stream_connect_failure_and_lying_stream)
{
    struct floe_stream s;
    struct floe_http_request req;
    struct floe_http_response resp;
    script_reset();
    script_add(ok_xml, 1);
    REQUIRE(client_up(NULL) == 0);
    floe_fault_set(&fault, FLOE_FAULT_NET_CONNECT, fault.calls[FLOE_FAULT_NET_CONNECT] + 1,
                   FLOE_FAULT_FAIL, FLOE_ERR_TIMEOUT, 0);
    CHECK_EQ_INT(floe_tcp_stream_open(&tcp, "s3.test", 80, 1000, &s), FLOE_ERR_TIMEOUT);
    CHECK_EQ_INT(tcp.connected, 0);
    CHECK_EQ_INT(floe_tcp_stream_open(&tcp, "", 80, 1000, &s), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_tcp_stream_open(&tcp, "h", 0, 1000, &s), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_tcp_stream_setup(&tcp, NULL, &arena), FLOE_ERR_INVAL);
    /* A stream that reports more bytes than it was handed is an I/O error. */
    CHECK_EQ_INT(floe_tcp_stream_open(&tcp, "s3.test", 80, 1000, &s), FLOE_OK);
    floe_http_set_stream(&cli, &s);
    floe_fault_reset(&fault);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "GET";
    req.target = "/";
    req.host = "h";
    s.send = lying_send;
    floe_http_set_stream(&cli, &s);
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_IO);
}

/* A stream that never moves a byte and never waits, with a clock that never
 * moves: the client must still give up. */
static floe_ssize_t dead_send(void *ctx, const void *buf, size_t n, uint32_t t)
{
    (void)ctx;
    (void)buf;
    (void)n;
    (void)t;
    return 0;
}

static floe_ssize_t dead_recv(void *ctx, void *buf, size_t n, uint32_t t)
{
    (void)ctx;
    (void)buf;
    (void)n;
    (void)t;
    return 0;
}

TEST(client_gives_up_on_a_stream_that_never_waits)
{
    struct floe_stream dead = {NULL, dead_send, dead_recv, NULL, NULL};
    struct floe_http_request req;
    struct floe_http_response resp;
    REQUIRE(client_up(NULL) == 0);
    fclock.step = 0;
    floe_http_set_stream(&cli, &dead);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "GET";
    req.target = "/";
    req.host = "h";
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_TIMEOUT);
}

TEST(client_rejects_bad_requests)
{
    static const struct floe_http_header inj[] = {{"x-a", "1\r\nx-b: 2"}};
    static const struct floe_http_header host[] = {{"HOST", "evil"}};
    static const struct floe_http_header te[] = {{"Transfer-Encoding", "chunked"}};
    static const struct floe_http_header badname[] = {{"x a", "1"}};
    static const struct floe_http_header nullv[] = {{"x-a", NULL}};
    struct floe_http_request req, r;
    struct floe_http_response resp;
    static uint8_t small[4];
    script_reset();
    script_add(ok_xml, 1);
    REQUIRE(client_up(NULL) == 0);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "GET";
    req.target = "/";
    req.host = "h";
    r = req; r.headers = inj; r.header_count = 1;
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.headers = host; r.header_count = 1;
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.headers = te; r.header_count = 1;
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.headers = badname; r.header_count = 1;
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.headers = nullv; r.header_count = 1;
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.header_count = 1;
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.method = "G ET";
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.method = "";
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.target = "/a b";
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.target = "/a\r\nX: y";
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.host = "h\r\nX: y";
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.host = NULL;
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.body_len = 5; /* no source */
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    r = req; r.body_len = 5; r.body = "hello"; r.read_body = gen_read;
    CHECK_EQ_INT(floe_http_request(&cli, &r, &resp), FLOE_ERR_INVAL);
    resp.body_buf = NULL;
    resp.body_cap = 4;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_request(NULL, &req, &resp), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_request(&cli, NULL, &resp), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_request(&cli, &req, NULL), FLOE_ERR_INVAL);
    CHECK_EQ_U64(srv.sent_total, 0); /* nothing went out for any of them */
    /* The caller's own small body buffer: the rest is dropped, flagged. */
    resp.body_buf = small;
    resp.body_cap = sizeof small;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.body_len, 4);
    CHECK(resp.body == small);
    CHECK_EQ_INT(resp.body_truncated, 1);
    CHECK_EQ_U64(resp.body_total, 12);
    CHECK_EQ_INT(resp.keep_alive, 1);
    /* No stream. */
    floe_http_set_stream(&cli, NULL);
    resp.body_buf = NULL;
    resp.body_cap = 0;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_STATE);
}

TEST(client_read_body_errors_and_short_source)
{
    struct floe_http_request req;
    struct floe_http_response resp;
    struct gen_body g;
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "PUT";
    req.target = "/k";
    req.host = "h";
    req.body_len = 50000;
    req.read_body = gen_read;
    req.body_ctx = &g;
    memset(&g, 0, sizeof g);
    g.len = 50000;
    g.fail_at_call = 3;
    script_reset();
    script_add(ok_xml, 1);
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_IO);
    CHECK_EQ_INT(cli.reusable, 0);
    memset(&g, 0, sizeof g);
    g.len = 50000;
    g.short_at_call = 5;
    script_reset();
    script_add(ok_xml, 1);
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_IO);
}

TEST(client_early_answer_while_body_fails_is_returned)
{
    static const char head[] = "PUT /k HTTP/1.1\r\nHost: h\r\nContent-Length: 50000\r\n"
                               "Connection: keep-alive\r\n\r\n";
    struct floe_http_request req;
    struct floe_http_response resp;
    struct gen_body g;
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    memset(&g, 0, sizeof g);
    g.len = 50000;
    req.method = "PUT";
    req.target = "/k";
    req.host = "h";
    req.body_len = g.len;
    req.read_body = gen_read;
    req.body_ctx = &g;
    script_reset();
    srv.reset_after = sizeof head - 1 + 10000; /* reset after 10 kB of body */
    script_add("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 5\r\n\r\nEntTL", 1);
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 400);
    CHECK_EQ_INT(resp.body_sent, 0);
    CHECK_EQ_INT(resp.keep_alive, 0);
    CHECK_EQ_INT(resp.body_len, 5);
    /* A 200 is no answer to a body cut short: the send error stands. */
    script_reset();
    srv.reset_after = sizeof head - 1 + 10000;
    script_add("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1);
    REQUIRE(client_up(NULL) == 0);
    memset(&g, 0, sizeof g);
    g.len = 50000;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_NET);
    CHECK_EQ_INT(resp.keep_alive, 0);
    /* No answer to salvage: the send error stands. */
    script_reset();
    srv.reset_after = sizeof head - 1 + 10000;
    srv.close_at_end = 1;
    REQUIRE(client_up(NULL) == 0);
    memset(&g, 0, sizeof g);
    g.len = 50000;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_ERR_NET);
}

TEST(client_connect_tunnel)
{
    static const char want[] = "CONNECT s3.amazonaws.com:443 HTTP/1.1\r\nHost: s3.amazonaws.com:443\r\n"
                               "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n";
    static const char want6[] = "CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n";
    script_reset();
    script_add("HTTP/1.1 200 Connection established\r\n\r\n", 1);
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_connect_tunnel(&cli, &stream, "s3.amazonaws.com", 443, "Basic dXNlcjpwYXNz"), FLOE_OK);
    CHECK_EQ_INT(cli.last_status, 200);
    CHECK_EQ_INT(srv.sent_len, sizeof want - 1);
    CHECK(memcmp(srv.sent, want, sizeof want - 1) == 0);
    CHECK_EQ_INT(cli.reusable, 1);

    script_reset();
    script_add("HTTP/1.0 200 OK\r\nProxy-Agent: x\r\n\r\n", 1);
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_connect_tunnel(&cli, &stream, "2001:db8::1", 8443, NULL), FLOE_OK);
    CHECK(memcmp(srv.sent, want6, sizeof want6 - 1) == 0);

    script_reset();
    script_add("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n"
               "Content-Length: 4\r\n\r\nnope", 1);
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_connect_tunnel(&cli, &stream, "s3.amazonaws.com", 443, NULL), FLOE_ERR_AUTH);
    CHECK_EQ_INT(cli.last_status, 407);
    CHECK_EQ_INT(cli.reusable, 0);

    script_reset();
    script_add("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", 1);
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_connect_tunnel(&cli, &stream, "s3.amazonaws.com", 443, NULL), FLOE_ERR_HTTP);

    /* The proxy must not speak for the server. */
    script_reset();
    srv.min_piece = 1000;
    script_add("HTTP/1.1 200 OK\r\n\r\n\x16\x03\x01", 1);
    REQUIRE(client_up(NULL) == 0);
    CHECK_EQ_INT(floe_http_connect_tunnel(&cli, &stream, "s3.amazonaws.com", 443, NULL), FLOE_ERR_HTTP);

    CHECK_EQ_INT(floe_http_connect_tunnel(&cli, &stream, "a b", 443, NULL), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_connect_tunnel(&cli, &stream, "h", 0, NULL), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_connect_tunnel(&cli, &stream, "[::1]", 443, NULL), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_connect_tunnel(&cli, &stream, "h", 443, "x\r\ny: z"), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_http_connect_tunnel(&cli, NULL, "h", 443, NULL), FLOE_ERR_INVAL);
}

TEST(client_size_and_setup)
{
    struct floe_http_config cfg;
    struct floe_arena a;
    static uint8_t mem[32768] __attribute__((aligned(8)));
    size_t need;
    memset(&cfg, 0, sizeof cfg);
    CHECK_EQ_INT(floe_http_size(&cfg), 0); /* no clock */
    CHECK_EQ_INT(floe_http_size(NULL), 0);
    cfg.clock = &clock_port;
    need = floe_http_size(&cfg);
    CHECK_EQ_INT(need, FLOE_HTTP_DEFAULT_HEADER_MAX + FLOE_HTTP_DEFAULT_SEND_BUF +
                           FLOE_HTTP_DEFAULT_RECV_BUF + FLOE_HTTP_DEFAULT_BODY_MAX);
    floe_arena_init(&a, mem, need - 1);
    floe_http_init(&cli);
    CHECK_EQ_INT(floe_http_setup(&cli, &cfg, &a), FLOE_ERR_NOMEM);
    CHECK_EQ_INT(a.used, 0);
    floe_arena_init(&a, mem, need);
    CHECK_EQ_INT(floe_http_setup(&cli, &cfg, &a), FLOE_OK);
    CHECK_EQ_INT(a.used, need);
    cfg.send_buf = 10;
    CHECK_EQ_INT(floe_http_size(&cfg), 0);
    CHECK_EQ_INT(floe_http_setup(&cli, &cfg, &a), FLOE_ERR_INVAL);
    cfg.send_buf = 0;
    cfg.header_max = 1000;
    cfg.body_max = 3;
    CHECK_EQ_INT(floe_http_size(&cfg), 1000 + FLOE_HTTP_DEFAULT_SEND_BUF + FLOE_HTTP_DEFAULT_RECV_BUF + 8);
    CHECK_EQ_INT(floe_tcp_stream_size(&fake_net), 8);
    CHECK_EQ_INT(floe_tcp_stream_size(NULL), 0);
}

/* The fault port makes the Nth send or recv fail, time out or come up short;
 * every outcome must be the right answer or a clean error, without a hang. */
enum scenario { SC_GET, SC_PUT_MEM, SC_PUT_EXPECT, SC_COUNT };

static struct floe_http_request sc_req;
static struct gen_body sc_body;
static char sc_mem[3000];

/* Scripts the server and builds the request; seeds the random pieces so a
 * run with a fault repeats the clean run up to the fault. */
static void scenario_script(enum scenario sc)
{
    static const char expect_head[] = "PUT /k HTTP/1.1\r\nHost: h\r\nContent-Length: 9000\r\n"
                                      "Expect: 100-continue\r\nConnection: keep-alive\r\n\r\n";
    test_seed(42);
    script_reset();
    memset(&sc_req, 0, sizeof sc_req);
    sc_req.target = "/k";
    sc_req.host = "h";
    switch (sc) {
    case SC_GET:
        sc_req.method = "GET";
        script_add(ok_xml, 1);
        break;
    case SC_PUT_MEM:
        sc_req.method = "PUT";
        memset(sc_mem, 'm', sizeof sc_mem);
        sc_req.body = sc_mem;
        sc_req.body_len = sizeof sc_mem;
        script_add(ok_xml, sizeof sc_mem + 60);
        break;
    default:
        sc_req.method = "PUT";
        memset(&sc_body, 0, sizeof sc_body);
        sc_body.len = 9000;
        sc_req.body_len = sc_body.len;
        sc_req.read_body = gen_read;
        sc_req.body_ctx = &sc_body;
        sc_req.expect_continue = 1;
        script_add("HTTP/1.1 100 Continue\r\n\r\n", sizeof expect_head - 1);
        script_add(ok_xml, sizeof expect_head - 1 + sc_body.len);
        break;
    }
}

TEST(client_survives_a_fault_at_every_send_and_recv)
{
    static const struct {
        enum floe_fault_kind kind;
        int error;
        int sticky;
    } faults[] = {
        {FLOE_FAULT_FAIL, FLOE_ERR_NET, 0},
        {FLOE_FAULT_FAIL, FLOE_ERR_TIMEOUT, 0},
        {FLOE_FAULT_FAIL, FLOE_ERR_TLS, 0},
        {FLOE_FAULT_ZERO, 0, 0},
        {FLOE_FAULT_SHORT, 0, 0},
        {FLOE_FAULT_ZERO, 0, 1},
        {FLOE_FAULT_SHORT, 0, 1},
    };
    static const enum floe_fault_op ops[] = {FLOE_FAULT_NET_SEND, FLOE_FAULT_NET_RECV};
    struct floe_http_response resp;
    int sc;
    unsigned checked = 0;
    for (sc = 0; sc < SC_COUNT; sc++) {
        uint32_t calls[2];
        size_t o, f;
        scenario_script((enum scenario)sc);
        REQUIRE(client_up(NULL) == 0);
        floe_fault_reset(&fault);
        memset(&resp, 0, sizeof resp);
        REQUIRE(floe_http_request(&cli, &sc_req, &resp) == FLOE_OK);
        REQUIRE(resp.status == 200);
        calls[0] = fault.calls[FLOE_FAULT_NET_SEND];
        calls[1] = fault.calls[FLOE_FAULT_NET_RECV];
        for (o = 0; o < ARRAY_LEN(ops); o++) {
            uint32_t n;
            for (n = 1; n <= calls[o] + 1; n++) {
                for (f = 0; f < ARRAY_LEN(faults); f++) {
                    uint64_t t0;
                    int rc;
                    scenario_script((enum scenario)sc);
                    REQUIRE(client_up(NULL) == 0);
                    floe_fault_reset(&fault);
                    floe_fault_set(&fault, ops[o], n, faults[f].kind, faults[f].error, faults[f].sticky);
                    memset(&resp, 0, sizeof resp);
                    t0 = fclock.now;
                    rc = floe_http_request(&cli, &sc_req, &resp);
                    checked++;
                    /* Never longer than the deadline plus one idle wait. */
                    if (fclock.now - t0 > 60000 + 2000 + 100)
                        test_fail(__FILE__, __LINE__, "sc %d op %zu n %u fault %zu: took %llu ms", sc, o,
                                  n, f, (unsigned long long)(fclock.now - t0));
                    if (fault.injected == 0) {
                        if (rc != FLOE_OK || resp.status != 200)
                            test_fail(__FILE__, __LINE__, "sc %d op %zu n %u fault %zu: no fault, rc %d",
                                      sc, o, n, f, rc);
                        continue;
                    }
                    if (rc == FLOE_OK) {
                        /* A correct answer: all of it. */
                        if (resp.status != 200 || resp.body_len != 12 ||
                            memcmp(resp.body, "<ok>yes</ok>", 12) != 0)
                            test_fail(__FILE__, __LINE__, "sc %d op %zu n %u fault %zu: bad answer", sc, o, n, f);
                        if (faults[f].kind == FLOE_FAULT_FAIL) {
                            /* Only a reset during the body is survivable, and
                             * it never leaves a reusable connection. */
                            if (!(ops[o] == FLOE_FAULT_NET_SEND && faults[f].error == FLOE_ERR_NET))
                                test_fail(__FILE__, __LINE__, "sc %d op %zu n %u fault %zu: error swallowed",
                                          sc, o, n, f);
                            if (resp.keep_alive || cli.reusable)
                                test_fail(__FILE__, __LINE__, "sc %d op %zu n %u fault %zu: reusable after fail",
                                          sc, o, n, f);
                        }
                        continue;
                    }
                    if (faults[f].kind == FLOE_FAULT_FAIL) {
                        if (rc != faults[f].error)
                            test_fail(__FILE__, __LINE__, "sc %d op %zu n %u fault %zu: rc %d, want %d", sc,
                                      o, n, f, rc, faults[f].error);
                    } else if (faults[f].kind == FLOE_FAULT_ZERO && faults[f].sticky) {
                        if (rc != FLOE_ERR_TIMEOUT)
                            test_fail(__FILE__, __LINE__, "sc %d op %zu n %u fault %zu: rc %d, want TIMEOUT",
                                      sc, o, n, f, rc);
                    } else {
                        /* One zero or short call, or short calls all along: retried. */
                        test_fail(__FILE__, __LINE__, "sc %d op %zu n %u fault %zu: rc %d for a retryable fault",
                                  sc, o, n, f, rc);
                    }
                    if (cli.reusable || resp.keep_alive)
                        test_fail(__FILE__, __LINE__, "sc %d op %zu n %u fault %zu: reusable after error", sc, o, n, f);
                }
            }
        }
    }
    CHECK(checked > 100);
    printf("  http: %u fault-injected requests, each answered right or failed cleanly\n", checked);
}

/* Real sockets through the POSIX port; one thread: the answer is queued in
 * the server's socket before the request is made. */
TEST(client_over_loopback_tcp)
{
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nETag: \"lo\"\r\n\r\nhi";
    static const char want[] = "PUT /b/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n"
                               "Connection: keep-alive\r\n\r\nabc";
    struct floe_http_config cfg;
    struct floe_http_request req;
    struct floe_http_response resp;
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    char got[256];
    int lfd, cfd;
    ssize_t n;
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(lfd >= 0);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(lfd, (struct sockaddr *)&addr, sizeof addr) == 0);
    REQUIRE(listen(lfd, 1) == 0);
    REQUIRE(getsockname(lfd, (struct sockaddr *)&addr, &len) == 0);
    memset(&cfg, 0, sizeof cfg);
    cfg.clock = &floe_posix_clock;
    cfg.io_timeout_ms = 2000;
    floe_arena_init(&arena, arena_mem, sizeof arena_mem);
    floe_http_init(&cli);
    REQUIRE(floe_http_setup(&cli, &cfg, &arena) == FLOE_OK);
    REQUIRE(floe_tcp_stream_setup(&tcp, &floe_posix_net, &arena) == FLOE_OK);
    REQUIRE(floe_tcp_stream_open(&tcp, "127.0.0.1", ntohs(addr.sin_port), 2000, &stream) == FLOE_OK);
    cfd = accept(lfd, NULL, NULL);
    REQUIRE(cfd >= 0);
    REQUIRE(write(cfd, answer, sizeof answer - 1) == (ssize_t)(sizeof answer - 1));
    floe_http_set_stream(&cli, &stream);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.method = "PUT";
    req.target = "/b/k";
    req.host = "127.0.0.1";
    req.body = "abc";
    req.body_len = 3;
    CHECK_EQ_INT(floe_http_request(&cli, &req, &resp), FLOE_OK);
    CHECK_EQ_INT(resp.status, 200);
    CHECK_EQ_INT(resp.body_len, 2);
    CHECK_EQ_STR(resp.etag, "\"lo\"");
    CHECK_EQ_INT(resp.keep_alive, 1);
    n = read(cfd, got, sizeof got);
    CHECK_EQ_INT(n, sizeof want - 1);
    CHECK(n > 0 && memcmp(got, want, sizeof want - 1) == 0);
    /* The server hangs up: the next request fails cleanly. */
    close(cfd);
    req.method = "GET";
    req.body = NULL;
    req.body_len = 0;
    CHECK(floe_http_request(&cli, &req, &resp) == FLOE_ERR_NET);
    CHECK_EQ_INT(stream.close(stream.ctx), FLOE_OK);
    CHECK_EQ_INT(stream.close(stream.ctx), FLOE_OK); /* twice is harmless */
    CHECK_EQ_INT(stream.send(stream.ctx, "x", 1, 10), FLOE_ERR_STATE);
    close(lfd);
}
