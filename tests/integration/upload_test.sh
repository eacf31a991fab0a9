#!/usr/bin/env bash
# The uploader against a real S3 implementation (s3rver) behind a proxy that
# recomputes every SigV4 signature with the AWS SDK's signer and checks every
# payload hash and CRC-32C (tests/integration/s3/server.mjs), on 127.0.0.1:
#  - PUT and multipart uploads land byte for byte as the spool held them (the
#    AWS CLI downloads them), and DuckDB reads the objects;
#  - injected faults (503 SlowDown with Retry-After, 500, connection resets,
#    truncated and garbage answers) are retried until every file is in the
#    bucket exactly once;
#  - a multipart upload killed half-way resumes from its journal;
#  - bad credentials stop at once with the store's error, without spinning;
#  - over HTTPS (a test CA from s3/make_certs.sh) the same uploads land, and a
#    certificate for another host name is refused before any request is sent;
#  - through an HTTP CONNECT proxy with Basic auth (s3/connect_proxy.mjs), and
#    wrong proxy credentials stop at once without the password in the log;
#  - plain HTTPS PUT to an ingest endpoint (s3/ingest.mjs) with a bearer token;
#  - mutual TLS: a client certificate from the test CA, and a refusal without it.
# Needs $FLOE, NODE_PATH and aws (Debian awscli). Prints "N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/../.."
FLOE=${FLOE:-build/host/floe}
work=$(mktemp -d)
srv_pid=""
px_pid=""
in_pid=""
stop_server() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; srv_pid=""; }
# Only this shell cleans up: a subshell killed right after its fork (the
# SIGTERM section's watchdog) can still run an inherited EXIT trap, and it
# once removed $work in the middle of the run.
main_pid=$BASHPID
trap 'if [ "$BASHPID" = "$main_pid" ]; then stop_server; [ -n "$px_pid" ] && kill "$px_pid" 2>/dev/null; [ -n "$in_pid" ] && kill "$in_pid" 2>/dev/null; rm -rf "$work"; fi' EXIT
passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }
export AWS_ACCESS_KEY_ID=FLOETESTKEY AWS_SECRET_ACCESS_KEY=floe-test-secret-key AWS_DEFAULT_REGION=us-east-1
# The AWS CLI (Debian awscli) downloads what landed; it sees only this setup.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_CA_BUNDLE AWS_ENDPOINT_URL
export AWS_CONFIG_FILE=$work/aws-config AWS_SHARED_CREDENTIALS_FILE=$work/aws-credentials
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
printf '[default]\ns3 =\n    addressing_style = path\n' > "$AWS_CONFIG_FILE"
: > "$AWS_SHARED_CREDENTIALS_FILE"

start_server() { # [fault spec [server options...]]
  local faults=${1:-}
  shift || true
  stop_server
  rm -rf "$work/data" "$work/srv.json"
  node tests/integration/s3/server.mjs --data "$work/data" --bucket lake --min-part-size 65536 \
    ${faults:+--faults "$faults"} ${TLS_PAIR:+--tls "$TLS_PAIR"} "$@" > "$work/srv.json" 2> "$work/srv.log" &
  srv_pid=$!
  for _ in $(seq 100); do grep -q '}' "$work/srv.json" 2>/dev/null && break; sleep 0.1; done
  EP=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$work/srv.json','utf8')).endpoint)")
}

make_spool() { # DIR ROWS [BAD]: three Parquet files, one big enough for multipart
  rm -rf "$1"
  python3 tools/gen_telemetry.py --rows "$2" --seed 9 --bad "${3:-2}" > "$work/in.ndjson"
  "$FLOE" convert --spool "$1" --schema tools/schemas/telemetry.json --file-rows $(($2 / 3 + 1)) \
    "$work/in.ndjson" > /dev/null 2>&1
  rm -rf "$1.copy"
  cp -r "$1" "$1.copy"
}

upload() { # SPOOL [extra args]: exit status of floe upload
  local sp=$1
  shift
  "$FLOE" upload --spool "$sp" s3://lake/tele --endpoint "$EP" --path-style --part-size 128K \
    --multipart-threshold 300K --dead-letters --quiet --timeout-ms 3000 "$@" > "$work/up.log" 2>&1
}

# Every batch of the spool copy is in the bucket under its key, byte for byte.
check_landed() { # SPOOL_COPY
  rm -rf "$work/got"
  timeout 120 aws --endpoint-url "$EP" s3 cp --recursive --only-show-errors s3://lake/tele/ "$work/got/tele" \
    > "$work/aws.log" 2>&1 || { echo "aws s3 cp: $(tail -2 "$work/aws.log")"; return 1; }
  local meta key n=0
  for meta in "$1"/ready/*.meta; do
    key=$(sed -n 's/^key //p' "$meta")
    cmp -s "${meta%.meta}.parquet" "$work/got/tele/$key" || { echo "differs: $key"; return 1; }
    n=$((n + 1))
  done
  [ "$(find "$work/got/tele" -name '*.parquet' | wc -l)" -eq "$n" ] || { echo "extra objects"; return 1; }
  # Dead letters (floe upload --dead-letters) land whole, whatever their size.
  # Their key (a UUIDv7 under _dead_letters/) is in the batch's meta.
  local dead dkey nd=0
  for meta in "$1"/ready/*.meta; do
    dkey=$(sed -n 's/^dead_key //p' "$meta")
    [ -n "$dkey" ] || continue
    dead="$1/dead/$(basename "${meta%.meta}").ndjson"
    cmp -s "$dead" "$work/got/tele/$dkey" || { echo "dead letters differ: $dead"; return 1; }
    nd=$((nd + 1))
  done
  [ "$(find "$work/got/tele" -path '*_dead_letters/*' -type f | wc -l)" -eq "$nd" ] || { echo "extra dead-letter objects"; return 1; }
}

# 1. Plain run: PUT and multipart, checked byte for byte and read by DuckDB.
start_server
make_spool "$work/sp" 60000
if upload "$work/sp" && check_landed "$work/sp.copy"; then ok "PUT and multipart land byte for byte"
else bad "plain upload: $(tail -3 "$work/up.log")"; fi
if node -e "
  const { DuckDBInstance } = require('@duckdb/node-api');
  (async () => { const c = await (await DuckDBInstance.create(':memory:')).connect();
    const r = (await c.runAndReadAll(\"SELECT count(*) AS n FROM read_parquet('$work/got/tele/*.parquet')\")).getRowObjects()[0];
    process.exit(Number(r.n) === 59998 ? 0 : 1); })();"; then ok "DuckDB reads 59998 rows from the bucket"
else bad "DuckDB row count"; fi
[ -z "$(ls "$work/sp/ready")" ] && ok "the spool is empty after the upload" || bad "spool not empty"

# 1b. A batch with 300 KB of dead letters (more than the uploader's 64 KiB copy buffer).
start_server
make_spool "$work/sp1b" 9000 3000
if upload "$work/sp1b" && check_landed "$work/sp1b.copy"; then
  ok "dead letters land whole ($(cat "$work/sp1b.copy"/dead/*.ndjson | wc -c) bytes)"
else bad "big dead letters: $(tail -3 "$work/up.log")"; fi

# 1b'. One connection (strictly oldest first) and four: every batch lands once.
for n in 1 4; do
  start_server
  make_spool "$work/sp1n" 9000
  if upload "$work/sp1n" --connections "$n" && check_landed "$work/sp1n.copy" &&
     [ -z "$(ls "$work/sp1n/ready")" ] && grep -q "$([ "$n" = 1 ] && echo 'bytes$' || echo "$n connections")" "$work/up.log" &&
     puts=$(node -e "fetch('$EP/__stats').then(r => r.json()).then(s => console.log(s.by_op.PutObject))") &&
     [ "$puts" -eq $(($(ls "$work/sp1n.copy"/ready/*.parquet | wc -l) + $(ls "$work/sp1n.copy"/dead/*.ndjson | wc -l))) ] &&
     grep -q "^floe upload: $(ls "$work/sp1n.copy"/ready/*.meta | wc -l) uploaded," "$work/up.log"; then
    ok "--connections $n: $(grep -o '[0-9]* uploaded' "$work/up.log"), $puts PUTs: each object once"
  else bad "--connections $n: $(tail -3 "$work/up.log")"; fi
done

# 1c. Manifests (--manifests): one per Parquet object, under tele/_manifests/
#     at the object's path, whose facts match the spool's meta and the object
#     itself (DuckDB's min/max of ts), partition values from the hive folders.
start_server
rm -rf "$work/sp1c"
python3 tools/gen_telemetry.py --rows 6000 --seed 9 --bad 2 > "$work/in.ndjson"
"$FLOE" convert --spool "$work/sp1c" --schema tools/schemas/telemetry.json --file-rows 2001 \
  --partition-by ts:hour "$work/in.ndjson" > /dev/null 2>&1
rm -rf "$work/sp1c.copy" && cp -r "$work/sp1c" "$work/sp1c.copy"
if upload "$work/sp1c" --manifests && check_landed "$work/sp1c.copy" &&
   python3 - "$work/sp1c.copy" "$work/got/tele" > "$work/manifests.log" 2>&1 <<'PY'
import glob, json, os, subprocess, sys
spool, got = sys.argv[1], sys.argv[2]
metas = sorted(glob.glob(spool + "/ready/*.meta"))
found = sorted(glob.glob(got + "/_manifests/**/*.json", recursive=True))
assert len(found) == len(metas) > 0, (len(found), len(metas))
for meta in metas:
    m = dict(l.rstrip("\n").split(" ", 1) for l in open(meta) if " " in l)
    key = m["key"]
    path = got + "/_manifests/" + key[: -len(".parquet")] + ".json"
    man = json.load(open(path))
    assert man["key"] == "tele/" + key, man["key"]
    assert man["size"] == int(m["size"]) == os.path.getsize(got + "/" + key), man
    assert man["records"] == int(m["rows"]) and man["sha256"] == m["sha256"], man
    assert man["crc32c"] == int(m["crc32c"]) and man["format"] == "parquet", man
    want = dict(seg.split("=", 1) for seg in key.split("/")[:-1])
    assert man["partition"] == want and set(want) == {"dt", "hour"}, (man["partition"], want)
    q = ("SELECT strftime(min(ts), '%Y-%m-%dT%H:%M:%S.%fZ'), strftime(max(ts), '%Y-%m-%dT%H:%M:%S.%fZ'), count(*) "
         "FROM read_parquet('" + got + "/" + key + "')")
    out = subprocess.run(["node", "-e", """
      const { DuckDBInstance } = require('@duckdb/node-api');
      (async () => { const c = await (await DuckDBInstance.create(':memory:')).connect();
        console.log(JSON.stringify((await c.runAndReadAll(process.argv[1])).getRows()[0].map(String))); })();
    """, q], capture_output=True, text=True, check=True).stdout
    lo, hi, n = json.loads(out)
    assert (man["min_ts"], man["max_ts"], man["records"]) == (lo, hi, int(n)), (man, lo, hi, n)
print(len(found), "manifests")
PY
then ok "manifests: $(tail -1 "$work/manifests.log"), each matching its object (size, records, SHA-256, CRC-32C, ts range, partition)"
else bad "manifests: $(tail -3 "$work/manifests.log") $(tail -2 "$work/up.log")"; fi

# 2. Faults on the way: every file still lands exactly once.
start_server "503-slowdown@2;500@4;reset-request@6;reset-response@8;truncate@10;garbage@12;503-slowdown@15;seed=3"
make_spool "$work/sp2" 60000
retries2=0
if upload "$work/sp2" && check_landed "$work/sp2.copy"; then
  retries2=$(sed -n 's/.* \([0-9]*\) retries,.*/\1/p' "$work/up.log")
  [ "${retries2:-0}" -gt 0 ] && ok "through injected faults: $retries2 retries" || bad "faults: no retry counted: $(tail -1 "$work/up.log")"
else bad "faults: $(tail -3 "$work/up.log")"; fi
inj=$(node -e "fetch('$EP/__stats').then(r => r.json()).then(s => console.log(s.faults_injected)).catch(() => console.log(0))")
[ "${inj:-0}" -ge 5 ] && ok "the proxy injected $inj faults" || bad "faults injected: ${inj:-?}"

# 3. A multipart upload killed half-way resumes from its journal.
start_server "stall@5,seconds=30"
make_spool "$work/sp3" 60000
{ timeout -s KILL 2 "$FLOE" upload --spool "$work/sp3" s3://lake/tele --endpoint "$EP" --path-style \
  --part-size 128K --multipart-threshold 300K --dead-letters --quiet > /dev/null 2>&1; } 2>/dev/null
ls "$work/sp3/uploads/"*.journal > /dev/null 2>&1 && ok "a journal survives the kill" || bad "no journal after the kill"
# The kill hit the parent only: its lanes (one process per connection) go with it.
sleep 0.3
if pgrep -f -- "--spool $work/sp3 " > /dev/null; then bad "a lane outlived its killed parent"
else ok "no lane outlives its killed parent"; fi
# SIGTERM to the parent (a service manager's stop) reaches every lane too.
make_spool "$work/sp3t" 9000 # three batches: both lanes have work
node -e "fetch('$EP/__faults', { method: 'POST', body: 'stall,seconds=30' }).catch(() => {})"
"$FLOE" upload --spool "$work/sp3t" s3://lake/tele --endpoint "$EP" --path-style --part-size 128K \
  --multipart-threshold 300K --dead-letters --quiet > "$work/term.log" 2>&1 &
up_pid=$!
sleep 1.5
kill -TERM "$up_pid"
( sleep 20; kill -KILL "$up_pid" 2>/dev/null ) & dog=$!
wait "$up_pid"; rc=$?
kill "$dog" 2>/dev/null; wait "$dog" 2>/dev/null
sleep 0.3
# Both lanes were stalled, so both must have been stopped by the signal, and
# the parent ends by it too (143), as one uploader would.
if [ "$rc" -eq 143 ] && ! pgrep -f -- "--spool $work/sp3t " > /dev/null &&
   [ "$(grep -c 'connection [12] stopped by signal 15' "$work/term.log")" -eq 2 ]; then
  ok "SIGTERM stops every lane (exit $rc; $(grep -c 'stopped by signal 15' "$work/term.log") lanes stopped by it)"
else bad "SIGTERM: exit $rc, $(pgrep -fa -- "--spool $work/sp3t " | head -2), $(tail -3 "$work/term.log")"; fi
rm -rf "$work/sp3t" "$work/sp3t.copy"
node -e "fetch('$EP/__faults', { method: 'DELETE' }).catch(() => {})"
if upload "$work/sp3" && check_landed "$work/sp3.copy" && grep -q ', 1 resumed,' "$work/up.log"; then
  ok "resumed the multipart upload"
else bad "resume: $(tail -2 "$work/up.log")"; fi

# 4. Bad credentials: a clear error at once, no spinning.
start_server
make_spool "$work/sp4" 3000
t0=$(date +%s)
AWS_SECRET_ACCESS_KEY=wrong upload "$work/sp4"; rc=$?
if [ "$rc" -eq 1 ] && grep -q 'SignatureDoesNotMatch' "$work/up.log" && [ $(($(date +%s) - t0)) -lt 10 ]; then
  ok "bad credentials: $(grep -o 'HTTP 403 SignatureDoesNotMatch' "$work/up.log" | head -1)"
else bad "bad credentials: exit $rc, $(tail -2 "$work/up.log")"; fi

# 4a. A 404 that will not heal (NoSuchBucket): a failure (exit 1), not an
#     empty spool (exit 0, as S3's 404 once was, the batch still spooled).
start_server "error@1,status=404,code=NoSuchBucket"
make_spool "$work/sp4a" 1000
upload "$work/sp4a"; rc=$?
if [ "$rc" -eq 1 ] && grep -q 'NoSuchBucket' "$work/up.log" && [ -n "$(ls "$work/sp4a/ready" | grep parquet)" ]; then
  ok "NoSuchBucket: exit 1, the batch kept in the spool"
else bad "NoSuchBucket: exit $rc, spool $(ls "$work/sp4a/ready" 2>&1 | tr '\n' ' '), $(tail -2 "$work/up.log")"; fi
start_server

# 4c. A session token of 1,200 characters (STS tokens are often over 1,000)
#     in a shared credentials file: read whole (it was cut at 1 KiB, and every
#     request was refused as InvalidToken); a longer line than floe takes is
#     refused by name instead of cut.
token=$(python3 -c 'import base64, random; r = random.Random(7); print(base64.b64encode(bytes(r.randrange(256) for _ in range(900))).decode())')
start_server "" --session-token "$token" --require-session-token
make_spool "$work/sp4c" 1000
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n' \
  "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$token" > "$work/cred4c"
chmod 600 "$work/cred4c"
(unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; AWS_SHARED_CREDENTIALS_FILE="$work/cred4c" upload "$work/sp4c"); rc=$?
if [ "$rc" -eq 0 ] && AWS_SESSION_TOKEN=$token check_landed "$work/sp4c.copy"; then
  ok "a ${#token}-character session token from a credentials file: landed"
else bad "long session token: exit $rc, $(tail -2 "$work/up.log")"; fi
python3 -c 'print("[default]\naws_access_key_id = a\naws_secret_access_key = b\naws_session_token = " + "x" * 5000)' > "$work/cred4c"
(unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; AWS_SHARED_CREDENTIALS_FILE="$work/cred4c" upload "$work/sp4c"); rc=$?
if [ "$rc" -eq 2 ] && grep -q 'longer than' "$work/up.log"; then
  ok "a credentials line longer than floe takes is refused by name: $(grep -o 'has a line longer[^(]*' "$work/up.log")"
else bad "too long a credentials line: exit $rc, $(tail -2 "$work/up.log")"; fi
start_server

# 4d. A slow uplink (the store takes bodies at 20 KB/s, so each file needs
#     about 3 s) with a 1 s request timeout: the deadline grows with the
#     body, and every file lands. (A fixed deadline failed every attempt:
#     16 MiB at 128 kbit/s takes 17 minutes, past the default 10.)
start_server "throttle@*,rate=20000"
make_spool "$work/sp4d" 3000
timeout 120 "$FLOE" upload --spool "$work/sp4d" s3://lake/tele --endpoint "$EP" --path-style --quiet \
  --request-timeout-ms 1000 --max-failures 3 > "$work/up.log" 2>&1; rc=$?
if [ "$rc" -eq 0 ] && check_landed "$work/sp4d.copy"; then
  ok "a slow uplink (20 KB/s) with a 1 s request timeout: every file landed"
else bad "slow uplink: exit $rc, $(tail -2 "$work/up.log")"; fi
start_server

# 4b. Credentials from a shared credentials file, by profile: [default]
#     holds wrong keys, [floe] the right ones.
make_spool "$work/sp4b" 1000
cp -r "$work/sp4b" "$work/sp4b.copy"
printf '[default]\naws_access_key_id = WRONGKEY\naws_secret_access_key = wrong\n[floe]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
  "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" > "$work/profiles"
chmod 600 "$work/profiles"
if (unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; export AWS_SHARED_CREDENTIALS_FILE="$work/profiles" AWS_PROFILE=floe
    upload "$work/sp4b") && check_landed "$work/sp4b.copy"; then
  ok "credentials from the [floe] profile of a credentials file (AWS_PROFILE)"
else bad "credentials file profile: $(tail -2 "$work/up.log")"; fi

# 5. HTTPS: mbedTLS verifies the chain to the test CA and the host name.
bash tests/integration/s3/make_certs.sh "$work/certs" || bad "make_certs.sh"
TLS_PAIR="$work/certs/server.pem,$work/certs/server-key.pem" start_server
make_spool "$work/sp5" 60000
case "$EP" in https://*) https=1 ;; *) https=0 ;; esac
if [ "$https" = 1 ] && upload "$work/sp5" --ca-file "$work/certs/ca.pem" &&
   AWS_CA_BUNDLE="$work/certs/ca.pem" check_landed "$work/sp5.copy"; then
  ok "HTTPS: PUT and multipart land byte for byte ($EP)"
else bad "HTTPS upload ($EP): $(tail -3 "$work/up.log")"; fi
# 5b. The same by name: the C library resolves "localhost" (glibc through
# NSS; the static musl build from /etc/hosts), and the certificate is checked
# against that name.
TLS_PAIR="$work/certs/server.pem,$work/certs/server-key.pem" start_server
make_spool "$work/sp5n" 3000
if [ "$https" = 1 ] && EP=${EP/127.0.0.1/localhost} upload "$work/sp5n" --ca-file "$work/certs/ca.pem" &&
   AWS_CA_BUNDLE="$work/certs/ca.pem" check_landed "$work/sp5n.copy"; then
  ok "HTTPS by host name: localhost resolved, the certificate checked against it, every batch landed"
else bad "HTTPS by host name (${EP/127.0.0.1/localhost}): $(tail -3 "$work/up.log")"; fi
TLS_PAIR="$work/certs/wrong-host.pem,$work/certs/server-key.pem" start_server
make_spool "$work/sp6" 3000
upload "$work/sp6" --ca-file "$work/certs/ca.pem" --max-failures 2; rc=$?
puts=$(NODE_TLS_REJECT_UNAUTHORIZED=0 node -e "fetch('$EP/__stats').then(r => r.json()).then(s => console.log(s.requests)).catch(() => console.log('?'))" 2>/dev/null)
if [ "$rc" -ne 0 ] && [ "$(ls "$work/sp6/ready" | wc -l)" -eq "$(ls "$work/sp6.copy/ready" | wc -l)" ] && [ "$puts" = 0 ]; then
  ok "HTTPS: a certificate for another host is refused, no request sent ($(grep -o 'giving up: .*' "$work/up.log" | cut -c1-120))"
else bad "wrong host: exit $rc, requests $puts, $(tail -2 "$work/up.log")"; fi

# 6. Through an HTTP proxy (CONNECT, Basic auth) over HTTPS; wrong proxy
# credentials stop at once, and no password reaches the log.
TLS_PAIR="$work/certs/server.pem,$work/certs/server-key.pem" start_server
node tests/integration/s3/connect_proxy.mjs --auth 'floe:p@ss w' > "$work/px.json" 2> "$work/px.log" &
px_pid=$!
for _ in $(seq 100); do grep -q '}' "$work/px.json" 2>/dev/null && break; sleep 0.1; done
PX=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$work/px.json','utf8')).proxy)")
make_spool "$work/sp7" 60000
if upload "$work/sp7" --ca-file "$work/certs/ca.pem" --proxy "${PX/http:\/\//http://floe:p%40ss%20w@}" &&
   AWS_CA_BUNDLE="$work/certs/ca.pem" check_landed "$work/sp7.copy"; then
  tunnels=$(node -e "fetch('$PX/__stats').then(r => r.json()).then(s => console.log(s.tunnels))")
  [ "${tunnels:-0}" -ge 1 ] && ok "HTTPS through a CONNECT proxy: lands byte for byte ($tunnels tunnel(s))" ||
    bad "proxy: no tunnel counted"
else bad "through the proxy: $(tail -3 "$work/up.log")"; fi
make_spool "$work/sp8" 3000
t0=$(date +%s)
upload "$work/sp8" --ca-file "$work/certs/ca.pem" --proxy "${PX/http:\/\//http://floe:hunter2-wrong@}"; rc=$?
if [ "$rc" -ne 0 ] && grep -q 'HTTP 407' "$work/up.log" && ! grep -q 'hunter2' "$work/up.log" &&
   [ $(($(date +%s) - t0)) -lt 10 ]; then
  ok "wrong proxy credentials: $(grep -o 'proxy [^;]*407' "$work/up.log" | head -1), password not logged"
else bad "wrong proxy credentials: exit $rc, $(tail -2 "$work/up.log")"; fi
kill "$px_pid" 2>/dev/null

# 7. Plain HTTPS PUT (no S3): a generic ingest endpoint with a bearer token,
# the object key in the URL's {key} slot and its query kept; a 503 first.
node tests/integration/s3/ingest.mjs --data "$work/ingest" --token 'tok-3f9a' --fail-first 1 \
  --tls "$work/certs/server.pem,$work/certs/server-key.pem" > "$work/in.json" 2> "$work/in.log" &
in_pid=$!
for _ in $(seq 100); do grep -q '}' "$work/in.json" 2>/dev/null && break; sleep 0.1; done
IN=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$work/in.json','utf8')).endpoint)")
make_spool "$work/sp9" 60000
FLOE_BEARER_TOKEN=tok-3f9a "$FLOE" upload --spool "$work/sp9" "$IN/v1/lake/{key}?tenant=gw-7" --ca-file "$work/certs/ca.pem" \
  --dead-letters --quiet --timeout-ms 3000 > "$work/up.log" 2>&1; rc=$?
same=1
for meta in "$work/sp9.copy"/ready/*.meta; do
  key=$(sed -n 's/^key //p' "$meta")
  cmp -s "${meta%.meta}.parquet" "$work/ingest/v1/lake/$key" || same=0
done
st=$(NODE_EXTRA_CA_CERTS="$work/certs/ca.pem" node -e "fetch('$IN/__stats').then(r => r.json()).then(s => console.log(s.stored, s.digests_checked, s.failed_on_purpose, s.queries.every(q => q === '?tenant=gw-7') ? 'q' : 'noq'))")
if [ "$rc" -eq 0 ] && [ "$same" -eq 1 ] && [ "$(set -- $st; echo "$3 $4")" = "1 q" ] && [ "$(set -- $st; echo "$1")" = "$(set -- $st; echo "$2")" ] &&
   ! grep -q 'tok-3f9a' "$work/up.log"; then
  ok "plain HTTPS PUT with a bearer token: every file lands byte for byte, digests checked, 503 retried (stored/digests/503: $st)"
else bad "plain PUT: exit $rc, same $same, stats $st, $(tail -2 "$work/up.log")"; fi
make_spool "$work/sp10" 3000
FLOE_BEARER_TOKEN=wrong-token "$FLOE" upload --spool "$work/sp10" "$IN/v1/lake/{key}" --ca-file "$work/certs/ca.pem" \
  --quiet --timeout-ms 3000 > "$work/up.log" 2>&1; rc=$?
if [ "$rc" -ne 0 ] && grep -q '401' "$work/up.log" && ! grep -q 'wrong-token' "$work/up.log"; then
  ok "plain PUT: a refused token stops at once: $(grep -o 'giving up: .*' "$work/up.log" | cut -c1-80)"
else bad "plain PUT, wrong token: exit $rc, $(tail -2 "$work/up.log")"; fi
# 7b. {key} in the query (an endpoint that names objects by a parameter):
#     each PUT carries its own key there. (The key went onto the path and
#     the query kept a literal %7Bkey%7D: one name for every object.)
make_spool "$work/sp10b" 3000
FLOE_BEARER_TOKEN=tok-3f9a "$FLOE" upload --spool "$work/sp10b" "$IN/v1/put?name={key}&tenant=gw-7" \
  --ca-file "$work/certs/ca.pem" --quiet --timeout-ms 3000 > "$work/up.log" 2>&1; rc=$?
want=$(sed -n 's/^\(dead_\)\{0,1\}key //p' "$work/sp10b.copy"/ready/*.meta | sed 's#/#%2F#g; s#^#?name=#; s#$#\&tenant=gw-7#' | sort)
got=$(NODE_EXTRA_CA_CERTS="$work/certs/ca.pem" node -e "fetch('$IN/__stats').then(r => r.json()).then(s => console.log(s.queries.filter(q => q.startsWith('?name=')).join('\n')))" | sort)
if [ "$rc" -eq 0 ] && [ -n "$want" ] && [ "$got" = "$want" ]; then
  ok "plain PUT with {key} in the query: each of $(echo "$want" | wc -l) objects under its own name"
else bad "{key} in the query: exit $rc, want [$want], got [$got]"; fi
kill "$in_pid" 2>/dev/null

# 8. Mutual TLS: the endpoint wants a client certificate from the test CA.
openssl req -newkey rsa:2048 -nodes -keyout "$work/certs/client-key.pem" -out "$work/certs/client.csr" \
  -subj "/CN=gw-7" > /dev/null 2>&1 &&
openssl x509 -req -in "$work/certs/client.csr" -CA "$work/certs/ca.pem" -CAkey "$work/certs/ca-key.pem" \
  -CAcreateserial -out "$work/certs/client.pem" -days 2 > /dev/null 2>&1 || bad "client certificate"
node tests/integration/s3/ingest.mjs --data "$work/mtls" --client-ca "$work/certs/ca.pem" \
  --tls "$work/certs/server.pem,$work/certs/server-key.pem" > "$work/mt.json" 2> "$work/mt.log" &
in_pid=$!
for _ in $(seq 100); do grep -q '}' "$work/mt.json" 2>/dev/null && break; sleep 0.1; done
MT=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$work/mt.json','utf8')).endpoint)")
make_spool "$work/sp11" 3000
cp -r "$work/sp11" "$work/sp12"
"$FLOE" upload --spool "$work/sp11" "$MT/{key}" --ca-file "$work/certs/ca.pem" --quiet --timeout-ms 3000 \
  --client-cert "$work/certs/client.pem" --client-key "$work/certs/client-key.pem" > "$work/up.log" 2>&1; rc=$?
"$FLOE" upload --spool "$work/sp12" "$MT/{key}" --ca-file "$work/certs/ca.pem" --quiet --timeout-ms 3000 \
  --max-failures 1 > "$work/up2.log" 2>&1; rc2=$?
cns=$(find "$work/mtls" -name '*.parquet' 2>/dev/null | wc -l)
if [ "$rc" -eq 0 ] && [ "$rc2" -ne 0 ] && [ "$cns" -eq "$(ls "$work/sp11.copy/ready/"*.parquet | wc -l)" ] &&
   grep -q 'requires a client certificate' "$work/up2.log"; then
  ok "mutual TLS: with the client certificate $cns file(s) land; without it the upload fails ($(grep -o 'giving up: .*' "$work/up2.log" | cut -c1-150))"
else bad "mutual TLS: exit $rc / $rc2, $cns stored, $(tail -1 "$work/up.log") | $(tail -2 "$work/up2.log")"; fi
kill "$in_pid" 2>/dev/null

# 9. Answers that heal are retried, not taken as final.
# a. CompleteMultipartUpload refused with 400 InvalidPart: the upload is
#    aborted, its journal dropped, and the file goes again from part 1.
start_server "error@1,op=CompleteMultipartUpload,status=400,code=InvalidPart"
make_spool "$work/sp13" 60000
upload "$work/sp13"; rc=$?
aborts=$(node -e "fetch('$EP/__stats').then(r => r.json()).then(s => console.log(s.by_op.AbortMultipartUpload || 0))")
if [ "$rc" -eq 0 ] && check_landed "$work/sp13.copy" && [ "${aborts:-0}" -ge 1 ] && [ -z "$(ls "$work/sp13/uploads")" ] &&
   grep -q 'InvalidPart): starting the multipart upload over' "$work/up.log"; then
  ok "InvalidPart on completion: aborted ($aborts), started over, landed byte for byte"
else bad "InvalidPart on completion: exit $rc, aborts $aborts, $(tail -2 "$work/up.log")"; fi
# b. A Retry-After of a day waits no longer than the longest backoff.
start_server "503-slowdown@1,retry_after=86400"
make_spool "$work/sp14" 3000
t0=$(date +%s)
timeout 40 "$FLOE" upload --spool "$work/sp14" s3://lake/tele --endpoint "$EP" --path-style --quiet \
  --dead-letters --backoff-max-ms 1500 --timeout-ms 3000 > "$work/up.log" 2>&1; rc=$?
t=$(($(date +%s) - t0))
if [ "$rc" -eq 0 ] && check_landed "$work/sp14.copy" && [ "$t" -lt 10 ] && grep -q 'retrying in 1[0-5][0-9][0-9] ms' "$work/up.log"; then
  ok "Retry-After: 86400 capped at backoff_max ($t s; $(grep -o 'retrying in [0-9]* ms' "$work/up.log" | head -1))"
else bad "Retry-After 86400: exit $rc after $t s, $(tail -2 "$work/up.log")"; fi
# c. 403 RequestTimeTooSkewed (a gateway clock before NTP sync) is retried
#    and logged as a clock problem; once the clock is right, the files land.
start_server "error@1-2,status=403,code=RequestTimeTooSkewed"
make_spool "$work/sp15" 3000
upload "$work/sp15"; rc=$?
if [ "$rc" -eq 0 ] && check_landed "$work/sp15.copy" && [ "$(grep -c 'clock skew' "$work/up.log")" -ge 2 ]; then
  ok "RequestTimeTooSkewed retried: $(grep -o 'RequestTimeTooSkewed clock skew[^(]*' "$work/up.log" | head -1)"
else bad "RequestTimeTooSkewed: exit $rc, $(tail -2 "$work/up.log")"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
