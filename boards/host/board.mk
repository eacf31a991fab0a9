# The machine running the build (x86-64 CI hosts, developer laptops).
BOARD_DESC := host build, runs the tests natively (with ASan+UBSan under make test)
CROSS_COMPILE ?=
BOARD_CFLAGS ?=
TEST_RUNNER ?=
# Gateways write ZSTD Parquet pages too: zstd's compressor is in libfloe.a
# (src/parquet/zstd_enc.c); FLOE_ZSTD_COMPRESS=0 for a decoder-only build.
FLOE_ZSTD_COMPRESS ?= 1
# LIBC=musl: the musl-gcc wrapper of Debian's musl-dev for this machine.
MUSL_CC ?= $(shell uname -m)-linux-musl-gcc
