#!/usr/bin/env node
// Sends one S3 request signed with the AWS SDK's SigV4 signer
// (@smithy/signature-v4) and prints the answer as one JSON line:
//   {"status":200,"code":null,"headers":{...},"body":"...","body_len":N}
// ("code" is the <Code> of an S3 XML error). For tests of the test server and
// for checking what floe stored. Exit status: 0 when an answer came, 1 when
// the connection failed (then {"error":"..."}), 2 for bad arguments.
//
//   node s3req.mjs [options] METHOD /bucket/key[?query]
//     --endpoint URL           default $S3_ENDPOINT
//     --region R --access-key ID --secret-key S --session-token T
//                              default: the test credentials (README.md), no token
//     --body TEXT | --body-file FILE
//     --payload sha256|unsigned|VALUE   x-amz-content-sha256 (default sha256 of the body)
//     --checksum NAME[=B64]    x-amz-checksum-NAME (crc32c, crc32, crc64nvme, sha1, sha256),
//                              computed from the body when no value is given
//     --content-md5[=B64]      Content-MD5, computed when no value is given
//     -H 'name: value'         an extra signed header (repeatable)
//     --unsigned-header 'name: value'   sent but left out of the signature
//     --date YYYYMMDDTHHMMSSZ  signing time (default now)
//     --presign SECONDS        query-string authentication instead of a header
//     --no-auth                send it unsigned
//     --expect                 send Expect: 100-continue
//     --ca FILE | --insecure   for https endpoints
//     --out FILE               write the body there instead of into the JSON
//     --check EXPR             JavaScript on the printed object `d` (d.status, d.code,
//                              d.headers, d.body); exit 3 when it is not true
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import {
  load, encodePath, uriEncode, parseQuery, checksumB64, parseAmzDate,
  TEST_ACCESS_KEY, TEST_SECRET_KEY, TEST_REGION,
} from './lib.mjs';

const { SignatureV4 } = load('@smithy/signature-v4');
const { Sha256 } = load('@aws-crypto/sha256-js');

function die(msg) {
  process.stderr.write(`s3req.mjs: ${msg}\n`);
  process.exit(2);
}

const o = {
  endpoint: process.env.S3_ENDPOINT, region: TEST_REGION, accessKey: TEST_ACCESS_KEY, secretKey: TEST_SECRET_KEY,
  token: undefined, body: Buffer.alloc(0), payload: 'sha256', checksums: [], md5: null, headers: [], unsigned: [],
  date: null, presign: null, auth: true, expect: false, ca: null, insecure: false, out: null, check: null,
};
const pos = [];
const argv = process.argv.slice(2);
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
    if (i + 1 >= argv.length) die(`${a} needs a value`);
    return argv[++i];
  };
  switch (a) {
    case '--endpoint': o.endpoint = val(); break;
    case '--region': o.region = val(); break;
    case '--access-key': o.accessKey = val(); break;
    case '--secret-key': o.secretKey = val(); break;
    case '--session-token': o.token = val(); break;
    case '--body': o.body = Buffer.from(val()); break;
    case '--body-file': o.body = fs.readFileSync(val()); break;
    case '--payload': o.payload = val(); break;
    case '--checksum': o.checksums.push(val()); break;
    case '--content-md5': o.md5 = inline ?? ''; break;
    case '-H': case '--header': o.headers.push(val()); break;
    case '--unsigned-header': o.unsigned.push(val()); break;
    case '--date': o.date = val(); break;
    case '--presign': o.presign = Number(val()); break;
    case '--no-auth': o.auth = false; break;
    case '--expect': o.expect = true; break;
    case '--ca': o.ca = val(); break;
    case '--insecure': o.insecure = true; break;
    case '--out': o.out = val(); break;
    case '--check': o.check = val(); break;
    default:
      if (a.startsWith('-') && a !== '-') die(`unknown option ${a}`);
      pos.push(argv[i]);
  }
}
if (pos.length !== 2) die('usage: s3req.mjs [options] METHOD /bucket/key[?query]');
if (!o.endpoint) die('no endpoint (--endpoint URL or $S3_ENDPOINT)');
const method = pos[0].toUpperCase();
const target = pos[1].startsWith('/') ? pos[1] : '/' + pos[1];
const qi = target.indexOf('?');
const rawPath = qi < 0 ? target : target.slice(0, qi);
const rawQuery = qi < 0 ? '' : target.slice(qi + 1);
const ep = new URL(o.endpoint);
const wirePath = encodePath(rawPath);
const host = ep.host;

function splitHeader(h) {
  const c = h.indexOf(':');
  if (c <= 0) die(`header '${h}' is not 'name: value'`);
  return [h.slice(0, c).trim().toLowerCase(), h.slice(c + 1).trim()];
}

const signedHeaders = { host };
for (const h of o.headers) {
  const [k, v] = splitHeader(h);
  signedHeaders[k] = v;
}
for (const c of o.checksums) {
  const e = c.indexOf('=');
  const name = (e < 0 ? c : c.slice(0, e)).toLowerCase();
  signedHeaders[`x-amz-checksum-${name}`] = e < 0 ? checksumB64(name, o.body) : c.slice(e + 1);
}
if (o.md5 !== null) signedHeaders['content-md5'] = o.md5 || crypto.createHash('md5').update(o.body).digest('base64');
let payload = o.payload;
if (payload === 'sha256') payload = crypto.createHash('sha256').update(o.body).digest('hex');
else if (payload === 'unsigned') payload = 'UNSIGNED-PAYLOAD';

const signingDate = o.date ? parseAmzDate(o.date) : new Date();
if (!signingDate) die(`bad --date ${o.date}`);
const signer = new SignatureV4({
  credentials: { accessKeyId: o.accessKey, secretAccessKey: o.secretKey, sessionToken: o.token },
  region: o.region, service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false,
});
const query = parseQuery(rawQuery);

let sendHeaders;
let sendQuery = rawQuery;
if (!o.auth) {
  sendHeaders = { ...signedHeaders };
  if (o.presign === null) sendHeaders['x-amz-content-sha256'] = payload;
} else if (o.presign !== null) {
  // Like S3's presigners: the payload is UNSIGNED-PAYLOAD unless --payload says otherwise.
  const presignPayload = o.payload === 'sha256' ? 'UNSIGNED-PAYLOAD' : payload;
  const out = await signer.presign({
    method, protocol: ep.protocol, hostname: ep.hostname, path: wirePath, query,
    headers: { ...signedHeaders, 'x-amz-content-sha256': presignPayload },
  }, {
    signingDate, expiresIn: o.presign, unsignableHeaders: new Set(['x-amz-content-sha256']),
    unhoistableHeaders: new Set([...Object.keys(signedHeaders), 'x-amz-content-sha256']),
  });
  sendHeaders = { ...out.headers };
  if (presignPayload === 'UNSIGNED-PAYLOAD') delete sendHeaders['x-amz-content-sha256'];
  sendQuery = Object.keys(out.query).sort().flatMap(k => [].concat(out.query[k]).map(v => `${uriEncode(k)}=${uriEncode(v)}`)).join('&');
} else {
  const out = await signer.sign({
    method, protocol: ep.protocol, hostname: ep.hostname, path: wirePath, query,
    headers: { ...signedHeaders, 'x-amz-content-sha256': payload },
  }, { signingDate });
  sendHeaders = { ...out.headers };
}
for (const h of o.unsigned) {
  const [k, v] = splitHeader(h);
  sendHeaders[k] = v;
}
if (o.expect) sendHeaders.expect = '100-continue';
if (o.body.length || ['PUT', 'POST'].includes(method)) sendHeaders['content-length'] = String(o.body.length);

const lib = ep.protocol === 'https:' ? https : http;
const reqOpts = {
  host: ep.hostname.replace(/^\[|\]$/g, ''), port: ep.port || (ep.protocol === 'https:' ? 443 : 80), method,
  path: wirePath + (sendQuery ? '?' + sendQuery : ''), headers: sendHeaders, agent: false,
};
if (ep.protocol === 'https:') {
  if (o.ca) reqOpts.ca = fs.readFileSync(o.ca);
  if (o.insecure) reqOpts.rejectUnauthorized = false;
}

const result = await new Promise(resolve => {
  const req = lib.request(reqOpts, res => {
    const chunks = [];
    res.on('data', c => chunks.push(c));
    res.on('end', () => resolve({ res, body: Buffer.concat(chunks) }));
    res.on('error', e => resolve({ error: e }));
  });
  req.setTimeout(60000, () => req.destroy(new Error('timed out after 60 s')));
  req.on('error', e => resolve({ error: e }));
  if (o.expect) {
    req.flushHeaders();
    req.on('continue', () => req.end(o.body));
    // An early final answer arrives as the response; nothing more to send then.
  } else {
    req.end(o.body);
  }
});

if (result.error) {
  process.stdout.write(JSON.stringify({ error: `${result.error.code || ''} ${result.error.message}`.trim() }) + '\n');
  process.exit(o.check ? 3 : 1);
}
const text = result.body.toString('utf8');
const code = /<Error>[\s\S]*?<Code>([^<]*)<\/Code>/.exec(text);
const out = { status: result.res.statusCode, code: code ? code[1] : null, headers: result.res.headers, body_len: result.body.length };
if (o.out) fs.writeFileSync(o.out, result.body);
else out.body = text;
process.stdout.write(JSON.stringify(out) + '\n');
if (o.check) {
  const d = out;
  let verdict;
  try {
    verdict = eval(o.check);
  } catch (e) {
    verdict = false;
    process.stdout.write(`check threw: ${e.message}\n`);
  }
  if (!verdict) {
    process.stdout.write(`check failed: ${o.check}\n`);
    process.exit(3);
  }
}
