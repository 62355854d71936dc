import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BucketTable } from '../../dist/limit/bucket-table.js';
import { RedisBucketStore } from '../../dist/limit/redis-store.js';
import { parseIp } from '../../dist/net/address.js';
import { freePort } from '../helpers/proxy.js';
import { requireRedis, startRedis } from '../helpers/redis.js';

const PREFIX = '1mcp:rl:';
const TIMEOUT = 250;
const redisTest = requireRedis(test).test;

// Anything that escapes the store (a rejected promise nobody awaited, an 'error' event without a
// listener, which ioredis prints to stderr) fails the last test.
const stray = [];
process.on('unhandledRejection', (err) => stray.push(err));
process.on('uncaughtException', (err) => stray.push(err));
const consoleError = console.error;
console.error = (...args) => {
  if (String(args[0]).includes('ioredis')) stray.push(args.join(' '));
  consoleError(...args);
};

/** `count` stores (like `count` agents) on one fresh Redis, each with its state changes in `.states`; all closed and stopped after `fn`. */
async function withRedis(fn, count = 1) {
  const redis = await startRedis();
  const stores = [];
  try {
    for (let i = 0; i < count; i++) {
      const states = [];
      const store = new RedisBucketStore({
        url: redis.url,
        prefix: PREFIX,
        commandTimeoutMs: TIMEOUT,
        onStateChange: (state, err) => states.push({ state, err }),
      });
      store.states = states;
      stores.push(store);
    }
    await Promise.all(stores.map((s) => s.waitReady(5000)));
    await fn(redis, ...stores);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await redis.stop();
  }
}

async function until(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(10);
  }
}

/** Milliseconds `promise` takes to settle, and whether it rejected. */
async function timed(promise) {
  const start = performance.now();
  try {
    await promise;
    return { ms: performance.now() - start, rejected: false };
  } catch (err) {
    return { ms: performance.now() - start, rejected: true, err };
  }
}

redisTest('a new key gets a burst of `capacity`, then is refused', () =>
  withRedis(async (_, store) => {
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await store.take('198.51.100.1', 2, 0.25));
    assert.equal(decisions.map((d) => d.allowed), [true, true, false, false]);
    assert.equal(decisions[2], { allowed: false, remaining: 0, resetSeconds: 8, retryAfterSeconds: 4 });
    // Another key has its own bucket.
    assert.ok((await store.take('198.51.100.2', 2, 0.25)).allowed);
  }),
);

redisTest('remaining, reset and retry-after are the numbers the in-process BucketTable gives', () =>
  withRedis(async (_, store) => {
    for (const [capacity, refillPerSecond] of [[2, 0.25], [4, 2], [5, 1], [10, 5], [3, 20]]) {
      const table = new BucketTable({ capacity, refillPerSecond, ipv6Prefix: 56, maxClients: 16 });
      const address = '198.51.100.7';
      const key = `${address}/${capacity}/${refillPerSecond}`;
      for (let i = 0; i < capacity + 2; i++) {
        // The table at a fixed instant; Redis a few microseconds apart, too little to change a header.
        const allowed = table.take(parseIp(address, 0, address.length), 0);
        const expected = { allowed, remaining: table.remaining, resetSeconds: table.resetSeconds, retryAfterSeconds: table.retryAfterSeconds };
        assert.equal(await store.take(key, capacity, refillPerSecond), expected, `${key}, take ${i + 1}`);
      }
    }
  }),
);

redisTest('tokens refill at refillPerSecond, up to capacity', () =>
  withRedis(async (_, store) => {
    const take = () => store.take('198.51.100.1', 3, 10);
    for (let i = 0; i < 3; i++) assert.ok((await take()).allowed);
    const start = performance.now();
    assert.equal(await take(), { allowed: false, remaining: 0, resetSeconds: 1, retryAfterSeconds: 1 });
    await sleep(120); // 1.2 tokens
    assert.ok((await take()).allowed);
    // A second token needs 100 ms more; only a machine that stalled that long would have it.
    if (performance.now() - start < 200) assert.not.ok((await take()).allowed);
    // After a long idle time the bucket is full again, never fuller.
    await sleep(400);
    const burst = [];
    for (let i = 0; i < 5; i++) burst.push((await take()).allowed);
    assert.equal(burst, [true, true, true, false, false]);
  }),
);

redisTest('two agents sharing one Redis enforce one limit together', () =>
  withRedis(
    async (_, a, b) => {
      const takes = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).take('203.0.113.9', 50, 1));
      const decisions = await Promise.all(takes);
      const allowed = decisions.filter((d) => d.allowed).length;
      // 50, or 51 when the burst straddled the moment one token came back.
      assert.ok(allowed === 50 || allowed === 51, `allowed ${allowed}`);
    },
    2,
  ),
);

redisTest('bucket keys expire once they would be full again', () =>
  withRedis(async (redis, store) => {
    const raw = new Redis(redis.url);
    try {
      await store.take('198.51.100.1', 5, 1);
      const ttl = await raw.pttl(`${PREFIX}198.51.100.1`);
      // Full again in one second, plus the second of slack.
      assert.ok(ttl > 1000 && ttl <= 2000, `pttl ${ttl}`);
      const fields = await raw.hgetall(`${PREFIX}198.51.100.1`);
      assert.equal(Object.keys(fields).sort(), ['n', 't']);
      assert.is(Number(fields.n), 4);
    } finally {
      raw.disconnect();
    }
  }),
);

redisTest('waitReady rejects after `ms` when there is no Redis; the store reports down', async () => {
  const states = [];
  const store = new RedisBucketStore({ url: `redis://127.0.0.1:${await freePort()}/0`, prefix: PREFIX, onStateChange: (s, err) => states.push({ s, err }) });
  try {
    const { ms, rejected, err } = await timed(store.waitReady(300));
    assert.ok(rejected);
    assert.ok(ms >= 290 && ms < 600, `waited ${ms} ms`);
    assert.match(err.message, /not ready within 300 ms: .*ECONNREFUSED/);
    assert.not.ok(store.healthy);
    assert.is(states[0].s, 'down');
    assert.match(states[0].err.message, /ECONNREFUSED/);
    const take = await timed(store.take('198.51.100.1', 5, 1));
    assert.ok(take.rejected && take.ms < 50, `take rejected=${take.rejected} after ${take.ms} ms`);
  } finally {
    await store.close();
  }
});

redisTest('Redis killed: takes fail fast, the store is down; Redis back: the store recovers by itself', () =>
  withRedis(async (redis, store) => {
    assert.ok(store.healthy);
    assert.equal(store.states.map((s) => s.state), ['ready']);
    assert.ok((await store.take('198.51.100.1', 5, 1)).allowed);

    await redis.kill();
    const first = await timed(store.take('198.51.100.1', 5, 1));
    assert.ok(first.rejected, 'take succeeded with Redis dead');
    assert.ok(first.ms < TIMEOUT + 100, `take took ${first.ms} ms to fail`);
    await until(() => !store.healthy, 1000, 'healthy false');
    assert.is(store.states.at(-1).state, 'down');
    assert.instance(store.states.at(-1).err, Error);

    // Nothing queues while down: a flood of takes has failed before any I/O or timer gets a turn.
    let failed = 0;
    for (let i = 0; i < 10000; i++) store.take('198.51.100.1', 5, 1).catch(() => failed++);
    await new Promise((resolve) => setImmediate(resolve));
    assert.is(failed, 10000);

    await redis.restart();
    await until(() => store.healthy, 5000, 'healthy again after restart');
    assert.equal(store.states.map((s) => s.state), ['ready', 'down', 'ready']);
    assert.ok((await store.take('198.51.100.1', 5, 1)).allowed);
  }),
);

redisTest('Redis hung: takes time out at commandTimeoutMs, the connection is dropped; the store recovers by itself', () =>
  withRedis(async (redis, store) => {
    assert.ok((await store.take('198.51.100.1', 5, 1)).allowed);
    redis.pause();
    try {
      const hung = await timed(store.take('198.51.100.1', 5, 1));
      assert.ok(hung.rejected, 'take succeeded with Redis frozen');
      assert.ok(hung.ms >= TIMEOUT - 5 && hung.ms < TIMEOUT + 150, `take took ${hung.ms} ms to fail`);
      await until(() => !store.healthy, 100, 'healthy false');
      assert.match(store.states.at(-1).err.message, /timeout/i);
    } finally {
      redis.resume();
    }
    await until(() => store.healthy, 5000, 'healthy again after resume');
    assert.ok((await store.take('198.51.100.1', 5, 1)).allowed);
  }),
);

redisTest('after close(), takes reject and no state change is reported', () =>
  withRedis(async (_, store) => {
    await store.close();
    assert.not.ok(store.healthy);
    assert.ok((await timed(store.take('198.51.100.1', 5, 1))).rejected);
    assert.equal(store.states.map((s) => s.state), ['ready']);
  }),
);

test('nothing was left unhandled', async () => {
  await sleep(TIMEOUT * 2); // late command timeouts would land here
  assert.equal(stray.map(String), []);
});

test.run();
