/* LD_PRELOAD shim for the agent tests: disk faults on chosen files.
 *   EIO_MATCH, EIO_AT        the first read() of a file whose path contains
 *                            EIO_MATCH, at or past byte EIO_AT, fails with EIO
 *                            (a bad sector that a second read gets past)
 *   ENOSPC_MATCH, ENOSPC_FLAG  write() to a file whose path contains
 *                            ENOSPC_MATCH fails with ENOSPC while the file
 *                            ENOSPC_FLAG exists (a disk that fills, then frees)
 *   UNLINK_MATCH, UNLINK_FLAG  (below)
 *   OPEN_MATCH, OPEN_FLAG    (below)
 * Build: cc -shared -fPIC -o io_faults.so tests/tools/io_faults.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether fd's file has @p match in its path. */
static int fd_path_has(int fd, const char *match)
{
    char link[64], path[4096];
    ssize_t k;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    k = readlink(link, path, sizeof path - 1);
    if (k <= 0)
        return 0;
    path[k] = '\0';
    return strstr(path, match) != NULL;
}

ssize_t read(int fd, void *buf, size_t n)
{
    static ssize_t (*next_read)(int, void *, size_t);
    static int failed_once;
    const char *match = getenv("EIO_MATCH"), *at = getenv("EIO_AT");
    if (next_read == NULL)
        next_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    if (!failed_once && match != NULL && at != NULL && fd_path_has(fd, match) &&
        lseek(fd, 0, SEEK_CUR) >= atoll(at)) {
        failed_once = 1;
        errno = EIO;
        return -1;
    }
    return next_read(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*next_write)(int, const void *, size_t);
    const char *match = getenv("ENOSPC_MATCH"), *flag = getenv("ENOSPC_FLAG");
    if (next_write == NULL)
        next_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (match != NULL && flag != NULL && access(flag, F_OK) == 0 && fd_path_has(fd, match)) {
        errno = ENOSPC;
        return -1;
    }
    return next_write(fd, buf, n);
}

/*   UNLINK_MATCH, UNLINK_FLAG  unlink() of a path containing UNLINK_MATCH
 *                            fails with EACCES while the file UNLINK_FLAG
 *                            exists (a source the agent may not delete) */
int unlink(const char *path)
{
    static int (*next_unlink)(const char *);
    const char *match = getenv("UNLINK_MATCH"), *flag = getenv("UNLINK_FLAG");
    if (next_unlink == NULL)
        next_unlink = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
    if (match != NULL && flag != NULL && access(flag, F_OK) == 0 && strstr(path, match) != NULL) {
        errno = EACCES;
        return -1;
    }
    return next_unlink(path);
}

/*   OPEN_MATCH, OPEN_FLAG    open() of a path containing OPEN_MATCH fails with
 *                            EACCES while the file OPEN_FLAG exists (a source
 *                            the agent may not read; tests run as root, whom
 *                            file modes do not stop) */
static int open_refused(const char *path)
{
    const char *match = getenv("OPEN_MATCH"), *flag = getenv("OPEN_FLAG");
    return match != NULL && flag != NULL && access(flag, F_OK) == 0 && strstr(path, match) != NULL;
}

int open(const char *path, int flags, ...)
{
    static int (*next_open)(const char *, int, ...);
    va_list ap;
    mode_t mode;
    va_start(ap, flags);
    mode = (flags & O_CREAT) ? (mode_t)va_arg(ap, int) : 0;
    va_end(ap);
    if (next_open == NULL)
        next_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    if (open_refused(path)) {
        errno = EACCES;
        return -1;
    }
    return next_open(path, flags, mode);
}

/* Built with 64-bit offsets (as floe is, by the Makefile), glibc's open is
 * open64; on a 64-bit host the two are one function. */
int open64(const char *path, int flags, ...) __attribute__((alias("open")));
