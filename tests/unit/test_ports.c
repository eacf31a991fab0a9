#define _DEFAULT_SOURCE
#include "test.h"
#include "floe/floe.h"
#include "floe_posix.h"
#include "floe_fault.h"
#include "core/internal.h" /* floe_fs_write_all: the writers' own short-write loop */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static char file_obj[64];

static void path_in_tmp(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", test_tmpdir(), name);
}

static int count_entries(void *arg, const char *name, int is_dir)
{
    (void)name;
    (void)is_dir;
    (*(int *)arg)++;
    return 0;
}

TEST(posix_fs_write_sync_rename_read_list_remove)
{
    const struct floe_fs_port *fs = &floe_posix_fs;
    char dir[256], a[300], b[300], buf[16];
    uint64_t size, free_bytes;
    int n = 0;
    REQUIRE(fs->file_size <= sizeof file_obj);
    path_in_tmp(dir, sizeof dir, "fs1");
    snprintf(a, sizeof a, "%s/a.tmp", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, dir), FLOE_OK);
    CHECK_EQ_INT(fs->mkdir(fs->ctx, dir), FLOE_OK); /* exists: fine */
    CHECK_EQ_INT(fs->open(fs->ctx, file_obj, a, FLOE_FS_WRITE | FLOE_FS_EXCL), FLOE_OK);
    CHECK_EQ_INT(fs->write(fs->ctx, file_obj, "hello world", 11), 11);
    CHECK_EQ_INT(fs->sync(fs->ctx, file_obj), FLOE_OK);
    CHECK_EQ_INT(fs->close(fs->ctx, file_obj), FLOE_OK);
    CHECK_EQ_INT(fs->open(fs->ctx, file_obj, a, FLOE_FS_WRITE | FLOE_FS_EXCL), FLOE_ERR_EXIST);
    CHECK_EQ_INT(fs->rename(fs->ctx, a, b), FLOE_OK);
    CHECK_EQ_INT(fs->sync_dir(fs->ctx, dir), FLOE_OK);
    CHECK_EQ_INT(fs->stat_size(fs->ctx, b, &size), FLOE_OK);
    CHECK_EQ_INT(size, 11);
    CHECK_EQ_INT(fs->open(fs->ctx, file_obj, b, FLOE_FS_READ), FLOE_OK);
    CHECK_EQ_INT(fs->read(fs->ctx, file_obj, 6, buf, sizeof buf), 5);
    CHECK(memcmp(buf, "world", 5) == 0);
    CHECK_EQ_INT(fs->read(fs->ctx, file_obj, 11, buf, sizeof buf), 0);
    CHECK_EQ_INT(fs->close(fs->ctx, file_obj), FLOE_OK);
    CHECK_EQ_INT(fs->list(fs->ctx, dir, count_entries, &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(fs->free_space(fs->ctx, dir, &free_bytes), FLOE_OK);
    CHECK(free_bytes > 0);
    CHECK_EQ_INT(fs->remove(fs->ctx, b), FLOE_OK);
    CHECK_EQ_INT(fs->remove(fs->ctx, b), FLOE_ERR_NOENT);
    CHECK_EQ_INT(fs->open(fs->ctx, file_obj, b, FLOE_FS_READ), FLOE_ERR_NOENT);
    CHECK_EQ_INT(fs->stat_size(fs->ctx, b, &size), FLOE_ERR_NOENT);
    CHECK_EQ_INT(fs->remove(fs->ctx, dir), FLOE_OK);
}

TEST(fault_port_fails_nth_call_of_each_kind)
{
    struct floe_fault f;
    char path[256];
    floe_fault_init(&f, &floe_posix_fs, NULL, NULL);
    path_in_tmp(path, sizeof path, "fault1");
    floe_fault_set(&f, FLOE_FAULT_FS_OPEN, 2, FLOE_FAULT_FAIL, FLOE_ERR_IO, 0);
    CHECK_EQ_INT(f.fs.open(f.fs.ctx, file_obj, path, FLOE_FS_WRITE), FLOE_OK);
    CHECK_EQ_INT(f.fs.close(f.fs.ctx, file_obj), FLOE_OK);
    CHECK_EQ_INT(f.fs.open(f.fs.ctx, file_obj, path, FLOE_FS_WRITE), FLOE_ERR_IO);
    CHECK_EQ_INT(f.fs.open(f.fs.ctx, file_obj, path, FLOE_FS_WRITE | FLOE_FS_TRUNC), FLOE_OK);
    CHECK_EQ_INT(f.calls[FLOE_FAULT_FS_OPEN], 3);
    CHECK_EQ_INT(f.injected, 1);

    /* A full disk on the 3rd write, and every write after it. */
    floe_fault_set(&f, FLOE_FAULT_FS_WRITE, 3, FLOE_FAULT_FAIL, FLOE_ERR_NOSPC, 1);
    CHECK_EQ_INT(f.fs.write(f.fs.ctx, file_obj, "a", 1), 1);
    CHECK_EQ_INT(f.fs.write(f.fs.ctx, file_obj, "b", 1), 1);
    CHECK_EQ_INT(f.fs.write(f.fs.ctx, file_obj, "c", 1), FLOE_ERR_NOSPC);
    CHECK_EQ_INT(f.fs.write(f.fs.ctx, file_obj, "d", 1), FLOE_ERR_NOSPC);
    floe_fault_set(&f, FLOE_FAULT_FS_SYNC, 1, FLOE_FAULT_FAIL, FLOE_ERR_IO, 0);
    CHECK_EQ_INT(f.fs.sync(f.fs.ctx, file_obj), FLOE_ERR_IO);
    floe_fault_set(&f, FLOE_FAULT_FS_CLOSE, f.calls[FLOE_FAULT_FS_CLOSE] + 1, FLOE_FAULT_FAIL, FLOE_ERR_IO, 0);
    CHECK_EQ_INT(f.fs.close(f.fs.ctx, file_obj), FLOE_ERR_IO);
    floe_fault_reset(&f);
    CHECK_EQ_INT(floe_fault_total_calls(&f), 0);
    CHECK_EQ_INT(f.fs.remove(f.fs.ctx, path), FLOE_OK);
}

TEST(fault_port_short_writes_still_land_every_byte)
{
    static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    struct floe_fault f;
    char path[256], back[64];
    uint32_t nth;
    floe_fault_init(&f, &floe_posix_fs, NULL, NULL);
    path_in_tmp(path, sizeof path, "fault2");
    /* Shorten each write call in turn: the retry loop must still deliver. */
    for (nth = 1; nth <= 6; nth++) {
        floe_fault_reset(&f);
        floe_fault_set(&f, FLOE_FAULT_FS_WRITE, nth, FLOE_FAULT_SHORT, 0, 0);
        REQUIRE(f.fs.open(f.fs.ctx, file_obj, path, FLOE_FS_WRITE | FLOE_FS_TRUNC) == FLOE_OK);
        CHECK_EQ_INT(floe_fs_write_all(&f.fs, file_obj, text, sizeof text - 1), FLOE_OK);
        f.fs.close(f.fs.ctx, file_obj);
        REQUIRE(f.fs.open(f.fs.ctx, file_obj, path, FLOE_FS_READ) == FLOE_OK);
        CHECK_EQ_INT(f.fs.read(f.fs.ctx, file_obj, 0, back, sizeof back), sizeof text - 1);
        CHECK(memcmp(back, text, sizeof text - 1) == 0);
        f.fs.close(f.fs.ctx, file_obj);
    }
    /* A zero-byte write makes the writer give up rather than spin. */
    floe_fault_reset(&f);
    floe_fault_set(&f, FLOE_FAULT_FS_WRITE, 1, FLOE_FAULT_ZERO, 0, 1);
    REQUIRE(f.fs.open(f.fs.ctx, file_obj, path, FLOE_FS_WRITE | FLOE_FS_TRUNC) == FLOE_OK);
    CHECK_EQ_INT(floe_fs_write_all(&f.fs, file_obj, text, 4), FLOE_ERR_IO);
    f.fs.close(f.fs.ctx, file_obj);
    f.fs.remove(f.fs.ctx, path);
}

static char sock_obj[64];

TEST(posix_net_loopback_send_recv_timeout_and_close)
{
    const struct floe_net_port *net = &floe_posix_net;
    struct floe_fault f;
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int lfd, cfd;
    char buf[16];
    REQUIRE(net->sock_size <= sizeof sock_obj);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(lfd >= 0);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(lfd, (struct sockaddr *)&addr, sizeof addr) == 0);
    REQUIRE(listen(lfd, 1) == 0);
    REQUIRE(getsockname(lfd, (struct sockaddr *)&addr, &len) == 0);

    floe_fault_init(&f, NULL, net, NULL);
    floe_fault_set(&f, FLOE_FAULT_NET_CONNECT, 1, FLOE_FAULT_FAIL, FLOE_ERR_NET, 0);
    CHECK_EQ_INT(f.net.connect(f.net.ctx, sock_obj, "127.0.0.1", ntohs(addr.sin_port), 1000), FLOE_ERR_NET);
    CHECK_EQ_INT(f.net.connect(f.net.ctx, sock_obj, "127.0.0.1", ntohs(addr.sin_port), 1000), FLOE_OK);
    cfd = accept(lfd, NULL, NULL);
    REQUIRE(cfd >= 0);
    CHECK_EQ_INT(f.net.send(f.net.ctx, sock_obj, "ping", 4, 1000), 4);
    CHECK_EQ_INT(read(cfd, buf, sizeof buf), 4);
    /* Nothing to read yet: 0 after the timeout, not an error. */
    CHECK_EQ_INT(f.net.recv(f.net.ctx, sock_obj, buf, sizeof buf, 20), 0);
    CHECK_EQ_INT(write(cfd, "pong", 4), 4);
    floe_fault_set(&f, FLOE_FAULT_NET_RECV, 2, FLOE_FAULT_SHORT, 0, 0);
    CHECK_EQ_INT(f.net.recv(f.net.ctx, sock_obj, buf, 4, 1000), 2);
    CHECK_EQ_INT(f.net.recv(f.net.ctx, sock_obj, buf, 4, 1000), 2);
    close(cfd);
    /* Peer closed: an error, so callers never spin on a dead connection. */
    CHECK_EQ_INT(f.net.recv(f.net.ctx, sock_obj, buf, 4, 1000), FLOE_ERR_NET);
    CHECK_EQ_INT(f.net.close(f.net.ctx, sock_obj), FLOE_OK);
    close(lfd);
    /* Nobody listening on a just-closed port: refused. */
    CHECK(net->connect(net->ctx, sock_obj, "127.0.0.1", ntohs(addr.sin_port), 1000) < 0);
}

TEST(posix_clock_and_entropy)
{
    uint8_t a[32], b[32];
    uint64_t t0 = floe_posix_clock.monotonic_ms(NULL);
    CHECK(floe_posix_clock.utc_ms(NULL) > 1735689600000LL); /* after 2025-01-01 */
    CHECK(floe_posix_clock.monotonic_ms(NULL) >= t0);
    CHECK_EQ_INT(floe_posix_entropy.fill(NULL, a, sizeof a), FLOE_OK);
    CHECK_EQ_INT(floe_posix_entropy.fill(NULL, b, sizeof b), FLOE_OK);
    CHECK(memcmp(a, b, sizeof a) != 0);
}
