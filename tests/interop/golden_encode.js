#!/usr/bin/env node
// Golden frames from the official JS client: encodes every message type
// @clasp-to/core supports and writes [{name, hex, frame, expect}] as JSON, where
// `expect` is what the client's own decoder yields (normalized, see lib/normalize.js).
// Usage: node golden_encode.js [out.json]   (stdout when no path is given)
'use strict';

const fs = require('fs');
const clasp = require('@clasp-to/core');
const { normalize, diff, hex } = require('./lib/normalize');

const U64_MAX = 18446744073709551615n;

// Values of every JS type the codec handles. Labels become part of case names.
const values = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['zero', 0],
  ['one', 1],
  ['minus_one', -1],
  ['half', 0.5],
  ['negative_fraction', -123.456],
  ['huge', 1e300],
  ['denormal', 5e-324],
  ['two_pow_53', 2 ** 53],
  ['minus_two_pow_53', -(2 ** 53)],
  ['nan', NaN],
  ['infinity', Infinity],
  ['minus_infinity', -Infinity],
  ['minus_zero', -0],
  ['empty_string', ''],
  ['string', 'hello'],
  ['unicode_string', 'h\u00e9llo \u2713 \u{1F39B}'],
  ['empty_bytes', new Uint8Array([])],
  ['bytes', new Uint8Array([0, 1, 127, 128, 255])],
  ['empty_array', []],
  ['mixed_array', [1, 'a', null, true, 2.5, new Uint8Array([7])]],
  ['nested_array', [[1, [2, [3]]], []]],
  ['empty_object', {}],
  ['object', { a: 1, b: 'x', c: false }],
  ['nested_object', { obj: { arr: [{ k: new Uint8Array([9]) }, null], n: -7.25 }, s: 'z' }],
  // JS objects list integer-like keys first: the wire order is "10", "b", "a".
  ['integer_like_keys', { b: 1, 10: 2, a: 3 }],
];

const cases = [];
// `decoded` is what the JS decoder gives back when it differs from `msg`.
const add = (name, msg, opts = {}, decoded = undefined) => cases.push({ name, msg, opts, decoded });

// --- HELLO / WELCOME ---------------------------------------------------------
add('hello_minimal', { type: 'HELLO', version: 1, name: 'c', features: [] });
add('hello_all_features_token', {
  type: 'HELLO', version: 1, name: 'Studio \u2713',
  features: ['param', 'event', 'stream', 'gesture', 'timeline'], token: 'tok-123',
});
// An empty token is written as "no token" and decodes to undefined.
add('hello_empty_token', { type: 'HELLO', version: 1, name: 'n', features: ['event'], token: '' },
    {}, { type: 'HELLO', version: 1, name: 'n', features: ['event'] });
add('welcome', {
  type: 'WELCOME', version: 1, session: 'sess-42', name: 'router', features: ['param', 'stream'],
  time: 1700000000123456,
});
add('welcome_token_bigint_time', {
  type: 'WELCOME', version: 1, session: 's', name: 'r', features: ['gesture', 'timeline'],
  time: 2n ** 60n + 3n, token: 'abc',
}, {}, {
  type: 'WELCOME', version: 1, session: 's', name: 'r', features: ['gesture', 'timeline'],
  time: Number(2n ** 60n + 3n), token: 'abc',
});

// --- ANNOUNCE / QUERY / RESULT ----------------------------------------------
add('announce_empty', { type: 'ANNOUNCE', namespace: '/ns', signals: [] });
add('announce_no_namespace', { type: 'ANNOUNCE', signals: [{ address: '/x', type: 'event' }] }, {},
    { type: 'ANNOUNCE', namespace: '', signals: [{ address: '/x', type: 'event' }] });
add('announce_with_meta', {
  type: 'ANNOUNCE', namespace: '/mixer',
  signals: [
    { address: '/mixer/vol', type: 'param', datatype: 'f32', access: 'rw',
      meta: { unit: 'dB', range: [-60, 12.5], default: 0, description: 'Volume' } },
    { address: '/mixer/name', type: 'param', datatype: 'string', meta: { default: 'ch' } },
    { address: '/mixer/cfg', type: 'param', meta: { default: { a: [1, null] } } },
    { address: '/mixer/blob', type: 'param', meta: { default: new Uint8Array([1, 2]) } },
    { address: '/mixer/nul', type: 'param', meta: { default: null } },
    { address: '/mixer/empty_meta', type: 'stream', meta: {} },
    { address: '/mixer/range', type: 'timeline', access: 'r', meta: { range: [0, 1] } },
    { address: '/mixer/touch', type: 'gesture', meta: { unit: 'px', description: 'd' } },
    { address: '/mixer/go', type: 'event' },
  ],
});
add('query', { type: 'QUERY', pattern: '/mixer/**' });
add('result_empty', { type: 'RESULT', signals: [] });
add('result', {
  type: 'RESULT',
  signals: [
    { address: '/a', type: 'param', datatype: 'f64', access: 'rw' },
    { address: '/b', type: 'event' },
    { address: '/c', type: 'stream', access: 'r' },
    { address: '/d', type: 'gesture', datatype: 'i32' },
    { address: '/e', type: 'timeline' },
  ],
});

// --- SUBSCRIBE / UNSUBSCRIBE --------------------------------------------------
add('subscribe_plain', { type: 'SUBSCRIBE', id: 1, pattern: '/**' });
add('subscribe_types', { type: 'SUBSCRIBE', id: 7, pattern: '/a/*/c', types: ['param', 'gesture'] });
add('subscribe_all_types_listed', {
  type: 'SUBSCRIBE', id: 8, pattern: '/x', types: ['param', 'event', 'stream', 'gesture', 'timeline'],
});
add('subscribe_empty_types', { type: 'SUBSCRIBE', id: 9, pattern: '/x', types: [] }, {},
    { type: 'SUBSCRIBE', id: 9, pattern: '/x' });
add('subscribe_all_options', {
  type: 'SUBSCRIBE', id: 4294967295, pattern: '/m/**', types: ['stream'],
  options: { maxRate: 60, epsilon: 0.001, history: 10, window: 5000 },
});
add('subscribe_max_rate', { type: 'SUBSCRIBE', id: 2, pattern: '/p', options: { maxRate: 30 } });
add('subscribe_epsilon_window', {
  type: 'SUBSCRIBE', id: 3, pattern: '/p', options: { epsilon: 0.5, window: 100 },
});
add('subscribe_history', { type: 'SUBSCRIBE', id: 5, pattern: '/p', options: { history: 1 } });
// The client's own subscribe() sends options with undefined fields: option flags 0.
add('subscribe_empty_options', {
  type: 'SUBSCRIBE', id: 6, pattern: '/p', options: { maxRate: undefined, epsilon: undefined },
}, {}, { type: 'SUBSCRIBE', id: 6, pattern: '/p' });
// Unknown type names set no bit: mask 0, which the JS decoder reports as no types.
add('subscribe_unknown_type', { type: 'SUBSCRIBE', id: 10, pattern: '/x', types: ['nope'] }, {},
    { type: 'SUBSCRIBE', id: 10, pattern: '/x' });
add('unsubscribe', { type: 'UNSUBSCRIBE', id: 12 });
add('unsubscribe_zero', { type: 'UNSUBSCRIBE', id: 0 });
add('unsubscribe_max', { type: 'UNSUBSCRIBE', id: 4294967295 });

// --- SET / GET / SNAPSHOT ---------------------------------------------------
for (const [label, v] of values) {
  add(`set_value_${label}`, { type: 'SET', address: '/v', value: v });
}
// undefined is written as null (type 0x00), wherever it appears.
add('set_value_undefined', { type: 'SET', address: '/u', value: undefined }, {},
    { type: 'SET', address: '/u', value: null });
add('set_array_with_undefined', { type: 'SET', address: '/u', value: [1, undefined] }, {},
    { type: 'SET', address: '/u', value: [1, null] });
add('set_object_with_undefined', { type: 'SET', address: '/u', value: { a: undefined, b: 2 } }, {},
    { type: 'SET', address: '/u', value: { a: null, b: 2 } });
// Nesting exactly at our decoder's max_nesting_depth (32). One level more is
// rejected by our codec by design (error 101, a guard against hostile input);
// the JS client has no limit.
{
  let deep = 'leaf';
  for (let i = 0; i < 32; i++) deep = i % 2 ? { k: deep } : [deep];
  add('set_value_nested_32_deep', { type: 'SET', address: '/deep', value: deep });
  let bundle = { type: 'PING' };
  for (let i = 0; i < 32; i++) bundle = { type: 'BUNDLE', messages: [bundle] };
  add('bundle_nested_32_deep', bundle);
}
add('set_empty_address', { type: 'SET', address: '', value: 1 });
add('set_revision', { type: 'SET', address: '/r', value: 1.5, revision: 42 });
add('set_revision_zero', { type: 'SET', address: '/r', value: 'x', revision: 0 });
add('set_revision_max_safe', { type: 'SET', address: '/r', value: 1, revision: 2 ** 53 - 1 });
add('set_revision_u64_max', { type: 'SET', address: '/r', value: 1, revision: U64_MAX }, {},
    { type: 'SET', address: '/r', value: 1, revision: Number(U64_MAX) });
add('set_lock', { type: 'SET', address: '/l', value: true, lock: true });
add('set_unlock', { type: 'SET', address: '/l', value: false, unlock: true });
add('set_revision_lock_unlock', {
  type: 'SET', address: '/l', value: [1, 2], revision: 7, lock: true, unlock: true,
});
add('set_unicode_address', { type: 'SET', address: '/caf\u00e9/\u2603', value: 'snow' });
add('set_qos_fire', { type: 'SET', address: '/q', value: 1 }, { qos: 0 });
add('set_qos_commit_timestamp', { type: 'SET', address: '/q', value: 2 },
    { qos: 2, timestamp: 1700000000000000n });
add('set_timestamp_zero', { type: 'SET', address: '/q', value: 3 }, { timestamp: 0n });
add('set_timestamp_u64_max', { type: 'SET', address: '/q', value: 4 }, { timestamp: U64_MAX });
add('get', { type: 'GET', address: '/mixer/vol' });
add('get_timestamped', { type: 'GET', address: '/g' }, { timestamp: 123456789n, qos: 1 });
add('snapshot_empty', { type: 'SNAPSHOT', params: [] });
add('snapshot', {
  type: 'SNAPSHOT',
  params: values.map(([label, v], i) => ({ address: `/snap/${label}`, value: v, revision: i + 1 })),
});
add('snapshot_writer_timestamp', {
  type: 'SNAPSHOT',
  params: [
    { address: '/a', value: 1, revision: 3, writer: 'sess-1' },
    { address: '/b', value: 'x', revision: 4, timestamp: 1700000000000001 },
    { address: '/c', value: null, revision: 0, writer: 'w', timestamp: 0 },
  ],
});

// --- PUBLISH -----------------------------------------------------------------
add('publish_event_value', { type: 'PUBLISH', address: '/e', signal: 'event', value: { cue: 'intro' },
  phase: 'start' });
// `payload` is written exactly like `value`; the decoder returns it as `value`.
add('publish_event_payload', { type: 'PUBLISH', address: '/e', signal: 'event', payload: 'go' }, {},
    { type: 'PUBLISH', address: '/e', signal: 'event', value: 'go', phase: 'start' });
add('publish_event_null_payload', { type: 'PUBLISH', address: '/e', signal: 'event', payload: null },
    {}, { type: 'PUBLISH', address: '/e', signal: 'event', value: null, phase: 'start' });
add('publish_no_value', { type: 'PUBLISH', address: '/e', signal: 'event' }, {},
    { type: 'PUBLISH', address: '/e', signal: 'event', phase: 'start' });
add('publish_default_signal', { type: 'PUBLISH', address: '/e', value: 1 }, {},
    { type: 'PUBLISH', address: '/e', signal: 'event', value: 1, phase: 'start' });
for (const [label, v] of values) {
  add(`publish_stream_${label}`, { type: 'PUBLISH', address: '/s', signal: 'stream', value: v, phase: 'start' });
}
add('publish_samples_empty', { type: 'PUBLISH', address: '/s', signal: 'stream', samples: [], phase: 'start' });
add('publish_samples', {
  type: 'PUBLISH', address: '/s', signal: 'stream', samples: [0.1, -2, 1e10, 0, 5e-324], phase: 'start',
});
add('publish_samples_special_floats', {
  type: 'PUBLISH', address: '/s', signal: 'stream', samples: [NaN, -0, Infinity, -Infinity], phase: 'start',
});
add('publish_samples_timestamp_rate', {
  type: 'PUBLISH', address: '/audio/level', signal: 'stream', samples: [0.25, 0.5],
  timestamp: 1700000000000000, rate: 48000, phase: 'start',
});
for (const phase of ['start', 'move', 'end', 'cancel']) {
  add(`publish_gesture_${phase}`, {
    type: 'PUBLISH', address: '/touch', signal: 'gesture', id: 77, phase, value: { x: 0.5, y: 0.25 },
  });
}
add('publish_gesture_all_fields', {
  type: 'PUBLISH', address: '/touch', signal: 'gesture', id: 4294967295, phase: 'move',
  value: [1, 2], timestamp: 9007199254740991, rate: 120,
}, { qos: 1, timestamp: 42n });
add('publish_timeline', {
  type: 'PUBLISH', address: '/tl', signal: 'timeline', value: { keyframes: [{ t: 0, v: 1 }] }, phase: 'start',
});
add('publish_param', { type: 'PUBLISH', address: '/p', signal: 'param', value: 3, phase: 'end' });
add('publish_rate_only', { type: 'PUBLISH', address: '/r', signal: 'stream', value: 1, rate: 30, phase: 'start' });
add('publish_timestamp_only', {
  type: 'PUBLISH', address: '/t', signal: 'event', value: true, timestamp: 1, phase: 'start',
});

// --- BUNDLE / SYNC / PING / PONG ----------------------------------------------
add('bundle_empty', { type: 'BUNDLE', messages: [] });
add('bundle', {
  type: 'BUNDLE',
  messages: [
    { type: 'SET', address: '/a', value: 1 },
    { type: 'SET', address: '/b', value: 'two', revision: 5 },
    { type: 'PUBLISH', address: '/e', signal: 'event', value: null, phase: 'start' },
  ],
});
add('bundle_timestamp_nested', {
  type: 'BUNDLE', timestamp: 1700000000000000,
  messages: [
    { type: 'BUNDLE', messages: [{ type: 'SET', address: '/x', value: [1, { y: 2 }] }] },
    { type: 'PING' },
    { type: 'SUBSCRIBE', id: 3, pattern: '/x/**' },
  ],
}, { timestamp: 99n });
add('sync_t1', { type: 'SYNC', t1: 1700000000000000 });
add('sync_t1_t2', { type: 'SYNC', t1: 1, t2: 2 });
add('sync_t1_t2_t3', { type: 'SYNC', t1: 1700000000000000, t2: 1700000000000100, t3: 1700000000000200 });
add('sync_t1_t3', { type: 'SYNC', t1: 5, t3: 7 });
add('ping', { type: 'PING' });
add('pong', { type: 'PONG' });
add('ping_qos_confirm_timestamp', { type: 'PING' }, { qos: 1, timestamp: 1n });

// --- ACK / ERROR ----------------------------------------------------------------
add('ack_empty', { type: 'ACK' });
add('ack_all_fields', {
  type: 'ACK', address: '/a', revision: 9, locked: true, holder: 'sess-9', correlationId: 4242,
});
add('ack_address_revision', { type: 'ACK', address: '/mixer/vol', revision: 12 });
add('ack_locked_false', { type: 'ACK', locked: false });
add('ack_correlation', { type: 'ACK', correlationId: 0 });
add('error', { type: 'ERROR', code: 404, message: 'not found' });
add('error_address', { type: 'ERROR', code: 401, message: 'lock held', address: '/l' });
add('error_correlation', { type: 'ERROR', code: 400, message: 'revision conflict', correlationId: 7 });
add('error_all_fields', {
  type: 'ERROR', code: 65535, message: 'd\u00e9j\u00e0', address: '/x', correlationId: 4294967295,
});
add('error_empty_message', { type: 'ERROR', code: 500, message: '' });

// -------------------------------------------------------------------------------
const out = [];
let failures = 0;
for (const c of cases) {
  const frame = clasp.encodeMessage(c.msg, c.opts);
  const { message, flags, timestamp } = clasp.decodeMessage(frame);
  const expect = normalize(message);
  // Guards our reading of the JS client: its decoder must return what we fed it.
  const problems = diff(normalize(c.decoded ?? c.msg), expect);
  if (problems.length) {
    failures++;
    console.error(`golden_encode: ${c.name}: JS round trip differs from the stated shape:\n  ` +
                  problems.join('\n  '));
  }
  const header = { qos: flags.qos };
  if (timestamp !== undefined) header.timestamp = timestamp.toString();
  out.push({ name: c.name, hex: hex(frame), frame: header, expect });
}
if (failures) process.exit(1);

const text = JSON.stringify(out, null, 1) + '\n';
if (process.argv[2]) fs.writeFileSync(process.argv[2], text);
else process.stdout.write(text);
console.error(`golden_encode: ${out.length} frames from @clasp-to/core`);
