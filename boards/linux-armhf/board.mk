# 32-bit ARM Linux gateways, hard-float: Cortex-A7/A9/A15 (i.MX6/i.MX6UL/i.MX7,
# Allwinner H3, STM32MP1, Raspberry Pi 2). ARMv7-A with NEON/VFPv4, Thumb-2.
BOARD_DESC := Linux armhf gateways (Cortex-A7 class), tests under qemu-arm
CROSS_COMPILE ?= arm-linux-gnueabihf-
# (64-bit time_t and file offsets: the Makefile adds them for every build.)
BOARD_CFLAGS ?= -march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard -mthumb
BOARD_SYSROOT ?= /usr/arm-linux-gnueabihf
TEST_RUNNER ?= qemu-arm -L $(BOARD_SYSROOT)
# Gateways write ZSTD Parquet pages too: zstd's compressor is in libfloe.a
# (src/parquet/zstd_enc.c); FLOE_ZSTD_COMPRESS=0 for a decoder-only build.
FLOE_ZSTD_COMPRESS ?= 1
# LIBC=musl: Debian's musl-dev:armhf wraps the cross compiler above.
MUSL_CC ?= arm-linux-musleabihf-gcc
