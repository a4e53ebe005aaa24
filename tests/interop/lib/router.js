// Starts our router binary (path in env CLASP_BIN) for router interop tests and
// resolves once it prints "listening on ws://HOST:PORT" on stdout.
'use strict';

const { spawn } = require('child_process');

const READY = /listening on ws:\/\/([0-9.]+):(\d+)/;

// args: extra command-line arguments; --bind 127.0.0.1 and --port 0 are added
// unless given. opts.readyTimeoutMs bounds the wait for the ready line.
function startRouter(args = [], opts = {}) {
  const bin = opts.bin || process.env.CLASP_BIN;
  if (!bin) return Promise.reject(new Error('startRouter: set CLASP_BIN to the router binary'));
  const full = [...args];
  if (!full.includes('--bind')) full.unshift('--bind', '127.0.0.1');
  if (!full.includes('--port')) full.unshift('--port', '0');
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10000;

  const proc = spawn(bin, full, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let output = '';
  let exited = null;  // {code, signal} once the process is gone
  const exitPromise = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
    // A binary that cannot be spawned emits 'error' and never 'exit'.
    proc.on('error', () => {
      if (proc.pid === undefined && !exited) {
        exited = { code: null, signal: null };
        resolve(exited);
      }
    });
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { output += d; });

  function stop(timeoutMs = 5000) {
    if (exited) return Promise.resolve(exited);
    proc.kill('SIGTERM');
    let timer;
    const killer = new Promise((resolve) => {
      timer = setTimeout(() => {
        if (!exited) proc.kill('SIGKILL');
        resolve();
      }, timeoutMs);
    });
    return Promise.race([exitPromise, killer.then(() => exitPromise)]).finally(() => clearTimeout(timer));
  }

  return new Promise((resolve, reject) => {
    let pending = '';
    let settled = false;
    const fail = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop().finally(() => reject(new Error(`startRouter: ${why}\n--- router output ---\n${output}`)));
    };
    const timer = setTimeout(() => fail(`no ready line within ${readyTimeoutMs} ms`), readyTimeoutMs);
    proc.on('error', (e) => fail(`cannot start ${bin}: ${e.message}`));
    exitPromise.then(({ code, signal }) => fail(`router exited early (code ${code}, signal ${signal})`));
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (d) => {
      output += d;
      if (settled) return;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        const m = READY.exec(line);
        if (m) {
          settled = true;
          clearTimeout(timer);
          const port = Number(m[2]);
          resolve({ url: `ws://${m[1]}:${port}`, port, proc, stop, output: () => output });
          return;
        }
      }
    });
  });
}

module.exports = { startRouter };
