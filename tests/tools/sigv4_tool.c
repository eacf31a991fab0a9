/* Host helper for tests/integration/sigv4_check.mjs: signs requests with
 * floe's SigV4 and prints what it signed.
 *
 * Build (from the repository root, after `make lib`):
 *   cc -std=c99 -Iinclude -Isrc tests/tools/sigv4_tool.c build/host/libfloe.a \
 *     -o build/host/sigv4_tool
 *
 * Usage: sigv4_tool [FILE]   (default: standard input)
 *
 * Input: one "KEY VALUE" per line, VALUE being the rest of the line, byte for
 * byte. A KEY ending in "_hex" takes its VALUE as hex digits instead (for
 * bytes a line cannot hold, or leading and trailing blanks). Lines starting
 * with '#' and empty lines are skipped.
 *   method M | path P | query Q | payload H | region R | service S
 *   date YYYYMMDDTHHMMSSZ | access_key A | secret K | token T
 *   header NAME:VALUE      (repeatable; VALUE is everything after the ':')
 *   flag no-content-sha256
 *   sign                   sign with the Authorization header, print, reset
 *   presign SECONDS        presign, print, reset
 *
 * Output per sign/presign (hex so that any byte survives):
 *   canonical <hex of the canonical request>
 *   sts <hex of the string to sign>
 *   authorization <value>    or    query <presigned query string>
 *   end
 * or "error <code> <NAME>" then "end". Exit status 0 unless the input itself
 * could not be read or parsed (2). */
#include "floe/error.h"
#include "floe/sigv4.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADERS 64
#define MAX_FIELD 65536

static struct {
    char *method, *path, *query, *payload, *region, *service, *date, *akid, *secret, *token;
    struct floe_sigv4_header headers[MAX_HEADERS];
    char *header_store[MAX_HEADERS];
    size_t n_headers;
    unsigned flags;
} rq;

static void reset(void)
{
    size_t i;
    char **f[] = {&rq.method, &rq.path, &rq.query, &rq.payload, &rq.region,
                  &rq.service, &rq.date, &rq.akid, &rq.secret, &rq.token};
    for (i = 0; i < sizeof f / sizeof f[0]; i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
    for (i = 0; i < rq.n_headers; i++)
        free(rq.header_store[i]);
    rq.n_headers = 0;
    rq.flags = 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A copy of v (hex-decoded when hex); NULL when the hex is bad or holds a NUL. */
static char *value_copy(const char *v, int hex)
{
    size_t n = strlen(v), i;
    char *out;
    if (!hex) {
        out = malloc(n + 1);
        if (out != NULL)
            memcpy(out, v, n + 1);
        return out;
    }
    if (n % 2 != 0)
        return NULL;
    out = malloc(n / 2 + 1);
    if (out == NULL)
        return NULL;
    for (i = 0; i < n / 2; i++) {
        int hi = hexval((unsigned char)v[2 * i]), lo = hexval((unsigned char)v[2 * i + 1]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        out[i] = (char)(hi << 4 | lo);
    }
    out[n / 2] = '\0';
    return out;
}

static void print_hex(const char *label, const char *s)
{
    printf("%s ", label);
    for (; *s; s++)
        printf("%02x", (unsigned char)*s);
    printf("\n");
}

static void run(long expires)
{
    static char scratch[1 << 20], out[1 << 20];
    struct floe_sigv4_credentials cr;
    struct floe_sigv4_request r;
    int n;

    memset(&cr, 0, sizeof cr);
    cr.access_key_id = rq.akid;
    cr.secret_access_key = rq.secret;
    cr.session_token = rq.token;
    memset(&r, 0, sizeof r);
    r.method = rq.method;
    r.path = rq.path;
    r.query = rq.query;
    r.headers = rq.headers;
    r.n_headers = rq.n_headers;
    r.payload_sha256 = rq.payload;
    r.region = rq.region;
    r.service = rq.service != NULL ? rq.service : "s3";
    r.amz_date = rq.date;
    r.flags = rq.flags;
    if (expires > 0)
        n = floe_sigv4_presign(&r, &cr, (uint32_t)expires, scratch, sizeof scratch, out, sizeof out);
    else
        n = floe_sigv4_sign(&r, &cr, scratch, sizeof scratch, out, sizeof out);
    if (n < 0) {
        printf("error %d %s\nend\n", n, floe_errname(n));
    } else {
        print_hex("canonical", scratch);
        print_hex("sts", scratch + strlen(scratch) + 1);
        printf("%s %s\nend\n", expires > 0 ? "query" : "authorization", out);
    }
    fflush(stdout);
    reset();
}

static int set(char **slot, const char *v, int hex)
{
    free(*slot);
    *slot = value_copy(v, hex);
    return *slot != NULL ? 0 : -1;
}

static int line(char *s, unsigned long lineno)
{
    char *key = s, *v, *sp;
    int hex = 0;
    size_t klen;

    if (*s == '\0' || *s == '#')
        return 0;
    sp = strchr(s, ' ');
    v = sp != NULL ? sp + 1 : s + strlen(s);
    if (sp != NULL)
        *sp = '\0';
    klen = strlen(key);
    if (klen > 4 && strcmp(key + klen - 4, "_hex") == 0) {
        hex = 1;
        key[klen - 4] = '\0';
    }
#define FIELD(name, slot)                                   \
    if (strcmp(key, name) == 0) {                           \
        if (set(&slot, v, hex) == 0)                        \
            return 0;                                       \
        fprintf(stderr, "line %lu: bad value\n", lineno);   \
        return -1;                                          \
    }
    FIELD("method", rq.method)
    FIELD("path", rq.path)
    FIELD("query", rq.query)
    FIELD("payload", rq.payload)
    FIELD("region", rq.region)
    FIELD("service", rq.service)
    FIELD("date", rq.date)
    FIELD("access_key", rq.akid)
    FIELD("secret", rq.secret)
    FIELD("token", rq.token)
#undef FIELD
    if (strcmp(key, "header") == 0) {
        char *copy, *colon;
        if (rq.n_headers == MAX_HEADERS || (copy = value_copy(v, hex)) == NULL ||
            (colon = strchr(copy, ':')) == NULL) {
            fprintf(stderr, "line %lu: bad header\n", lineno);
            return -1;
        }
        *colon = '\0';
        rq.header_store[rq.n_headers] = copy;
        rq.headers[rq.n_headers].name = copy;
        rq.headers[rq.n_headers].value = colon + 1;
        rq.n_headers++;
        return 0;
    }
    if (strcmp(key, "flag") == 0 && strcmp(v, "no-content-sha256") == 0) {
        rq.flags |= FLOE_SIGV4_NO_CONTENT_SHA256;
        return 0;
    }
    if (strcmp(key, "sign") == 0) {
        run(0);
        return 0;
    }
    if (strcmp(key, "presign") == 0) {
        long e = strtol(v, NULL, 10);
        if (e <= 0) {
            fprintf(stderr, "line %lu: presign needs seconds > 0\n", lineno);
            return -1;
        }
        run(e);
        return 0;
    }
    fprintf(stderr, "line %lu: unknown key '%s'\n", lineno, key);
    return -1;
}

int main(int argc, char **argv)
{
    static char buf[MAX_FIELD * 2 + 64];
    FILE *in = stdin;
    unsigned long lineno = 0;
    int rc = 0;

    if (argc > 2) {
        fprintf(stderr, "usage: sigv4_tool [FILE]\n");
        return 2;
    }
    if (argc == 2 && (in = fopen(argv[1], "r")) == NULL) {
        perror(argv[1]);
        return 2;
    }
    while (fgets(buf, sizeof buf, in) != NULL) {
        size_t n = strlen(buf);
        lineno++;
        if (n > 0 && buf[n - 1] == '\n')
            buf[--n] = '\0';
        else if (!feof(in)) {
            fprintf(stderr, "line %lu: too long\n", lineno);
            rc = 2;
            break;
        }
        if (line(buf, lineno) != 0) {
            rc = 2;
            break;
        }
    }
    reset();
    if (in != stdin)
        fclose(in);
    return rc;
}
