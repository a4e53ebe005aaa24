#!/usr/bin/env node
// C++ -> JS golden check: runs interop_emit_frames (our codec's encoder), decodes
// every frame with @clasp-to/core and deep-compares with the expected object.
// Usage: node golden_decode.js <path/to/interop_emit_frames | frames.json>
'use strict';

const fs = require('fs');
const { execFileSync } = require('child_process');
const clasp = require('@clasp-to/core');
const { normalize, diff, fromHex } = require('./lib/normalize');

const source = process.argv[2];
if (!source) {
  console.error('usage: node golden_decode.js <interop_emit_frames binary | frames.json>');
  process.exit(2);
}
const text = source.endsWith('.json')
  ? fs.readFileSync(source, 'utf8')
  : execFileSync(source, [], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 30000 });
const frames = JSON.parse(text);

let passed = 0;
let failed = 0;
for (const f of frames) {
  const problems = [];
  try {
    const { message, flags, timestamp } = clasp.decodeMessage(fromHex(f.hex));
    if (flags.qos !== f.frame.qos) problems.push(`frame qos: expected ${f.frame.qos}, got ${flags.qos}`);
    if (flags.version !== 1) problems.push(`frame version: expected 1, got ${flags.version}`);
    const ts = timestamp === undefined ? undefined : timestamp.toString();
    if (ts !== f.frame.timestamp) {
      problems.push(`frame timestamp: expected ${f.frame.timestamp}, got ${ts}`);
    }
    problems.push(...diff(f.expect, normalize(message)));
    // The JS client's decode() must agree with decodeMessage().message.
    problems.push(...diff(f.expect, normalize(clasp.decode(fromHex(f.hex))), '$decode'));
  } catch (e) {
    problems.push(`@clasp-to/core threw: ${e && e.message}`);
  }
  if (problems.length) {
    failed++;
    console.log(`FAIL ${f.name}\n  frame ${f.hex}\n  ${problems.join('\n  ')}`);
  } else {
    passed++;
    console.log(`ok   ${f.name}`);
  }
}
if (frames.length === 0) {
  console.log('no frames to check');
  failed++;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
