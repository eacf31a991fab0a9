#!/usr/bin/env bash
# floe's SigV4 signer against the AWS SDK's own (npm @smithy/signature-v4):
# the same canonical request, string to sign and signature for a table of
# S3 requests with odd keys and for seeded random ones.
set -euo pipefail
cd "$(dirname "$0")/../.."
LIBDIR=${LIBDIR:-$(dirname "${FLOE:-build/host/floe}")}
SAN=""
case "$LIBDIR" in *-san) SAN="-fsanitize=address,undefined" ;; esac
tool=$LIBDIR/sigv4_tool
cc -std=gnu99 -O1 $SAN -Iinclude -Isrc tests/tools/sigv4_tool.c "$LIBDIR/libfloe.a" -o "$tool"
FLOE_SIGV4_TOOL=$tool node tests/integration/sigv4_check.mjs
