# shellcheck shell=bash
# Sourced by the board scripts: ok/bad count checks, finish prints
# "N passed, N failed" (what tests/run-integration.sh and make read) and
# exits 1 on any failure; $tmp is a scratch folder removed on exit.
pass=0
fail=0
ok() { echo "ok    $*"; pass=$((pass + 1)); }
bad() { echo "FAIL  $*"; fail=$((fail + 1)); }
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ] && exit 0
  exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
