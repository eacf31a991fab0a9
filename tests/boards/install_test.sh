#!/usr/bin/env bash
# Install test: `make install DESTDIR=$tmp PREFIX=/usr`, then a small program
# built only from what was installed, with `pkg-config --cflags --libs floe`
# (PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR pointing into DESTDIR), must
# link and run: it prints the version, floe_strerror() of an error, a UUIDv7
# and sets up TLS (so the installed mbedTLS archives are linked and used).
#
# Usage: tests/boards/install_test.sh            (host)
#        BOARD=linux-aarch64 tests/boards/install_test.sh   (cross, under qemu)
# Ends with "N passed, N failed"; exit status 1 on any failure.
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
BOARD=${BOARD:-host}
case "$BOARD" in
  host) cc=${CC:-cc}; run= ;;
  linux-aarch64) cc=aarch64-linux-gnu-gcc; run="qemu-aarch64 -L /usr/aarch64-linux-gnu" ;;
  linux-armhf) cc=arm-linux-gnueabihf-gcc; run="qemu-arm -L /usr/arm-linux-gnueabihf" ;;
  linux-s390x) cc=s390x-linux-gnu-gcc; run="qemu-s390x -L /usr/s390x-linux-gnu" ;;
  *) echo "install_test: BOARD=$BOARD is not a Linux board"; echo "0 passed, 1 failed"; exit 1 ;;
esac

# shellcheck source=tests/boards/checks.sh
. "$top/tests/boards/checks.sh"
dest=$tmp/root

if make -s -C "$top" BOARD="$BOARD" install DESTDIR="$dest" PREFIX=/usr >"$tmp/install.log" 2>&1; then
  ok "make BOARD=$BOARD install DESTDIR=... PREFIX=/usr"
else
  tail -20 "$tmp/install.log"
  bad "make install"
  finish
fi

missing=
for f in usr/lib/libfloe.a usr/lib/pkgconfig/floe.pc usr/include/floe/floe.h usr/include/floe/tls.h \
         usr/lib/libfloe_mbedtls.a usr/lib/libfloe_mbedx509.a usr/lib/libfloe_mbedcrypto.a; do
  [ -f "$dest/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then
  ok "installed libfloe.a, floe's mbedTLS archives, the headers and floe.pc"
else
  bad "missing after install:$missing"
fi
if [ "$(ls "$dest/usr/include/floe" | wc -l)" -eq "$(ls include/floe/*.h | wc -l)" ]; then
  ok "every public header installed ($(ls "$dest/usr/include/floe" | wc -l))"
else
  bad "installed headers differ from include/floe"
fi

export PKG_CONFIG_PATH=$dest/usr/lib/pkgconfig PKG_CONFIG_LIBDIR=$dest/usr/lib/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$dest
want_version=$(sed -n 's/.*FLOE_VERSION_STRING "\(.*\)"/\1/p' include/floe/version.h)
if [ "$(pkg-config --modversion floe 2>&1)" = "$want_version" ]; then
  ok "pkg-config --modversion floe: $want_version"
else
  bad "pkg-config --modversion floe: $(pkg-config --modversion floe 2>&1), want $want_version"
fi
flags=$(pkg-config --cflags --libs floe 2>&1)
case "$flags" in
  *"-I$dest/usr/include"*"-L$dest/usr/lib"*) ok "pkg-config --cflags --libs floe: $flags" ;;
  *) bad "pkg-config --cflags --libs floe does not point into DESTDIR: $flags" ;;
esac

cat >"$tmp/hello.c" <<'EOF'
/* Built only against the installed floe: headers, libfloe.a, floe.pc. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <floe/floe.h>
#include <floe/tls.h>

static int fill(void *ctx, void *buf, size_t n)
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(buf, 1, n, f) : 0;
    (void)ctx;
    if (f)
        fclose(f);
    return got == n ? FLOE_OK : FLOE_ERR_IO;
}

static uint64_t mono(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t utc(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned char arena_mem[256 * 1024];

int main(void)
{
    const struct floe_entropy_port ent = {NULL, fill};
    const struct floe_clock_port clk = {NULL, mono, utc};
    struct floe_uuid7_gen gen;
    struct floe_tls_config tcfg;
    struct floe_tls tls;
    struct floe_arena arena;
    uint8_t id[16];
    char text[37];
    int64_t now = utc(NULL);
    int err;

    printf("version %s\n", FLOE_VERSION_STRING);
    printf("strerror %s\n", floe_strerror(FLOE_ERR_NOMEM));
    floe_uuid7_init(&gen);
    if (floe_uuid7_next(&gen, now, &ent, id) != FLOE_OK)
        return 1;
    floe_uuid_format(id, text);
    printf("uuid7 %s\n", text);
    if (floe_uuid7_ms(id) != (uint64_t)now)
        return 2;

    /* TLS setup runs mbedTLS (PSA, the DRBG seeded from the entropy port). */
    memset(&tcfg, 0, sizeof tcfg);
    tcfg.flags = FLOE_TLS_NO_VERIFY;
    tcfg.clock = &clk;
    tcfg.entropy = &ent;
    floe_arena_init(&arena, arena_mem, sizeof arena_mem);
    if (floe_tls_size(&tcfg) == 0 || floe_tls_size(&tcfg) > sizeof arena_mem)
        return 3;
    err = floe_tls_setup(&tls, &tcfg, &arena);
    printf("tls_setup %s\n", floe_errname(err));
    floe_tls_free(&tls);
    return err == FLOE_OK ? 0 : 4;
}
EOF

# shellcheck disable=SC2086
if $cc -std=c99 -Wall -Wextra -Werror -o "$tmp/hello" "$tmp/hello.c" $flags >"$tmp/cc.log" 2>&1; then
  ok "compiled and linked with \$(pkg-config --cflags --libs floe) only ($cc)"
else
  cat "$tmp/cc.log"
  bad "compile/link against the installed floe"
  finish
fi
# shellcheck disable=SC2086
out=$($run "$tmp/hello" 2>&1)
rc=$?
echo "$out" | sed 's/^/      /'
if [ "$rc" -eq 0 ]; then
  ok "the program ran (exit 0)"
else
  bad "the program exited $rc"
fi
if echo "$out" | grep -qx "version $want_version" &&
   echo "$out" | grep -qE '^strerror .+' && ! echo "$out" | grep -qx 'strerror error' &&
   echo "$out" | grep -qE '^uuid7 [0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' &&
   echo "$out" | grep -qx 'tls_setup OK'; then
  ok "printed the version, an error message, a UUIDv7 and set up TLS"
else
  bad "unexpected output"
fi
finish
