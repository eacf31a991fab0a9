SUMMARY = "floe: NDJSON telemetry to Parquet in S3-compatible storage, in fixed memory"
DESCRIPTION = "A C99 static library (libfloe.a, no heap) and the floe tool: NDJSON \
(plain or zstd) to Parquet files, spooled and uploaded to S3 with SigV4 over mbedTLS."
SECTION = "libs"

# floe itself has no license file yet: set LICENSE and LIC_FILES_CHKSUM for it
# when it does. Built into it: mbedTLS (Apache-2.0 | GPL-2.0-or-later), zstd's
# decoder (BSD-3-Clause | GPL-2.0-only), jsmn (MIT).
LICENSE = "CLOSED"

# floe's git repository: set FLOE_GIT_URI (and SRCREV) in your layer or
# local.conf. For a local checkout: inherit externalsrc and set
# EXTERNALSRC:pn-floe = "/path/to/floe" (the third-party tarballs below are
# still fetched and checked by bitbake).
FLOE_GIT_URI ?= "git://localhost/floe.git;protocol=file;branch=main"
SRCREV ?= "${AUTOREV}"

# floe builds its third-party code with its own configuration (mbedTLS with
# floe_mbedtls_config.h, zstd's single-file decoder with no allocator), from
# the same pinned Debian orig tarballs as tools/fetch-deps.sh; they are passed
# with ZSTD_SRC / JSMN_SRC / MBEDTLS_SRC, so floe's build downloads nothing.
SRC_URI = "${FLOE_GIT_URI} \
    ${DEBIAN_MIRROR}/main/m/mbedtls/mbedtls_3.6.6.orig.tar.bz2;name=mbedtls;subdir=floe-deps \
    ${DEBIAN_MIRROR}/main/libz/libzstd/libzstd_1.5.7+dfsg.orig.tar.xz;name=zstd;subdir=floe-deps \
    ${DEBIAN_MIRROR}/main/j/jsmn/jsmn_1.1.0.orig.tar.gz;name=jsmn;subdir=floe-deps \
"
SRC_URI[mbedtls.sha256sum] = "8fb65fae8dcae5840f793c0a334860a411f884cc537ea290ce1c52bb64ca007a"
SRC_URI[zstd.sha256sum] = "0c092ef267edce57ba7f3f2645c861f72eaf5e76273c6c3632869423464b90a5"
SRC_URI[jsmn.sha256sum] = "5f0913a10657fe7ec8d5794ccf00a01000e3e1f2f1e1f143c34a0f7b47edcb38"

# Paths as in kirkstone..scarthgap; newer releases unpack into ${UNPACKDIR}.
S = "${WORKDIR}/git"
B = "${WORKDIR}/build"
FLOE_DEPS = "${WORKDIR}/floe-deps"

# BOARD=host means "no board flags": the CPU flags come from the SDK's CC.
EXTRA_OEMAKE = " \
    -C ${S} \
    BOARD=host \
    CROSS_COMPILE=${TARGET_PREFIX} \
    CC='${CC}' \
    AR='${AR}' \
    NM='${NM}' \
    CFLAGS='${CFLAGS}' \
    LDFLAGS='${LDFLAGS}' \
    BUILDDIR=${B} \
    ZSTD_SRC=${FLOE_DEPS}/zstd-1.5.7 \
    JSMN_SRC=${FLOE_DEPS}/jsmn-1.1.0 \
    MBEDTLS_SRC=${FLOE_DEPS}/mbedtls-3.6.6 \
    PREFIX=${prefix} \
    LIBDIR=${libdir} \
    INCLUDEDIR=${includedir} \
"

do_compile() {
    oe_runmake lib cli nm-check
}

# libfloe.a, libfloe_mbedtls.a/libfloe_mbedx509.a/libfloe_mbedcrypto.a, the
# headers and floe.pc (-staticdev and -dev), and the floe tool.
do_install() {
    oe_runmake DESTDIR=${D} install
    install -d ${D}${bindir}
    install -m 0755 ${B}/floe ${D}${bindir}/floe
}
