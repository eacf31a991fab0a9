/* URL parsing for http:// and https:// endpoints (RFC 3986 subset).
 * No allocation: the host is copied into a fixed field (it must be a C string
 * for connect()), everything else points into the caller's string. */
#include "core/internal.h"
#include "floe/http.h"

static const char root_path[] = "/";

static int is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static int is_hex(char ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static char lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

static int is_unreserved(char ch)
{
    return is_alpha(ch) || is_digit(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static int is_sub_delim(char ch)
{
    switch (ch) {
    case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=':
        return 1;
    default:
        return 0;
    }
}

/* Checks s[0..n) against pchar-like rules: unreserved, sub-delims, %XX, and
 * the extra characters allowed in this component. */
static int valid_component(const char *s, size_t n, const char *extra)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '%') {
            if (n - i < 3 || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
                return 0;
            i += 2;
            continue;
        }
        if (is_unreserved(ch) || is_sub_delim(ch))
            continue;
        {
            const char *e = extra;
            while (*e != '\0' && *e != ch)
                e++;
            if (*e == '\0')
                return 0;
        }
    }
    return 1;
}

static int scheme_is(const char *s, size_t n, const char *want)
{
    size_t i;
    if (floe_strlen(want) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (lower(s[i]) != want[i])
            return 0;
    return 1;
}

/* Parses the host (reg-name, IPv4 or [IPv6]) and optional :port of an
 * authority without userinfo. */
static int parse_host_port(const char *s, size_t n, struct floe_url *out)
{
    size_t i = 0, host_len, host_start;
    if (n == 0)
        return FLOE_ERR_MALFORMED;
    if (s[0] == '[') {
        size_t colons = 0;
        i = 1;
        while (i < n && s[i] != ']') {
            char ch = s[i];
            if (ch == ':')
                colons++;
            else if (!is_hex(ch) && ch != '.')
                return FLOE_ERR_MALFORMED; /* also IPvFuture and zone ids */
            i++;
        }
        if (i == n || colons < 2)
            return FLOE_ERR_MALFORMED;
        host_start = 1;
        host_len = i - 1;
        i++; /* past ']' */
        out->ipv6 = 1;
    } else {
        while (i < n && s[i] != ':') {
            char ch = s[i];
            if (!is_alpha(ch) && !is_digit(ch) && ch != '-' && ch != '.' && ch != '_' && ch != '~')
                return FLOE_ERR_MALFORMED;
            i++;
        }
        host_start = 0;
        host_len = i;
    }
    if (host_len == 0)
        return FLOE_ERR_MALFORMED;
    if (host_len > FLOE_URL_HOST_MAX)
        return FLOE_ERR_LIMIT;
    {
        size_t k;
        for (k = 0; k < host_len; k++)
            out->host[k] = lower(s[host_start + k]);
        out->host[host_len] = '\0';
    }
    if (i < n) {
        uint32_t port = 0;
        size_t digits = 0;
        if (s[i] != ':')
            return FLOE_ERR_MALFORMED; /* junk after ']' */
        i++;
        for (; i < n; i++, digits++) {
            if (!is_digit(s[i]) || digits >= 5)
                return FLOE_ERR_MALFORMED;
            port = port * 10u + (uint32_t)(s[i] - '0');
        }
        if (digits > 0) { /* "host:" means the default port (RFC 3986 3.2.3) */
            if (port == 0 || port > 65535u)
                return FLOE_ERR_MALFORMED;
            out->port = (uint16_t)port;
            out->port_explicit = 1;
        }
    }
    return FLOE_OK;
}

int floe_url_parse(const char *url, struct floe_url *out)
{
    const char *p, *end, *auth, *auth_end, *at = NULL, *q;
    size_t len, scheme_len;
    FLOE_FAIL_IF(url == NULL || out == NULL, FLOE_ERR_INVAL);
    floe_memset(out, 0, sizeof *out);
    /* A bounded strlen, byte by byte: memchr over more than the string is
     * only safe where memchr promises to stop at the first match. */
    for (len = 0; len <= FLOE_URL_MAX && url[len] != '\0'; len++)
        ;
    if (len > FLOE_URL_MAX)
        return FLOE_ERR_LIMIT;
    end = url + len;
    for (p = url; p < end && *p != ':'; p++)
        if (!(is_alpha(*p) || (p > url && (is_digit(*p) || *p == '+' || *p == '-' || *p == '.'))))
            return FLOE_ERR_MALFORMED;
    if (p == end || p == url)
        return FLOE_ERR_MALFORMED;
    scheme_len = (size_t)(p - url);
    if (scheme_is(url, scheme_len, "https"))
        out->https = 1;
    else if (!scheme_is(url, scheme_len, "http"))
        return FLOE_ERR_UNSUPPORTED;
    out->port = out->https ? 443 : 80;
    if (end - p < 3 || p[1] != '/' || p[2] != '/')
        return FLOE_ERR_MALFORMED;
    auth = p + 3;
    /* The authority ends at the first '/', '?' or '#'. */
    for (auth_end = auth; auth_end < end; auth_end++) {
        char ch = *auth_end;
        if (ch == '/' || ch == '?' || ch == '#')
            break;
        if (ch == '@')
            at = auth_end; /* the last '@' ends the userinfo */
    }
    if (at != NULL) {
        if (!valid_component(auth, (size_t)(at - auth), ":"))
            return FLOE_ERR_MALFORMED;
        out->userinfo = auth;
        out->userinfo_len = (size_t)(at - auth);
        auth = at + 1;
    }
    FLOE_TRY(parse_host_port(auth, (size_t)(auth_end - auth), out));

    /* Path up to '?' or '#', query up to '#'; the fragment is dropped. */
    p = auth_end;
    for (q = p; q < end && *q != '?' && *q != '#'; q++)
        ;
    if (q > p) {
        if (!valid_component(p, (size_t)(q - p), ":@/"))
            return FLOE_ERR_MALFORMED;
        out->path = p;
        out->path_len = (size_t)(q - p);
    } else {
        out->path = root_path;
        out->path_len = 1;
    }
    if (q < end && *q == '?') {
        const char *qs = q + 1, *qe = qs;
        while (qe < end && *qe != '#')
            qe++;
        if (!valid_component(qs, (size_t)(qe - qs), ":@/?"))
            return FLOE_ERR_MALFORMED;
        out->query = qs;
        out->query_len = (size_t)(qe - qs);
        q = qe;
    }
    if (q < end) { /* '#': checked, then dropped */
        if (!valid_component(q + 1, (size_t)(end - q - 1), ":@/?"))
            return FLOE_ERR_MALFORMED;
    }
    return FLOE_OK;
}

int floe_url_authority(const struct floe_url *u, char *out, size_t cap)
{
    size_t host_len, need, n = 0;
    char digits[6];
    size_t nd = 0;
    int show_port;
    FLOE_FAIL_IF(u == NULL || out == NULL, FLOE_ERR_INVAL);
    host_len = floe_strlen(u->host);
    FLOE_FAIL_IF(host_len == 0 || host_len > FLOE_URL_HOST_MAX, FLOE_ERR_INVAL);
    show_port = u->port != (u->https ? 443 : 80);
    if (show_port) {
        unsigned v = u->port;
        char rev[6];
        do {
            rev[nd++] = (char)('0' + v % 10u);
            v /= 10u;
        } while (v != 0);
        {
            size_t k;
            for (k = 0; k < nd; k++)
                digits[k] = rev[nd - 1 - k];
        }
    }
    need = host_len + (u->ipv6 ? 2u : 0u) + (show_port ? nd + 1u : 0u);
    if (need + 1 > cap)
        return FLOE_ERR_LIMIT;
    if (u->ipv6)
        out[n++] = '[';
    floe_memcpy(out + n, u->host, host_len);
    n += host_len;
    if (u->ipv6)
        out[n++] = ']';
    if (show_port) {
        out[n++] = ':';
        floe_memcpy(out + n, digits, nd);
        n += nd;
    }
    out[n] = '\0';
    return (int)n;
}
