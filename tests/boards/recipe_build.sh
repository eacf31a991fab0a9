#!/usr/bin/env bash
# What the Buildroot and Yocto recipes (tools/recipes) do, without Buildroot
# or bitbake: a copy of the tree with no build/ folder, the three pinned
# tarballs unpacked beside it (stripped of their top folder, as the recipes'
# extract step does), then the recipes' make invocation for a cross compiler
# (BOARD=host, CROSS_COMPILE/CC/AR/NM, ZSTD_SRC/JSMN_SRC/MBEDTLS_SRC) and
# `make install` into a staging DESTDIR. Nothing may be downloaded by floe's
# build (no build/deps appears in the copy).
#
# Usage: tests/boards/recipe_build.sh     (CROSS=aarch64-linux-gnu- by default)
# Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
CROSS=${CROSS:-aarch64-linux-gnu-}
# shellcheck source=tests/boards/checks.sh
. "$top/tests/boards/checks.sh"

# The tarballs: fetched (and checked) by floe's own script, as a download
# step would.
tools/fetch-deps.sh "$top/build/deps" >/dev/null || { bad "tools/fetch-deps.sh"; finish; }
dl=$top/build/deps/dl
mkdir -p "$tmp/src" "$tmp/deps/mbedtls" "$tmp/deps/zstd" "$tmp/deps/jsmn"
tar cf - --exclude=./build --exclude=./.git . | tar xf - -C "$tmp/src"
bzcat "$dl/mbedtls_3.6.6.orig.tar.bz2" | tar xf - --strip-components=1 -C "$tmp/deps/mbedtls" &&
  xzcat "$dl/libzstd_1.5.7+dfsg.orig.tar.xz" | tar xf - --strip-components=1 -C "$tmp/deps/zstd" &&
  zcat "$dl/jsmn_1.1.0.orig.tar.gz" | tar xf - --strip-components=1 -C "$tmp/deps/jsmn" &&
  ok "unpacked the pinned mbedTLS, zstd and jsmn tarballs beside a copy of the tree" ||
  { bad "unpack"; finish; }

opts=(BOARD=host "CROSS_COMPILE=$CROSS" "CC=${CROSS}gcc" "AR=${CROSS}ar" "NM=${CROSS}nm" "CFLAGS=-O2"
      "BUILDDIR=$tmp/src/build/recipe" "ZSTD_SRC=$tmp/deps/zstd" "JSMN_SRC=$tmp/deps/jsmn"
      "MBEDTLS_SRC=$tmp/deps/mbedtls" PREFIX=/usr)
if make -j2 -C "$tmp/src" "${opts[@]}" lib cli nm-check >"$tmp/build.log" 2>&1; then
  ok "make lib cli nm-check with the recipes' variables (${CROSS}gcc)"
else
  tail -20 "$tmp/build.log"
  bad "build"
  finish
fi
if [ -e "$tmp/src/build/deps" ]; then
  bad "floe's build fetched its own dependencies although *_SRC were given"
else
  ok "nothing fetched by floe's build (zstddeclib.c generated from ZSTD_SRC)"
fi
if make -s -C "$tmp/src" "${opts[@]}" DESTDIR="$tmp/staging" install >"$tmp/install.log" 2>&1 &&
   [ -f "$tmp/staging/usr/lib/libfloe.a" ] && [ -f "$tmp/staging/usr/lib/libfloe_mbedcrypto.a" ] &&
   [ -f "$tmp/staging/usr/lib/pkgconfig/floe.pc" ] && [ -f "$tmp/staging/usr/include/floe/floe.h" ]; then
  ok "make install DESTDIR=staging PREFIX=/usr"
else
  cat "$tmp/install.log"
  bad "install"
fi
if [ "$(od -An -tu1 -j18 -N1 "$tmp/src/build/recipe/floe" | tr -d ' ')" != 62 ] ||
   [ "$CROSS" != aarch64-linux-gnu- ]; then
  # e_machine 62 is x86-64: the tool must be for the cross target.
  ok "the floe tool is built for the target, not the build machine"
else
  bad "the floe tool is an x86-64 binary"
fi
# A 32-bit target (CROSS=arm-linux-gnueabihf-) gets 64-bit time and file
# offsets from floe's Makefile, not from the board: no libc call of the
# 32-bit time_t or off_t kind (the recipes build with BOARD=host). On a
# 64-bit target those calls keep their names, and are 64-bit already.
old=""
if [ "$(od -An -tu1 -j4 -N1 "$tmp/src/build/recipe/floe" | tr -d ' ')" = 1 ]; then # ELFCLASS32
  old=$("${CROSS}nm" -D --undefined-only "$tmp/src/build/recipe/floe" 2>/dev/null |
        grep -oE ' (clock_gettime|time|gmtime_r|stat|fstat|fstatat|readdir|lseek|pread|open)@' | tr -d ' @' | tr '\n' ' ')
fi
if [ -z "$old" ]; then
  ok "no 32-bit time_t or off_t libc calls in the tool"
else
  bad "the tool calls the 32-bit time_t/off_t forms: $old"
fi
finish
