import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BucketTable } from '../../dist/limit/bucket-table.js';
import { RateLimiter } from '../../dist/limit/rate-limiter.js';
import { parseIp } from '../../dist/net/address.js';

const options = { capacity: 5, refillPerSecond: 2, ipv6Prefix: 56, maxClients: 1000 };
/** take() for a client given as text, at time `now` (ms). */
const take = (table, address, now) => table.take(parseIp(address, 0, address.length), now);

test('a new client gets a burst of `capacity`, then is refused', () => {
  const table = new BucketTable(options);
  const results = Array.from({ length: 7 }, () => take(table, '198.51.100.1', 1000));
  assert.equal(results, [true, true, true, true, true, false, false]);
  assert.is(table.remaining, 0);
  assert.is(table.retryAfterSeconds, 1);
});

test('tokens refill at refillPerSecond, up to capacity', () => {
  const table = new BucketTable(options);
  for (let i = 0; i < 5; i++) take(table, '198.51.100.1', 1000);
  assert.not.ok(take(table, '198.51.100.1', 1000));
  assert.not.ok(take(table, '198.51.100.1', 1400)); // 0.8 tokens
  assert.ok(take(table, '198.51.100.1', 1500)); // 1.0 token
  assert.not.ok(take(table, '198.51.100.1', 1500));
  // After a long idle time the bucket is full again, never fuller.
  const allowed = Array.from({ length: 8 }, () => take(table, '198.51.100.1', 100000)).filter(Boolean).length;
  assert.is(allowed, 5);
});

test('Retry-After and reset seconds follow the refill rate', () => {
  const table = new BucketTable({ ...options, capacity: 2, refillPerSecond: 0.25 });
  take(table, '198.51.100.1', 0);
  take(table, '198.51.100.1', 0);
  assert.not.ok(take(table, '198.51.100.1', 0));
  assert.is(table.retryAfterSeconds, 4);
  assert.is(table.resetSeconds, 8);
});

test('clients have separate buckets; IPv4-mapped is the same client as IPv4', () => {
  const table = new BucketTable({ ...options, capacity: 1 });
  assert.ok(take(table, '198.51.100.1', 0));
  assert.ok(take(table, '198.51.100.2', 0));
  assert.not.ok(take(table, '::ffff:198.51.100.1', 0));
});

test('IPv6 clients share a bucket per ipv6Prefix', () => {
  const table = new BucketTable({ ...options, capacity: 1, ipv6Prefix: 56 });
  assert.ok(take(table, '2001:db8:1:100::1', 0));
  assert.not.ok(take(table, '2001:db8:1:1ff:ffff::9', 0)); // same /56
  assert.ok(take(table, '2001:db8:1:200::1', 0)); // next /56
  const exact = new BucketTable({ ...options, capacity: 1, ipv6Prefix: 128 });
  assert.ok(take(exact, '2001:db8::1', 0));
  assert.ok(take(exact, '2001:db8::2', 0));
  assert.not.ok(take(exact, '2001:db8::1', 0));
});

test('memory is bounded: a million distinct clients never grow the table', () => {
  const table = new BucketTable({ ...options, maxClients: 10000 });
  assert.is(table.slots, 16384);
  for (let i = 0; i < 1_000_000; i++) {
    const a = `${(i >>> 24) & 255}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    take(table, a, i);
  }
  assert.is(table.slots, 16384);
  assert.ok(table.size <= table.slots);
  // The most recent clients are still held: their second request in the same instant spends a token.
  take(table, '0.15.66.63', 1_000_000);
  assert.is(table.remaining, 3);
});

test('the limiter renders IETF RateLimit-Policy and RateLimit values', () => {
  const limiter = new RateLimiter({ ...options, exempt: ['/health'] });
  assert.is(limiter.policyHeader, '"default";q=5;w=3');
  take(limiter.table, '198.51.100.1', 0);
  assert.is(limiter.stateHeader(), '"default";r=4;t=1');
  assert.ok(limiter.isExempt('/health'));
  assert.not.ok(limiter.isExempt('/health/x'));
  assert.not.ok(limiter.isExempt('/mcp'));
});

test.run();
