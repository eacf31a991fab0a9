# 64-bit ARM Linux gateways: Cortex-A53/A55/A72/A76 (Raspberry Pi 3/4/5, CM4,
# NXP i.MX8M, Rockchip RK3399/RK3568, NVIDIA Jetson). ARMv8.0-A with the CRC
# extension, which every one of those cores has (floe uses it for CRC-32C).
BOARD_DESC := Linux aarch64 gateways (Cortex-A53/A72 class), tests under qemu-aarch64
CROSS_COMPILE ?= aarch64-linux-gnu-
BOARD_CFLAGS ?= -march=armv8-a+crc -mtune=cortex-a72
BOARD_SYSROOT ?= /usr/aarch64-linux-gnu
TEST_RUNNER ?= qemu-aarch64 -L $(BOARD_SYSROOT)
# Gateways write ZSTD Parquet pages too: zstd's compressor is in libfloe.a
# (src/parquet/zstd_enc.c); FLOE_ZSTD_COMPRESS=0 for a decoder-only build.
FLOE_ZSTD_COMPRESS ?= 1
# LIBC=musl: Debian's musl-dev:arm64 wraps the cross compiler above.
MUSL_CC ?= aarch64-linux-musl-gcc
