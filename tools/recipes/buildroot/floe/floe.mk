################################################################################
#
# floe
#
################################################################################

# A release tag or commit of floe's git repository (BR2_PACKAGE_FLOE_GIT_URL).
# To build a local checkout instead, set FLOE_OVERRIDE_SRCDIR in local.mk.
FLOE_VERSION = 0.1.0
FLOE_SITE = $(call qstrip,$(BR2_PACKAGE_FLOE_GIT_URL))
FLOE_SITE_METHOD = git
# A checkout's build/ holds other builds and fetched sources: not copied.
FLOE_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude build
FLOE_LICENSE = Apache-2.0 or GPL-2.0+ (mbedTLS), BSD-3-Clause or GPL-2.0 (zstd), MIT (jsmn)
FLOE_INSTALL_STAGING = YES

# floe builds its third-party code itself, with its own configuration (mbedTLS
# with floe_mbedtls_config.h, zstd's single-file decoder with no allocator):
# the same pinned source tarballs as tools/fetch-deps.sh, fetched and checked
# by Buildroot (floe.hash) and handed over with ZSTD_SRC/JSMN_SRC/MBEDTLS_SRC,
# so floe's own build downloads nothing.
FLOE_MBEDTLS_TARBALL = mbedtls_3.6.6.orig.tar.bz2
FLOE_ZSTD_TARBALL = libzstd_1.5.7+dfsg.orig.tar.xz
FLOE_JSMN_TARBALL = jsmn_1.1.0.orig.tar.gz
FLOE_EXTRA_DOWNLOADS = \
	http://deb.debian.org/debian/pool/main/m/mbedtls/$(FLOE_MBEDTLS_TARBALL) \
	http://deb.debian.org/debian/pool/main/libz/libzstd/$(FLOE_ZSTD_TARBALL) \
	http://deb.debian.org/debian/pool/main/j/jsmn/$(FLOE_JSMN_TARBALL)

FLOE_DEPS = $(@D)/br-deps

define FLOE_EXTRACT_THIRD_PARTY
	mkdir -p $(FLOE_DEPS)/mbedtls $(FLOE_DEPS)/zstd $(FLOE_DEPS)/jsmn
	$(call suitable-extractor,$(FLOE_MBEDTLS_TARBALL)) $(FLOE_DL_DIR)/$(FLOE_MBEDTLS_TARBALL) | \
		$(TAR) --strip-components=1 -C $(FLOE_DEPS)/mbedtls $(TAR_OPTIONS) -
	$(call suitable-extractor,$(FLOE_ZSTD_TARBALL)) $(FLOE_DL_DIR)/$(FLOE_ZSTD_TARBALL) | \
		$(TAR) --strip-components=1 -C $(FLOE_DEPS)/zstd $(TAR_OPTIONS) -
	$(call suitable-extractor,$(FLOE_JSMN_TARBALL)) $(FLOE_DL_DIR)/$(FLOE_JSMN_TARBALL) | \
		$(TAR) --strip-components=1 -C $(FLOE_DEPS)/jsmn $(TAR_OPTIONS) -
endef
FLOE_POST_EXTRACT_HOOKS += FLOE_EXTRACT_THIRD_PARTY

# BOARD=host means "no board flags": the CPU flags come from Buildroot's
# toolchain (wrapper and TARGET_CFLAGS). CC/AR/CROSS_COMPILE pick the cross
# tools; PREFIX/LIBDIR are where floe.pc will say the files are.
FLOE_MAKE_OPTS = \
	BOARD=host \
	CROSS_COMPILE="$(TARGET_CROSS)" \
	CC="$(TARGET_CC)" \
	AR="$(TARGET_AR)" \
	NM="$(TARGET_NM)" \
	CFLAGS="$(TARGET_CFLAGS)" \
	LDFLAGS="$(TARGET_LDFLAGS)" \
	BUILDDIR=$(@D)/build/buildroot \
	PREFIX=/usr

# An overridden source dir skips the download and extract steps (and so the
# extra downloads): floe's own build then fetches the pinned tarballs itself
# (tools/fetch-deps.sh, on a Debian build host with network).
ifeq ($(FLOE_OVERRIDE_SRCDIR),)
FLOE_MAKE_OPTS += \
	ZSTD_SRC=$(FLOE_DEPS)/zstd \
	JSMN_SRC=$(FLOE_DEPS)/jsmn \
	MBEDTLS_SRC=$(FLOE_DEPS)/mbedtls
endif

define FLOE_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) $(FLOE_MAKE_OPTS) lib cli nm-check
endef

# Staging: libfloe.a, libfloe_mbedtls.a & co., include/floe, floe.pc.
define FLOE_INSTALL_STAGING_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) $(FLOE_MAKE_OPTS) DESTDIR=$(STAGING_DIR) install
endef

# Target: the floe tool only (the library is static).
define FLOE_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(@D)/build/buildroot/floe $(TARGET_DIR)/usr/bin/floe
endef

$(eval $(generic-package))
