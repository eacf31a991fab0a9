/* libFuzzer target for src/s3/sigv4.c and src/s3/s3util.c.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *     tests/fuzz/fuzz_sigv4.c src/s3/sigv4.c src/s3/s3util.c src/core/sha256.c \
 *     src/core/error.c -o /tmp/fuzz_sigv4
 *
 * Input: a control byte, then NUL-separated fields: method, path, query,
 * payload hash, region, service, amz date, access key, secret, session token,
 * then header name / value pairs. Every string is a heap copy of exactly its
 * bytes and every output buffer is exactly as large as the call may use, so
 * ASan sees any overrun. Control bits: 1 presign, 2 replace an invalid date,
 * region, service or payload by a valid one (to get past validation more
 * often), 4 add a host header, 8 FLOE_SIGV4_NO_CONTENT_SHA256, 16 use a key
 * cache. Checks: no crash; sizes from floe_sigv4_scratch_size are exact;
 * outputs are NUL-terminated at the returned length; a buffer one byte short
 * fails with FLOE_ERR_NOMEM; the canonical request has its six separators;
 * signing is deterministic and the cache does not change the result. */
#include "floe/error.h"
#include "floe/sigv4.h"
#include <stdlib.h>
#include <string.h>

#define CHECK(x)              \
    do {                      \
        if (!(x))             \
            __builtin_trap(); \
    } while (0)

#define MAX_HEADERS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *copy(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Next NUL-terminated field of data[*pos..size), or NULL at the end. */
static char *field(const uint8_t *data, size_t size, size_t *pos)
{
    const uint8_t *p, *nul;
    size_t n;
    if (*pos >= size)
        return NULL;
    p = data + *pos;
    nul = memchr(p, 0, size - *pos);
    n = nul != NULL ? (size_t)(nul - p) : size - *pos;
    *pos += n + 1;
    return copy(p, n);
}

static int valid_date(const char *d)
{
    int i;
    for (i = 0; i < 16; i++) {
        char c = d[i];
        if (i == 8 ? c != 'T' : i == 15 ? c != 'Z' : (c < '0' || c > '9'))
            return 0;
    }
    return d[16] == '\0';
}

static void check_encoders(const char *s)
{
    size_t n = strlen(s);
    int k;
    for (k = 0; k < 2; k++) {
        char *big = malloc(3 * n + 1), *exact;
        int len = floe_sigv4_uri_encode(s, big, 3 * n + 1, k);
        CHECK(len >= (int)n && (size_t)len <= 3 * n && strlen(big) == (size_t)len);
        exact = malloc((size_t)len + 1);
        CHECK(floe_sigv4_uri_encode(s, exact, (size_t)len + 1, k) == len);
        CHECK(memcmp(exact, big, (size_t)len + 1) == 0);
        CHECK(floe_sigv4_uri_encode(s, exact, (size_t)len, k) == FLOE_ERR_NOMEM);
        free(exact);
        free(big);
    }
    {
        size_t need = (n + 2) / 3 * 4;
        char *b = malloc(need + 1);
        CHECK(floe_s3_base64_encode(s, n, b, need + 1) == (int)need && strlen(b) == need);
        CHECK(floe_s3_base64_encode(s, n, b, need) == FLOE_ERR_NOMEM);
        free(b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *f[10];
    char *hstore[2 * MAX_HEADERS];
    struct floe_sigv4_header h[MAX_HEADERS + 1];
    struct floe_sigv4_request r;
    struct floe_sigv4_credentials cr;
    struct floe_sigv4_key cache;
    size_t pos = 1, nh = 0, nstore = 0, i, need;
    unsigned ctl;
    uint32_t expires = 0;
    char *scratch, *out, *out2;
    int n, n2;

    if (size == 0)
        return 0;
    ctl = data[0];
    for (i = 0; i < 10; i++) {
        f[i] = field(data, size, &pos);
        if (f[i] == NULL)
            f[i] = copy((const uint8_t *)"", 0);
    }
    if (ctl & 4) {
        h[nh].name = "Host";
        h[nh].value = "bucket.s3.amazonaws.com";
        nh++;
    }
    while (nh < MAX_HEADERS) {
        char *name = field(data, size, &pos), *value;
        if (name == NULL)
            break;
        value = field(data, size, &pos);
        if (value == NULL)
            value = copy((const uint8_t *)"", 0);
        hstore[nstore++] = name;
        hstore[nstore++] = value;
        h[nh].name = name;
        h[nh].value = value;
        nh++;
    }
    if (ctl & 2) {
        if (!valid_date(f[6]))
            f[6] = (free(f[6]), copy((const uint8_t *)"20240229T235959Z", 16));
        if (f[4][0] == '\0' || strlen(f[4]) > 64)
            f[4] = (free(f[4]), copy((const uint8_t *)"us-east-1", 9));
        if (f[5][0] == '\0' || strlen(f[5]) > 64)
            f[5] = (free(f[5]), copy((const uint8_t *)"s3", 2));
        if (strlen(f[3]) != 64)
            f[3] = (free(f[3]), copy((const uint8_t *)FLOE_SIGV4_UNSIGNED_PAYLOAD, 16));
        if (f[7][0] == '\0')
            f[7] = (free(f[7]), copy((const uint8_t *)"AKID", 4));
        if (f[8][0] == '\0')
            f[8] = (free(f[8]), copy((const uint8_t *)"secret", 6));
    }
    if (ctl & 1)
        expires = 1 + (uint32_t)(ctl >> 5) * 86400u;

    memset(&r, 0, sizeof r);
    r.method = f[0];
    r.path = f[1];
    r.query = f[2];
    r.payload_sha256 = f[3];
    r.region = f[4];
    r.service = f[5];
    r.amz_date = f[6];
    r.headers = h;
    r.n_headers = nh;
    r.flags = (ctl & 8) ? FLOE_SIGV4_NO_CONTENT_SHA256 : 0;
    memset(&cr, 0, sizeof cr);
    cr.access_key_id = f[7];
    cr.secret_access_key = f[8];
    cr.session_token = f[9];
    memset(&cache, 0, sizeof cache);
    if (ctl & 16)
        cr.key_cache = &cache;

    check_encoders(f[1]);
    check_encoders(f[2]);

    /* Without credentials: only the header form has a size. */
    if (expires > 0)
        CHECK(floe_sigv4_scratch_size(&r, NULL, expires) == 0);
    else
        (void)floe_sigv4_scratch_size(&r, NULL, 0);
    need = floe_sigv4_scratch_size(&r, &cr, expires);
    if (need == 0) {
        /* Invalid: every entry point must refuse it without writing. */
        char small[8];
        if (expires > 0)
            CHECK(floe_sigv4_presign(&r, &cr, expires, NULL, 0, small, sizeof small) < 0);
        else
            CHECK(floe_sigv4_sign(&r, &cr, NULL, 0, small, sizeof small) < 0);
        CHECK(small[0] == '\0');
        goto done;
    }
    scratch = malloc(need);
    out = malloc(1 << 16);
    if (expires > 0)
        n = floe_sigv4_presign(&r, &cr, expires, scratch, need, out, 1 << 16);
    else
        n = floe_sigv4_sign(&r, &cr, scratch, need, out, 1 << 16);
    if (n == FLOE_ERR_NOMEM) {
        /* Only the fixed output buffer may be too small (huge tokens). */
        free(scratch);
        free(out);
        goto done;
    }
    CHECK(n > 0 && strlen(out) == (size_t)n);
    {
        size_t creq = strlen(scratch), seps = 0;
        const char *sts = scratch + creq + 1;
        CHECK(creq + 1 + strlen(sts) + 1 == need);
        CHECK(strncmp(sts, "AWS4-HMAC-SHA256\n", 17) == 0 && strlen(sts) <= 250);
        for (i = 0; i < creq; i++)
            seps += scratch[i] == '\n';
        CHECK(seps >= 5);
        if (expires == 0) {
            char *c = malloc(creq + 1);
            CHECK(floe_sigv4_canonical_request(&r, &cr, c, creq + 1) == (int)creq);
            CHECK(memcmp(c, scratch, creq + 1) == 0);
            CHECK(floe_sigv4_canonical_request(&r, &cr, c, creq) == FLOE_ERR_NOMEM);
            free(c);
        }
    }
    /* Exactly n + 1 bytes: the same; n bytes: NOMEM; no scratch: the same;
     * a scratch one short: NOMEM. */
    out2 = malloc((size_t)n + 1);
    cr.key_cache = (ctl & 16) ? &cache : NULL;
    n2 = expires > 0 ? floe_sigv4_presign(&r, &cr, expires, NULL, 0, out2, (size_t)n + 1)
                     : floe_sigv4_sign(&r, &cr, NULL, 0, out2, (size_t)n + 1);
    CHECK(n2 == n && memcmp(out, out2, (size_t)n + 1) == 0);
    n2 = expires > 0 ? floe_sigv4_presign(&r, &cr, expires, NULL, 0, out2, (size_t)n)
                     : floe_sigv4_sign(&r, &cr, NULL, 0, out2, (size_t)n);
    CHECK(n2 == FLOE_ERR_NOMEM);
    cr.key_cache = NULL;
    n2 = expires > 0 ? floe_sigv4_presign(&r, &cr, expires, scratch, need - 1, out2, (size_t)n + 1)
                     : floe_sigv4_sign(&r, &cr, scratch, need - 1, out2, (size_t)n + 1);
    CHECK(n2 == FLOE_ERR_NOMEM);
    free(out2);
    free(scratch);
    free(out);
done:
    for (i = 0; i < 10; i++)
        free(f[i]);
    for (i = 0; i < nstore; i++)
        free(hstore[i]);
    return 0;
}
