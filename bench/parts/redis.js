// Part 5: the rate limiter's Redis store against the in-process (memory) store, with one and two agents.
//
// A real redis-server (test/helpers/redis.js: free loopback port, no persistence, its own temp dir) and
// four agents (dist/server.js as in the HTTP part: trust list, limiter on with capacity and refill 10^9 so
// nothing is refused, '/health/live' not exempt, one log line per request to a file): two with the memory
// store, two with --rate-limit-redis pointing at that one Redis. The rows:
//
//   memory, 1 agent    load on memory agent A
//   redis, 1 agent     load on redis agent A
//   memory, 2 agents   load on memory agents A and B at once: two autocannon instances, half the
//                      connections each; req/s summed, p50/p99 the worse of the two
//   redis, 2 agents    the same on the two redis agents, which spend from the same buckets in Redis
//
// The 1-agent rows reuse agent A of their pair (agent B idles), so every row measures the same processes.
// Rounds are interleaved after one thrown-away warm-up round per row, as in the HTTP part. Before each
// Redis round the database is emptied; right after it, Redis is asked how many keys it holds and how many
// times it ran the take script, so the report can show that the store was really used (an agent whose
// store is down serves unlimited, it does not fail requests: only Redis's own counters tell).
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable } from '../../test/helpers/proxy.js';
import { REDIS_SERVER, startRedis } from '../../test/helpers/redis.js';
import { machineCpu, processCpu } from '../lib/cpu.js';
import { makePool, PATH, TRUST } from '../lib/pool.js';
import { median, summarizeRounds } from '../lib/stats.js';
import { round, start, stop, takeLogLines } from './http.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AGENT = join(ROOT, 'dist/server.js');
const AGENT_ARGS = ['--host', '::', '--trust-proxy', TRUST, '--rate-limit-capacity', '1000000000', '--rate-limit-refill', '1000000000', '--rate-limit-exempt', '/none', '--log-level', 'info'];

/**
 * One command to the Redis on 127.0.0.1:`port` over a fresh connection, in RESP. Resolves with the reply:
 * a number (integer), a string (simple or bulk), null (nil); rejects on an error reply or after `ms`.
 */
export function redisCommand(port, args, ms = 2000) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = Buffer.alloc(0);
    const done = (err, value) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => done(new Error(`Redis on ${port} did not answer ${args[0]} within ${ms} ms`)), ms);
    socket.once('connect', () => {
      const parts = args.map((a) => String(a));
      socket.write(`*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`);
    });
    socket.on('data', (d) => {
      reply = Buffer.concat([reply, d]);
      const eol = reply.indexOf('\r\n');
      if (eol < 0) return;
      const head = reply.toString('latin1', 1, eol);
      switch (String.fromCharCode(reply[0])) {
        case '+':
          return done(null, head);
        case ':':
          return done(null, Number(head));
        case '-':
          return done(new Error(`Redis answered ${args[0]} with an error: ${head}`));
        case '$': {
          const length = Number(head);
          if (length < 0) return done(null, null);
          if (reply.length < eol + 2 + length + 2) return; // more to come
          return done(null, reply.toString('utf8', eol + 2, eol + 2 + length));
        }
        default:
          return done(new Error(`unexpected reply to ${args[0]}: ${reply.toString('latin1', 0, 80)}`));
      }
    });
    socket.once('error', (err) => done(err));
  });
}

/** How many times Redis has run a script (EVALSHA, or EVAL after a NOSCRIPT), from INFO commandstats. */
async function scriptCalls(port) {
  const info = await redisCommand(port, ['INFO', 'commandstats']);
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(m[1]);
  return calls;
}

/** GET /health/ready until the agent says its store is connected ({"status":"ready"}); up to 10 s. */
async function waitStoreReady(agent) {
  let last = '';
  for (let i = 0; i < 200; i++) {
    last = await new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port: agent.port, path: '/health/ready', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      });
      req.on('error', (err) => resolve(`error ${err.message}`));
      req.setTimeout(1000, () => req.destroy());
      req.end();
    });
    agent.requests++;
    if (last === '200 {"status":"ready"}') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${agent.name}: the Redis store did not become ready within 10 s (last /health/ready: ${last}); stderr: ${agent.stderr()}`);
}

/** Runs one round on every agent of `row` at once, splitting the connections and the request cap. */
async function rowRound(row, requests, { connections, seconds, maxRequests }) {
  const n = row.agents.length;
  const each = { connections: Math.max(1, Math.floor(connections / n)), seconds, maxRequests: Math.ceil(maxRequests / n) };
  const results = await Promise.all(row.agents.map((a) => round(a.port, requests, each)));
  row.agents.forEach((a, i) => (a.requests += results[i].responses));
  return {
    rps: results.reduce((s, r) => s + r.rps, 0),
    responses: results.reduce((s, r) => s + r.responses, 0),
    // The worse of the agents: a client behind the load balancer sees both.
    p50: Math.max(...results.map((r) => r.p50)),
    p99: Math.max(...results.map((r) => r.p99)),
    errors: results.reduce((s, r) => s + r.errors, 0),
    non2xx: results.reduce((s, r) => s + r.non2xx, 0),
  };
}

const cpuOf = (pids) => {
  let total = 0;
  for (const pid of pids) {
    const c = processCpu(pid);
    if (c === null) return null;
    total += c.user + c.system;
  }
  return total;
};

export async function run(mode, settings, log = () => {}) {
  const redisPath = findExecutable(REDIS_SERVER.paths);
  if (redisPath === null) {
    const reason = `${REDIS_SERVER.name} not installed (looked for ${REDIS_SERVER.paths.join(', ')}; ${REDIS_SERVER.install})`;
    const banner = `!!! SKIPPED: the Redis part needs a real redis-server: ${reason}`;
    log(`\n${'!'.repeat(Math.min(banner.length, 100))}\n${banner}\n${'!'.repeat(Math.min(banner.length, 100))}`);
    return { settings, skipped: reason };
  }

  const pool = makePool(1000);
  const requests = pool.map((p) => ({ method: 'GET', path: PATH, headers: { 'x-forwarded-for': p.xff } }));
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const agents = [];
  let redis = null;
  // redis-server runs in its own process group, out of reach of a Ctrl-C in the terminal: on a signal,
  // kill the agents and exit, which runs test/helpers/proxy.js's exit hook that kills redis-server.
  const onSignal = () => {
    for (const a of agents) a.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    redis = await startRedis();
    const redisVersion = /^redis_version:(\S+)/m.exec(await redisCommand(redis.port, ['INFO', 'server']))?.[1] ?? 'unknown';
    log(`redis-server ${redisVersion} on 127.0.0.1:${redis.port}`);
    const agent = async (name, extra) => {
      const a = await start({ name, script: AGENT, args: [...AGENT_ARGS, ...extra] }, dir);
      agents.push(a);
      if (extra.length > 0) await waitStoreReady(a);
      log(`started ${name}`);
      return a;
    };
    const memA = await agent('memory-a', []);
    const memB = await agent('memory-b', []);
    const redisArgs = ['--rate-limit-redis', redis.url];
    const redA = await agent('redis-a', redisArgs);
    const redB = await agent('redis-b', redisArgs);
    const redisPid = redis.pid;

    const rows = [
      { name: 'memory, 1 agent', store: 'memory', agents: [memA] },
      { name: 'redis, 1 agent', store: 'redis', agents: [redA] },
      { name: 'memory, 2 agents', store: 'memory', agents: [memA, memB] },
      { name: 'redis, 2 agents', store: 'redis', agents: [redA, redB] },
    ];
    for (const row of rows) row.rounds = [];

    const logStats = { lines: 0, requests: 0 };
    // Counts and empties the agents' log files between rounds (so they stay small). Lines still in an
    // agent's asynchronous writer are counted next time; the total is complete once the agents stop.
    const drainLogs = () => {
      for (const a of agents) a.lines += takeLogLines(a.logFile);
    };

    const warm = { connections: settings.connections, seconds: settings.warmupSeconds, maxRequests: settings.warmupRequests };
    for (const row of rows) {
      const r = await rowRound(row, requests, warm);
      drainLogs();
      log(`warm-up ${row.name}: ${Math.round(r.rps)} req/s (thrown away)`);
    }

    const load = { connections: settings.connections, seconds: settings.roundSeconds, maxRequests: settings.roundRequests };
    for (let i = 0; i < settings.rounds; i++) {
      for (const row of rows) {
        const isRedis = row.store === 'redis';
        if (isRedis) await redisCommand(redis.port, ['FLUSHDB']);
        const calls0 = isRedis ? await scriptCalls(redis.port) : 0;
        const pids = row.agents.map((a) => a.child.pid);
        const cpu0 = { agents: cpuOf(pids), redis: cpuOf([redisPid]), self: cpuOf([process.pid]), machine: machineCpu() };
        const r = await rowRound(row, requests, load);
        const cpu1 = { agents: cpuOf(pids), redis: cpuOf([redisPid]), self: cpuOf([process.pid]), machine: machineCpu() };
        if (isRedis) {
          // Right away: with a refill of 10^9 tokens/s a bucket is full again at once, so each key expires
          // about a second after its last take.
          r.keys = await redisCommand(redis.port, ['DBSIZE']);
          r.scriptCalls = (await scriptCalls(redis.port)) - calls0;
        }
        if (cpu0.agents !== null && cpu1.agents !== null && cpu0.redis !== null && cpu1.redis !== null && cpu0.self !== null && cpu1.self !== null && cpu0.machine && cpu1.machine) {
          const agentsMs = cpu1.agents - cpu0.agents;
          const redisMs = cpu1.redis - cpu0.redis;
          const selfMs = cpu1.self - cpu0.self;
          r.agentCpuUs = (agentsMs * 1000) / r.responses;
          r.redisCpuUs = (redisMs * 1000) / r.responses;
          const busy = cpu1.machine.busy - cpu0.machine.busy;
          const total = cpu1.machine.total - cpu0.machine.total;
          // Busy time used by neither the load generator, nor the agents of this row, nor Redis.
          r.foreignCpu = Math.max(0, busy - agentsMs - (isRedis ? redisMs : 0) - selfMs) / total;
        }
        drainLogs();
        row.rounds.push(r);
        const extra = isRedis ? `, ${r.keys} keys, ${r.scriptCalls} takes in Redis` : '';
        log(`round ${i + 1}/${settings.rounds} ${row.name}: ${Math.round(r.rps)} req/s${extra}`);
      }
    }
    const warnings = [];
    for (const a of agents) {
      const text = a.stderr();
      if (text.trim() !== '') warnings.push(`${a.name} stderr: ${text.trim().slice(0, 300)}`);
    }
    await Promise.all(agents.map(stop));
    for (const a of agents) a.lines += takeLogLines(a.logFile);
    for (const a of agents) {
      logStats.lines += a.lines;
      logStats.requests += a.requests;
    }

    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    const out = rows.map((row) => {
      const rs = row.rounds;
      const base = byName[row.name.replace(/^redis/, 'memory')];
      const redisRow = row.store === 'redis';
      const summary = summarizeRounds(rs, base.rounds);
      return {
        name: row.name,
        store: row.store,
        agents: row.agents.length,
        ...summary,
        agentCpuUs: median(rs.map((r) => r.agentCpuUs ?? NaN)),
        redisCpuUs: redisRow ? median(rs.map((r) => r.redisCpuUs ?? NaN)) : NaN,
        // Keys right after this row's last round, and Redis's takes per response over all its rounds.
        keys: redisRow ? rs[rs.length - 1].keys : null,
        takesPerRequest: redisRow ? rs.reduce((a, r) => a + r.scriptCalls, 0) / summary.requests : null,
      };
    });
    const foreign = rows.flatMap((r) => r.rounds.map((x) => x.foreignCpu ?? NaN));
    return {
      settings,
      poolSize: pool.length,
      redisVersion,
      rows: out,
      linesPerRequest: logStats.lines / logStats.requests,
      agentWarnings: warnings,
      foreignCpuMedian: median(foreign),
      foreignCpuMax: Math.max(...foreign),
    };
  } finally {
    await Promise.all(agents.map(stop));
    if (redis !== null) await redis.stop();
    rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
