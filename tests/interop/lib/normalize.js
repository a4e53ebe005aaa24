// Turns @clasp-to/core message objects into the JSON shape the golden files use
// (and the C++ tests mirror), and deep-compares two such shapes with a path diff.
'use strict';

const hex = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength).toString('hex');

// JSON cannot hold bytes, NaN, infinities or -0, and drops `undefined`:
// bytes -> {"$bytes": hex}; special floats -> {"$f64": "NaN"|"Infinity"|"-Infinity"|"-0"};
// bigint -> Number (the JS decoder yields Number for every u64/i64 field).
function normalize(v) {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { $f64: 'NaN' };
    if (v === Infinity) return { $f64: 'Infinity' };
    if (v === -Infinity) return { $f64: '-Infinity' };
    if (Object.is(v, -0)) return { $f64: '-0' };
    return v;
  }
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (v instanceof Uint8Array) return { $bytes: hex(v) };
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : normalize(x)));
  if (typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      const n = normalize(x);
      if (n !== undefined) out[k] = n;
    }
    return out;
  }
  throw new Error(`cannot normalize ${typeof v}`);
}

// Returns a list of human-readable differences ("$.params[0].revision: expected 3, got 4").
function diff(expected, actual, path = '$', out = []) {
  const kind = (x) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);
  const ke = kind(expected);
  const ka = kind(actual);
  if (ke !== ka) {
    out.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    return out;
  }
  if (ke === 'array') {
    if (expected.length !== actual.length) {
      out.push(`${path}: expected ${expected.length} items, got ${actual.length}` +
               ` (${JSON.stringify(actual)})`);
    }
    const n = Math.min(expected.length, actual.length);
    for (let i = 0; i < n; i++) diff(expected[i], actual[i], `${path}[${i}]`, out);
    return out;
  }
  if (ke === 'object') {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of keys) {
      if (!(k in actual)) out.push(`${path}.${k}: missing (expected ${JSON.stringify(expected[k])})`);
      else if (!(k in expected)) out.push(`${path}.${k}: unexpected ${JSON.stringify(actual[k])}`);
      else diff(expected[k], actual[k], `${path}.${k}`, out);
    }
    return out;
  }
  if (expected !== actual) {
    out.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
  return out;
}

function fromHex(s) {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

module.exports = { normalize, diff, hex, fromHex };
