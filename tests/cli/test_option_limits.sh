#!/bin/bash
# Numeric options past what they become are refused with their limit, not
# cut to 32 bits: `floe convert --page-bytes 4G` was the default page size,
# `floe upload --max-failures 4294967296` was 0 ("never").
#   FLOE=path/to/floe tests/cli/test_option_limits.sh
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
FLOE=${FLOE:-$TOP/build/host/floe}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
refused() { # WANT_TEXT COMMAND...: exit 2 and WANT_TEXT on stderr
  local want=$1 out rc
  shift
  out=$("$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" -eq 2 ] && grep -q -- "$want" <<<"$out"; then echo "ok: refused: $out"; passed=$((passed + 1))
  else echo "FAILED: $*: exit $rc, said: $out"; failed=$((failed + 1)); fi
}
echo '{"ts":"2025-01-01T00:00:00Z","device_id":"a","seq":1}' > "$work/in.ndjson"
S=$TOP/tools/schemas/telemetry.json
refused "--page-bytes 4G: want at most 4294967295" "$FLOE" convert --schema "$S" -o "$work/o1" --page-bytes 4G "$work/in.ndjson"
refused "--row-group-bytes 5G: want at most" "$FLOE" convert --schema "$S" -o "$work/o2" --row-group-bytes 5G "$work/in.ndjson"
refused "--zstd-window-log 4294967306: want at most" "$FLOE" convert --schema "$S" -o "$work/o3" --zstd-window-log 4294967306 "$work/in.ndjson"
mkdir -p "$work/spool"
refused "--max-failures 4294967296: want at most" "$FLOE" upload --spool "$work/spool" --max-failures 4294967296 "file://$work/t"
refused "--timeout-ms 4294967296: want at most" "$FLOE" upload --spool "$work/spool" --timeout-ms 4294967296 "file://$work/t"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
