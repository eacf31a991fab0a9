#!/usr/bin/env bash
# floe vs DuckDB, side by side in one run, on the same generated telemetry.
# Prints each figure and the ratios (a benchmark, not a test: it never fails
# on a number). Usage: tools/bench/run.sh [ROWS]   (default 2000000, ~431 MB)
#   BENCH_DIR=/tmp/floe-bench  where the data and outputs go (kept for reuse)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-${ROWS:-2000000}}
DIR=${BENCH_DIR:-/tmp/floe-bench}
REPEATS=${REPEATS:-3}
SCHEMA=tools/schemas/telemetry.json
mkdir -p "$DIR"
tools/bootstrap.sh host npm bench >&2
make -s -j2 BOARD=host cli >&2
FLOE=build/host/floe
export NODE_PATH=$PWD/build/npm/node_modules

data=$DIR/telemetry-$ROWS.ndjson
if [ ! -s "$data" ]; then
  echo "generating $ROWS rows..." >&2
  python3 ../shared/bench/gen_telemetry.py --rows "$ROWS" --seed 42 > "$data.tmp" && mv "$data.tmp" "$data"
fi
[ -s "$data.zst" ] || zstd -q -3 -f "$data" -o "$data.zst"
in_bytes=$(stat -c %s "$data")

best() { # best wall time of REPEATS runs; echoes the run's line ("seconds rss_kb ...")
  local b="" r
  for _ in $(seq "$REPEATS"); do
    rm -rf "$DIR/out"
    r=$("$@") || return 1
    if [ -z "$b" ] || awk -v a="${r%% *}" -v c="${b%% *}" 'BEGIN{exit !(a<c)}'; then b=$r; fi
  done
  echo "$b"
}

floe_runf() { # prints "seconds maxrss_kb" of one run
  /usr/bin/time -o "$DIR/time.txt" -f '%e %M' "$FLOE" convert --schema "$SCHEMA" --codec "$CODEC" -o "$DIR/out" "$1" \
    > /dev/null 2> "$DIR/floe.err" || { cat "$DIR/floe.err" >&2; return 1; }
  tail -1 "$DIR/time.txt"
}
duck_runf() { # prints "seconds maxrss_kb query_seconds" (the query alone: no Node.js or DuckDB start-up)
  /usr/bin/time -o "$DIR/time.txt" -f '%e %M' node ../shared/bench/duck_convert.mjs "$1" "$DIR/duck.parquet" \
    --threads 1 --codec "$CODEC" > "$DIR/duck.json" 2> "$DIR/duck.err" || { cat "$DIR/duck.err" >&2; return 1; }
  echo "$(tail -1 "$DIR/time.txt") $(sed -n 's/.*"query_s":\([0-9.e-]*\).*/\1/p' "$DIR/duck.json")"
}

report() { # name input floe_result duck_result
  local name=$1 input=$2 f=$3 d=$4
  local fs=${f% *} fr=${f#* } ds dr dq
  read -r ds dr dq <<<"$d"
  local fout dout
  rm -rf "$DIR/out"; "$FLOE" convert --schema "$SCHEMA" --codec "$CODEC" -o "$DIR/out" "$input" >/dev/null 2>&1
  fout=$(du -cb "$DIR"/out/*.parquet | tail -1 | cut -f1)
  node ../shared/bench/duck_convert.mjs "$input" "$DIR/duck.parquet" --threads 1 --codec "$CODEC" >/dev/null
  dout=$(stat -c %s "$DIR/duck.parquet")
  awk -v n="$name" -v ib="$in_bytes" -v fs="$fs" -v ds="$ds" -v dq="$dq" -v fr="$fr" -v dr="$dr" -v fo="$fout" -v dz="$dout" 'BEGIN{
    printf "%-22s floe %7.1f MB/s %7.1f MiB RSS %8.1f MB out | DuckDB %7.1f MB/s (query alone %7.1f) %7.1f MiB RSS %8.1f MB out\n",
      n, ib/1e6/fs, fr/1024, fo/1e6, ib/1e6/ds, ib/1e6/dq, dr/1024, dz/1e6;
    printf "%-22s speed %.2fx DuckDB, %.2fx its query alone (target >= 1.5x), size %.2fx (target <= 0.8x), RSS 1/%.0f of DuckDB (target >= 1/50)\n",
      "", ds/fs, dq/fs, fo/dz, dr/fr;
    printf "{\"case\":\"%s\",\"codec\":\"'"$CODEC"'\",\"rows\":%d,\"input_bytes\":%d,\"floe_s\":%s,\"duck_s\":%s,\"duck_query_s\":%s,\"floe_rss_kb\":%d,\"duck_rss_kb\":%d,\"floe_bytes\":%d,\"duck_bytes\":%d,\"speed_ratio\":%.3f,\"size_ratio\":%.3f,\"rss_ratio\":%.4f}\n",
      n, '"$ROWS"', ib, fs, ds, dq, fr, dr, fo, dz, ds/fs, fo/dz, fr/dr > "/dev/stderr" }'
}

CODEC=snappy
echo "== convert: $ROWS rows, $((in_bytes / 1000000)) MB of NDJSON, single thread, snappy, best of $REPEATS (whole-process wall time)"
f=$(best floe_runf "$data"); d=$(best duck_runf "$data")
report "plain NDJSON" "$data" "$f" "$d"
f=$(best floe_runf "$data.zst"); d=$(best duck_runf "$data.zst")
report "zstd NDJSON" "$data.zst" "$f" "$d"
"$FLOE" convert --json --schema "$SCHEMA" -o "$DIR/out" "$data" 2>/dev/null | sed 's/^/floe convert summary: /'

# ZSTD pages, both at zstd's default level 3 (DuckDB's default too).
CODEC=zstd
echo "== convert, zstd pages: $ROWS rows, single thread, best of $REPEATS"
f=$(best floe_runf "$data"); d=$(best duck_runf "$data")
report "plain NDJSON, zstd" "$data" "$f" "$d"

echo "== decode only (tokens + strict validation + typed values) vs jsmn tokenizing the same lines"
cc -O2 -std=gnu99 -Iinclude -Isrc -isystem build/deps/jsmn -isystem build/deps/zstd/lib \
  tools/bench/decode_bench.c build/host/libfloe.a -o "$DIR/decode_bench"
"$DIR/decode_bench" "$SCHEMA" "$data" 3
"$DIR/decode_bench" "$SCHEMA" "$data.zst" 3
