#!/usr/bin/env python3
"""floe's telemetry generator: deterministic NDJSON like an IoT gateway sends.

Usage: tools/gen_telemetry.py --rows N [--seed S] [--start-ms MS] [--bad K] > out.ndjson

Each record is about 200 bytes: an ISO-8601 UTC timestamp (non-decreasing),
one of 2,000 device ids, a per-device sequence number, temperature, humidity,
battery voltage, RSSI, a status enum, a bool, a firmware string and a nested
tags object. About 1 record in 100 lacks an optional field or has a null.
--bad K puts K malformed lines (broken JSON, wrong types, bad timestamps) at
deterministic places, for trying out the dead-letter path.
"""
import argparse
import random
import sys


def iso(ms):
    s, milli = divmod(ms, 1000)
    days, rem = divmod(s, 86400)
    hh, rem = divmod(rem, 3600)
    mm, ss = divmod(rem, 60)
    # civil date from days since 1970-01-01
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (1 if m <= 2 else 0)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (y, m, d, hh, mm, ss, milli)


BAD = [
    '{"ts": "2025-01-01T00:00:00Z", "device_id": "gw-9999/sensor-99", "seq": "seven"}',
    '{"ts": "not a time", "device_id": "gw-9999/sensor-98", "seq": 1}',
    '{"ts": "2025-01-01T00:00:00Z", "device_id": "gw-9999/sensor-97", "seq": 1',
    '[1, 2, 3]',
    '{"ts": "2025-01-01T00:00:00Z", "seq": 5}',
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start-ms", type=int, default=1763719200000)  # 2025-11-21T10:00:00Z
    ap.add_argument("--bad", type=int, default=0)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    devices = ["gw-%04d/sensor-%02d" % (g, s) for g in range(100) for s in range(20)]
    gateway = {d: i // 20 for i, d in enumerate(devices)}
    seq = {d: rnd.randrange(1_000_000) for d in devices}
    temp = {d: rnd.uniform(12.0, 31.0) for d in devices}
    batt = {d: rnd.uniform(3.3, 4.2) for d in devices}
    firmware = {d: rnd.choice(["1.4.2", "1.5.0", "1.5.0", "2.0.1-rc1"]) for d in devices}
    bad_at = set(rnd.sample(range(a.rows), min(a.bad, a.rows))) if a.bad else set()
    t = a.start_ms
    out = sys.stdout
    for i in range(a.rows):
        if i in bad_at:
            out.write(BAD[i % len(BAD)] + "\n")
            continue
        t += rnd.randrange(0, 40)
        d = devices[rnd.randrange(len(devices))]
        seq[d] += 1
        temp[d] += rnd.uniform(-0.05, 0.05)
        batt[d] = max(3.0, batt[d] - rnd.uniform(0, 0.0005))
        r = rnd.random()
        status = "ok" if r < 0.9 else "warn" if r < 0.96 else "error" if r < 0.99 else "offline"
        fields = [
            '"ts":"%s"' % iso(t),
            '"device_id":"%s"' % d,
            '"seq":%d' % seq[d],
            '"temp_c":%.2f' % temp[d],
        ]
        odd = rnd.random() < 0.01
        kind = rnd.randrange(5) if odd else -1
        if kind != 0:
            fields.append('"humidity":%s' % ("null" if kind == 1 else "%.2f" % rnd.uniform(20, 80)))
        fields.append('"battery_v":%s' % ("null" if kind == 2 else "%.3f" % batt[d]))
        if kind != 3:
            fields.append('"rssi":%d' % rnd.randrange(-110, -40))
        fields.append('"status":"%s"' % status)
        fields.append('"ok":%s' % ("true" if status == "ok" else "false"))
        fields.append('"fw":%s' % ("null" if kind == 4 else '"%s"' % firmware[d]))
        g = gateway[d]
        fields.append('"tags":{"site":"site-%02d","line":"L%d"}' % (g % 20, g % 5 + 1))
        out.write("{" + ",".join(fields) + "}\n")


if __name__ == "__main__":
    main()
