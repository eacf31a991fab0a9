#!/usr/bin/env bash
# Runs floe's integration suites (real readers, real tools) and sums their
# results. Each suite prints "N passed, N failed" as its last such line and
# exits non-zero on failure. Needs $FLOE (the CLI) and NODE_PATH.
set -u
cd "$(dirname "$0")/.."
: "${FLOE:=build/host/floe}"
export FLOE
total_pass=0
total_fail=0
status=0

run_suite() {
  local name=$1
  shift
  echo "== $name"
  local log
  log=$(mktemp)
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  rm -f "$log"
  if [ -z "$line" ]; then
    echo "$name: no summary line (exit $rc)"
    total_fail=$((total_fail + 1))
    status=1
    return
  fi
  local p f
  p=${line%% passed*}
  f=${line#*, }
  f=${f%% failed*}
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
    echo "$name: FAILED (exit $rc)"
    status=1
  fi
}

for suite in tests/integration/run.sh tests/integration/kill_test.sh tests/integration/agent_kill_test.sh tests/integration/tls_test.sh tests/integration/agent_test.sh tests/integration/upload_test.sh tests/integration/sigv4_test.sh tests/cli/*.sh tests/snappy_interop.sh; do
  [ -f "$suite" ] || continue
  run_suite "$suite" bash "$suite"
done
# The agent again, its rows grouped by device in windows held past its commits.
SORT_BY=device_id KILLS=30 run_suite "agent_kill_test.sh, sort_by = device_id" bash tests/integration/agent_kill_test.sh
# Clocks that disagree across an hour: late rows held and sealed as commit groups.
JITTER=1 KILLS=40 run_suite "agent_kill_test.sh, clocks jittered across an hour" bash tests/integration/agent_kill_test.sh
SORT_BY=device_id JITTER=1 KILLS=20 run_suite "agent_kill_test.sh, jittered clocks and sort_by" bash tests/integration/agent_kill_test.sh

echo "integration: ${total_pass} passed, ${total_fail} failed"
echo "${total_pass} passed, ${total_fail} failed"
exit $status
