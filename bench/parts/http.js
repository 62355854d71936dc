// Part 1: the agent against bare node:http, Fastify and Express, measured in one run.
//
// Every server runs as a child of this process, listening on '::' (dual stack, as a default install
// does); autocannon runs here, in the same process tree, and sends to 127.0.0.1, so each server sees
// the socket peer '::ffff:127.0.0.1'. Rounds are interleaved (A B C D A B C D ...) after one thrown-away
// warm-up round per server, so slow drift of the machine (thermal, noisy neighbours) spreads over all
// servers instead of favouring whichever ran first. start(), stop(), round() and takeLogLines() are shared
// with the Redis part (parts/redis.js).
import { spawn } from 'node:child_process';
import { openSync, closeSync, ftruncateSync, mkdtempSync, readSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { makePool, PATH, TRUST } from '../lib/pool.js';
import { machineCpu, processCpu } from '../lib/cpu.js';
import { LatencyHistogram, median, summarizeRounds } from '../lib/stats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AGENT = join(ROOT, 'dist/server.js');
const SERVERS_DIR = join(ROOT, 'bench/servers');

// The agent answers 404 on paths it does not serve, so every server is measured on /health/live. That
// path is rate-limit exempt by default; exempting '/none' instead keeps the limiter on the request path.
const AGENT_ARGS = ['--host', '::', '--trust-proxy', TRUST, '--rate-limit-capacity', '1000000000', '--rate-limit-refill', '1000000000', '--rate-limit-exempt', '/none'];

/** The servers, in the order their rounds run. `logs`: whether one line per request is expected. */
export function serverList(mode) {
  const list = [
    { name: 'bare', what: 'node:http, 200 + small JSON body, nothing else', script: join(SERVERS_DIR, 'bare.js'), args: [], logs: false },
    {
      name: 'bare-headers',
      what: "node:http sending the agent's five response headers, nothing else",
      script: join(SERVERS_DIR, 'bare-headers.js'),
      args: [],
      logs: false,
    },
    { name: 'agent', what: 'trust + limiter + one log line per request', script: AGENT, args: [...AGENT_ARGS, '--log-level', 'info'], logs: true },
    { name: 'agent-warn', what: 'trust + limiter, logging at warn', script: AGENT, args: [...AGENT_ARGS, '--log-level', 'warn'], logs: false },
    { name: 'agent-nolimit', what: 'trust + log line, limiter off', script: AGENT, args: [...AGENT_ARGS, '--log-level', 'info', '--no-rate-limit'], logs: true },
    { name: 'agent-warn-nolimit', what: 'trust only (warn, limiter off)', script: AGENT, args: [...AGENT_ARGS, '--log-level', 'warn', '--no-rate-limit'], logs: false },
    { name: 'fastify', what: 'trustProxy + @fastify/rate-limit + one log line per request', script: join(SERVERS_DIR, 'fastify.js'), args: ['--host', '::', '--trust-proxy', TRUST], logs: true },
    { name: 'express', what: "'trust proxy' + express-rate-limit + pino-http", script: join(SERVERS_DIR, 'express.js'), args: ['--host', '::', '--trust-proxy', TRUST], logs: true },
  ];
  if (mode === 'full') {
    list.push({ name: 'fastify-2-lines', what: "as fastify, with Fastify's own two lines per request", script: join(SERVERS_DIR, 'fastify.js'), args: ['--host', '::', '--trust-proxy', TRUST, '--default-request-log'], logs: true, linesPerRequest: 2 });
  }
  return list;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '::', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function getOnce(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(1000, () => req.destroy());
    req.end();
  });
}

export async function start(server, dir) {
  const port = await freePort();
  const logFile = join(dir, `${server.name}.log`);
  const child = spawn(process.execPath, [server.script, ...server.args, '--port', String(port), '--log-file', logFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH, NODE_ENV: 'production' },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = false;
  child.once('exit', () => (exited = true));
  // Up to 10 s (200 polls) for it to answer.
  for (let i = 0; i < 200; i++) {
    if (exited) throw new Error(`${server.name} exited before listening: ${stderr}`);
    if ((await getOnce(port)) === 200) return { ...server, port, logFile, child, stderr: () => stderr, requests: 1, lines: 0 };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${server.name} did not answer 200 on ${PATH} within 10 s: ${stderr}`);
}

export function stop(running) {
  return new Promise((resolve) => {
    if (running.child.exitCode !== null || running.child.signalCode !== null) return resolve();
    const force = setTimeout(() => running.child.kill('SIGKILL'), 5000);
    running.child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    running.child.kill('SIGTERM');
  });
}

/** Counts the log lines written since the last call and empties the file (it is opened for append). */
export function takeLogLines(file) {
  let size;
  try {
    size = statSync(file).size;
  } catch {
    return 0;
  }
  const fd = openSync(file, 'r+');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    let lines = 0;
    for (let at = 0; at < size; ) {
      const n = readSync(fd, chunk, 0, chunk.length, at);
      if (n === 0) break;
      for (let i = 0; i < n; i++) if (chunk[i] === 10) lines++;
      at += n;
    }
    ftruncateSync(fd, 0);
    return lines;
  } finally {
    closeSync(fd);
  }
}

/** One bounded autocannon run: stops at `seconds` or after `maxRequests`, whichever comes first. */
export function round(port, requests, { connections, seconds, maxRequests }) {
  return new Promise((resolve, reject) => {
    const latency = new LatencyHistogram();
    let started = 0;
    let lastResponse = 0;
    let responses = 0;
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections,
        pipelining: 1,
        duration: seconds,
        maxOverallRequests: Math.max(maxRequests, connections),
        requests,
        timeout: 10,
        // autocannon notices that a run is over at its next sample tick; tick often so rounds end promptly.
        sampleInt: 250,
      },
      (err, result) => {
        clearTimeout(watchdog);
        if (err) return reject(err);
        // Up to the last response: the tail after it (autocannon noticing the end) is not load.
        const elapsed = (lastResponse - started) / 1000;
        resolve({
          rps: responses / elapsed,
          responses,
          p50: latency.quantile(0.5),
          p99: latency.quantile(0.99),
          errors: result.errors + result.timeouts,
          non2xx: result.non2xx,
        });
      },
    );
    instance.on('start', () => (started = performance.now()));
    instance.on('response', (client, statusCode, bytes, ms) => {
      responses++;
      lastResponse = performance.now();
      latency.record(ms);
    });
    // autocannon checks its stop flag once a second; if anything hangs, stop it from outside.
    const watchdog = setTimeout(() => instance.stop(), (seconds + 15) * 1000);
  });
}

export async function run(mode, settings, log = () => {}) {
  const pool = makePool(1000);
  const requests = pool.map((p) => ({ method: 'GET', path: PATH, headers: { 'x-forwarded-for': p.xff } }));
  const dir = mkdtempSync(join(tmpdir(), 'bench-http-'));
  const servers = [];
  try {
    for (const server of serverList(mode)) {
      servers.push(await start(server, dir));
      log(`started ${server.name}`);
    }
    const warm = { connections: settings.connections, seconds: settings.warmupSeconds, maxRequests: settings.warmupRequests };
    for (const s of servers) {
      const r = await round(s.port, requests, warm);
      s.requests += r.responses;
      s.lines += takeLogLines(s.logFile);
      log(`warm-up ${s.name}: ${Math.round(r.rps)} req/s (thrown away)`);
    }
    const rounds = Object.fromEntries(servers.map((s) => [s.name, []]));
    const load = { connections: settings.connections, seconds: settings.roundSeconds, maxRequests: settings.roundRequests };
    for (let i = 0; i < settings.rounds; i++) {
      for (const s of servers) {
        const cpu0 = { server: processCpu(s.child.pid), self: processCpu(process.pid), machine: machineCpu() };
        const r = await round(s.port, requests, load);
        const cpu1 = { server: processCpu(s.child.pid), self: processCpu(process.pid), machine: machineCpu() };
        if (cpu0.server && cpu1.server && cpu0.self && cpu1.self && cpu0.machine && cpu1.machine) {
          const server = cpu1.server.user + cpu1.server.system - cpu0.server.user - cpu0.server.system;
          const self = cpu1.self.user + cpu1.self.system - cpu0.self.user - cpu0.self.system;
          const busy = cpu1.machine.busy - cpu0.machine.busy;
          const total = cpu1.machine.total - cpu0.machine.total;
          r.serverCpuUs = (server * 1000) / r.responses;
          // Busy time that was neither this process (the load generator) nor the server under test.
          r.foreignCpu = Math.max(0, busy - server - self) / total;
        }
        s.requests += r.responses;
        // Let the server's asynchronous log writer catch up before counting its lines.
        await new Promise((res) => setTimeout(res, 100));
        s.lines += takeLogLines(s.logFile);
        rounds[s.name].push(r);
        log(`round ${i + 1}/${settings.rounds} ${s.name}: ${Math.round(r.rps)} req/s`);
      }
    }
    await Promise.all(servers.map(stop));
    const rows = servers.map((s) => {
      const rs = rounds[s.name];
      // Ratios against bare's rounds in the same passes, for the spread.
      const summary = summarizeRounds(rs, rounds.bare);
      const lines = s.lines + takeLogLines(s.logFile);
      return {
        name: s.name,
        what: s.what,
        ...summary,
        linesPerRequest: lines / s.requests,
        serverCpuUs: median(rs.map((r) => r.serverCpuUs ?? NaN)),
      };
    });
    const foreign = Object.values(rounds).flat().map((r) => r.foreignCpu ?? NaN);
    return { settings, poolSize: pool.length, rows, foreignCpuMedian: median(foreign), foreignCpuMax: Math.max(...foreign) };
  } finally {
    await Promise.all(servers.map(stop));
    rmSync(dir, { recursive: true, force: true });
  }
}
