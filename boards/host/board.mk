# The machine running the build (x86-64 CI hosts, developer laptops).
BOARD_DESC := host build, runs the tests natively (with ASan+UBSan under make test)
CROSS_COMPILE ?=
BOARD_CFLAGS ?=
TEST_RUNNER ?=
# Gateways write ZSTD Parquet pages too: zstd's compressor is in libfloe.a
# (src/parquet/zstd_enc.c); FLOE_ZSTD_COMPRESS=0 for a decoder-only build.
FLOE_ZSTD_COMPRESS ?= 1
# LIBC=musl: the wrapper of Debian's musl-dev for this machine's triplet
# (x86_64-linux-gnu: x86_64-linux-musl-gcc; arm-linux-gnueabihf:
# arm-linux-musleabihf-gcc).
MUSL_CC ?= $(subst -gnu,-musl,$(shell gcc -dumpmachine))-gcc
