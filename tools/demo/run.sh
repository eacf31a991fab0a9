#!/usr/bin/env bash
# make run: the whole job on this machine. Builds floe, generates gateway
# telemetry (plain and zstd files, a few malformed lines), starts a local
# S3-compatible endpoint on 127.0.0.1 (or uses a local folder if it cannot),
# runs the agent until the spool is drained, stops it with SIGTERM, and shows
# what landed: the objects, the dead letters, the metrics and a DuckDB query.
# It stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
DEMO=$TOP/build/demo
ROWS=${ROWS:-50000}
tools/bootstrap.sh host npm >&2
make -s -j2 BOARD=host cli >&2
FLOE=$TOP/build/host/floe
export NODE_PATH=$TOP/build/npm/node_modules

rm -rf "$DEMO"
mkdir -p "$DEMO"/{incoming,spool,metrics,landed}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

echo "== generating $ROWS records of gateway telemetry"
python3 tools/gen_telemetry.py --rows $((ROWS / 2)) --seed 1 --bad 3 > "$DEMO/gw-a.tmp"
python3 tools/gen_telemetry.py --rows $((ROWS / 2)) --seed 2 --start-ms 1763720000000 > "$DEMO/gw-b.tmp"
zstd -q --rm "$DEMO/gw-b.tmp" -o "$DEMO/gw-b.tmp.zst"
# Renamed in whole: the agent never sees a half-written file.
mv "$DEMO/gw-a.tmp" "$DEMO/incoming/2025-11-21T10-gw-a.ndjson"
mv "$DEMO/gw-b.tmp.zst" "$DEMO/incoming/2025-11-21T10-gw-b.ndjson.zst"
ls -l "$DEMO/incoming"

target="file://$DEMO/landed"
extra=""
if [ -f tests/integration/s3/server.mjs ] && node -e "require('s3rver')" 2>/dev/null; then
  node tests/integration/s3/server.mjs --data "$DEMO/s3data" --bucket demo > "$DEMO/s3.json" 2> "$DEMO/s3.log" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$DEMO/s3.json" ] && break; sleep 0.1; done
  endpoint=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$DEMO/s3.json','utf8')).endpoint)" 2>/dev/null || true)
  if [ -n "$endpoint" ]; then
    target="s3://demo/telemetry"
    printf '[default]\naws_access_key_id = FLOETESTKEY\naws_secret_access_key = floe-test-secret-key\n' > "$DEMO/credentials"
    chmod 600 "$DEMO/credentials"
    extra="endpoint = $endpoint
path_style = true
credentials_file = $DEMO/credentials"
    echo "== local S3 endpoint at $endpoint (bucket demo)"
  fi
fi
[ "$target" = "file://$DEMO/landed" ] && echo "== no local S3 server: landing in $DEMO/landed"

cat > "$DEMO/floe.conf" <<CONF
[source]
dir = $DEMO/incoming
settle_ms = 200
[schema]
file = $TOP/tools/schemas/telemetry.json
[parquet]
file_rows = 20000
idle_s = 1
partition_by = ts:hour
[spool]
dir = $DEMO/spool
[target]
url = $target
region = us-east-1
$extra
[upload]
manifests = true
[metrics]
file = $DEMO/metrics/floe.prom
interval_s = 1
CONF

echo "== floe run --config $DEMO/floe.conf"
"$FLOE" run --config "$DEMO/floe.conf" 2> "$DEMO/agent.log" &
agent=$!
pids+=($agent)
# Drained: no input left, nothing waiting in the spool.
for _ in $(seq 600); do
  if [ -z "$(ls -A "$DEMO/incoming")" ] && [ -z "$(ls "$DEMO/spool/ready" 2>/dev/null)" ] && \
     grep -q '^floe_files_sealed_total [1-9]' "$DEMO/metrics/floe.prom" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
kill -TERM "$agent"
wait "$agent" || true
tail -n 3 "$DEMO/agent.log"

if [ "$target" = "s3://demo/telemetry" ]; then
  echo "== objects in s3://demo (listed and fetched through the S3 API)"
  node tests/integration/s3/fetch.mjs "$endpoint" demo "$DEMO/landed"
else
  echo "== objects in $DEMO/landed"
fi
(cd "$DEMO/landed" && find . -type f -printf '%10s  %P\n' | sort -k2)

echo "== a manifest (what a table committer reads instead of the Parquet file)"
find "$DEMO/landed" -path '*_manifests/*' -name '*.json' | sort | head -n 1 | xargs -r cat

echo "== dead letters"
find "$DEMO/landed" -name '*.ndjson' -exec cat {} + | head -n 10

echo "== metrics ($DEMO/metrics/floe.prom)"
grep -E '^floe_(records_total|files_sealed_total|uploads_total|upload_retries_total|spool_bytes|arena_bytes)' \
  "$DEMO/metrics/floe.prom"

echo "== DuckDB over what landed"
node - "$DEMO/landed" <<'JS'
const dir = process.argv[2];
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const q = async (sql) => (await con.runAndReadAll(sql)).getRowObjects();
  const src = `read_parquet('${dir}/**/*.parquet', hive_partitioning = true)`;
  const [t] = await q(`SELECT count(*) AS rows, CAST(min(ts) AS VARCHAR) AS min_ts, CAST(max(ts) AS VARCHAR) AS max_ts,
                              count(DISTINCT device_id) AS devices FROM ${src}`);
  console.log(`rows ${t.rows}, ts ${t.min_ts} .. ${t.max_ts}, ${t.devices} devices`);
  for (const r of await q(`SELECT device_id, count(*) AS n, round(avg(temp_c), 2) AS avg_temp_c,
                                  min(battery_v) AS min_battery_v FROM ${src}
                           GROUP BY device_id ORDER BY n DESC, device_id LIMIT 5`))
    console.log(`  ${r.device_id}  ${r.n} records  avg ${r.avg_temp_c} C  min ${r.min_battery_v} V`);
})().catch((e) => { console.error(e.message); process.exit(1); });
JS
echo "== done: everything floe started is stopped"
