#include "floe_fault.h"
#include "floe/error.h"
#include <string.h>

/* Counts the call and says how it should misbehave (FLOE_FAULT_NONE: not). */
static enum floe_fault_kind check(struct floe_fault *f, enum floe_fault_op op)
{
    const struct floe_fault_rule *r = &f->rule[op];
    uint32_t n = ++f->calls[op];
    if (r->kind == FLOE_FAULT_NONE || r->at == 0)
        return FLOE_FAULT_NONE;
    if (r->kind == FLOE_FAULT_SHORT_THEN_FAIL) {
        if (n < r->at || (!r->sticky && n > r->at + 1u))
            return FLOE_FAULT_NONE;
        f->injected++;
        return n == r->at ? FLOE_FAULT_SHORT : FLOE_FAULT_FAIL;
    }
    if (n == r->at || (r->sticky && n > r->at)) {
        f->injected++;
        return (enum floe_fault_kind)r->kind;
    }
    return FLOE_FAULT_NONE;
}

static size_t shorten(size_t n)
{
    return n > 1 ? n / 2 : n;
}

#define FAULT_OR(op)                                             \
    do {                                                         \
        if (check(f, op) == FLOE_FAULT_FAIL)                     \
            return f->rule[op].error;                            \
    } while (0)

static int f_open(void *ctx, void *file, const char *path, int flags)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    FAULT_OR(FLOE_FAULT_FS_OPEN);
    return f->inner_fs->open(f->inner_fs->ctx, file, path, flags);
}

/* The transfer calls share one shape: fail, zero, shorten or pass on. */
#define TRANSFER(op, call_with_n)                               \
    do {                                                        \
        switch (check(f, op)) {                                 \
        case FLOE_FAULT_FAIL:                                   \
            return f->rule[op].error;                           \
        case FLOE_FAULT_ZERO:                                   \
            return 0;                                           \
        case FLOE_FAULT_SHORT:                                  \
            n = shorten(n);                                     \
            break;                                              \
        default:                                                \
            break;                                              \
        }                                                       \
        return call_with_n;                                     \
    } while (0)

static floe_ssize_t f_read(void *ctx, void *file, uint64_t off, void *buf, size_t n)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    TRANSFER(FLOE_FAULT_FS_READ, f->inner_fs->read(f->inner_fs->ctx, file, off, buf, n));
}

static floe_ssize_t f_write(void *ctx, void *file, const void *buf, size_t n)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    TRANSFER(FLOE_FAULT_FS_WRITE, f->inner_fs->write(f->inner_fs->ctx, file, buf, n));
}

static int f_sync(void *ctx, void *file)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    FAULT_OR(FLOE_FAULT_FS_SYNC);
    return f->inner_fs->sync(f->inner_fs->ctx, file);
}

static int f_close(void *ctx, void *file)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    int r = f->inner_fs->close(f->inner_fs->ctx, file);
    /* The file is closed either way: a failing close must not leak it. */
    if (check(f, FLOE_FAULT_FS_CLOSE) == FLOE_FAULT_FAIL)
        return f->rule[FLOE_FAULT_FS_CLOSE].error;
    return r;
}

static int f_rename(void *ctx, const char *from, const char *to)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    FAULT_OR(FLOE_FAULT_FS_RENAME);
    return f->inner_fs->rename(f->inner_fs->ctx, from, to);
}

static int f_remove(void *ctx, const char *path)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    FAULT_OR(FLOE_FAULT_FS_REMOVE);
    return f->inner_fs->remove(f->inner_fs->ctx, path);
}

static int f_mkdir(void *ctx, const char *path)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    FAULT_OR(FLOE_FAULT_FS_MKDIR);
    return f->inner_fs->mkdir(f->inner_fs->ctx, path);
}

static int f_sync_dir(void *ctx, const char *path)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    FAULT_OR(FLOE_FAULT_FS_SYNC_DIR);
    return f->inner_fs->sync_dir(f->inner_fs->ctx, path);
}

static int f_list(void *ctx, const char *dir, floe_fs_list_cb cb, void *arg)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    FAULT_OR(FLOE_FAULT_FS_LIST);
    return f->inner_fs->list(f->inner_fs->ctx, dir, cb, arg);
}

static int f_stat(void *ctx, const char *path, uint64_t *size)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    FAULT_OR(FLOE_FAULT_FS_STAT);
    return f->inner_fs->stat_size(f->inner_fs->ctx, path, size);
}

static int f_free(void *ctx, const char *path, uint64_t *bytes)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    FAULT_OR(FLOE_FAULT_FS_FREE);
    return f->inner_fs->free_space(f->inner_fs->ctx, path, bytes);
}

static int f_connect(void *ctx, void *sock, const char *host, uint16_t port, uint32_t timeout_ms)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    FAULT_OR(FLOE_FAULT_NET_CONNECT);
    return f->inner_net->connect(f->inner_net->ctx, sock, host, port, timeout_ms);
}

static floe_ssize_t f_send(void *ctx, void *sock, const void *buf, size_t n, uint32_t timeout_ms)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    TRANSFER(FLOE_FAULT_NET_SEND, f->inner_net->send(f->inner_net->ctx, sock, buf, n, timeout_ms));
}

static floe_ssize_t f_recv(void *ctx, void *sock, void *buf, size_t n, uint32_t timeout_ms)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    TRANSFER(FLOE_FAULT_NET_RECV, f->inner_net->recv(f->inner_net->ctx, sock, buf, n, timeout_ms));
}

static int f_net_close(void *ctx, void *sock)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    int r = f->inner_net->close(f->inner_net->ctx, sock);
    if (check(f, FLOE_FAULT_NET_CLOSE) == FLOE_FAULT_FAIL)
        return f->rule[FLOE_FAULT_NET_CLOSE].error;
    return r;
}

static int f_entropy(void *ctx, void *buf, size_t n)
{
    struct floe_fault *f = (struct floe_fault *)ctx;
    FAULT_OR(FLOE_FAULT_ENTROPY);
    return f->inner_entropy->fill(f->inner_entropy->ctx, buf, n);
}

void floe_fault_init(struct floe_fault *f, const struct floe_fs_port *fs,
                     const struct floe_net_port *net, const struct floe_entropy_port *entropy)
{
    memset(f, 0, sizeof *f);
    f->inner_fs = fs;
    f->inner_net = net;
    f->inner_entropy = entropy;
    if (fs != NULL) {
        struct floe_fs_port p = {NULL, 0, f_open, f_read, f_write, f_sync, f_close, f_rename,
                                 f_remove, f_mkdir, f_sync_dir, f_list, f_stat, f_free};
        p.ctx = f;
        p.file_size = fs->file_size;
        f->fs = p;
    }
    if (net != NULL) {
        struct floe_net_port p = {NULL, 0, f_connect, f_send, f_recv, f_net_close};
        p.ctx = f;
        p.sock_size = net->sock_size;
        f->net = p;
    }
    if (entropy != NULL) {
        f->entropy.ctx = f;
        f->entropy.fill = f_entropy;
    }
}

void floe_fault_set(struct floe_fault *f, enum floe_fault_op op, uint32_t at,
                    enum floe_fault_kind kind, int error, int sticky)
{
    f->rule[op].at = at;
    f->rule[op].kind = (uint8_t)kind;
    f->rule[op].error = error;
    f->rule[op].sticky = (uint8_t)(sticky != 0);
}

void floe_fault_reset(struct floe_fault *f)
{
    memset(f->calls, 0, sizeof f->calls);
    memset(f->rule, 0, sizeof f->rule);
    f->injected = 0;
}

uint32_t floe_fault_total_calls(const struct floe_fault *f)
{
    uint32_t t = 0;
    int i;
    for (i = 0; i < FLOE_FAULT_OP_COUNT; i++)
        t += f->calls[i];
    return t;
}
