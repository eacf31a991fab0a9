#!/usr/bin/env node
// Cross-checks floe's SigV4 signer against AWS's own JavaScript signer
// (@smithy/signature-v4, the one inside the AWS SDK for JavaScript v3, with
// @aws-crypto/sha256-js), request by request: the Authorization header (or the
// presigned query), the canonical request and the string to sign must be the
// same bytes.
//
// The table: AWS SigV4 test-suite cases (service "service", no
// x-amz-content-sha256), the S3 documentation's examples, S3 PUT / multipart /
// presigned requests with odd keys (spaces, unicode, "+", "=", "~", "%",
// nested prefixes), with and without a session token, UNSIGNED-PAYLOAD and real
// payload hashes, then seeded random requests of the same kinds.
//
// How each side is driven (the SDK's S3 conventions):
//   - path: floe gets the raw key path and encodes it itself; the SDK signer
//     gets it encoded by the SDK's escapeUriPath (what the S3 client does for
//     {Key+}) with uriEscapePath: false (S3 signs the path encoded once);
//   - query: floe gets a wire query string, encoded by a varying encoder
//     (strict, encodeURIComponent, lower-case hex, or only '%', '&', '='), and
//     must decode and re-encode it; the SDK gets the decoded name/value map;
//   - payload: x-amz-content-sha256 header for S3 (the SDK signs the header's
//     value); the body itself for the test-suite cases; for presigning a
//     non-buffer body, which the SDK signs as UNSIGNED-PAYLOAD;
//   - x-amz-date / x-amz-security-token: the SDK sets them; floe adds them
//     (some cases list x-amz-date / x-amz-content-sha256 explicitly, which floe
//     then checks instead of adding).
//
// Build floe's side first:
//   make lib   # build/host/libfloe.a
//   cc -std=c99 -Iinclude -Isrc tests/tools/sigv4_tool.c build/host/libfloe.a \
//     -o build/host/sigv4_tool
// Run:
//   tools/bootstrap.sh npm
//   FLOE_SIGV4_TOOL=build/host/sigv4_tool NODE_PATH=build/npm/node_modules \
//     node tests/integration/sigv4_check.mjs [--seed S] [--random N] [--verbose]
//
// Prints a line per failure and the last line "N passed, N failed".
// Exit status: 0 all matched, 1 a mismatch, 2 setup error (tool, modules).
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');

function setupError(msg) {
  console.error(`sigv4_check: ${msg}`);
  console.log('0 passed, 1 failed');
  process.exit(2);
}

// ---- options and modules ------------------------------------------------------

const opts = { seed: 1, random: 300, verbose: false };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--seed') opts.seed = Number(process.argv[++i]);
  else if (a === '--random') opts.random = Number(process.argv[++i]);
  else if (a === '--verbose') opts.verbose = true;
  else setupError(`unknown option ${a}`);
}

function load(name) {
  const bases = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
  bases.push(path.join(REPO, 'build', 'npm', 'node_modules'));
  for (const b of bases) {
    try {
      return createRequire(path.join(path.resolve(b), '_.js'))(name);
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  setupError(`cannot load ${name}: set NODE_PATH to build/npm/node_modules after tools/bootstrap.sh npm`);
}

const { SignatureV4 } = load('@smithy/signature-v4');
const { Sha256 } = load('@aws-crypto/sha256-js');
const { HttpRequest, escapeUri, escapeUriPath } = load('@smithy/core/protocols');

const TOOL = process.env.FLOE_SIGV4_TOOL || path.join(REPO, 'build', 'host', 'sigv4_tool');
if (!fs.existsSync(TOOL)) setupError(`no floe tool at ${TOOL} (set FLOE_SIGV4_TOOL; see the header for the build command)`);

// ---- the cases ------------------------------------------------------------------

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const UNSIGNED = 'UNSIGNED-PAYLOAD';
const DOC_CREDS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const SUITE_CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_TOKEN = 'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMic' +
  'RXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKs' +
  'burEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0' +
  'iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==';
const sha256hex = (s) => crypto.createHash('sha256').update(s).digest('hex');

// A case: { name, method, path (raw), query: [[name, value, bare?]], enc,
//   headers: [[name, value]], payload, body, service, region, date, creds,
//   presign (seconds or 0), floeDate, floeSha (list those headers for floe),
//   expect (a known signature) }
function s3Case(c) {
  return {
    method: 'PUT', query: [], enc: 'strict', headers: [['host', 'examplebucket.s3.amazonaws.com']],
    payload: EMPTY, service: 's3', region: 'us-east-1', date: new Date('2013-05-24T00:00:00Z'),
    creds: DOC_CREDS, presign: 0, ...c,
  };
}
function suiteCase(c) {
  return s3Case({
    method: 'GET', path: '/', headers: [['Host', 'example.amazonaws.com']], body: '', service: 'service',
    date: new Date('2015-08-30T12:36:00Z'), creds: SUITE_CREDS, floeDate: true, ...c,
  });
}

const ODD_KEYS = [
  'dir/my key+1.parquet', 'a=b~c%d.parquet', 'nested/prefix/deep/er/x.parquet', 'ünïcödé/日本語/😀.parquet',
  '100%/50% done.parquet', 'sp  ace/ tab\t/x', 'a+b=c&d?e#f', '~tilde~/.-_', "!*'()[]{}$,;:@", 'trailing/slash/',
  '//double//slashes', './dot/../dotdot', '%2F%20already-encoded', 'x'.repeat(200), 'é'.repeat(100),
];

function tableCases() {
  const cases = [
    // AWS SigV4 test suite (known signatures from the suite).
    suiteCase({ name: 'suite get-vanilla', expect: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31' }),
    suiteCase({ name: 'suite get-vanilla-query-order-key-case', query: [['Param2', 'value2'], ['Param1', 'value1']],
      expect: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500' }),
    suiteCase({ name: 'suite get-vanilla-query-unreserved',
      query: [['-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz']],
      expect: '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197' }),
    suiteCase({ name: 'suite get-vanilla-utf8-query', query: [['ሴ', 'bar']], enc: 'minimal',
      expect: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04' }),
    suiteCase({ name: 'suite get-header-value-trim',
      headers: [['Host', 'example.amazonaws.com'], ['My-Header1', ' value1'], ['My-Header2', ' "a   b   c"']],
      expect: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736' }),
    suiteCase({ name: 'suite post-vanilla', method: 'POST', expect: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b' }),
    suiteCase({ name: 'suite post-vanilla-query', method: 'POST', query: [['Param1', 'value1']],
      expect: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11' }),
    suiteCase({ name: 'suite post-x-www-form-urlencoded', method: 'POST', body: 'Param1=value1',
      headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Host', 'example.amazonaws.com']],
      expect: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a' }),
    suiteCase({ name: 'suite post-sts-header-before', method: 'POST', creds: { ...SUITE_CREDS, sessionToken: SUITE_TOKEN },
      expect: '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead' }),
    // The S3 API reference's examples.
    s3Case({ name: 's3 doc GET object', method: 'GET', path: '/test.txt', floeSha: true, floeDate: true,
      headers: [['Host', 'examplebucket.s3.amazonaws.com'], ['Range', 'bytes=0-9']],
      expect: 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41' }),
    s3Case({ name: 's3 doc GET lifecycle', method: 'GET', path: '/', query: [['lifecycle', '', true]],
      expect: 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543' }),
    s3Case({ name: 's3 doc GET bucket list', method: 'GET', path: '/', query: [['max-keys', '2'], ['prefix', 'J']],
      expect: '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7' }),
    s3Case({ name: 's3 doc presigned GET', method: 'GET', path: '/test.txt', payload: UNSIGNED, presign: 86400,
      expect: 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404' }),
  ];
  const token = 'FwoGZXIvYXdzEJr//////////wEaDO+tok/en=+' + 'A'.repeat(300) + '==';
  const body = sha256hex('a parquet file');
  let i = 0;
  for (const key of ODD_KEYS) {
    const p = `/floe-bucket/${key}`;
    const creds = i % 2 ? { ...DOC_CREDS, sessionToken: token } : DOC_CREDS;
    const payload = i % 3 === 0 ? UNSIGNED : i % 3 === 1 ? body : EMPTY;
    const headers = [['host', 's3.eu-west-1.amazonaws.com'], ['content-type', 'application/vnd.apache.parquet'],
      ['x-amz-meta-source', ` floe  ${i}\t`]];
    const date = new Date(Date.UTC(2024, i % 12, 1 + i, i, 2 * i, 3 * i));
    cases.push(s3Case({ name: `PUT ${JSON.stringify(key)}`, path: p, creds, payload, headers, date, region: 'eu-west-1',
      floeSha: i % 2 === 0, floeDate: i % 4 === 1 }));
    cases.push(s3Case({ name: `multipart part ${JSON.stringify(key)}`, path: p, creds, payload: body, date,
      headers: [['Host', 'floe-bucket.s3.amazonaws.com']], enc: ['strict', 'uric', 'lower', 'minimal'][i % 4],
      query: [['partNumber', String(1 + i)], ['uploadId', `2~Zb.3F_j-k+l/m=n%o ${i}`]] }));
    cases.push(s3Case({ name: `presign ${JSON.stringify(key)}`, method: i % 2 ? 'PUT' : 'GET', path: p, creds,
      payload: i % 2 ? UNSIGNED : EMPTY, presign: 1 + i * 40000, date }));
    i++;
  }
  cases.push(s3Case({ name: 'multipart create', method: 'POST', path: '/b/k y', query: [['uploads', '', true]], floeSha: true }));
  cases.push(s3Case({ name: 'multipart complete', method: 'POST', path: '/b/k y', query: [['uploadId', 'abc+/=']],
    payload: sha256hex('<CompleteMultipartUpload/>'), creds: { ...DOC_CREDS, sessionToken: token } }));
  cases.push(s3Case({ name: 'multipart abort', method: 'DELETE', path: '/b/k y', query: [['uploadId', 'abc+/=']], enc: 'uric' }));
  cases.push(s3Case({ name: 'list with prefix', method: 'GET', path: '/b/', query: [['list-type', '2'],
    ['prefix', 'dir/ü +x'], ['continuation-token', '1/2+3=='], ['max-keys', '1000']], enc: 'lower' }));
  cases.push(s3Case({ name: 'presign part upload', method: 'PUT', path: '/b/dir/k+1', payload: UNSIGNED, presign: 3600,
    query: [['partNumber', '7'], ['uploadId', 'a/b+c'], ['Zed', 'Z'], ['x-id', 'UploadPart']],
    creds: { ...DOC_CREDS, sessionToken: token } }));
  cases.push(s3Case({ name: 'presign max expiry, extra header', method: 'GET', path: '/b/k', payload: UNSIGNED,
    presign: 604800, headers: [['host', 'b.example'], ['content-type', ' text/plain ']] }));
  return cases;
}

// ---- random cases ------------------------------------------------------------------

function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (xs) => xs[int(xs.length)];
  return { next, int, pick };
}

const PIECES = ['a', 'Z', '0', '9', '-', '_', '.', '~', ' ', '  ', '+', '=', '%', '%20', '%2F', '&', '?', '#', '!', '*',
  "'", '(', ')', '$', ',', ';', ':', '@', '[', ']', '{', '}', '|', '^', '`', '"', '<', '>', '\\', 'é', 'ü', '€', '日本',
  '😀', '\u00a0', 'ሴ', 'key', 'part', 'Upload', 'x-amz-meta'];
const KEY_PIECES = [...PIECES, '/', '/', '//', 'dir/', '.', '..'];
const VALUE_PIECES = ['a', 'Z', '0', ' ', '  ', '\t', ' \t ', ',', ';', '=', '"', "'", '(', ')', '/', '+', 'é', '€', '😀',
  '\u00a0', 'value', 'bytes=0-9', '!', '~', '%', '&', '*', '<', '>', '\\', ':'];
const REGIONS = ['us-east-1', 'eu-central-1', 'auto', 'ap-southeast-2', 'garage', 'us-gov-west-1'];
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';

function randomCase(seed, n) {
  const r = rng(seed * 7919 + n);
  const str = (pieces, max) => Array.from({ length: r.int(max) + 1 }, () => r.pick(pieces)).join('');
  const key = str(KEY_PIECES, 12);
  const presign = r.int(4) === 0 ? 1 + r.int(604800) : 0;
  const query = [];
  const names = new Set();
  for (let q = r.int(5); q > 0; q--) {
    const name = r.int(3) ? str(PIECES, 4) : r.pick(['uploadId', 'partNumber', 'uploads', 'prefix', 'max-keys']);
    if (/^x-amz-/i.test(name)) continue;
    const bare = r.int(5) === 0;
    query.push([name, bare ? '' : str(PIECES, 6), bare]);
    names.add(name);
    if (r.int(4) === 0) query.push([name, str(PIECES, 3)]); // a repeated name
  }
  const headers = [['host', r.pick(['s3.amazonaws.com', 'b.s3.eu-central-1.amazonaws.com', 'minio.local:9000', '[::1]:9000'])]];
  const seen = new Set(['host']);
  if (!presign) {
    for (let h = r.int(4); h > 0; h--) {
      let name = r.pick(['x-amz-meta-', 'x-custom-', 'content-', 'x-amz-checksum-']) + str(['a', 'b', 'z', '0', '-', '_'], 6);
      name = [...name].map((c) => (r.int(3) ? c : c.toUpperCase())).join('');
      if (seen.has(name.toLowerCase())) continue;
      seen.add(name.toLowerCase());
      headers.push([name, r.int(6) ? str(VALUE_PIECES, 8) : '']);
    }
  }
  const tokenLen = r.int(3) === 0 ? 1 + r.int(600) : 0;
  const creds = {
    accessKeyId: Array.from({ length: 20 }, () => r.pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')).join(''),
    secretAccessKey: Array.from({ length: r.pick([1, 40, 40, 64, 100]) }, () => r.pick(B64)).join(''),
    ...(tokenLen ? { sessionToken: Array.from({ length: tokenLen }, () => r.pick(B64)).join('') } : {}),
  };
  const payload = presign ? r.pick([UNSIGNED, EMPTY]) : r.pick([UNSIGNED, EMPTY, sha256hex(String(r.next()))]);
  return s3Case({
    name: `random ${seed}/${n}`, method: r.pick(['PUT', 'GET', 'HEAD', 'DELETE', 'POST']),
    path: `/${str(['bucket', 'b-1', 'my.bucket'], 1)}/${key}`, query, enc: r.pick(['strict', 'uric', 'lower', 'minimal']),
    headers, payload, region: r.pick(REGIONS), creds, presign,
    date: new Date(Date.UTC(2000 + r.int(100), r.int(12), 1 + r.int(28), r.int(24), r.int(60), r.int(60))),
    floeSha: r.int(2) === 0, floeDate: r.int(3) === 0,
  });
}

// ---- the wire query floe gets -------------------------------------------------------

function wireEncode(s, enc, isName) {
  switch (enc) {
    case 'strict': return escapeUri(s);
    case 'uric': return encodeURIComponent(s);
    case 'lower': return escapeUri(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
    default: // minimal: only what would break the "a=b&c" structure; raw UTF-8 otherwise
      return s.replace(isName ? /[%&=]/g : /[%&]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }
}

function wireQuery(c) {
  return c.query.map(([n, v, bare]) => (bare ? wireEncode(n, c.enc, true)
    : `${wireEncode(n, c.enc, true)}=${wireEncode(v, c.enc, false)}`)).join('&');
}

function amzDate(d) {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

// ---- floe's side --------------------------------------------------------------------

const hex = (s) => Buffer.from(s, 'utf8').toString('hex');

function toolInput(c) {
  const L = [];
  L.push(`method ${c.method}`, `path_hex ${hex(c.path)}`, `region ${c.region}`, `service ${c.service}`,
    `date ${amzDate(c.date)}`, `access_key_hex ${hex(c.creds.accessKeyId)}`, `secret_hex ${hex(c.creds.secretAccessKey)}`);
  const q = wireQuery(c);
  if (q) L.push(`query_hex ${hex(q)}`);
  if (c.creds.sessionToken) L.push(`token_hex ${hex(c.creds.sessionToken)}`);
  const payload = c.service === 's3' ? c.payload : sha256hex(c.body ?? '');
  L.push(`payload ${payload}`);
  if (c.service !== 's3') L.push('flag no-content-sha256');
  for (const [n, v] of c.headers) L.push(`header_hex ${hex(`${n}:${v}`)}`);
  if (!c.presign) {
    if (c.floeDate) L.push(`header_hex ${hex(`X-Amz-Date:${amzDate(c.date)}`)}`);
    if (c.floeSha && c.service === 's3') L.push(`header_hex ${hex(`x-amz-content-sha256:${payload}`)}`);
  }
  L.push(c.presign ? `presign ${c.presign}` : 'sign');
  return L.join('\n');
}

function runTool(cases) {
  const input = cases.map(toolInput).join('\n') + '\n';
  const res = spawnSync(TOOL, [], { input, maxBuffer: 1 << 28 });
  if (res.error) setupError(`cannot run ${TOOL}: ${res.error.message}`);
  if (res.status !== 0) setupError(`${TOOL} exited ${res.status}: ${res.stderr}`);
  const blocks = [];
  let cur = {};
  for (const line of res.stdout.toString('latin1').split('\n')) {
    if (!line) continue;
    const sp = line.indexOf(' ');
    const k = sp < 0 ? line : line.slice(0, sp);
    const v = sp < 0 ? '' : line.slice(sp + 1);
    if (k === 'end') { blocks.push(cur); cur = {}; } else if (k === 'canonical' || k === 'sts') cur[k] = Buffer.from(v, 'hex');
    else cur[k] = v;
  }
  if (blocks.length !== cases.length) setupError(`tool answered ${blocks.length} of ${cases.length} requests`);
  return blocks;
}

// ---- the SDK's side ------------------------------------------------------------------

async function sdkSign(c) {
  const isS3 = c.service === 's3';
  const signer = new SignatureV4({
    service: c.service, region: c.region, credentials: c.creds, sha256: Sha256,
    uriEscapePath: false, applyChecksum: isS3,
  });
  const seen = {};
  const origCreq = signer.createCanonicalRequest.bind(signer);
  signer.createCanonicalRequest = (...a) => (seen.canonical = origCreq(...a));
  const origSts = signer.createStringToSign.bind(signer);
  signer.createStringToSign = async (...a) => (seen.sts = await origSts(...a));
  const query = {};
  for (const [n, v] of c.query) {
    if (!(n in query)) query[n] = v;
    else query[n] = [].concat(query[n], v);
  }
  const headers = {};
  for (const [n, v] of c.headers) headers[n] = v;
  let body;
  if (isS3 && !c.presign) headers['x-amz-content-sha256'] = c.payload;
  else if (isS3) body = c.payload === UNSIGNED ? { stream: true } : undefined; // the SDK signs a non-buffer body as UNSIGNED-PAYLOAD
  else body = c.body;
  const host = c.headers.find(([n]) => n.toLowerCase() === 'host')[1];
  const req = new HttpRequest({ method: c.method, protocol: 'https:', hostname: host, path: escapeUriPath(c.path), query, headers, body });
  if (c.presign) {
    const out = await signer.presign(req, { signingDate: c.date, expiresIn: c.presign });
    seen.query = out.query;
  } else {
    const out = await signer.sign(req, { signingDate: c.date });
    seen.authorization = out.headers.authorization;
  }
  return seen;
}

// ---- compare ---------------------------------------------------------------------------

function pairsOfQueryString(q) {
  return q.split('&').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    return [decodeURIComponent(i < 0 ? kv : kv.slice(0, i)), decodeURIComponent(i < 0 ? '' : kv.slice(i + 1))];
  });
}

function pairsOfMap(m) {
  const out = [];
  for (const [k, v] of Object.entries(m)) for (const x of [].concat(v)) out.push([k, x]);
  return out;
}

const sortPairs = (ps) => ps.map((p) => JSON.stringify(p)).sort();

function compareCase(c, floe, sdk) {
  const problems = [];
  if (floe.error) return [`floe refused it: ${floe.error}`];
  const sdkCanon = Buffer.from(sdk.canonical, 'utf8');
  if (!floe.canonical.equals(sdkCanon)) {
    problems.push(`canonical requests differ:\n--- floe\n${floe.canonical.toString('utf8')}\n--- SDK\n${sdk.canonical}`);
  }
  if (floe.sts.toString('utf8') !== sdk.sts) problems.push(`strings to sign differ:\n--- floe\n${floe.sts}\n--- SDK\n${sdk.sts}`);
  let signature;
  if (c.presign) {
    const fq = floe.query;
    const m = /&X-Amz-Signature=([0-9a-f]{64})$/.exec(fq);
    if (!m) problems.push(`floe's query does not end with the signature: ${fq}`);
    else {
      signature = m[1];
      // Floe's query is the canonical query plus the signature.
      const canonQuery = sdk.canonical.split('\n')[2];
      if (fq.slice(0, m.index) !== canonQuery) problems.push(`query is not the canonical query:\n  floe ${fq.slice(0, m.index)}\n  SDK  ${canonQuery}`);
    }
    const a = sortPairs(pairsOfQueryString(fq)), b = sortPairs(pairsOfMap(sdk.query));
    if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`presigned parameters differ:\n  floe ${a.join(' ')}\n  SDK  ${b.join(' ')}`);
  } else {
    if (floe.authorization !== sdk.authorization) {
      problems.push(`Authorization differs:\n  floe ${floe.authorization}\n  SDK  ${sdk.authorization}`);
    }
    signature = /Signature=([0-9a-f]{64})$/.exec(floe.authorization || '')?.[1];
  }
  if (c.expect && signature !== c.expect) problems.push(`signature ${signature} is not the published ${c.expect}`);
  return problems;
}

// ---- main ------------------------------------------------------------------------------

const cases = tableCases();
for (let n = 0; n < opts.random; n++) cases.push(randomCase(opts.seed, n));
const floeOut = runTool(cases);
let passed = 0, failed = 0;
for (let i = 0; i < cases.length; i++) {
  const c = cases[i];
  let problems;
  try {
    problems = compareCase(c, floeOut[i], await sdkSign(c));
  } catch (e) {
    problems = [`the SDK threw: ${e && e.stack ? e.stack : e}`];
  }
  if (problems.length === 0) {
    passed++;
    if (opts.verbose) console.log(`ok   ${c.name}`);
  } else {
    failed++;
    console.log(`FAIL ${c.name} (${c.presign ? `presign ${c.presign}` : 'sign'}; wire query ${JSON.stringify(wireQuery(c))})`);
    for (const p of problems) console.log(`  ${p.replace(/\n/g, '\n  ')}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
