# floe: one GNU Makefile for the library, the CLI, the tests and the boards.
#
#   make                      libfloe.a (and the floe CLI) for BOARD (default host;
#                             cortex-m7: libfloe.a and the example firmware.elf)
#   make test                 everything a change must pass: host (ASan+UBSan),
#                             clang, linux-aarch64 and linux-armhf under qemu-user,
#                             then the size and stack budgets
#   make check                build and run the unit tests for BOARD only
#   make firmware             BOARD=cortex-m7: link boards/cortex-m7/example
#   make size                 text/data/bss of libfloe.a and the linked program, every board
#   make stack                worst stack path per public function (STACK_BOARDS)
#   make arena                arena bytes per module, default and minimal configs
#   make budgets              size and stack against boards/<board>/budget.mk
#   make test-kill-long       both kill tests with KILLS_LONG=1000 kills each
#   make install              PREFIX=/usr/local DESTDIR= (lib, headers, floe.pc)
#   make pgo                  the floe CLI built with profile feedback (build/BOARD-pgo)
#   make LIBC=musl            a static build against musl (build/BOARD-musl)
#   make static-check         the static builds' unit tests and CLI, every Linux board
#   make clean
#
# Honoured: BOARD=host|linux-aarch64|linux-armhf|linux-s390x|cortex-m7,
# CROSS_COMPILE=, CC=, AR=, CFLAGS=, LDFLAGS=, BUILDDIR=, SANITIZE=1, LIBC=musl,
# ZSTD_SRC=, JSMN_SRC=, MBEDTLS_SRC=, FLOE_ZSTD_COMPRESS=0|1 (zstd's compressor for
# ZSTD Parquet pages; the Linux boards default to 1, cortex-m7 to 0).

TOP := $(patsubst %/,%,$(abspath $(dir $(lastword $(MAKEFILE_LIST)))))
BOARD ?= host
BOARDS := host linux-aarch64 linux-armhf linux-s390x cortex-m7
ifeq ($(wildcard $(TOP)/boards/$(BOARD)/board.mk),)
$(error unknown BOARD '$(BOARD)': one of $(BOARDS))
endif
include $(TOP)/boards/$(BOARD)/board.mk
# 64-bit time_t and file offsets wherever the C library has them: a 32-bit
# Linux build (linux-armhf, or a Yocto/Buildroot build with BOARD=host and a
# 32-bit toolchain) outlives 2038 and reads files over 2 GiB. Nothing
# changes on 64-bit targets or newlib. In BOARD_CFLAGS, so zstd and mbedTLS
# (its certificate dates) get it too.
override BOARD_CFLAGS += -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64

# LIBC=musl (host, linux-aarch64, linux-armhf): everything linked statically
# against musl (Debian's musl-dev for the board's architecture, installed by
# tools/bootstrap.sh musl), into build/<board>-musl. The CLI is then one file
# that runs on any Linux of its architecture, whatever C library the gateway
# has, and it maps no shared C library: floe convert's peak RSS drops by about
# 1.3 MB (README, "Memory"). Sanitizers need glibc, so not with SANITIZE.
LIBC ?= gnu
ifeq ($(strip $(LIBC)),)
override LIBC := gnu
endif
ifeq ($(LIBC),musl)
ifeq ($(MUSL_CC),)
$(error LIBC=musl: board $(BOARD) names no musl compiler (MUSL_CC in its board.mk))
endif
ifneq ($(SANITIZE),0)
ifneq ($(SANITIZE),)
$(error LIBC=musl cannot build with SANITIZE=$(SANITIZE): the sanitizers' runtimes need glibc)
endif
endif
LIBC_TAG := -musl
ifeq ($(origin CC),default)
CC := $(MUSL_CC)
endif
# Static and position-independent (static-pie): the kernel loads the program
# at a random address, as it does the glibc build's PIE. Debian's musl-gcc
# specs know only -static, so there the link names musl's self-relocating
# start file (rcrt1.o) and gcc's PIE start and end files itself.
MUSL_SPECS_DIR := $(shell $(CC) -v 2>&1 | sed -n 's|^Reading specs from \(.*\)/musl-gcc.specs$$|\1|p')
ifneq ($(MUSL_SPECS_DIR),)
override LDFLAGS += -static -nostartfiles -Wl,-pie,--no-dynamic-linker,-z,text \
  $(MUSL_SPECS_DIR)/rcrt1.o $(MUSL_SPECS_DIR)/crti.o $(shell $(CC) -print-file-name=crtbeginS.o)
LINK_END := $(shell $(CC) -print-file-name=crtendS.o) $(MUSL_SPECS_DIR)/crtn.o
else
override LDFLAGS += -static-pie
endif
else ifneq ($(LIBC),gnu)
$(error LIBC=$(LIBC): gnu (the default) or musl)
endif
# Linux programs: symbols bound at start and the relocated data made
# read-only then (full RELRO), so no GOT entry stays writable.
ifneq ($(filter $(BOARD),host linux-aarch64 linux-armhf linux-s390x),)
override LDFLAGS += -Wl,-z,relro,-z,now
endif

ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
ifeq ($(LIBC),musl)
# A CC from the environment or the command line must be a musl compiler: a
# glibc one would make a static glibc binary, whose resolver needs glibc's
# shared NSS modules at run time.
HASH := \#
ifneq ($(shell printf '$(HASH)include <stdio.h>\n$(HASH)ifdef __GLIBC__\nfloe_cc_is_glibc\n$(HASH)endif\n' | $(CC) -E -P -x c - 2>/dev/null | grep -c floe_cc_is_glibc),0)
$(error LIBC=musl: $(CC) compiles against glibc; leave CC unset for the board's $(MUSL_CC), or name a musl compiler)
endif
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
BUILDDIR ?= $(TOP)/build/$(BOARD)$(LIBC_TAG)
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
# Shared test data (JSONTestSuite) lives beside the repository in CI.
TESTDATA ?= $(abspath $(TOP)/../shared/testdata)

# BUILDDIR= on the command line names one board's build folder. Targets that
# build several boards (test, size, budgets, ...) call make again per board:
# they must not send every board to that one folder.
# LIBC= likewise names one build's C library: the scripts make runs (bench,
# demo, board checks) build the default unless they say otherwise.
# (Command-line variables reach child makes through the environment too.)
MAKEOVERRIDES := $(filter-out BUILDDIR=% LIBC=%,$(MAKEOVERRIDES))
unexport BUILDDIR LIBC

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
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(POSIX_PORT_OBJS) $(LIB) $(MBEDTLS_LIBS) -lm -pthread $(LINK_END)

$(BUILDDIR)/obj/tools/%.o: $(TOP)/tools/%.c | deps
	@echo "  CC      $(BOARD) $(patsubst $(TOP)/%,%,$<)"
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu99 -Wall -Wextra -Werror $(ALL_CFLAGS) $(LIB_CPPFLAGS) -I$(TOP)/port/posix -MMD -MP -c $< -o $@

lib: $(LIB)

# Objects see mbedTLS's config through -isystem headers, which -MMD skips.
$(LIB_OBJS): $(DEPS_PREREQS)

# The compile flags, kept in a file that changes only when they do: a build
# with other CFLAGS into the same BUILDDIR recompiles instead of reusing objects.
FLAGS_STAMP := $(BUILDDIR)/flags.stamp
FLAGS_NOW := $(CC) $(ALL_CFLAGS) $(LIB_CPPFLAGS)
$(shell mkdir -p $(BUILDDIR) && { [ "$$(cat $(FLAGS_STAMP) 2>/dev/null)" = '$(subst ','\'',$(FLAGS_NOW))' ] || printf '%s\n' '$(subst ','\'',$(FLAGS_NOW))' > $(FLAGS_STAMP); })
$(LIB_OBJS) $(PORT_OBJS) $(UNIT_OBJS) $(CLI_OBJS): $(FLAGS_STAMP)

$(LIB): $(LIB_OBJS) $(ZSTD_DEC_OBJ) $(ZSTD_ENC_OBJ)
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

ifeq ($(LIBC),musl)
# A static link would wrap the C library's own heap calls too (opendir,
# stdio), which a shared libc keeps to itself: wrap only floe's objects, in a
# relocatable link, then add the C library.
$(UNIT): $(UNIT_OBJS) $(PORT_OBJS) $(LIB) $(MBEDTLS_LIBS)
	@echo "  LD      $(patsubst $(TOP)/%,%,$@)"
	$(Q)$(CC) -r -nostdlib $(HEAP_WRAP) -o $@.o $(UNIT_OBJS) $(PORT_OBJS) $(LIB) $(MBEDTLS_LIBS)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $@.o -lm $(LINK_END)
else
$(UNIT): $(UNIT_OBJS) $(PORT_OBJS) $(LIB) $(MBEDTLS_LIBS)
	@echo "  LD      $(patsubst $(TOP)/%,%,$@)"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(HEAP_WRAP) -o $@ $(UNIT_OBJS) $(PORT_OBJS) $(LIB) $(MBEDTLS_LIBS) -lm $(LINK_END)
endif

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

# The cortex-m7 example's pipeline run on a Linux board (host: make
# BOARD=host SANITIZE=1 example-check): its rows must land in a Parquet file.
EXAMPLE_RUN := $(BUILDDIR)/firmware_example
$(EXAMPLE_RUN): $(TOP)/boards/cortex-m7/example/main.c $(TOP)/boards/cortex-m7/example/fw_config.h $(LIB)
	@echo "  LD      $(patsubst $(TOP)/%,%,$@)"
	$(Q)$(CC) $(WARN) $(ALL_CFLAGS) $(LIB_CPPFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LINK_END)
.PHONY: example-check
example-check: $(EXAMPLE_RUN)
	@$(TEST_RUNNER) $(EXAMPLE_RUN) || { echo "example-check: exit $$? (see run() in boards/cortex-m7/example/main.c)"; exit 1; }
	@echo "example-check: the cortex-m7 example decoded its NDJSON into a Parquet file on $(BOARD)"

# Board examples are held to the library's strict flags.
$(BUILDDIR)/obj/boards/%.o: $(TOP)/boards/%.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $(BOARD) $(patsubst $(TOP)/%,%,$<)"
	$(Q)$(CC) $(WARN) $(ALL_CFLAGS) $(LIB_CPPFLAGS) -MMD -MP -c $< -o $@

# ---- fuzzing: one libFuzzer binary per tests/fuzz/fuzz_*.c -----------------
FUZZ_SRCS := $(sort $(wildcard $(TOP)/tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst $(TOP)/tests/fuzz/%.c,$(BUILDDIR)/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 10
FUZZ_TOOL_OBJS := $(patsubst $(TOP)/%.c,$(BUILDDIR)/obj/%.o,$(wildcard $(TOP)/tools/floe/pqread.c \
  $(TOP)/tools/floe/config.c $(TOP)/tools/floe/util.c $(TOP)/port/test/floe_emufs.c))

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
ifeq ($(BOARD_NO_UNIT_TESTS),1)
check: all nm-check
	@echo "check: BOARD=$(BOARD) runs no unit tests (they need the POSIX port); built $(BOARD_GOALS)"
else
check: $(UNIT) nm-check
	cd $(BUILDDIR) && FLOE_TESTDATA=$(TESTDATA) $(TEST_RUNNER) $(UNIT)
endif

# The host unit tests (an unsanitized build) under valgrind's memcheck:
# reads of memory never written, which ASan does not look for (arenas are
# carved unzeroed where every byte is written before it is read).
.PHONY: valgrind-check
valgrind-check: $(UNIT)
	cd $(BUILDDIR) && FLOE_TESTDATA=$(TESTDATA) valgrind -q --error-exitcode=9 --track-origins=yes $(UNIT) > valgrind.log 2>&1 || \
	  { grep -v '^ok ' valgrind.log | tail -40; echo "valgrind-check: memcheck found errors (build/host/valgrind.log)"; exit 1; }
	@tail -1 $(BUILDDIR)/valgrind.log | sed 's/^/valgrind-check: /'

# The library never calls the heap: no undefined malloc & co. in libfloe.a.
nm-check: $(LIB)
	@if $(NM) -u $(LIB) | grep -wE 'malloc|calloc|realloc|free|printf|fprintf|sprintf|snprintf|vsnprintf|puts|fopen'; then \
	  echo "nm-check: libfloe.a ($(BOARD)) references the heap or stdio (above)"; exit 1; \
	else echo "nm-check: libfloe.a ($(BOARD)) needs no malloc/calloc/realloc/free/stdio"; fi

bootstrap:
	$(TOP)/tools/bootstrap.sh host arm musl firmware bigendian

# Everything a change must pass, from a fresh clone on a fresh Debian machine.
test: bootstrap
	$(MAKE) -f $(TOP)/Makefile BOARD=host SANITIZE=1 check
	$(MAKE) -f $(TOP)/Makefile BOARD=host valgrind-check
	$(MAKE) -f $(TOP)/Makefile BOARD=host CC=clang BUILDDIR=$(TOP)/build/host-clang lib nm-check
	$(MAKE) -f $(TOP)/Makefile header-check
	$(MAKE) -f $(TOP)/Makefile BOARD=linux-aarch64 check
	$(MAKE) -f $(TOP)/Makefile BOARD=linux-armhf check
	$(MAKE) -f $(TOP)/Makefile static-check
	$(MAKE) -f $(TOP)/Makefile fuzz-smoke FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(MAKE) -f $(TOP)/Makefile test-integration
	$(MAKE) -f $(TOP)/Makefile pgo
	$(MAKE) -f $(TOP)/Makefile budgets
	$(MAKE) -f $(TOP)/Makefile BOARD=linux-s390x check
	bash $(TOP)/tests/boards/bigendian_parquet.sh
	$(MAKE) -f $(TOP)/Makefile BOARD=host SANITIZE=1 example-check
	bash $(TOP)/tests/boards/install_test.sh
	@echo "make test: all passed"

# The static builds (LIBC=musl) of the Linux gateway boards: their unit tests
# (ARM under qemu-user), then tests/boards/static_cli.sh (static ELF, the
# same Parquet bytes as the glibc host build, the upload and agent suites).
.PHONY: static-check
static-check:
	$(TOP)/tools/bootstrap.sh musl npm
	$(MAKE) -f $(TOP)/Makefile BOARD=host LIBC=musl check
	$(MAKE) -f $(TOP)/Makefile BOARD=linux-aarch64 LIBC=musl check
	$(MAKE) -f $(TOP)/Makefile BOARD=linux-armhf LIBC=musl check
	bash $(TOP)/tests/boards/static_cli.sh

# Every board and packaging check: make test's big-endian (s390x unit tests
# and Parquet round trip under qemu), example and install checks, plus the
# cortex-m7 nm-check and the Buildroot/Yocto recipes' build (an extra
# aarch64 build of a clean tree, kept out of make test for time).
.PHONY: test-boards
test-boards:
	$(TOP)/tools/bootstrap.sh host arm firmware bigendian npm
	$(MAKE) -f $(TOP)/Makefile BOARD=linux-s390x check
	$(MAKE) -f $(TOP)/Makefile BOARD=cortex-m7 all nm-check
	$(MAKE) -f $(TOP)/Makefile BOARD=host SANITIZE=1 example-check
	bash $(TOP)/tests/boards/bigendian_parquet.sh
	bash $(TOP)/tests/boards/install_test.sh
	bash $(TOP)/tests/boards/recipe_build.sh
	@echo "make test-boards: all passed"

# The whole job on this machine: generate telemetry, run the agent against a
# local S3 endpoint (or a folder), show what landed. Stops what it starts.
.PHONY: run
run:
	$(TOP)/tools/demo/run.sh

# The CLI built with GCC's profile feedback, into build/<board>-pgo: an
# instrumented build converts generated telemetry (tools/pgo_train.sh, under
# the board's TEST_RUNNER), the same tree is rebuilt with that profile, and
# the result must write the same bytes as the instrumented build did. Only
# the layout of branches and blocks changes; code the training never ran is
# built for size (no -fprofile-partial-training: that build was 5% slower,
# measured 2026-12-03). The libfloe.a left there is built for the CLI's
# profile; programs of your own link the plain one.
PGO_DIR := $(TOP)/build/$(BOARD)$(LIBC_TAG)-pgo
PGO_USE := -fprofile-use -Wno-missing-profile
.PHONY: pgo
pgo:
	$(MAKE) -f $(TOP)/Makefile BOARD=$(BOARD) LIBC=$(LIBC) BUILDDIR=$(PGO_DIR) CFLAGS='$(CFLAGS) -fprofile-generate -fprofile-update=single' cli
	find $(PGO_DIR)/obj -name '*.gcda' -delete
	$(TOP)/tools/pgo_train.sh train $(PGO_DIR)/floe $(PGO_DIR)/train $(TEST_RUNNER)
	$(MAKE) -f $(TOP)/Makefile BOARD=$(BOARD) LIBC=$(LIBC) BUILDDIR=$(PGO_DIR) CFLAGS='$(CFLAGS) $(PGO_USE)' cli
	$(TOP)/tools/pgo_train.sh check $(PGO_DIR)/floe $(PGO_DIR)/train $(TEST_RUNNER)

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

# Both kill tests (floe convert --spool, and the agent) with KILLS_LONG kills
# each instead of make test's 100 (several minutes; not part of make test).
KILLS_LONG ?= 1000
.PHONY: test-kill-long
test-kill-long:
	$(TOP)/tools/bootstrap.sh npm
	$(MAKE) -f $(TOP)/Makefile BOARD=host SANITIZE=1 cli
	ASAN_OPTIONS=detect_leaks=0 FLOE=$(TOP)/build/host-san/floe NODE_PATH=$(TOP)/build/npm/node_modules \
	  KILLS=$(KILLS_LONG) bash $(TOP)/tests/integration/kill_test.sh
	ASAN_OPTIONS=detect_leaks=0 FLOE=$(TOP)/build/host-san/floe NODE_PATH=$(TOP)/build/npm/node_modules \
	  KILLS=$(KILLS_LONG) bash $(TOP)/tests/integration/agent_kill_test.sh

# ---- budgets: code size, stack depth, arena ------------------------------------
# make size     text/data/bss of libfloe.a and of the linked program (the floe
#               CLI on Linux boards, firmware.elf on cortex-m7), every board
# make stack    worst stack path per public entry point (gcc -fstack-usage
#               -fcallgraph-info=su builds in build/<board>-stack), STACK_BOARDS
# make arena    arena bytes per module, default and minimal configs (host program)
# make budgets  fails when a BUDGET_BOARDS board's libfloe.a text or worst stack
#               path is over boards/<board>/budget.mk (part of make test)
BUDGET_BOARDS := host linux-aarch64 linux-armhf cortex-m7
STACK_BOARDS ?= $(BUDGET_BOARDS)
STACK_LIMIT ?= 1536
STACK_FLAGS := -fstack-usage -fcallgraph-info=su
LINKED := $(if $(FIRMWARE_OBJS),$(FIRMWARE),$(CLI))
budget_of = $(shell sed -n 's/^$(2) *[:?]*= *\([0-9][0-9]*\).*/\1/p' $(TOP)/boards/$(1)/budget.mk 2>/dev/null)

.PHONY: size size-one linked stack stack-build arena budgets budget-one budget-arena
size:
	@$(TOP)/tools/bootstrap.sh host arm firmware bigendian
	@printf '%-14s %10s %8s %8s   %-13s %10s %8s %8s\n' board 'lib text' data bss linked text data bss
	@for b in $(BOARDS); do \
	  $(MAKE) -s --no-print-directory -f $(TOP)/Makefile BOARD=$$b lib linked >/dev/null || exit 1; \
	  $(MAKE) -s --no-print-directory -f $(TOP)/Makefile BOARD=$$b size-one || exit 1; \
	done

linked: $(LINKED)

size-one: $(LIB) $(LINKED)
	@l=$$($(SIZE) -t $(LIB) | awk '/TOTALS/ {print $$1, $$2, $$3}'); \
	 e=$$($(SIZE) $(LINKED) | awk 'NR == 2 {print $$1, $$2, $$3}'); \
	 printf '%-14s %10s %8s %8s   %-13s %10s %8s %8s\n' $(BOARD) $$l $(notdir $(LINKED)) $$e

stack:
	@$(TOP)/tools/bootstrap.sh host arm firmware
	@for b in $(STACK_BOARDS); do \
	  $(MAKE) -s --no-print-directory -f $(TOP)/Makefile BOARD=$$b stack-build >/dev/null || exit 1; \
	done
	python3 $(TOP)/tools/stack_report.py --headers $(TOP)/include/floe --limit $(STACK_LIMIT) $(STACK_ARGS) \
	  $(foreach b,$(STACK_BOARDS),$(b)=$(TOP)/build/$(b)-stack)

# The library (and zstd and mbedTLS, when the board has TLS) with stack flags,
# in its own build tree: the flags do not change the code.
stack-build:
	+$(MAKE) -f $(TOP)/Makefile BOARD=$(BOARD) BUILDDIR=$(TOP)/build/$(BOARD)-stack \
	  CFLAGS='$(CFLAGS) $(STACK_FLAGS)' DEPS_EXTRA_CFLAGS='$(DEPS_EXTRA_CFLAGS) $(STACK_FLAGS)' \
	  lib $(if $(filter %/src/net/tls.c,$(LIB_SRCS)),$(TOP)/build/$(BOARD)-stack/mbedtls/libmbedtls.a)

# A host program (or a Linux board's, under its TEST_RUNNER) printing the
# arena per module from the public size functions.
ARENA_REPORT := $(BUILDDIR)/arena_report
$(ARENA_REPORT): $(TOP)/tests/boards/arena_report.c $(TOP)/boards/cortex-m7/example/fw_config.h $(LIB) $(MBEDTLS_LIBS)
	@echo "  LD      $(patsubst $(TOP)/%,%,$@)"
	$(Q)$(CC) -std=c99 -Wall -Wextra -Werror $(ALL_CFLAGS) $(LDFLAGS) -I$(TOP)/include -I$(TOP)/boards/cortex-m7/example \
	  -o $@ $< $(LIB) $(MBEDTLS_LIBS) -lm $(LINK_END)
arena: $(ARENA_REPORT)
	@cd $(TOP) && $(TEST_RUNNER) $(ARENA_REPORT) tools/schemas/telemetry.json

budgets:
	$(TOP)/tools/bootstrap.sh firmware
	@fail=0; for b in $(BUDGET_BOARDS); do \
	  $(MAKE) -s --no-print-directory -f $(TOP)/Makefile BOARD=$$b lib linked >/dev/null || exit 1; \
	  $(MAKE) -s --no-print-directory -f $(TOP)/Makefile BOARD=$$b budget-one nm-check || fail=1; \
	done; \
	$(MAKE) -s --no-print-directory -f $(TOP)/Makefile BOARD=host deps-nm-check || fail=1; \
	$(MAKE) -s --no-print-directory -f $(TOP)/Makefile BOARD=host budget-arena || fail=1; \
	$(MAKE) -s --no-print-directory -f $(TOP)/Makefile stack STACK_BOARDS='$(BUDGET_BOARDS)' \
	  STACK_ARGS='$(foreach b,$(BUDGET_BOARDS),--max-worst $(b)=$(call budget_of,$(b),BUDGET_STACK) \
	    --frame-limit $(b)=$(call budget_of,$(b),BUDGET_FRAME))' \
	  >$(TOP)/build/stack-report.txt 2>&1 || { fail=1; tail -5 $(TOP)/build/stack-report.txt; }; \
	grep -E '^stack(_report)?:' $(TOP)/build/stack-report.txt; \
	if [ $$fail -ne 0 ]; then echo "make budgets: over budget (above)"; exit 1; fi; \
	echo "make budgets: every board within its budget"

# over_budget WHAT MEASURED NAME: fails when MEASURED is over the board's NAME.
over_budget = b='$(call budget_of,$(BOARD),$(3))'; \
	if [ -z "$$b" ]; then echo "budgets: $(BOARD): no $(3) in boards/$(BOARD)/budget.mk"; exit 1; fi; \
	if [ "$(2)" -gt "$$b" ]; then \
	  echo "budgets: $(BOARD): $(1) $(2) bytes is over its budget of $$b ($(3), boards/$(BOARD)/budget.mk)"; exit 1; \
	fi; echo "budgets: $(BOARD): $(1) $(2) bytes (budget $$b)"

budget-one: $(LIB) $(LINKED)
	@t=$$($(SIZE) -t $(LIB) | awk '/TOTALS/ {print $$1}'); $(call over_budget,libfloe.a text,$$t,BUDGET_TEXT)
	@t=$$($(SIZE) $(LINKED) | awk 'NR == 2 {print $$1}'); $(call over_budget,$(notdir $(LINKED)) text,$$t,BUDGET_LINKED_TEXT)

# The arena of the two loops with the default config (64-bit host figures).
budget-arena: $(ARENA_REPORT)
	@cd $(TOP) && $(ARENA_REPORT) tools/schemas/telemetry.json > $(BUILDDIR)/arena.txt
	@t=$$(awk '$$1 == "writer" {print $$2}' $(BUILDDIR)/arena.txt); $(call over_budget,writer loop arena,$$t,BUDGET_ARENA_WRITER)
	@t=$$(awk '$$1 == "uploader" {print $$2}' $(BUILDDIR)/arena.txt); $(call over_budget,uploader loop arena,$$t,BUDGET_ARENA_UPLOADER)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
# mbedTLS goes in beside libfloe.a (when the board has TLS) under floe's own
# names: it is built with floe's configuration (src/net/floe_mbedtls_config.h),
# which floe's TLS layer depends on, so a system mbedTLS cannot stand in for it.
INSTALL_TLS := $(if $(filter %/src/net/tls.c,$(LIB_SRCS)),1)
PC_LIBS := -lfloe$(if $(INSTALL_TLS), -lfloe_mbedtls -lfloe_mbedx509 -lfloe_mbedcrypto)
install: $(LIB) $(if $(INSTALL_TLS),$(MBEDTLS_LIBS))
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/floe
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libfloe.a
	$(if $(INSTALL_TLS),for l in mbedtls mbedx509 mbedcrypto; do \
	  install -m 644 $(BUILDDIR)/mbedtls/lib$$l.a $(DESTDIR)$(LIBDIR)/libfloe_$$l.a || exit 1; done)
	install -m 644 $(TOP)/include/floe/*.h $(DESTDIR)$(INCLUDEDIR)/floe/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@VERSION@|$(shell sed -n 's/.*FLOE_VERSION_STRING "\(.*\)"/\1/p' $(TOP)/include/floe/version.h)|' \
	  -e 's|@LIBS@|$(PC_LIBS)|' \
	  $(TOP)/tools/floe.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/floe.pc

# Every public header compiles on its own, strict C99, and floe.h includes them all.
.PHONY: header-check
header-check:
	@mkdir -p $(BUILDDIR)/header-check; fail=0; \
	for h in $(notdir $(wildcard $(TOP)/include/floe/*.h)); do \
	  printf '#include "floe/%s"\ntypedef int header_check_unit;\n' $$h > $(BUILDDIR)/header-check/alone.c; \
	  $(CC) $(WARN) -I$(TOP)/include -fsyntax-only $(BUILDDIR)/header-check/alone.c || { echo "header-check: floe/$$h does not compile on its own"; fail=1; }; \
	  [ $$h = floe.h ] && continue; \
	  g=$$(sed -n 's/^#ifndef \(FLOE_[A-Z0-9_]*_H\)$$/\1/p' $(TOP)/include/floe/$$h | head -1); \
	  printf '#include "floe/floe.h"\n#ifndef %s\n#error floe.h does not include floe/%s\n#endif\n' $$g $$h > $(BUILDDIR)/header-check/umbrella.c; \
	  $(CC) $(WARN) -I$(TOP)/include -fsyntax-only $(BUILDDIR)/header-check/umbrella.c || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "header-check: failed (above)"; exit 1; fi; \
	echo "header-check: every public header stands alone and floe.h includes them all"

clean:
	rm -rf $(BUILDDIR) $(TOP)/build/host-san $(TOP)/build/host-clang $(TOP)/build/fuzz $(TOP)/build/tls-test \
	  $(TOP)/build/stack-report.txt $(foreach b,$(BOARDS),$(TOP)/build/$(b) $(TOP)/build/$(b)-stack \
	  $(TOP)/build/$(b)-pgo $(TOP)/build/$(b)-musl $(TOP)/build/$(b)-musl-pgo)

-include $(LIB_OBJS:.o=.d) $(PORT_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(FIRMWARE_OBJS:.o=.d)
