/* LD_PRELOAD shim for the agent tests: the first read() of a file whose path
 * contains $EIO_MATCH, at or past byte $EIO_AT, fails with EIO (a bad
 * sector that a second read gets past). Build:
 *   cc -shared -fPIC -o eio_once.so tests/tools/eio_once.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failed_once;

ssize_t read(int fd, void *buf, size_t n)
{
    static ssize_t (*next_read)(int, void *, size_t);
    const char *match = getenv("EIO_MATCH"), *at = getenv("EIO_AT");
    if (next_read == NULL)
        next_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    if (!failed_once && match != NULL && at != NULL) {
        char link[64], path[4096];
        ssize_t k;
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        k = readlink(link, path, sizeof path - 1);
        if (k > 0) {
            path[k] = '\0';
            if (strstr(path, match) != NULL && lseek(fd, 0, SEEK_CUR) >= atoll(at)) {
                failed_once = 1;
                errno = EIO;
                return -1;
            }
        }
    }
    return next_read(fd, buf, n);
}
