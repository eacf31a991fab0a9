/* Host helper for tests/snappy_interop.sh: raw Snappy with floe's codec.
 *   snappy_tool c IN OUT   compress IN into OUT
 *   snappy_tool d IN OUT   decompress IN into OUT
 * Build: cc -O2 -Iinclude -Isrc tests/tools/snappy_tool.c src/parquet/snappy.c */
#include "floe/error.h"
#include "parquet/snappy.h"
#include <stdio.h>
#include <stdlib.h>

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0;
    if (f == NULL)
        return NULL;
    for (;;) {
        size_t got;
        if (len == cap) {
            unsigned char *p;
            cap = cap ? cap * 2 : 65536;
            p = realloc(buf, cap);
            if (p == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *n = len;
    return buf;
}

static int write_all(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    if (n > 0 && fwrite(p, 1, n, f) != n) {
        fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    unsigned char *in, *out;
    size_t n, cap, out_len;
    int rc;

    if (argc != 4 || (argv[1][0] != 'c' && argv[1][0] != 'd') || argv[1][1] != '\0') {
        fprintf(stderr, "usage: snappy_tool c|d IN OUT\n");
        return 2;
    }
    in = read_all(argv[2], &n);
    if (in == NULL) {
        perror(argv[2]);
        return 1;
    }
    if (argv[1][0] == 'c') {
        static unsigned short work[FLOE_SNAPPY_WORK_BYTES / 2];
        cap = floe_snappy_max_compressed_length(n);
        out = malloc(cap ? cap : 1);
        if (cap == 0 || out == NULL) {
            fprintf(stderr, "snappy_tool: input too large\n");
            return 1;
        }
        out_len = floe_snappy_compress(in, n, out, cap, work);
        if (out_len == 0) {
            fprintf(stderr, "snappy_tool: compress failed\n");
            return 1;
        }
    } else {
        rc = floe_snappy_uncompressed_length(in, n, &cap);
        if (rc != FLOE_OK) {
            fprintf(stderr, "snappy_tool: bad preamble (%d)\n", rc);
            return 1;
        }
        out = malloc(cap ? cap : 1);
        if (out == NULL) {
            perror("malloc");
            return 1;
        }
        rc = floe_snappy_uncompress(in, n, out, cap, &out_len);
        if (rc != FLOE_OK) {
            fprintf(stderr, "snappy_tool: decompress failed (%d)\n", rc);
            return 1;
        }
    }
    if (write_all(argv[3], out, out_len) != 0) {
        perror(argv[3]);
        return 1;
    }
    free(in);
    free(out);
    return 0;
}
