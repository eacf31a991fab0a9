/* 64-bit file offsets and inode numbers on 32-bit gateways (armhf): without
 * it readdir() fails with EOVERFLOW on large file systems. A 64-bit time_t
 * too (glibc 2.34+): the Makefile adds both, but a build that vendors the
 * sources through floe.mk may not. */
#define _FILE_OFFSET_BITS 64
#define _TIME_BITS 64
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <syslog.h>
#include "floe_posix.h"
#include "floe/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/* Offsets past 2 GiB: a spool file or source of that size must not fail. */
typedef char floe_posix_off_t_is_64_bits[sizeof(off_t) == 8 ? 1 : -1];
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

static int map_errno(int e, int fallback)
{
    switch (e) {
    case ENOSPC:
    case EDQUOT:
        return FLOE_ERR_NOSPC;
    case ENOENT:
    case ENOTDIR:
        return FLOE_ERR_NOENT;
    case EEXIST:
        return FLOE_ERR_EXIST;
    case EAGAIN:
        return FLOE_ERR_AGAIN;
    case ETIMEDOUT:
        return FLOE_ERR_TIMEOUT;
    case EINVAL:
    case ENAMETOOLONG:
        return FLOE_ERR_INVAL;
    default:
        return fallback;
    }
}

/* ---- file system ------------------------------------------------------- */

struct posix_file {
    int fd;
};

static int fs_open(void *ctx, void *file, const char *path, int flags)
{
    struct posix_file *f = (struct posix_file *)file;
    int oflags = O_CLOEXEC;
    (void)ctx;
    if (flags & FLOE_FS_WRITE) {
        oflags |= O_WRONLY | O_CREAT;
        if (flags & FLOE_FS_TRUNC)
            oflags |= O_TRUNC;
        if (flags & FLOE_FS_APPEND)
            oflags |= O_APPEND;
        if (flags & FLOE_FS_EXCL)
            oflags |= O_EXCL;
    } else {
        oflags |= O_RDONLY;
    }
    do
        f->fd = open(path, oflags, 0640);
    while (f->fd < 0 && errno == EINTR);
    return f->fd < 0 ? map_errno(errno, FLOE_ERR_IO) : FLOE_OK;
}

static floe_ssize_t fs_read(void *ctx, void *file, uint64_t offset, void *buf, size_t n)
{
    struct posix_file *f = (struct posix_file *)file;
    ssize_t r;
    (void)ctx;
    do
        r = pread(f->fd, buf, n, (off_t)offset);
    while (r < 0 && errno == EINTR);
    return r < 0 ? map_errno(errno, FLOE_ERR_IO) : (floe_ssize_t)r;
}

static floe_ssize_t fs_write(void *ctx, void *file, const void *buf, size_t n)
{
    struct posix_file *f = (struct posix_file *)file;
    ssize_t r;
    (void)ctx;
    do
        r = write(f->fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r < 0 ? map_errno(errno, FLOE_ERR_IO) : (floe_ssize_t)r;
}

static int fs_sync(void *ctx, void *file)
{
    struct posix_file *f = (struct posix_file *)file;
    (void)ctx;
    return fsync(f->fd) != 0 ? map_errno(errno, FLOE_ERR_IO) : FLOE_OK;
}

static int fs_close(void *ctx, void *file)
{
    struct posix_file *f = (struct posix_file *)file;
    int r;
    (void)ctx;
    r = close(f->fd);
    f->fd = -1;
    /* close() may report a delayed write error (NFS, full disk). */
    return r != 0 && errno != EINTR ? map_errno(errno, FLOE_ERR_IO) : FLOE_OK;
}

static int fs_rename(void *ctx, const char *from, const char *to)
{
    (void)ctx;
    return rename(from, to) != 0 ? map_errno(errno, FLOE_ERR_IO) : FLOE_OK;
}

static int fs_remove(void *ctx, const char *path)
{
    (void)ctx;
    if (unlink(path) == 0)
        return FLOE_OK;
    if (errno == EISDIR || errno == EPERM)
        return rmdir(path) == 0 ? FLOE_OK : map_errno(errno, FLOE_ERR_IO);
    return map_errno(errno, FLOE_ERR_IO);
}

static int fs_mkdir(void *ctx, const char *path)
{
    struct stat st;
    (void)ctx;
    if (mkdir(path, 0750) == 0)
        return FLOE_OK;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return FLOE_OK;
    return map_errno(errno, FLOE_ERR_IO);
}

static int fs_sync_dir(void *ctx, const char *path)
{
    int fd, r;
    (void)ctx;
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return map_errno(errno, FLOE_ERR_IO);
    r = fsync(fd);
    close(fd);
    return r != 0 ? map_errno(errno, FLOE_ERR_IO) : FLOE_OK;
}

static int fs_list(void *ctx, const char *dir, floe_fs_list_cb cb, void *arg)
{
    DIR *d;
    struct dirent *e;
    int r = FLOE_OK;
    (void)ctx;
    d = opendir(dir);
    if (d == NULL)
        return map_errno(errno, FLOE_ERR_IO);
    for (;;) {
        errno = 0;
        e = readdir(d);
        if (e == NULL) {
            if (errno != 0)
                r = map_errno(errno, FLOE_ERR_IO);
            break;
        }
        int is_dir;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
#ifdef DT_DIR
        if (e->d_type != DT_UNKNOWN) {
            is_dir = e->d_type == DT_DIR;
        } else
#endif
        {
            struct stat st;
            is_dir = fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
        }
        r = cb(arg, e->d_name, is_dir);
        if (r != 0)
            break;
    }
    closedir(d);
    return r;
}

static int fs_stat_size(void *ctx, const char *path, uint64_t *size)
{
    struct stat st;
    (void)ctx;
    if (stat(path, &st) != 0)
        return map_errno(errno, FLOE_ERR_IO);
    *size = (uint64_t)st.st_size;
    return FLOE_OK;
}

static int fs_free_space(void *ctx, const char *path, uint64_t *bytes)
{
    struct statvfs sv;
    (void)ctx;
    if (statvfs(path, &sv) != 0)
        return map_errno(errno, FLOE_ERR_IO);
    *bytes = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
    return FLOE_OK;
}

const struct floe_fs_port floe_posix_fs = {
    NULL, sizeof(struct posix_file), fs_open, fs_read, fs_write, fs_sync, fs_close,
    fs_rename, fs_remove, fs_mkdir, fs_sync_dir, fs_list, fs_stat_size, fs_free_space,
};

/* ---- network ----------------------------------------------------------- */

struct posix_sock {
    int fd;
};

static uint64_t now_ms(void)
{
    struct timespec ts = {0, 0};
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits for events on fd; 1 ready, 0 timed out, negative error. */
static int wait_fd(int fd, short events, uint32_t timeout_ms)
{
    struct pollfd p;
    int r;
    p.fd = fd;
    p.events = events;
    p.revents = 0;
    do
        r = poll(&p, 1, (int)timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return FLOE_ERR_NET;
    return r;
}

static int net_connect(void *ctx, void *sock, const char *host, uint16_t port, uint32_t timeout_ms)
{
    struct posix_sock *s = (struct posix_sock *)sock;
    struct addrinfo hints, *res = NULL, *ai;
    char port_text[8];
    uint64_t deadline = now_ms() + timeout_ms;
    int err = FLOE_ERR_NET;
    (void)ctx;
    s->fd = -1;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port_text, sizeof port_text, "%u", (unsigned)port);
    if (getaddrinfo(host, port_text, &hints, &res) != 0)
        return FLOE_ERR_NET;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        int one = 1, so_err = 0;
        socklen_t len = sizeof so_err;
        uint64_t now;
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            close(fd);
            continue;
        }
        now = now_ms();
        if (now >= deadline || wait_fd(fd, POLLOUT, (uint32_t)(deadline - now)) <= 0) {
            close(fd);
            err = FLOE_ERR_TIMEOUT;
            break;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len) != 0 || so_err != 0) {
            close(fd);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        s->fd = fd;
        err = FLOE_OK;
        break;
    }
    freeaddrinfo(res);
    return err;
}

static floe_ssize_t net_send(void *ctx, void *sock, const void *buf, size_t n, uint32_t timeout_ms)
{
    struct posix_sock *s = (struct posix_sock *)sock;
    ssize_t r;
    int w;
    (void)ctx;
    /* The socket is non-blocking: try first, wait only when it is full
     * (one system call per piece instead of two on a flowing link). */
    for (w = 0;; w = 1) {
        do
            r = send(s->fd, buf, n, MSG_NOSIGNAL);
        while (r < 0 && errno == EINTR);
        if (r >= 0)
            return (floe_ssize_t)r;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return FLOE_ERR_NET;
        if (w)
            return 0;
        if ((r = wait_fd(s->fd, POLLOUT, timeout_ms)) <= 0)
            return (floe_ssize_t)r;
    }
}

static floe_ssize_t net_recv(void *ctx, void *sock, void *buf, size_t n, uint32_t timeout_ms)
{
    struct posix_sock *s = (struct posix_sock *)sock;
    ssize_t r;
    int w;
    (void)ctx;
    for (w = 0;; w = 1) {
        do
            r = recv(s->fd, buf, n, 0);
        while (r < 0 && errno == EINTR);
        if (r >= 0)
            break;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return FLOE_ERR_NET;
        if (w)
            return 0;
        if ((r = wait_fd(s->fd, POLLIN, timeout_ms)) <= 0)
            return (floe_ssize_t)r;
    }
    if (r == 0)
        return FLOE_ERR_NET; /* orderly close by the peer */
    return (floe_ssize_t)r;
}

static int net_close(void *ctx, void *sock)
{
    struct posix_sock *s = (struct posix_sock *)sock;
    (void)ctx;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    return FLOE_OK;
}

const struct floe_net_port floe_posix_net = {
    NULL, sizeof(struct posix_sock), net_connect, net_send, net_recv, net_close,
};

/* ---- clock, entropy, log ----------------------------------------------- */

static uint64_t clock_monotonic_ms(void *ctx)
{
    (void)ctx;
    return now_ms();
}

static int64_t clock_utc_ms(void *ctx)
{
    struct timespec ts = {0, 0};
    (void)ctx;
    /* EOVERFLOW past 2038 with a 32-bit time_t (a build without the
     * Makefile's -D_TIME_BITS=64): the epoch, not stack garbage. */
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct floe_clock_port floe_posix_clock = {NULL, clock_monotonic_ms, clock_utc_ms};

static int entropy_fill(void *ctx, void *buf, size_t n)
{
    uint8_t *p = (uint8_t *)buf;
    (void)ctx;
    while (n > 0) {
#if defined(__linux__)
        ssize_t r = getrandom(p, n, 0);
#else
        ssize_t r = -1;
        errno = ENOSYS;
#endif
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return FLOE_ERR_IO;
        }
        p += r;
        n -= (size_t)r;
    }
    return FLOE_OK;
}

const struct floe_entropy_port floe_posix_entropy = {NULL, entropy_fill};

static void log_stderr(void *ctx, int level, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s floe: %s\n", floe_log_level_name(level), line);
}

static void log_syslog(void *ctx, int level, const char *line)
{
    static const int prio[] = {LOG_ERR, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    (void)ctx;
    syslog(prio[level >= 0 && level <= FLOE_LOG_DEBUG ? level : FLOE_LOG_ERROR], "%s", line);
}

struct floe_log_port floe_posix_syslog(int level, const char *ident)
{
    struct floe_log_port p;
    openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    p.ctx = NULL;
    p.write = log_syslog;
    p.level = level;
    return p;
}

struct floe_log_port floe_posix_log(int level)
{
    struct floe_log_port p;
    p.ctx = NULL;
    p.write = log_stderr;
    p.level = level;
    return p;
}

struct floe_ports floe_posix_ports(const struct floe_log_port *log)
{
    struct floe_ports p;
    p.fs = &floe_posix_fs;
    p.net = &floe_posix_net;
    p.clock = &floe_posix_clock;
    p.entropy = &floe_posix_entropy;
    p.log = log;
    return p;
}
