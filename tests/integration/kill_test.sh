#!/usr/bin/env bash
# Kill test: `floe convert --spool` killed with SIGKILL at random moments and
# started again each time with the same arguments, until it exits 0. Then every
# input record must be in exactly one sealed Parquet file (checked with DuckDB)
# or in the dead-letter files, and nothing else may be there.
# Usage: FLOE=build/host/floe KILLS=100 tests/integration/kill_test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
FLOE=${FLOE:-build/host/floe}
KILLS=${KILLS:-100}
ROWS=${ROWS:-30000}
SEED=${SEED:-11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 ../shared/bench/gen_telemetry.py --rows "$ROWS" --seed "$SEED" > "$work/all.ndjson"
# Three sources: plain, zstd, and one with bad lines in it.
head -n $((ROWS / 3)) "$work/all.ndjson" > "$work/a.ndjson"
sed -n "$((ROWS / 3 + 1)),$((2 * ROWS / 3))p" "$work/all.ndjson" | zstd -q -o "$work/b.ndjson.zst"
{
  sed -n "$((2 * ROWS / 3 + 1)),$((2 * ROWS / 3 + 100))p" "$work/all.ndjson"
  echo '{"ts": "2025-01-01T00:00:00Z", "device_id": "bad-1", "seq": "not a number"}'
  echo '{broken json'
  sed -n "$((2 * ROWS / 3 + 101)),${ROWS}p" "$work/all.ndjson"
} > "$work/c.ndjson"
expected_dead=2

cat "$work/a.ndjson" > "$work/good.ndjson"
zstd -q -d -c "$work/b.ndjson.zst" >> "$work/good.ndjson"
grep -v -e 'bad-1' -e '^{broken' "$work/c.ndjson" >> "$work/good.ndjson"

spool="$work/spool"
args=(convert --spool "$spool" --schema tools/schemas/telemetry.json --file-rows 700
      "$work/a.ndjson" "$work/b.ndjson.zst" "$work/c.ndjson")

# How long one uninterrupted run takes, to aim the kills inside it.
t0=$(date +%s%N)
"$FLOE" "${args[@]}" > /dev/null 2>&1
full_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
rm -rf "$spool"
window=$(( full_ms / 8 + 2 ))
# A restart inside a zstd source decompresses it again up to the checkpoint,
# which can take longer than that window on a fast machine (seen: a 288 ms
# run, a 38 ms window, and a restart that needed more: no run got further).
# After 8 kills in a row that left the checkpoint as it was, the window doubles.
stalled=0
checkpoint_now() { cksum "$spool/checkpoint" 2>/dev/null || echo none; }

check() {
node - "$spool" "$work/good.ndjson" "$expected_dead" <<'JS'
const [spool, good, expectedDead] = process.argv.slice(2);
const { DuckDBInstance } = require('@duckdb/node-api');
const fs = require('fs');
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const one = async (sql) => (await con.runAndReadAll(sql)).getRowObjects()[0];
  const pq = `read_parquet('${spool}/ready/*.parquet')`;
  const js = `read_json('${good}', format='newline_delimited', columns={device_id: 'VARCHAR', seq: 'BIGINT'})`;
  const r = await one(`SELECT
      (SELECT count(*) FROM ${pq}) AS rows,
      (SELECT count(*) FROM (SELECT DISTINCT device_id, seq FROM ${pq})) AS distinct_rows,
      (SELECT count(*) FROM ${js}) AS input_rows,
      (SELECT count(*) FROM (SELECT device_id, seq FROM ${js} EXCEPT SELECT device_id, seq FROM ${pq})) AS missing,
      (SELECT count(*) FROM (SELECT device_id, seq FROM ${pq} EXCEPT SELECT device_id, seq FROM ${js})) AS extra`);
  let dead = 0;
  for (const f of fs.readdirSync(`${spool}/dead`))
    dead += fs.readFileSync(`${spool}/dead/${f}`, 'utf8').split('\n').filter((l) => l.length).length;
  const tmp = fs.readdirSync(`${spool}/tmp`).length;
  const res = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
  res.dead_letters = dead;
  res.tmp_files = tmp;
  console.log(JSON.stringify(res));
  const ok = res.rows === res.input_rows && res.distinct_rows === res.rows && res.missing === 0 &&
             res.extra === 0 && dead === Number(expectedDead) && tmp === 0;
  console.log(ok ? 'kill_test: every record exactly once' : 'kill_test: FAILED');
  process.exit(ok ? 0 : 1);
})().catch((e) => { console.error(e); console.log('0 passed, 1 failed'); process.exit(2); });
JS
}

kills=0
runs=0
rounds=0
passed=0
failed=0
while [ "$kills" -lt "$KILLS" ]; do
  rounds=$((rounds + 1))
  rm -rf "$spool"
  # One round: kill at random moments until a run gets to the end.
  while :; do
    runs=$((runs + 1))
    ms=$((RANDOM % window + 1))
    rc=0
    before=$(checkpoint_now)
    { timeout -s KILL "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))" "$FLOE" "${args[@]}" > "$work/run.log" 2>&1; } 2>/dev/null || rc=$?
    if [ "$rc" -eq 137 ]; then
      kills=$((kills + 1))
      if [ "$(checkpoint_now)" = "$before" ]; then stalled=$((stalled + 1)); else stalled=0; fi
      if [ "$stalled" -ge 8 ]; then
        window=$((window * 2))
        stalled=0
        echo "kill_test: 8 kills in a row left the checkpoint as it was: kill window now ${window} ms"
      fi
      continue
    fi
    [ "$rc" -eq 0 ] && break
    echo "kill_test: floe exited $rc without being killed:"
    cat "$work/run.log"
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
  done
  echo "kill_test: round $rounds done after $kills kills in all ($runs runs; kill window ${window} ms)"
  if check; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "kill_test: $kills kills, $runs runs, $rounds rounds checked"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
