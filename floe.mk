# floe source lists for firmware builds (Make-based). Include this file, then
# compile $(FLOE_SRCS) with -I for each of $(FLOE_INCS), plus the third-party
# pieces floe needs: jsmn.h on the include path, zstd's single-file decoder
# through $(FLOE_ZSTD_WRAPPER), and mbedTLS (3.6) built with
# $(FLOE_MBEDTLS_CONFIG) unless FLOE_NO_TLS is defined.
# Linux builds add $(FLOE_POSIX_PORT_SRCS); firmware supplies its own ports
# (include/floe/port.h).
FLOE_DIR ?= $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

FLOE_ZSTD_WRAPPER := $(FLOE_DIR)/src/ndjson/zstd_dec.c
FLOE_MBEDTLS_CONFIG := $(FLOE_DIR)/src/net/floe_mbedtls_config.h
FLOE_SRCS := $(sort $(filter-out $(FLOE_ZSTD_WRAPPER),$(wildcard $(FLOE_DIR)/src/*/*.c)))
FLOE_INCS := $(FLOE_DIR)/include $(FLOE_DIR)/src
FLOE_POSIX_PORT_SRCS := $(wildcard $(FLOE_DIR)/port/posix/*.c)
FLOE_TEST_PORT_SRCS := $(sort $(wildcard $(FLOE_DIR)/port/test/*.c))
