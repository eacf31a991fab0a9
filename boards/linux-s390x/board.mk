# Big-endian 64-bit Linux (IBM Z, s390x): not a gateway, but the big-endian
# board of the CI matrix. floe's on-disk formats (Parquet, spool, zstd) are
# little-endian; this board proves the library writes them byte-exact on a
# big-endian host. Tests under qemu-s390x.
BOARD_DESC := Linux s390x (big-endian), tests under qemu-s390x
CROSS_COMPILE ?= s390x-linux-gnu-
BOARD_CFLAGS ?=
BOARD_SYSROOT ?= /usr/s390x-linux-gnu
TEST_RUNNER ?= qemu-s390x -L $(BOARD_SYSROOT)
# Gateways write ZSTD Parquet pages too: zstd's compressor is in libfloe.a
# (src/parquet/zstd_enc.c); FLOE_ZSTD_COMPRESS=0 for a decoder-only build.
FLOE_ZSTD_COMPRESS ?= 1
