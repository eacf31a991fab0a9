#!/usr/bin/env bash
# The static CLI (LIBC=musl) of each Linux gateway board: it must be a static
# ELF that needs no C library from the machine it runs on, and under its
# board's runner (qemu-user for ARM) it must write byte for byte the Parquet
# files and dead letters that the glibc host build writes from the same input
# (plain and zstd NDJSON, snappy and ZSTD pages, flat and hour-partitioned).
# The host's static CLI then runs the upload and agent suites
# (tests/integration/upload_test.sh, agent_test.sh): HTTPS with mbedTLS's
# chain and host name checks, a host name resolved by musl, a proxy, mutual
# TLS, and musl's threads and files under the agent.
#
# Usage: tests/boards/static_cli.sh [BOARD...]   (default: host linux-aarch64 linux-armhf)
# Needs: tools/bootstrap.sh musl npm (musl-dev for each board, qemu-user, and
# the suites' Node.js packages in build/npm), zstd.
# Ends with "N passed, N failed"; exit status 1 on any failure.
set -u
cd "$(dirname "$0")/../.." || exit 2
top=$(pwd)
ROWS=${ROWS:-20000}
SCHEMA=$top/tools/schemas/telemetry.json
HOST_FLOE=$top/build/host/floe
[ $# -eq 0 ] && set -- host linux-aarch64 linux-armhf

# shellcheck source=tests/boards/checks.sh
. "$top/tests/boards/checks.sh"

runner_of() { # board: the command that runs its programs here
  case "$1" in
    host) echo "" ;;
    linux-aarch64) echo "qemu-aarch64" ;;
    linux-armhf) echo "qemu-arm" ;;
    *) echo "unknown" ;;
  esac
}

# LIBC=gnu: a LIBC=musl from the make that runs this would send it to build/host-musl.
if ! make -s -C "$top" BOARD=host LIBC=gnu cli >"$tmp/build.log" 2>&1; then
  tail -20 "$tmp/build.log"
  bad "build of the glibc host CLI"
  finish
fi

# The glibc CLI is hardened the same way: PIE, and full RELRO (bound at start).
if readelf -hW "$HOST_FLOE" | grep -q 'Type: *DYN' && readelf -lW "$HOST_FLOE" | grep -q GNU_RELRO &&
   readelf -dW "$HOST_FLOE" | grep -q 'BIND_NOW'; then
  ok "host: the glibc CLI is position-independent with full RELRO"
else
  bad "host: the glibc CLI is not PIE with full RELRO: $(readelf -hW "$HOST_FLOE" | grep 'Type:'), $(readelf -dW "$HOST_FLOE" | grep -c BIND_NOW) BIND_NOW"
fi

python3 tools/gen_telemetry.py --rows "$ROWS" >"$tmp/t.ndjson"
python3 tools/gen_telemetry.py --rows 2000 --seed 7 --bad 40 >"$tmp/bad.ndjson"
# From 01:58 on 2025-01-01: the rows cross into the next hour.
python3 tools/gen_telemetry.py --rows "$ROWS" --seed 3 --start-ms 1735696680000 >"$tmp/hours.ndjson"
zstd -q -3 "$tmp/t.ndjson" -o "$tmp/t.ndjson.zst"

# What a convert left in DIR, as one stream: each file's path relative to DIR
# (time-ordered names replaced by their rank), then its bytes.
tree_bytes() {
  local dir=$1 f i=0
  (cd "$dir" && find . -type f | sort) | while read -r f; do
    case "$f" in
      *.parquet) printf '%s/file-%d\n' "$(dirname "$f")" "$i"; i=$((i + 1)) ;;
      *) printf '%s\n' "$f" ;;
    esac
    cat "$dir/$f"
  done
}

# same BOARD NAME INPUT [convert options...]
same() {
  local board=$1 name=$2 input=$3 run
  shift 3
  run=$(runner_of "$board")
  local ref=$tmp/ref-$name got=$tmp/$board-$name rc
  [ -d "$ref" ] || "$HOST_FLOE" convert --schema "$SCHEMA" -o "$ref" "$@" "$input" >/dev/null 2>&1
  # shellcheck disable=SC2086 # the runner is a command and its options
  $run "$top/build/$board-musl/floe" convert --schema "$SCHEMA" -o "$got" "$@" "$input" >"$tmp/$board-$name.log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ] && ! { [ "$rc" -eq 1 ] && [ -s "$got/dead-letters.ndjson" ]; }; then
    tail -5 "$tmp/$board-$name.log"
    bad "$board: $name: convert exited $rc"
    return
  fi
  local n dead=0
  n=$(find "$got" -name '*.parquet' | wc -l)
  [ -f "$got/dead-letters.ndjson" ] && dead=$(wc -l <"$got/dead-letters.ndjson")
  if [ "$n" -gt 0 ] && cmp -s <(tree_bytes "$ref") <(tree_bytes "$got"); then
    ok "$board: $name: $n Parquet file(s) and $dead dead letters byte-identical to the glibc host build's (${*:-defaults})"
  else
    diff <(cd "$ref" && find . -type f | sort) <(cd "$got" && find . -type f | sort) | head -5
    bad "$board: $name: output differs from the glibc host build's ($n files)"
  fi
}

# Two runs of a host program: where the kernel mapped its first page. They
# must differ (ASLR); the program reads stdin, held open for a moment.
first_page() {
  local pid a
  "$1" convert --schema "$SCHEMA" -o "$tmp/aslr" - < <(sleep 0.5) >/dev/null 2>&1 &
  pid=$!
  sleep 0.2
  a=$(head -1 "/proc/$pid/maps" 2>/dev/null | cut -d- -f1)
  wait "$pid" 2>/dev/null
  echo "${a:-none}"
}
aslr_check() {
  local a b
  a=$(first_page "$1")
  b=$(first_page "$1")
  if [ "$a" != none ] && [ "$a" != "$b" ]; then
    ok "host: the static CLI loads at a random address (0x$a, then 0x$b)"
  else
    bad "host: the static CLI loaded at 0x$a, then 0x$b (want two different addresses)"
  fi
}

for board in "$@"; do
  if [ "$(runner_of "$board")" = unknown ]; then
    bad "$board: no static (musl) build for this board"
    continue
  fi
  if ! make -s -C "$top" BOARD="$board" LIBC=musl cli >"$tmp/build-$board.log" 2>&1; then
    tail -20 "$tmp/build-$board.log"
    bad "$board: make BOARD=$board LIBC=musl cli"
    continue
  fi
  exe=$top/build/$board-musl/floe
  # No PT_INTERP (no dynamic loader) and no DT_NEEDED (no shared library).
  if readelf -lW "$exe" | grep -q INTERP || readelf -dW "$exe" 2>/dev/null | grep -q NEEDED; then
    readelf -dW "$exe" | grep NEEDED
    bad "$board: build/$board-musl/floe is not static"
  else
    ok "$board: build/$board-musl/floe is static ($(stat -c %s "$exe") bytes, no loader, no shared library)"
  fi
  # Position-independent (ELF type DYN): the kernel can place it anywhere.
  if readelf -hW "$exe" | grep -q 'Type: *DYN'; then
    ok "$board: build/$board-musl/floe is position-independent (static-pie)"
  else
    bad "$board: build/$board-musl/floe is not position-independent: $(readelf -hW "$exe" | grep 'Type:')"
  fi
  [ "$board" = host ] && aslr_check "$exe"
  same "$board" plain "$tmp/t.ndjson"
  same "$board" zst-zstd "$tmp/t.ndjson.zst" --codec zstd
  same "$board" hours "$tmp/hours.ndjson" --partition-by ts:hour --codec zstd
  same "$board" bad "$tmp/bad.ndjson"
  if [ "$board" = host ]; then
    for suite in upload_test agent_test; do
      if FLOE=$exe NODE_PATH=${NODE_PATH:-$top/build/npm/node_modules} bash "tests/integration/$suite.sh" \
          >"$tmp/$suite.log" 2>&1; then
        ok "host: tests/integration/$suite.sh with the static CLI: $(grep -E '^[0-9]+ passed' "$tmp/$suite.log" | tail -1)"
      else
        grep -E '^FAIL|FAILED' "$tmp/$suite.log" | head -10
        bad "host: tests/integration/$suite.sh with the static CLI: $(grep -E '^[0-9]+ passed' "$tmp/$suite.log" | tail -1)"
      fi
    done
  fi
done
finish
