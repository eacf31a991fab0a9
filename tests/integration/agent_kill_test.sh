#!/usr/bin/env bash
# Kill test of the agent: `floe run --config` killed with SIGKILL at random
# moments and started again each time, while files arrive in its watched
# folder (plain and .ndjson.zst, some with malformed lines, written under a
# hidden temp name and renamed in, as a gateway would) and it uploads to a
# file:// target. A run is sometimes given SIGTERM and then SIGKILL during its
# shutdown. Each round ends with an uninterrupted run that drains the spool
# and stops on SIGTERM; DuckDB then checks that every good input record
# (device_id + seq, with its values) is in exactly one uploaded Parquet
# object, that every malformed line (source + line) is in exactly one
# uploaded or spooled dead-letter entry, and that neither the spool, the
# target nor the watched folder holds anything else. Rounds start afresh
# until KILLS kills are done. A baseline round without kills is checked first.
# Usage: FLOE=build/host/floe KILLS=100 SEED=7 tests/integration/agent_kill_test.sh
# INJECT=dup_parquet|drop_parquet|dup_dead|drop_dead|stray_tmp alters the first
# checked output on purpose: the check must then fail (it shows it can).
# LATE_NAME=1 (the default) names the last file to arrive so that it sorts
# before the files already taken (two producers, or a clock step): it must be
# read, and a source left part-way by a kill must be finished before it (the
# committed position is one source index and offset). LATE_NAME=0: in order.
# SORT_BY=COLUMN: the agent groups rows by it ([parquet] sort_by, 64K
# windows), which holds rows back past the positions it commits.
# JITTER=1: the rows span 01:59-02:03 with clocks that disagree by up to 3 s,
# so rows alternate between hours 1 and 2: late rows are held (16K window)
# and sealed with the open file as one commit group of several files.
# Needs NODE_PATH with @duckdb/node-api, zstd and python3.
set -uo pipefail
cd "$(dirname "$0")/../.."
FLOE=${FLOE:-build/host/floe}
KILLS=${KILLS:-100}
ROWS=${ROWS:-24000}
FILES=${FILES:-8}
SEED=${SEED:-7}
INJECT=${INJECT:-}
LATE_NAME=${LATE_NAME:-1}
JITTER=${JITTER:-0}
ROUND_KILLS=${ROUND_KILLS:-40}   # at most this many kills in one round
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
work=$(mktemp -d)
agent=
cleanup() { [ -n "$agent" ] && kill -9 "$agent" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
started=$(date +%s%N)
passed=0
failed=0
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
give_up() { echo "agent_kill_test: $*"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }

# ---- inputs: FILES sources from one generated stream, with known bad lines ----
python3 ../shared/bench/gen_telemetry.py --rows "$ROWS" --seed "$SEED" > "$work/all.ndjson" ||
  give_up "cannot generate telemetry"
mkdir -p "$work/src"
python3 - "$work" "$FILES" "$SEED" "$LATE_NAME" "$JITTER" <<'PY' || give_up "cannot build the sources"
import datetime, json, random, re, sys
work, nfiles, seed, late = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
rows = open(f"{work}/all.ndjson", "rb").read().splitlines()
if sys.argv[5] == "1":
    jr = random.Random(seed + 1)
    base = datetime.datetime(2025, 1, 1, 1, 59, tzinfo=datetime.timezone.utc)
    def at(k):
        t = base + datetime.timedelta(seconds=240.0 * k / len(rows) + jr.uniform(-3, 3))
        return b'"ts":"%s.%03dZ"' % (t.strftime("%Y-%m-%dT%H:%M:%S").encode(), t.microsecond // 1000)
    rows = [re.sub(rb'"ts":"[^"]*"', lambda m, k=k: at(k), r, count=1) for k, r in enumerate(rows)]
ids = set()
for r in rows:
    o = json.loads(r)
    ids.add((o["device_id"], o["seq"]))
assert len(ids) == len(rows), "generated (device_id, seq) are not unique"
rng = random.Random(seed)
good, dead, names = [], [], []
per = len(rows) // nfiles
for i in range(nfiles):
    chunk = rows[i * per:(i + 1) * per] if i < nfiles - 1 else rows[i * per:]
    zst = i % 2 == 1
    # LATE_NAME=1: the last file to arrive sorts before the others by name.
    stem = f"a{i:03d}-{seed}" if late and i == nfiles - 1 else f"t{i:03d}-{seed}"
    name = f"{stem}.ndjson" + (".tmp-plain" if zst else "")
    final = f"{stem}.ndjson" + (".zst" if zst else "")
    lines = list(chunk)
    good.extend(chunk)
    if i % 4 in (1, 2):
        # Malformed lines of every kind, each unique, at random places.
        m = f"{i}-{seed}"
        bad = [b'{"ts":"2025-01-01T00:00:00Z","device_id":"bad-%s-1","seq":"not a number"}' % m.encode(),
               b'{broken json %s-2' % m.encode(),
               b'{"device_id":"bad-%s-3","seq":3}' % m.encode(),
               b'{"ts":"2025-01-01T00:00:00Z","device_id":"bad-%s-4-\xff\xfe","seq":4}' % m.encode(),
               b'{"ts":"2025-01-01T00:00:00Z","device_id":"bad-%s-5","seq":5,"pad":"%s"}' % (m.encode(), b"x" * 9000),
               b'["bad-%s-6"]' % m.encode()]
        for b in bad:
            lines.insert(rng.randrange(1, len(lines)), b)
    if i % 3 == 0:
        lines.insert(rng.randrange(1, len(lines)), b"")  # a blank line is skipped, not a dead letter
    last_newline = i != nfiles - 1 or nfiles == 1  # the last file ends without a newline
    for n, l in enumerate(lines, 1):
        if l.startswith(b'{broken') or b'"bad-' in l or l.startswith(b'["bad-'):
            dead.append({"source": final, "line": n})
    with open(f"{work}/src/{name}", "wb") as f:
        f.write(b"\n".join(lines) + (b"\n" if last_newline else b""))
    names.append(final)
with open(f"{work}/good.ndjson", "wb") as f:
    f.write(b"\n".join(good) + b"\n")
with open(f"{work}/dead.json", "w") as f:
    json.dump(dead, f)
with open(f"{work}/names", "w") as f:
    f.write("\n".join(names) + "\n")
PY
for f in "$work"/src/*.tmp-plain; do
  zstd -q --rm "$f" -o "${f%.tmp-plain}.zst" || give_up "zstd failed"
done
mapfile -t names < "$work/names"
n_dead=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/dead.json")

in=$work/in
spool=$work/spool
landed=$work/landed
late_line=
[ "$JITTER" = 1 ] && late_line="late_window_bytes = 16K"
cat > "$work/floe.conf" <<CONF
[source]
dir = $in
settle_ms = 0
[schema]
file = $PWD/tools/schemas/telemetry.json
[parquet]
file_rows = 500
idle_s = 1
partition_by = ts:hour
$late_line
max_line = 8K
${SORT_BY:+sort_by = $SORT_BY}
${SORT_BY:+sort_window_bytes = 64K}
[spool]
dir = $spool
[target]
url = file://$landed
[upload]
backoff_base_ms = 50
backoff_max_ms = 200
dead_letters = true
[log]
level = warn
CONF

fed=0
feed() { # the next source, written under a hidden temp name and renamed in
  local n=${names[$fed]}
  cp "$work/src/$n" "$in/.$n.tmp" && mv "$in/.$n.tmp" "$in/$n"
  fed=$((fed + 1))
}
drained() {
  [ "$fed" -eq "$FILES" ] && [ -z "$(ls -A "$in")" ] && [ -z "$(ls "$spool/ready" 2>/dev/null)" ] &&
    [ -f "$spool/checkpoint" ]
}
start_agent() {
  echo "---- run $runs" >> "$work/agent.log"
  "$FLOE" run --config "$work/floe.conf" 2>> "$work/agent.log" &
  agent=$!
}
show_log() { grep -v -e '^---- run' -e 'resuming from the last committed' -e 'spool: recovered' "$work/agent.log" | tail -20; }
# Which of drained()'s conditions failed: what is left in the source folder and the spool.
show_state() {
  echo "agent_kill_test: fed $fed of $FILES; source folder:"; ls -la "$in"
  echo "agent_kill_test: spool:"; ls -laR "$spool" | head -40
}

# The last run of a round: feed what is left, drain, SIGTERM, exit 0.
finish_round() {
  while [ "$fed" -lt "$FILES" ]; do feed; done
  start_agent
  local i
  for i in $(seq 600); do drained && break; sleep 0.1; done
  drained || { kill -9 "$agent"; show_log; show_state; give_up "round $rounds: not drained after 60 s"; }
  sleep 0.2
  kill -TERM "$agent"
  local rc=0
  wait "$agent" 2>/dev/null || rc=$?
  agent=
  [ "$rc" -eq 0 ] || { show_log; give_up "round $rounds: exit $rc after SIGTERM (want 0)"; }
}

inject() {
  local p d
  p=$(find "$landed" -name '*.parquet' | head -1)
  d=$(find "$landed/_dead_letters" -name '*.ndjson' 2>/dev/null | head -1)
  case "$INJECT" in
    dup_parquet) cp "$p" "$(dirname "$p")/01900000-0000-7000-8000-000000000000.parquet" ;;
    drop_parquet) rm "$p" ;;
    dup_dead) cp "$d" "$spool/dead/0000000000000999.ndjson" ;;
    drop_dead) rm "$d" ;;
    stray_tmp) : > "$spool/tmp/0000000000000999.dead.tmp" ;;
    *) give_up "INJECT=$INJECT: want dup_parquet, drop_parquet, dup_dead, drop_dead or stray_tmp" ;;
  esac
  echo "agent_kill_test: INJECT=$INJECT applied: the check below must fail"
  INJECT=
}

check() {
  [ -n "$INJECT" ] && inject
  node - "$landed" "$spool" "$in" "$work/good.ndjson" "$work/dead.json" <<'JS'
const [landed, spool, inDir, good, deadJson] = process.argv.slice(2);
const { DuckDBInstance } = require('@duckdb/node-api');
const fs = require('fs');
const path = require('path');
const walk = (d) => fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]) : [];
(async () => {
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const one = async (s) => (await con.runAndReadAll(s)).getRowObjects()[0];
  const cols = 'device_id, seq, temp_c, rssi, status';
  const pq = `(SELECT ${cols} FROM read_parquet('${landed}/**/*.parquet'))`;
  const js = `(SELECT ${cols} FROM read_json('${good}', format='newline_delimited',
               columns={device_id: 'VARCHAR', seq: 'BIGINT', temp_c: 'DOUBLE', rssi: 'INTEGER', status: 'VARCHAR'}))`;
  const r = await one(`SELECT (SELECT count(*) FROM ${pq}) AS rows,
      (SELECT count(*) FROM (SELECT DISTINCT device_id, seq FROM ${pq})) AS distinct_ids,
      (SELECT count(*) FROM ${js}) AS input_rows,
      (SELECT count(*) FROM (SELECT * FROM ${js} EXCEPT SELECT * FROM ${pq})) AS missing,
      (SELECT count(*) FROM (SELECT * FROM ${pq} EXCEPT SELECT * FROM ${js})) AS extra`);
  const res = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
  // Dead letters by identity (source, line), uploaded or still spooled.
  const want = new Map(JSON.parse(fs.readFileSync(deadJson, 'utf8')).map((d) => [`${d.source}:${d.line}`, 0]));
  let deadEntries = 0, deadUnknown = 0, deadBadLines = 0;
  const deadFiles = walk(`${landed}/_dead_letters`).concat(walk(`${spool}/dead`));
  for (const f of deadFiles)
    for (const l of fs.readFileSync(f, 'utf8').split('\n').filter((x) => x.length)) {
      let d;
      try { d = JSON.parse(l); } catch { deadBadLines++; continue; }
      deadEntries++;
      const k = `${d.source}:${d.line}`;
      if (want.has(k)) want.set(k, want.get(k) + 1); else deadUnknown++;
    }
  res.dead_expected = want.size;
  res.dead_entries = deadEntries;
  res.dead_missing = [...want.values()].filter((n) => n === 0).length;
  res.dead_twice = [...want.values()].filter((n) => n > 1).length;
  res.dead_unknown = deadUnknown + deadBadLines;
  // Nothing else: the target holds Parquet objects under the partition
  // folders and dead-letter objects; the spool its checkpoint, the metas of
  // uploaded batches (done/) and spooled dead letters; the watched folder nothing.
  const unexpected = [];
  for (const f of walk(landed)) {
    const rel = path.relative(landed, f);
    if (!/^dt=\d{4}-\d\d-\d\d\/hour=\d{1,2}\/[0-9a-f-]{36}\.parquet$/.test(rel) &&
        !/^_dead_letters\/[0-9a-f-]{36}\.ndjson$/.test(rel)) unexpected.push(`target:${rel}`);
  }
  for (const f of walk(spool)) {
    const rel = path.relative(spool, f);
    if (rel !== 'checkpoint' && rel !== 'agent-sources' && !/^done\/[0-9a-f]{16}\.meta$/.test(rel) && !/^dead\/[0-9a-f]{16}\.ndjson$/.test(rel))
      unexpected.push(`spool:${rel}`);
  }
  for (const f of walk(inDir)) unexpected.push(`in:${path.relative(inDir, f)}`);
  res.unexpected = unexpected.slice(0, 5);
  console.log(JSON.stringify(res));
  const ok = res.input_rows > 0 && res.rows === res.input_rows && res.distinct_ids === res.rows &&
             res.missing === 0 && res.extra === 0 && res.dead_expected > 0 && res.dead_missing === 0 &&
             res.dead_twice === 0 && res.dead_unknown === 0 && unexpected.length === 0;
  process.exit(ok ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(2); });
JS
}

# ---- baseline: all sources at once, no kills; its time aims the kills ----
rounds=0
runs=0
mkdir -p "$in"
t0=$(date +%s%N)
finish_round
full_ms=$(ms_since "$t0")
if check; then
  passed=$((passed + 1)); echo "ok: baseline without kills (${full_ms} ms to drain and stop)"
else
  failed=$((failed + 1)); echo "FAILED: baseline without kills"; show_log
fi
if [ "$JITTER" = 1 ]; then
  # Each row of the other hour would seal a file without the late window.
  objs=$(find "$landed" -name '*.parquet' | wc -l)
  bound=$(( ROWS / 500 + 24 ))
  if [ "$objs" -le "$bound" ]; then
    passed=$((passed + 1)); echo "ok: clocks jittered across the hour made $objs objects (at most $bound)"
  else
    failed=$((failed + 1)); echo "FAILED: clocks jittered across the hour made $objs objects (want at most $bound)"
  fi
fi
# Kill delays: mostly within the first part of the work (as kill_test.sh
# aims inside a run), one run in eight long enough for the idle seal of the
# tail and its upload, one in ten ended by SIGTERM and then SIGKILL in the
# middle of the clean stop.
window=$(( full_ms / 6 + 50 ))

kills=0
term_kills=0
upload_kills=0
pending_kills=0
batch_kills=0
while [ "$kills" -lt "$KILLS" ]; do
  rounds=$((rounds + 1))
  rm -rf "$in" "$spool" "$landed"
  mkdir -p "$in"
  : > "$work/agent.log"
  fed=0
  feed
  feed
  rkills=0
  while :; do
    runs=$((runs + 1))
    if [ $((RANDOM % 8)) -eq 0 ]; then d=$(( window + RANDOM % 1500 )); else d=$(( RANDOM % window + 1 )); fi
    start_agent
    if [ "$fed" -lt "$FILES" ] && [ $((runs % 2)) -eq 0 ]; then
      a=$(( RANDOM % d ))
      sleep_ms "$a"
      feed
      sleep_ms $(( d - a ))
    else
      sleep_ms "$d"
    fi
    term=0
    if [ $((RANDOM % 10)) -eq 0 ]; then
      term=1
      kill -TERM "$agent" 2>/dev/null
      sleep_ms $(( RANDOM % 40 ))
    fi
    kill -9 "$agent" 2>/dev/null
    rc=0
    wait "$agent" 2>/dev/null || rc=$?
    agent=
    # 143: SIGTERM landed before floe installed its handler (or before exec);
    # the default action ends it as abruptly as SIGKILL, so it counts as a kill.
    if [ "$rc" -eq 137 ] || { [ "$term" -eq 1 ] && [ "$rc" -eq 143 ]; }; then
      kills=$((kills + 1))
      rkills=$((rkills + 1))
      [ "$term" -eq 1 ] && term_kills=$((term_kills + 1))
      [ -n "$(ls "$spool/ready" 2>/dev/null)" ] && pending_kills=$((pending_kills + 1))
      [ -n "$(find "$landed" -name '*.part' 2>/dev/null | head -1)" ] && upload_kills=$((upload_kills + 1))
      [ -n "$(ls -A "$spool/tmp" 2>/dev/null)" ] && batch_kills=$((batch_kills + 1))
    elif ! { [ "$term" -eq 1 ] && [ "$rc" -eq 0 ]; }; then
      show_log
      give_up "round $rounds run $runs: floe exited $rc without being killed"
    fi
    drained && break
    [ "$rkills" -ge "$ROUND_KILLS" ] || [ "$kills" -ge "$KILLS" ] && break
  done
  finish_round
  echo "agent_kill_test: round $rounds: $rkills kills, $kills in all ($runs runs; window ${window} ms)"
  if check; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: round $rounds"; show_log; fi
done
echo "agent_kill_test: seed $SEED, $ROWS rows in $FILES files, $n_dead bad lines; $kills kills" \
     "($pending_kills with uploads pending, $upload_kills with an object half-copied, $batch_kills with a batch open in tmp/, $term_kills during a SIGTERM stop)," \
     "$runs runs, $rounds rounds in $(( $(ms_since "$started") / 1000 )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
