/* LD_PRELOAD shim for the agent tests: write() to a file whose path contains
 * $ENOSPC_MATCH fails with ENOSPC for as long as the file $ENOSPC_FLAG
 * exists (a disk that fills and is then freed). Build:
 *   cc -shared -fPIC -o enospc_while.so tests/tools/enospc_while.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*next_write)(int, const void *, size_t);
    const char *match = getenv("ENOSPC_MATCH"), *flag = getenv("ENOSPC_FLAG");
    if (next_write == NULL)
        next_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (match != NULL && flag != NULL && access(flag, F_OK) == 0) {
        char link[64], path[4096];
        ssize_t k;
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        k = readlink(link, path, sizeof path - 1);
        if (k > 0) {
            path[k] = '\0';
            if (strstr(path, match) != NULL) {
                errno = ENOSPC;
                return -1;
            }
        }
    }
    return next_write(fd, buf, n);
}
