/* A floe_stream over a net port's socket: plain TCP for http:// endpoints and
 * the transport under TLS. */
#include "core/internal.h"
#include "floe/http.h"

static floe_ssize_t tcp_send(void *ctx, const void *buf, size_t n, uint32_t timeout_ms)
{
    struct floe_tcp_stream *t = (struct floe_tcp_stream *)ctx;
    if (!t->connected)
        return FLOE_ERR_STATE;
    return t->net->send(t->net->ctx, t->sock, buf, n, timeout_ms);
}

static floe_ssize_t tcp_recv(void *ctx, void *buf, size_t n, uint32_t timeout_ms)
{
    struct floe_tcp_stream *t = (struct floe_tcp_stream *)ctx;
    if (!t->connected)
        return FLOE_ERR_STATE;
    return t->net->recv(t->net->ctx, t->sock, buf, n, timeout_ms);
}

static int tcp_close(void *ctx)
{
    struct floe_tcp_stream *t = (struct floe_tcp_stream *)ctx;
    if (!t->connected)
        return FLOE_OK;
    t->connected = 0;
    return t->net->close(t->net->ctx, t->sock);
}

static int net_ok(const struct floe_net_port *net)
{
    return net != NULL && net->connect != NULL && net->send != NULL && net->recv != NULL &&
           net->close != NULL;
}

size_t floe_tcp_stream_size(const struct floe_net_port *net)
{
    if (!net_ok(net))
        return 0;
    return FLOE_ALIGN_UP(net->sock_size ? net->sock_size : 1u, FLOE_ARENA_ALIGN);
}

int floe_tcp_stream_setup(struct floe_tcp_stream *t, const struct floe_net_port *net,
                          struct floe_arena *arena)
{
    void *sock;
    FLOE_FAIL_IF(t == NULL || arena == NULL || !net_ok(net), FLOE_ERR_INVAL);
    FLOE_TRY(floe_arena_take(arena, floe_tcp_stream_size(net), FLOE_ARENA_ALIGN, &sock));
    t->net = net;
    t->sock = sock;
    t->connected = 0;
    return FLOE_OK;
}

int floe_tcp_stream_open(struct floe_tcp_stream *t, const char *host, uint16_t port,
                         uint32_t timeout_ms, struct floe_stream *out)
{
    int err;
    FLOE_FAIL_IF(t == NULL || out == NULL || host == NULL || host[0] == '\0' || port == 0,
                 FLOE_ERR_INVAL);
    FLOE_FAIL_IF(t->net == NULL || (t->sock == NULL && t->net->sock_size > 0), FLOE_ERR_INVAL);
    (void)tcp_close(t);
    err = t->net->connect(t->net->ctx, t->sock, host, port, timeout_ms);
    if (err < 0)
        return err;
    t->connected = 1;
    out->ctx = t;
    out->send = tcp_send;
    out->recv = tcp_recv;
    out->close = tcp_close;
    out->write_unit = NULL; /* a byte stream: any piece size is as good */
    return FLOE_OK;
}
