# Third-party code floe builds with: zstd's single-file decoder, jsmn and mbedTLS.
#
# Included by the top-level Makefile after it sets CC, AR, BUILDDIR, BOARD_CFLAGS
# and TOP (absolute path of the repository). Defines:
#
#   DEPS_DIR      where tools/fetch-deps.sh unpacks the pinned sources ($(TOP)/build/deps)
#   ZSTD_SRC      zstd source tree     (default $(DEPS_DIR)/zstd)
#   JSMN_SRC      jsmn source tree     (default $(DEPS_DIR)/jsmn)
#   MBEDTLS_SRC   mbedTLS 3.6 tree     (default $(DEPS_DIR)/mbedtls)
#   ZSTDDEC_C     zstd's single-file decoder: $(DEPS_DIR)/gen/zstddeclib.c, or, when
#                 ZSTD_SRC is overridden, $(BUILDDIR)/gen/zstddeclib.c generated from it
#                 (or set it to a zstddeclib.c of your own)
#   DEPS_STAMP    file that exists once the defaults are fetched; empty when all of
#                 the above are overridden
#   DEPS_PREREQS  $(DEPS_STAMP) and src/net/floe_mbedtls_config.h: make floe objects
#                 that include third-party headers depend on it. -MMD cannot see the
#                 config header (it is included from an -isystem header), and a
#                 refetch (pin change) should rebuild them.
#   DEPS_CPPFLAGS include paths and the mbedTLS config define, for floe's own sources
#   ZSTD_DEC_OBJ  $(BUILDDIR)/obj/deps/zstd_dec.o, from src/ndjson/zstd_dec.c; goes
#                 into libfloe.a
#   FLOE_ZSTD_COMPRESS  1: zstd's compressor goes into libfloe.a too (ZSTD Parquet
#                 pages); 0: the decoder only. Boards set the default (Linux
#                 gateways 1, cortex-m7 0); toggling it rebuilds the library.
#   ZSTD_ENC_OBJ  $(BUILDDIR)/obj/deps/zstd_enc.o from src/parquet/zstd_enc.c when
#                 FLOE_ZSTD_COMPRESS=1, else empty
#   MBEDTLS_LIBS  libmbedtls.a libmbedx509.a libmbedcrypto.a under $(BUILDDIR)/mbedtls,
#                 in link order
#
# Targets: deps (fetch if needed, generate zstddeclib.c), $(ZSTD_DEC_OBJ),
# $(MBEDTLS_LIBS), deps-nm-check (no heap symbols in the third-party objects),
# deps-distclean (removes $(DEPS_DIR)).
#
# Integrators: point ZSTD_SRC / JSMN_SRC / MBEDTLS_SRC at unpacked copies and
# nothing is fetched for them. Optional: DEPS_EXTRA_CFLAGS (e.g. sanitizer flags)
# is added to every third-party compile; MBEDTLS_MEMORY_DEBUG=1 (use its own
# BUILDDIR) enables mbedTLS's allocator statistics, for floe code and mbedTLS alike.

FLOE_DEPS_MK := $(lastword $(MAKEFILE_LIST))

DEPS_DIR ?= $(TOP)/build/deps
ZSTD_SRC ?= $(DEPS_DIR)/zstd
JSMN_SRC ?= $(DEPS_DIR)/jsmn
MBEDTLS_SRC ?= $(DEPS_DIR)/mbedtls
DEPS_EXTRA_CFLAGS ?=
# 1: mbedtls_memory_buffer_alloc_max_get()/cur_get() exist (peak measurements in
# tests); same heap layout, but mbedTLS then references fprintf/stderr.
MBEDTLS_MEMORY_DEBUG ?= 0
DEPS_MBEDTLS_DEFS := $(if $(filter 1,$(MBEDTLS_MEMORY_DEBUG)),-DFLOE_MBEDTLS_MEMORY_DEBUG)
NM ?= $(patsubst %ar,%nm,$(AR))
DEPS_Q := $(if $(filter 1,$(V)),,@)

ifeq ($(origin ZSTDDEC_C),undefined)
ifeq ($(ZSTD_SRC),$(DEPS_DIR)/zstd)
ZSTDDEC_C := $(DEPS_DIR)/gen/zstddeclib.c
else
ZSTDDEC_C := $(BUILDDIR)/gen/zstddeclib.c
ZSTDDEC_FROM_SRC := 1
endif
endif

# Fetch only if something still points into DEPS_DIR.
DEPS_STAMP := $(if $(filter $(DEPS_DIR)/%,$(ZSTD_SRC) $(JSMN_SRC) $(MBEDTLS_SRC) $(ZSTDDEC_C)),$(DEPS_DIR)/.fetched)

FLOE_MBEDTLS_CONFIG_DIR := $(TOP)/src/net
DEPS_PREREQS := $(DEPS_STAMP) $(FLOE_MBEDTLS_CONFIG_DIR)/floe_mbedtls_config.h
# -isystem: third-party headers are not held to floe's -Werror -pedantic -Wundef
# (jsmn.h defines its functions in the header; mbedTLS's ssl.h trips -Wundef).
DEPS_CPPFLAGS = -isystem $(JSMN_SRC) -isystem $(ZSTD_SRC)/lib -isystem $(MBEDTLS_SRC)/include \
  -I$(FLOE_MBEDTLS_CONFIG_DIR) -DMBEDTLS_CONFIG_FILE='"floe_mbedtls_config.h"' $(DEPS_MBEDTLS_DEFS) \
  $(if $(filter 1,$(FLOE_ZSTD_COMPRESS)),-DFLOE_ZSTD_COMPRESS)

ZSTD_DEC_OBJ = $(BUILDDIR)/obj/deps/zstd_dec.o
MBEDTLS_LIBS = $(BUILDDIR)/mbedtls/libmbedtls.a $(BUILDDIR)/mbedtls/libmbedx509.a \
  $(BUILDDIR)/mbedtls/libmbedcrypto.a

.PHONY: deps deps-nm-check deps-distclean FORCE_DEPS
FORCE_DEPS:

deps: $(DEPS_STAMP) $(ZSTDDEC_C)

ifneq ($(DEPS_STAMP),)
# Reruns when the script (and so a pin) changes; offline when nothing did.
$(DEPS_STAMP): $(TOP)/tools/fetch-deps.sh $(TOP)/tools/gen-zstddeclib.sh
	$(DEPS_Q)$(TOP)/tools/fetch-deps.sh $(DEPS_DIR)
endif

ifeq ($(ZSTDDEC_FROM_SRC),1)
$(ZSTDDEC_C): $(ZSTD_SRC)/build/single_file_libs/zstddeclib-in.c $(TOP)/tools/gen-zstddeclib.sh
	@echo "  GEN     $@"
	$(DEPS_Q)$(TOP)/tools/gen-zstddeclib.sh $(ZSTD_SRC) $@
else ifeq ($(ZSTDDEC_C),$(DEPS_DIR)/gen/zstddeclib.c)
# fetch-deps.sh writes it; regenerate only if it went missing.
$(ZSTDDEC_C): | $(DEPS_STAMP)
	$(DEPS_Q)test -f $@ || $(TOP)/tools/gen-zstddeclib.sh $(ZSTD_SRC) $@
endif

# zstd: third-party code, so no floe warning flags; the wrapper picks zstd's options.
ZSTD_DEC_CMD = $(CC) $(BOARD_CFLAGS) -O2 -ffunction-sections -fdata-sections $(DEPS_EXTRA_CFLAGS) \
  -DFLOE_ZSTDDEC_C='"$(abspath $(ZSTDDEC_C))"'
# The command line is a prerequisite too (another CC or board flags rebuild it).
ZSTD_DEC_FLAGS := $(BUILDDIR)/obj/deps/zstd_dec.flags
ifneq ($(file <$(ZSTD_DEC_FLAGS)),$(ZSTD_DEC_CMD))
$(shell rm -f $(ZSTD_DEC_FLAGS))
endif
$(ZSTD_DEC_FLAGS):
	$(shell mkdir -p $(@D))$(file >$@,$(ZSTD_DEC_CMD))

$(ZSTD_DEC_OBJ): $(TOP)/src/ndjson/zstd_dec.c $(ZSTDDEC_C) $(DEPS_STAMP) $(ZSTD_DEC_FLAGS)
	@mkdir -p $(@D)
	@echo "  CC      deps src/ndjson/zstd_dec.c (+ zstddeclib.c)"
	$(DEPS_Q)$(ZSTD_DEC_CMD) -MMD -MP -c $< -o $@

-include $(ZSTD_DEC_OBJ:.o=.d)

# zstd's compressor (optional). Its common/ code is the decoder object's.
FLOE_ZSTD_COMPRESS ?= 0
ZSTD_ENC_OBJ = $(if $(filter 1,$(FLOE_ZSTD_COMPRESS)),$(BUILDDIR)/obj/deps/zstd_enc.o)
ZSTD_ENC_CMD = $(CC) $(BOARD_CFLAGS) -O2 -ffunction-sections -fdata-sections $(DEPS_EXTRA_CFLAGS) -I$(ZSTD_SRC)/lib
ZSTD_ENC_FLAGS := $(BUILDDIR)/obj/deps/zstd_enc.flags
ifneq ($(file <$(ZSTD_ENC_FLAGS)),$(ZSTD_ENC_CMD))
$(shell rm -f $(ZSTD_ENC_FLAGS))
endif
$(ZSTD_ENC_FLAGS):
	$(shell mkdir -p $(@D))$(file >$@,$(ZSTD_ENC_CMD))

$(BUILDDIR)/obj/deps/zstd_enc.o: $(TOP)/src/parquet/zstd_enc.c $(DEPS_STAMP) $(ZSTD_ENC_FLAGS)
	@mkdir -p $(@D)
	@echo "  CC      deps src/parquet/zstd_enc.c (zstd's compress/)"
	$(DEPS_Q)$(ZSTD_ENC_CMD) -MMD -MP -c $< -o $@

-include $(BUILDDIR)/obj/deps/zstd_enc.d

# floe's own objects see -DFLOE_ZSTD_COMPRESS or not: the top Makefile's
# flags stamp rebuilds them when the switch changes.

# mbedTLS: its file list is only known once the tree exists, so a sub-make
# (mk/mbedtls.mk) globs and builds it. It always runs (cheap when up to date) so
# header and config edits are seen; the archives only change when rebuilt.
# A pattern rule, so the three archives come from one recipe run.
$(BUILDDIR)/mbedtl%/libmbedtls.a $(BUILDDIR)/mbedtl%/libmbedx509.a $(BUILDDIR)/mbedtl%/libmbedcrypto.a: \
    $(DEPS_STAMP) FORCE_DEPS
	+@$(MAKE) --no-print-directory -f $(TOP)/mk/mbedtls.mk \
	  MBEDTLS_SRC='$(MBEDTLS_SRC)' MBEDTLS_OUT='$(BUILDDIR)/mbedtls' \
	  MBEDTLS_CONFIG_DIR='$(FLOE_MBEDTLS_CONFIG_DIR)' CC='$(CC)' AR='$(AR)' \
	  MBEDTLS_CFLAGS='$(BOARD_CFLAGS) -Os -ffunction-sections -fdata-sections $(DEPS_EXTRA_CFLAGS) $(DEPS_MBEDTLS_DEFS)'

# The library's promise (no heap) holds for the third-party objects too.
deps-nm-check: $(ZSTD_DEC_OBJ) $(ZSTD_ENC_OBJ) $(MBEDTLS_LIBS)
	@if $(NM) -u $^ | grep -wE 'malloc|calloc|realloc|free'; then \
	  echo "deps-nm-check: third-party objects reference the heap (above)"; exit 1; \
	else echo "deps-nm-check: zstd_dec.o$(if $(ZSTD_ENC_OBJ), zstd_enc.o) and mbedTLS need no malloc/calloc/realloc/free"; fi

deps-distclean:
	rm -rf $(DEPS_DIR)
