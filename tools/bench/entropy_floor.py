#!/usr/bin/env python3
"""The order-0 entropy of each column of bench telemetry, as a size floor.

Usage: entropy_floor.py FILE.ndjson [ROWS]

A column-by-column Parquet writer that keeps the rows in their order codes
each column on its own. For the generated telemetry the best it can do per
value is about the order-0 entropy of what it codes: the value itself for
the repeating columns (dictionary indices), the step from the row before for
ts and seq (delta encoding). The sum, in MB, is the floor that floe's and
DuckDB's sizes are compared with in docs/parquet.md. It leaves out every
overhead (dictionary pages, page headers, definition levels, the footer),
so real files are larger.
"""
import collections
import json
import math
import sys
from datetime import datetime, timezone

REPEATING = ("device_id", "temp_c", "humidity", "battery_v", "rssi", "status", "ok", "fw")


def epoch_ms(ts):
    # "2025-01-01T00:00:00.123Z"
    sec = datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    return int(sec) * 1000 + int(ts[20:23])


def main():
    path = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else None
    counts = collections.defaultdict(collections.Counter)
    prev_ts = prev_seq = None
    rows = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            rows += 1
            ms = epoch_ms(r["ts"])
            if prev_ts is not None:
                counts["ts (step)"][ms - prev_ts] += 1
            prev_ts = ms
            if prev_seq is not None:
                counts["seq (step)"][r["seq"] - prev_seq] += 1
            prev_seq = r["seq"]
            for k in REPEATING:
                counts[k][r.get(k, "<missing>")] += 1
            tags = r.get("tags") or {}
            counts["tags.site"][tags.get("site")] += 1
            counts["tags.line"][tags.get("line")] += 1
            if limit is not None and rows >= limit:
                break
    total = 0.0
    for name, c in counts.items():
        n = sum(c.values())
        bits = -sum(v / n * math.log2(v / n) for v in c.values())
        total += bits
        print(f"{name:12s} {len(c):9d} distinct {bits:6.2f} bits/row {bits * rows / 8e6:7.2f} MB")
    print(f"floor        {total:.2f} bits/row, {total * rows / 8e6:.2f} MB for {rows} rows "
          "(order-0, each column on its own, no overhead)")


if __name__ == "__main__":
    main()
