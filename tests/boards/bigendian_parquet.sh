#!/usr/bin/env bash
# Big-endian round trip: the s390x build of the floe CLI, under qemu-s390x,
# converts generated telemetry (plain and zstd, flat and hour-partitioned);
# DuckDB on the host reads its Parquet back and must find
#   - the same whole table as the NDJSON input (tests/integration/compare.mjs),
#   - the same row count, aggregates and row hash as the x86 build's output of
#     the same input,
# and the dead-letter files of both builds must be byte-identical.
#
# Usage: tests/boards/bigendian_parquet.sh          (ROWS=20000 by default)
# Needs: boards/linux-s390x (tools/bootstrap.sh bigendian), zstd, node with
# @duckdb/node-api and hyparquet in NODE_PATH (tools/bootstrap.sh npm).
# Ends with "N passed, N failed"; exit status 1 on any failure.
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
ROWS=${ROWS:-20000}
export NODE_PATH=${NODE_PATH:-$top/build/npm/node_modules}
HOST_FLOE=${HOST_FLOE:-$top/build/host/floe}
BE_FLOE=$top/build/linux-s390x/floe
BE_RUN=${BE_RUN:-qemu-s390x -L /usr/s390x-linux-gnu}
SCHEMA=$top/tools/schemas/telemetry.json

# shellcheck source=tests/boards/checks.sh
. "$top/tests/boards/checks.sh"

# ---- builds ------------------------------------------------------------------
if make -s -C "$top" BOARD=host cli >"$tmp/build.log" 2>&1 &&
   make -s -C "$top" BOARD=linux-s390x cli >>"$tmp/build.log" 2>&1; then
  ok "built the host and linux-s390x CLIs"
else
  tail -20 "$tmp/build.log"
  bad "build"
  finish
fi
# ELF header byte 5 (EI_DATA): 2 is big-endian.
if [ "$(od -An -tu1 -j5 -N1 "$BE_FLOE" | tr -d ' ')" = 2 ]; then
  ok "build/linux-s390x/floe is a big-endian ELF"
else
  bad "build/linux-s390x/floe is not big-endian"
fi
if [ ! -d "$NODE_PATH/@duckdb/node-api" ]; then
  bad "@duckdb/node-api not in NODE_PATH=$NODE_PATH (tools/bootstrap.sh npm)"
  finish
fi

# ---- inputs ------------------------------------------------------------------
python3 tools/gen_telemetry.py --rows "$ROWS" >"$tmp/t.ndjson"
python3 tools/gen_telemetry.py --rows 2000 --seed 7 --bad 40 >"$tmp/bad.ndjson"
zstd -q -3 "$tmp/t.ndjson" -o "$tmp/t.ndjson.zst"

# Row count, aggregates and an order-independent hash of every row, as JSON.
cat >"$tmp/agg.mjs" <<'EOF'
import { createRequire } from 'node:module';
import path from 'node:path';
const base = (process.env.NODE_PATH || '').split(path.delimiter)[0];
const req = createRequire(path.join(base, 'x.js'));
const duck = req('@duckdb/node-api');
const glob = process.argv[2].replace(/'/g, "''");
const inst = await duck.DuckDBInstance.create(':memory:');
const con = await inst.connect();
const sql = `SELECT count(*) AS n, count(DISTINCT device_id) AS devices, sum(seq) AS seq_sum,
  min(ts)::VARCHAR AS ts_min, max(ts)::VARCHAR AS ts_max,
  round(sum(temp_c), 6) AS temp_sum, round(sum(humidity), 6) AS hum_sum,
  round(sum(battery_v), 6) AS batt_sum, sum(rssi) AS rssi_sum, count(status) AS status_n,
  sum(ok::INT) AS ok_sum, count(fw) AS fw_n, count("tags.site") AS site_n,
  count("tags.line") AS line_n, sum(length(_extra)) AS extra_len,
  sum(hash(t)::HUGEINT) AS row_hash
  FROM read_parquet('${glob}', union_by_name = true) t`;
const reader = await con.runAndReadAll(sql);
const cols = reader.columnNames();
const row = reader.getRows()[0];
const out = {};
cols.forEach((c, i) => { out[c] = row[i] === null ? null : String(row[i]); });
console.log(JSON.stringify(out));
EOF

agg() { node "$tmp/agg.mjs" "$1" 2>&1; }

# convert NAME INPUT [floe convert options...]: both builds, then the checks.
convert() {
  local name=$1 input=$2
  shift 2
  local le=$tmp/le-$name be=$tmp/be-$name glob rc
  # Exit status 1 (EXIT_BAD_INPUT) is expected when there are dead letters.
  "$HOST_FLOE" convert --schema "$SCHEMA" -o "$le" "$@" "$input" >"$tmp/$name-le.log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ] && ! { [ "$rc" -eq 1 ] && [ -s "$le/dead-letters.ndjson" ]; }; then
    cat "$tmp/$name-le.log"
    bad "$name: x86 convert (exit $rc)"
    return
  fi
  $BE_RUN "$BE_FLOE" convert --schema "$SCHEMA" -o "$be" "$@" "$input" >"$tmp/$name-be.log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ] && ! { [ "$rc" -eq 1 ] && [ -s "$be/dead-letters.ndjson" ]; }; then
    cat "$tmp/$name-be.log"
    bad "$name: s390x convert (exit $rc)"
    return
  fi
  ok "$name: converted by x86 and by s390x under qemu ($*)"
  if [ -f "$le/dead-letters.ndjson" ] || [ -f "$be/dead-letters.ndjson" ]; then
    if cmp -s "$le/dead-letters.ndjson" "$be/dead-letters.ndjson"; then
      ok "$name: dead letters identical ($(wc -l <"$be/dead-letters.ndjson") lines)"
    else
      bad "$name: dead letters differ"
    fi
  fi
  glob="$be/**/*.parquet"
  local a_le a_be
  a_le=$(agg "$le/**/*.parquet")
  a_be=$(agg "$glob")
  if [ -n "$a_be" ] && [ "$a_le" = "$a_be" ] && [[ "$a_be" == *'"n"'* ]]; then
    ok "$name: same rows, aggregates and row hash as x86: $a_be"
  else
    echo "  x86:   $a_le"
    echo "  s390x: $a_be"
    bad "$name: DuckDB aggregates differ"
  fi
}

# compare NAME NDJSON [--unordered]: the s390x output against its input, whole table.
compare() {
  local name=$1 ndjson=$2
  shift 2
  if node tests/integration/compare.mjs --quiet "$@" "$SCHEMA" "$tmp/be-$name/**/*.parquet" "$ndjson" \
      >"$tmp/$name-cmp.log" 2>&1; then
    ok "$name: s390x Parquet = NDJSON input (compare.mjs: DuckDB and hyparquet, whole table)"
  else
    tail -c 2000 "$tmp/$name-cmp.log"
    bad "$name: compare.mjs"
  fi
}

convert plain "$tmp/t.ndjson" --row-group-bytes 262144
compare plain "$tmp/t.ndjson"
convert zstd-hour "$tmp/t.ndjson.zst" --partition-by ts:hour --file-rows 5000
compare zstd-hour "$tmp/t.ndjson" --unordered
convert dead-letters "$tmp/bad.ndjson" --codec none
finish
