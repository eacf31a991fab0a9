#!/usr/bin/env node
// Checks floe's Parquet Bloom filters with DuckDB's own probe
// (parquet_bloom_probe), a reader floe's authors did not write.
//
// Usage: node bloom_check.mjs [--expect COLUMN]... [--sample N] PARQUET...
//
// For every column chunk that has a filter:
//   1. no false negatives: for up to N (default 100) of the column's distinct
//      values (spread over the sorted list), every row group holding the value
//      must not be excluded by its filter;
//   2. the filter works: for 40 values the file does not hold, at least 90%
//      of the (value, row group) probes are excluded (1% is the design rate).
// With --expect COLUMN: every row group of every file has a filter on COLUMN.
// Prints one JSON summary; exit 0 when all holds, 1 when not, 2 on errors.
import { loadModules } from './compare.mjs';
import { pathToFileURL } from 'node:url';

const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;

export async function checkBloom(files, { expect = [], sample = 100, requireFilters = true } = {}) {
  const { duck } = await loadModules();
  const con = await (await duck.DuckDBInstance.create(':memory:')).connect();
  const rows = async (sql, params) => (await con.runAndReadAll(sql, params)).getRows();
  const bad = [];
  let chunks = 0, probes = 0, absentProbes = 0, absentExcluded = 0;
  for (const f of files) {
    const meta = await rows(`SELECT row_group_id, row_group_num_rows, path_in_schema, bloom_filter_offset
      FROM parquet_metadata(${lit(f)}) ORDER BY row_group_id`);
    const types = new Map((await rows(`DESCRIBE SELECT * FROM read_parquet(${lit(f)})`)).map((r) => [r[0], r[1]]));
    // DuckDB's probe hashes a timestamp as microseconds whatever the column's
    // unit, so for MILLIS columns it is checked by query results instead.
    const millis = new Set((await rows(`SELECT name FROM parquet_schema(${lit(f)}) WHERE converted_type = 'TIMESTAMP_MILLIS'`)).map((r) => r[0]));
    const withFilter = new Map(); // column -> Set of row groups
    const bounds = new Map();     // row group -> [first row, end row)
    let at = 0n;
    for (const [rgId, n, col, off] of meta) {
      const rg = Number(rgId); // row group ids as numbers everywhere (DuckDB gives BIGINT)
      if (!bounds.has(rg)) { bounds.set(rg, [at, at + BigInt(n)]); at += BigInt(n); }
      if (off !== null) {
        if (!withFilter.has(col)) withFilter.set(col, new Set());
        withFilter.get(col).add(rg);
        chunks++;
      }
    }
    for (const col of expect) {
      const got = withFilter.get(col) || new Set();
      if (got.size !== bounds.size) bad.push({ file: f, column: col, filters: got.size, row_groups: bounds.size });
    }
    for (const [col, rgs] of withFilter) {
      const type = types.get(col);
      const q = `"${col.replace(/"/g, '""')}"`;
      // (row group, value as hex of its text) for every distinct non-null value:
      // hex, because JavaScript's UTF-8 decoding drops a leading byte order mark.
      const cases = [...bounds].map(([rg, [lo, hi]]) => `WHEN file_row_number < ${hi} THEN ${rg}`).join(' ');
      const held = await rows(`SELECT DISTINCT CASE ${cases} END AS rg, hex(encode(CAST(${q} AS VARCHAR))) AS v
        FROM read_parquet(${lit(f)}, file_row_number = true) WHERE ${q} IS NOT NULL ORDER BY v, rg`);
      const byValue = new Map();
      for (const [rg, v] of held) {
        if (!byValue.has(v)) byValue.set(v, []);
        byValue.get(v).push(Number(rg));
      }
      const values = [...byValue.keys()];
      const step = Math.max(1, Math.floor(values.length / sample));
      for (let i = 0; i < values.length; i += step) {
        const v = values[i];
        if (millis.has(col)) {
          // Whatever the scan makes of the filter, it must find every row.
          const [[got]] = await rows(`SELECT count(*) FROM read_parquet(${lit(f)}) WHERE ${q} = CAST(decode(unhex($1::VARCHAR)) AS ${type})`, [v]);
          const [[want]] = await rows(`SELECT count(*) FROM read_parquet(${lit(f)}) WHERE hex(encode(CAST(${q} AS VARCHAR))) = $1::VARCHAR`, [v]);
          probes++;
          if (got !== want) bad.push({ file: f, column: col, value: v, problem: 'rows lost by a filtered scan', got, want });
          continue;
        }
        // The value as a parameter: strings may hold quotes and control characters.
        const res = await rows(`SELECT row_group_id, bloom_filter_excludes
          FROM parquet_bloom_probe(${lit(f)}, ${lit(col)}, CAST(decode(unhex($1::VARCHAR)) AS ${type}))`, [v]);
        const excluded = new Map(res.map(([rg, ex]) => [Number(rg), ex]));
        for (const rg of byValue.get(v)) {
          if (!rgs.has(rg)) continue; // no filter on this chunk
          probes++;
          if (excluded.get(rg) !== false)
            bad.push({ file: f, column: col, value: v, row_group: rg, problem: 'false negative' });
        }
      }
      // Values the file does not hold, of the column's type.
      const absent = (k) => /CHAR|STRING|TEXT/i.test(type) ? `absent-${k}-${col}`
        : /^DATE/i.test(type) ? `29${String(k).padStart(2, '0')}-06-15`
        : /^TIMESTAMP/i.test(type) ? `29${String(k).padStart(2, '0')}-06-15 12:34:56.789+00`
        : String(900000000 + 7919 * k);
      for (let k = 0; k < 40 && !millis.has(col); k++) {
        const v = Buffer.from(absent(k), 'utf8').toString('hex').toUpperCase();
        if (byValue.has(v)) continue;
        const [[typed]] = await rows(`SELECT TRY_CAST(decode(unhex($1::VARCHAR)) AS ${type}) IS NOT NULL`, [v]);
        if (!typed) continue; // (a type with no such value, e.g. BOOLEAN)
        const res = await rows(`SELECT row_group_id, bloom_filter_excludes
          FROM parquet_bloom_probe(${lit(f)}, ${lit(col)}, TRY_CAST(decode(unhex($1::VARCHAR)) AS ${type}))`, [v]);
        for (const [rg, ex] of res) {
          if (!rgs.has(Number(rg))) continue;
          absentProbes++;
          if (ex === true) absentExcluded++;
        }
      }
    }
  }
  const rate = absentProbes ? absentExcluded / absentProbes : 1;
  if (absentProbes && rate < 0.9) bad.push({ problem: 'filters exclude too little', absent_excluded: rate });
  if (chunks === 0 && requireFilters) bad.push({ problem: 'no column chunk has a Bloom filter' });
  if (chunks > 0 && probes === 0) bad.push({ problem: 'no value was probed against a filter' });
  return { ok: bad.length === 0, files: files.length, chunks_with_filters: chunks, present_probes: probes,
           absent_probes: absentProbes, absent_excluded: Number(rate.toFixed(4)), problems: bad.slice(0, 5) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2), files = [], expect = [];
  let sample = 100;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--expect') expect.push(args[++i]);
    else if (args[i] === '--sample') sample = Number(args[++i]);
    else files.push(args[i]);
  }
  if (files.length === 0) { console.error('usage: bloom_check.mjs [--expect COLUMN]... [--sample N] PARQUET...'); process.exit(2); }
  try {
    const r = await checkBloom(files, { expect, sample });
    console.log(JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? String(v) : v)));
    process.exit(r.ok ? 0 : 1);
  } catch (e) {
    console.error(`bloom_check: ${e.message}`);
    process.exit(2);
  }
}
