// Part 3: bytes allocated per client resolution and per limiter check.
//
// Run with --expose-gc and a 128 MiB young generation (bench/run.js passes the flags), so a loop of a
// million operations fits in new space without any collection. Per case: warm up, force a GC, read
// used_heap_size, run the loop, read it again before anything can collect; the difference over the
// iteration count is bytes per operation. A GC observer checks that no collection happened inside the
// loop; if one did, the figure is reported as unreliable instead of being silently wrong.
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { resolveClient, compileTrust } from '../../dist/index.js';
import { parseIp, words as scratch } from '../../dist/net/address.js';
import { last, walkChain } from '../../dist/forwarded/walk.js';
import { MODE_XFF } from '../../dist/forwarded/source.js';
import { BucketTable } from '../../dist/limit/bucket-table.js';
import { privateV4, publicV4, publicV6, rng } from '../lib/random.js';

let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

async function heapGrowth(body, iterations) {
  await tick();
  globalThis.gc();
  await tick();
  const gcsBefore = gcs;
  const before = v8.getHeapStatistics().used_heap_size;
  body(iterations);
  const after = v8.getHeapStatistics().used_heap_size;
  await tick();
  return { bytes: after - before, gcDuring: gcs - gcsBefore };
}

/**
 * Bytes per operation, as the difference between a run of 2n and a run of n operations: whatever a
 * loop allocates once (on-stack replacement, a timer firing) cancels out.
 */
async function allocated(body, iterations) {
  body(Math.min(iterations, 100_000));
  body(Math.min(iterations, 100_000));
  const one = await heapGrowth(body, iterations);
  const two = await heapGrowth(body, 2 * iterations);
  return { bytesPerOp: (two.bytes - one.bytes) / iterations, gcDuring: one.gcDuring + two.gcDuring };
}

function chains(hops, family, next) {
  return Array.from({ length: 64 }, () => {
    const items = [family === 6 ? publicV6(next) : publicV4(next)];
    for (let k = 1; k < hops; k++) items.push(privateV4(next));
    return items.join(', ');
  });
}

export async function run(mode, settings, log = () => {}) {
  if (typeof globalThis.gc !== 'function') throw new Error('alloc needs node --expose-gc');
  const n = settings.iterations;
  const next = rng(0xa110c);
  const trust = compileTrust('loopback, 10.0.0.0/8');
  const rows = [];
  const add = async (what, group, body, expect, iterations = n) => {
    const r = await allocated(body, iterations);
    rows.push({ what, group, bytesPerOp: r.bytesPerOp, gcDuring: r.gcDuring, expect });
  };

  // No forwarding header: the socket address is the client.
  for (const socket of ['127.0.0.1', '::ffff:127.0.0.1', '2001:db8::1']) {
    await add(`socket ${socket}, no header`, 'resolve', (k) => {
      let len = 0;
      for (let i = 0; i < k; i++) len += walkChain(trust, socket, undefined, MODE_XFF).length;
      return len;
    }, 'zero');
  }
  // Forwarded chains: the client plus hops-1 trusted 10.x proxies, from a dual-stack loopback socket.
  for (const family of [4, 6]) {
    for (const hops of [1, 2, 4, 8]) {
      const headers = chains(hops, family, next);
      await add(`X-Forwarded-For, ${hops} hop${hops > 1 ? 's' : ''}, IPv${family} client`, 'resolve', (k) => {
        let len = 0;
        for (let i = 0; i < k; i++) len += walkChain(trust, '::ffff:127.0.0.1', headers[i & 63], MODE_XFF).length;
        return len;
      }, family === 4 ? 'result string only' : 'result string');
    }
  }
  // A client written non-canonically must be formatted: one new string.
  const odd = Array.from({ length: 64 }, (_, i) => `2001:DB8:0:0::${(i + 1).toString(16)}, 10.0.0.${i + 1}`);
  await add('X-Forwarded-For, 2 hops, IPv6 client not canonical', 'resolve', (k) => {
    let len = 0;
    for (let i = 0; i < k; i++) len += walkChain(trust, '::ffff:127.0.0.1', odd[i & 63], MODE_XFF).length;
    return len;
  }, 'result string');
  // The public API builds an object per call; for reference.
  const requests = chains(2, 4, next).map((h) => ({ remoteAddress: '::ffff:127.0.0.1', headers: { 'x-forwarded-for': h } }));
  await add('resolveClient() public API, 2 hops, IPv4 (builds {ip, ips, ...})', 'resolve', (k) => {
    let len = 0;
    for (let i = 0; i < k; i++) len += resolveClient(trust, requests[i & 63]).ip.length;
    return len;
  }, 'objects', Math.max(1, Math.floor(n / 10)));

  // Limiter: take() on buckets that exist (the steady state), and on ever-new clients (eviction).
  for (const family of [4, 6]) {
    const table = new BucketTable({ capacity: 1e9, refillPerSecond: 1e9, ipv6Prefix: 56, maxClients: 1000 });
    const clients = Array.from({ length: 64 }, () => (family === 6 ? publicV6(next) : publicV4(next)));
    await add(`take(), existing bucket, IPv${family}`, 'limit', (k) => {
      let allowed = 0;
      for (let i = 0; i < k; i++) {
        const a = clients[i & 63];
        if (table.take(parseIp(a, 0, a.length), i)) allowed++;
      }
      return allowed;
    }, 'zero');
  }
  {
    const table = new BucketTable({ capacity: 100, refillPerSecond: 10, ipv6Prefix: 56, maxClients: 10_000 });
    await add('take(), a new IPv4 client every call (table full, evicting)', 'limit', (k) => {
      let allowed = 0;
      for (let i = 0; i < k; i++) {
        // Straight into the parser's scratch words: no text, so nothing but take() runs.
        setScratchV4(0x0b000000 + i);
        if (table.take(4, i)) allowed++;
      }
      return allowed;
    }, 'zero');
  }
  // Resolution and limiting together, as the request path runs them before writing headers.
  {
    const table = new BucketTable({ capacity: 1e9, refillPerSecond: 1e9, ipv6Prefix: 56, maxClients: 1000 });
    const headers = chains(2, 4, next);
    await add('walk + take(), 2 hops, IPv4 client', 'both', (k) => {
      let len = 0;
      for (let i = 0; i < k; i++) {
        const ip = walkChain(trust, '::ffff:127.0.0.1', headers[i & 63], MODE_XFF);
        if (table.take(last.family, i)) len += ip.length;
      }
      return len;
    }, 'result string only');
  }
  log('done');
  return { settings, rows, flags: process.execArgv };
}

function setScratchV4(value) {
  scratch[0] = 0;
  scratch[1] = 0;
  scratch[2] = 0;
  scratch[3] = value;
}
