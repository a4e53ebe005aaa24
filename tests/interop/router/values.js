// Values of every kind the JS client can encode, and a comparison that lists
// each value that did not come back exactly as sent.
'use strict';

const assert = require('node:assert/strict');

// Every kind of value the JS client can encode (numbers always travel as f64).
const VALUES = {
  null: null,
  true: true,
  false: false,
  zero: 0,
  one: 1,
  minus_one: -1,
  int: 42,
  negative_int: -273,
  max_safe: Number.MAX_SAFE_INTEGER,
  min_safe: Number.MIN_SAFE_INTEGER,
  two_pow_60: 2 ** 60,
  half: 0.5,
  negative_float: -0.25,
  pi: Math.PI,
  large: 1.7976931348623157e308,
  tiny: 5e-324,
  negative_large: -1e300,
  negative_tiny: -1e-300,
  negative_zero: -0,
  nan: NaN,
  infinity: Infinity,
  minus_infinity: -Infinity,
  empty_string: '',
  ascii: 'hello',
  unicode: 'héllo wörld — 你好 🎛️ \u0000 end',
  bytes: new Uint8Array([0, 1, 127, 128, 254, 255]),
  empty_bytes: new Uint8Array([]),
  empty_array: [],
  empty_object: {},
  array: [1, -2.5, 'three', true, false, null, new Uint8Array([9]), [], {}],
  nested_array: [[1, [2, [3, [4]]]], ['a', ['b']]],
  object: { a: 1, b: 'two', c: false, d: null, e: [1, 2, 3] },
  nested_object: {
    name: 'scene',
    channels: [{ id: 1, gain: -6.5, mute: false }, { id: 2, gain: 0, mute: true }],
    meta: { tags: ['live', 'ünïcode'], blob: new Uint8Array([0xde, 0xad]), empty: {}, none: [] },
    'ключ': 'значение',
  },
};

function describeValue(v) {
  if (v instanceof Uint8Array) return `Uint8Array[${Array.from(v).join(',')}]`;
  if (Object.is(v, -0)) return '-0';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

// Compares each received value with the one sent; lists every mismatch.
function mismatches(label, sent, got) {
  const out = [];
  for (const [k, want] of Object.entries(sent)) {
    if (!(k in got)) {
      out.push(`${label} ${k}: nothing received (sent ${describeValue(want)})`);
      continue;
    }
    try {
      assert.deepStrictEqual(got[k], want);
    } catch {
      out.push(`${label} ${k}: sent ${describeValue(want)}, got ${describeValue(got[k])}`);
    }
  }
  return out;
}

module.exports = { VALUES, describeValue, mismatches };
