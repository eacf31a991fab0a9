# floe: one GNU Makefile for the library, the CLI, the tests and the boards.
#
#   make                      libfloe.a (and the floe CLI) for BOARD (default host)
#   make test                 everything a change must pass: host (ASan+UBSan),
#                             clang, linux-aarch64 and linux-armhf under qemu-user
#   make check                build and run the unit tests for BOARD only
#   make size                 text/data/bss of libfloe.a for every board
#   make install              PREFIX=/usr/local DESTDIR= (lib, headers, floe.pc)
#   make clean
#
# Honoured: BOARD=host|linux-aarch64|linux-armhf, CROSS_COMPILE=, CC=, AR=,
# CFLAGS=, LDFLAGS=, BUILDDIR=, SANITIZE=1, ZSTD_SRC=, JSMN_SRC=, MBEDTLS_SRC=.

TOP := $(patsubst %/,%,$(abspath $(dir $(lastword $(MAKEFILE_LIST)))))
BOARD ?= host
BOARDS := host linux-aarch64 linux-armhf linux-s390x cortex-m7
ifeq ($(wildcard $(TOP)/boards/$(BOARD)/board.mk),)
$(error unknown BOARD '$(BOARD)': one of $(BOARDS))
endif
include $(TOP)/boards/$(BOARD)/board.mk

ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
ifeq ($(origin AR),default)
AR := $(CROSS_COMPILE)ar
endif
NM ?= $(CROSS_COMPILE)nm
SIZE ?= $(CROSS_COMPILE)size

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
BUILDDIR ?= $(TOP)/build/$(BOARD)-san
else ifeq ($(SANITIZE),fuzz)
# libFuzzer builds (clang): every object instrumented for coverage and ASan+UBSan.
SAN_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
BUILDDIR ?= $(TOP)/build/fuzz
else
SAN_FLAGS :=
BUILDDIR ?= $(TOP)/build/$(BOARD)
endif

CFLAGS ?= -O2 -g
# V=1 shows full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif
# Strict flags for floe's own library sources only.
WARN := -std=c99 -Wall -Wextra -Werror -pedantic -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wvla -Wpointer-arith -Wundef
LIB_CPPFLAGS = -I$(TOP)/include -I$(TOP)/src $(DEPS_CPPFLAGS)
ALL_CFLAGS = $(BOARD_CFLAGS) $(CFLAGS) $(SAN_FLAGS) -ffunction-sections -fdata-sections
LDFLAGS ?=
# Shared test data (JSONTestSuite) lives beside the repository in CI.
TESTDATA ?= $(abspath $(TOP)/../shared/testdata)

include $(TOP)/floe.mk
ifneq ($(wildcard $(TOP)/mk/deps.mk),)
include $(TOP)/mk/deps.mk
else
deps: ;
endif

LIB := $(BUILDDIR)/libfloe.a
# A board may build part of the library (BOARD_LIB_SRCS, from floe.mk's lists).
LIB_SRCS := $(if $(strip $(BOARD_LIB_SRCS)),$(BOARD_LIB_SRCS),$(FLOE_SRCS))
LIB_OBJS := $(patsubst $(TOP)/%.c,$(BUILDDIR)/obj/%.o,$(LIB_SRCS))
PORT_OBJS := $(patsubst $(TOP)/%.c,$(BUILDDIR)/obj/%.o,$(FLOE_POSIX_PORT_SRCS) $(FLOE_TEST_PORT_SRCS))
UNIT_SRCS := $(sort $(wildcard $(TOP)/tests/unit/*.c))
UNIT_OBJS := $(patsubst $(TOP)/%.c,$(BUILDDIR)/obj/%.o,$(UNIT_SRCS))
UNIT := $(BUILDDIR)/unit
CLI_SRCS := $(sort $(wildcard $(TOP)/tools/floe/*.c))
CLI_OBJS := $(patsubst $(TOP)/%.c,$(BUILDDIR)/obj/%.o,$(CLI_SRCS))
CLI := $(BUILDDIR)/floe
HEAP_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free

.PHONY: all lib cli firmware-none check test test-host test-clang test-arm nm-check size install clean deps bootstrap
.DEFAULT_GOAL := all

# A board may say what its default build is (BOARD_GOALS, e.g. lib firmware).
all: $(if $(BOARD_GOALS),$(BOARD_GOALS),lib cli)

cli: $(CLI)

POSIX_PORT_OBJS := $(patsubst $(TOP)/%.c,$(BUILDDIR)/obj/%.o,$(wildcard $(TOP)/port/posix/*.c))

# The port objects come before the archives: they define symbols mbedTLS needs.
$(CLI): $(CLI_OBJS) $(POSIX_PORT_OBJS) $(LIB) $(MBEDTLS_LIBS)
	@echo "  LD      $(patsubst $(TOP)/%,%,$@)"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(POSIX_PORT_OBJS) $(LIB) $(MBEDTLS_LIBS) -lm -pthread

$(BUILDDIR)/obj/tools/%.o: $(TOP)/tools/%.c | deps
	@echo "  CC      $(BOARD) $(patsubst $(TOP)/%,%,$<)"
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu99 -Wall -Wextra -Werror $(ALL_CFLAGS) $(LIB_CPPFLAGS) -I$(TOP)/port/posix -MMD -MP -c $< -o $@

lib: $(LIB)

# Objects see mbedTLS's config through -isystem headers, which -MMD skips.
$(LIB_OBJS): $(DEPS_PREREQS)

$(LIB): $(LIB_OBJS) $(ZSTD_DEC_OBJ)
	@mkdir -p $(dir $@)
	@echo "  AR      $(patsubst $(TOP)/%,%,$@)"
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILDDIR)/obj/src/%.o: $(TOP)/src/%.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $(BOARD) $(patsubst $(TOP)/%,%,$<)"
	$(Q)$(CC) $(WARN) $(ALL_CFLAGS) $(LIB_CPPFLAGS) -MMD -MP -c $< -o $@

# Ports and tests: strict warnings too, but POSIX and GNU extensions allowed.
$(BUILDDIR)/obj/port/%.o: $(TOP)/port/%.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $(BOARD) $(patsubst $(TOP)/%,%,$<)"
	$(Q)$(CC) -std=gnu99 -Wall -Wextra -Werror $(ALL_CFLAGS) $(LIB_CPPFLAGS) -MMD -MP -c $< -o $@

$(BUILDDIR)/obj/tests/%.o: $(TOP)/tests/%.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $(BOARD) $(patsubst $(TOP)/%,%,$<)"
	$(Q)$(CC) -std=gnu99 -Wall -Wextra -Werror $(ALL_CFLAGS) $(LIB_CPPFLAGS) -I$(TOP)/port/posix \
	  -I$(TOP)/port/test -I$(TOP)/tests/unit -I$(TOP)/tools/floe -MMD -MP -c $< -o $@

$(UNIT): $(UNIT_OBJS) $(PORT_OBJS) $(LIB) $(MBEDTLS_LIBS)
	@echo "  LD      $(patsubst $(TOP)/%,%,$@)"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(HEAP_WRAP) -o $@ $(UNIT_OBJS) $(PORT_OBJS) $(LIB) $(MBEDTLS_LIBS) -lm

# ---- firmware example (bare-metal boards list it in BOARD_FIRMWARE_SRCS) ----
FIRMWARE_OBJS := $(patsubst $(TOP)/%.c,$(BUILDDIR)/obj/%.o,$(BOARD_FIRMWARE_SRCS))
FIRMWARE := $(BUILDDIR)/firmware.elf
.PHONY: firmware
firmware: $(if $(FIRMWARE_OBJS),$(FIRMWARE),firmware-none)
firmware-none:
	@echo "firmware: BOARD=$(BOARD) has no firmware example (boards/cortex-m7 has one)"; exit 1

$(FIRMWARE): $(FIRMWARE_OBJS) $(LIB)
	@echo "  LD      $(patsubst $(TOP)/%,%,$@)"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(BOARD_LDFLAGS) -Wl,-Map=$(BUILDDIR)/firmware.map \
	  -o $@ $(FIRMWARE_OBJS) $(LIB)

# Board examples are held to the library's strict flags.
$(BUILDDIR)/obj/boards/%.o: $(TOP)/boards/%.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $(BOARD) $(patsubst $(TOP)/%,%,$<)"
	$(Q)$(CC) $(WARN) $(ALL_CFLAGS) $(LIB_CPPFLAGS) -MMD -MP -c $< -o $@

# ---- fuzzing: one libFuzzer binary per tests/fuzz/fuzz_*.c -----------------
FUZZ_SRCS := $(sort $(wildcard $(TOP)/tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst $(TOP)/tests/fuzz/%.c,$(BUILDDIR)/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 10
FUZZ_TOOL_OBJS := $(patsubst $(TOP)/%.c,$(BUILDDIR)/obj/%.o,$(wildcard $(TOP)/tools/floe/pqread.c))

$(BUILDDIR)/fuzz_%: $(BUILDDIR)/obj/tests/fuzz/fuzz_%.o $(LIB) $(FUZZ_TOOL_OBJS)
	@echo "  LD      $(patsubst $(TOP)/%,%,$@)"
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_TOOL_OBJS) $(LIB) -lm

.PHONY: fuzz fuzz-smoke fuzz-run
fuzz-run: $(FUZZ_BINS)
	@for b in $(FUZZ_BINS); do n=$$(basename $$b); mkdir -p $(BUILDDIR)/corpus/$$n; \
	  seeds=$(TOP)/tests/fuzz/corpus/$$n; [ -d $$seeds ] || seeds=; \
	  echo "  FUZZ    $$n for $(FUZZ_SECONDS) s"; \
	  $$b -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
	    $(BUILDDIR)/corpus/$$n $$seeds > $(BUILDDIR)/$$n.log 2>&1 || { tail -40 $(BUILDDIR)/$$n.log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units' $(BUILDDIR)/$$n.log | sed "s/^/    $$n /"; \
	done

# A short run of every target (part of make test), and a long one.
fuzz-smoke:
	$(MAKE) -f $(TOP)/Makefile BOARD=host CC=clang SANITIZE=fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz-run
fuzz:
	$(MAKE) -f $(TOP)/Makefile BOARD=host CC=clang SANITIZE=fuzz FUZZ_SECONDS=300 fuzz-run

# Run the unit tests for BOARD (under qemu-user for ARM boards).
check: $(UNIT) nm-check
	cd $(BUILDDIR) && FLOE_TESTDATA=$(TESTDATA) $(TEST_RUNNER) $(UNIT)

# The library never calls the heap: no undefined malloc & co. in libfloe.a.
nm-check: $(LIB)
	@if $(NM) -u $(LIB) | grep -wE 'malloc|calloc|realloc|free|printf|fprintf|sprintf|snprintf|vsnprintf|puts|fopen'; then \
	  echo "nm-check: libfloe.a ($(BOARD)) references the heap or stdio (above)"; exit 1; \
	else echo "nm-check: libfloe.a ($(BOARD)) needs no malloc/calloc/realloc/free/stdio"; fi

bootstrap:
	$(TOP)/tools/bootstrap.sh host arm

# Everything a change must pass, from a fresh clone on a fresh Debian machine.
test: bootstrap
	$(MAKE) -f $(TOP)/Makefile BOARD=host SANITIZE=1 check
	$(MAKE) -f $(TOP)/Makefile BOARD=host CC=clang BUILDDIR=$(TOP)/build/host-clang lib
	$(MAKE) -f $(TOP)/Makefile BOARD=linux-aarch64 check
	$(MAKE) -f $(TOP)/Makefile BOARD=linux-armhf check
	$(MAKE) -f $(TOP)/Makefile fuzz-smoke FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(MAKE) -f $(TOP)/Makefile test-integration
	@echo "make test: all passed"

# The whole job on this machine: generate telemetry, run the agent against a
# local S3 endpoint (or a folder), show what landed. Stops what it starts.
.PHONY: run
run:
	$(TOP)/tools/demo/run.sh

# floe vs DuckDB on the same data, side by side (a benchmark, not a test).
.PHONY: bench
bench:
	$(TOP)/tools/bench/run.sh $(ROWS)

# Real readers and tools no one here wrote, on the host build of the CLI.
.PHONY: test-integration
test-integration:
	$(TOP)/tools/bootstrap.sh npm
	$(MAKE) -f $(TOP)/Makefile BOARD=host SANITIZE=1 cli
	# The CLI may leave memory to process exit (the library has no heap at all):
	# leak reports would only turn clean exits into failures.
	ASAN_OPTIONS=detect_leaks=0 FLOE=$(TOP)/build/host-san/floe NODE_PATH=$(TOP)/build/npm/node_modules \
	  FLOE_TESTDATA=$(TESTDATA) bash $(TOP)/tests/run-integration.sh

size:
	@for b in $(BOARDS); do \
	  $(MAKE) -s -f $(TOP)/Makefile BOARD=$$b lib >/dev/null || exit 1; \
	  echo "== $$b: libfloe.a (text data bss per object, then total)"; \
	  $(MAKE) -s -f $(TOP)/Makefile BOARD=$$b size-one; \
	done

.PHONY: size-one
size-one: $(LIB)
	@$(SIZE) -t $(LIB) | awk 'NR==1 || /TOTALS/ {print}'

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
install: $(LIB)
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/floe
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libfloe.a
	install -m 644 $(TOP)/include/floe/*.h $(DESTDIR)$(INCLUDEDIR)/floe/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@VERSION@|$(shell sed -n 's/.*FLOE_VERSION_STRING "\(.*\)"/\1/p' $(TOP)/include/floe/version.h)|' \
	  $(TOP)/tools/floe.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/floe.pc

clean:
	rm -rf $(TOP)/build/host $(TOP)/build/host-san $(TOP)/build/host-clang \
	  $(TOP)/build/linux-aarch64 $(TOP)/build/linux-armhf

-include $(LIB_OBJS:.o=.d) $(PORT_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(FIRMWARE_OBJS:.o=.d)
