# Bare-metal Cortex-M7 with the double-precision FPU (STM32F7/H7, i.MX RT1050/
# 1060, SAM E70/V71): no OS, no heap, newlib only for memcpy & co. The library
# is the core, the NDJSON decoder (with zstd), the Parquet writer, the HTTP
# client over a net port and the SigV4 signer: no POSIX port, no TLS (tls.c is
# left out of the archive; see README.md), no spool, no agent.
BOARD_DESC := bare-metal Cortex-M7 (arm-none-eabi, newlib), library and a firmware example that links
CROSS_COMPILE ?= arm-none-eabi-
# No sort window (convert --sort-by's rows held in memory): a firmware image
# keeps its few KB of code.
BOARD_CFLAGS ?= -mthumb -mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard -DFLOE_NO_SORT_WINDOW
# Size first, on floe and on the third-party code (DEPS_EXTRA_CFLAGS comes last
# on zstd's and mbedTLS's command lines, so its -Os wins over their -O2).
CFLAGS ?= -Os -g
DEPS_EXTRA_CFLAGS ?= -Os
# Recursive (=): the FLOE_*_SRCS lists come from floe.mk, included later.
BOARD_LIB_SRCS = $(FLOE_CORE_SRCS) $(FLOE_NDJSON_SRCS) $(FLOE_PARQUET_SRCS) \
  $(FLOE_HTTP_SRCS) $(FLOE_SIGV4_SRCS)
# What `make BOARD=cortex-m7` builds: no CLI and no unit tests here (they need
# the POSIX port); the firmware example instead.
BOARD_GOALS := lib firmware
BOARD_NO_UNIT_TESTS := 1
BOARD_FIRMWARE_SRCS = $(TOP)/boards/cortex-m7/example/main.c
# newlib-nano with the nosys stubs: the example links but is not a real image
# (no vector table or linker script of a real part).
BOARD_LDFLAGS ?= --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections
TEST_RUNNER ?=
# Decoder-only zstd (small firmware); FLOE_ZSTD_COMPRESS=1 adds the compressor
# for ZSTD Parquet pages (about 120 KB of code at -Os, plus its context in the arena).
FLOE_ZSTD_COMPRESS ?= 0
