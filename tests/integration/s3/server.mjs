#!/usr/bin/env node
// S3-compatible test server for floe: s3rver (objects on disk) behind a proxy
// that checks what s3rver does not: every request's AWS Signature V4
// (recomputed with the AWS SDK's signer, @smithy/signature-v4), the payload
// hash, Content-MD5 and x-amz-checksum-* values, multipart rules real S3
// enforces, and that injects network and server faults on demand.
// Listens on 127.0.0.1 only. See README.md beside this file.
//
//   node tests/integration/s3/server.mjs --data DIR [--bucket NAME]... [--port N]
//        [--tls CERT,KEY] [--faults SPEC] [--seed N] [--region R]
//        [--access-key ID] [--secret-key S] [--session-token T] [--require-session-token]
//        [--max-skew SECONDS] [--min-part-size BYTES] [--verbose]
//
// Prints one JSON line on stdout when ready:
//   {"endpoint":"http://127.0.0.1:PORT","s3rver_port":N,"pid":N,...}
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  load, uriEncode, parseQuery, CHECKSUMS, checksumB64, xmlEscape, xmlUnescape,
  parseAmzDate, formatAmzDate, TEST_ACCESS_KEY, TEST_SECRET_KEY, TEST_SESSION_TOKEN, TEST_REGION,
} from './lib.mjs';

const { SignatureV4, getCanonicalHeaders } = load('@smithy/signature-v4');
const { Sha256 } = load('@aws-crypto/sha256-js');
const S3rver = load('s3rver');

// ---- command line -----------------------------------------------------------
const USAGE = `usage: server.mjs --data DIR [--bucket NAME]... [--port N] [--tls CERT,KEY]
       [--faults SPEC|@FILE] [--seed N] [--region R] [--access-key ID] [--secret-key S]
       [--session-token T] [--require-session-token] [--max-skew SECONDS]
       [--min-part-size BYTES] [--verbose]`;

function die(msg) {
  process.stderr.write(`server.mjs: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = {
    data: null, buckets: [], port: 0, host: '127.0.0.1', tls: null, faults: null, seed: null,
    region: TEST_REGION, accessKey: TEST_ACCESS_KEY, secretKey: TEST_SECRET_KEY,
    sessionToken: TEST_SESSION_TOKEN, requireToken: false, maxSkew: 900,
    minPartSize: 5 * 1024 * 1024, verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline = null;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = () => {
      if (inline !== null) return inline;
      if (i + 1 >= argv.length) die(`${a} needs a value\n${USAGE}`);
      return argv[++i];
    };
    const int = (v, name) => {
      if (!/^\d+$/.test(v)) die(`${name} wants a non-negative integer, not '${v}'`);
      return Number(v);
    };
    switch (a) {
      case '--data': o.data = val(); break;
      case '--bucket': o.buckets.push(val()); break;
      case '--port': o.port = int(val(), a); break;
      case '--host': o.host = val(); break;
      case '--tls': o.tls = val(); break;
      case '--faults': o.faults = val(); break;
      case '--seed': o.seed = int(val(), a); break;
      case '--region': o.region = val(); break;
      case '--access-key': o.accessKey = val(); break;
      case '--secret-key': o.secretKey = val(); break;
      case '--session-token': o.sessionToken = val(); break;
      case '--require-session-token': o.requireToken = true; break;
      case '--max-skew': o.maxSkew = int(val(), a); break;
      case '--min-part-size': o.minPartSize = int(val(), a); break;
      case '--verbose': case '-v': o.verbose = true; break;
      case '--help': case '-h': process.stdout.write(USAGE + '\n'); process.exit(0); break;
      default:
        if (!a.startsWith('-') && o.data === null) o.data = a;
        else die(`unknown argument '${argv[i]}'\n${USAGE}`);
    }
  }
  if (!o.data) die(`--data DIR is required\n${USAGE}`);
  for (const b of o.buckets) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b)) die(`'${b}' is not a valid bucket name`);
  }
  const loopback = o.host === 'localhost' || o.host === '::1' || (net.isIPv4(o.host) && o.host.startsWith('127.'));
  if (!loopback) die(`--host must be a loopback address, not '${o.host}'`);
  return o;
}

// ---- faults -----------------------------------------------------------------
const FAULTS = {
  'reset-request': ['bytes', 'how'],
  'reset-response': ['bytes', 'how'],
  stall: ['seconds', 'then'],
  500: [],
  '503-slowdown': ['retry_after'],
  error: ['status', 'code', 'message', 'retry_after'],
  truncate: ['bytes'],
  garbage: ['bytes'],
  throttle: ['rate'],
};
const FILTERS = ['method', 'op', 'path', 'count'];
const EARLY_FAULTS = new Set(['500', '503-slowdown', 'error', 'garbage']);

// WHEN: '*' (every request), 'N', 'N-M', 'N-' (N and later), 'pX'
// (probability X), several joined with '+' ("2+5-7").
function parseWhen(w) {
  w = String(w).trim();
  if (w === '' || w === '*') return { kind: 'all' };
  const p = /^p(0(\.\d+)?|1(\.0*)?|\.\d+)$/.exec(w);
  if (p) return { kind: 'p', p: Number(p[1]) };
  const ranges = [];
  for (const item of w.split('+')) {
    const m = /^(\d+)(?:(-)(\d*))?$/.exec(item.trim());
    if (!m || Number(m[1]) < 1) throw new Error(`bad request selector '${item}' (want N, N-M, N-, pX or *)`);
    const a = Number(m[1]);
    const b = m[2] ? (m[3] === '' ? Infinity : Number(m[3])) : a;
    if (b < a) throw new Error(`bad range '${item}'`);
    ranges.push([a, b]);
  }
  return { kind: 'set', ranges };
}

function makeRule(obj) {
  const fault = String(obj.fault ?? '');
  if (!(fault in FAULTS)) throw new Error(`unknown fault '${fault}' (one of: ${Object.keys(FAULTS).join(', ')})`);
  let when;
  if (obj.probability !== undefined) when = { kind: 'p', p: Number(obj.probability) };
  else if (Array.isArray(obj.at)) when = parseWhen(obj.at.join('+'));
  else when = parseWhen(obj.at ?? '*');
  if (when.kind === 'p' && !(when.p >= 0 && when.p <= 1)) throw new Error(`probability must be in [0, 1]`);
  const rule = { fault, when, params: {}, seen: 0, fired: 0 };
  for (const [k, v] of Object.entries(obj)) {
    if (['fault', 'at', 'probability'].includes(k)) continue;
    if (k === 'method') rule.method = String(v).toUpperCase();
    else if (k === 'op') rule.op = String(v);
    else if (k === 'path') rule.path = new RegExp(String(v));
    else if (k === 'count') rule.count = Number(v);
    else if (FAULTS[fault].includes(k)) rule.params[k] = v;
    else throw new Error(`fault '${fault}' takes no '${k}' (params: ${[...FAULTS[fault], ...FILTERS].join(', ') || 'none'})`);
  }
  for (const k of ['bytes', 'seconds', 'status', 'retry_after']) {
    if (k in rule.params) {
      const n = Number(rule.params[k]);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${k} must be a non-negative number`);
      rule.params[k] = n;
    }
  }
  if (rule.params.how && !['rst', 'fin'].includes(rule.params.how)) throw new Error(`how is rst or fin`);
  if (rule.params.then && !['close', 'forward'].includes(rule.params.then)) throw new Error(`then is close or forward`);
  rule.text = describeRule(rule, obj);
  return rule;
}

function describeRule(rule, obj) {
  const parts = [];
  const at = obj.probability !== undefined ? `p${obj.probability}` : Array.isArray(obj.at) ? obj.at.join('+') : (obj.at ?? '*');
  for (const [k, v] of Object.entries(obj)) if (!['fault', 'at', 'probability'].includes(k)) parts.push(`${k}=${v}`);
  return [`${rule.fault}@${at}`, ...parts].join(',');
}

// Text form: "RULE;RULE;seed=N", RULE = FAULT[@WHEN][,key=value]...
// JSON form: {"seed":N,"rules":[{"fault":..,"at":..,...}]} or a bare array.
function parseFaultSpec(input) {
  let text = String(input ?? '').trim();
  if (text.startsWith('@')) text = fs.readFileSync(text.slice(1), 'utf8').trim();
  const out = { seed: null, rules: [] };
  if (text === '') return out;
  if (text.startsWith('{') || text.startsWith('[')) {
    const j = JSON.parse(text);
    const rules = Array.isArray(j) ? j : (j.rules ?? []);
    if (!Array.isArray(j) && j.seed !== undefined) out.seed = Number(j.seed);
    out.rules = rules.map(makeRule);
    return out;
  }
  for (const item of text.split(';').map(s => s.trim()).filter(Boolean)) {
    const sm = /^seed=(\d+)$/.exec(item);
    if (sm) {
      out.seed = Number(sm[1]);
      continue;
    }
    const [head, ...kvs] = item.split(',');
    const at = head.indexOf('@');
    const obj = { fault: at < 0 ? head.trim() : head.slice(0, at).trim() };
    if (at >= 0) obj.at = head.slice(at + 1).trim();
    for (const kv of kvs) {
      const e = kv.indexOf('=');
      if (e < 0) throw new Error(`'${kv}' in '${item}' is not key=value`);
      obj[kv.slice(0, e).trim()] = kv.slice(e + 1).trim();
    }
    out.rules.push(makeRule(obj));
  }
  return out;
}

// mulberry32: small, seeded, the same sequence on every machine.
function makeRng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- state ------------------------------------------------------------------
const cfg = parseArgs(process.argv.slice(2));
const faults = { seed: 1, rules: [], rng: makeRng(1) };

function installFaults(spec) {
  const parsed = parseFaultSpec(spec);
  faults.seed = parsed.seed ?? cfg.seed ?? 1;
  faults.rules = parsed.rules;
  faults.rng = makeRng(faults.seed);
}

try {
  installFaults(cfg.faults);
} catch (e) {
  die(`--faults: ${e.message}`);
}

function newStats() {
  return {
    requests: 0, by_method: {}, by_op: {}, by_status: {}, faults_injected: 0, faults: {},
    signature_failures: 0, auth_failures: 0, rejected: {}, bytes_in: 0, bytes_out: 0,
  };
}
let stats = newStats();
let requestLog = [];
const LOG_MAX = 5000;
const started = Date.now();

function bump(map, k) {
  map[k] = (map[k] || 0) + 1;
}

// ---- S3 errors ----------------------------------------------------------------
class S3Err {
  constructor(status, code, message, extra = {}, headers = {}) {
    Object.assign(this, { status, code, message, extra, headers });
  }
}
const AUTH_CODES = new Set([
  'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'AccessDenied', 'AuthorizationHeaderMalformed',
  'AuthorizationQueryParametersError', 'RequestTimeTooSkewed', 'InvalidToken', 'ExpiredToken',
]);

function requestId() {
  return crypto.randomBytes(8).toString('hex').toUpperCase();
}

function errorBody(err, resource, rid) {
  let x = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(err.code)}</Code>` +
    `<Message>${xmlEscape(err.message)}</Message>`;
  for (const [k, v] of Object.entries(err.extra)) x += `<${k}>${xmlEscape(v)}</${k}>`;
  x += `<Resource>${xmlEscape(resource)}</Resource><RequestId>${rid}</RequestId>` +
    `<HostId>floe-s3-test</HostId></Error>`;
  return Buffer.from(x);
}

// ---- request classification ---------------------------------------------------
function classify(method, bucket, key, q, headers) {
  const has = k => Object.prototype.hasOwnProperty.call(q, k);
  if (!bucket) return method === 'GET' ? 'ListBuckets' : `${method}Service`;
  if (!key) {
    const sub = ['acl', 'cors', 'delete', 'location', 'policy', 'tagging', 'uploads', 'versioning', 'website', 'lifecycle']
      .find(has);
    if (method === 'GET') {
      if (sub === 'uploads') return 'ListMultipartUploads';
      if (sub === 'location') return 'GetBucketLocation';
      if (sub) return `GetBucket:${sub}`;
      return q['list-type'] === '2' ? 'ListObjectsV2' : 'ListObjects';
    }
    if (method === 'POST' && sub === 'delete') return 'DeleteObjects';
    if (sub) return `${method}Bucket:${sub}`;
    return { PUT: 'CreateBucket', DELETE: 'DeleteBucket', HEAD: 'HeadBucket' }[method] || `${method}Bucket`;
  }
  const copy = 'x-amz-copy-source' in headers;
  if (method === 'PUT' && has('uploadId') && has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
  if (method === 'POST' && has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'DELETE' && has('uploadId')) return 'AbortMultipartUpload';
  if (method === 'GET' && has('uploadId')) return 'ListParts';
  const sub = ['acl', 'tagging', 'attributes', 'retention', 'legal-hold', 'torrent', 'restore', 'select'].find(has);
  if (sub) return `${method}Object:${sub}`;
  if (method === 'PUT') return copy ? 'CopyObject' : 'PutObject';
  return { GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject', POST: 'PostObject' }[method] || `${method}Object`;
}

// Bucket and key the way s3rver reads them: path-style "/bucket/key" when the
// Host is an IP address, localhost or this machine's name; virtual-hosted
// when it is BUCKET.s3[.REGION].amazonaws.com; any other Host name is taken
// as the bucket itself.
function locate(rawPath, host) {
  const hostname = String(host || '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const segs = rawPath.split('/').slice(1).map(decodeURIComponent);
  const aws = /^(?:(.+)\.)?s3(-website)?([-.].+)?\.amazonaws\.com$/.exec(hostname);
  let vbucket = null;
  if (aws) vbucket = aws[1] || null;
  else if (hostname && !net.isIP(hostname) && hostname !== 'localhost' && hostname !== os.hostname()) vbucket = hostname;
  if (vbucket) return { bucket: vbucket, key: segs.join('/'), vhost: true };
  return { bucket: segs[0] || '', key: segs.slice(1).join('/'), vhost: false };
}

// ---- Signature V4 -------------------------------------------------------------
const QUERY_AUTH = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires',
  'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token'];

function headerValue(req, name) {
  const v = req.headersDistinct[name];
  return v === undefined ? undefined : v.join(',');
}

function checkScope(akid, date, region, service, term, amzDate, malformed) {
  if (akid !== cfg.accessKey) {
    return new S3Err(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.',
      { AWSAccessKeyId: akid });
  }
  if (date !== amzDate.slice(0, 8)) {
    return new S3Err(400, malformed, `Invalid credential date "${date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  }
  if (region !== cfg.region) {
    return new S3Err(400, malformed, `The authorization header is malformed; the region '${region}' is wrong; expecting '${cfg.region}'`,
      { Region: cfg.region });
  }
  if (service !== 's3') {
    return new S3Err(400, malformed, `The authorization header is malformed; incorrect service "${service}". This endpoint belongs to "s3".`);
  }
  if (term !== 'aws4_request') {
    return new S3Err(400, malformed, `The authorization header is malformed; incorrect terminal "${term}". This endpoint uses "aws4_request".`);
  }
  return null;
}

function checkToken(token) {
  if (token !== undefined && token !== cfg.sessionToken) {
    return new S3Err(400, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
  }
  if (token === undefined && cfg.requireToken) {
    return new S3Err(403, 'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records (this server wants x-amz-security-token).',
      { AWSAccessKeyId: cfg.accessKey });
  }
  return null;
}

// Every x-amz-* header sent must be signed (S3 says AccessDenied otherwise),
// and so must host.
function checkSignedSet(req, signed) {
  const notSigned = Object.keys(req.headers).filter(h => h.startsWith('x-amz-') && !signed.has(h));
  if (!signed.has('host')) notSigned.unshift('host');
  if (notSigned.length) {
    return new S3Err(403, 'AccessDenied', 'There were headers present in the request which were not signed',
      { HeadersNotSigned: notSigned.join(', ') });
  }
  return null;
}

function checkSkew(date, now) {
  if (Math.abs(now - date.getTime()) > cfg.maxSkew * 1000) {
    return new S3Err(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.',
      { RequestTime: formatAmzDate(date), ServerTime: new Date(now).toISOString(), MaxAllowedSkewMilliseconds: cfg.maxSkew * 1000 });
  }
  return null;
}

function payloadKind(v) {
  if (v === 'UNSIGNED-PAYLOAD') return 'unsigned';
  if (/^[0-9a-f]{64}$/.test(v)) return 'sha256';
  if (/^STREAMING-/.test(v)) return 'streaming';
  return 'bad';
}

// The SDK's signer, driven with what came over the wire: the signed headers
// only, the canonical path (each segment decoded and re-encoded once), the
// decoded query, the request's date and payload hash. Returns the computed
// signature and, for error bodies, the canonical request and string to sign.
async function recompute(kind, ctx, req, { akid, token, signed, date, payloadHash, expires }) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: akid, secretAccessKey: cfg.secretKey, sessionToken: token },
    region: cfg.region, service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false,
  });
  const headers = {};
  for (const h of signed) {
    const v = headerValue(req, h);
    if (v !== undefined) headers[h] = v;
  }
  const unsignable = new Set();
  if (!signed.has('x-amz-content-sha256')) {
    headers['x-amz-content-sha256'] = payloadHash;
    unsignable.add('x-amz-content-sha256');
  }
  const query = { ...ctx.query };
  let out;
  let signature;
  if (kind === 'header') {
    out = await signer.sign({ method: ctx.method, protocol: 'http:', hostname: '', path: ctx.canonPath, query, headers },
      { signingDate: date, signableHeaders: signed, unsignableHeaders: unsignable });
    signature = /Signature=([0-9a-f]+)/.exec(out.headers.authorization)[1];
  } else {
    for (const k of QUERY_AUTH) delete query[k];
    out = await signer.presign({ method: ctx.method, protocol: 'http:', hostname: '', path: ctx.canonPath, query, headers },
      { signingDate: date, expiresIn: expires, signableHeaders: signed, unsignableHeaders: unsignable,
        unhoistableHeaders: new Set(Object.keys(headers)) });
    signature = out.query['X-Amz-Signature'];
  }
  const canon = getCanonicalHeaders(out, unsignable, signed);
  const canonicalRequest = signer.createCanonicalRequest(out, canon, payloadHash);
  const scope = `${formatAmzDate(date).slice(0, 8)}/${cfg.region}/s3/aws4_request`;
  const stringToSign = await signer.createStringToSign(formatAmzDate(date), scope, canonicalRequest, 'AWS4-HMAC-SHA256');
  return { signature, canonicalRequest, stringToSign };
}

function mismatch(akid, provided, r) {
  return new S3Err(403, 'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    { AWSAccessKeyId: akid, StringToSign: r.stringToSign, SignatureProvided: provided, CanonicalRequest: r.canonicalRequest });
}

// Everything about authentication that needs no body. On success sets
// ctx.payloadHash ('UNSIGNED-PAYLOAD' or hex) for the body check.
async function verifyAuth(ctx, req) {
  const auth = req.headers.authorization;
  const q = ctx.query;
  const hasQuery = Object.prototype.hasOwnProperty.call(q, 'X-Amz-Algorithm');
  const now = Date.now();
  if (auth !== undefined && hasQuery) {
    return new S3Err(400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, ' +
      'Signature query string parameter or the Authorization header should be specified');
  }
  if (auth === undefined && !hasQuery) {
    if (Object.prototype.hasOwnProperty.call(q, 'Signature') || Object.prototype.hasOwnProperty.call(q, 'AWSAccessKeyId')) {
      return new S3Err(400, 'InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
    }
    return new S3Err(403, 'AccessDenied', 'Access Denied (this server refuses anonymous requests)');
  }
  if (auth !== undefined) {
    if (!auth.startsWith('AWS4-HMAC-SHA256 ')) {
      return new S3Err(400, 'InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
    }
    const fields = {};
    for (const f of auth.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
      const e = f.indexOf('=');
      if (e > 0) fields[f.slice(0, e).trim()] = f.slice(e + 1).trim();
    }
    const missing = ['Credential', 'SignedHeaders', 'Signature'].filter(k => !fields[k]);
    if (missing.length) {
      return new S3Err(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; missing ${missing.join(', ')}.`);
    }
    const cred = fields.Credential.split('/');
    if (cred.length !== 5) {
      return new S3Err(400, 'AuthorizationHeaderMalformed',
        `The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
    }
    const amzDate = headerValue(req, 'x-amz-date');
    const date = parseAmzDate(amzDate);
    if (!date) return new S3Err(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header (this server: x-amz-date)');
    const token = headerValue(req, 'x-amz-security-token');
    const signed = new Set(fields.SignedHeaders.split(';'));
    const err = checkScope(cred[0], cred[1], cred[2], cred[3], cred[4], amzDate, 'AuthorizationHeaderMalformed') ||
      checkToken(token) || checkSkew(date, now) || checkSignedSet(req, signed);
    if (err) return err;
    const payloadHash = headerValue(req, 'x-amz-content-sha256');
    if (payloadHash === undefined) {
      return new S3Err(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    }
    const kind = payloadKind(payloadHash);
    if (kind === 'bad') {
      return new S3Err(400, 'InvalidArgument',
        'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, ' +
        'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, ' +
        'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
        { ArgumentName: 'x-amz-content-sha256', ArgumentValue: payloadHash });
    }
    if (kind === 'streaming') {
      return new S3Err(501, 'NotImplemented', `this test server does not decode aws-chunked bodies (x-amz-content-sha256: ${payloadHash})`);
    }
    const r = await recompute('header', ctx, req, { akid: cred[0], token, signed, date, payloadHash });
    if (r.signature !== fields.Signature.toLowerCase()) return mismatch(cred[0], fields.Signature, r);
    ctx.payloadHash = payloadHash;
    return null;
  }
  // Presigned URL (query-string authentication).
  const missing = QUERY_AUTH.filter(k => k !== 'X-Amz-Security-Token' && typeof q[k] !== 'string');
  if (missing.length) {
    return new S3Err(400, 'AuthorizationQueryParametersError', 'Query-string authentication version 4 requires the X-Amz-Algorithm, ' +
      'X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
  }
  if (q['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') {
    return new S3Err(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  }
  const cred = q['X-Amz-Credential'].split('/');
  if (cred.length !== 5) {
    return new S3Err(400, 'AuthorizationQueryParametersError',
      'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  const amzDate = q['X-Amz-Date'];
  const date = parseAmzDate(amzDate);
  if (!date) return new S3Err(400, 'AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  const expires = /^\d+$/.test(q['X-Amz-Expires']) ? Number(q['X-Amz-Expires']) : -1;
  if (expires < 1 || expires > 604800) {
    return new S3Err(400, 'AuthorizationQueryParametersError',
      'X-Amz-Expires must be non-negative and less than a week (in seconds) that is 604800');
  }
  const token = typeof q['X-Amz-Security-Token'] === 'string' ? q['X-Amz-Security-Token'] : undefined;
  const signed = new Set(q['X-Amz-SignedHeaders'].split(';'));
  const err = checkScope(cred[0], cred[1], cred[2], cred[3], cred[4], amzDate, 'AuthorizationQueryParametersError') ||
    checkToken(token) || checkSignedSet(req, signed);
  if (err) return err;
  if (date.getTime() - now > cfg.maxSkew * 1000) return new S3Err(403, 'AccessDenied', 'Request is not valid yet');
  if (now > date.getTime() + expires * 1000) {
    return new S3Err(403, 'AccessDenied', 'Request has expired',
      { 'X-Amz-Expires': expires, Expires: new Date(date.getTime() + expires * 1000).toISOString(), ServerTime: new Date(now).toISOString() });
  }
  const payloadHash = headerValue(req, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD';
  const kind = payloadKind(payloadHash);
  if (kind === 'bad' || kind === 'streaming') {
    return new S3Err(400, 'InvalidArgument', `unsupported x-amz-content-sha256 for a presigned request: ${payloadHash}`);
  }
  const r = await recompute('query', ctx, req, { akid: cred[0], token, signed, date, payloadHash, expires });
  if (r.signature !== q['X-Amz-Signature'].toLowerCase()) return mismatch(cred[0], q['X-Amz-Signature'], r);
  ctx.payloadHash = payloadHash;
  return null;
}

// ---- body checks ----------------------------------------------------------------
const CHECKSUM_NAMES = Object.keys(CHECKSUMS);
const DIGEST_LEN = { crc32c: 4, crc32: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

function checksumHeaders(req) {
  return CHECKSUM_NAMES.filter(n => req.headers[`x-amz-checksum-${n}`] !== undefined);
}

function checkBody(ctx, req, body) {
  if (ctx.payloadHash && ctx.payloadHash !== 'UNSIGNED-PAYLOAD') {
    const got = crypto.createHash('sha256').update(body).digest('hex');
    if (got !== ctx.payloadHash) {
      return new S3Err(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.",
        { ClientComputedContentSHA256: ctx.payloadHash, S3ComputedContentSHA256: got });
    }
  }
  const md5 = req.headers['content-md5'];
  if (md5 !== undefined) {
    const want = Buffer.from(md5, 'base64');
    if (want.length !== 16 || want.toString('base64') !== md5) {
      return new S3Err(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', { 'Content-MD5': md5 });
    }
    const got = crypto.createHash('md5').update(body).digest();
    if (!got.equals(want)) {
      return new S3Err(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.',
        { ExpectedDigest: want.toString('hex'), CalculatedDigest: got.toString('hex') });
    }
  }
  if (ctx.op !== 'PutObject' && ctx.op !== 'UploadPart') return null;
  const present = checksumHeaders(req);
  if (present.length > 1) {
    return new S3Err(400, 'InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  }
  const sdkAlg = req.headers['x-amz-sdk-checksum-algorithm'];
  if (sdkAlg !== undefined && !present.includes(sdkAlg.toLowerCase())) {
    return new S3Err(400, 'InvalidRequest',
      'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.');
  }
  for (const name of present) {
    const v = req.headers[`x-amz-checksum-${name}`];
    const raw = Buffer.from(v, 'base64');
    if (raw.length !== DIGEST_LEN[name] || raw.toString('base64') !== v) {
      return new S3Err(400, 'InvalidRequest', `Value for x-amz-checksum-${name} header is invalid.`);
    }
    const got = checksumB64(name, body);
    if (got !== v) {
      return new S3Err(400, 'BadDigest', `The ${name.toUpperCase()} you specified did not match the calculated checksum.`,
        { [`Checksum${name.toUpperCase()}`]: v, [`Calculated${name.toUpperCase()}`]: got });
    }
    ctx.checksum = { name, value: v };
  }
  return null;
}

// ---- multipart rules (s3rver checks none of these) -------------------------------
const SIDECAR = 'floe-proxy.json';
let store = null;

function bucketDir(bucket) {
  return path.join(path.resolve(cfg.data), bucket);
}

function uploadDir(bucket, id) {
  return path.join(store.getResourcePath(bucket, undefined, 'uploads'), id);
}

function noSuchUpload(id) {
  return new S3Err(404, 'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { UploadId: id });
}

// The upload's record, or an S3Err: the id must name an upload s3rver made
// for this very bucket and key.
function findUpload(ctx) {
  const id = ctx.query.uploadId;
  if (!fs.existsSync(bucketDir(ctx.bucket))) {
    return new S3Err(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: ctx.bucket });
  }
  if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)) return noSuchUpload(String(id));
  const dir = uploadDir(ctx.bucket, id);
  let key;
  try {
    key = fs.readFileSync(path.join(dir, 'key'), 'utf8');
  } catch {
    return noSuchUpload(id);
  }
  if (key !== ctx.key) return noSuchUpload(id);
  let meta = { algorithm: null, type: null };
  try {
    meta = JSON.parse(fs.readFileSync(path.join(dir, SIDECAR), 'utf8'));
  } catch { /* made before this proxy ran, or by s3rver alone */ }
  return { id, dir, meta };
}

function partInfo(up, n) {
  const file = path.join(up.dir, String(n));
  let size;
  try {
    size = fs.statSync(file).size;
  } catch {
    return null;
  }
  let side = {};
  try {
    side = JSON.parse(fs.readFileSync(`${file}.${SIDECAR}`, 'utf8'));
  } catch { /* no checksum recorded */ }
  let md5 = null;
  try {
    md5 = fs.readFileSync(`${file}.md5`, 'utf8').trim();
  } catch { /* s3rver writes it with the part */ }
  return { file, size, md5, checksum: side.checksum || null };
}

function typeMismatch(expected, actual) {
  return new S3Err(400, 'InvalidRequest',
    `Checksum Type mismatch occurred, expected checksum Type: ${expected ?? 'null'}, actual checksum Type: ${actual ?? 'null'}`);
}

function checkUploadPart(ctx, req) {
  const pn = ctx.query.partNumber;
  if (!/^\d+$/.test(pn) || Number(pn) < 1 || Number(pn) > 10000) {
    return new S3Err(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive',
      { ArgumentName: 'partNumber', ArgumentValue: pn });
  }
  const up = findUpload(ctx);
  if (up instanceof S3Err) return up;
  ctx.upload = up;
  const alg = up.meta.algorithm;
  const sent = checksumHeaders(req)[0] || null;
  if (alg === null && sent !== null) return typeMismatch(null, sent);
  if (alg !== null && sent !== null && sent !== alg) return typeMismatch(alg, sent);
  if (alg !== null && sent === null && up.meta.type !== 'FULL_OBJECT') return typeMismatch(alg, null);
  return null;
}

function parseComplete(body) {
  const xml = body.toString('utf8');
  if (!/<CompleteMultipartUpload[\s>]/.test(xml)) return null;
  const parts = [];
  for (const m of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const field = name => {
      const f = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(m[1]);
      return f ? xmlUnescape(f[1].trim()) : undefined;
    };
    const p = { number: Number(field('PartNumber')), etag: (field('ETag') || '').replace(/"/g, '').toLowerCase(), checksums: {} };
    for (const n of CHECKSUM_NAMES) {
      const v = field(`Checksum${n.toUpperCase()}`);
      if (v !== undefined) p.checksums[n] = v;
    }
    if (!Number.isInteger(p.number)) return null;
    parts.push(p);
  }
  return parts.length ? parts : null;
}

function checkComplete(ctx, req, body) {
  const up = findUpload(ctx);
  if (up instanceof S3Err) return up;
  const parts = parseComplete(body);
  if (!parts) {
    return new S3Err(400, 'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema');
  }
  for (let i = 1; i < parts.length; i++) {
    if (parts[i].number <= parts[i - 1].number) {
      return new S3Err(400, 'InvalidPartOrder',
        'The list of parts was not in ascending order. Parts must be ordered by part number.', { UploadId: up.id });
    }
  }
  const alg = up.meta.algorithm;
  const infos = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const info = partInfo(up, p.number);
    if (!info || info.md5 !== p.etag) {
      return new S3Err(400, 'InvalidPart', 'One or more of the specified parts could not be found.  The part may not have been ' +
        "uploaded, or the specified entity tag may not match the part's entity tag.",
        { UploadId: up.id, PartNumber: p.number, ETag: p.etag });
    }
    if (i < parts.length - 1 && info.size < cfg.minPartSize) {
      return new S3Err(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size',
        { ProposedSize: info.size, MinSizeAllowed: cfg.minPartSize, PartNumber: p.number, ETag: p.etag });
    }
    if (alg !== null) {
      const given = p.checksums[alg];
      if (given === undefined && up.meta.type !== 'FULL_OBJECT') {
        return new S3Err(400, 'InvalidRequest', `The upload was created using a ${alg} checksum. The complete request must ` +
          `include the checksum for each part. It was missing for part ${p.number} in the request.`);
      }
      if (given !== undefined && (!info.checksum || info.checksum.value !== given)) {
        return new S3Err(400, 'InvalidPart', `One or more of the specified parts could not be found.  The part may not have been ` +
          `uploaded, or the specified entity tag may not match the part's entity tag. (the ${alg} checksum of part ${p.number} differs)`,
          { UploadId: up.id, PartNumber: p.number });
      }
    }
    infos.push(info);
  }
  // Full-object checksum of the assembled object, when the client sends one.
  if (alg !== null && up.meta.type === 'FULL_OBJECT') {
    const v = req.headers[`x-amz-checksum-${alg}`];
    if (v !== undefined) {
      const whole = Buffer.concat(infos.map(i => fs.readFileSync(i.file)));
      const got = checksumB64(alg, whole);
      if (got !== v) {
        return new S3Err(400, 'BadDigest', `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`,
          { [`Checksum${alg.toUpperCase()}`]: v, [`Calculated${alg.toUpperCase()}`]: got });
      }
    }
  }
  // S3's multipart ETag: MD5 of the parts' binary MD5s, "-", the part count.
  const md5s = Buffer.concat(infos.map(i => Buffer.from(i.md5, 'hex')));
  ctx.multipartEtag = `${crypto.createHash('md5').update(md5s).digest('hex')}-${infos.length}`;
  ctx.upload = up;
  return null;
}

function checkCreateUpload(req) {
  const alg = req.headers['x-amz-checksum-algorithm'];
  const type = req.headers['x-amz-checksum-type'];
  if (alg !== undefined && !CHECKSUM_NAMES.includes(alg.toLowerCase())) {
    return new S3Err(400, 'InvalidRequest', `Checksum algorithm provided is unsupported. Please try again with any of the valid types: ` +
      `[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]`);
  }
  if (type !== undefined && !['COMPOSITE', 'FULL_OBJECT'].includes(type)) {
    return new S3Err(400, 'InvalidRequest', `Value for x-amz-checksum-type header is invalid.`);
  }
  if (type !== undefined && alg === undefined) {
    return new S3Err(400, 'InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
  }
  return null;
}

function abortUpload(ctx) {
  const up = findUpload(ctx);
  if (up instanceof S3Err) return up;
  fs.rmSync(up.dir, { recursive: true, force: true });
  return null;
}

// ---- forwarding to s3rver ----------------------------------------------------------
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect']);
const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let s3rverPort = 0;

function forward(ctx, req, body) {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (!HOP.has(k) && k !== 'authorization' && k !== 'content-length') headers[k] = v;
  }
  headers['content-length'] = String(body.length);
  // s3rver tries to check query-string signatures itself: drop those parameters.
  let target = ctx.rawPath;
  if (ctx.rawQuery) {
    const kept = ctx.rawQuery.split('&').filter(p => {
      if (p === '') return false;
      let k = p.split('=')[0];
      try { k = decodeURIComponent(k); } catch { /* kept as is */ }
      return !QUERY_AUTH.includes(k);
    });
    if (kept.length) target += '?' + kept.join('&');
  }
  return new Promise((resolve, reject) => {
    const up = http.request({ host: '127.0.0.1', port: s3rverPort, method: ctx.method, path: target, headers, agent: upstreamAgent }, r => {
      const chunks = [];
      r.on('data', c => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode, headers: { ...r.headers }, body: Buffer.concat(chunks) }));
      r.on('error', reject);
    });
    up.on('error', reject);
    up.end(body);
  });
}

// ---- responses ---------------------------------------------------------------------
function baseHeaders(rid) {
  return { 'x-amz-request-id': rid, 'x-amz-id-2': 'floe-s3-test', server: 'floe-s3-test' };
}

function finish(ctx, status, extra = {}) {
  ctx.status = status;
  Object.assign(ctx, extra);
  bump(stats.by_status, String(status));
  const entry = {
    n: ctx.n, t: Date.now() - started, method: ctx.method, path: ctx.url, op: ctx.op, status,
  };
  if (ctx.fault) entry.fault = ctx.fault.fault;
  if (ctx.errorCode) entry.error = ctx.errorCode;
  requestLog.push(entry);
  if (requestLog.length > LOG_MAX) requestLog.splice(0, requestLog.length - LOG_MAX);
  if (cfg.verbose) {
    process.stderr.write(`s3-test: #${ctx.n} ${ctx.method} ${ctx.url} ${ctx.op} -> ${status || 'closed'}` +
      `${ctx.errorCode ? ' ' + ctx.errorCode : ''}${ctx.fault ? ' [' + ctx.fault.fault + ']' : ''}\n`);
  }
}

function sendError(ctx, res, err, close = false) {
  const rid = requestId();
  const body = errorBody(err, ctx.rawPath, rid);
  const headers = { ...baseHeaders(rid), 'content-type': 'application/xml', ...err.headers };
  if (close) headers.connection = 'close';
  bump(stats.rejected, err.code);
  if (AUTH_CODES.has(err.code)) stats.auth_failures++;
  if (err.code === 'SignatureDoesNotMatch') stats.signature_failures++;
  ctx.errorCode = err.code;
  if (ctx.method !== 'HEAD') {
    headers['content-length'] = String(body.length);
    stats.bytes_out += body.length;
  }
  res.writeHead(err.status, headers);
  res.end(ctx.method === 'HEAD' ? undefined : body);
  finish(ctx, err.status);
}

function rawResponse(status, headers, body) {
  let head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] || 'Unknown'}\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    for (const one of [].concat(v)) head += `${k}: ${one}\r\n`;
  }
  return [Buffer.from(head + '\r\n', 'latin1'), body];
}

function killSocket(sock, how) {
  if (how === 'rst') {
    try {
      if (typeof sock.resetAndDestroy === 'function' && sock._handle && sock._handle.constructor.name === 'TCP') {
        sock.resetAndDestroy();
        return;
      }
      if (sock._parent && typeof sock._parent.resetAndDestroy === 'function') {
        sock._parent.resetAndDestroy();
        sock.destroy();
        return;
      }
    } catch { /* fall through to a plain close */ }
    sock.destroy();
    return;
  }
  sock.end();
  setTimeout(() => sock.destroy(), 1000).unref();
}

function countFault(ctx) {
  stats.faults_injected++;
  bump(stats.faults, ctx.fault.fault);
}

// ---- the request path ------------------------------------------------------------
const timers = new Set();
const sleep = ms => new Promise(resolve => {
  const t = setTimeout(() => {
    timers.delete(t);
    resolve();
  }, ms);
  timers.add(t);
});

function pickFault(ctx) {
  let chosen = null;
  for (const r of faults.rules) {
    if (r.method && r.method !== ctx.method) continue;
    if (r.op && r.op !== ctx.op) continue;
    if (r.path && !r.path.test(ctx.url)) continue;
    r.seen++;
    if (chosen || (r.count !== undefined && r.fired >= r.count)) continue;
    let fire = false;
    if (r.when.kind === 'all') fire = true;
    else if (r.when.kind === 'set') fire = r.when.ranges.some(([a, b]) => r.seen >= a && r.seen <= b);
    else fire = faults.rng() < r.when.p;
    if (fire) {
      r.fired++;
      chosen = r;
    }
  }
  return chosen;
}

// rate (bytes a second): the body is taken no faster, a slow uplink's pace.
async function readBody(req, rate = 0) {
  const chunks = [];
  for await (const c of req) {
    chunks.push(c);
    if (rate > 0) await sleep((c.length * 1000) / rate);
  }
  const body = Buffer.concat(chunks);
  stats.bytes_in += body.length;
  return body;
}

// Reads `limit` bytes of the body (or all of a shorter one), then resolves.
function readSome(req, limit) {
  return new Promise(resolve => {
    let got = 0;
    if (limit <= 0) return resolve(0);
    const done = () => {
      req.removeListener('data', onData);
      req.pause();
      resolve(got);
    };
    const onData = c => {
      got += c.length;
      if (got >= limit) done();
    };
    req.on('data', onData);
    req.once('end', done);
    req.once('error', done);
  });
}

async function earlyFault(ctx, req, res) {
  const f = ctx.fault;
  countFault(ctx);
  if (f.fault === 'garbage') {
    const n = f.params.bytes ?? 64;
    const junk = Buffer.alloc(n);
    const rng = makeRng(ctx.n);
    for (let i = 0; i < n; i++) junk[i] = Math.floor(rng() * 256);
    Buffer.from('\x16\x03\x01 not http \x00\xff').copy(junk, 0, 0, Math.min(n, 16));
    req.socket.write(junk, () => killSocket(req.socket, 'fin'));
    finish(ctx, 0);
    return;
  }
  let err;
  if (f.fault === '500') err = new S3Err(500, 'InternalError', 'We encountered an internal error. Please try again.');
  else if (f.fault === '503-slowdown') {
    err = new S3Err(503, 'SlowDown', 'Please reduce your request rate.', {}, { 'retry-after': String(f.params.retry_after ?? 1) });
  } else {
    err = new S3Err(f.params.status ?? 500, f.params.code ?? 'InternalError', f.params.message ?? 'injected error',
      {}, f.params.retry_after !== undefined ? { 'retry-after': String(f.params.retry_after) } : {});
  }
  sendError(ctx, res, err, ctx.expect);
}

async function handle(req, res, expect) {
  const url = req.url;
  const qi = url.indexOf('?');
  const ctx = {
    method: req.method, url, rawPath: qi < 0 ? url : url.slice(0, qi), rawQuery: qi < 0 ? '' : url.slice(qi + 1), expect,
  };
  if (ctx.rawPath.startsWith('/__')) return control(ctx, req, res);
  ctx.n = ++stats.requests;
  bump(stats.by_method, ctx.method);
  try {
    ctx.query = parseQuery(ctx.rawQuery);
    Object.assign(ctx, locate(ctx.rawPath, req.headers.host));
    ctx.canonPath = ctx.rawPath.split('/').map(s => uriEncode(decodeURIComponent(s))).join('/');
  } catch {
    ctx.op = 'Invalid';
    bump(stats.by_op, ctx.op);
    if (!expect) await readBody(req).catch(() => {});
    return sendError(ctx, res, new S3Err(400, 'InvalidURI', "Couldn't parse the specified URI."), expect);
  }
  ctx.op = classify(ctx.method, ctx.bucket, ctx.key, ctx.query, req.headers);
  bump(stats.by_op, ctx.op);
  ctx.fault = pickFault(ctx);
  const f = ctx.fault;

  if (f && f.fault === 'stall') {
    countFault(ctx);
    await sleep((f.params.seconds ?? 30) * 1000);
    if (req.socket.destroyed) return finish(ctx, 0);
    if (f.params.then !== 'forward') {
      killSocket(req.socket, 'fin');
      return finish(ctx, 0);
    }
  }
  const authErr = await verifyAuth(ctx, req);
  if (expect) {
    if (f && EARLY_FAULTS.has(f.fault)) return earlyFault(ctx, req, res);
    if (authErr) return sendError(ctx, res, authErr, true);
    res.writeContinue();
  }
  if (f && f.fault === 'reset-request') {
    countFault(ctx);
    const len = Number(req.headers['content-length'] || 0);
    const got = await readSome(req, f.params.bytes ?? Math.floor(len / 2));
    stats.bytes_in += got;
    killSocket(req.socket, f.params.how ?? 'rst');
    return finish(ctx, 0);
  }
  let body;
  try {
    if (f && f.fault === 'throttle') countFault(ctx);
    body = await readBody(req, f && f.fault === 'throttle' ? f.params.rate ?? 65536 : 0);
  } catch {
    return finish(ctx, 0); // the client went away mid-body
  }
  if (f && EARLY_FAULTS.has(f.fault)) return earlyFault(ctx, req, res);
  if (authErr) return sendError(ctx, res, authErr);

  if ((ctx.op === 'PutObject' || ctx.op === 'UploadPart') && req.headers['content-length'] === undefined) {
    return sendError(ctx, res, new S3Err(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.'));
  }
  let err = checkBody(ctx, req, body);
  if (!err) {
    if (ctx.op === 'UploadPart') err = checkUploadPart(ctx, req);
    else if (ctx.op === 'CompleteMultipartUpload') err = checkComplete(ctx, req, body);
    else if (ctx.op === 'CreateMultipartUpload') err = checkCreateUpload(req);
    else if (ctx.op === 'ListParts' || ctx.op === 'UploadPartCopy') {
      err = new S3Err(501, 'NotImplemented', `${ctx.op} is not implemented by this test server`);
    } else if (ctx.op === 'AbortMultipartUpload') {
      err = abortUpload(ctx);
      if (!err) {
        const rid = requestId();
        res.writeHead(204, baseHeaders(rid));
        res.end();
        return finish(ctx, 204);
      }
    }
  }
  if (err) return sendError(ctx, res, err);

  let up;
  try {
    up = await forward(ctx, req, body);
  } catch (e) {
    return sendError(ctx, res, new S3Err(500, 'InternalError', `the proxy could not reach s3rver: ${e.message}`));
  }
  postProcess(ctx, req, up);
  deliver(ctx, req, res, up);
}

// What real S3 answers and s3rver does not: checksum echoes, the upload's
// checksum settings, and the multipart ETag.
function postProcess(ctx, req, up) {
  if (up.status !== 200) return;
  if (ctx.checksum) up.headers[`x-amz-checksum-${ctx.checksum.name}`] = ctx.checksum.value;
  if (ctx.op === 'CreateMultipartUpload') {
    const m = /<UploadId>([0-9a-f]{32})<\/UploadId>/.exec(up.body.toString('utf8'));
    const alg = req.headers['x-amz-checksum-algorithm'];
    if (m) {
      const meta = { algorithm: alg ? alg.toLowerCase() : null, type: alg ? (req.headers['x-amz-checksum-type'] || 'COMPOSITE') : null };
      fs.writeFileSync(path.join(uploadDir(ctx.bucket, m[1]), SIDECAR), JSON.stringify(meta));
      if (alg) {
        up.headers['x-amz-checksum-algorithm'] = alg.toUpperCase();
        up.headers['x-amz-checksum-type'] = meta.type;
      }
    }
  } else if (ctx.op === 'UploadPart' && ctx.upload) {
    const side = { checksum: ctx.checksum || null };
    fs.writeFileSync(path.join(ctx.upload.dir, `${Number(ctx.query.partNumber)}.${SIDECAR}`), JSON.stringify(side));
  } else if (ctx.op === 'CompleteMultipartUpload' && ctx.multipartEtag) {
    fs.writeFileSync(store.getResourcePath(ctx.bucket, ctx.key, 'object.md5'), ctx.multipartEtag);
    const xml = up.body.toString('utf8').replace(/<ETag>[^<]*<\/ETag>/, `<ETag>&quot;${ctx.multipartEtag}&quot;</ETag>`);
    up.body = Buffer.from(xml);
  }
}

function deliver(ctx, req, res, up) {
  const rid = requestId();
  const headers = { ...baseHeaders(rid) };
  for (const [k, v] of Object.entries(up.headers)) if (!HOP.has(k) && k !== 'date') headers[k] = v;
  const isHead = ctx.method === 'HEAD';
  if (!isHead) headers['content-length'] = String(up.body.length);
  const f = ctx.fault;
  if (f && (f.fault === 'reset-response' || f.fault === 'truncate')) {
    countFault(ctx);
    headers.date = new Date().toUTCString();
    let wire;
    if (f.fault === 'truncate') {
      if (isHead || up.body.length === 0) {
        // Nothing to cut short: promise a body and send none of it (HEAD: cut the headers).
        if (!isHead) headers['content-length'] = '64';
        const [head] = rawResponse(up.status, headers, Buffer.alloc(0));
        wire = isHead ? head.subarray(0, Math.floor(head.length / 2)) : head;
      } else {
        const [head, body] = rawResponse(up.status, headers, up.body);
        wire = Buffer.concat([head, body.subarray(0, Math.min(f.params.bytes ?? Math.floor(body.length / 2), body.length - 1))]);
      }
    } else {
      const all = Buffer.concat(rawResponse(up.status, headers, isHead ? Buffer.alloc(0) : up.body));
      wire = all.subarray(0, Math.min(f.params.bytes ?? Math.floor(all.length / 2), all.length - 1));
    }
    stats.bytes_out += wire.length;
    const how = f.fault === 'truncate' ? 'fin' : (f.params.how ?? 'fin');
    req.socket.write(wire, () => killSocket(req.socket, how));
    return finish(ctx, 0, { upstreamStatus: up.status });
  }
  if (up.status >= 300) {
    const m = /<Code>([^<]*)<\/Code>/.exec(up.body.toString('utf8'));
    if (m) {
      ctx.errorCode = m[1];
      bump(stats.rejected, m[1]);
    }
  }
  stats.bytes_out += isHead ? 0 : up.body.length;
  res.writeHead(up.status, headers);
  res.end(isHead ? undefined : up.body);
  finish(ctx, up.status);
}

// ---- control endpoints (no signature) ------------------------------------------------
function sendJson(res, status, obj) {
  const b = Buffer.from(JSON.stringify(obj, null, 1) + '\n');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(b.length) });
  res.end(b);
}

function faultState() {
  return {
    seed: faults.seed,
    rules: faults.rules.map(r => ({ rule: r.text, fault: r.fault, seen: r.seen, fired: r.fired })),
  };
}

async function control(ctx, req, res) {
  if (ctx.expect) res.writeContinue();
  const body = (await readBody(req).catch(() => Buffer.alloc(0))).toString('utf8');
  const p = ctx.rawPath;
  const m = ctx.method;
  if (p === '/__health' && m === 'GET') return sendJson(res, 200, { ok: true });
  if (p === '/__stats' && m === 'GET') {
    return sendJson(res, 200, { ...stats, fault_rules: faultState().rules, uptime_ms: Date.now() - started });
  }
  if (p === '/__stats' && (m === 'DELETE' || m === 'POST')) {
    stats = newStats();
    requestLog = [];
    return sendJson(res, 200, { ok: true });
  }
  if (p === '/__requests' && m === 'GET') {
    const since = Number(parseQuery(ctx.rawQuery).since || 0);
    return sendJson(res, 200, requestLog.filter(e => e.n > since));
  }
  if (p === '/__faults' && m === 'GET') return sendJson(res, 200, faultState());
  if (p === '/__faults' && (m === 'POST' || m === 'PUT')) {
    try {
      installFaults(body);
    } catch (e) {
      return sendJson(res, 400, { error: e.message });
    }
    return sendJson(res, 200, faultState());
  }
  if (p === '/__faults' && m === 'DELETE') {
    installFaults('');
    return sendJson(res, 200, faultState());
  }
  return sendJson(res, 404, { error: `no control endpoint ${m} ${p}` });
}

// ---- start and stop ----------------------------------------------------------------
async function main() {
  fs.mkdirSync(cfg.data, { recursive: true });
  const s3 = new S3rver({
    address: '127.0.0.1', port: 0, silent: true, directory: path.resolve(cfg.data),
    configureBuckets: cfg.buckets.map(name => ({ name })), allowMismatchedSignatures: true, resetOnClose: false,
  });
  const addr = await s3.run();
  s3rverPort = addr.port;
  store = s3.store;

  let server;
  let scheme = 'http';
  if (cfg.tls) {
    const [cert, key] = cfg.tls.split(',');
    if (!cert || !key) die('--tls wants CERT,KEY');
    server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) });
    scheme = 'https';
  } else {
    server = http.createServer();
  }
  server.keepAliveTimeout = 30000;
  server.requestTimeout = 0;
  const onRequest = expect => (req, res) => {
    handle(req, res, expect).catch(e => {
      process.stderr.write(`s3-test: internal error: ${e.stack || e}\n`);
      try {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain', connection: 'close' });
          res.end(`proxy error: ${e.message}\n`);
        } else req.socket.destroy();
      } catch { /* socket gone */ }
    });
  };
  server.on('request', onRequest(false));
  server.on('checkContinue', onRequest(true));
  const sockets = new Set();
  server.on('connection', s => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => { /* refused handshakes are part of the tests */ });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, resolve);
  });
  const port = server.address().port;
  const hostInUrl = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;

  let stopping = false;
  const stop = sig => {
    if (stopping) return;
    stopping = true;
    for (const t of timers) clearTimeout(t);
    server.close();
    for (const s of sockets) s.destroy();
    upstreamAgent.destroy();
    const hard = setTimeout(() => process.exit(0), 3000);
    hard.unref();
    s3.close().catch(() => {}).finally(() => {
      if (cfg.verbose) process.stderr.write(`s3-test: stopped (${sig})\n`);
      process.exit(0);
    });
    if (s3.httpServer && s3.httpServer.closeAllConnections) s3.httpServer.closeAllConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  process.stdout.write(JSON.stringify({
    endpoint: `${scheme}://${hostInUrl}:${port}`, s3rver_port: s3rverPort, pid: process.pid, region: cfg.region,
    access_key: cfg.accessKey, data: path.resolve(cfg.data), buckets: cfg.buckets, tls: Boolean(cfg.tls),
  }) + '\n');
}

main().catch(e => {
  process.stderr.write(`server.mjs: ${e.stack || e}\n`);
  process.exit(1);
});
