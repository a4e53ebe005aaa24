// Shared pieces for the router interop tests with @clasp-to/core: routers and
// clients that are torn down by the test that made them, message recording, fences.
'use strict';

const http = require('http');
const { startRouter } = require('../lib/router');
const { connect, waitFor } = require('../lib/clasp');

// The client prints every ACK (console.debug) and every ERROR (console.error);
// the tests read both from the recording instead, so keep the report readable.
console.debug = () => {};
const realConsoleError = console.error;
console.error = (...args) => {
  if (typeof args[0] === 'string' && args[0].startsWith('CLASP error')) return;
  realConsoleError(...args);
};

// Starts `clasp server` on a free loopback port; the test stops it when it ends
// (also when it fails), and fails if the router did not shut down cleanly.
async function router(t, args = []) {
  const r = await startRouter(['server', '--bind', '127.0.0.1', '--port', '0', '--no-persistence', ...args]);
  t.after(async () => {
    const { code, signal } = await r.stop();
    if (code !== 0) {
      throw new Error(`router ${args.join(' ')} exited with code ${code}, signal ${signal}` +
                      ` (crash or unclean shutdown)\n--- router output ---\n${r.output()}`);
    }
  });
  return r;
}

// A connected client whose `received` lists every message the router sent it
// after WELCOME, in arrival order (a BUNDLE is one entry; see flatten()).
async function client(t, url, name) {
  const c = await connect(url, { name });
  c.received = [];
  const handle = c.handleMessage.bind(c);
  let depth = 0;  // the client handles a BUNDLE's members by calling handleMessage again
  c.handleMessage = (m) => {
    if (depth === 0) c.received.push(m);
    depth++;
    try {
      handle(m);
    } finally {
      depth--;
    }
  };
  t.after(() => c.close());
  return c;
}

// Every received message with BUNDLE members expanded in place.
function flatten(messages) {
  const out = [];
  for (const m of messages) {
    if (m.type === 'BUNDLE') out.push(...flatten(m.messages));
    else out.push(m);
  }
  return out;
}

// Received SETs (also inside bundles and SNAPSHOTs when asked) for one address.
function setsTo(c, address) {
  return flatten(c.received).filter((m) => m.type === 'SET' && m.address === address);
}

function publishesTo(c, address) {
  return flatten(c.received).filter((m) => m.type === 'PUBLISH' && m.address === address);
}

function errors(c) {
  return c.received.filter((m) => m.type === 'ERROR');
}

// Subscribes through the public API and keeps every callback invocation.
function collect(c, pattern) {
  const items = [];
  const unsubscribe = c.on(pattern, (value, address, meta) => items.push({ value, address, meta }));
  return { items, unsubscribe, values: (address) => items.filter((i) => i.address === address).map((i) => i.value) };
}

// Round trip PING -> PONG on one session: everything the client sent before
// (SUBSCRIBE, UNSUBSCRIBE, SET, ...) has been handled by the router when it returns.
async function fence(c, what = 'PONG') {
  const pongs = () => c.received.filter((m) => m.type === 'PONG').length;
  const before = pongs();
  c.send({ type: 'PING' });
  await waitFor(() => pongs() > before, 5000, `${what} (PING round trip)`);
}

// Resolves once the router has ACKed a SET of `address` from this client
// (set() uses QoS confirm); returns the ACK.
async function acked(c, address, after = 0) {
  return waitFor(() => c.received.slice(after).find((m) => m.type === 'ACK' && m.address === address),
                 5000, `ACK for ${address}`);
}

// GET /path on a router's HTTP side, parsed as JSON.
function httpJson(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(new Error(`GET ${path}: status ${res.statusCode}, body not JSON: ${body}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

module.exports = {
  router, client, collect, fence, acked, flatten, setsTo, publishesTo, errors, httpJson, waitFor,
};
