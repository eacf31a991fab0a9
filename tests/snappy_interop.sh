#!/usr/bin/env bash
# Interop of floe's Snappy codec with an independent implementation
# (python3-snappy, i.e. Google's libsnappy, from Debian).
#
# For each generated input: floe compresses, python-snappy decompresses;
# python-snappy compresses, floe decompresses; both must give back the input
# byte for byte. Exits non-zero on any mismatch; prints "skipped" and exits 0
# when /usr/bin/python3 cannot import snappy (tools/bootstrap.sh installs it).
# Debian's module is only visible to Debian's python, hence /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -c 'import snappy' 2>/dev/null; then
  # make test installs python3-snappy (tools/bootstrap.sh): missing means broken setup.
  echo "snappy_interop: $PY cannot import snappy (apt-get install python3-snappy)"
  echo "0 passed, 1 failed"
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}
$CC -std=c99 -O2 -g -Wall -Wextra -Werror -Iinclude -Isrc \
  tests/tools/snappy_tool.c src/parquet/snappy.c -o "$tmp/snappy_tool"

mkdir "$tmp/in"
"$PY" - "$tmp/in" <<'EOF'
import os, random, struct, sys
d = sys.argv[1]
r = random.Random(1234)
def put(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
words = [b"sensor", b"gateway", b"temperature", b"ok", b"warn", b"batch", b"the", b"of", b"upload"]
def text(n):
    out = bytearray()
    while len(out) < n:
        out += r.choice(words) + (b"." if r.random() < .1 else b" ")
    return bytes(out[:n])
put("empty", b"")
put("one", b"x")
put("zeros_1m", bytes(1 << 20))
put("random_300k", bytes(r.getrandbits(8) for _ in range(300000)))
put("text_500k", text(500000))
put("int64_seq", b"".join(struct.pack("<q", 10**6 + i) for i in range(60000)))
t = 1700000000000
ts = []
for _ in range(60000):
    t += r.randint(990, 1010)
    ts.append(struct.pack("<q", t))
put("timestamps", b"".join(ts))
vals = [b"ok", b"warn", b"error", b"sensor-01", b"gw-berlin-3", b""]
put("strings", b"".join(struct.pack("<I", len(v)) + v for v in (r.choice(vals) for _ in range(80000))))
for n in (65535, 65536, 65537, 131072 + 5):
    put("text_%d" % n, text(n))
mixed = bytearray()
while len(mixed) < 400000:
    k = r.randint(1, 3000)
    c = r.randrange(3)
    if c == 0:
        mixed += bytes(r.getrandbits(8) for _ in range(k))
    elif c == 1:
        mixed += text(k)
    elif len(mixed) > 70000:
        s = len(mixed) - r.randint(1, 70000)
        mixed += mixed[s:s + k]
    else:
        mixed += bytes([r.getrandbits(8)]) * k
put("mixed", bytes(mixed))
EOF

# python-snappy side: c|d IN OUT, like snappy_tool.
pysnappy() {
  "$PY" -c '
import sys, snappy
data = open(sys.argv[2], "rb").read()
out = snappy.compress(data) if sys.argv[1] == "c" else snappy.uncompress(data)
open(sys.argv[3], "wb").write(out)
' "$@"
}

fail=0
printf '%-14s %9s %9s %9s\n' input bytes floe python
files=0
bad_files=0
for f in "$tmp"/in/*; do
  files=$((files + 1))
  before=$fail
  name=$(basename "$f")
  "$tmp/snappy_tool" c "$f" "$tmp/$name.floe.sz"
  if ! pysnappy d "$tmp/$name.floe.sz" "$tmp/$name.floe.out" || ! cmp -s "$f" "$tmp/$name.floe.out"; then
    echo "MISMATCH: $name compressed by floe, decompressed by python-snappy"
    fail=1
  fi
  pysnappy c "$f" "$tmp/$name.py.sz"
  if ! "$tmp/snappy_tool" d "$tmp/$name.py.sz" "$tmp/$name.py.out" || ! cmp -s "$f" "$tmp/$name.py.out"; then
    echo "MISMATCH: $name compressed by python-snappy, decompressed by floe"
    fail=1
  fi
  [ "$fail" -ne "$before" ] && bad_files=$((bad_files + 1))
  printf '%-14s %9d %9d %9d\n' "$name" "$(stat -c %s "$f")" \
    "$(stat -c %s "$tmp/$name.floe.sz")" "$(stat -c %s "$tmp/$name.py.sz")"
done
if [ "$fail" -ne 0 ]; then
  echo "snappy_interop: FAILED"
  echo "$((files - bad_files)) passed, $bad_files failed"
  exit 1
fi
echo "snappy_interop: ok (floe <-> python-snappy, both directions)"
echo "$files passed, 0 failed"
