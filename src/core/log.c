/* A small formatter for log lines: enough of printf for diagnostics, with no
 * stdio, no locale and no heap, so the library links on bare metal. */
#include <stdarg.h>
#include "core/internal.h"

struct sink {
    char *buf;
    size_t cap; /* includes the terminating NUL */
    size_t len;
};

static void put_char(struct sink *s, char c)
{
    if (s->len + 1 < s->cap)
        s->buf[s->len++] = c;
}

static void put_str(struct sink *s, const char *str, size_t max)
{
    size_t i;
    if (str == NULL)
        str = "(null)";
    for (i = 0; i < max && str[i] != '\0'; i++)
        put_char(s, str[i]);
}

static void put_unsigned(struct sink *s, unsigned long long v, unsigned base, int negative)
{
    char digits[24];
    size_t n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v != 0);
    if (negative)
        put_char(s, '-');
    while (n > 0)
        put_char(s, digits[--n]);
}

static void put_signed(struct sink *s, long long v)
{
    if (v < 0)
        put_unsigned(s, (unsigned long long)0 - (unsigned long long)v, 10, 1);
    else
        put_unsigned(s, (unsigned long long)v, 10, 0);
}

size_t floe_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    struct sink s;
    s.buf = buf;
    s.cap = cap;
    s.len = 0;
    if (cap == 0)
        return 0;
    for (; *fmt != '\0'; fmt++) {
        int lng = 0, size_t_arg = 0;
        size_t precision = (size_t)-1;
        if (*fmt != '%') {
            put_char(&s, *fmt);
            continue;
        }
        fmt++;
        if (fmt[0] == '.' && fmt[1] == '*') {
            int p = va_arg(ap, int);
            precision = p < 0 ? 0 : (size_t)p;
            fmt += 2;
        }
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        if (*fmt == 'z') {
            size_t_arg = 1;
            fmt++;
        }
        switch (*fmt) {
        case 's':
            put_str(&s, va_arg(ap, const char *), precision);
            break;
        case 'c':
            put_char(&s, (char)va_arg(ap, int));
            break;
        case 'd':
        case 'i':
            if (size_t_arg)
                put_signed(&s, (long long)va_arg(ap, ptrdiff_t));
            else if (lng >= 2)
                put_signed(&s, va_arg(ap, long long));
            else if (lng == 1)
                put_signed(&s, va_arg(ap, long));
            else
                put_signed(&s, va_arg(ap, int));
            break;
        case 'u':
        case 'x': {
            unsigned base = *fmt == 'x' ? 16u : 10u;
            unsigned long long v;
            if (size_t_arg)
                v = va_arg(ap, size_t);
            else if (lng >= 2)
                v = va_arg(ap, unsigned long long);
            else if (lng == 1)
                v = va_arg(ap, unsigned long);
            else
                v = va_arg(ap, unsigned);
            put_unsigned(&s, v, base, 0);
            break;
        }
        case '%':
            put_char(&s, '%');
            break;
        case '\0':
            fmt--; /* a lone '%' at the end */
            break;
        default:
            put_char(&s, '%');
            put_char(&s, *fmt);
            break;
        }
    }
    s.buf[s.len] = '\0';
    return s.len;
}

size_t floe_format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    size_t n;
    va_start(ap, fmt);
    n = floe_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

void floe_log(const struct floe_log_port *log, int level, const char *fmt, ...)
{
    char line[FLOE_LOG_LINE_MAX];
    va_list ap;
    if (log == NULL || log->write == NULL || level > log->level)
        return;
    va_start(ap, fmt);
    floe_vformat(line, sizeof line, fmt, ap);
    va_end(ap);
    log->write(log->ctx, level, line);
}

const char *floe_log_level_name(int level)
{
    switch (level) {
    case FLOE_LOG_ERROR:
        return "error";
    case FLOE_LOG_WARN:
        return "warn";
    case FLOE_LOG_INFO:
        return "info";
    case FLOE_LOG_DEBUG:
        return "debug";
    default:
        return "none";
    }
}
