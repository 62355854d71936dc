// Starts the real agent (dist/server.js) as a child process on a free loopback port and collects its
// JSON log lines from stdout. Always stop() it, even when an assertion fails.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

export const SERVER = fileURLToPath(new URL('../../dist/server.js', import.meta.url));

export async function startAgent(args = [], env = {}) {
  const child = spawn(process.execPath, [SERVER, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, ...env },
  });
  const logs = [];
  let stderr = '';
  let buffered = '';
  const waiters = [];
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ raw: line });
      }
      for (const w of [...waiters]) w();
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  /** Resolves with the first log line matching `predicate` (waits up to `ms`). */
  const waitForLog = (predicate, ms = 5000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = logs.find(predicate);
        if (hit) {
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(timer);
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(check), 1);
        reject(new Error(`no matching log line in ${ms} ms; stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`));
      }, ms);
      waiters.push(check);
      check();
    });

  const listening = await Promise.race([
    waitForLog((l) => l.msg === 'listening'),
    exited.then(({ code }) => Promise.reject(new Error(`agent exited with ${code} before listening: ${stderr}`))),
  ]);
  return {
    child,
    port: listening.port,
    logs,
    waitForLog,
    exited,
    get stderr() {
      return stderr;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** One HTTP request; resolves with { status, headers, body, json }. */
export function get(port, path, { headers = {}, localAddress, host = '127.0.0.1', method = 'GET' } = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method, headers, localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        let json;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, body, json });
      });
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`request to ${path} timed out`)));
    req.end();
  });
}
