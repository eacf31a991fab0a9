#!/usr/bin/env bash
# Rows across midnight from devices whose clocks disagree: how many files
# floe convert --partition-by ts:hour makes with the late window and
# without it, and (DuckDB, hive_partitioning) that every row is in its own
# hour's folder, once. Usage: tools/bench/late_rows.sh [ROWS] [JITTER_S] [AHEAD_S]
# AHEAD_S: 1% of the rows come from one device whose clock is that far ahead.
# Needs python3 and NODE_PATH with @duckdb/node-api (tools/bootstrap.sh host npm).
set -euo pipefail
cd "$(dirname "$0")/../.."
FLOE=${FLOE:-build/host/floe}
ROWS=${1:-60000}
JITTER=${2:-2}
AHEAD=${3:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$ROWS" "$JITTER" "$AHEAD" > "$work/in.ndjson" <<'PY'
import datetime, random, sys
rows, jitter, ahead = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
rng = random.Random(7)
start = datetime.datetime(2026, 12, 3, 23, 59, 30, tzinfo=datetime.timezone.utc)
for i in range(rows):  # one minute of rows, each clock off by up to +-jitter
    t = start + datetime.timedelta(seconds=60.0 * i / rows + rng.uniform(-jitter, jitter))
    dev = rng.randrange(200)
    if ahead and dev < 2:  # device 0's clock is ahead (1% of the rows)
        dev = 0
        t += datetime.timedelta(seconds=ahead)
    print('{"ts":"%s","device_id":"gw-%04d","seq":%d,"temp_c":%.2f,"humidity":40.0,"battery_v":3.8,'
          '"rssi":-60,"status":"ok","ok":true,"fw":"1.4.2","tags":{"site":"s1","line":"L1"}}'
          % (t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), dev, i, 20 + dev / 10))
PY
for late in 0 256K; do
  "$FLOE" convert --schema tools/schemas/telemetry.json --partition-by ts:hour --late-window-bytes "$late" \
    -o "$work/out-$late" "$work/in.ndjson" > "$work/convert.log" 2>&1 || { cat "$work/convert.log"; exit 1; }
  tail -1 "$work/convert.log"
  files=$(find "$work/out-$late" -name '*.parquet' | wc -l)
  bytes=$(find "$work/out-$late" -name '*.parquet' -printf '%s\n' | awk '{s += $1} END {print s}')
  node - "$work/out-$late" "$work/in.ndjson" "$late" "$files" "$bytes" <<'JS'
const { DuckDBInstance } = require('@duckdb/node-api');
const [dir, input, late, files, bytes] = process.argv.slice(2);
(async () => {
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const one = async (q) => (await con.runAndReadAll(q)).getRowObjects()[0];
  const pq = `read_parquet('${dir}/**/*.parquet', hive_partitioning=true)`;
  const r = await one(`SELECT count(*) AS rows, count(DISTINCT seq) AS distinct_seq,
      count(*) FILTER (WHERE floor(epoch_us(ts) / 86400000000) <> epoch(CAST(dt AS DATE)) // 86400
                          OR (floor(epoch_us(ts) / 3600000000)::BIGINT % 24) <> CAST(hour AS BIGINT)) AS wrong_folder,
      (SELECT count(*) FROM (SELECT seq, epoch_us(ts) FROM read_json('${input}', columns={ts: 'TIMESTAMP', seq: 'BIGINT'})
        EXCEPT ALL SELECT seq, epoch_us(ts) FROM ${pq})) AS missing
    FROM ${pq}`);
  const n = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
  console.log(`late_window_bytes=${late}: ${files} files, ${bytes} bytes; rows ${n.rows}, distinct ${n.distinct_seq}, ` +
              `in a wrong folder ${n.wrong_folder}, missing ${n.missing}`);
  process.exit(n.wrong_folder === 0 && n.missing === 0 && n.rows === n.distinct_seq ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(2); });
JS
done
