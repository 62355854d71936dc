// Several agents sharing one real Redis (Debian's redis-server on a free loopback port): one limit for
// all of them, Redis going away and coming back, and start-up without Redis, in both store-error modes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { get, startAgent } from '../helpers/agent.js';
import { freePort } from '../helpers/proxy.js';
import { requireRedis, startRedis } from '../helpers/redis.js';

const shared = suite('agents sharing Redis');
const { test } = requireRedis(shared);

const CLIENT = '127.0.0.40';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const agentArgs = (url, ...more) => ['--rate-limit-redis', url, '--trust-proxy', 'false', '--diagnostics', ...more];

/** Polls `fn` until it returns true or `ms` pass. */
async function eventually(fn, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(100);
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}

test('two agents on one Redis enforce one limit together', async () => {
  const redis = await startRedis();
  const agents = [];
  try {
    agents.push(await startAgent(agentArgs(redis.url, '--rate-limit-capacity', '20', '--rate-limit-refill', '0.5')));
    agents.push(await startAgent(agentArgs(redis.url, '--rate-limit-capacity', '20', '--rate-limit-refill', '0.5')));
    const started = Date.now();
    const responses = await Promise.all(Array.from({ length: 60 }, (_, i) => get(agents[i % 2].port, '/x', { localAddress: CLIENT })));
    const seconds = (Date.now() - started) / 1000;
    const allowed = responses.filter((r) => r.status === 404);
    const refused = responses.filter((r) => r.status === 429);
    assert.is(allowed.length + refused.length, 60);
    // The bucket holds 20; at most one more token can refill while the burst is in flight.
    assert.ok(allowed.length >= 20 && allowed.length <= 20 + Math.ceil(seconds * 0.5), `allowed ${allowed.length} in ${seconds} s`);
    for (const agent of agents) assert.ok(responses.some((r, i) => i % 2 === agents.indexOf(agent) && r.status === 429), 'both agents refuse');
    assert.is(refused[0].headers['ratelimit-policy'], '"default";q=20;w=40');
    assert.match(refused[0].headers.ratelimit, /^"default";r=0;t=\d+$/);
    assert.ok(Number(refused[0].headers['retry-after']) >= 1);
    // Another client is untouched.
    assert.is((await get(agents[1].port, '/x', { localAddress: '127.0.0.41' })).status, 404);
    assert.equal((await get(agents[0].port, '/health/ready')).json, { status: 'ready' });
  } finally {
    for (const agent of agents) await agent.stop();
    await redis.stop();
  }
});

test('Redis killed: "open" lets requests through and reports degraded; "closed" answers 503; both recover', async () => {
  const redis = await startRedis();
  const open = await startAgent(agentArgs(redis.url, '--rate-limit-capacity', '1000'));
  const closed = await startAgent(agentArgs(redis.url, '--rate-limit-capacity', '1000', '--rate-limit-on-store-error', 'closed'));
  try {
    assert.is((await get(open.port, '/x', { localAddress: CLIENT })).headers.ratelimit, '"default";r=999;t=1');
    await redis.kill();
    await eventually(async () => (await get(open.port, '/health/ready')).json?.status === 'degraded', 5000, 'open agent reports degraded');
    for (let i = 0; i < 20; i++) {
      const res = await get(open.port, '/x', { localAddress: CLIENT });
      assert.is(res.status, 404, 'open: served');
      assert.is(res.headers.ratelimit, undefined, 'open: not limited');
    }
    const down = await get(closed.port, '/x', { localAddress: CLIENT });
    assert.is(down.status, 503);
    assert.is(down.json.error, 'rate_limit_unavailable');
    assert.is((await get(closed.port, '/health/ready')).status, 503);
    assert.is((await get(closed.port, '/health/live')).status, 200, 'alive while unready');
    const warning = await open.waitForLog((l) => l.warning === 'STORE_UNAVAILABLE');
    assert.is(warning.failClosed, false);
    assert.is(open.logs.filter((l) => l.warning === 'STORE_UNAVAILABLE').length, 1, 'warned once per interval, not per request');
    assert.ok((await get(open.port, '/debug/warnings')).json.STORE_UNAVAILABLE >= 20);

    await redis.restart();
    for (const agent of [open, closed]) {
      await eventually(async () => (await get(agent.port, '/health/ready')).json?.status === 'ready', 10000, 'store back');
      const res = await get(agent.port, '/x', { localAddress: CLIENT });
      assert.is(res.status, 404);
      assert.match(res.headers.ratelimit, /^"default";r=\d+;t=\d+$/);
    }
    await open.waitForLog((l) => l.msg === 'rate-limit store connected' && l.time > warning.time);
  } finally {
    await open.stop();
    await closed.stop();
    await redis.stop();
  }
  assert.is((await open.exited).code, 0);
});

test('start-up with Redis unreachable: open starts degraded, closed refuses limited requests; both say so', async () => {
  const url = `redis://127.0.0.1:${await freePort()}/0`;
  const open = await startAgent(agentArgs(url));
  const closed = await startAgent(agentArgs(url, '--rate-limit-on-store-error', 'closed'));
  try {
    await open.waitForLog((l) => l.msg === 'rate-limit store unreachable at start-up: serving degraded, requests are not limited until it is back');
    await closed.waitForLog((l) => l.msg === 'rate-limit store unreachable at start-up: answering 503 to limited requests until it is back');
    assert.is((await get(open.port, '/x')).status, 404);
    assert.is((await get(closed.port, '/x')).status, 503);
    assert.is((await get(closed.port, '/health')).status, 200, 'exempt paths still answer');
  } finally {
    await open.stop();
    await closed.stop();
  }
});

shared.run();
