// Shared pieces of the S3 test server (server.mjs) and the test client
// (s3req.mjs): module loading from build/npm, the test credentials, S3's
// URI encoding, and the checksums S3 accepts in x-amz-checksum-* headers.
import crypto from 'node:crypto';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..', '..');

export const TEST_ACCESS_KEY = 'FLOETESTKEY';
export const TEST_SECRET_KEY = 'floe-test-secret-key';
export const TEST_SESSION_TOKEN = 'floe-test-session-token';
export const TEST_REGION = 'us-east-1';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// npm packages live in build/npm/node_modules (tools/bootstrap.sh npm), never
// next to the tests: look in $NODE_PATH first, then in the repository's copy.
export function load(name) {
  const bases = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
  bases.push(path.join(REPO, 'build', 'npm', 'node_modules'));
  for (const b of bases) {
    try {
      return createRequire(path.join(path.resolve(b), '_.js'))(name);
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  throw new Error(`cannot load ${name}: run tools/bootstrap.sh npm (looked in ${bases.join(', ')})`);
}

// RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~
export function uriEncode(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

// "/bucket/my key" -> "/bucket/my%20key" (each segment encoded once, '/' kept)
export function encodePath(p) {
  return p.split('/').map(uriEncode).join('/');
}

// A raw query string ("a=1&b&c=%20") -> { a: '1', b: '', c: ' ' }, repeated
// names as arrays. '+' is a plus sign, not a space (as S3 reads it). Throws
// URIError on a bad %-escape.
export function parseQuery(raw) {
  const q = {};
  if (!raw) return q;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    if (Object.prototype.hasOwnProperty.call(q, k)) q[k] = [].concat(q[k], v);
    else q[k] = v;
  }
  return q;
}

// ---- checksums ------------------------------------------------------------
// Table-driven reflected CRCs. CRC-32C (Castagnoli, reflected polynomial
// 0x82F63B78) is what floe sends; CRC-32 and CRC-64/NVME are the other CRCs
// S3 accepts. Check values for "123456789": crc32c e3069283, crc32 cbf43926,
// crc64nvme ae8b14860a799888.
function crc32Table(poly) {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}
const CRC32C_TABLE = crc32Table(0x82f63b78);
const CRC32_TABLE = crc32Table(0xedb88320);

function crc32With(table, buf, crc = 0) {
  let c = ~crc >>> 0;
  for (let i = 0; i < buf.length; i++) c = table[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
export const crc32c = (buf, crc = 0) => crc32With(CRC32C_TABLE, buf, crc);
export const crc32 = (buf, crc = 0) => crc32With(CRC32_TABLE, buf, crc);

const CRC64_POLY = 0x9a6c9329ac4bc9b5n;
const MASK64 = 0xffffffffffffffffn;
let CRC64_TABLE = null;
export function crc64nvme(buf) {
  if (!CRC64_TABLE) {
    CRC64_TABLE = new Array(256);
    for (let i = 0; i < 256; i++) {
      let c = BigInt(i);
      for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ CRC64_POLY : c >> 1n;
      CRC64_TABLE[i] = c;
    }
  }
  let c = MASK64;
  for (let i = 0; i < buf.length; i++) c = CRC64_TABLE[Number((c ^ BigInt(buf[i])) & 0xffn)] ^ (c >> 8n);
  return (c ^ MASK64) & MASK64;
}

function beBytes(n, width) {
  const b = Buffer.alloc(width);
  if (width === 4) b.writeUInt32BE(n >>> 0);
  else b.writeBigUInt64BE(n);
  return b;
}

// The algorithms of x-amz-checksum-<name>: digest(buffer) -> raw bytes.
export const CHECKSUMS = {
  crc32c: buf => beBytes(crc32c(buf), 4),
  crc32: buf => beBytes(crc32(buf), 4),
  crc64nvme: buf => beBytes(crc64nvme(buf), 8),
  sha1: buf => crypto.createHash('sha1').update(buf).digest(),
  sha256: buf => crypto.createHash('sha256').update(buf).digest(),
};

// x-amz-checksum-<name> value of a buffer: base64 of the big-endian digest.
export function checksumB64(name, buf) {
  return CHECKSUMS[name](buf).toString('base64');
}

export function xmlEscape(s) {
  return String(s).replace(/[<>&"']/g, c => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]);
}

export function xmlUnescape(s) {
  return String(s).replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (m, e) => {
    switch (e) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default: return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

// "YYYYMMDDTHHMMSSZ" -> Date, or null when malformed.
export function parseAmzDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 19).replace(/[-:]/g, '') !== s.slice(0, 15) ? null : d;
}

export function formatAmzDate(d) {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}
