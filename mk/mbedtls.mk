# Builds mbedTLS's three archives from $(MBEDTLS_SRC)/library with floe's config.
# Run by mk/deps.mk as a sub-make (after the sources exist, so they can be
# globbed); not meant to be used directly. Inputs: MBEDTLS_SRC, MBEDTLS_OUT,
# MBEDTLS_CONFIG_DIR, MBEDTLS_CFLAGS, CC, AR.

SRCS := $(wildcard $(MBEDTLS_SRC)/library/*.c)
ifeq ($(SRCS),)
$(error no mbedTLS sources in '$(MBEDTLS_SRC)/library')
endif

# The same split as mbedTLS's own library/Makefile (OBJS_X509 / OBJS_TLS / OBJS_CRYPTO).
LIB := $(MBEDTLS_SRC)/library
X509_SRCS := $(filter $(LIB)/x509%.c $(LIB)/pkcs7.c,$(SRCS))
TLS_SRCS := $(filter $(LIB)/ssl_%.c $(LIB)/debug.c $(LIB)/mps_%.c $(LIB)/net_sockets.c,$(SRCS))
CRYPTO_SRCS := $(filter-out $(X509_SRCS) $(TLS_SRCS),$(SRCS))

obj = $(patsubst $(LIB)/%.c,$(MBEDTLS_OUT)/obj/%.o,$(1))
Q := $(if $(filter 1,$(V)),,@)

CPPFLAGS_MBEDTLS := -I$(MBEDTLS_CONFIG_DIR) -I$(MBEDTLS_SRC)/include -I$(LIB) \
  -DMBEDTLS_CONFIG_FILE='"floe_mbedtls_config.h"'

.PHONY: all
all: $(MBEDTLS_OUT)/libmbedtls.a $(MBEDTLS_OUT)/libmbedx509.a $(MBEDTLS_OUT)/libmbedcrypto.a
	@: # a recipe, so an up-to-date run prints nothing

# Rebuilt from scratch each time (rm first) so no stale member survives.
$(MBEDTLS_OUT)/libmbedtls.a: $(call obj,$(TLS_SRCS))
$(MBEDTLS_OUT)/libmbedx509.a: $(call obj,$(X509_SRCS))
$(MBEDTLS_OUT)/libmbedcrypto.a: $(call obj,$(CRYPTO_SRCS))
$(MBEDTLS_OUT)/%.a:
	@echo "  AR      mbedtls $(notdir $@)"
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# Flags are part of the build: a change (other CC, board flags) rebuilds all.
FLAGS_LINE := $(CC) $(MBEDTLS_CFLAGS) $(CPPFLAGS_MBEDTLS)
FLAGS_FILE := $(MBEDTLS_OUT)/obj/.flags
ifneq ($(file <$(FLAGS_FILE)),$(FLAGS_LINE))
$(shell mkdir -p $(MBEDTLS_OUT)/obj && rm -f $(FLAGS_FILE))
endif
$(FLAGS_FILE):
	$(shell mkdir -p $(@D))$(file >$@,$(FLAGS_LINE))

$(MBEDTLS_OUT)/obj/%.o: $(LIB)/%.c $(FLAGS_FILE)
	@echo "  CC      mbedtls library/$*.c"
	$(Q)$(CC) $(MBEDTLS_CFLAGS) $(CPPFLAGS_MBEDTLS) -MMD -MP -c $< -o $@

-include $(wildcard $(MBEDTLS_OUT)/obj/*.d)
