#!/usr/bin/env bash
# Upload throughput over HTTPS, floe vs curl (OpenSSL), in one run, to the
# same local S3 server (tests/integration/s3/server.mjs behind TLS with a
# test CA) and the same spool files. Prints MB/s, CPU seconds and the ratio;
# floe also reports its arena. A benchmark, not a test: it never fails on a
# number. Usage: tools/bench/upload_bench.sh [ROWS]   (default 2000000)
#   BENCH_DIR=/tmp/floe-bench  data kept for reuse (shared with run.sh)
#   REPEATS=3                  best of
# Both send the same signed headers (the SHA-256 and CRC-32C the writer
# computed) through the same Node.js proxy, which checks both and is likely
# the slower end: the ratio is the figure to read, not the MB/s.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOP=$PWD
ROWS=${1:-${ROWS:-2000000}}
DIR=${BENCH_DIR:-/tmp/floe-bench}
REPEATS=${REPEATS:-3}
mkdir -p "$DIR"
tools/bootstrap.sh host npm >&2
make -s -j2 BOARD=host cli >&2
FLOE=$TOP/build/host/floe
export NODE_PATH=$TOP/build/npm/node_modules
export AWS_ACCESS_KEY_ID=FLOETESTKEY AWS_SECRET_ACCESS_KEY=floe-test-secret-key
unset AWS_SESSION_TOKEN

data=$DIR/telemetry-$ROWS.ndjson
if [ ! -s "$data" ]; then
  echo "generating $ROWS rows..." >&2
  python3 ../shared/bench/gen_telemetry.py --rows "$ROWS" --seed 42 > "$data.tmp" && mv "$data.tmp" "$data"
fi
work=$DIR/upload
rm -rf "$work"
mkdir -p "$work"
srv_pid=""
trap '[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

bash tests/integration/s3/make_certs.sh "$work/certs" > /dev/null
node tests/integration/s3/server.mjs --data "$work/data" --bucket lake \
  --tls "$work/certs/server.pem,$work/certs/server-key.pem" > "$work/srv.json" 2> "$work/srv.log" &
srv_pid=$!
for _ in $(seq 100); do grep -q '}' "$work/srv.json" 2>/dev/null && break; sleep 0.1; done
EP=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$work/srv.json','utf8')).endpoint)")

# Four spool files (PutObject each, under the 16 MiB multipart threshold).
"$FLOE" convert --spool "$work/spool" --schema tools/schemas/telemetry.json \
  --file-rows $((ROWS / 4 + 1)) "$data" > /dev/null 2>&1
files=("$work"/spool/ready/*.parquet)
bytes=$(cat "${files[@]}" | wc -c)
echo "== upload over HTTPS to $EP: ${#files[@]} files, $bytes bytes, best of $REPEATS"

floe_once() { # CONNECTIONS: prints "wall user sys"
  rm -rf "$work/sp"
  cp -r "$work/spool" "$work/sp"
  /usr/bin/time -o "$work/t" -f '%e %U %S' "$FLOE" upload --connections "$1" --spool "$work/sp" s3://lake/floe \
    --endpoint "$EP" --path-style --ca-file "$work/certs/ca.pem" --quiet 2> "$work/floe.log" ||
    { cat "$work/floe.log" >&2; return 1; }
  tail -1 "$work/t"
}
# curl sends the same signed SHA-256 and CRC-32C headers floe sends (from the
# spool's .meta), so the server does the same work for both; one curl process
# uploads every file over one kept-alive connection, as floe does.
curl_args=()
for f in "${files[@]}"; do
  m=${f%.parquet}.meta
  crc=$(python3 -c "import base64,sys; print(base64.b64encode(int(sys.argv[1]).to_bytes(4, 'big')).decode())" \
    "$(sed -n 's/^crc32c //p' "$m")")
  curl_args+=(-H "x-amz-content-sha256: $(sed -n 's/^sha256 //p' "$m")" -H "x-amz-checksum-crc32c: $crc"
    -T "$f" "$EP/lake/curl/$(basename "$f")")
  [ "$f" = "${files[-1]}" ] || curl_args+=(--next --cacert "$work/certs/ca.pem" --aws-sigv4 "aws:amz:us-east-1:s3"
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -sS --fail -o /dev/null)
done
curl_once() { # [-Z: two transfers in parallel]
  /usr/bin/time -o "$work/t" -f '%e %U %S' curl "$@" -sS --fail --cacert "$work/certs/ca.pem" \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -o /dev/null "${curl_args[@]}" 2> "$work/curl.log" || { cat "$work/curl.log" >&2; return 1; }
  tail -1 "$work/t"
}
best() {
  local b="" r
  for _ in $(seq "$REPEATS"); do
    r=$("$@") || return 1
    if [ -z "$b" ] || awk -v a="${r%% *}" -v c="${b%% *}" 'BEGIN{exit !(a<c)}'; then b=$r; fi
  done
  echo "$b"
}
# floe's default is two connections (two processes, one lane of the spool
# each); one connection is shown too, and curl -Z with two transfers in
# parallel, so no figure hides what the other side could do.
f1=$(best floe_once 1)
f=$(best floe_once 2)
arena=$(sed -n 's/.*arena \([0-9]*\) bytes.*/\1/p' "$work/floe.log" | tail -1)
c=$(best curl_once)
cz=$(best curl_once -Z --parallel-max 2)
awk -v b="$bytes" -v f="$f" -v f1="$f1" -v c="$c" -v cz="$cz" -v arena="${arena:-?}" 'BEGIN{
  split(f, F, " "); split(f1, G, " "); split(c, C, " "); split(cz, Z, " ");
  printf "floe, 2 connections (default)  %7.1f MB/s  %5.2f s wall  %5.2f s CPU  arena %s bytes per connection\n", b/1e6/F[1], F[1], F[2]+F[3], arena;
  printf "floe, 1 connection             %7.1f MB/s  %5.2f s wall  %5.2f s CPU\n", b/1e6/G[1], G[1], G[2]+G[3];
  printf "curl --upload-file             %7.1f MB/s  %5.2f s wall  %5.2f s CPU\n", b/1e6/C[1], C[1], C[2]+C[3];
  printf "curl -Z, 2 in parallel         %7.1f MB/s  %5.2f s wall  %5.2f s CPU\n", b/1e6/Z[1], Z[1], Z[2]+Z[3];
  printf "floe/curl throughput %.2fx (target >= 0.8x), CPU %.2fx of curl\n", C[1]/F[1], (F[2]+F[3])/(C[2]+C[3]+1e-9);
  printf "  one connection each: %.2fx;  both two in parallel: %.2fx\n", C[1]/G[1], Z[1]/F[1];
}'
