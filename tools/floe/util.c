#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <time.h>

char *cli_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    if (f == NULL)
        return NULL;
    buf = malloc(max + 1);
    if (buf == NULL) {
        fclose(f);
        return NULL;
    }
    n = fread(buf, 1, max + 1, f);
    fclose(f);
    if (n > max) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int cli_parse_bytes(const char *text, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    uint64_t mult = 1;
    if (end == text)
        return -1;
    switch (*end) {
    case 'k': case 'K': mult = 1024u; end++; break;
    case 'm': case 'M': mult = 1024u * 1024u; end++; break;
    case 'g': case 'G': mult = 1024u * 1024u * 1024u; end++; break;
    default: break;
    }
    if (*end == 'i' || *end == 'B')
        end++;
    if (*end == 'B')
        end++;
    if (*end != '\0')
        return -1;
    *out = (uint64_t)v * mult;
    return 0;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_json_string(FILE *f, const char *s, size_t n)
{
    cli_json_string_as(f, s, n, floe_utf8_prefix(s, n) == n);
}

void cli_json_string_as(FILE *f, const char *s, size_t n, int utf8)
{
    size_t i;
    fputc('"', f);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\r')
            fputs("\\r", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || (c >= 0x7f && !utf8))
            fprintf(f, "\\u%04x", c); /* not UTF-8: each byte as its latin-1 code point */
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void cli_log(int level, const struct floe_log_port *log, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    if (log == NULL || log->write == NULL || level > log->level)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log->write(log->ctx, level, line);
}
