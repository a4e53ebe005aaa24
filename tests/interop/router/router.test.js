// The official JS client (@clasp-to/core) against one `clasp server`: params,
// patterns, snapshots, events, streams, gestures, timelines, bundles, errors.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  router, client, collect, fence, acked, flatten, setsTo, publishesTo, errors, waitFor,
} = require('./support');
const { VALUES, mismatches } = require('./values');

test('values of every JS type round-trip exactly through SET fan-out, SNAPSHOT and GET', async (t) => {
  const r = await router(t);
  const writer = await client(t, r.url, 'writer');
  const reader = await client(t, r.url, 'reader');
  const live = collect(reader, '/types/**');
  await fence(reader, 'reader subscribed');

  for (const [k, v] of Object.entries(VALUES)) writer.set(`/types/${k}`, v);
  const keys = Object.keys(VALUES);
  await waitFor(() => keys.every((k) => live.values(`/types/${k}`).length > 0), 5000,
                'a SET for every value at the subscriber');

  const viaSet = Object.fromEntries(keys.map((k) => [k, live.values(`/types/${k}`)[0]]));
  const problems = mismatches('SET fan-out', VALUES, viaSet);

  // A late subscriber gets them from the SNAPSHOT...
  const late = await client(t, r.url, 'late');
  const snap = collect(late, '/types/**');
  await waitFor(() => keys.every((k) => snap.values(`/types/${k}`).length > 0), 5000,
                'every value in the late subscriber\'s SNAPSHOT');
  const viaSnapshot = Object.fromEntries(keys.map((k) => [k, snap.values(`/types/${k}`)[0]]));
  problems.push(...mismatches('SNAPSHOT', VALUES, viaSnapshot));

  // ...and a client with an empty cache from GET.
  const getter = await client(t, r.url, 'getter');
  const viaGet = {};
  for (const k of keys) viaGet[k] = await getter.get(`/types/${k}`);
  problems.push(...mismatches('GET', VALUES, viaGet));

  assert.deepEqual(problems, [], `values changed on the way:\n  ${problems.join('\n  ')}`);
  assert.deepEqual(errors(writer), [], 'the writer got no ERROR');
});

test('set is ACKed with a revision; subscribers (the writer too) see monotonic revisions', async (t) => {
  const r = await router(t);
  const a = await client(t, r.url, 'a');
  const b = await client(t, r.url, 'b');
  const mine = collect(a, '/rev/x');
  const theirs = collect(b, '/rev/x');
  await fence(a);
  await fence(b);

  for (let i = 1; i <= 5; i++) a.set('/rev/x', i);
  await waitFor(() => setsTo(b, '/rev/x').length === 5 && setsTo(a, '/rev/x').length === 5, 5000,
                'five SETs at both subscribers');
  const acks = a.received.filter((m) => m.type === 'ACK' && m.address === '/rev/x');
  assert.equal(acks.length, 5, 'one ACK per confirmed SET');
  const ackRevs = acks.map((m) => m.revision);
  for (let i = 1; i < ackRevs.length; i++) {
    assert.ok(ackRevs[i] > ackRevs[i - 1], `ACK revisions increase: ${ackRevs}`);
  }
  assert.deepEqual(setsTo(b, '/rev/x').map((m) => m.revision), ackRevs, 'fan-out carries the ACKed revisions');
  assert.deepEqual(theirs.values('/rev/x'), [1, 2, 3, 4, 5], 'the other client sees every value in order');
  assert.deepEqual(mine.values('/rev/x'), [1, 2, 3, 4, 5], 'the subscribed writer sees its own SETs');
});

test('on(pattern): * matches one segment, ** any depth, and the router only sends matches', async (t) => {
  const r = await router(t);
  const writer = await client(t, r.url, 'writer');
  const single = await client(t, r.url, 'single');
  const deep = await client(t, r.url, 'deep');
  const one = collect(single, '/mixer/*/volume');
  const any = collect(deep, '/mixer/**');
  await fence(single);
  await fence(deep);

  writer.set('/mixer/1/volume', 0.5);
  writer.set('/mixer/2/pan', -1);
  writer.set('/mixer/1/eq/low', 3);
  writer.set('/mixer/volume', 9);       // no segment for *
  writer.set('/mixerx/1/volume', 9);    // a different first segment
  writer.set('/other/1/volume', 9);
  writer.set('/mixer/zz/volume', 'fence');
  await waitFor(() => one.values('/mixer/zz/volume').length && any.values('/mixer/zz/volume').length, 5000,
                'the fence SET at both subscribers');

  const addrs = (c) => flatten(c.received).filter((m) => m.type === 'SET').map((m) => m.address);
  assert.deepEqual(addrs(single), ['/mixer/1/volume', '/mixer/zz/volume'], 'router-side match of /mixer/*/volume');
  assert.deepEqual(addrs(deep), ['/mixer/1/volume', '/mixer/2/pan', '/mixer/1/eq/low', '/mixer/volume',
                                 '/mixer/zz/volume'], 'router-side match of /mixer/**');
  assert.deepEqual(one.items.map((i) => [i.address, i.value]), [['/mixer/1/volume', 0.5], ['/mixer/zz/volume', 'fence']]);
});

test('overlapping subscriptions on one client: the router sends each SET once', async (t) => {
  const r = await router(t);
  const writer = await client(t, r.url, 'writer');
  const reader = await client(t, r.url, 'reader');
  const a = collect(reader, '/ov/**');
  const b = collect(reader, '/ov/*');
  await fence(reader);
  writer.set('/ov/x', 1);
  writer.set('/ov/fence', 2);
  await waitFor(() => a.values('/ov/fence').length, 5000, 'fence SET');
  assert.equal(setsTo(reader, '/ov/x').length, 1, 'one SET frame for a session with two matching subscriptions');
  assert.deepEqual(a.values('/ov/x'), [1]);
  assert.deepEqual(b.values('/ov/x'), [1]);
});

test('subscribe() returns an unsubscribe that stops delivery at the router', async (t) => {
  const r = await router(t);
  const writer = await client(t, r.url, 'writer');
  const reader = await client(t, r.url, 'reader');
  const sub = collect(reader, '/u/**');
  const stay = collect(reader, '/fence/**');
  await fence(reader);

  writer.set('/u/a', 1);
  await waitFor(() => sub.values('/u/a').length === 1, 5000, 'first SET while subscribed');
  sub.unsubscribe();
  await fence(reader, 'UNSUBSCRIBE handled');

  writer.set('/u/a', 2);
  writer.set('/u/b', 3);
  writer.set('/fence/after', true);
  await waitFor(() => stay.values('/fence/after').length === 1, 5000, 'fence SET on the remaining subscription');
  assert.deepEqual(setsTo(reader, '/u/a').map((m) => m.value), [1], 'no /u/a SET after unsubscribe');
  assert.equal(setsTo(reader, '/u/b').length, 0, 'no /u/b SET after unsubscribe');
  assert.deepEqual(sub.values('/u/a'), [1]);
});

test('a late subscriber gets the current values (latest only) in a SNAPSHOT', async (t) => {
  const r = await router(t);
  const writer = await client(t, r.url, 'writer');
  writer.set('/late/a', 1);
  writer.set('/late/a', 2);
  writer.set('/late/b', 'x');
  writer.set('/elsewhere', 0);
  await fence(writer, 'SETs applied');

  const late = await client(t, r.url, 'late');
  const sub = collect(late, '/late/*');
  await waitFor(() => sub.items.length >= 2, 5000, 'SNAPSHOT entries at the late subscriber');
  await fence(late);
  const snaps = late.received.filter((m) => m.type === 'SNAPSHOT');
  assert.ok(snaps.length >= 1, 'state arrived as SNAPSHOT');
  assert.equal(late.received.filter((m) => m.type === 'SET').length, 0, 'no SET replay, only the SNAPSHOT');
  const got = Object.fromEntries(sub.items.map((i) => [i.address, i.value]));
  assert.deepEqual(got, { '/late/a': 2, '/late/b': 'x' });
  assert.equal(sub.items.length, 2, 'one entry per address');
  // A new address starts at the router's incarnation floor (its start in µs),
  // so compare with the revision the next SET gets rather than a constant.
  const revA = sub.items.find((i) => i.address === '/late/a').meta.revision;
  assert.ok(Number.isSafeInteger(revA) && revA > 1, `SNAPSHOT revision ${revA} is a safe integer`);
  assert.equal(late.cached('/late/a'), 2, 'the client cache is filled from the SNAPSHOT');
  writer.set('/late/a', 3);
  await waitFor(() => setsTo(late, '/late/a').length >= 1, 5000, 'the next SET at the late subscriber');
  assert.equal(setsTo(late, '/late/a')[0].revision, revA + 1,
               'the SNAPSHOT entry carried the revision of the latest SET (the next one is one above)');
});

test('get: a value written by another client, and ERROR 201 for an unknown address', async (t) => {
  const r = await router(t);
  const writer = await client(t, r.url, 'writer');
  const reader = await client(t, r.url, 'reader');
  writer.set('/g/known', { level: 7 });
  await acked(writer, '/g/known');
  assert.deepEqual(await reader.get('/g/known'), { level: 7 });

  let settled = null;
  reader.get('/g/unknown').then((v) => { settled = { value: v }; }, (e) => { settled = { error: e }; });
  const err = await waitFor(() => reader.getLastError(), 3000, 'an ERROR for GET of an unknown address');
  assert.equal(err.code, 201, `ERROR code for an unknown address (message: ${err.message})`);
  assert.equal(err.address, '/g/unknown');
  assert.equal(settled, null, 'the GET did not resolve with a value');
});

test('emit delivers events with their payload to matching subscribers and stores nothing', async (t) => {
  const r = await router(t);
  const a = await client(t, r.url, 'a');
  const b = await client(t, r.url, 'b');
  const ev = collect(b, '/ev/**');
  await fence(b);

  const payloads = [{ cue: 'intro', fade: 2.5 }, null, 'go', 3, [1, 'x'], new Uint8Array([1, 2])];
  payloads.forEach((p, i) => a.emit(`/ev/${i}`, p));
  a.emit('/ev/none');
  await waitFor(() => ev.values('/ev/none').length === 1, 5000, 'last event');
  payloads.forEach((p, i) => assert.deepEqual(ev.values(`/ev/${i}`), [p], `event ${i} payload`));
  assert.deepEqual(ev.values('/ev/none'), [null], 'emit without payload arrives as null');
  const pubs = flatten(b.received).filter((m) => m.type === 'PUBLISH');
  assert.ok(pubs.every((m) => m.signal === 'event'), 'signal type stays event');
  assert.equal(pubs.length, payloads.length + 1, 'each event once');

  // Events are never stored: no SNAPSHOT for a late subscriber, GET fails.
  const c = await client(t, r.url, 'c');
  collect(c, '/ev/**');
  await fence(c);
  assert.equal(c.received.filter((m) => m.type === 'SNAPSHOT' && m.params.length > 0).length, 0,
               'no stored events in a SNAPSHOT');
  c.get('/ev/0').catch(() => {});
  const err = await waitFor(() => c.getLastError(), 3000, 'ERROR for GET of an event address');
  assert.equal(err.code, 201);
});

test('stream samples arrive in order, each once, with their values', async (t) => {
  const r = await router(t);
  const a = await client(t, r.url, 'a');
  const b = await client(t, r.url, 'b');
  const s = collect(b, '/sensor/**');
  await fence(b);

  const samples = Array.from({ length: 50 }, (_, i) => (i % 2 ? -i * 0.125 : { x: i, y: -i, z: i / 3 }));
  for (const v of samples) a.stream('/sensor/accel', v);
  await fence(a, 'streams handled');
  await waitFor(() => s.values('/sensor/accel').length >= samples.length, 5000, 'all stream samples');
  assert.deepEqual(s.values('/sensor/accel'), samples);
  assert.ok(publishesTo(b, '/sensor/accel').every((m) => m.signal === 'stream'));
});

test('gesture phases arrive in order with id, phase and payload', async (t) => {
  const r = await router(t);
  const a = await client(t, r.url, 'a');
  const b = await client(t, r.url, 'b');
  const g = collect(b, '/input/**');
  await fence(b);

  a.gesture('/input/touch/0', 7, 'start', { x: 100, y: 200 });
  a.gesture('/input/touch/0', 7, 'move', { x: 105, y: 210, pressure: 0.8 });
  a.gesture('/input/touch/0', 7, 'end', { x: 110, y: 220 });
  a.gesture('/input/touch/1', 8, 'cancel');
  await waitFor(() => g.values('/input/touch/1').length === 1, 5000, 'the cancelled gesture');
  assert.deepEqual(g.values('/input/touch/0'), [
    { x: 100, y: 200, phase: 'start', gestureId: 7 },
    { x: 105, y: 210, pressure: 0.8, phase: 'move', gestureId: 7 },
    { x: 110, y: 220, phase: 'end', gestureId: 7 },
  ]);
  assert.deepEqual(g.values('/input/touch/1'), [{ phase: 'cancel', gestureId: 8 }]);
  assert.ok(publishesTo(b, '/input/touch/0').every((m) => m.signal === 'gesture'));
});

test('timeline is delivered as a timeline PUBLISH with its start time', async (t) => {
  const r = await router(t);
  const a = await client(t, r.url, 'a');
  const b = await client(t, r.url, 'b');
  const tl = collect(b, '/tl/**');
  await fence(b);

  const start = 1_700_000_000_000_000;
  a.timeline('/tl/fade', [{ time: 0, value: 0 }, { time: 1_000_000, value: 1 }], { startTime: start, loop: true });
  await waitFor(() => tl.items.length === 1, 5000, 'the timeline PUBLISH');
  const [m] = publishesTo(b, '/tl/fade');
  assert.equal(m.signal, 'timeline');
  assert.equal(m.timestamp, start, 'start time (PUBLISH timestamp) round-trips');
  // @clasp-to/core 3.3.2 encodes neither keyframes nor loop (encodePublish has
  // no field for them), so the subscriber's value is null.
  assert.equal(tl.items[0].value, null);
});

test('bundle: its SETs and events are applied together, in order, with one ACK', async (t) => {
  const r = await router(t);
  const a = await client(t, r.url, 'a');
  const b = await client(t, r.url, 'b');
  const sub = collect(b, '/scene/**');
  await fence(b);

  a.bundle([
    { set: ['/scene/a', 1] },
    { set: ['/scene/b', 'two'] },
    { emit: ['/scene/go', { cue: 3 }] },
    { set: ['/scene/a', 4] },
  ]);
  await waitFor(() => sub.items.length === 4, 5000, 'four bundle members at the subscriber');
  assert.deepEqual(sub.items.map((i) => [i.address, i.value]),
                   [['/scene/a', 1], ['/scene/b', 'two'], ['/scene/go', { cue: 3 }], ['/scene/a', 4]]);
  const revs = setsTo(b, '/scene/a').map((m) => m.revision);
  assert.equal(revs.length, 2, 'both SETs to /scene/a arrive');
  assert.ok(Number.isSafeInteger(revs[0]), `revision ${revs[0]} is exact as a JS Number`);
  assert.equal(revs[1], revs[0] + 1, 'two SETs to one address in a bundle get consecutive revisions');
  await fence(a);
  assert.deepEqual(errors(a), []);
  assert.equal(a.received.filter((m) => m.type === 'ACK').length, 1, 'one ACK for the committed bundle');
  const fresh = await client(t, r.url, 'fresh');
  assert.equal(await fresh.get('/scene/a'), 4);
  assert.equal(await fresh.get('/scene/b'), 'two');
});

test('bundle is all or nothing: one invalid member refuses the whole bundle', async (t) => {
  const r = await router(t);
  const a = await client(t, r.url, 'a');
  const b = await client(t, r.url, 'b');
  const sub = collect(b, '/atomic/**');
  await fence(b);

  a.bundle([{ set: ['/atomic/x', 1] }, { set: ['no-slash', 2] }, { emit: ['/atomic/ev', 1] }]);
  const err = await waitFor(() => a.getLastError(), 5000, 'ERROR for the refused bundle');
  assert.equal(err.code, 200, `invalid address inside a bundle (message: ${err.message})`);
  a.set('/atomic/after', true);
  await waitFor(() => sub.values('/atomic/after').length === 1, 5000, 'a later SET');
  assert.deepEqual(sub.items.map((i) => i.address), ['/atomic/after'], 'nothing from the refused bundle');
});

test('errors: invalid address gives ERROR 200, bad pattern 202, and the session keeps working', async (t) => {
  const r = await router(t);
  const a = await client(t, r.url, 'a');
  const b = await client(t, r.url, 'b');
  const watch = collect(b, '/**');
  await fence(b);

  a.set('no-slash', 1);
  const e1 = await waitFor(() => a.getLastError(), 5000, 'ERROR for SET of an invalid address');
  assert.equal(e1.code, 200, `SET no-slash (message: ${e1.message})`);
  assert.equal(e1.address, 'no-slash');

  a.clearError();
  a.emit('also bad', 1);
  const e2 = await waitFor(() => a.getLastError(), 5000, 'ERROR for emit to an invalid address');
  assert.equal(e2.code, 200, `emit 'also bad' (message: ${e2.message})`);

  a.clearError();
  a.on('/bad/**x', () => {});
  const e3 = await waitFor(() => a.getLastError(), 5000, 'ERROR for a bad pattern');
  assert.equal(e3.code, 202, `subscribe /bad/**x (message: ${e3.message})`);

  a.set('/ok', 'still here');
  await waitFor(() => watch.values('/ok').length === 1, 5000, 'a valid SET after the errors');
  assert.equal(a.connected, true, 'the connection stayed open');
  assert.equal(watch.items.length, 1, 'the invalid messages reached nobody');
  assert.equal(b.getLastError(), null, 'the other session saw no error');
});
