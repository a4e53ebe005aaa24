// The official JS client (@clasp-to/core) across a federation: a hub and two
// leaves (site-a owns /site-a/**, site-b owns /site-b/**), one client per router.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  router, client, collect, fence, acked, setsTo, publishesTo, errors, httpJson, waitFor,
} = require('./support');
const { VALUES, mismatches } = require('./values');

function leafArgs(hubPort, id, namespace) {
  return ['--federation-mode', 'leaf', '--federation-hub', `ws://127.0.0.1:${hubPort}`,
          '--federation-namespaces', namespace, '--federation-id', id,
          '--federation-reconnect-delay-ms', '200'];
}

// Polls GET at one router until the address has a value there (ERROR 201 or the
// client's own timeout mean "not yet"); resolves with the value.
async function readWhenThere(c, address, timeoutMs = 5000) {
  const got = await waitFor(async () => {
    c.clearError();
    const noValue = waitFor(() => c.getLastError(), 1000, 'GET reply').then(() => null, () => null);
    try {
      const v = await Promise.race([c.get(address), noValue]);
      return v === null && c.getLastError() ? null : { v };
    } catch {
      return null;
    }
  }, timeoutMs, `${address} readable`);
  return got.v;
}

// Hub plus both leaves, all links Active and each leaf told what the other owns
// (GET /federation/peers), then a probe SET at site A readable at site B.
async function federation(t) {
  const hub = await router(t, ['--features', 'federation', '--federation-id', 'hub']);
  const a = await router(t, leafArgs(hub.port, 'site-a', '/site-a/**'));
  const b = await router(t, leafArgs(hub.port, 'site-b', '/site-b/**'));
  let last = null;
  const linked = (peers, id, ns) => peers.some((p) => p.router_id === id && p.state === 'Active' &&
                                                    (!ns || (p.namespaces || []).includes(ns)));
  try {
    await waitFor(async () => {
      last = {
        hub: await httpJson(hub.port, '/federation/peers'),
        a: await httpJson(a.port, '/federation/peers'),
        b: await httpJson(b.port, '/federation/peers'),
      };
      return linked(last.hub, 'site-a', '/site-a/**') && linked(last.hub, 'site-b', '/site-b/**') &&
             linked(last.a, 'hub', '/site-b/**') && linked(last.b, 'hub', '/site-a/**');
    }, 10000, 'setup: all federation links Active with the remote namespaces declared', 25);
  } catch (e) {
    e.message += `\nlast /federation/peers: ${JSON.stringify(last)}`;
    throw e;
  }
  const probeA = await client(t, a.url, 'probe-a');
  const probeB = await client(t, b.url, 'probe-b');
  probeA.set('/site-a/probe', 'ready');
  await acked(probeA, '/site-a/probe');
  try {
    assert.equal(await readWhenThere(probeB, '/site-a/probe'), 'ready');
  } catch (e) {
    e.message = `setup: a SET at site A never became readable at site B: ${e.message}`;
    throw e;
  }
  probeA.close();
  probeB.close();
  return { hub, a, b };
}

test('a SET at site A reaches clients at the hub and at site B exactly once', async (t) => {
  const { hub, a, b } = await federation(t);
  const ca = await client(t, a.url, 'client-a');
  const ch = await client(t, hub.url, 'client-hub');
  const cb = await client(t, b.url, 'client-b');
  const atA = collect(ca, '/site-a/**');
  const atHub = collect(ch, '/site-a/**');
  const atB = collect(cb, '/site-a/lights/**');
  await Promise.all([fence(ca), fence(ch), fence(cb)]);

  ca.set('/site-a/lights/1/brightness', 0.8);
  const ack = await acked(ca, '/site-a/lights/1/brightness');
  await waitFor(() => atHub.values('/site-a/lights/1/brightness').length &&
                      atB.values('/site-a/lights/1/brightness').length, 5000,
                'the SET at the hub client and at the site B client');

  // A second SET from the same writer is the fence: once it has arrived, any
  // duplicate of the first (sent before it on the same links) has arrived too.
  ca.set('/site-a/lights/fence', 1);
  await waitFor(() => atHub.values('/site-a/lights/fence').length && atB.values('/site-a/lights/fence').length,
                5000, 'the fence SET at the hub and site B clients');

  for (const [where, c, sub] of [['site A', ca, atA], ['hub', ch, atHub], ['site B', cb, atB]]) {
    assert.deepEqual(sub.values('/site-a/lights/1/brightness'), [0.8], `value seen once at ${where}`);
    const sets = setsTo(c, '/site-a/lights/1/brightness');
    assert.equal(sets.length, 1, `one SET frame at ${where}`);
    assert.equal(sets[0].revision, ack.revision, `revision at ${where} is the owner's (site A's ACK)`);
    assert.deepEqual(errors(c), [], `no ERROR at ${where}`);
  }
});

test('a late client at site B gets site A\'s state from B\'s replica', async (t) => {
  const { a, b } = await federation(t);
  const ca = await client(t, a.url, 'client-a');
  collect(ca, '/site-a/**');
  await fence(ca);
  ca.set('/site-a/scene', { name: 'evening', level: 0.25 });
  await acked(ca, '/site-a/scene');
  assert.deepEqual(setsTo(ca, '/site-a/scene').map((m) => m.value), [{ name: 'evening', level: 0.25 }]);

  const cb = await client(t, b.url, 'client-b');
  const value = await readWhenThere(cb, '/site-a/scene');
  assert.deepEqual(value, { name: 'evening', level: 0.25 });
});

test('a SET at site B on /site-a/... is written to the owner (site A) and seen everywhere', async (t) => {
  const { hub, a, b } = await federation(t);
  const ca = await client(t, a.url, 'client-a');
  const ch = await client(t, hub.url, 'client-hub');
  const cb = await client(t, b.url, 'client-b');
  const atA = collect(ca, '/site-a/**');
  const atHub = collect(ch, '/site-a/**');
  const atB = collect(cb, '/site-a/**');
  await Promise.all([fence(ca), fence(ch), fence(cb)]);

  cb.set('/site-a/lights/2/color', 'red');
  await waitFor(() => atA.values('/site-a/lights/2/color').length, 5000, 'the write from site B at site A');
  const ack = await acked(cb, '/site-a/lights/2/color');
  await waitFor(() => atHub.values('/site-a/lights/2/color').length && atB.values('/site-a/lights/2/color').length,
                5000, 'the owner\'s SET back at the hub and at site B');

  ca.set('/site-a/lights/fence', 1);
  await waitFor(() => atHub.values('/site-a/lights/fence').length && atB.values('/site-a/lights/fence').length,
                5000, 'the fence SET at the hub and site B');
  for (const [where, c, sub] of [['site A', ca, atA], ['hub', ch, atHub], ['site B', cb, atB]]) {
    assert.deepEqual(sub.values('/site-a/lights/2/color'), ['red'], `value seen once at ${where}`);
    const sets = setsTo(c, '/site-a/lights/2/color');
    assert.equal(sets.length, 1, `one SET frame at ${where}`);
    assert.equal(sets[0].revision, ack.revision, `revision at ${where} matches the ACK site B got`);
    assert.deepEqual(errors(c), [], `no ERROR at ${where}`);
  }
  // The owner holds the value: a fresh client at A reads it.
  const fresh = await client(t, a.url, 'fresh-a');
  assert.equal(await fresh.get('/site-a/lights/2/color'), 'red');
});

test('an event emitted at site B on /site-a/ev reaches a subscriber at site A once', async (t) => {
  const { a, b } = await federation(t);
  const ca = await client(t, a.url, 'client-a');
  const cb = await client(t, b.url, 'client-b');
  const atA = collect(ca, '/site-a/**');
  await fence(ca);

  cb.emit('/site-a/ev', { cue: 'go', n: 1 });
  await waitFor(() => atA.values('/site-a/ev').length, 5000, 'the event at site A');
  cb.emit('/site-a/ev-fence', null);
  await waitFor(() => atA.values('/site-a/ev-fence').length, 5000, 'the fence event at site A');

  assert.deepEqual(atA.values('/site-a/ev'), [{ cue: 'go', n: 1 }], 'payload, once');
  const pubs = publishesTo(ca, '/site-a/ev');
  assert.equal(pubs.length, 1, 'one PUBLISH frame at site A');
  assert.equal(pubs[0].signal, 'event');
  assert.deepEqual(errors(cb), [], 'no ERROR at site B');
});

test('values of every JS type cross the federation unchanged (A -> hub -> B, and B -> owner A)', async (t) => {
  const { hub, a, b } = await federation(t);
  const ca = await client(t, a.url, 'client-a');
  const ch = await client(t, hub.url, 'client-hub');
  const cb = await client(t, b.url, 'client-b');
  const atA = collect(ca, '/site-a/**');
  const atHub = collect(ch, '/site-a/types/**');
  const atB = collect(cb, '/site-a/types/**');
  await Promise.all([fence(ca), fence(ch), fence(cb)]);

  const keys = Object.keys(VALUES);
  for (const k of keys) ca.set(`/site-a/types/${k}`, VALUES[k]);
  // Written at B, applied by the owner A, fanned back out.
  for (const k of keys) cb.set(`/site-a/fromb/${k}`, VALUES[k]);
  const all = (sub, prefix) => keys.every((k) => sub.values(`${prefix}${k}`).length > 0);
  await waitFor(() => all(atHub, '/site-a/types/') && all(atB, '/site-a/types/') && all(atA, '/site-a/fromb/'),
                5000, 'every value at the hub and site B, and every write from B at site A');
  const seen = (sub, prefix) => Object.fromEntries(keys.map((k) => [k, sub.values(`${prefix}${k}`)[0]]));
  const problems = [
    ...mismatches('A -> hub', VALUES, seen(atHub, '/site-a/types/')),
    ...mismatches('A -> B', VALUES, seen(atB, '/site-a/types/')),
    ...mismatches('B -> owner A', VALUES, seen(atA, '/site-a/fromb/')),
  ];
  assert.deepEqual(problems, [], `values changed across the federation:\n  ${problems.join('\n  ')}`);
  assert.deepEqual([...errors(ca), ...errors(cb)], [], 'no ERROR at the writers');
});
