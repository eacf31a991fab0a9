#!/usr/bin/env bash
# The training run behind `make pgo`, and its check.
#   tools/pgo_train.sh train FLOE WORKDIR [RUNNER...]
#     the instrumented CLI converts generated telemetry the ways the agent
#     does (snappy and ZSTD pages, plain and .zst input, a few bad lines for
#     the dead-letter path, and once with rows grouped by --sort-by), so GCC
#     sees which branches the hot loops take;
#     its files are kept as the expected output.
#   tools/pgo_train.sh check FLOE WORKDIR [RUNNER...]
#     the profile-guided CLI converts the same inputs and must write the same
#     bytes: a profile may move code around, never change what it does.
# PGO_ROWS (default 100000) sets the size; the seed differs from make bench's.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ] || { [ "$1" != train ] && [ "$1" != check ]; }; then
  echo "usage: tools/pgo_train.sh train|check FLOE WORKDIR [RUNNER...]" >&2
  exit 2
fi
mode=$1 FLOE=$2 work=$3
shift 3
ROWS=${PGO_ROWS:-100000}
mkdir -p "$work"
work=$(cd "$work" && pwd) # dead letters name their source: one spelling for both runs

if [ "$mode" = train ]; then
  python3 tools/gen_telemetry.py --rows "$ROWS" --seed 7 --bad 20 > "$work/t.ndjson"
  rm -f "$work/t.ndjson.zst" "$work"/expect-*
  if command -v zstd > /dev/null; then
    zstd -q -3 "$work/t.ndjson" -o "$work/t.ndjson.zst"
  fi
fi
inputs=("$work/t.ndjson")
[ -s "$work/t.ndjson.zst" ] && inputs+=("$work/t.ndjson.zst")

runs=0
# convert_one CODEC INPUT TAG [OPTIONS...]: one conversion, trained on or checked.
convert_one() {
  local codec=$1 input=$2 tag=$3 rc=0 got
  shift 3
  rm -rf "$work/out"
  "${RUNNER[@]}" "$FLOE" convert --schema tools/schemas/telemetry.json --codec "$codec" "$@" -o "$work/out" "$input" \
    > "$work/log" 2>&1 || rc=$?
  # Exit 1 means dead letters, which the bad lines make on purpose. A build
  # without zstd's compressor refuses --codec zstd: nothing to train there.
  if [ "$rc" -gt 1 ] && [ "$codec" = zstd ] && grep -q -- '--codec zstd: this build knows' "$work/log"; then
    return 0
  fi
  if [ "$rc" -gt 1 ]; then
    cat "$work/log" >&2
    exit 1
  fi
  # File names are UUIDv7s, so the glob lists them in the order written.
  got=$work/got-$codec-$tag
  cat "$work/out"/*.parquet "$work/out/dead-letters.ndjson" > "$got"
  if [ "$mode" = train ]; then
    mv "$got" "$work/expect-$codec-$tag"
  elif ! cmp -s "$got" "$work/expect-$codec-$tag"; then
    echo "pgo: $FLOE wrote other bytes than the instrumented build for --codec $codec $tag" >&2
    exit 1
  fi
  runs=$((runs + 1))
}
RUNNER=("$@")
for codec in snappy zstd; do
  for input in "${inputs[@]}"; do
    convert_one "$codec" "$input" "${input##*.}"
  done
done
# Rows grouped by device (convert --sort-by), as make bench times them too.
convert_one zstd "$work/t.ndjson" sorted --sort-by device_id
[ "$runs" -gt 0 ] || { echo "pgo: no conversion ran" >&2; exit 1; }
if [ "$mode" = train ]; then
  echo "pgo: trained on $ROWS rows, $runs conversions"
else
  echo "pgo: the profile-guided build writes the same bytes in all $runs conversions"
fi
