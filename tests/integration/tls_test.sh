#!/usr/bin/env bash
# floe's TLS client against OpenSSL's s_server on 127.0.0.1 (a free port
# picked by the kernel): good certificates over TLS 1.3 and 1.2 with data
# round trips and session resumption, and every refusal with its reason
# (unknown CA, expired, wrong host name, TLS 1.0/1.1-only server, mutual TLS
# without or with a foreign client certificate, heap slice too small). Prints
# the mbedTLS heap peak of each case; the last line is "N passed, N failed".
#
# Builds what it needs first (libfloe.a, the mbedTLS archives and the POSIX
# port under $TLS_BUILDDIR, default build/tls-test, ASan+UBSan unless
# TLS_SANITIZE=0), then tests/tools/tls_client.c against them with cc.
# TLS_BOARD=linux-armhf or linux-aarch64 cross-builds the client and runs it
# under qemu-user (32/64-bit ARM heap numbers; no sanitizers there).
# Needs: openssl (Debian package openssl), make, cc.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
BOARD=${TLS_BOARD:-host}
case "$BOARD" in
  host)
    B=${TLS_BUILDDIR:-$TOP/build/tls-test}
    SANITIZE=${TLS_SANITIZE:-1}
    CC=${CC:-cc}
    BOARD_FLAGS=
    RUN= ;;
  linux-armhf)
    B=${TLS_BUILDDIR:-$TOP/build/tls-test-armhf}
    SANITIZE=0
    CC=arm-linux-gnueabihf-gcc
    BOARD_FLAGS="-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard -mthumb -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64"
    RUN="qemu-arm -L /usr/arm-linux-gnueabihf" ;;
  linux-aarch64)
    B=${TLS_BUILDDIR:-$TOP/build/tls-test-aarch64}
    SANITIZE=0
    CC=aarch64-linux-gnu-gcc
    BOARD_FLAGS="-march=armv8-a+crc"
    RUN="qemu-aarch64 -L /usr/aarch64-linux-gnu" ;;
  *)
    echo "tls_test: unknown TLS_BOARD '$BOARD'"
    echo "0 passed, 1 failed"
    exit 1 ;;
esac
pass=0
fail=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/floe-tls.XXXXXX")
SPID=
PORT=

cleanup() {
  if [ -n "$SPID" ]; then
    kill "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

summary() {
  echo "${pass} passed, ${fail} failed"
  [ "$fail" -eq 0 ]
  exit $?
}

if ! command -v openssl >/dev/null 2>&1; then
  echo "tls_test: openssl not found (Debian: apt-get install openssl)"
  fail=1
  summary
fi

# ---- build -----------------------------------------------------------------
SAN_FLAGS=
[ "$SANITIZE" = 1 ] && SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
echo "== building libfloe.a, mbedTLS and tls_client ($BOARD) in ${B#$TOP/}"
if ! make -s -j2 -C "$TOP" BOARD="$BOARD" BUILDDIR="$B" SANITIZE="$SANITIZE" lib \
    "$B/mbedtls/libmbedtls.a" "$B/obj/port/posix/floe_posix.o" >"$WORK/build.log" 2>&1; then
  tail -30 "$WORK/build.log"
  echo "tls_test: build failed"
  fail=1
  summary
fi
CLIENT=$B/tls_client
if ! $CC -std=gnu99 -Wall -Wextra -Werror -O2 -g $BOARD_FLAGS $SAN_FLAGS -I"$TOP/include" -I"$TOP/port/posix" \
    "$TOP/tests/tools/tls_client.c" "$B/obj/port/posix/floe_posix.o" "$B/libfloe.a" \
    "$B/mbedtls/libmbedtls.a" "$B/mbedtls/libmbedx509.a" "$B/mbedtls/libmbedcrypto.a" -lm \
    -o "$CLIENT" 2>"$WORK/cc.log"; then
  cat "$WORK/cc.log"
  echo "tls_test: tls_client did not build"
  fail=1
  summary
fi

# ---- certificates ------------------------------------------------------------
cd "$WORK"
gen() { "$@" >>"$WORK/openssl.log" 2>&1 || { echo "tls_test: failed: $*"; tail -5 "$WORK/openssl.log"; fail=1; summary; }; }

# The test CA, and a rogue one nobody trusts (same names, other key).
for ca in ca rogue; do
  gen openssl req -x509 -newkey rsa:2048 -nodes -keyout $ca.key -out $ca.pem -days 30 \
    -subj "/CN=floe test CA" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign
done
# csr NAME KEYTYPE EXT...
csr() {
  local name=$1 keyarg=$2
  shift 2
  gen openssl req -new -newkey "$keyarg" -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=localhost" "$@"
}
# sign NAME CA
sign() { gen openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 30 -copy_extensions copy -out "$1.pem"; }
SRV_EXT=(-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -addext extendedKeyUsage=serverAuth)
csr server rsa:2048 "${SRV_EXT[@]}" && sign server ca
csr server_ec ec -pkeyopt ec_paramgen_curve:P-256 "${SRV_EXT[@]}"
sign server_ec ca
csr server_rogue rsa:2048 "${SRV_EXT[@]}" && sign server_rogue rogue
csr client ec -pkeyopt ec_paramgen_curve:P-256 -addext extendedKeyUsage=clientAuth
sign client ca
csr client_rogue ec -pkeyopt ec_paramgen_curve:P-256 -addext extendedKeyUsage=clientAuth
sign client_rogue rogue
# Expired: valid during 2020 only, signed by the trusted CA (openssl ca sets
# past dates; x509 -days cannot).
csr expired rsa:2048 "${SRV_EXT[@]}"
mkdir -p cadb && : >cadb/index.txt && echo 01 >cadb/serial
cat >ca.cnf <<EOF
[ ca ]
default_ca = floe_test
[ floe_test ]
database = $WORK/cadb/index.txt
new_certs_dir = $WORK/cadb
serial = $WORK/cadb/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
EOF
gen openssl ca -batch -notext -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20210101000000Z
cd "$TOP"

# ---- servers -------------------------------------------------------------------
# start_server ARGS...: s_server on 127.0.0.1, port 0; sets SPID and PORT.
NSERVER=0
start_server() {
  local log i
  NSERVER=$((NSERVER + 1))
  log=$WORK/server.$NSERVER.log # fresh each time: never read an old server's port
  SLOG=$log
  PORT=
  : >"$log"
  openssl s_server -accept 127.0.0.1:0 -rev "$@" </dev/null >"$log" 2>&1 &
  SPID=$!
  for i in $(seq 1 200); do
    PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$log")
    [ -n "$PORT" ] && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.05
  done
  echo "    s_server did not start: $(head -c 400 "$log")"
  stop_server
  return 1
}
stop_server() {
  if [ -n "$SPID" ]; then
    kill "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
  fi
  SPID=
}

# check NAME ok|fail REGEX "SERVER ARGS" "CLIENT ARGS"
# ok: every connection succeeds; fail: the client reports a TLS failure.
# REGEX must match the client's output (stdout and its log on stderr).
check() {
  local name=$1 expect=$2 regex=$3 sargs=$4 cargs=$5 out rc peaks ok=1
  echo "== $name"
  # shellcheck disable=SC2086
  if ! start_server $sargs; then
    fail=$((fail + 1))
    return
  fi
  # shellcheck disable=SC2086
  out=$($RUN "$CLIENT" $cargs 127.0.0.1 "$PORT" 2>"$WORK/client.err")
  rc=$?
  stop_server
  if echo "$out" | grep -q 'reason="tcp connect"'; then
    echo "    server log:"
    sed 's/^/      /' "$SLOG" | head -20
  fi
  echo "$out" | sed 's/^/    /'
  sed 's/^/    stderr: /' "$WORK/client.err" | grep -v '^    stderr: $' | head -5
  if [ "$expect" = ok ]; then
    [ "$rc" -eq 0 ] && ! echo "$out" | grep -q '^fail' || ok=0
  else
    [ "$rc" -eq 1 ] && echo "$out" | tail -1 | grep -q '^fail' || ok=0
  fi
  { echo "$out"; cat "$WORK/client.err"; } | grep -Eq -- "$regex" || ok=0
  peaks=$(echo "$out" | sed -n 's/.*heap_peak=\([0-9]*\).*/\1/p' | tr '\n' ' ')
  echo "    heap peak (bytes, per connection): ${peaks:-none}"
  if [ "$ok" -eq 1 ]; then
    pass=$((pass + 1))
    echo "    PASS"
  else
    fail=$((fail + 1))
    echo "    FAIL (exit $rc; expected $expect matching: $regex)"
  fi
}

W=$WORK
GOOD="-cert $W/server.pem -key $W/server.key"
EC="-cert $W/server_ec.pem -key $W/server_ec.key"
MTLS="-Verify 1 -verify_return_error -CAfile $W/ca.pem"
TRUST="--ca $W/ca.pem"

# Good certificates: data round trip (8000 bytes: two 4 KiB records out) and
# the second connection resumes the first one's session.
check tls13_rsa ok 'ok tls=1\.3 .*resumed=1' "-tls1_3 $GOOD" "$TRUST --connections 2 --line-bytes 8000"
# The suite floe puts first for this CPU (the server follows the client's
# order): AES-128-GCM where AES and carry-less multiply are instructions,
# ChaCha20-Poly1305 where they are not (armhf).
case "$BOARD" in
  linux-armhf) first=CHACHA20-POLY1305 ;;
  linux-aarch64) first=AES-128-GCM ;; # qemu's default CPU has AES and PMULL
  *) if grep -qw aes /proc/cpuinfo && grep -qw pclmulqdq /proc/cpuinfo; then first=AES-128-GCM
     else first=CHACHA20-POLY1305; fi ;;
esac
check tls13_suite_for_this_cpu ok "ok tls=1\.3 suite=TLS1-3-$first-" "-tls1_3 $GOOD" "$TRUST"
check tls12_suite_for_this_cpu ok "ok tls=1\.2 suite=TLS-ECDHE-RSA-WITH-$first-" "-tls1_2 $GOOD" "$TRUST"
# AES-GCM chosen by the server, and a 16000-byte record in.
check tls13_aes_gcm_big_record ok 'ok tls=1\.3 suite=TLS1-3-AES-128-GCM-SHA256 .*echo=16001' \
  "-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 $GOOD" "$TRUST --line-bytes 16000"
check tls12_aes_gcm_big_record ok 'ok tls=1\.2 suite=TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384 .*echo=16001' \
  "-tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384 $GOOD" "$TRUST --line-bytes 16000"
# A transport that moves nothing on every other call and little otherwise:
# the handshake and records resume after WANT_READ/WANT_WRITE, queued records
# are flushed by the next call.
check choppy_transport_tls13 ok 'ok tls=1\.3 .*echo=16001' "-tls1_3 $GOOD" "$TRUST --choppy --line-bytes 16000"
check choppy_transport_tls12 ok 'ok tls=1\.2 .*resumed=1 echo=16001' "-tls1_2 $GOOD" \
  "$TRUST --choppy --line-bytes 16000 --connections 2"
check tls12_rsa ok 'ok tls=1\.2 suite=TLS-ECDHE-RSA.*resumed=1' "-tls1_2 $GOOD" "$TRUST --connections 2"
check tls13_ecdsa ok 'ok tls=1\.3 .*resumed=1' "-tls1_3 $EC" "$TRUST --connections 2"
check tls12_ecdsa ok 'ok tls=1\.2 suite=TLS-ECDHE-ECDSA' "-tls1_2 $EC" "$TRUST"
check ip_address_host ok 'ok tls=1\.3' "$GOOD" "$TRUST --name 127.0.0.1"
check ca_in_memory ok 'ok tls=1\.3' "$GOOD" "--ca-mem $W/ca.pem"
check tls12_only_client ok 'ok tls=1\.2' "$GOOD" "$TRUST --tls12"
check mtls_ok ok 'ok tls=1\.3' "$MTLS $GOOD" "$TRUST --cert $W/client.pem --key $W/client.key"
check mtls_ok_tls12 ok 'ok tls=1\.2' "-tls1_2 $MTLS $GOOD" "$TRUST --cert $W/client.pem --key $W/client.key"
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  # The test CA from memory plus the whole system bundle from the file.
  check system_bundle ok 'ok tls=1\.3' "$GOOD" "$TRUST --system-ca"
fi
check insecure_flag ok 'would have been refused: certificate not trusted' \
  "-cert $W/server_rogue.pem -key $W/server_rogue.key" "--insecure --connections 2"

# Refusals, each with its reason.
check untrusted_ca fail 'err=CERT reason="certificate not trusted \(unknown CA\)"' \
  "-cert $W/server_rogue.pem -key $W/server_rogue.key" "$TRUST"
check expired fail 'err=CERT reason="certificate expired"' "-cert $W/expired.pem -key $W/expired.key" "$TRUST"
check wrong_host fail 'err=CERT reason="host name mismatch"' "$GOOD" "$TRUST --name wrong.example"
check tls10_server fail 'err=TLS reason="peer does not support TLS 1\.2\+' \
  "-tls1 -cipher DEFAULT:@SECLEVEL=0 $GOOD" "$TRUST"
check tls11_server fail 'err=TLS reason="peer does not support TLS 1\.2\+' \
  "-tls1_1 -cipher DEFAULT:@SECLEVEL=0 $GOOD" "$TRUST"
check tls12_server_tls13_client fail 'err=TLS reason="peer does not support TLS 1\.3' "-tls1_2 $GOOD" "$TRUST --tls13"
check mtls_no_cert fail 'err=CERT reason="server requires a client certificate' "$MTLS $GOOD" "$TRUST"
check mtls_no_cert_tls12 fail 'err=TLS reason="server refused the handshake.*client certificate' \
  "-tls1_2 $MTLS $GOOD" "$TRUST"
check mtls_foreign_cert fail 'err=CERT reason="server rejected the client certificate \(alert unknown_ca\)"' \
  "$MTLS $GOOD" "$TRUST --cert $W/client_rogue.pem --key $W/client_rogue.key"
check heap_too_small fail 'err=NOMEM reason=".*heap slice exhausted' "$GOOD" "$TRUST --heap 40960"

summary
