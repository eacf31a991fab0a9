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

# The demo config documents every option (README says so): set or commented out.
undocumented=$("$FLOE" run --help-config | awk '/^\[/{sec=$1; gsub(/[][]/, "", sec)} /^  /{print sec, $1}' |
  while read -r sec key; do
    awk -v s="$sec" -v k="$key" '/^\[/{cur=$0; gsub(/[][]/, "", cur)} cur == s && $0 ~ "^(# )?" k " *=" {f=1} END{exit !f}' \
      tools/demo/floe.conf || printf '[%s] %s; ' "$sec" "$key"
  done)
[ -z "$undocumented" ] && ok "tools/demo/floe.conf shows every option" || bad "not in tools/demo/floe.conf: $undocumented"

# 1b. Values the syntax allows but the agent cannot work with: refused at
#     start (exit 2, the key and its line named) before any thread runs.
printf '[default]\naws_access_key_id = FLOETESTKEY\naws_secret_access_key = floe-test-secret-key\n' > "$work/cred"
chmod 600 "$work/cred"
printf '[default]\naws_access_key_id = FLOETESTKEY\n' > "$work/cred-half"
chmod 600 "$work/cred-half"
bad_value() { # WANT LINES...: a config of the lines after a valid base
  local want=$1 rc
  shift
  { printf '[source]\ndir = %s\n[schema]\nfile = %s\n[spool]\ndir = %s\n' "$work" "$PWD/tools/schemas/telemetry.json" \
      "$work/spool-bad"; printf '%s\n' "$@"; } > "$work/bad2.conf"
  out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY timeout 10 "$FLOE" run --config "$work/bad2.conf" 2>&1); rc=$?
  if [ "$rc" -eq 2 ] && grep -q "bad2.conf:$want" <<<"$out" && [ ! -e "$work/spool-bad" ]; then ok "refused at start: $out"
  else bad "config $*: exit $rc, said: $(head -3 <<<"$out")"; fi
}
printf '[other]\naws_access_key_id = OTHERKEY\naws_secret_access_key = other-secret\n' > "$work/cred-other"
chmod 600 "$work/cred-other"
bad_value '9: \[target\] credentials_file: .*for this profile' '[target]' 'url = s3://lake/x' "credentials_file = $work/cred-other"
bad_value '9: \[target\] credentials_file: .*no such file' '[target]' 'url = s3://lake/x' 'credentials_file = /nonexistent/cred'
bad_value '9: \[target\] credentials_file: .*aws_secret_access_key' '[target]' 'url = s3://lake/x' "credentials_file = $work/cred-half"
bad_value '8: \[target\] url: no credentials' '[target]' 'url = s3://lake/x'
bad_value '8: \[target\] url: want s3://BUCKET' '[target]' 'url = s3:///x' "credentials_file = $work/cred"
bad_value '8: \[parquet\] partition_by: want COLUMN:day' '[parquet]' 'partition_by = nosuch:minute' '[target]' "url = file://$work/x"
bad_value '8: \[parquet\] partition_by: no column nosuch' '[parquet]' 'partition_by = nosuch:hour' '[target]' "url = file://$work/x"
bad_value '8: \[parquet\] partition_by: column device_id .* is not a timestamp' '[parquet]' 'partition_by = device_id:day' '[target]' "url = file://$work/x"
bad_value '8: \[parquet\] sort_by: no column nosuch' '[parquet]' 'sort_by = nosuch' '[target]' "url = file://$work/x"
bad_value '9: \[parquet\] sort_window_bytes: want 4K to 1G' '[parquet]' 'sort_by = device_id' 'sort_window_bytes = 1K' '[target]' "url = file://$work/x"
bad_value '11: \[upload\] part_size: S3 takes parts of 5M' '[target]' 'url = s3://lake/x' "credentials_file = $work/cred" '[upload]' 'part_size = 1K'
# Values past what they become (32-bit milliseconds, the writer's bounds)
# are refused, not cut: max_age_s = 4294968 rolled files after 704 ms.
bad_value '8: \[parquet\] max_age_s: want at most 4294967' '[parquet]' 'max_age_s = 4294968' '[target]' "url = file://$work/x"
bad_value '8: \[parquet\] page_bytes: want at most 67108864' '[parquet]' 'page_bytes = 4G' '[target]' "url = file://$work/x"
# A column named as a partition key would be hidden by the folder's value.
printf '{"columns":[{"name":"ts","type":"timestamp_us"},{"name":"DT","type":"string"}]}\n' > "$work/schema-dt.json"
bad_value '8: \[parquet\] partition_by: .*has a column DT' '[parquet]' 'partition_by = ts:day' '[schema]' \
  "file = $work/schema-dt.json" '[target]' "url = file://$work/x"

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
[upload]
manifests = true
[metrics]
file = $work/floe.prom
interval_s = 1
CONF
run_agent() { "$FLOE" run --config "$work/floe.conf" 2>> "$work/agent.log" & pids+=($!); }
drained() {
  [ -z "$(ls -A "$work/in")" ] && [ -z "$(ls "$work/spool/ready" 2>/dev/null)" ] &&
    [ -n "$(ls "$work/spool/checkpoint" 2>/dev/null)" ]
}
metric() { sed -n "s/^$2 //p" "$1" 2>/dev/null; } # FILE NAME: its value
# DIR MIN [MAX]: the Parquet files under DIR hold between MIN and MAX rows
# (MAX defaults to MIN), every (ts, device_id, seq) once.
landed_once() {
  node - "$1" "$2" "${3:-$2}" <<'JS'
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const [dir, lo, hi] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const r = (await con.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT (ts, device_id, seq)) AS d
                                      FROM read_parquet('${dir}/**/*.parquet')`)).getRowObjects()[0];
  const n = Number(r.n), d = Number(r.d);
  console.log(JSON.stringify({ rows: n, distinct: d, want: lo === hi ? lo : [lo, hi] }));
  process.exit(n >= lo && n <= hi && d === n ? 0 : 1);
})().catch((e) => { console.error(e.message); process.exit(2); });
JS
}
# A file is sealed (in the spool or landed) while input is still waiting.
mid_run() {
  { ls "$work/spool/ready/"*.parquet > /dev/null 2>&1 || [ -n "$(find "$work/landed" -name '*.parquet' -print -quit)" ]; } &&
    [ -n "$(ls -A "$work/in")" ]
}
run_agent
for _ in $(seq 1000); do mid_run && break; sleep 0.01; done
kill -TERM "${pids[-1]}"; wait "${pids[-1]}"; rc=$?
sealed=$(metric "$work/floe.prom" floe_files_sealed_total)
# The claim holds only if the signal came mid-run: files sealed, input left.
if [ "$rc" -eq 0 ] && [ "${sealed:-0}" -gt 0 ] && [ -n "$(ls -A "$work/in")" ]; then
  ok "SIGTERM mid-run ($sealed file(s) sealed, input left: $(ls "$work/in" | tr '\n' ' ')): clean exit"
else bad "SIGTERM mid-run: exit $rc, $sealed sealed, left: $(ls "$work/in" | tr '\n' ' ')"; grep -E "ERROR|#[0-9] |SUMMARY" "$work/agent.log" | head -12; fi
grep -q '^floe_up 0' "$work/floe.prom" && ok "final metrics written (floe_up 0)" || bad "no final metrics"
# A second signal exits at once, even while uploads have their grace period
# (the target is down here, so the first signal alone would wait for it).
down_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
sed -e "s#^url = file://$work/landed\$#url = s3://lake/t\nendpoint = http://127.0.0.1:$down_port\npath_style = true\ncredentials_file = $work/cred#" \
  "$work/floe.conf" > "$work/floe-down.conf"
"$FLOE" run --config "$work/floe-down.conf" 2>> "$work/agent.log" & pids+=($!)
for _ in $(seq 1000); do ls "$work/spool/ready/"*.parquet > /dev/null 2>&1 && break; sleep 0.01; done
kill -TERM "${pids[-1]}"
sleep 0.5
alive=0; kill -0 "${pids[-1]}" 2>/dev/null && alive=1
t0=$(date +%s%N)
kill -TERM "${pids[-1]}"; wait "${pids[-1]}"; rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$alive" -eq 1 ] && [ "$rc" -eq 1 ] && [ "$ms" -lt 1000 ] && grep -q 'second signal, exiting now' "$work/agent.log"; then
  ok "a second signal exits at once ($ms ms, exit 1)"
else bad "second signal: alive after the first $alive, exit $rc after $ms ms"; fi
run_agent
for _ in $(seq 300); do drained && break; sleep 0.1; done
sleep 0.5
kill -TERM "${pids[-1]}"; wait "${pids[-1]}"
drained && ok "drained after the restart" || bad "not drained: $(ls "$work/in" "$work/spool/ready")"
# The spool gauges follow the uploads (the uploader recounts the folder).
grep -q '^floe_spool_bytes 0$' "$work/floe.prom" && grep -q '^floe_spool_files 0$' "$work/floe.prom" &&
  ok "final metrics: the spool is empty (floe_spool_bytes 0)" ||
  bad "spool gauges after the drain: $(grep '^floe_spool' "$work/floe.prom" | tr '\n' ' ')"

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
# Manifests (file:// target): one per Parquet file, at its path under
# _manifests/, with its size and row count.
node - "$work/landed" <<'JS' && ok "a manifest for each landed file, matching it" || bad "manifests"
const [dir] = process.argv.slice(2);
const { DuckDBInstance } = require('@duckdb/node-api');
const fs = require('fs'), path = require('path');
const walk = (d) => fs.readdirSync(d, { withFileTypes: true })
  .flatMap((e) => e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
(async () => {
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const files = walk(dir).filter((f) => f.endsWith('.parquet') && !f.includes('/_manifests/'));
  const mans = walk(dir).filter((f) => f.includes('/_manifests/'));
  let good = 0;
  for (const f of files) {
    const rel = path.relative(dir, f);
    const m = JSON.parse(fs.readFileSync(path.join(dir, '_manifests', rel.replace(/\.parquet$/, '.json')), 'utf8'));
    const n = Number((await con.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${f}')`)).getRowObjects()[0].n);
    if (m.key === rel && m.size === fs.statSync(f).size && m.records === n) good++;
    else console.error('manifest differs', rel, m, n);
  }
  console.log(JSON.stringify({ parquet: files.length, manifests: mans.length, matching: good }));
  process.exit(files.length > 0 && mans.length === files.length && good === files.length ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(2); });
JS

# 3. An s3:// target that is down for the first part of the run: everything
#    arrives once it is up, exactly once.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
mkdir -p "$work"/{in3,spool3}
python3 tools/gen_telemetry.py --rows 30000 --seed 5 > "$work/c.tmp"
cp "$work/c.tmp" "$work/c.ndjson"
mv "$work/c.tmp" "$work/in3/c.ndjson"
printf '[default]\naws_access_key_id = FLOETESTKEY\naws_secret_access_key = floe-test-secret-key\n' > "$work/cred"
chmod 600 "$work/cred"
cat > "$work/floe3.conf" <<CONF
[source]
dir = $work/in3
settle_ms = 0
[schema]
file = $PWD/tools/schemas/telemetry.json
[parquet]
file_rows = 6000
idle_s = 1
[spool]
dir = $work/spool3
[target]
url = s3://lake/t
endpoint = http://127.0.0.1:$port
path_style = true
credentials_file = $work/cred
[upload]
backoff_base_ms = 100
backoff_max_ms = 500
breaker_failures = 5
breaker_open_s = 1
max_failures = 3
dead_letters = false
[metrics]
file = $work/floe3.prom
interval_s = 1
CONF
"$FLOE" run --config "$work/floe3.conf" 2> "$work/agent3.log" &
pids+=($!)
agent3=$!
sleep 3
ls "$work/spool3/ready/"*.parquet > /dev/null 2>&1 && ok "target down: files wait in the spool" || bad "nothing spooled while the target was down"
# The gauges follow the spool while nothing uploads, and max_failures shows.
for _ in $(seq 50); do [ "$(metric "$work/floe3.prom" floe_spool_files)" -gt 0 ] 2>/dev/null && break; sleep 0.1; done
[ "$(metric "$work/floe3.prom" floe_spool_files)" -gt 0 ] 2>/dev/null && [ "$(metric "$work/floe3.prom" floe_spool_bytes)" -gt 0 ] &&
  ok "target down: floe_spool_files $(metric "$work/floe3.prom" floe_spool_files), floe_spool_bytes $(metric "$work/floe3.prom" floe_spool_bytes)" ||
  bad "target down: spool gauges $(grep '^floe_spool_[bf]' "$work/floe3.prom" | tr '\n' ' ')"
[ "$(metric "$work/floe3.prom" floe_upload_error)" = 1 ] && kill -0 "$agent3" 2>/dev/null &&
  ok "max_failures reached: floe_upload_error 1, the agent runs on" || bad "max_failures: floe_upload_error $(metric "$work/floe3.prom" floe_upload_error)"
node tests/integration/s3/server.mjs --data "$work/s3data" --bucket lake --port "$port" > "$work/srv3.json" 2> /dev/null &
pids+=($!)
srv3=$!
for _ in $(seq 300); do
  [ -z "$(ls -A "$work/in3")" ] && [ -z "$(ls "$work/spool3/ready" 2>/dev/null)" ] && break
  sleep 0.1
done
sleep 1.2 # one metrics interval
[ "$(metric "$work/floe3.prom" floe_upload_error)" = 0 ] && ok "target back: floe_upload_error 0 again" ||
  bad "target back: floe_upload_error $(metric "$work/floe3.prom" floe_upload_error)"
kill -TERM "$agent3"; wait "$agent3"; rc=$?
[ "$rc" -eq 0 ] && ok "target back: clean exit" || bad "target back: exit $rc"
retries=$(grep -c 'upload failed, retrying\|pausing uploads' "$work/agent3.log")
node tests/integration/s3/fetch.mjs "http://127.0.0.1:$port" lake "$work/got3" > /dev/null 2>&1
kill "$srv3" 2>/dev/null
landed_once "$work/got3" 30000 && ok "target back: all 30000 records landed once ($retries failed attempts before)" || bad "after the outage"

# 3b. A target that stays down: the stop says so (exit 1, a final stats line
#     with the spooled files, floe_upload_error 1 in the final metrics).
mkdir -p "$work"/{in3b,spool3b}
python3 tools/gen_telemetry.py --rows 3000 --seed 6 > "$work/in3b/d.ndjson"
sed -e "s#$work/in3\$#$work/in3b#" -e "s#$work/spool3\$#$work/spool3b#" -e "s#$work/floe3.prom#$work/floe3b.prom#" \
  -e "s#127.0.0.1:$port#127.0.0.1:$((port == 65535 ? 1 : port + 1))#" "$work/floe3.conf" > "$work/floe3b.conf"
"$FLOE" run --config "$work/floe3b.conf" 2> "$work/agent3b.log" &
pids+=($!)
for _ in $(seq 100); do [ "$(metric "$work/floe3b.prom" floe_upload_error)" = 1 ] && break; sleep 0.1; done
kill -TERM "${pids[-1]}"; wait "${pids[-1]}"; rc=$?
files3b=$(sed -n 's/.*stopped: .* in \([0-9]*\) files$/\1/p' "$work/agent3b.log")
[ "$rc" -eq 1 ] && [ "${files3b:-0}" -gt 0 ] && [ "$(metric "$work/floe3b.prom" floe_upload_error)" = 1 ] &&
  ok "target still down at stop: exit 1, $files3b file(s) left in the spool" ||
  bad "target down at stop: exit $rc, $(tail -2 "$work/agent3b.log" | tr '\n' ' ')"

# 4. Sources are known by what they are, not by their names: a file whose name
#    sorts before the last one read (a gateway booting with its clock at 1970)
#    and a file that reuses a finished name (current.ndjson) are both read,
#    across a restart too; every record lands exactly once.
mkdir -p "$work"/{in4,spool4,landed4}
sed -e "s#$work/in\$#$work/in4#" -e "s#$work/spool\$#$work/spool4#" -e "s#$work/landed\$#$work/landed4#" \
  -e "s#$work/floe.prom#$work/floe4.prom#" "$work/floe.conf" > "$work/floe4.conf"
in4_rows=0
drop4() { # NAME SEED: writes 1500 rows elsewhere and renames them in, then waits until the agent took them
  python3 tools/gen_telemetry.py --rows 1500 --seed "$2" --start-ms $((1763000000000 + $2 * 86400000)) > "$work/drop.tmp"
  mv "$work/drop.tmp" "$work/in4/$1"
  in4_rows=$((in4_rows + 1500))
  for _ in $(seq 200); do [ -z "$(ls -A "$work/in4")" ] && break; sleep 0.05; done
}
"$FLOE" run --config "$work/floe4.conf" 2>> "$work/agent4.log" & pids+=($!)
drop4 telemetry-20251120.ndjson 11
drop4 telemetry-19700101.ndjson 12
drop4 current.ndjson 13
drop4 current.ndjson 14
kill -TERM "${pids[-1]}"; wait "${pids[-1]}"
"$FLOE" run --config "$work/floe4.conf" 2>> "$work/agent4.log" & pids+=($!)
drop4 current.ndjson 15
drop4 a-early.ndjson 16
for _ in $(seq 100); do [ -z "$(ls "$work/spool4/ready" 2>/dev/null)" ] && [ -n "$(ls -A "$work/landed4")" ] && break; sleep 0.1; done
sleep 1.5 # idle_s: the last file seals, then uploads
kill -TERM "${pids[-1]}"; wait "${pids[-1]}"
landed_once "$work/landed4" "$in4_rows" && ok "files named before the last one, or reusing a finished name, are read: $in4_rows records once" || bad "sources judged by name: records lost or duplicated"

# 5. Standard input: each run's stdin is a new source, so a second run with
#    the same spool ingests its data too; every record lands once.
mkdir -p "$work"/{spool5,landed5}
sed -e "s#^dir = $work/in\$#dir = -#" -e "s#$work/spool\$#$work/spool5#" -e "s#$work/landed\$#$work/landed5#" \
  -e "s#$work/floe.prom#$work/floe5.prom#" "$work/floe.conf" > "$work/floe5.conf"
rc5=""
for seed in 21 22; do
  python3 tools/gen_telemetry.py --rows 2500 --seed $seed --start-ms $((1763000000000 + seed * 86400000)) |
    timeout 60 "$FLOE" run --config "$work/floe5.conf" 2>> "$work/agent5.log"
  rc5="$rc5$?"
done
landed_once "$work/landed5" 5000 && [ "$rc5" = 00 ] && ok "stdin twice into one spool: 5000 records once" || bad "stdin runs (exit $rc5): records lost or duplicated"
# 5b. A pipe that goes quiet: idle_s (1 s) seals the file while the agent
#     waits on it, so its rows land before more come; a SIGKILL then (stdin
#     cannot be read again) loses none of them. Before 2026-12-04 nothing
#     aged while read() waited: the rows stayed uncommitted, and were lost.
mkdir -p "$work"/{spool5b,landed5b}
sed -e "s#$work/spool5\$#$work/spool5b#" -e "s#$work/landed5\$#$work/landed5b#" \
  -e "s#$work/floe5.prom#$work/floe5b.prom#" "$work/floe5.conf" > "$work/floe5b.conf"
{ python3 tools/gen_telemetry.py --rows 800 --seed 23 --start-ms 1763500000000
  for _ in $(seq 200); do [ -e "$work/stop5b" ] && break; sleep 0.1; done; } |
  "$FLOE" run --config "$work/floe5b.conf" 2>> "$work/agent5b.log" &
pid5b=$!
for _ in $(seq 100); do [ -n "$(find "$work/landed5b" -name '*.parquet' -print -quit)" ] && break; sleep 0.1; done
agent5b=$(pgrep -f "floe run --config $work/floe5b.conf" | head -n 1)
[ -n "$agent5b" ] && kill -KILL "$agent5b"
touch "$work/stop5b" # the pipe's writer ends too
wait "$pid5b" 2>/dev/null
landed_once "$work/landed5b" 800 && ok "a quiet stdin pipe: its 800 records sealed and landed while it waited, before a SIGKILL" ||
  bad "quiet stdin: records not committed while the pipe waited (lost to the kill)"
# 6. The same spool, folder and stdin in turn: a file an earlier run began as
#    source 2 but never committed (as a crash leaves it) must not pass for
#    committed after a stdin run commits source 2; it is read, not deleted.
mkdir -p "$work/in6"
python3 tools/gen_telemetry.py --rows 1000 --seed 31 --start-ms 1760000000000 > "$work/in6/f.ndjson"
python3 - "$work/in6/f.ndjson" "$work/spool5/agent-sources" <<'PY'
import os, sys
path, ledger = sys.argv[1:]
st = os.stat(path)
h = 0xcbf29ce484222325
for b in open(path, 'rb').read(4096):
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
with open(ledger, 'w') as f:
    f.write('floe-sources 1\n2 %d %d %d %d %x f.ndjson\n' % (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, h))
PY
python3 tools/gen_telemetry.py --rows 500 --seed 32 --start-ms 1761000000000 |
  timeout 60 "$FLOE" run --config "$work/floe5.conf" 2>> "$work/agent5.log"
sed -e "s#^dir = -\$#dir = $work/in6#" "$work/floe5.conf" > "$work/floe6.conf"
"$FLOE" run --config "$work/floe6.conf" 2>> "$work/agent5.log" & pids+=($!)
for _ in $(seq 100); do [ -z "$(ls -A "$work/in6")" ] && break; sleep 0.05; done
sleep 1.5 # idle_s: the file seals, then lands
kill -TERM "${pids[-1]}"; wait "${pids[-1]}"
landed_once "$work/landed5" 6500 && ok "a file begun but not committed before a stdin run is still read: 6500 records once" || bad "folder after stdin: records lost or duplicated"
# 7. A corrupt zstd source: the rows of the frames before the damage land
#    once, its dead letter says bad_compression, and whatever the done
#    policy, the file is kept in failed/ (the agent cannot read past it).
mkdir -p "$work/in7"
python3 tools/gen_telemetry.py --rows 1000 --seed 71 --start-ms 1762000000000 | zstd -q -c > "$work/c.zst"
python3 tools/gen_telemetry.py --rows 1000 --seed 72 --start-ms 1762100000000 | zstd -q -c > "$work/d.zst"
python3 - "$work/d.zst" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
for i in range(len(b) // 2, len(b) // 2 + 8):
    b[i] ^= 0x5a
open(sys.argv[1], 'wb').write(b)
PY
cat "$work/c.zst" "$work/d.zst" > "$work/in7/broken.ndjson.zst"
sed -e "s#^dir = $work/in\$#dir = $work/in7#" -e "s#^dir = $work/spool\$#dir = $work/spool7#" \
  -e "s#^url = file://$work/landed\$#url = file://$work/landed7#" -e "s#^file = $work/floe.prom\$#file = $work/floe7.prom#" \
  "$work/floe.conf" > "$work/floe7.conf"
"$FLOE" run --config "$work/floe7.conf" 2>> "$work/agent7.log" & pids+=($!)
for _ in $(seq 200); do [ -z "$(ls -A "$work/in7" | grep -v failed)" ] && break; sleep 0.05; done
sleep 1.5 # idle_s: the file seals, then lands
kill -TERM "${pids[-1]}"; wait "${pids[-1]}"
failed_n=$(metric "$work/floe7.prom" floe_source_files_failed_total)
dl_n=$(metric "$work/floe7.prom" 'floe_dead_letters_total{reason="bad_compression"}')
if cmp -s "$work/in7/failed/broken.ndjson.zst" <(cat "$work/c.zst" "$work/d.zst") && [ "${failed_n:-0}" -eq 1 ] &&
   [ "${dl_n:-0}" -eq 1 ] && [ ! -e "$work/in7/broken.ndjson.zst" ] && grep -q 'broken.ndjson.zst is corrupt' "$work/agent7.log"; then
  ok "a corrupt zstd source is kept in failed/ (floe_source_files_failed_total 1, one bad_compression dead letter)"
else bad "corrupt source: failed/ $(ls "$work/in7/failed" 2>&1), metric ${failed_n:-none}, dead letters ${dl_n:-none}"; fi
# All of the first frame (1000 rows); of the damaged one, at most what decoded before the damage.
landed_once "$work/landed7" 1000 1999 && ok "the frame before the damage landed whole, once" || bad "corrupt source: rows of the good frame lost or duplicated"

# 8. A file written to after it was read (it should have been renamed in
#    whole): what was read lands once, the file is kept in failed/, and it is
#    not read again from the start (which would duplicate every record).
mkdir -p "$work/in8"
sed -e "s#^dir = $work/in7\$#dir = $work/in8#" -e "s#^dir = $work/spool7\$#dir = $work/spool8#" \
  -e "s#^url = file://$work/landed7\$#url = file://$work/landed8#" -e "s#^file = $work/floe7.prom\$#file = $work/floe8.prom#" \
  -e "s#^idle_s = 1\$#idle_s = 600#" -e "s#^file_rows = 7000\$#file_rows = 100000#" "$work/floe7.conf" > "$work/floe8.conf"
python3 tools/gen_telemetry.py --rows 1000 --seed 81 --start-ms 1762200000000 > "$work/in8/grow.ndjson"
"$FLOE" run --config "$work/floe8.conf" 2>> "$work/agent8.log" & pids+=($!)
sleep 1.5 # read to its end; nothing is sealed yet (idle_s 600)
python3 tools/gen_telemetry.py --rows 10 --seed 82 --start-ms 1762300000000 >> "$work/in8/grow.ndjson"
kill -TERM "${pids[-1]}"; wait "${pids[-1]}"
"$FLOE" run --config "$work/floe8.conf" 2>> "$work/agent8.log" & pids+=($!)
sleep 1.5
kill -TERM "${pids[-1]}"; wait "${pids[-1]}"
if [ "$(wc -l < "$work/in8/failed/grow.ndjson" 2>/dev/null)" = 1010 ] && [ ! -e "$work/in8/grow.ndjson" ] &&
   grep -q 'grow.ndjson changed after it was read' "$work/agent8.log"; then
  ok "a file written to after it was read is kept in failed/ and not read again"
else bad "grown file: failed/ $(ls "$work/in8/failed" 2>&1), in8: $(ls "$work/in8"), log: $(tail -2 "$work/agent8.log")"; fi
landed_once "$work/landed8" 1000 && ok "the part read before the change landed once (1000 records)" || bad "grown file: records lost or duplicated"

# variant N [SED_ARGS...]: $work/floeN.conf, section 2's config with its own
# in/spool/landed folders and metrics file (suffix N), edited by SED_ARGS.
variant() {
  local n=$1
  shift
  mkdir -p "$work/in$n"
  sed -e "s#^dir = $work/in\$#dir = $work/in$n#" -e "s#^dir = $work/spool\$#dir = $work/spool$n#" \
    -e "s#^url = file://$work/landed\$#url = file://$work/landed$n#" -e "s#^file = $work/floe.prom\$#file = $work/floe$n.prom#" \
    "$@" "$work/floe.conf" > "$work/floe$n.conf"
}
# drain_and_stop N: waits until agent N has taken every source, uploaded every
# batch and sealed a file, then stops it.
drain_and_stop() {
  local n=$1
  for _ in $(seq 300); do
    [ -z "$(ls -A "$work/in$n")" ] && [ -z "$(ls "$work/spool$n/ready" 2>/dev/null)" ] &&
      grep -q '^floe_files_sealed_total [1-9]' "$work/floe$n.prom" 2>/dev/null && break
    sleep 0.1
  done
  sleep 0.5
  kill -TERM "${pids[-1]}"; wait "${pids[-1]}"
}

# 9. [spool] dead_bytes: a batch's dead letters end at about that size, so
#    many bad lines make many small dead-letter objects, every line in one.
variant 9 -e "s#^dir = $work/spool9\$#dir = $work/spool9\ndead_bytes = 4K#"
python3 tools/gen_telemetry.py --rows 3000 --seed 91 --bad 300 --start-ms 1762400000000 > "$work/in9/bad.tmp"
mv "$work/in9/bad.tmp" "$work/in9/bad.ndjson"
"$FLOE" run --config "$work/floe9.conf" 2>> "$work/agent9.log" & pids+=($!)
drain_and_stop 9
dl_files=$(find "$work/landed9/_dead_letters" -type f 2>/dev/null | wc -l)
dl_lines=$(cat "$work/landed9/_dead_letters/"* 2>/dev/null | wc -l)
dl_max=$(find "$work/landed9/_dead_letters" -type f -printf '%s\n' 2>/dev/null | sort -n | tail -1)
if grep -q '^dead_bytes = 4K$' "$work/floe9.conf" && [ "$dl_files" -ge 5 ] && [ "$dl_lines" -eq 300 ] && [ "${dl_max:-0}" -le 8192 ]; then
  ok "dead_bytes = 4K: 300 dead letters in $dl_files objects of at most $dl_max bytes"
else bad "dead_bytes: $dl_files objects, $dl_lines lines, largest ${dl_max:-none} bytes; $(tail -2 "$work/agent9.log")"; fi
landed_once "$work/landed9" 2700 && ok "dead_bytes: the 2700 good records landed once" || bad "dead_bytes: records lost or duplicated"

# Disk faults from tests/tools/io_faults.c, preloaded (after ASan's runtime
# when $FLOE has one: it must come first). A static $FLOE (LIBC=musl) loads
# nothing: those cases are left out, and said to be.
if ! readelf -lW "$FLOE" | grep -q INTERP; then
  echo "skip  10, 11, 13, 16 (disk faults by LD_PRELOAD): $FLOE is static"
elif cc -shared -fPIC -o "$work/io_faults.so" tests/tools/io_faults.c -ldl 2> "$work/io_faults.err"; then
  asan=$(ldd "$FLOE" 2>/dev/null | awk '/libasan/ {print $3; exit}')
  faults="${asan:+$asan }$work/io_faults.so"

  # 10. A read error (EIO) partway through a source: the agent says so and
  #     reads again from its last commit; the source is not taken as ended
  #     (it was once: 1,211 of 10,000 rows landed, and the file was deleted).
  variant 10
  python3 tools/gen_telemetry.py --rows 10000 --seed 101 --start-ms 1762500000000 > "$work/in10/big.tmp"
  mv "$work/in10/big.tmp" "$work/in10/big.ndjson"
  EIO_MATCH=/in10/big.ndjson EIO_AT=262144 LD_PRELOAD=$faults \
    "$FLOE" run --config "$work/floe10.conf" 2>> "$work/agent10.log" & pids+=($!)
  drain_and_stop 10
  if grep -q "reading .*big.ndjson: Input/output error" "$work/agent10.log"; then
    ok "a read error partway through a source is reported"
  else bad "no read error in the log (the shim did not fire?): $(tail -3 "$work/agent10.log")"; fi
  landed_once "$work/landed10" 10000 && ok "after a read error, every record of the source landed once" ||
    bad "after a read error: records lost or duplicated"

  # 11. The spool's disk fills while rows of two sources wait in the open
  #     file (its idle seal fails), then frees; a third source follows. Every
  #     record of the three lands once (a failed idle seal once left the
  #     first two listed as pending, and the next commit deleted them unread:
  #     2,000 of 6,000 landed).
  variant 11 -e "s#^idle_s = 1\$#idle_s = 4#"
  for k in 1 2 3; do
    python3 tools/gen_telemetry.py --rows 2000 --seed $((110 + k)) --start-ms $((1762600000000 + k * 100000000)) \
      > "$work/s11-$k.ndjson"
  done
  ENOSPC_MATCH=/spool11/ ENOSPC_FLAG=$work/disk-full LD_PRELOAD=$faults \
    "$FLOE" run --config "$work/floe11.conf" 2>> "$work/agent11.log" & pids+=($!)
  for k in 1 2; do cp "$work/s11-$k.ndjson" "$work/in11/.s$k.tmp" && mv "$work/in11/.s$k.tmp" "$work/in11/s$k.ndjson"; done
  # Both read into the open file (the metrics say so each second), then the
  # disk fills before the idle seal (idle_s = 4) comes.
  for _ in $(seq 100); do grep -q '^floe_records_total{outcome="ok"} 4000$' "$work/floe11.prom" 2>/dev/null && break; sleep 0.1; done
  touch "$work/disk-full"
  for _ in $(seq 100); do grep -q 'no space left' "$work/agent11.log" 2>/dev/null && break; sleep 0.1; done
  rm -f "$work/disk-full"
  cp "$work/s11-3.ndjson" "$work/in11/.s3.tmp" && mv "$work/in11/.s3.tmp" "$work/in11/s3.ndjson"
  drain_and_stop 11
  fails=$(grep -c 'no space left' "$work/agent11.log")
  [ "$fails" -gt 0 ] && ok "the spool's disk was full for a while ($fails failed writes logged)" ||
    bad "the disk-full shim did not fire: $(tail -3 "$work/agent11.log")"
  landed_once "$work/landed11" 6000 && ok "after a full disk, every record of three sources landed once" ||
    bad "after a full disk: records lost or duplicated"

  # 13. A committed source the agent may not delete (EACCES on unlink while
  #     a flag file exists): it says so and stops reading rather than read
  #     it again as new, then goes on once the file can go. Every record of
  #     it and of the source after it lands once.
  variant 13
  python3 tools/gen_telemetry.py --rows 1000 --seed 131 --start-ms 1762900000000 > "$work/in13/.a.tmp"
  python3 tools/gen_telemetry.py --rows 1000 --seed 132 --start-ms 1763000000000 > "$work/s13-b.ndjson"
  mv "$work/in13/.a.tmp" "$work/in13/a.ndjson"
  touch "$work/stuck13"
  UNLINK_MATCH=/in13/a.ndjson UNLINK_FLAG=$work/stuck13 LD_PRELOAD=$faults \
    "$FLOE" run --config "$work/floe13.conf" 2>> "$work/agent13.log" & pids+=($!)
  for _ in $(seq 100); do grep -q 'a.ndjson is committed but cannot be deleted' "$work/agent13.log" 2>/dev/null && break; sleep 0.1; done
  cp "$work/s13-b.ndjson" "$work/in13/.b.tmp" && mv "$work/in13/.b.tmp" "$work/in13/b.ndjson"
  sleep 1
  stuck_ok=0
  grep -q 'a.ndjson is committed but cannot be deleted' "$work/agent13.log" && [ -e "$work/in13/a.ndjson" ] && stuck_ok=1
  rm -f "$work/stuck13"
  drain_and_stop 13
  [ "$stuck_ok" = 1 ] && [ ! -e "$work/in13/a.ndjson" ] && ok "a committed source that cannot be deleted is reported, and deleted once it can be" ||
    bad "undeletable source: stuck_ok=$stuck_ok, in13: $(ls "$work/in13"), log: $(tail -2 "$work/agent13.log")"
  landed_once "$work/landed13" 2000 && ok "undeletable source: its records and the next source's landed once" ||
    bad "undeletable source: records lost or duplicated"

  # 16. A source that cannot be opened (EACCES while a flag file exists) is
  #     passed over with a warning, and the file after it is read (it held
  #     every later file up, silently); once it opens, it is read too.
  variant 16
  python3 tools/gen_telemetry.py --rows 1000 --seed 161 --start-ms 1763100000000 > "$work/in16/.a.tmp"
  python3 tools/gen_telemetry.py --rows 1000 --seed 162 --start-ms 1763200000000 > "$work/in16/.b.tmp"
  mv "$work/in16/.a.tmp" "$work/in16/a.ndjson"
  mv "$work/in16/.b.tmp" "$work/in16/b.ndjson"
  touch "$work/locked16"
  OPEN_MATCH=/in16/a.ndjson OPEN_FLAG=$work/locked16 LD_PRELOAD=$faults \
    "$FLOE" run --config "$work/floe16.conf" 2>> "$work/agent16.log" & pids+=($!)
  for _ in $(seq 100); do [ ! -e "$work/in16/b.ndjson" ] && break; sleep 0.1; done
  passed_ok=0
  [ ! -e "$work/in16/b.ndjson" ] && [ -e "$work/in16/a.ndjson" ] &&
    grep -q 'cannot read .*a.ndjson (Permission denied); reading the files after it' "$work/agent16.log" && passed_ok=1
  rm -f "$work/locked16"
  # It is tried again 15 s after it was passed over.
  for _ in $(seq 250); do [ ! -e "$work/in16/a.ndjson" ] && break; sleep 0.1; done
  drain_and_stop 16
  [ "$passed_ok" = 1 ] && [ ! -e "$work/in16/a.ndjson" ] &&
    ok "an unreadable source is passed over with a warning, the next is read, and it is read once it opens" ||
    bad "unreadable source: passed_ok=$passed_ok, in16: $(ls "$work/in16"), log: $(tail -2 "$work/agent16.log")"
  landed_once "$work/landed16" 2000 && ok "unreadable source: its records and the next source's landed once" ||
    bad "unreadable source: records lost or duplicated"
else bad "cannot build tests/tools/io_faults.c: $(tail -2 "$work/io_faults.err")"; fi

# 12. A file whose mtime is in the future (the clock stepped back, or the file
#     came from a box whose clock ran ahead) is not taken as settled: it
#     waits until it has been seen unchanged for settle_ms. Here it grows
#     once after the agent first sees it; every record lands once and nothing
#     goes to failed/ (taken at once, as it once was, the first 1000 records
#     landed and the grown file was kept in failed/).
variant 12 -e "s#^settle_ms = 0\$#settle_ms = 1500#"
python3 tools/gen_telemetry.py --rows 1000 --seed 121 --start-ms 1762700000000 > "$work/in12/late.ndjson"
touch -d '+1 hour' "$work/in12/late.ndjson"
"$FLOE" run --config "$work/floe12.conf" 2>> "$work/agent12.log" & pids+=($!)
# The metrics file comes after the writer's first listings (every 200 ms).
for _ in $(seq 100); do [ -s "$work/floe12.prom" ] && break; sleep 0.1; done
sleep 0.3
python3 tools/gen_telemetry.py --rows 10 --seed 122 --start-ms 1762800000000 >> "$work/in12/late.ndjson"
touch -d '+1 hour' "$work/in12/late.ndjson"
drain_and_stop 12
if grep -q '^settle_ms = 1500$' "$work/floe12.conf" && [ ! -e "$work/in12/failed/late.ndjson" ] &&
   ! grep -q 'changed after it was read' "$work/agent12.log"; then
  ok "a file with a future mtime waits to settle; it is not read while it still grows"
else bad "future mtime: failed/ $(ls "$work/in12/failed" 2>&1), log: $(tail -2 "$work/agent12.log")"; fi
landed_once "$work/landed12" 1010 && ok "future mtime: all 1010 records landed once" ||
  bad "future mtime: records lost or duplicated"

# 15. A .zst source cut short inside a frame: what came before the cut lands,
#     its dead letter says truncated_input, and the file is kept in failed/
#     and counted, as a corrupt one is (it was deleted with no word).
variant 15
python3 tools/gen_telemetry.py --rows 3000 --seed 151 --start-ms 1763100000000 | zstd -q -c > "$work/whole15.zst"
head -c $(($(stat -c %s "$work/whole15.zst") / 2)) "$work/whole15.zst" > "$work/in15/.cut.tmp"
mv "$work/in15/.cut.tmp" "$work/in15/cut.ndjson.zst"
"$FLOE" run --config "$work/floe15.conf" 2>> "$work/agent15.log" & pids+=($!)
drain_and_stop 15
cut_rows=$(sed -n 's/^floe_records_total{outcome="ok"} //p' "$work/floe15.prom")
if cmp -s "$work/in15/failed/cut.ndjson.zst" <(head -c $(($(stat -c %s "$work/whole15.zst") / 2)) "$work/whole15.zst") &&
   grep -q 'cut.ndjson.zst is truncated inside a zstd frame' "$work/agent15.log" &&
   grep -q '^floe_source_files_failed_total 1$' "$work/floe15.prom" && [ "${cut_rows:-0}" -gt 0 ] && [ "$cut_rows" -lt 3000 ]; then
  ok "a truncated .zst source is kept in failed/ and counted; the $cut_rows records before the cut landed"
else bad "truncated .zst: failed/ $(ls "$work/in15/failed" 2>&1), rows ${cut_rows:-?}, log: $(tail -2 "$work/agent15.log")"; fi
landed_once "$work/landed15" "$cut_rows" && ok "truncated .zst: the records before the cut landed once" ||
  bad "truncated .zst: records lost or duplicated"

# 14. A presigned target URL the uploader cannot use: the error names the
#     URL without its query (the signature is a credential; this one error
#     printed it whole).
variant 14 -e "s#^url = file://$work/landed14\$#url = https://ingest.example.invalid/up/{key}?X-Amz-Signature=SECRETSIG14\&x=a|b#"
"$FLOE" run --config "$work/floe14.conf" 2>> "$work/agent14.log" & pids+=($!)
for _ in $(seq 50); do grep -q 'invalid target settings' "$work/agent14.log" 2>/dev/null && break; sleep 0.1; done
kill -TERM "${pids[-1]}" 2>/dev/null; wait "${pids[-1]}"
if grep -q 'SECRETSIG14' "$work/floe14.conf" && grep -q 'invalid target settings (https://ingest.example.invalid/up/{key}?(query not logged))' "$work/agent14.log" &&
   ! grep -q 'SECRETSIG14' "$work/agent14.log" "$work/floe14.prom" 2>/dev/null; then
  ok "an unusable presigned URL is reported without its query"
else bad "presigned URL in the log: $(grep -m1 'invalid target' "$work/agent14.log")"; fi

# 17. sort_by on a wide schema: 32K pages would leave its 1 MiB row groups no
#     room for a row, so the agent takes smaller pages, says so at start, and
#     the records land.
python3 - "$work" <<'PY'
import json, random, sys
work = sys.argv[1]
cols = [{"name": "ts", "type": "timestamp_us"}, {"name": "device_id", "type": "string"}, {"name": "seq", "type": "int64"}] + \
       [{"name": "s%d" % i, "type": "string"} for i in range(3)] + [{"name": "d%d" % i, "type": "double"} for i in range(14)]
json.dump({"columns": cols}, open(f"{work}/schema17.json", "w"))
rng = random.Random(17)
with open(f"{work}/wide.tmp", "w") as f:
    for r in range(600):
        row = {"ts": "2025-11-15T10:00:%02d.%03dZ" % (r // 100, r % 100), "device_id": "dev-%d" % rng.randrange(7), "seq": r}
        row.update({"s%d" % i: "key-%d" % rng.randrange(7) for i in range(3)})
        row.update({"d%d" % i: round(rng.uniform(-50, 50), 2) for i in range(14)})
        f.write(json.dumps(row) + "\n")
PY
variant 17 -e "s#^file = $PWD/tools/schemas/telemetry.json\$#file = $work/schema17.json#" -e "s#^file_rows = 7000\$#file_rows = 7000\nsort_by = device_id#"
mv "$work/wide.tmp" "$work/in17/wide.ndjson"
"$FLOE" run --config "$work/floe17.conf" 2>> "$work/agent17.log" & pids+=($!)
drain_and_stop 17
if grep -q 'page_bytes 32768 leaves 20 columns no room for sort_by in row groups of 1048576 bytes: pages of [0-9]* bytes instead' \
     "$work/agent17.log"; then
  ok "sort_by on 20 columns: smaller pages, said at start ($(grep -o 'pages of [0-9]* bytes' "$work/agent17.log"))"
else bad "sort_by on 20 columns: no word of smaller pages: $(head -3 "$work/agent17.log")"; fi
landed_once "$work/landed17" 600 && ok "sort_by on 20 columns: all 600 records landed once" ||
  bad "sort_by on 20 columns: records lost or duplicated"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
