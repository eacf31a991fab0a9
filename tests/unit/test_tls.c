/* TLS client: what runs without a server. Setup sizes and memory, CA bundles
 * from memory and from files (good, partly bad, bad), the client identity,
 * the verification-off warning, and handshakes over fake transports that
 * fail, stall or answer garbage. Real handshakes: tests/integration/tls_test.sh. */
#define _DEFAULT_SOURCE
#include "test.h"
#include "floe/error.h"
#include "floe/tls.h"
#include "floe_posix.h"

#include <stdio.h>
#include <string.h>

/* Test material made once with openssl (EC P-256, valid until 2126): a CA, a
 * client certificate it signed, that certificate's key and an unrelated key. */
static const char uca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBkDCCATWgAwIBAgIUbHVj//spYLYRJ0/wf1yp/Q1zIeQwCgYIKoZIzj0EAwIw\n"
    "HDEaMBgGA1UEAwwRZmxvZSB1bml0IHRlc3QgQ0EwIBcNMjYxMTIxMTMyMDM3WhgP\n"
    "MjEyNjEwMjgxMzIwMzdaMBwxGjAYBgNVBAMMEWZsb2UgdW5pdCB0ZXN0IENBMFkw\n"
    "EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAELwlIUyQmXjvxvF1zKwZuRZQi+pgpUGaN\n"
    "bpWfhrI9dR3OTyfFMrK9Il1F1PQ4mRo3VonINkV5XGSOkxsyUgQvxKNTMFEwHQYD\n"
    "VR0OBBYEFFj0e8eiRQI6ua8FSb4ixwnFIAFgMB8GA1UdIwQYMBaAFFj0e8eiRQI6\n"
    "ua8FSb4ixwnFIAFgMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIh\n"
    "ALzRznCnjJ7N85LSYqGK8Uo6oZHosfK4tFuIO9PosG36AiEAzQvbpWvx1wCj+f8c\n"
    "XniXDXOZExWwuTRV0F9XB0E+KQE=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char ucl_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBMjCB2gIUD7Z173Gsib+jFok1Ubt55dW6PegwCgYIKoZIzj0EAwIwHDEaMBgG\n"
    "A1UEAwwRZmxvZSB1bml0IHRlc3QgQ0EwIBcNMjYxMTIxMTMyMDM4WhgPMjEyNjEw\n"
    "MjgxMzIwMzhaMBsxGTAXBgNVBAMMEGZsb2UgdW5pdCBjbGllbnQwWTATBgcqhkjO\n"
    "PQIBBggqhkjOPQMBBwNCAAQy2dqhjkS7Rx/uOBm1ivMKTb6nYvBBI0RRgYzbwYQF\n"
    "vTFNGv2iqKSuoMEvQvDx6PskIjK3PJ7rUqadP0ZMCryJMAoGCCqGSM49BAMCA0cA\n"
    "MEQCIH2o7Di3QWw1GVCSeke+nONDs5X7m4b2uGXk51gQitDlAiBnyt8DdZfmFwgZ\n"
    "JOavvYJOJUb8R4BMKkyEeXjX+eHHqA==\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char ucl_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjZmUtsVd4XBqe17/\n"
    "8MySP4+edgd+cz1ITTyW/QM7p+mhRANCAAQy2dqhjkS7Rx/uOBm1ivMKTb6nYvBB\n"
    "I0RRgYzbwYQFvTFNGv2iqKSuoMEvQvDx6PskIjK3PJ7rUqadP0ZMCryJ\n"
    "-----END PRIVATE KEY-----\n"
    ;
static const char other_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgTjD6tjbcp23NtcET\n"
    "OU4jn2/q9JfY3bciO2B0fTsFl3ChRANCAASJPF9kbtXbrUWvnldT280j2X8Ggdxs\n"
    "G8jtV5h5PNim4LiD5BvWQOBGjM8lxEPsRt+gVzDlun0J6lsxT/fDzyCH\n"
    "-----END PRIVATE KEY-----\n"
    ;

static const char garbage_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBkDCCATWgAwIBAgIUbHVjTHIS/IS/NOT/A/CERTIFICATE/AT/ALL/0zIeQwCgYIKoZIzj0EAwIw\n"
    "-----END CERTIFICATE-----\n";

/* The arena: room for the system bundle's default slice. */
static uint8_t arena_buf[(640 + 64) * 1024] __attribute__((aligned(64)));

struct logcap {
    int warns, errors;
    char warn[256], error[256];
};

static void cap_write(void *ctx, int level, const char *line)
{
    struct logcap *c = (struct logcap *)ctx;
    if (level == FLOE_LOG_WARN) {
        c->warns++;
        snprintf(c->warn, sizeof c->warn, "%s", line);
    } else if (level == FLOE_LOG_ERROR) {
        c->errors++;
        snprintf(c->error, sizeof c->error, "%s", line);
    }
}

static struct logcap cap;
static struct floe_log_port cap_log = {&cap, cap_write, FLOE_LOG_INFO};

static void base_cfg(struct floe_tls_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    memset(&cap, 0, sizeof cap);
    cfg->ca_pem = uca_pem;
    cfg->ca_pem_len = strlen(uca_pem);
    cfg->fs = &floe_posix_fs;
    cfg->clock = &floe_posix_clock;
    cfg->entropy = &floe_posix_entropy;
    cfg->log = &cap_log;
}

static void arena(struct floe_arena *a)
{
    floe_arena_init(a, arena_buf, sizeof arena_buf);
}

static void print_peak(const char *what, const struct floe_tls *tls)
{
    struct floe_tls_stats s;
    floe_tls_stats(tls, &s);
    printf("  tls: %s: heap peak %zu of %zu bytes (%u CA loaded, %u skipped)\n", what, s.heap_peak,
           s.heap_bytes, s.ca_loaded, s.ca_skipped);
}

TEST(tls_size)
{
    struct floe_tls_config cfg;
    size_t n, heap;
    base_cfg(&cfg);
    /* The default slice grows with the CA PEM given in memory. */
    heap = FLOE_TLS_HEAP_DEFAULT + FLOE_ALIGN_UP(FLOE_TLS_HEAP_PER_CA_PEM_BYTE * strlen(uca_pem), 4096u);
    n = floe_tls_size(&cfg);
    CHECK(n >= heap + FLOE_TLS_PEM_MAX);
    CHECK(n < heap + FLOE_TLS_PEM_MAX + 8 * 1024);
    cfg.heap_bytes = 100000;
    CHECK(floe_tls_size(&cfg) == n - heap + 100000);
    /* The system bundle by default: the bigger slice and a file object. */
    base_cfg(&cfg);
    cfg.ca_pem = NULL;
    cfg.ca_pem_len = 0;
    CHECK(floe_tls_size(&cfg) >= FLOE_TLS_HEAP_CA_FILE_DEFAULT);
    /* Without verification nothing is loaded by default. */
    cfg.flags = FLOE_TLS_NO_VERIFY;
    CHECK(floe_tls_size(&cfg) < FLOE_TLS_HEAP_CA_FILE_DEFAULT);

    /* Bad configurations size to 0. */
    CHECK_EQ_U64(floe_tls_size(NULL), 0);
    base_cfg(&cfg);
    cfg.clock = NULL;
    CHECK_EQ_U64(floe_tls_size(&cfg), 0);
    base_cfg(&cfg);
    cfg.entropy = NULL;
    CHECK_EQ_U64(floe_tls_size(&cfg), 0);
    base_cfg(&cfg);
    cfg.heap_bytes = 1000;
    CHECK_EQ_U64(floe_tls_size(&cfg), 0);
    base_cfg(&cfg);
    cfg.client_cert_pem = ucl_pem;
    cfg.client_cert_len = strlen(ucl_pem); /* no key */
    CHECK_EQ_U64(floe_tls_size(&cfg), 0);
    base_cfg(&cfg);
    cfg.min_version = FLOE_TLS_1_3;
    cfg.max_version = FLOE_TLS_1_2;
    CHECK_EQ_U64(floe_tls_size(&cfg), 0);
    base_cfg(&cfg);
    cfg.min_version = 11;
    CHECK_EQ_U64(floe_tls_size(&cfg), 0);
    base_cfg(&cfg);
    cfg.ca_pem = NULL;
    cfg.fs = NULL; /* the default CA file needs a file system */
    CHECK_EQ_U64(floe_tls_size(&cfg), 0);
}

TEST(tls_setup_memory)
{
    struct floe_tls_config cfg;
    struct floe_tls tls;
    struct floe_tls_stats s;
    struct floe_arena a;
    size_t need;
    base_cfg(&cfg);
    need = floe_tls_size(&cfg);
    arena(&a);
    REQUIRE(floe_tls_setup(&tls, &cfg, &a) == FLOE_OK);
    CHECK_EQ_STR(floe_tls_last_error(&tls), "");
    /* Everything fit in what size() promised; the PEM window came back. */
    CHECK(a.high_water <= need);
    CHECK(a.used <= need - FLOE_TLS_PEM_MAX);
    floe_tls_stats(&tls, &s);
    CHECK_EQ_U64(s.heap_bytes, FLOE_TLS_HEAP_DEFAULT + 4096);
    CHECK_EQ_INT(s.ca_loaded, 1);
    CHECK_EQ_INT(s.ca_skipped, 0);
    CHECK_EQ_INT(s.handshakes, 0);
    /* The record buffers alone (16 KiB in, 4 KiB out) are in the slice now. */
    CHECK(s.heap_peak > 20 * 1024);
    CHECK(s.heap_peak < FLOE_TLS_HEAP_DEFAULT);
    print_peak("setup, one CA", &tls);

    /* One context per process. */
    {
        struct floe_tls second;
        struct floe_arena b;
        static uint8_t buf2[128 * 1024] __attribute__((aligned(64)));
        floe_arena_init(&b, buf2, sizeof buf2);
        CHECK_EQ_INT(floe_tls_setup(&second, &cfg, &b), FLOE_ERR_STATE);
        CHECK(strstr(floe_tls_last_error(&second), "another TLS context") != NULL);
        CHECK_EQ_U64(b.used, 0);
    }
    floe_tls_free(&tls);
    floe_tls_free(&tls); /* twice is harmless */

    /* Freed: the slot is free again. */
    arena(&a);
    REQUIRE(floe_tls_setup(&tls, &cfg, &a) == FLOE_OK);
    floe_tls_free(&tls);

    /* Exactly floe_tls_size() bytes are enough wherever the arena starts on
     * its 8-byte alignment (16-aligned takes lose up to 8 bytes each). */
    {
        int off;
        for (off = 0; off <= 56; off += 8) {
            floe_arena_init(&a, arena_buf + off, need);
            if (floe_tls_setup(&tls, &cfg, &a) != FLOE_OK)
                test_fail(__FILE__, __LINE__, "an arena of floe_tls_size() bytes at offset %d: %s", off,
                          floe_tls_last_error(&tls));
            floe_tls_free(&tls);
        }
    }

    /* An arena that is too small is refused whole. */
    {
        static uint8_t small[32 * 1024];
        floe_arena_init(&a, small, sizeof small);
        CHECK_EQ_INT(floe_tls_setup(&tls, &cfg, &a), FLOE_ERR_NOMEM);
        CHECK_EQ_U64(a.used, 0);
        CHECK(tls.st == NULL);
    }
}

TEST(tls_setup_invalid)
{
    struct floe_tls_config cfg;
    struct floe_tls tls;
    struct floe_arena a;
    base_cfg(&cfg);
    arena(&a);
    CHECK_EQ_INT(floe_tls_setup(NULL, &cfg, &a), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_tls_setup(&tls, NULL, &a), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_tls_setup(&tls, &cfg, NULL), FLOE_ERR_INVAL);
    cfg.heap_bytes = 100;
    CHECK_EQ_INT(floe_tls_setup(&tls, &cfg, &a), FLOE_ERR_INVAL);
    CHECK_EQ_U64(a.used, 0);
    /* Calls on a context that was never set up. */
    CHECK_EQ_INT(floe_tls_send(&tls, "x", 1, 10), FLOE_ERR_INVAL);
    CHECK_EQ_INT(floe_tls_close(&tls), FLOE_ERR_INVAL);
    floe_tls_free(&tls);
}

TEST(tls_heap_too_small)
{
    struct floe_tls_config cfg;
    struct floe_tls tls;
    struct floe_arena a;
    base_cfg(&cfg);
    cfg.heap_bytes = FLOE_TLS_HEAP_MIN; /* no room for the 16 KiB + 4 KiB record buffers */
    arena(&a);
    CHECK_EQ_INT(floe_tls_setup(&tls, &cfg, &a), FLOE_ERR_NOMEM);
    CHECK(strstr(floe_tls_last_error(&tls), "heap slice exhausted") != NULL);
    CHECK_EQ_U64(a.used, 0);
    CHECK_EQ_INT(cap.errors, 1);
}

TEST(tls_bad_ca_pem)
{
    struct floe_tls_config cfg;
    struct floe_tls tls;
    struct floe_arena a;
    static const char not_pem[] = "this is not a certificate bundle\n";

    base_cfg(&cfg);
    cfg.ca_pem = garbage_pem;
    cfg.ca_pem_len = strlen(garbage_pem);
    arena(&a);
    CHECK_EQ_INT(floe_tls_setup(&tls, &cfg, &a), FLOE_ERR_CERT);
    CHECK(strstr(floe_tls_last_error(&tls), "no certificate could be parsed") != NULL);
    CHECK(strstr(floe_tls_last_error(&tls), "ca_pem") != NULL);
    CHECK_EQ_U64(a.used, 0);
    CHECK(tls.st == NULL);
    printf("  tls: bad CA PEM: %s\n", floe_tls_last_error(&tls));

    base_cfg(&cfg);
    cfg.ca_pem = not_pem;
    cfg.ca_pem_len = strlen(not_pem);
    CHECK_EQ_INT(floe_tls_setup(&tls, &cfg, &a), FLOE_ERR_CERT);
    CHECK(strstr(floe_tls_last_error(&tls), "no certificate found") != NULL);

    /* A truncated bundle: the last block has no END line. */
    base_cfg(&cfg);
    cfg.ca_pem = uca_pem;
    cfg.ca_pem_len = strlen(uca_pem) - 30;
    CHECK_EQ_INT(floe_tls_setup(&tls, &cfg, &a), FLOE_ERR_CERT);

    /* The setup slot was released after each failure. */
    base_cfg(&cfg);
    REQUIRE(floe_tls_setup(&tls, &cfg, &a) == FLOE_OK);
    floe_tls_free(&tls);
}

TEST(tls_ca_partly_bad)
{
    /* Good, bad, good: the bad one is skipped and counted, with a warning. */
    static char bundle[4096];
    struct floe_tls_config cfg;
    struct floe_tls tls;
    struct floe_tls_stats s;
    struct floe_arena a;
    snprintf(bundle, sizeof bundle, "# test bundle\n%s\n%s%s", uca_pem, garbage_pem, ucl_pem);
    base_cfg(&cfg);
    cfg.ca_pem = bundle;
    cfg.ca_pem_len = strlen(bundle); /* no NUL counted: not needed */
    arena(&a);
    REQUIRE(floe_tls_setup(&tls, &cfg, &a) == FLOE_OK);
    floe_tls_stats(&tls, &s);
    CHECK_EQ_INT(s.ca_loaded, 2);
    CHECK_EQ_INT(s.ca_skipped, 1);
    CHECK_EQ_INT(cap.warns, 1);
    CHECK(strstr(cap.warn, "1 CA certificate(s) could not be parsed") != NULL);
    floe_tls_free(&tls);
}

static void write_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return;
    fwrite(data, 1, n, f);
    fclose(f);
}

TEST(tls_ca_file)
{
    struct floe_tls_config cfg;
    struct floe_tls tls;
    struct floe_tls_stats s;
    struct floe_arena a;
    char path[300];
    static char big[64 * 1024];
    size_t n = 0;
    int i;

    /* A bundle bigger than the PEM window, with a preamble and CRLFs. */
    n += (size_t)snprintf(big + n, sizeof big - n, "Preamble text that is not PEM\r\n");
    for (i = 0; i < 20; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "# cert %d\r\n%s", i, (i % 2) ? ucl_pem : uca_pem);
    snprintf(path, sizeof path, "%s/bundle.pem", test_tmpdir());
    write_file(path, big, n);

    base_cfg(&cfg);
    cfg.ca_pem = NULL;
    cfg.ca_pem_len = 0;
    cfg.ca_file = path;
    cfg.heap_bytes = 128 * 1024;
    arena(&a);
    REQUIRE(floe_tls_setup(&tls, &cfg, &a) == FLOE_OK);
    floe_tls_stats(&tls, &s);
    CHECK_EQ_INT(s.ca_loaded, 20);
    CHECK_EQ_INT(s.ca_skipped, 0);
    print_peak("setup, 20 small CAs from a file", &tls);
    floe_tls_free(&tls);

    /* A missing file: the port's error and the path. */
    arena(&a);
    cfg.ca_file = "/nonexistent/floe-ca.pem";
    CHECK_EQ_INT(floe_tls_setup(&tls, &cfg, &a), FLOE_ERR_NOENT);
    CHECK(strstr(floe_tls_last_error(&tls), "/nonexistent/floe-ca.pem") != NULL);
    CHECK_EQ_U64(a.used, 0);
}

TEST(tls_ca_system_bundle)
{
    /* The Linux default (when present): every root parses, in the default slice. */
    struct floe_tls_config cfg;
    struct floe_tls tls;
    struct floe_tls_stats s;
    struct floe_arena a;
    FILE *f = fopen(FLOE_TLS_DEFAULT_CA_FILE, "rb");
    if (f == NULL) {
        printf("  tls: %s missing, system bundle not tried\n", FLOE_TLS_DEFAULT_CA_FILE);
        return;
    }
    fclose(f);
    base_cfg(&cfg);
    cfg.ca_pem = NULL;
    cfg.ca_pem_len = 0;
    arena(&a);
    REQUIRE(floe_tls_size(&cfg) <= sizeof arena_buf);
    REQUIRE(floe_tls_setup(&tls, &cfg, &a) == FLOE_OK);
    floe_tls_stats(&tls, &s);
    CHECK(s.ca_loaded > 50);
    CHECK(s.heap_peak < s.heap_bytes);
    print_peak("setup, system CA bundle", &tls);
    floe_tls_free(&tls);
}

TEST(tls_client_identity)
{
    struct floe_tls_config cfg;
    struct floe_tls tls;
    struct floe_arena a;
    char path[300];

    base_cfg(&cfg);
    cfg.client_cert_pem = ucl_pem;
    cfg.client_cert_len = strlen(ucl_pem);
    cfg.client_key_pem = ucl_key;
    cfg.client_key_len = strlen(ucl_key);
    arena(&a);
    REQUIRE(floe_tls_setup(&tls, &cfg, &a) == FLOE_OK);
    floe_tls_free(&tls);

    /* The key from a file. */
    snprintf(path, sizeof path, "%s/client.key", test_tmpdir());
    write_file(path, ucl_key, strlen(ucl_key));
    cfg.client_key_pem = NULL;
    cfg.client_key_len = 0;
    cfg.client_key_file = path;
    REQUIRE(floe_tls_setup(&tls, &cfg, &a) == FLOE_OK);
    floe_tls_free(&tls);

    /* A key that belongs to another certificate. */
    cfg.client_key_file = NULL;
    cfg.client_key_pem = other_key;
    cfg.client_key_len = strlen(other_key);
    CHECK_EQ_INT(floe_tls_setup(&tls, &cfg, &a), FLOE_ERR_CERT);
    CHECK(strstr(floe_tls_last_error(&tls), "does not match") != NULL);

    /* Not a key at all. */
    cfg.client_key_pem = garbage_pem;
    cfg.client_key_len = strlen(garbage_pem);
    CHECK_EQ_INT(floe_tls_setup(&tls, &cfg, &a), FLOE_ERR_CERT);
    CHECK(strstr(floe_tls_last_error(&tls), "client key") != NULL);

    /* A bad client certificate; nothing of the arena is kept. */
    arena(&a);
    cfg.client_cert_pem = garbage_pem;
    cfg.client_cert_len = strlen(garbage_pem);
    cfg.client_key_pem = ucl_key;
    cfg.client_key_len = strlen(ucl_key);
    CHECK_EQ_INT(floe_tls_setup(&tls, &cfg, &a), FLOE_ERR_CERT);
    CHECK(strstr(floe_tls_last_error(&tls), "client certificate") != NULL);
    CHECK_EQ_U64(a.used, 0);
}

static int entropy_broken(void *ctx, void *buf, size_t n)
{
    (void)ctx;
    (void)buf;
    (void)n;
    return FLOE_ERR_IO;
}

TEST(tls_entropy_failure)
{
    static const struct floe_entropy_port broken = {NULL, entropy_broken};
    struct floe_tls_config cfg;
    struct floe_tls tls;
    struct floe_arena a;
    base_cfg(&cfg);
    cfg.entropy = &broken;
    arena(&a);
    CHECK_EQ_INT(floe_tls_setup(&tls, &cfg, &a), FLOE_ERR_IO);
    CHECK(strstr(floe_tls_last_error(&tls), "entropy") != NULL);
    base_cfg(&cfg);
    REQUIRE(floe_tls_setup(&tls, &cfg, &a) == FLOE_OK);
    floe_tls_free(&tls);
}

/* ---- fake transports and a fake clock ------------------------------------ */

static uint64_t fake_now;
static uint64_t fake_ms(void *ctx)
{
    (void)ctx;
    return fake_now += 5; /* time moves on with every look at the clock */
}
static int64_t fake_utc(void *ctx)
{
    (void)ctx;
    return 0;
}
static const struct floe_clock_port fake_clock = {NULL, fake_ms, fake_utc};

struct fake {
    const char *reply;
    size_t reply_len, reply_off;
    int recv_result; /* when reply is NULL: what recv returns */
    size_t sent;
    int recvs;
};

static floe_ssize_t fake_send(void *ctx, const void *buf, size_t n, uint32_t timeout_ms)
{
    struct fake *f = (struct fake *)ctx;
    (void)buf;
    (void)timeout_ms;
    f->sent += n;
    return (floe_ssize_t)n;
}

static floe_ssize_t fake_recv(void *ctx, void *buf, size_t n, uint32_t timeout_ms)
{
    struct fake *f = (struct fake *)ctx;
    (void)timeout_ms;
    f->recvs++;
    if (f->reply == NULL)
        return f->recv_result;
    if (f->reply_off >= f->reply_len)
        return FLOE_ERR_NET;
    if (n > f->reply_len - f->reply_off)
        n = f->reply_len - f->reply_off;
    memcpy(buf, f->reply + f->reply_off, n);
    f->reply_off += n;
    return (floe_ssize_t)n;
}

static int setup_fake(struct floe_tls *tls, uint32_t flags)
{
    struct floe_tls_config cfg;
    struct floe_arena a;
    base_cfg(&cfg);
    cfg.flags = flags;
    cfg.clock = &fake_clock;
    arena(&a);
    return floe_tls_setup(tls, &cfg, &a);
}

TEST(tls_no_verify_warns)
{
    struct floe_tls_config cfg;
    struct floe_tls tls;
    struct floe_arena a;
    struct fake f;
    struct floe_tls_transport tr;

    /* No CA at all is fine without verification, and it is said at setup. */
    base_cfg(&cfg);
    cfg.ca_pem = NULL;
    cfg.ca_pem_len = 0;
    cfg.fs = NULL;
    cfg.flags = FLOE_TLS_NO_VERIFY;
    cfg.clock = &fake_clock;
    arena(&a);
    REQUIRE(floe_tls_setup(&tls, &cfg, &a) == FLOE_OK);
    CHECK_EQ_INT(cap.warns, 1);
    CHECK(strstr(cap.warn, "verification is OFF") != NULL);

    /* ... and again on every connection, whatever becomes of it. The
     * transport's error comes back unchanged. */
    memset(&f, 0, sizeof f);
    f.recv_result = FLOE_ERR_NET;
    tr.ctx = &f;
    tr.send = fake_send;
    tr.recv = fake_recv;
    CHECK_EQ_INT(floe_tls_connect(&tls, &tr, "example.com", 1000), FLOE_ERR_NET);
    CHECK_EQ_INT(cap.warns, 3); /* the connection warning, then the failure */
    CHECK(f.sent > 0);          /* a ClientHello went out */
    CHECK(strstr(floe_tls_last_error(&tls), "transport") != NULL);
    memset(&f, 0, sizeof f);
    f.recv_result = FLOE_ERR_NET;
    CHECK_EQ_INT(floe_tls_connect(&tls, &tr, "example.com", 1000), FLOE_ERR_NET);
    CHECK_EQ_INT(cap.warns, 5);
    floe_tls_free(&tls);

    /* Verification on: no such warning. */
    REQUIRE(setup_fake(&tls, 0) == FLOE_OK);
    memset(&f, 0, sizeof f);
    f.recv_result = FLOE_ERR_NET;
    CHECK_EQ_INT(floe_tls_connect(&tls, &tr, "example.com", 1000), FLOE_ERR_NET);
    CHECK_EQ_INT(cap.warns, 1); /* the failure only */
    CHECK(strstr(cap.warn, "verification") == NULL);
    floe_tls_free(&tls);
}

TEST(tls_handshake_timeout)
{
    struct floe_tls tls;
    struct fake f;
    struct floe_tls_transport tr;
    struct floe_tls_stats s;
    REQUIRE(setup_fake(&tls, 0) == FLOE_OK);
    memset(&f, 0, sizeof f);
    f.recv_result = 0; /* the server never answers */
    tr.ctx = &f;
    tr.send = fake_send;
    tr.recv = fake_recv;
    CHECK_EQ_INT(floe_tls_connect(&tls, &tr, "example.com", 200), FLOE_ERR_TIMEOUT);
    CHECK(strstr(floe_tls_last_error(&tls), "timed out") != NULL);
    CHECK(f.recvs >= 2 && f.recvs < 100);
    floe_tls_stats(&tls, &s);
    CHECK_EQ_INT(s.handshakes, 0);
    /* Not connected: the stream calls say so. */
    CHECK_EQ_INT(floe_tls_send(&tls, "x", 1, 10), FLOE_ERR_STATE);
    {
        char b[4];
        CHECK_EQ_INT(floe_tls_recv(&tls, b, sizeof b, 10), FLOE_ERR_STATE);
    }
    CHECK_EQ_INT(floe_tls_close(&tls), FLOE_OK);
    floe_tls_free(&tls);
}

TEST(tls_not_a_tls_server)
{
    static const char http[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    struct floe_tls tls;
    struct fake f;
    struct floe_tls_transport tr;
    REQUIRE(setup_fake(&tls, 0) == FLOE_OK);
    memset(&f, 0, sizeof f);
    f.reply = http;
    f.reply_len = sizeof http - 1;
    tr.ctx = &f;
    tr.send = fake_send;
    tr.recv = fake_recv;
    CHECK_EQ_INT(floe_tls_connect(&tls, &tr, "example.com", 1000), FLOE_ERR_TLS);
    CHECK(strstr(floe_tls_last_error(&tls), "not a TLS server") != NULL);
    printf("  tls: plain HTTP answer: %s\n", floe_tls_last_error(&tls));
    /* A bad host name argument. */
    CHECK_EQ_INT(floe_tls_connect(&tls, &tr, "", 1000), FLOE_ERR_INVAL);
    print_peak("after a failed handshake", &tls);
    floe_tls_free(&tls);
}
