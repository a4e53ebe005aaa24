// Helpers for router interop tests with the official JS client: a connected
// Clasp client, and bounded waits on conditions (no sleeps as synchronisation).
'use strict';

const { Clasp } = require('@clasp-to/core');

// Node 20 has no global WebSocket; the client constructs `new WebSocket(url, "clasp")`.
function installWebSocket() {
  if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = require('ws');
}

// Resolves with a Clasp client that has received WELCOME. opts are Clasp options
// (name, features, token, ...) plus timeoutMs; auto-reconnect is off unless asked for.
async function connect(url, opts = {}) {
  installWebSocket();
  const { timeoutMs = 5000, ...options } = opts;
  const client = new Clasp(url, { reconnect: false, ...options });
  await client.connect(timeoutMs);
  return client;
}

// Resolves with the predicate's first truthy result; rejects after timeoutMs.
// The predicate may be async. `what` names the condition in the timeout error.
async function waitFor(predicate, timeoutMs = 5000, what = 'condition', intervalMs = 5) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await predicate();
    if (result) return result;
    if (Date.now() >= deadline) throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

module.exports = { connect, waitFor, installWebSocket };
