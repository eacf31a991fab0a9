#!/usr/bin/env bash
# Proves the S3 test server (server.mjs) with clients floe does not write:
# the AWS CLI uploads a 12 MiB file (multipart) and a small one, lists and
# downloads them; wrong credentials get 403 SignatureDoesNotMatch /
# InvalidAccessKeyId; the body checks (x-amz-content-sha256, CRC-32C,
# Content-MD5) and the multipart rules answer as S3 does; with faults
# injected the CLI's own retries still succeed and /__stats counts them; the
# HTTPS front works with the test CA and is refused with an expired, a
# wrong-host and an untrusted certificate; every server stops on SIGTERM.
#
# Three groups run side by side, each against its own server (so that the
# request counts each one checks are its own): "cli" (AWS CLI transfers and
# faults), "rules" (authentication, body and multipart rules, mostly with
# s3req.mjs) and "tls". Everything binds 127.0.0.1 and everything started
# is stopped. The last line is "N passed, N failed"; exit status 0 when
# nothing failed.
#
# Needs: node + tools/bootstrap.sh npm (s3rver, @smithy/signature-v4,
# @aws-crypto/sha256-js in build/npm or $NODE_PATH), the AWS CLI (Debian
# package awscli via tools/bootstrap.sh host; $AWS overrides), openssl.
# Takes about 25 s on an idle 2-core machine.
# shellcheck disable=SC2317  # functions run from trap and from background groups
set -u
cd "$(dirname "$0")/../../.." || exit 2
TOP=$PWD
HERE=$TOP/tests/integration/s3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/floe-s3-selftest.XXXXXX")
PIDS=()
GROUP_PIDS=()
START=$(date +%s)

freeze_tree() { # PID: stops it and its descendants (so none starts another), lists them in TREE
  local c
  kill -STOP "$1" 2>/dev/null
  TREE+=("$1")
  if command -v pgrep >/dev/null 2>&1; then
    for c in $(pgrep -P "$1"); do freeze_tree "$c"; done
  fi
}
cleanup() {
  local p
  # A group interrupted mid-way: its shell and the commands it runs.
  TREE=()
  for p in "${GROUP_PIDS[@]}"; do freeze_tree "$p"; done
  for p in "${TREE[@]}"; do kill -TERM "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok   ${SELFTEST_TIMES:+[$(($(date +%s) - START))s] }$1"; }
bad() {
  echo "FAIL $1"
  if [ -n "${2:-}" ]; then printf '%s\n' "$2" | head -15 | sed 's/^/     /'; fi
}
check() { # name, then a command: ok when it succeeds
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}
summary() { # prints the logs of the groups, counts, exits
  local logs=("$WORK"/log.*)
  cat "${logs[@]}" 2>/dev/null
  local pass fail
  pass=$(cat "${logs[@]}" 2>/dev/null | grep -c '^ok ')
  fail=$(cat "${logs[@]}" 2>/dev/null | grep -c '^FAIL ')
  echo "selftest took $(($(date +%s) - START)) s"
  echo "${pass} passed, ${fail} failed"
  [ "$fail" -eq 0 ]
  exit $?
}
exec 3>"$WORK/log.0-main"
main_log() { "$@" >&3; }

# ---- prerequisites --------------------------------------------------------------
if [ -z "${AWS:-}" ]; then
  if [ -x /usr/bin/aws ]; then AWS=/usr/bin/aws; else AWS=$(command -v aws || true); fi
fi
for tool in node openssl "$AWS"; do
  if [ -z "$tool" ] || ! command -v "$tool" >/dev/null 2>&1; then
    main_log bad "prerequisite ${tool:-aws} (tools/bootstrap.sh host npm)"
    summary
  fi
done

# The CLI sees only what this script sets.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CA_BUNDLE AWS_ENDPOINT_URL AWS_RETRY_MODE AWS_MAX_ATTEMPTS
export AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-credentials
export AWS_ACCESS_KEY_ID=FLOETESTKEY AWS_SECRET_ACCESS_KEY=floe-test-secret-key AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
: >"$AWS_CONFIG_FILE"

"$AWS" --version >"$WORK/aws-version" 2>&1 &
PIDS+=($!)
"$HERE/make_certs.sh" "$WORK/certs" >"$WORK/certs.log" 2>&1 &
CERTS_PID=$!
PIDS+=("$CERTS_PID")

aws_() { timeout 25 "$AWS" --endpoint-url "$EP" "$@"; }
cp_() { aws_ s3 cp --only-show-errors "$@"; }

# launch_server NAME ARGS...: starts one in the background (from this shell,
# so that it can be stopped and its exit status read here).
declare -A SPIDS
launch_server() {
  local name=$1
  shift
  node "$HERE/server.mjs" --data "$WORK/$name-data" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  SPIDS[$name]=$!
  PIDS+=($!)
}

# use_server NAME: waits (10 s at most) for its ready line and sets EP.
use_server() {
  local name=$1 pid=${SPIDS[$1]}
  for _ in $(seq 100); do
    if [ -s "$WORK/$name.out" ]; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  EP=$(sed -n '1s/.*"endpoint":"\([^"]*\)".*/\1/p' "$WORK/$name.out")
  if [ -z "$EP" ]; then
    bad "server $name starts" "$(cat "$WORK/$name.err")"
    return 1
  fi
}

# stop_server NAME: SIGTERM must end it, with status 0, within 5 s.
stop_server() {
  local p=${SPIDS[$1]} rc
  kill -TERM "$p" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    bad "server $1 stops on SIGTERM within 5 s"
    return
  fi
  wait "$p"
  rc=$?
  if [ "$rc" -eq 0 ]; then ok "server $1 stops on SIGTERM with status 0"; else bad "server $1 stops on SIGTERM with status 0" "status $rc: $(tail -5 "$WORK/$1.err")"; fi
}

# ctl METHOD PATH [BODY]: a control request (/__faults, /__stats) to $EP.
ctl() {
  node -e '
    const [m, u, b] = process.argv.slice(1);
    fetch(u, { method: m, body: b || undefined })
      .then(async r => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1); })
      .catch(e => { console.error(e.message); process.exit(1); });' "$1" "$EP$2" "${3:-}"
}

# jtrue JSON EXPR: EXPR (JavaScript, the JSON is `d`) must be true.
jtrue() {
  node -e 'const d = JSON.parse(process.argv[1]); if (!eval(process.argv[2])) { console.log("not true:", process.argv[2], "in", process.argv[1].slice(0, 1500)); process.exit(1); }' "$1" "$2"
}

# req ARGS...: one signed request with s3req.mjs against $EP.
req() { timeout 25 node "$HERE/s3req.mjs" --endpoint "$EP" "$@"; }

expect_req() { # name, JS condition on d, s3req args...
  local name=$1 cond=$2 out
  shift 2
  if out=$(req --check "$cond" "$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}

head -c $((12 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"
printf 'small object for the floe S3 selftest\n' >"$WORK/small.txt"
head -c $((5 * 1024 * 1024)) /dev/urandom >"$WORK/part1"
head -c 1000 /dev/urandom >"$WORK/part2"

launch_server cli --bucket floe-test
launch_server rules --bucket floe-test

# ---- group "cli": the AWS CLI, then faults ------------------------------------------------
group_cli() {
  echo "== cli: AWS CLI transfers and faults"
  use_server cli || return
  check "aws s3 cp 12 MiB file up" cp_ "$WORK/big.bin" s3://floe-test/dir/big.bin
  check "aws s3 cp small file up" cp_ "$WORK/small.txt" s3://floe-test/small.txt
  local stats out url faults log
  stats=$(ctl GET /__stats)
  check "the 12 MiB upload was multipart (CreateMultipartUpload, 2 UploadPart, Complete)" \
    jtrue "$stats" 'd.by_op.CreateMultipartUpload === 1 && d.by_op.UploadPart === 2 && d.by_op.CompleteMultipartUpload === 1 && d.signature_failures === 0'
  out=$(aws_ s3 ls --recursive s3://floe-test/ 2>&1)
  if grep -Eq ' 12582912 dir/big\.bin$' <<<"$out" && grep -Eq ' 38 small\.txt$' <<<"$out"; then
    ok "aws s3 ls lists both objects with their sizes"
  else
    bad "aws s3 ls lists both objects with their sizes" "$out"
  fi
  check "aws s3 cp 12 MiB file down" cp_ s3://floe-test/dir/big.bin "$WORK/big.dl"
  check "aws s3 cp small file down" cp_ s3://floe-test/small.txt "$WORK/small.dl"
  check "downloaded 12 MiB file is identical" cmp "$WORK/big.bin" "$WORK/big.dl"
  check "downloaded small file is identical" cmp "$WORK/small.txt" "$WORK/small.dl"
  out=$(aws_ s3api head-object --bucket floe-test --key dir/big.bin 2>&1)
  if grep -Eq '"ETag": "\\"[0-9a-f]{32}-2\\""' <<<"$out"; then
    ok "multipart object has an S3-style ETag (md5-of-md5s-2)"
  else
    bad "multipart object has an S3-style ETag (md5-of-md5s-2)" "$out"
  fi
  url=$(aws_ s3 presign s3://floe-test/small.txt --expires-in 300 2>&1)
  out=$(node -e 'fetch(process.argv[1]).then(async r => console.log(r.status, await r.text()))' "$url" 2>&1)
  if [ "$out" = "200 $(cat "$WORK/small.txt")" ]; then ok "aws s3 presign URL: 200 and the object"; else bad "aws s3 presign URL: 200 and the object" "$out"; fi
  out=$(node -e 'fetch(process.argv[1].replace(/Signature=./, "Signature=0")).then(async r => console.log(r.status, /<Code>(\w+)/.exec(await r.text())[1]))' "$url" 2>&1)
  if [ "$out" = "403 SignatureDoesNotMatch" ]; then ok "tampered presigned URL: 403 SignatureDoesNotMatch"; else bad "tampered presigned URL: 403 SignatureDoesNotMatch" "$out"; fi

  ctl DELETE /__stats >/dev/null
  check "POST /__faults 503-slowdown@2" ctl POST /__faults '503-slowdown@2'
  check "aws s3 cp 12 MiB up through a 503 SlowDown" cp_ "$WORK/big.bin" s3://floe-test/retry.bin
  stats=$(ctl GET /__stats)
  check "/__stats: one 503-slowdown injected, the CLI retried the part" \
    jtrue "$stats" 'd.faults["503-slowdown"] === 1 && d.faults_injected === 1 && d.by_status["503"] === 1 && d.by_op.UploadPart === 3'
  check "POST /__faults: reset-request on UploadPart, truncate on GetObject, 500 on HeadObject" \
    ctl POST /__faults 'reset-request@1,op=UploadPart;truncate@1,op=GetObject;500@1,op=HeadObject'
  check "aws s3 cp up through a connection reset" cp_ "$WORK/big.bin" s3://floe-test/retry2.bin
  check "aws s3 cp down through a 500 and a truncated body" cp_ s3://floe-test/retry2.bin "$WORK/retry2.dl"
  check "file that went through the faults is identical" cmp "$WORK/big.bin" "$WORK/retry2.dl"
  stats=$(ctl GET /__stats)
  check "/__stats counts reset-request, truncate and 500" \
    jtrue "$stats" 'd.faults["reset-request"] === 1 && d.faults.truncate === 1 && d.faults["500"] === 1 && d.faults_injected === 4'
  check "POST /__faults (JSON) stall 1 s then close on PutObject" \
    ctl POST /__faults '{"rules":[{"fault":"stall","at":1,"op":"PutObject","seconds":1}]}'
  check "aws s3 cp small up through a stalled connection" cp_ "$WORK/small.txt" s3://floe-test/stalled.txt
  faults=$(ctl GET /__faults)
  check "GET /__faults: the stall fired once, on the first of two PutObjects" jtrue "$faults" 'd.rules[0].fired === 1 && d.rules[0].seen === 2'
  ctl DELETE /__faults >/dev/null
  if ! out=$(ctl POST /__faults 'explode@1' 2>&1) && grep -q "unknown fault 'explode'" <<<"$out"; then ok "bad fault spec is refused"; else bad "bad fault spec is refused" "$out"; fi
  log=$(ctl GET /__requests)
  check "GET /__requests lists requests with their faults" jtrue "$log" 'd.length > 5 && d.some(e => e.fault === "stall")'
}

# ---- group "rules": authentication, body checks, multipart rules ---------------------------------
group_rules() {
  echo "== rules: signatures, body checks, multipart"
  use_server rules || return
  req PUT /floe-test/small.txt --body-file "$WORK/small.txt" >/dev/null
  local out U U2 E1 E2 C1
  if ! out=$(AWS_SECRET_ACCESS_KEY=wrong-secret aws_ s3 ls s3://floe-test/ 2>&1) && grep -q SignatureDoesNotMatch <<<"$out"; then
    ok "aws with a wrong secret: SignatureDoesNotMatch"
  else
    bad "aws with a wrong secret: SignatureDoesNotMatch" "$out"
  fi
  if ! out=$(AWS_ACCESS_KEY_ID=NOSUCHKEY aws_ s3 ls s3://floe-test/ 2>&1) && grep -q InvalidAccessKeyId <<<"$out"; then
    ok "aws with an unknown key id: InvalidAccessKeyId"
  else
    bad "aws with an unknown key id: InvalidAccessKeyId" "$out"
  fi
  expect_req "wrong secret: 403 SignatureDoesNotMatch with the canonical request" \
    'd.status === 403 && d.code === "SignatureDoesNotMatch" && d.body.includes("<CanonicalRequest>GET\n/floe-test/small.txt")' \
    GET /floe-test/small.txt --secret-key wrong-secret
  expect_req "wrong secret with Expect: 100-continue: 403 before the body" \
    'd.status === 403 && d.code === "SignatureDoesNotMatch" && d.headers.connection === "close"' \
    PUT /floe-test/x.bin --body-file "$WORK/part2" --expect --secret-key wrong-secret
  expect_req "Expect: 100-continue upload, key with spaces and +()!: 200" 'd.status === 200' \
    PUT "/floe-test/key with spaces+(x)!.bin" --body-file "$WORK/part2" --expect
  expect_req "session token (x-amz-security-token) accepted" 'd.status === 200' \
    GET /floe-test/small.txt --session-token floe-test-session-token
  expect_req "wrong session token: 400 InvalidToken" 'd.status === 400 && d.code === "InvalidToken"' \
    GET /floe-test/small.txt --session-token not-the-token
  expect_req "clock 20 minutes off: 403 RequestTimeTooSkewed" 'd.status === 403 && d.code === "RequestTimeTooSkewed"' \
    GET /floe-test/small.txt --date "$(date -u -d '-20 min' +%Y%m%dT%H%M%SZ)"
  expect_req "x-amz-* header left unsigned: 403 AccessDenied" 'd.status === 403 && d.code === "AccessDenied"' \
    GET /floe-test/small.txt --unsigned-header 'x-amz-meta-extra: 1'
  expect_req "presigned GET (s3req --presign): 200" 'd.status === 200' GET /floe-test/small.txt --presign 60

  expect_req "x-amz-content-sha256 of other bytes: 400 XAmzContentSHA256Mismatch" \
    'd.status === 400 && d.code === "XAmzContentSHA256Mismatch"' \
    PUT /floe-test/sha.bin --body-file "$WORK/part2" --payload "$(printf other | sha256sum | cut -c1-64)"
  expect_req "UNSIGNED-PAYLOAD accepted" 'd.status === 200' PUT /floe-test/unsigned.bin --body-file "$WORK/part2" --payload unsigned
  expect_req "right x-amz-checksum-crc32c: 200, echoed" \
    'd.status === 200 && d.headers["x-amz-checksum-crc32c"] === "4waSgw=="' PUT /floe-test/crc.bin --body 123456789 --checksum crc32c
  expect_req "wrong x-amz-checksum-crc32c: 400 BadDigest" 'd.status === 400 && d.code === "BadDigest"' \
    PUT /floe-test/crc.bin --body 123456789 --checksum crc32c=AAAAAA==
  expect_req "wrong Content-MD5: 400 BadDigest" 'd.status === 400 && d.code === "BadDigest"' \
    PUT /floe-test/md5.bin --body 123456789 --content-md5=XUFAKrxLKna5cZ2REBfFkg==

  upload_id() { req POST "/floe-test/$1?uploads" "${@:2}" | sed -n 's/.*<UploadId>\([0-9a-f]*\)<\/UploadId>.*/\1/p'; }
  complete_xml() { # N:ETAG[:CRC32C]...
    local x='<CompleteMultipartUpload>' p n e c
    for p in "$@"; do
      IFS=: read -r n e c <<<"$p"
      x+="<Part><PartNumber>$n</PartNumber><ETag>\"$e\"</ETag>${c:+<ChecksumCRC32C>$c</ChecksumCRC32C>}</Part>"
    done
    echo "$x</CompleteMultipartUpload>"
  }
  E1=$(md5sum <"$WORK/part1" | cut -c1-32)
  E2=$(md5sum <"$WORK/part2" | cut -c1-32)
  U=$(upload_id mp.bin)
  expect_req "UploadPart with x-amz-checksum-crc32c into an upload made without one: 400 InvalidRequest" \
    'd.status === 400 && d.code === "InvalidRequest" && d.body.includes("expected checksum Type: null")' \
    PUT "/floe-test/mp.bin?partNumber=1&uploadId=$U" --body-file "$WORK/part1" --checksum crc32c
  req PUT "/floe-test/mp.bin?partNumber=1&uploadId=$U" --body-file "$WORK/part1" >/dev/null
  req PUT "/floe-test/mp.bin?partNumber=2&uploadId=$U" --body-file "$WORK/part2" >/dev/null
  expect_req "CompleteMultipartUpload with a wrong ETag: 400 InvalidPart" 'd.status === 400 && d.code === "InvalidPart"' \
    POST "/floe-test/mp.bin?uploadId=$U" --body "$(complete_xml "1:$E1" "2:$E1")"
  expect_req "CompleteMultipartUpload with parts out of order: 400 InvalidPartOrder" 'd.status === 400 && d.code === "InvalidPartOrder"' \
    POST "/floe-test/mp.bin?uploadId=$U" --body "$(complete_xml "2:$E2" "1:$E1")"
  expect_req "CompleteMultipartUpload with a small non-last part: 400 EntityTooSmall" 'd.status === 400 && d.code === "EntityTooSmall"' \
    POST "/floe-test/mp.bin?uploadId=$U" --body "$(complete_xml "2:$E2" "3:$E2")"
  expect_req "CompleteMultipartUpload: 200 and the multipart ETag" 'd.status === 200 && /-2&quot;<\/ETag>/.test(d.body)' \
    POST "/floe-test/mp.bin?uploadId=$U" --body "$(complete_xml "1:$E1" "2:$E2")"
  req GET /floe-test/mp.bin --out "$WORK/mp.dl" >/dev/null
  check "completed multipart object is part1 + part2" cmp <(cat "$WORK/part1" "$WORK/part2") "$WORK/mp.dl"
  U2=$(upload_id crc.bin -H 'x-amz-checksum-algorithm: CRC32C')
  C1=$(node --input-type=module -e "const m = await import('$HERE/lib.mjs'); console.log(m.checksumB64('crc32c', (await import('node:fs')).readFileSync(process.argv[1])))" "$WORK/part1")
  expect_req "CRC32C upload: UploadPart without the checksum: 400 InvalidRequest" 'd.status === 400 && d.code === "InvalidRequest"' \
    PUT "/floe-test/crc.bin?partNumber=1&uploadId=$U2" --body-file "$WORK/part1"
  expect_req "CRC32C upload: UploadPart with it: 200" 'd.status === 200' \
    PUT "/floe-test/crc.bin?partNumber=1&uploadId=$U2" --body-file "$WORK/part1" --checksum crc32c
  expect_req "CRC32C upload: Complete without part checksums: 400 InvalidRequest" 'd.status === 400 && d.code === "InvalidRequest"' \
    POST "/floe-test/crc.bin?uploadId=$U2" --body "$(complete_xml "1:$E1")"
  expect_req "CRC32C upload: Complete with them: 200" 'd.status === 200' \
    POST "/floe-test/crc.bin?uploadId=$U2" --body "$(complete_xml "1:$E1:$C1")"
  U=$(upload_id ab.bin)
  expect_req "AbortMultipartUpload: 204" 'd.status === 204' DELETE "/floe-test/ab.bin?uploadId=$U"
  expect_req "UploadPart after abort: 404 NoSuchUpload" 'd.status === 404 && d.code === "NoSuchUpload"' \
    PUT "/floe-test/ab.bin?partNumber=1&uploadId=$U" --body x
  local stats
  stats=$(ctl GET /__stats)
  check "/__stats: signature failures counted (CLI + s3req)" jtrue "$stats" 'd.signature_failures === 3 && d.rejected.InvalidAccessKeyId === 1'
}

# ---- group "tls": the HTTPS front --------------------------------------------------------------
group_tls() {
  echo "== tls: HTTPS front"
  local CERTS=$WORK/certs stats out
  use_server tls || return
  export NODE_EXTRA_CA_CERTS=$CERTS/ca.pem
  check "https: aws s3 cp up (AWS_CA_BUNDLE), through a 500 given by --faults" \
    env AWS_CA_BUNDLE="$CERTS/ca.pem" timeout 25 "$AWS" --endpoint-url "$EP" s3 cp --only-show-errors "$WORK/big.bin" s3://floe-test/tls.bin
  check "https: aws s3 cp down (--no-verify-ssl)" \
    env PYTHONWARNINGS=ignore timeout 25 "$AWS" --endpoint-url "$EP" --no-verify-ssl s3 cp --only-show-errors s3://floe-test/tls.bin "$WORK/tls.dl"
  check "https: downloaded file is identical" cmp "$WORK/big.bin" "$WORK/tls.dl"
  stats=$(ctl GET /__stats)
  check "https: /__stats shows the --faults 500" jtrue "$stats" 'd.faults["500"] === 1 && d.by_status["500"] === 1'
  expect_req "https: s3req with --ca" 'd.status === 200' GET /floe-test/tls.bin --ca "$CERTS/ca.pem" --out /dev/null
  refused() { # cert-name, the error a client trusting ca.pem must get
    use_server "tls-$1" || return
    out=$(timeout 10 node -e '
      fetch(process.argv[1] + "/__health").then(() => console.log("accepted"), e => console.log(e.cause?.code || e.message));' "$EP" 2>&1)
    if [ "$out" = "$2" ]; then ok "https refused: $1 certificate ($2)"; else bad "https refused: $1 certificate ($2)" "$out"; fi
  }
  refused expired CERT_HAS_EXPIRED
  refused wrong-host ERR_TLS_CERT_ALTNAME_INVALID
  refused untrusted UNABLE_TO_VERIFY_LEAF_SIGNATURE
  if ! out=$(AWS_CA_BUNDLE="$CERTS/ca.pem" AWS_MAX_ATTEMPTS=1 aws_ s3 ls s3://floe-test/ 2>&1) && grep -q 'certificate verify failed' <<<"$out"; then
    ok "https refused by the AWS CLI: untrusted certificate"
  else
    bad "https refused by the AWS CLI: untrusted certificate" "$out"
  fi
}

group_cli >"$WORK/log.1-cli" 2>&1 &
G1=$!
GROUP_PIDS+=("$G1")
group_rules >"$WORK/log.2-rules" 2>&1 &
G2=$!
GROUP_PIDS+=("$G2")
if wait "$CERTS_PID"; then
  main_log ok "make_certs.sh"
  launch_server tls --bucket floe-test --tls "$WORK/certs/server.pem,$WORK/certs/server-key.pem" --faults '500@1'
  for c in expired wrong-host untrusted; do launch_server "tls-$c" --tls "$WORK/certs/$c.pem,$WORK/certs/server-key.pem"; done
  group_tls >"$WORK/log.3-tls" 2>&1 &
  G3=$!
  GROUP_PIDS+=("$G3")
else
  main_log bad "make_certs.sh" "$(cat "$WORK/certs.log")"
  G3=
fi
# Bounded: each client call above has its own timeout; this stops a group
# that still runs after 150 s all the same.
DEADLINE=$(($(date +%s) + 150))
for g in $G1 $G2 $G3; do
  while kill -0 "$g" 2>/dev/null && [ "$(date +%s)" -lt "$DEADLINE" ]; do sleep 0.1; done
  if kill -0 "$g" 2>/dev/null; then
    main_log bad "a test group was still running after 150 s"
    kill "$g" 2>/dev/null
  fi
  wait "$g" 2>/dev/null
done
for s in "${!SPIDS[@]}"; do main_log stop_server "$s"; done
main_log echo "== $(head -1 "$WORK/aws-version"), node $(node --version)"
summary
