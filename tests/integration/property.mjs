#!/usr/bin/env node
// Property tests: random schemas and random NDJSON that fits them, through
// `floe convert`, then compare.mjs (DuckDB read_json vs DuckDB read_parquet,
// hyparquet and arrow-rs).
//
// Usage: node property.mjs [--seed S] [--cases N] [--only KIND[,KIND]] [--case I] [--floe PATH] [--keep] [--verbose]
//   --seed    base seed (default $FLOE_PROPERTY_SEED or 1); a case's data depends
//             only on the seed, its number and its kind, so a failure replays
//             with the same options plus --case I (printed on failure)
//   --cases   number of cases (default $FLOE_PROPERTY_CASES or two per kind);
//             case i is of kind KINDS[i % KINDS.length], so more cases cycle
//             through the kinds with new seeds
//   --floe    the floe binary (default $FLOE or build/host/floe)
//   --keep    keep every case's folder (failed cases are always kept)
// Needs NODE_PATH with @duckdb/node-api, hyparquet, parquet-wasm and apache-arrow; zstd on PATH.
// Prints one line per case and a last line "property: N passed, M failed".
// Exit status: 0 all passed, 1 a case failed, 2 setup error (modules, floe).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, loadModules, normalizeSchema, openDuck } from './compare.mjs';
import { checkBloom } from './bloom_check.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');

// ---- deterministic randomness ---------------------------------------------------

function hash32(...parts) {
  let h = 0x811c9dc5;
  for (const p of parts) {
    for (const ch of String(p)) { h ^= ch.codePointAt(0); h = Math.imul(h, 0x01000193) >>> 0; }
    h ^= 0xff; h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

class Rng {
  constructor(seed) {
    // splitmix32 to spread the seed over sfc32's state
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32() {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
  float() { return this.u32() / 4294967296; }
  int(lo, hi) { return lo + Math.floor(this.float() * (hi - lo + 1)); }
  chance(p) { return this.float() < p; }
  pick(a) { return a[Math.floor(this.float() * a.length)]; }
  big(bits) { // uniform in [0, 2^bits)
    let v = 0n;
    for (let b = 0; b < bits; b += 32) v = (v << 32n) | BigInt(this.u32());
    return v & ((1n << BigInt(bits)) - 1n);
  }
  shuffle(a) {
    for (let i = a.length - 1; i > 0; i--) { const j = this.int(0, i); [a[i], a[j]] = [a[j], a[i]]; }
    return a;
  }
}

// ---- values as JSON text --------------------------------------------------------

const TYPES = ['bool', 'int32', 'int64', 'float', 'double', 'string', 'timestamp_ms', 'timestamp_us', 'date', 'json'];
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const US_MIN = -62135596800000000n; // 0001-01-01T00:00:00Z
const US_MAX = 253402300799999999n; // 9999-12-31T23:59:59.999999Z
const DAY_MIN = -719162; // 0001-01-01
const DAY_MAX = 2932896; // 9999-12-31

const EDGES = {
  int32: ['-2147483648', '2147483647', '0', '-0', '-1', '1', '1e3', '2.0', '-5E+0', '2147483646', '-2147483647'],
  int64: ['-9223372036854775808', '9223372036854775807', '9007199254740993', '-9007199254740993', '0', '-0',
    '4294967296', '-4294967297', '12e3', '9223372036854775806'],
  // Floats that DuckDB's double-then-float path and a direct decimal-to-float
  // conversion must agree on (no values at a float rounding midpoint).
  float: ['0', '-0.0', '3.4028234663852886e38', '-3.4028234663852886e38', '1.401298464324817e-45',
    '-1.401298464324817e-45', '1.1754943508222875e-38', '1.1754942106924411e-38', '0.1', '1e-45', '16777217',
    '1E10', '2.5e+3', '-7.0E-3', '0.7e-45', '1e-50', '-1e-50', '3.4028235e38', '123456.789', '0.333333343267'],
  double: ['1e308', '-1e308', '1.7976931348623157e308', '-1.7976931348623157e308', '5e-324', '-5e-324',
    '2.2250738585072014e-308', '2.2250738585072011e-308', '2.2250738585072012e-308', '0.1', '-0.0', '0',
    '123456789012345678901234567890', '3.141592653589793238462643383279', '1E+2', '0.30000000000000004',
    '9007199254740993', '2.4703282292062328e-324', '2.4703282292062327e-324', '1e-400',
    '1.00000000000000011102230246251565404236316680908203125',
    '1.00000000000000011102230246251565404236316680908203126', '4.9406564584124654e-324', '1e23', '8.98846567431158e307'],
  string: ['', ' ', '\u0000', '"\\/\b\f\n\r\t', 'é', '😀', '\u2028\u2029', 'null', 'true', '0', '\u007f',
    '\ufffd', '𝄞 clef', 'tab\there', 'ключ', '中文字符', 'a'.repeat(300)],
  timestamp: ['1970-01-01T00:00:00Z', '1969-12-31T23:59:59.999999Z', '1969-12-31T23:59:59.9995Z',
    '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z', '2000-02-29T12:00:00+23:59',
    '1900-03-01T00:00:00-00:00', '2024-06-30 12:34:56.7+05:30', '1960-01-01T00:00:00.123456789-05:30',
    '0001-01-01T00:00:00+05:00', '9999-12-31T00:00:00-23:59', '2025-01-01T00:00:00.001Z', '1969-12-31T23:59:59.0001Z',
    '2025-01-01T00:00:00.1234567891234Z'],
  date: ['0001-01-01', '9999-12-31', '1970-01-01', '1969-12-31', '2000-02-29', '1900-02-28', '2400-02-29', '1582-10-10'],
  // Whole values, as written (floe keeps the text; compare.mjs checks it
  // exactly, and through DuckDB's json(), which reads every one of these the
  // same in floe's compact text as in the line: past-int64 integers, -0,
  // 1e400, long mantissas, surrogate pairs).
  json: ['{}', '[]', '{ }', '[ \t]', '""', '"null"', 'true', 'false', '0', '-0', '-0.0', '2.50', '1.5e3', '1.50E+3', '1E-2',
    '1e400', '-1e400', '1e-400', '5e-324', '123456789012345678901234567890', '-9223372036854775809', '18446744073709551616',
    '1.00000000000000011102230246251565404236316680908203125', '"s\\u0041"', '"\\ud83d\\ude00"', '"\\uD834\\uDD1E"',
    '"\\u0000\\u001f\\/"', '"\ufeff"', '"\\ufeff"', '"a\\"b\\\\"', '[null]', '{"a":null}', '[[[[[[[[[[1]]]]]]]]]]',
    '{"b":1,"a":2}', '{"a":{"a":{"a":[]}}}', ' [ 1 , { "k" : [ ] } , "x y" ] ', '{"":0,"\\u0000":1}', '[{},[],"",0]'],
};

function jsonString(rng, s, escapeRate = 0.1) {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (cp < 0x20) {
      const short = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' }[cp];
      out += short && rng.chance(0.7) ? short : `\\u${cp.toString(16).padStart(4, '0')}`;
    } else if (ch === '/' && rng.chance(0.5)) out += '\\/';
    else if (rng.chance(escapeRate)) {
      const hex = (u) => u.toString(16).padStart(4, '0');
      const up = rng.chance(0.5);
      if (cp > 0xffff) {
        const v = cp - 0x10000;
        const e = `\\u${hex(0xd800 + (v >> 10))}\\u${hex(0xdc00 + (v & 0x3ff))}`;
        out += up ? e.toUpperCase().replace(/\\U/g, '\\u') : e;
      } else {
        out += `\\u${up ? hex(cp).toUpperCase() : hex(cp)}`;
      }
    } else out += ch;
  }
  return `${out}"`;
}

const CHAR_POOLS = [
  'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', ' -_.,;:!?@#$%^&*()[]{}<>=+~`|\'"\\/',
  '\u0000\u0001\u0008\t\n\u000b\f\r\u001b\u001f\u007f', 'éèêßøåñüçÆŒ', 'ЖжЯяκλμ', '中文字符日本語한국어', '😀🙂🚀𝄞🀄',
  '\u00a0\u2028\u2029\u200b\ufeff\ufffd',
];

function randomText(rng, len) {
  const pools = [rng.pick(CHAR_POOLS), rng.pick(CHAR_POOLS), CHAR_POOLS[0]];
  let s = '';
  while (s.length < len) {
    const pool = [...rng.pick(pools)];
    s += pool[rng.int(0, pool.length - 1)];
  }
  return s;
}

function civil(ms) {
  const d = new Date(ms);
  const p = (v, n) => String(v).padStart(n, '0');
  return {
    date: `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1, 2)}-${p(d.getUTCDate(), 2)}`,
    time: `${p(d.getUTCHours(), 2)}:${p(d.getUTCMinutes(), 2)}:${p(d.getUTCSeconds(), 2)}`,
    year: d.getUTCFullYear(),
  };
}
const floorDiv = (a, b) => { const q = a / b; return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q; };
const mod = (a, b) => ((a % b) + b) % b;

// An instant (epoch microseconds) as RFC 3339 text, with a random zone,
// separator and number of fraction digits (instant truncated to them).
function rfc3339(rng, us) {
  const digits = rng.pick([0, 0, 1, 2, 3, 3, 4, 5, 6, 6, 6, 7, 9]);
  if (digits < 6) us -= mod(us, 10n ** BigInt(6 - digits));
  let off = 0;
  if (rng.chance(0.5)) off = rng.pick([-1, 1]) * rng.int(0, 23 * 60 + 59);
  let local = us + BigInt(off) * 60000000n;
  let c = civil(Number(floorDiv(local, 1000n)));
  if (c.year < 1 || c.year > 9999) { off = 0; local = us; c = civil(Number(floorDiv(local, 1000n))); }
  let frac = '';
  if (digits > 0) {
    const f = String(mod(local, 1000000n)).padStart(6, '0');
    frac = `.${digits <= 6 ? f.slice(0, digits) : f + String(rng.int(0, 10 ** (digits - 6) - 1)).padStart(digits - 6, '0')}`;
  }
  const sep = rng.chance(0.1) ? ' ' : 'T';
  const a = Math.abs(off);
  const zone = off === 0 && rng.chance(0.8) ? 'Z'
    : `${off < 0 || (off === 0 && rng.chance(0.5)) ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  return `"${c.date}${sep}${c.time}${frac}${zone}"`;
}

function randomInstant(rng) {
  switch (rng.int(0, 3)) {
  case 0: return US_MIN + rng.big(62) % (US_MAX - US_MIN + 1n); // anywhere in 0001..9999
  case 1: return 1735689600000000n + BigInt(rng.int(-2e9, 2e9)) * 1000n + BigInt(rng.int(0, 999)); // near now
  case 2: return BigInt(rng.int(-1e6, 1e6)) * 1000n + BigInt(rng.int(-999, 999)); // around 1970
  default: return -2208988800000000n + rng.big(52); // 1900..2040
  }
}

// An instant as an epoch number in the column's unit: an integer or a
// decimal fraction (floe rounds fractions to the nearest microsecond).
function epochNumber(rng, us, unit) {
  const per = { s: 1000000n, ms: 1000n, us: 1n }[unit];
  const whole = floorDiv(us, per);
  if (rng.chance(0.5) || per === 1n && rng.chance(0.5)) return String(whole);
  // DuckDB's read_json (the reference) holds JSON numbers as doubles: a
  // fraction is only compared where the microseconds fit in 2^53 exactly.
  // floe itself scales the decimal text exactly at any size.
  // So fractions stay within the unit's microseconds (no rounding for DuckDB
  // to get differently) and well inside 2^53; floe's rounding of finer
  // digits is covered by the C unit tests.
  if (per === 1n || us >= 2n ** 50n || us <= -(2n ** 50n)) return String(whole);
  const fdigits = rng.int(1, unit === 's' ? 6 : 3);
  const f = String(rng.int(0, 10 ** fdigits - 1)).padStart(fdigits, '0');
  const w = whole < 0n ? whole + 1n : whole; // text "-12.25" means -(12.25)
  const sign = whole < 0n ? '-' : '';
  return `${sign}${(w < 0n ? -w : w)}.${f}`;
}

function floatText(rng) {
  switch (rng.int(0, 4)) {
  case 0: { // a float value, printed exactly (shortest double text of it)
    const e = rng.int(-149, 127);
    const v = Math.fround((rng.float() + 0.5) * 2 ** e) * (rng.chance(0.5) ? -1 : 1);
    return Number.isFinite(v) ? String(v) : '1';
  }
  case 1: return `${rng.int(-99999, 99999)}.${rng.int(0, 999)}`;
  case 2: return `${rng.int(-9, 9)}.${rng.int(0, 99999)}e${rng.int(-40, 37)}`;
  case 3: return String(rng.int(-16777216, 16777216));
  default: return String(Math.fround(rng.float() * 1000));
  }
}

function doubleText(rng) {
  switch (rng.int(0, 5)) {
  case 0: { // random bits: every finite double is fair
    const buf = new DataView(new ArrayBuffer(8));
    buf.setUint32(0, rng.u32()); buf.setUint32(4, rng.u32());
    const v = buf.getFloat64(0);
    return Number.isFinite(v) ? (Object.is(v, -0) ? '-0.0' : String(v)) : '0.5';
  }
  case 1: return `${rng.int(-999999, 999999)}.${String(rng.int(0, 9999)).padStart(4, '0')}`;
  case 2: { // long mantissas: correct rounding matters
    let m = String(rng.int(1, 9));
    const n = rng.int(17, 40);
    for (let i = 0; i < n; i++) m += String(rng.int(0, 9));
    return `${rng.chance(0.3) ? '-' : ''}${m[0]}.${m.slice(1)}e${rng.int(-330, 300)}`;
  }
  case 3: return String(rng.int(-1e9, 1e9));
  case 4: return String((rng.float() - 0.5) * 10 ** rng.int(-20, 20));
  default: return `${rng.int(1, 9)}e${rng.int(-324, 307)}`;
  }
}

function int32Text(rng) {
  const bits = rng.int(0, 31);
  const v = rng.int(-(2 ** bits), 2 ** bits - 1);
  return String(Math.max(-2147483648, Math.min(2147483647, v)));
}

function int64Text(rng) {
  const bits = rng.int(0, 63);
  let v = rng.big(bits + 1) - (1n << BigInt(bits));
  if (v < I64_MIN) v = I64_MIN;
  if (v > I64_MAX) v = I64_MAX;
  return String(v);
}

function dateText(rng, days) {
  return `"${civil(days * 86400000).date}"`;
}

// ---- schemas and their data -------------------------------------------------------

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lam', 'mu',
  'nu', 'xi', 'omi', 'pi', 'rho', 'sigma', 'tau', 'ups', 'phi', 'chi', 'psi', 'omega'];
const ODD_KEYS = ['key with space', 'ключ', 'quo"te', 'back\\slash', 'über'];
const GROUPS = ['tags', 'meta', 'geo', 'dev'];
const SUBGROUPS = ['inner', 'deep', 'sub'];

/** A random schema. opts: types (list, one column each), n (count), nested (prob), epoch (prob), extra */
function genSchema(rng, opts = {}) {
  const types = opts.types || Array.from({ length: opts.n || rng.int(1, 12) }, () => rng.pick(TYPES));
  const columns = [];
  const names = new Set();
  types.forEach((type, i) => {
    let leaf = `${rng.pick(WORDS)}_${i}`;
    if (rng.chance(opts.oddKeys ?? 0.05)) leaf = `${rng.pick(ODD_KEYS)} ${i}`;
    let p = leaf;
    if (rng.chance(opts.nested ?? 0.3)) {
      const depth = rng.pick([1, 1, 1, 2, 2, 3]);
      const parts = [rng.pick(GROUPS)];
      for (let d = 1; d < depth; d++) parts.push(rng.pick(SUBGROUPS));
      p = `${parts.join('.')}.${leaf}`;
    }
    let name = rng.chance(0.2) ? `col_${i}_${type}` : p;
    if (names.has(name)) name = `col_${i}`;
    names.add(name);
    const col = { name, type };
    if (p !== name) col.path = p;
    const nullable = opts.nullable !== undefined ? opts.nullable(i) : rng.chance(0.75);
    if (!nullable) col.nullable = false;
    if (type.startsWith('timestamp') && rng.chance(opts.epoch ?? 0.2)) col.epoch_unit = rng.pick(['s', 'ms', 'us']);
    columns.push(col);
  });
  return { columns, extra: opts.extra ?? rng.chance(0.5) };
}

/** How one column's values are drawn. */
function genProfile(rng, col, opts = {}) {
  const nullable = col.nullable !== false;
  const prof = {
    nullRate: nullable ? (opts.nullRate ?? rng.pick([0, 0, 0.05, 0.3, 0.9, 1])) : 0,
    missingShare: rng.pick([0, 0.5, 1]),
    style: opts.style || rng.pick(['random', 'random', 'edge', 'lowcard', 'seq']),
    longStrings: opts.longStrings || false,
    step: opts.step || 1000000n,
  };
  if (prof.style === 'lowcard') {
    const n = rng.int(1, 8);
    prof.pool = Array.from({ length: n }, () => valueText(rng, col, { style: 'random', longStrings: prof.longStrings }, 0));
  }
  if (prof.style === 'distinct') {
    prof.pool = Array.from({ length: opts.distinct }, (_, i) => valueText(rng, col, { style: 'random', uniq: i }, i));
  }
  prof.seqStart = randomInstant(rng);
  return prof;
}

function valueText(rng, col, prof, rowIdx) {
  const t = col.type;
  if (prof.pool) return rng.pick(prof.pool);
  const edge = prof.style === 'edge' && rng.chance(0.6);
  switch (t) {
  case 'bool': return rng.chance(0.5) ? 'true' : 'false';
  case 'int32':
    if (edge) return rng.pick(EDGES.int32);
    if (prof.style === 'seq') return String((rowIdx * 7) % 2147483647);
    return int32Text(rng);
  case 'int64':
    if (edge) return rng.pick(EDGES.int64);
    if (prof.style === 'seq') return String(BigInt(rowIdx) * 1000003n - 5000000000n);
    // a pool of distinct values: random ones would repeat (most are small)
    if (prof.uniq !== undefined) return String((BigInt(int64Text(rng)) & ~0xffffn) | BigInt(prof.uniq & 0xffff));
    return int64Text(rng);
  case 'float': return edge ? rng.pick(EDGES.float) : floatText(rng);
  case 'double': return edge ? rng.pick(EDGES.double) : doubleText(rng);
  case 'string': {
    if (prof.uniq !== undefined) return jsonString(rng, `u${prof.uniq}-${randomText(rng, rng.int(0, 12))}`);
    if (edge) return jsonString(rng, rng.pick(EDGES.string));
    if (prof.style === 'seq') return jsonString(rng, `item-${String(rowIdx).padStart(8, '0')}`);
    const len = prof.longStrings && rng.chance(0.3) ? rng.int(1000, 8000)
      : rng.pick([0, rng.int(1, 8), rng.int(1, 30), rng.int(30, 200)]);
    return jsonString(rng, randomText(rng, len), rng.pick([0, 0.05, 0.5]));
  }
  case 'timestamp_ms':
  case 'timestamp_us': {
    let us;
    if (edge && !col.epoch_unit) return `"${rng.pick(EDGES.timestamp)}"`;
    if (prof.style === 'seq') us = prof.seqStart + BigInt(rowIdx) * 1234567n;
    else if (prof.style === 'clustered') {
      // mostly in order, some late rows: a stream crossing partitions
      us = 1735689600000000n + BigInt(rowIdx) * prof.step;
      if (rng.chance(0.03)) us -= BigInt(rng.int(0, 40)) * prof.step;
    }
    else us = randomInstant(rng);
    if (us < US_MIN) us = US_MIN;
    if (us > US_MAX) us = US_MAX;
    if (col.epoch_unit && rng.chance(0.7)) return epochNumber(rng, us, col.epoch_unit);
    return rfc3339(rng, us);
  }
  case 'date': {
    if (edge) return `"${rng.pick(EDGES.date)}"`;
    if (prof.style === 'seq') return dateText(rng, -1000 + Math.floor(rowIdx / 100));
    return dateText(rng, rng.int(DAY_MIN, DAY_MAX));
  }
  case 'json':
    if (edge) return rng.pick(EDGES.json);
    if (prof.uniq !== undefined) return `{"u":${prof.uniq},"v":${jsonText(rng, { tokens: 4 })}}`;
    if (prof.style === 'seq') return `[${rowIdx},${jsonString(rng, `item-${rowIdx}`)}]`;
    return jsonText(rng, { tokens: rng.pick([1, 4, 12, 40]) });
  default: throw new Error(`type ${t}`);
  }
}

function extraValue(rng, depth = 0) {
  switch (rng.int(0, depth > 1 ? 3 : 5)) {
  case 0: return String(rng.int(-1000, 1000));
  case 1: return jsonString(rng, randomText(rng, rng.int(0, 10)));
  case 2: return rng.pick(['true', 'false', 'null']);
  case 3: return doubleText(rng);
  case 4: return `[${Array.from({ length: rng.int(0, 3) }, () => extraValue(rng, depth + 1)).join(',')}]`;
  default: return `{${Array.from({ length: rng.int(0, 3) }, (_, i) => `"k${i}":${extraValue(rng, depth + 1)}`).join(',')}}`;
  }
}

// A json column's value: any JSON value as a writer may print it (number
// forms, string escapes, whitespace between tokens, empty containers, null
// inside containers; null at the top is the profile's). Spaces and tabs only:
// a newline would end the line, and DuckDB's line reader may take a CR for one.
// Within floe's limits (32 levels and 1024 tokens a line): at most 5 levels
// and about budget.tokens tokens. No object has a key twice, decoded (a dead
// letter: see dead_letters).
function jsonText(rng, budget, depth = 0) {
  const ws = () => (rng.chance(0.8) ? '' : rng.pick([' ', '  ', '\t', ' \t ']));
  budget.tokens--;
  switch (budget.tokens <= 0 || depth >= 5 ? rng.int(0, 2) : rng.int(0, 4)) {
  case 0: return rng.pick([int32Text, int64Text, floatText, doubleText, (r) => r.pick(EDGES.double)])(rng);
  case 1: return jsonString(rng, randomText(rng, rng.pick([0, rng.int(1, 6), rng.int(1, 30)])), rng.pick([0, 0.1, 0.5]));
  case 2: return rng.pick(['true', 'false', depth > 0 ? 'null' : '""']);
  case 3: {
    const items = [];
    for (let n = rng.int(0, 5); n > 0 && budget.tokens > 0; n--) items.push(`${ws()}${jsonText(rng, budget, depth + 1)}${ws()}`);
    return `[${items.join(',') || ws()}]`;
  }
  default: {
    const keys = new Set();
    const items = [];
    for (let n = rng.int(0, 5); n > 0 && budget.tokens > 0; n--) {
      const k = rng.pick([() => rng.pick(WORDS), () => rng.pick(ODD_KEYS), () => randomText(rng, rng.int(0, 4))])();
      if (keys.has(k)) continue;
      keys.add(k);
      budget.tokens--;
      items.push(`${ws()}${jsonString(rng, k, 0.1)}${ws()}:${ws()}${jsonText(rng, budget, depth + 1)}${ws()}`);
    }
    return `{${items.join(',') || ws()}}`;
  }
  }
}

/** One NDJSON line for row rowIdx: keys shuffled, optional nulls/missing, unknown keys. */
function genRow(rng, schema, profiles, rowIdx, opts = {}) {
  const root = new Map();
  const nodeFor = (parts) => {
    let node = root;
    for (const k of parts) {
      if (!(node.get(k) instanceof Map)) node.set(k, new Map());
      node = node.get(k);
    }
    return node;
  };
  schema.columns.forEach((col, i) => {
    const parts = (col.path || col.name).split('.');
    const prof = profiles[i];
    const parent = nodeFor(parts.slice(0, -1));
    const leaf = parts[parts.length - 1];
    if (prof.nullRate > 0 && rng.chance(prof.nullRate)) {
      if (!rng.chance(prof.missingShare)) parent.set(leaf, 'null');
      return;
    }
    parent.set(leaf, valueText(rng, col, prof, rowIdx));
  });
  // Unknown keys, at the top and inside objects (schema "extra" keeps them).
  const extraRate = opts.extraRate ?? 0.3;
  const addExtras = (node, depth) => {
    if (rng.chance(extraRate)) for (let i = rng.int(1, 3); i > 0; i--) node.set(`x_${depth}_${rng.int(0, 99)}`, extraValue(rng));
    for (const v of node.values()) if (v instanceof Map) addExtras(v, depth + 1);
  };
  addExtras(root, 0);
  const sp = opts.spaces && rng.chance(0.3) ? ' ' : '';
  const allNull = (m) => [...m.values()].every((v) => (v instanceof Map ? allNull(v) : v === 'null'));
  const ser = (m) => `{${rng.shuffle([...m.entries()]).map(([k, v]) => {
    let text = v;
    if (v instanceof Map) {
      // an object whose fields are all null may as well be null or empty
      text = allNull(v) && rng.chance(0.3) ? rng.pick(['null', '{}']) : ser(v);
    }
    return `${jsonString(rng, k, 0.05)}:${sp}${text}`;
  }).join(`,${sp}`)}}`;
  return ser(root);
}

function genLines(rng, schema, n, popts = {}, ropts = {}) {
  const profiles = schema.columns.map((c) => genProfile(rng, c, typeof popts === 'function' ? popts(c) : popts));
  const lines = new Array(n);
  for (let r = 0; r < n; r++) lines[r] = genRow(rng, schema, profiles, r, ropts);
  return lines;
}

// ---- the case kinds -----------------------------------------------------------------
// Each returns {schema, inputs: [{name, lines}], args: [...floe options], expect?}.

const CODECS = ['snappy', 'zstd', 'none'];

const KINDS = {
  one_row(rng) {
    const schema = genSchema(rng, { types: rng.shuffle([...TYPES]) });
    return { schema, inputs: [{ name: 'in.ndjson', lines: genLines(rng, schema, 1) }], args: ['--codec', rng.pick(CODECS)] };
  },
  edges(rng) {
    // every type, nullable and not, values mostly from the edge lists
    const types = [...TYPES, ...TYPES];
    const schema = genSchema(rng, { types, nullable: (i) => i < TYPES.length, nested: 0.3 });
    const lines = genLines(rng, schema, 600, (c) => ({ style: 'edge', nullRate: c.nullable === false ? 0 : 0.1 }),
      { spaces: true });
    return { schema, inputs: [{ name: 'in.ndjson', lines }], args: ['--codec', 'none', '--page-bytes', '8K'] };
  },
  random_small(rng) {
    const schema = genSchema(rng, { n: rng.int(1, 16) });
    return { schema, inputs: [{ name: 'in.ndjson', lines: genLines(rng, schema, rng.int(2, 800), {}, { spaces: true }) }],
      args: ['--codec', rng.pick(CODECS)] };
  },
  all_null(rng) {
    const schema = genSchema(rng, { types: rng.shuffle([...TYPES]), nullable: () => true });
    schema.columns.push({ name: 'id', type: 'int64', nullable: false });
    // more rows than a page holds (FLOE_PARQUET_PAGE_MAX_VALUES), all null
    const lines = genLines(rng, schema, 25000, (c) => (c.name === 'id' ? { style: 'seq' } : { nullRate: 1 }), { extraRate: 0.02 });
    return { schema, inputs: [{ name: 'in.ndjson', lines }], args: ['--codec', rng.pick(CODECS), '--page-bytes', '8K'] };
  },
  one_row_files(rng) {
    const schema = genSchema(rng, { n: rng.int(1, 10) });
    const n = rng.int(2, 40);
    return { schema, inputs: [{ name: 'in.ndjson', lines: genLines(rng, schema, n) }], shape: { minFiles: n },
      args: ['--codec', rng.pick(CODECS), '--file-rows', '1'] };
  },
  row_group_limit(rng) {
    // more row groups than one file takes (FLOE_PARQUET_DEFAULT_MAX_ROW_GROUPS, 64): the writer rolls
    const schema = genSchema(rng, { types: ['double', 'int64', 'string', 'float'], nested: 0, epoch: 0, extra: false });
    const lines = genLines(rng, schema, 60000, { style: 'random', nullRate: 0 }, { extraRate: 0 });
    return { schema, inputs: [{ name: 'in.ndjson', lines }], shape: { minFiles: 2, minRowGroups: 65 },
      args: ['--codec', rng.pick(CODECS), '--row-group-bytes', '32K', '--page-bytes', '4K'] };
  },
  exact_fill(rng) {
    // files that fill exactly: k files of exactly N rows each (the file's last
    // row ends its last row group; no empty file follows), several row groups each
    const schema = genSchema(rng, { types: ['int64', 'double', 'int32', 'bool', 'date', 'timestamp_us'],
      nested: 0, epoch: 0, extra: false, nullable: () => false });
    const per = rng.pick([2500, 3000, 4000]);
    const files = rng.int(2, 4);
    const lines = genLines(rng, schema, per * files, { style: 'random', nullRate: 0 }, { extraRate: 0 });
    return { schema, inputs: [{ name: 'in.ndjson', lines }],
      shape: { exactFiles: files, rowsPerFile: per, minRowGroups: files + 1 },
      args: ['--codec', rng.pick(CODECS), '--file-rows', String(per), '--row-group-bytes', '32K', '--page-bytes', '4K'] };
  },
  many_rows(rng) {
    // several pages, row groups and files
    const types = ['timestamp_us', 'string', 'int64', 'double', 'int32', 'bool', 'float', 'date', 'timestamp_ms', 'json'];
    const schema = genSchema(rng, { types, nested: 0.2, epoch: 0 });
    const lines = genLines(rng, schema, 50000, (c) => ({
      // seq: sorted like telemetry; string and double random so that the
      // data does not compress into one row group
      style: c.type === 'timestamp_us' || c.type === 'int64' ? 'seq'
        : c.type === 'string' || c.type === 'double' ? 'random' : rng.pick(['random', 'lowcard', 'edge']),
      nullRate: c.nullable === false ? 0 : rng.pick([0, 0.02, 0.5]),
    }), { extraRate: 0.05 });
    return { schema, inputs: [{ name: 'in.ndjson', lines }], shape: { minFiles: 3, minRowGroups: 6 },
      args: ['--codec', 'snappy', '--row-group-bytes', '256K', '--page-bytes', '8K', '--file-rows', '20000'] };
  },
  dict_overflow(rng) {
    // a string column with more distinct values than the dictionary holds,
    // one with few, and numeric columns of both kinds
    const schema = {
      columns: [
        { name: 'many', type: 'string', nullable: false },
        { name: 'few', type: 'string' },
        { name: 'many_i64', type: 'int64' },
        { name: 'few_f64', type: 'double' },
        { name: 'few_i32', type: 'int32' },
        { name: 'many_f32', type: 'float' },
        { name: 'ts', type: 'timestamp_ms', nullable: false },
        { name: 'many_json', type: 'json' },
      ],
      extra: false,
    };
    // more distinct values than a dictionary takes (FLOE_PARQUET_DEFAULT_DICT_ENTRIES,
    // 16384; for strings also FLOE_PARQUET_DEFAULT_DICT_BYTES, 64K)
    const lines = genLines(rng, schema, 40000, (c) => (c.name.startsWith('many')
      ? { style: 'distinct', distinct: 20000 + rng.int(0, 4000), nullRate: c.nullable === false ? 0 : 0.01 }
      : c.name === 'ts' ? { style: 'seq' } : { style: 'lowcard', nullRate: 0.1 }), { extraRate: 0 });
    // The case is only worth its time if dictionaries did overflow: the
    // numeric columns then hold dictionary pages and pages in a fallback
    // encoding (today DELTA_BINARY_PACKED / BYTE_STREAM_SPLIT; PLAIN would
    // not be told apart from the dictionary page's).
    const shape = { encodings: { many: ['RLE_DICTIONARY'], many_i64: ['RLE_DICTIONARY', 'fallback'],
      many_f32: ['RLE_DICTIONARY', 'fallback'], few: ['RLE_DICTIONARY'], many_json: ['RLE_DICTIONARY'] } };
    return { schema, inputs: [{ name: 'in.ndjson', lines }], args: ['--codec', 'none', '--page-bytes', '8K'], shape };
  },
  long_strings(rng) {
    const schema = genSchema(rng, { types: ['string', 'string', 'int64', 'string'], nested: 0.3 });
    const lines = genLines(rng, schema, 400, { longStrings: true, style: 'random', nullRate: 0.05 }, { extraRate: 0 });
    return { schema, inputs: [{ name: 'in.ndjson', lines }], args: ['--codec', rng.pick(CODECS), '--max-line', '256K'] };
  },
  epoch_numbers(rng) {
    const schema = genSchema(rng, { types: ['timestamp_us', 'timestamp_ms', 'timestamp_us', 'timestamp_ms', 'int32'], epoch: 1 });
    const lines = genLines(rng, schema, 2000, { style: 'random', nullRate: 0.05 });
    return { schema, inputs: [{ name: 'in.ndjson', lines }], args: ['--codec', rng.pick(CODECS)] };
  },
  zstd_input(rng) {
    const schema = genSchema(rng, { n: rng.int(3, 10) });
    const a = genLines(rng, schema, 1500);
    const b = genLines(rng, schema, 1500);
    return { schema, inputs: [{ name: 'in.ndjson', lines: [...a, ...b], zstdFrames: [a, b] }], args: ['--codec', rng.pick(CODECS)] };
  },
  multi_input(rng) {
    const schema = genSchema(rng, { n: rng.int(2, 10) });
    const inputs = Array.from({ length: 3 }, (_, i) => ({ name: `part${i}.ndjson`, lines: genLines(rng, schema, rng.int(0, 1500)) }));
    return { schema, inputs, args: ['--codec', rng.pick(CODECS), '--file-rows', '700'] };
  },
  partitioned(rng) {
    const schema = genSchema(rng, { n: rng.int(1, 6) });
    schema.columns.unshift({ name: 'pts', type: rng.pick(['timestamp_us', 'timestamp_ms']) });
    const hour = rng.chance(0.5);
    const ms = schema.columns[0].type === 'timestamp_ms';
    // 3000 rows over about 12 partitions
    const step = (hour ? 3600000000n : 86400000000n) * 12n / 3000n;
    const lines = genLines(rng, schema, 3000, (c) => (c.name === 'pts' ? { style: 'clustered', step, nullRate: 0.01 } : {}));
    // Late rows held (the default 256K, or a 4K window that fills often) or
    // not. Held rows go to files made after the open one: files in creation
    // order no longer give the rows in arrival order, so compare multisets.
    const late = rng.pick(['0', '4K', '256K']);
    return { schema, inputs: [{ name: 'in.ndjson', lines }], glob: '**/*.parquet',
      shape: { partitions: { column: 'pts', hour, ms } }, unordered: late !== '0',
      args: ['--codec', rng.pick(CODECS), '--partition-by', `pts:${hour ? 'hour' : 'day'}`,
        '--late-window-bytes', late] };
  },
  sorted(rng) {
    // rows held in a sort window (compactly: varints, differences, decimals
    // checked bit for bit, interned short strings) and grouped by a random
    // column: edge, random and repeating values of every type come back
    // as DuckDB reads the input (multisets: the order is the window's)
    const types = [...TYPES, ...TYPES];
    const schema = genSchema(rng, { types, nullable: (i) => i % 2 === 0, nested: 0.2 });
    const lines = genLines(rng, schema, 3000, (c) => ({
      style: rng.pick(['edge', 'random', 'lowcard', 'seq']), nullRate: c.nullable === false ? 0 : 0.1,
    }), { extraRate: 0.05 });
    return { schema, inputs: [{ name: 'in.ndjson', lines }], unordered: true,
      // The default page size: with 20 columns, four of them byte arrays,
      // floe convert halves it so that row groups keep room for a window.
      args: ['--codec', rng.pick(CODECS), '--sort-by', rng.pick(schema.columns).name,
        '--sort-window-bytes', rng.pick(['4K', '64K', '512K'])] };
  },
  dead_letters(rng) {
    const schema = {
      columns: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'n', type: 'int32' },
        { name: 's', type: 'string' },
        { name: 'ts', type: 'timestamp_us' },
        { name: 'd', type: 'date' },
        { name: 'f', type: 'float' },
        { name: 'b', type: 'bool' },
        { name: 'gx', path: 'g.x', type: 'double' },
        { name: 'j', type: 'json' },
      ],
      extra: rng.chance(0.5),
    };
    const good = genLines(rng, schema, 1000, (c) => (c.name === 'id' ? { style: 'seq' } : {}));
    const bad = [
      '{"id":1,"n":2147483648}', '{"id":1,"n":-2147483649}', '{"id":1,"n":1.5}', '{"id":9223372036854775808}',
      '{"id":1,"ts":"2025-13-01T00:00:00Z"}', '{"id":1,"ts":"2025-01-01T24:00:00Z"}', '{"id":1,"ts":"2025-01-01T00:00:00"}',
      '{"id":1,"ts":"2025-01-01T00:00:60Z"}', '{"id":1,"d":"2025-02-29"}', '{"id":1,"d":"2025/01/01"}', '{"id":1,"f":1e39}',
      '{"n":1}', '{"id":null}', '{"id":1,"g":5}', '{"id":1,"b":1}', '{"id":"1"}', '{"id":1,"s":5}', '[1,2]', '"text"',
      '{"id":1,', '{"id":1}}', 'not json', '{"id":1,"s":"a\tb"}', '{"id":1,"id":2}', '{"id":1,"s":"\\ud800"}',
      '{"id":1,"n":01}', '{"id":1,"gx":1,"g":{"x":1e400}}', '{"id":1,"ts":12345}', `{"id":1,"s":"${'x'.repeat(5000)}"}`,
      // past year 9999 (or before 0000) once the offset is applied: no 4-digit year names them
      '{"id":1,"ts":"9999-12-31T23:59:59-23:59"}', '{"id":1,"ts":"0000-01-01T00:00:00+00:01"}',
      // a json value with a key twice, anywhere in it (as written or decoded)
      '{"id":1,"j":{"a":1,"a":2}}', '{"id":1,"j":[0,{"k":{"x":[{"q":1,"q":null}]}}]}', '{"id":1,"j":{"a":1,"\\u0061":[]}}',
      '{"id":1,"j":[1,2}',
    ];
    const lines = [];
    const badAt = [];
    let b = 0;
    for (let i = 0; i < good.length; i++) {
      if (b < bad.length && rng.chance(bad.length / good.length * 1.5)) { lines.push(bad[b++]); badAt.push(lines.length); }
      lines.push(good[i]);
    }
    while (b < bad.length) { lines.push(bad[b++]); badAt.push(lines.length); }
    return { schema, inputs: [{ name: 'in.ndjson', lines, valid: good }], args: ['--codec', rng.pick(CODECS), '--max-line', '4K'],
      expect: { deadLines: badAt, deadRaw: lines.filter((_, i) => badAt.includes(i + 1)) } };
  },
};
const KIND_NAMES = Object.keys(KINDS);

// ---- running a case ------------------------------------------------------------------

function writeInputs(dir, c) {
  const convertArgs = [];
  const compareFiles = [];
  for (const inp of c.inputs) {
    const p = path.join(dir, inp.name);
    fs.writeFileSync(p, inp.lines.length ? `${inp.lines.join('\n')}\n` : '');
    if (inp.zstdFrames) {
      // two concatenated zstd frames, read by floe; DuckDB reads the plain text
      const parts = inp.zstdFrames.map((ls, i) => {
        const fp = path.join(dir, `frame${i}.ndjson`);
        fs.writeFileSync(fp, ls.length ? `${ls.join('\n')}\n` : '');
        const r = spawnSync('zstd', ['-q', '-f', fp, '-o', `${fp}.zst`]);
        if (r.error || r.status !== 0) throw new Error(`zstd failed: ${r.error ? r.error.message : r.stderr}`);
        return fs.readFileSync(`${fp}.zst`);
      });
      fs.writeFileSync(`${p}.zst`, Buffer.concat(parts));
      convertArgs.push(`${p}.zst`);
    } else convertArgs.push(p);
    if (inp.valid) {
      const vp = path.join(dir, `valid-${inp.name}`);
      fs.writeFileSync(vp, `${inp.valid.join('\n')}\n`);
      compareFiles.push(vp);
    } else compareFiles.push(p);
  }
  return { convertArgs, compareFiles };
}

function checkDeadLetters(outDir, expect, problems) {
  const dlPath = path.join(outDir, 'dead-letters.ndjson');
  const got = fs.existsSync(dlPath) ? fs.readFileSync(dlPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  const lines = got.map((d) => d.line);
  if (JSON.stringify(lines) !== JSON.stringify(expect.deadLines)) {
    problems.push({ check: 'dead_letter_lines', want: expect.deadLines, got: lines });
    return;
  }
  got.forEach((d, i) => {
    const want = expect.deadRaw[i];
    const ok = d.truncated ? want.startsWith(d.raw) && d.length === Buffer.byteLength(want) : d.raw === want;
    if (!ok) problems.push({ check: 'dead_letter_raw', line: d.line, want: want.slice(0, 80), got: String(d.raw).slice(0, 80) });
  });
}

// Rows whose hive folder (as Polars reads dt and hour) is not their
// timestamp's (UTC), or a message when Polars cannot read the tree.
function polarsOutsideFolders({ pl }, glob, { column, hour, ms }) {
  let df;
  try {
    df = pl.scanParquet(glob, { hivePartitioning: true }).collectSync();
  } catch (e) { return `polars cannot read the tree: ${e && e.message || e}`; }
  const ts = df.getColumn(column).cast(pl.Int64).cast(pl.Utf8).toArray();
  const dt = df.getColumn('dt').cast(pl.Int32).toArray();
  const hr = hour ? df.getColumn('hour').cast(pl.Int64).toArray() : null;
  const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
  let wrong = 0;
  ts.forEach((t, i) => {
    if (t === null || t === undefined) {
      wrong += dt[i] !== null || (hr !== null && hr[i] !== null) ? 1 : 0;
      return;
    }
    const us = BigInt(t) * (ms ? 1000n : 1n);
    const h = floorDiv(us, 3600000000n);
    if (Number(floorDiv(us, 86400000000n)) !== dt[i] || (hr !== null && Number(((h % 24n) + 24n) % 24n) !== hr[i])) wrong++;
  });
  return wrong;
}

// Checks that the files have the structure the case meant to exercise.
async function checkShape(con, glob, shape, sum, problems) {
  if (shape.minFiles && sum.parquet_files < shape.minFiles) problems.push({ check: 'shape_files', want: `>= ${shape.minFiles}`, got: sum.parquet_files });
  if (shape.minRowGroups && sum.row_groups < shape.minRowGroups) problems.push({ check: 'shape_row_groups', want: `>= ${shape.minRowGroups}`, got: sum.row_groups });
  if (shape.exactFiles && sum.parquet_files !== shape.exactFiles) problems.push({ check: 'shape_exact_files', want: shape.exactFiles, got: sum.parquet_files });
  if (shape.rowsPerFile) {
    const rows = (await con.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata('${glob.replace(/'/g, "''")}')`)).getRows();
    const off = rows.map((r) => Number(r[0])).filter((n) => n !== shape.rowsPerFile);
    if (off.length) problems.push({ check: 'shape_rows_per_file', want: shape.rowsPerFile, got: off });
  }
  if (shape.partitions) {
    // Every row in the folder of its own timestamp (UTC), null ones in Hive's default.
    const { column, hour } = shape.partitions;
    const q = `SELECT count(*) FROM read_parquet('${glob.replace(/'/g, "''")}', hive_partitioning=true)
      WHERE ("${column}" IS NULL) <> (dt IS NULL) OR ("${column}" IS NOT NULL AND (
        floor(epoch_us("${column}") / 86400000000) <> epoch(CAST(dt AS DATE)) // 86400
        ${hour ? `OR (floor(epoch_us("${column}") / 3600000000)::BIGINT % 24 + 24) % 24 <> CAST(hour AS BIGINT)` : ''}))`;
    const wrong = Number((await con.runAndReadAll(q)).getRows()[0][0]);
    if (wrong !== 0) problems.push({ check: 'shape_partitions', want: 0, got: `${wrong} rows outside their partition folder` });
    // The same through Polars' own hive reading (dt a Date, hour an integer).
    const polarsWrong = polarsOutsideFolders(await loadModules(), glob, shape.partitions);
    if (polarsWrong !== 0) problems.push({ check: 'shape_partitions_polars', want: 0, got: polarsWrong });
  }
  if (shape.encodings) {
    const rows = (await con.runAndReadAll(`SELECT path_in_schema, string_agg(encodings, ', ') FROM parquet_metadata('${glob.replace(/'/g, "''")}') GROUP BY 1`)).getRows();
    const have = new Map(rows.map((r) => [r[0], new Set(String(r[1]).split(', '))]));
    for (const [col, encs] of Object.entries(shape.encodings)) {
      const set = have.get(col) || new Set();
      const dictOrPlain = new Set(['PLAIN', 'RLE', 'RLE_DICTIONARY', 'PLAIN_DICTIONARY', 'BIT_PACKED']);
      const missing = encs.filter((e) => (e === 'fallback' ? ![...set].some((x) => !dictOrPlain.has(x)) : !set.has(e)));
      if (missing.length) problems.push({ check: 'shape_encodings', column: col, missing, have: [...(have.get(col) || [])] });
    }
  }
}

async function runCase(ctx, index) {
  const kind = ctx.kinds[index % ctx.kinds.length];
  const seed = hash32(ctx.seed, index, kind);
  const rng = new Rng(seed);
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(ctx.tmp, `${String(index).padStart(3, '0')}-${kind}-`));
  const result = { case: index, kind, seed: ctx.seed, dir, ok: false };
  const problems = [];
  let floeStderr = '';
  try {
    const c = KINDS[kind](rng);
    const schemaPath = path.join(dir, 'schema.json');
    fs.writeFileSync(schemaPath, JSON.stringify(c.schema));
    const { convertArgs, compareFiles } = writeInputs(dir, c);
    const outDir = path.join(dir, 'out');
    const argv = ['convert', '--json', '--schema', schemaPath, '-o', outDir, ...c.args, ...convertArgs];
    result.command = [ctx.floe, ...argv].join(' ');
    const r = spawnSync(ctx.floe, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.error) throw new Error(`cannot run ${ctx.floe}: ${r.error.message}`);
    floeStderr = r.stderr;
    let stats = null;
    try { stats = JSON.parse(r.stdout.trim().split('\n').pop()); } catch { /* below */ }
    const validRows = c.inputs.reduce((n, inp) => n + (inp.valid || inp.lines).length, 0);
    const wantStatus = c.expect ? 1 : 0;
    if (r.status !== wantStatus || !stats) {
      problems.push({ check: 'floe_exit', want: wantStatus, got: r.status, stderr: r.stderr.slice(-2000) });
    } else {
      result.rows = stats.records;
      result.files = stats.files;
      if (stats.records !== validRows) problems.push({ check: 'floe_records', want: validRows, got: stats.records });
      const wantDead = c.expect ? c.expect.deadLines.length : 0;
      if (stats.dead_letters !== wantDead) problems.push({ check: 'floe_dead_letters', want: wantDead, got: stats.dead_letters });
      if (c.expect) checkDeadLetters(outDir, c.expect, problems);
      const sum = await compare({ schema: normalizeSchema(c.schema), parquetGlob: path.join(outDir, c.glob || '*.parquet'),
        ndjson: compareFiles, con: ctx.con, unordered: !!c.unordered });
      result.row_groups = sum.row_groups;
      if (sum.status !== 'match') problems.push({ check: 'compare', status: sum.status, error: sum.error, differences: sum.differences });
      if (c.shape && sum.status === 'match') await checkShape(ctx.con, path.join(outDir, c.glob || '*.parquet'), c.shape, sum, problems);
      // Every Bloom filter holds every value of its chunk (DuckDB's probe, each type).
      const files = fs.readdirSync(outDir, { recursive: true }).filter((f) => String(f).endsWith('.parquet'))
        .map((f) => path.join(outDir, String(f))).sort().slice(0, 8); // (partitioned cases write dozens)
      if (files.length) {
        const b = await checkBloom(files, { sample: 30, requireFilters: false });
        result.bloom_chunks = b.chunks_with_filters;
        if (!b.ok) problems.push({ check: 'bloom', problems: b.problems });
      }
    }
  } catch (e) {
    problems.push({ check: 'exception', error: String(e && e.stack || e) });
  }
  result.seconds = (Date.now() - t0) / 1000;
  result.ok = problems.length === 0;
  if (!result.ok && floeStderr && !problems.some((p) => p.stderr)) result.floe_stderr = floeStderr.slice(-1500);
  if (!result.ok) result.problems = problems;
  if (result.ok && !ctx.keep) fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

const jsonOut = (o) => JSON.stringify(o, (k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);

async function main(argv) {
  const ctx = {
    seed: Number(process.env.FLOE_PROPERTY_SEED || 1),
    cases: process.env.FLOE_PROPERTY_CASES ? Number(process.env.FLOE_PROPERTY_CASES) : null,
    floe: process.env.FLOE || path.join(REPO, 'build', 'host', 'floe'),
    keep: false, verbose: false, kinds: KIND_NAMES,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    if (a === '--seed') ctx.seed = Number(val());
    else if (a === '--cases') ctx.cases = Number(val());
    else if (a === '--floe') ctx.floe = val();
    else if (a === '--only') ctx.kinds = val().split(',');
    else if (a === '--case') ctx.only = Number(val());
    else if (a === '--keep') ctx.keep = true;
    else if (a === '--verbose') ctx.verbose = true;
    else { console.error('usage: property.mjs [--seed S] [--cases N] [--only KIND,...] [--case I] [--floe PATH] [--keep] [--verbose]'); return 2; }
  }
  for (const k of ctx.kinds) if (!KINDS[k]) { console.error(`property: unknown kind ${k} (${KIND_NAMES.join(', ')})`); return 2; }
  if (!Number.isInteger(ctx.seed) || (ctx.cases !== null && !(ctx.cases >= 0))) { console.error('property: bad --seed/--cases'); return 2; }
  if (ctx.cases === null) ctx.cases = 2 * ctx.kinds.length;
  ctx.floe = path.resolve(ctx.floe);
  if (!fs.existsSync(ctx.floe)) { console.error(`property: no floe binary at ${ctx.floe} (set FLOE or --floe)`); return 2; }
  try { await loadModules(); } catch (e) { console.error(`property: ${e.message}`); return 2; }
  ctx.con = (await openDuck()).con;
  ctx.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'floe-property-'));
  const t0 = Date.now();
  let passed = 0;
  let failed = 0;
  let bloomChunks = 0, bloomCases = 0;
  for (let i = 0; i < ctx.cases; i++) {
    if (ctx.only !== undefined && i !== ctx.only) continue;
    const r = await runCase(ctx, i);
    bloomChunks += r.bloom_chunks || 0;
    bloomCases++;
    const facts = `rows=${r.rows ?? '?'} files=${r.files ?? '?'} row_groups=${r.row_groups ?? '?'} bloom=${r.bloom_chunks ?? '?'} ${r.seconds.toFixed(1)}s`;
    if (r.ok) {
      passed++;
      console.log(`ok   ${String(i).padStart(3)} ${r.kind.padEnd(16)} ${facts}`);
    } else {
      failed++;
      console.log(`FAIL ${String(i).padStart(3)} ${r.kind.padEnd(16)} ${facts}  replay: node ${path.relative(process.cwd(), fileURLToPath(import.meta.url))} --seed ${ctx.seed} --cases ${ctx.cases} --case ${i}${ctx.kinds === KIND_NAMES ? '' : ` --only ${ctx.kinds.join(',')}`}`);
      console.log(jsonOut({ case: i, kind: r.kind, dir: r.dir, command: r.command, problems: r.problems, floe_stderr: r.floe_stderr }));
    }
    if (ctx.verbose && r.ok) console.log(`     ${r.command}`);
  }
  // Each case may have no filter (all columns fell back, booleans only), but a
  // full run without any would mean the filters were never checked.
  if (bloomCases >= 10 && bloomChunks === 0) {
    failed++;
    console.log(`FAIL bloom: no case wrote a Bloom filter (${bloomCases} cases)`);
  }
  if (failed === 0 && !ctx.keep) fs.rmSync(ctx.tmp, { recursive: true, force: true });
  console.log(`property: seed ${ctx.seed}, ${ctx.cases} cases in ${((Date.now() - t0) / 1000).toFixed(1)}s${failed ? `, failed cases kept under ${ctx.tmp}` : ''}`);
  console.log(`property: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  console.error(e && e.stack || e);
  process.exit(2);
});
