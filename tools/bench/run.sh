#!/usr/bin/env bash
# floe vs DuckDB, side by side in one run, on the same generated telemetry.
# Prints each figure and the ratios (a benchmark, not a test: it never fails
# on a number). Usage: tools/bench/run.sh [ROWS]   (default 2000000, ~431 MB)
#   BENCH_DIR=/tmp/floe-bench  where the data and outputs go (kept for reuse)
#   PGO=1 (default)  floe is the profile-guided build (make pgo); the plain
#                    -O2 build is timed beside it in the first case. PGO=0:
#                    the plain build only.
#   STATIC=1 (default)  the static build (LIBC=musl, profile-guided with PGO=1)
#                    is timed beside it too, snappy and ZSTD pages: what a
#                    gateway runs when it takes the one-file CLI. STATIC=0: not.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-${ROWS:-2000000}}
DIR=${BENCH_DIR:-/tmp/floe-bench}
REPEATS=${REPEATS:-5}
FLOE_ARGS=""
SCHEMA=tools/schemas/telemetry.json
mkdir -p "$DIR"
tools/bootstrap.sh host npm bench >&2
PGO=${PGO:-1}
make -s -j2 BOARD=host LIBC=gnu cli >&2
FLOE=build/host/floe
PLAIN=""
if [ "$PGO" = 1 ]; then
  make -s pgo LIBC=gnu >&2
  FLOE=build/host-pgo/floe
  PLAIN=build/host/floe
fi
STATIC_BIN=""
if [ "${STATIC:-1}" = 1 ]; then
  tools/bootstrap.sh musl >&2
  if [ "$PGO" = 1 ]; then
    make -s pgo LIBC=musl >&2
    STATIC_BIN=build/host-musl-pgo/floe
  else
    make -s -j2 BOARD=host LIBC=musl cli >&2
    STATIC_BIN=build/host-musl/floe
  fi
fi
export NODE_PATH=$PWD/build/npm/node_modules

data=$DIR/telemetry-$ROWS.ndjson
if [ ! -s "$data" ]; then
  echo "generating $ROWS rows..." >&2
  python3 ../shared/bench/gen_telemetry.py --rows "$ROWS" --seed 42 > "$data.tmp" && mv "$data.tmp" "$data"
fi
[ -s "$data.zst" ] || zstd -q -3 -f "$data" -o "$data.zst"
in_bytes=$(stat -c %s "$data")

# floe and DuckDB take turns (floe, DuckDB, floe, ...), so a slow minute on a
# shared machine slows both sides rather than one; each keeps its best run.
# Other floe binaries named in the second argument ("plain", "static") take
# their turns too, best kept in P and S.
faster() { [ -z "$2" ] || awk -v a="${1%% *}" -v c="${2%% *}" 'BEGIN{exit !(a<c)}'; }
pair() { # input [extras]; sets F and D (and P, S) to the best "wall_s rss_kb cpu_s" lines of each
  local r i
  F=""; D=""; P=""; S=""
  for i in $(seq "$REPEATS"); do
    r=$(floe_runf "$1") || return 1
    if faster "$r" "$F"; then F=$r; fi
    r=$(duck_runf "$1") || return 1
    if faster "$r" "$D"; then D=$r; fi
    if [[ " ${2:-} " == *" plain "* ]] && [ -n "$PLAIN" ]; then
      r=$(floe_runf "$1" "$PLAIN") || return 1
      if faster "$r" "$P"; then P=$r; fi
    fi
    if [[ " ${2:-} " == *" static "* ]] && [ -n "$STATIC_BIN" ]; then
      r=$(floe_runf "$1" "$STATIC_BIN") || return 1
      if faster "$r" "$S"; then S=$r; fi
    fi
  done
}

static_report() { # name input: the static build's best run (S) beside DuckDB's (D)
  [ -n "$STATIC_BIN" ] && [ -n "$S" ] || return 0
  local ss sr sc ds dr dc same=no
  read -r ss sr sc <<<"$S"
  read -r ds dr dc _ <<<"$D"
  # shellcheck disable=SC2086 # FLOE_ARGS: options, split on purpose
  rm -rf "$DIR/out"; "$FLOE" convert --schema "$SCHEMA" --codec "$CODEC" $FLOE_ARGS -o "$DIR/out" "$2" >/dev/null 2>&1
  cat "$DIR"/out/*.parquet > "$DIR/dyn.parquet"
  # shellcheck disable=SC2086
  rm -rf "$DIR/out"; "$STATIC_BIN" convert --schema "$SCHEMA" --codec "$CODEC" $FLOE_ARGS -o "$DIR/out" "$2" >/dev/null 2>&1
  cat "$DIR"/out/*.parquet | cmp -s "$DIR/dyn.parquet" - && same=yes
  awk -v ib="$in_bytes" -v ss="$ss" -v sr="$sr" -v sc="$sc" -v ds="$ds" -v dr="$dr" -v dc="$dc" -v same="$same" 'BEGIN{
    printf "%-22s floe static (LIBC=musl): %7.1f MB/s, %.2fx DuckDB (CPU %.2fx), %5.1f MiB RSS, 1/%.0f of DuckDB'"'"'s; its file byte-identical: %s\n",
      "", ib/1e6/ss, ds/ss, dc/sc, sr/1024, dr/sr, same }'
  printf '{"case":"%s, static","codec":"%s","floe_s":%s,"floe_cpu_s":%s,"floe_rss_kb":%d,"duck_rss_kb":%d,"speed_ratio":%.3f,"rss_ratio":%.4f,"same_file":"%s"}\n' \
    "$1" "$CODEC" "$ss" "$sc" "$sr" "$dr" "$(awk -v a="$ds" -v b="$ss" 'BEGIN{print a/b}')" "$(awk -v a="$sr" -v b="$dr" 'BEGIN{print a/b}')" "$same" >&2
}

floe_runf() { # input [binary]; prints "seconds maxrss_kb cpu_seconds" of one run
  rm -rf "$DIR/out"
  # shellcheck disable=SC2086 # FLOE_ARGS: options, split on purpose
  /usr/bin/time -o "$DIR/time.txt" -f '%e %M %U %S' "${2:-$FLOE}" convert --schema "$SCHEMA" --codec "$CODEC" $FLOE_ARGS -o "$DIR/out" "$1" \
    > /dev/null 2> "$DIR/floe.err" || { cat "$DIR/floe.err" >&2; return 1; }
  tail -1 "$DIR/time.txt" | awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}'
}
duck_runf() { # prints "seconds maxrss_kb cpu_seconds query_seconds" (the query alone: no Node.js or DuckDB start-up)
  /usr/bin/time -o "$DIR/time.txt" -f '%e %M %U %S' node ../shared/bench/duck_convert.mjs "$1" "$DIR/duck.parquet" \
    --threads 1 --codec "$CODEC" > "$DIR/duck.json" 2> "$DIR/duck.err" || { cat "$DIR/duck.err" >&2; return 1; }
  echo "$(tail -1 "$DIR/time.txt" | awk '{printf "%s %s %.2f", $1, $2, $3 + $4}') $(sed -n 's/.*"query_s":\([0-9.e-]*\).*/\1/p' "$DIR/duck.json")"
}

report() { # name input floe_result duck_result
  local name=$1 input=$2 fs fr fc ds dr dc dq fout dout
  read -r fs fr fc <<<"$3"
  read -r ds dr dc dq <<<"$4"
  # shellcheck disable=SC2086
  rm -rf "$DIR/out"; "$FLOE" convert --schema "$SCHEMA" --codec "$CODEC" $FLOE_ARGS -o "$DIR/out" "$input" >/dev/null 2>&1
  fout=$(du -cb "$DIR"/out/*.parquet | tail -1 | cut -f1)
  node ../shared/bench/duck_convert.mjs "$input" "$DIR/duck.parquet" --threads 1 --codec "$CODEC" >/dev/null
  dout=$(stat -c %s "$DIR/duck.parquet")
  awk -v n="$name" -v ib="$in_bytes" -v fs="$fs" -v ds="$ds" -v dq="$dq" -v fc="$fc" -v dc="$dc" -v fr="$fr" -v dr="$dr" -v fo="$fout" -v dz="$dout" 'BEGIN{
    printf "%-22s floe %7.1f MB/s %7.1f MiB RSS %8.1f MB out | DuckDB %7.1f MB/s (query alone %7.1f) %7.1f MiB RSS %8.1f MB out\n",
      n, ib/1e6/fs, fr/1024, fo/1e6, ib/1e6/ds, ib/1e6/dq, dr/1024, dz/1e6;
    printf "%-22s speed %.2fx DuckDB, %.2fx its query alone (target >= 1.5x), size %.2fx (target <= 0.8x), RSS 1/%.0f of DuckDB (target >= 1/50)\n",
      "", ds/fs, dq/fs, fo/dz, dr/fr;
    printf "%-22s CPU seconds (user + system, same runs): floe %.2f, DuckDB %.2f, %.2fx\n", "", fc, dc, dc/fc;
    printf "{\"case\":\"%s\",\"codec\":\"'"$CODEC"'\",\"rows\":%d,\"input_bytes\":%d,\"floe_s\":%s,\"duck_s\":%s,\"duck_query_s\":%s,\"floe_cpu_s\":%s,\"duck_cpu_s\":%s,\"floe_rss_kb\":%d,\"duck_rss_kb\":%d,\"floe_bytes\":%d,\"duck_bytes\":%d,\"speed_ratio\":%.3f,\"cpu_ratio\":%.3f,\"size_ratio\":%.3f,\"rss_ratio\":%.4f}\n",
      n, '"$ROWS"', ib, fs, ds, dq, fc, dc, fr, dr, fo, dz, ds/fs, dc/fc, fo/dz, fr/dr > "/dev/stderr" }'
}

CODEC=snappy
echo "== convert: $ROWS rows, $((in_bytes / 1000000)) MB of NDJSON, single thread, snappy, best of $REPEATS, runs alternating with DuckDB's (whole-process wall time)"
pair "$data" "plain static"
report "plain NDJSON" "$data" "$F" "$D"
if [ -n "$PLAIN" ]; then
  cat "$DIR"/out/*.parquet > "$DIR/pgo.parquet" # names are time-ordered: both runs list alike
  rm -rf "$DIR/out"; "$PLAIN" convert --schema "$SCHEMA" -o "$DIR/out" "$data" >/dev/null 2>&1
  same=no; cat "$DIR"/out/*.parquet | cmp -s "$DIR/pgo.parquet" - && same=yes
  read -r ps _ pc <<<"$P"
  read -r ds _ dc _ <<<"$D"
  awk -v ib="$in_bytes" -v ps="$ps" -v pc="$pc" -v ds="$ds" -v dc="$dc" -v same="$same" 'BEGIN{
    printf "%-22s floe without profile feedback (make cli): %7.1f MB/s, %.2fx DuckDB (CPU %.2fx); its file byte-identical to the PGO build'"'"'s: %s\n",
      "", ib/1e6/ps, ds/ps, dc/pc, same }'
  printf '{"case":"plain NDJSON, no PGO","floe_s":%s,"floe_cpu_s":%s,"same_file":"%s"}\n' "$ps" "$pc" "$same" >&2
fi
static_report "plain NDJSON" "$data"
pair "$data.zst"
report "zstd NDJSON" "$data.zst" "$F" "$D"
"$FLOE" convert --json --schema "$SCHEMA" -o "$DIR/out" "$data" 2>/dev/null | sed 's/^/floe convert summary: /'

# ZSTD pages, both at zstd's default level 3 (DuckDB's default too).
CODEC=zstd
echo "== convert, zstd pages: $ROWS rows, single thread, best of $REPEATS"
pair "$data" static
report "plain NDJSON, zstd" "$data" "$F" "$D"
static_report "plain NDJSON, zstd" "$data"

# Rows grouped by device in the default window (512 KiB, convert --sort-by),
# then in one of 1 MiB: DuckDB writes the rows in arrival order, as above;
# floe's memory includes the window.
for FLOE_ARGS in "--sort-by device_id" "--sort-by device_id --sort-window-bytes 1M"; do
  for CODEC in snappy zstd; do
    echo "== convert $FLOE_ARGS, $CODEC pages: $ROWS rows, single thread, best of $REPEATS"
    pair "$data" static
    report "sorted, $CODEC" "$data" "$F" "$D"
    static_report "sorted, $CODEC" "$data"
  done
done
FLOE_ARGS=""

echo "== decode only (tokens + strict validation + typed values) vs jsmn tokenizing the same lines"
cc -O2 -std=gnu99 -Iinclude -Isrc -isystem build/deps/jsmn -isystem build/deps/zstd/lib \
  tools/bench/decode_bench.c build/host/libfloe.a -o "$DIR/decode_bench"
"$DIR/decode_bench" "$SCHEMA" "$data" 3
"$DIR/decode_bench" "$SCHEMA" "$data.zst" 3
