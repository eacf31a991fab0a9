/* A small client for tests/integration/tls_test.sh: connects to ADDR:PORT
 * over the POSIX net port, runs floe's TLS client with the given trust and
 * identity, sends a line, reads it back reversed (openssl s_server -rev) and
 * prints one result line per connection:
 *
 *   ok tls=1.3 suite=... resumed=0 heap_peak=N heap=N ca=N
 *   fail err=CERT reason="certificate expired" heap_peak=N heap=N
 *
 * Exit status: 0 all connections ok, 1 a TLS/transport failure, 2 bad usage
 * or setup failure. Built by the test script against build/<dir>/libfloe.a,
 * the mbedTLS archives and port/posix:
 *
 *   cc -std=gnu99 -Iinclude -Iport/posix tests/tools/tls_client.c \
 *      BUILD/obj/port/posix/floe_posix.o BUILD/libfloe.a \
 *      BUILD/mbedtls/libmbedtls.a BUILD/mbedtls/libmbedx509.a BUILD/mbedtls/libmbedcrypto.a -lm
 */
#define _DEFAULT_SOURCE
#include "floe/arena.h"
#include "floe/error.h"
#include "floe/tls.h"
#include "floe_posix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t arena_buf[2u << 20] __attribute__((aligned(64)));
static uint8_t sock_obj[256] __attribute__((aligned(16)));
static char ca_mem[1u << 20];
static char line[17000], back[17000];

struct tcp {
    const struct floe_net_port *net;
    void *sock;
    int choppy; /* every other call moves nothing, the others move little */
    unsigned calls;
};

static floe_ssize_t tcp_send(void *ctx, const void *buf, size_t n, uint32_t timeout_ms)
{
    struct tcp *t = (struct tcp *)ctx;
    if (t->choppy) {
        if (t->calls++ % 2 == 0)
            return 0;
        if (n > 700)
            n = 700;
    }
    return t->net->send(t->net->ctx, t->sock, buf, n, timeout_ms);
}

static floe_ssize_t tcp_recv(void *ctx, void *buf, size_t n, uint32_t timeout_ms)
{
    struct tcp *t = (struct tcp *)ctx;
    if (t->choppy) {
        if (t->calls++ % 2 == 0)
            return 0;
        if (n > 500)
            n = 500;
    }
    return t->net->recv(t->net->ctx, t->sock, buf, n, timeout_ms);
}

static int choppy;

static void usage(void)
{
    fprintf(stderr,
            "usage: tls_client [--name HOST] [--ca FILE] [--ca-mem FILE] [--system-ca] [--cert FILE --key FILE]\n"
            "                  [--insecure] [--tls12|--tls13] [--heap BYTES] [--connections N] [--line-bytes N]\n"
            "                  [--choppy]   (the transport often moves nothing, else few bytes)\n"
            "                  ADDR PORT\n");
    exit(2);
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void print_heap(const struct floe_tls *tls)
{
    struct floe_tls_stats s;
    floe_tls_stats(tls, &s);
    printf(" heap_peak=%zu heap=%zu ca=%u", s.heap_peak, s.heap_bytes, s.ca_loaded);
    if (s.heap_max_used)
        printf(" heap_max_used=%zu", s.heap_max_used);
    printf("\n");
}

static int fail(const struct floe_tls *tls, int err)
{
    printf("fail err=%s reason=\"%s\"", floe_errname(err), floe_tls_last_error(tls));
    print_heap(tls);
    return 1;
}

/* Sends all of buf. */
static int send_all(struct floe_tls *tls, const char *buf, size_t n)
{
    while (n > 0) {
        floe_ssize_t r = floe_tls_send(tls, buf, n, 5000);
        if (r < 0)
            return (int)r;
        if (r == 0)
            return FLOE_ERR_TIMEOUT;
        buf += r;
        n -= (size_t)r;
    }
    return FLOE_OK;
}

/* One connection: handshake, a line out, the reversed line back, close. */
static int one(struct floe_tls *tls, const char *addr, uint16_t port, const char *name, size_t line_bytes)
{
    struct tcp t;
    struct floe_tls_transport tr;
    struct floe_tls_stats s;
    size_t got = 0, i;
    int err;

    t.net = &floe_posix_net;
    t.sock = sock_obj;
    t.choppy = choppy;
    t.calls = 0;
    err = floe_posix_net.connect(NULL, sock_obj, addr, port, 5000);
    if (err < 0) {
        printf("fail err=%s reason=\"tcp connect\"\n", floe_errname(err));
        return 1;
    }
    tr.ctx = &t;
    tr.send = tcp_send;
    tr.recv = tcp_recv;
    err = floe_tls_connect(tls, &tr, name, 5000);
    if (err != FLOE_OK) {
        floe_posix_net.close(NULL, sock_obj);
        return fail(tls, err);
    }

    for (i = 0; i < line_bytes; i++)
        line[i] = (char)('a' + (i * 7) % 26);
    line[line_bytes] = '\n';
    err = send_all(tls, line, line_bytes + 1);
    while (err == FLOE_OK && (got == 0 || back[got - 1] != '\n')) {
        floe_ssize_t r = floe_tls_recv(tls, back + got, sizeof back - got, 5000);
        if (r < 0)
            err = (int)r;
        else if (r == 0)
            err = FLOE_ERR_TIMEOUT;
        else
            got += (size_t)r;
        if (got == sizeof back)
            err = FLOE_ERR_LIMIT;
    }
    if (err != FLOE_OK) {
        floe_tls_close(tls);
        floe_posix_net.close(NULL, sock_obj);
        return fail(tls, err);
    }
    /* s_server -rev answers each line reversed. */
    for (i = 0; i < line_bytes; i++)
        if (got != line_bytes + 1 || back[i] != line[line_bytes - 1 - i]) {
            printf("fail err=DATA reason=\"echo mismatch (%zu bytes back)\"\n", got);
            floe_tls_close(tls);
            floe_posix_net.close(NULL, sock_obj);
            return 1;
        }
    err = floe_tls_close(tls);
    floe_posix_net.close(NULL, sock_obj);
    floe_tls_stats(tls, &s);
    printf("ok tls=1.%c suite=%s resumed=%u echo=%zu close=%s", s.version == FLOE_TLS_1_3 ? '3' : '2',
           s.ciphersuite, (unsigned)s.last_resumed, got, floe_errname(err));
    print_heap(tls);
    return 0;
}

int main(int argc, char **argv)
{
    struct floe_tls_config cfg;
    struct floe_tls tls;
    struct floe_arena arena;
    struct floe_log_port log = floe_posix_log(FLOE_LOG_WARN);
    const char *name = "localhost", *addr, *ca_file = NULL;
    int i, connections = 1, rc = 0, err, system_ca = 0;
    size_t line_bytes = 3000;
    long port;

    memset(&cfg, 0, sizeof cfg);
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--name") == 0 && i + 1 < argc)
            name = argv[++i];
        else if (strcmp(o, "--ca") == 0 && i + 1 < argc)
            ca_file = argv[++i];
        else if (strcmp(o, "--ca-mem") == 0 && i + 1 < argc) {
            cfg.ca_pem = ca_mem;
            cfg.ca_pem_len = read_file(argv[++i], ca_mem, sizeof ca_mem);
        } else if (strcmp(o, "--system-ca") == 0)
            system_ca = 1;
        else if (strcmp(o, "--cert") == 0 && i + 1 < argc)
            cfg.client_cert_file = argv[++i];
        else if (strcmp(o, "--key") == 0 && i + 1 < argc)
            cfg.client_key_file = argv[++i];
        else if (strcmp(o, "--choppy") == 0)
            choppy = 1;
        else if (strcmp(o, "--insecure") == 0)
            cfg.flags |= FLOE_TLS_NO_VERIFY;
        else if (strcmp(o, "--tls12") == 0)
            cfg.min_version = cfg.max_version = FLOE_TLS_1_2;
        else if (strcmp(o, "--tls13") == 0)
            cfg.min_version = cfg.max_version = FLOE_TLS_1_3;
        else if (strcmp(o, "--heap") == 0 && i + 1 < argc)
            cfg.heap_bytes = (size_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(o, "--connections") == 0 && i + 1 < argc)
            connections = atoi(argv[++i]);
        else if (strcmp(o, "--line-bytes") == 0 && i + 1 < argc)
            line_bytes = (size_t)strtoul(argv[++i], NULL, 10);
        else
            usage();
    }
    if (argc - i != 2 || line_bytes + 1 > sizeof line || connections < 1)
        usage();
    addr = argv[i];
    port = strtol(argv[i + 1], NULL, 10);
    if (port <= 0 || port > 65535)
        usage();
    if (floe_posix_net.sock_size > sizeof sock_obj) {
        fprintf(stderr, "socket object too big\n");
        return 2;
    }

    /* --system-ca reads Debian's bundle as the CA file; with --ca as well,
     * the test CA goes in from memory (both sources at once). */
    if (system_ca) {
        cfg.ca_file = FLOE_TLS_DEFAULT_CA_FILE;
        if (ca_file != NULL) {
            cfg.ca_pem = ca_mem;
            cfg.ca_pem_len = read_file(ca_file, ca_mem, sizeof ca_mem);
        }
    } else if (ca_file != NULL) {
        cfg.ca_file = ca_file;
    }
    cfg.fs = &floe_posix_fs;
    cfg.clock = &floe_posix_clock;
    cfg.entropy = &floe_posix_entropy;
    cfg.log = &log;

    floe_arena_init(&arena, arena_buf, sizeof arena_buf);
    if (floe_tls_size(&cfg) == 0 || floe_tls_size(&cfg) > sizeof arena_buf) {
        fprintf(stderr, "tls_client: bad configuration or arena too small\n");
        return 2;
    }
    err = floe_tls_setup(&tls, &cfg, &arena);
    if (err != FLOE_OK) {
        printf("fail err=%s reason=\"%s\" (setup)\n", floe_errname(err), floe_tls_last_error(&tls));
        return 2;
    }
    for (i = 0; i < connections && rc == 0; i++)
        rc = one(&tls, addr, (uint16_t)port, name, line_bytes);
    floe_tls_free(&tls);
    return rc;
}
