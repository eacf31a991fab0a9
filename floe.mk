# floe source lists for firmware builds (Make-based). Include this file, then
# compile $(FLOE_SRCS) with -I for each of $(FLOE_INCS), plus the third-party
# pieces floe needs: jsmn.h on the include path, zstd's single-file decoder
# through $(FLOE_ZSTD_WRAPPER), and mbedTLS (3.6) built with
# $(FLOE_MBEDTLS_CONFIG) unless FLOE_NO_TLS is defined.
# Linux builds add $(FLOE_POSIX_PORT_SRCS); firmware supplies its own ports
# (include/floe/port.h).
#
# A firmware build that wants only part of the library picks module lists
# instead of $(FLOE_SRCS) (docs/firmware.md; boards/cortex-m7 is the reference):
#   FLOE_CORE_SRCS     arena, errors, log, CRC-32C, SHA-256/HMAC, UUIDv7, UTC
#   FLOE_NDJSON_SRCS   the decoder (plus $(FLOE_ZSTD_WRAPPER) for zstd input)
#   FLOE_PARQUET_SRCS  the Parquet writer and rolled files
#   FLOE_HTTP_SRCS     URL parser, HTTP/1.1 client, plain TCP stream over a net port
#   FLOE_SIGV4_SRCS    the SigV4 signer and the S3 helpers it uses
#   FLOE_TLS_SRCS      the mbedTLS client (needs mbedTLS unless FLOE_NO_TLS)
#   FLOE_S3_SRCS       the S3 client (needs HTTP, SigV4 and TLS)
#   FLOE_SPOOL_SRCS    the crash-safe spool
#   FLOE_AGENT_SRCS    the writer loop and the uploader
#
# Optional: zstd's compressor for ZSTD Parquet pages. Compile
# $(FLOE_ZSTD_ENC_WRAPPER) with -I<zstd>/lib like the decoder wrapper (it
# needs the decoder's object for zstd's common code) and define
# FLOE_ZSTD_COMPRESS for floe's own sources.
FLOE_DIR ?= $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

FLOE_ZSTD_WRAPPER := $(FLOE_DIR)/src/ndjson/zstd_dec.c
FLOE_MBEDTLS_CONFIG := $(FLOE_DIR)/src/net/floe_mbedtls_config.h
FLOE_ZSTD_ENC_WRAPPER := $(FLOE_DIR)/src/parquet/zstd_enc.c
FLOE_SRCS := $(sort $(filter-out $(FLOE_ZSTD_WRAPPER) $(FLOE_ZSTD_ENC_WRAPPER),$(wildcard $(FLOE_DIR)/src/*/*.c)))
FLOE_INCS := $(FLOE_DIR)/include $(FLOE_DIR)/src
FLOE_POSIX_PORT_SRCS := $(wildcard $(FLOE_DIR)/port/posix/*.c)
FLOE_TEST_PORT_SRCS := $(sort $(wildcard $(FLOE_DIR)/port/test/*.c))

FLOE_CORE_SRCS := $(filter $(FLOE_DIR)/src/core/%,$(FLOE_SRCS))
FLOE_NDJSON_SRCS := $(filter $(FLOE_DIR)/src/ndjson/%,$(FLOE_SRCS))
FLOE_PARQUET_SRCS := $(filter $(FLOE_DIR)/src/parquet/%,$(FLOE_SRCS))
FLOE_HTTP_SRCS := $(filter $(addprefix $(FLOE_DIR)/src/net/,http.c url.c tcp.c),$(FLOE_SRCS))
FLOE_SIGV4_SRCS := $(filter $(addprefix $(FLOE_DIR)/src/s3/,sigv4.c s3util.c),$(FLOE_SRCS))
FLOE_TLS_SRCS := $(filter $(FLOE_DIR)/src/net/tls.c,$(FLOE_SRCS))
FLOE_S3_SRCS := $(filter $(FLOE_DIR)/src/s3/s3.c,$(FLOE_SRCS))
FLOE_SPOOL_SRCS := $(filter $(FLOE_DIR)/src/spool/%,$(FLOE_SRCS))
FLOE_AGENT_SRCS := $(filter $(FLOE_DIR)/src/agent/%,$(FLOE_SRCS))
