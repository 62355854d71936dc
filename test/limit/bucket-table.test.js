import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BucketTable } from '../../dist/limit/bucket-table.js';
import { RateLimiter, pushLimitHeaders } from '../../dist/limit/rate-limiter.js';
import { compileAddressList } from '../../dist/trust/compile.js';
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

test('policies: rules by path prefix (whole segments) and method, first match wins, then the default', () => {
  const limiter = new RateLimiter({
    ...options,
    exempt: ['/health'],
    allow: compileAddressList(['10.0.0.0/8', '2001:db8::/32']).set,
    rules: [
      { path: '/mcp', method: 'post', capacity: 2, refillPerSecond: 1 },
      { name: 'tools', path: '/mcp/', capacity: 7, refillPerSecond: 7 },
      { path: '/admin/', capacity: 1, refillPerSecond: 0.1 },
      { path: '/feed', method: 'GET', capacity: 3, refillPerSecond: 1 },
    ],
  });
  const pick = (path, method = 'GET', client = '198.51.100.1') => limiter.policyFor(path, method, parseIp(client, 0, client.length))?.name ?? null;
  assert.is(pick('/mcp', 'POST'), 'POST /mcp');
  assert.is(pick('/mcp/tools', 'POST'), 'POST /mcp');
  assert.is(pick('/mcp/tools', 'GET'), 'tools');
  assert.is(pick('/mcp', 'GET'), 'default');
  assert.is(pick('/mcpx', 'POST'), 'default');
  assert.is(pick('/admin/users'), '/admin/');
  assert.is(pick('/admin'), 'default');
  // HEAD is GET without a body, so it meets GET rules.
  assert.is(pick('/feed', 'HEAD'), 'GET /feed');
  assert.is(pick('/feed', 'POST'), 'default');
  // Exempt paths and allow-listed clients are never limited.
  assert.is(pick('/health'), null);
  assert.is(pick('/mcp', 'POST', '10.9.9.9'), null);
  assert.is(pick('/mcp', 'POST', '::ffff:10.9.9.9'), null);
  assert.is(pick('/mcp', 'POST', '2001:db8::5'), null);
  assert.is(pick('/mcp', 'POST', '2001:db9::5'), 'POST /mcp');
  // Each policy has its own buckets and its own RateLimit-Policy value.
  const [post, tools, admin, , fallback] = limiter.policies;
  assert.is(post.policyHeader, '"POST /mcp";q=2;w=2');
  assert.is(tools.policyHeader, '"tools";q=7;w=1');
  assert.is(admin.policyHeader, '"/admin/";q=1;w=10');
  assert.is(fallback.policyHeader, '"default";q=5;w=3');
  take(post.table, '198.51.100.1', 0);
  take(post.table, '198.51.100.1', 0);
  assert.not.ok(take(post.table, '198.51.100.1', 0));
  assert.ok(take(fallback.table, '198.51.100.1', 0), 'a refusal under one policy leaves the others alone');
});

test('RateLimit header values come from the bucket state', () => {
  const headers = ['x-request-id', 'r1'];
  const [policy] = new RateLimiter({ ...options, exempt: [], allow: compileAddressList([]).set, rules: [] }).policies;
  take(policy.table, '198.51.100.1', 0);
  pushLimitHeaders(headers, policy, policy.table.remaining, policy.table.resetSeconds);
  assert.equal(headers, ['x-request-id', 'r1', 'ratelimit-policy', '"default";q=5;w=3', 'ratelimit', '"default";r=4;t=1']);
});

test.run();
