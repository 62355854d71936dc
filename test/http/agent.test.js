import { connect } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { get, startAgent } from '../helpers/agent.js';

const endpoints = suite('endpoints');

endpoints('health endpoints answer JSON; unknown paths 404; other methods 405', async () => {
  const agent = await startAgent();
  try {
    const health = await get(agent.port, '/health');
    assert.is(health.status, 200);
    assert.is(health.headers['content-type'], 'application/json; charset=utf-8');
    assert.is(health.json.status, 'ok');
    assert.match(health.json.version, /^\d+\.\d+\.\d+/);
    assert.type(health.json.uptime, 'number');
    assert.equal((await get(agent.port, '/health/live')).json, { status: 'ok' });
    assert.equal((await get(agent.port, '/health/ready')).json, { status: 'ready' });
    const missing = await get(agent.port, '/nope?x=1');
    assert.is(missing.status, 404);
    assert.is(missing.json.error, 'not_found');
    const post = await get(agent.port, '/health', { method: 'POST' });
    assert.is(post.status, 405);
    assert.is(post.headers.allow, 'GET, HEAD');
    // Diagnostics are off by default.
    assert.is((await get(agent.port, '/debug/client')).status, 404);
  } finally {
    await agent.stop();
  }
});

const identity = suite('client identity');

identity('/debug/client and the log show the resolved client, the peer and the protocol', async () => {
  const agent = await startAgent(['--diagnostics', '--trust-proxy', 'loopback']);
  try {
    const res = await get(agent.port, '/debug/client?probe=1', {
      localAddress: '127.0.0.9',
      headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'mcp.example.com', 'x-request-id': 'req-abc' },
    });
    assert.is(res.status, 200);
    assert.equal(res.json, { ip: '198.51.100.7', ips: ['198.51.100.7'], protocol: 'https', secure: true, host: 'mcp.example.com', peer: '127.0.0.9' });
    assert.is(res.headers['x-request-id'], 'req-abc');
    const line = await agent.waitForLog((l) => l.msg === 'request' && l.reqId === 'req-abc');
    assert.is(line.method, 'GET');
    assert.is(line.path, '/debug/client');
    assert.is(line.status, 200);
    assert.is(line.ip, '198.51.100.7');
    assert.is(line.peer, '127.0.0.9');
    assert.is(line.protocol, 'https');
    assert.type(line.ms, 'number');
    assert.is(line.level, 'info');
    assert.is(line.forwarded, undefined, 'forwarding headers are logged only at debug');
  } finally {
    await agent.stop();
  }
});

identity('an untrusted peer cannot set its identity, protocol or request id', async () => {
  const agent = await startAgent(['--diagnostics', '--trust-proxy', '127.0.0.1']);
  try {
    const res = await get(agent.port, '/debug/client', {
      localAddress: '127.0.0.9',
      headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-request-id': 'forged-id' },
    });
    assert.equal(res.json, { ip: '127.0.0.9', ips: [], protocol: 'http', secure: false, host: `127.0.0.1:${agent.port}`, peer: '127.0.0.9' });
    assert.is.not(res.headers['x-request-id'], 'forged-id');
    assert.match(res.headers['x-request-id'], /^[0-9a-f]{8}-[0-9]+$/);
  } finally {
    await agent.stop();
  }
});

identity('at debug the log adds the forwarding headers and hop count, never credentials', async () => {
  const agent = await startAgent(['--log-level', 'debug', '--trust-proxy', 'loopback']);
  try {
    await get(agent.port, '/health', {
      headers: { 'x-forwarded-for': '198.51.100.7', authorization: 'Bearer s3cr3t-token', cookie: 'session=c00kie-value', 'x-request-id': 'dbg-1' },
    });
    const line = await agent.waitForLog((l) => l.reqId === 'dbg-1');
    assert.equal(line.forwarded, { 'x-forwarded-for': '198.51.100.7' });
    assert.is(line.hops, 1);
    assert.is(line.peerTrusted, true);
    const all = JSON.stringify(agent.logs);
    assert.not.ok(all.includes('s3cr3t-token'), 'authorization never logged');
    assert.not.ok(all.includes('c00kie-value'), 'cookie never logged');
  } finally {
    await agent.stop();
  }
});

const limits = suite('rate limiting');

limits('over the limit: 429 with Retry-After, RateLimit headers and a JSON body; buckets per client; health exempt', async () => {
  const agent = await startAgent(['--rate-limit-capacity', '3', '--rate-limit-refill', '0.5', '--trust-proxy', 'false']);
  try {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(agent.port, '/x', { localAddress: '127.0.0.20' })).status);
    assert.equal(statuses, [404, 404, 404, 429]);
    const limited = await get(agent.port, '/x', { localAddress: '127.0.0.20' });
    assert.is(limited.status, 429);
    assert.is(limited.headers['retry-after'], '2');
    assert.is(limited.headers['ratelimit-policy'], '"default";q=3;w=6');
    assert.is(limited.headers.ratelimit, '"default";r=0;t=6');
    assert.is(limited.json.error, 'rate_limited');
    // Another client has its own bucket.
    const other = await get(agent.port, '/x', { localAddress: '127.0.0.21' });
    assert.is(other.status, 404);
    assert.is(other.headers.ratelimit, '"default";r=2;t=2');
    // Health checks are never limited.
    for (let i = 0; i < 5; i++) assert.is((await get(agent.port, '/health', { localAddress: '127.0.0.20' })).status, 200);
  } finally {
    await agent.stop();
  }
});

limits('rules per route with their own policy names, and allow-listed clients never limited', async () => {
  const rules = JSON.stringify([{ path: '/mcp', method: 'POST', capacity: 1, refillPerSecond: 0.01 }]);
  const agent = await startAgent(['--rate-limit-rules', rules, '--rate-limit-allow', '127.0.0.30, 10.0.0.0/8', '--rate-limit-capacity', '5', '--trust-proxy', 'false']);
  try {
    const first = await get(agent.port, '/mcp', { method: 'POST', localAddress: '127.0.0.20' });
    assert.is(first.status, 404);
    assert.is(first.headers['ratelimit-policy'], '"POST /mcp";q=1;w=100');
    assert.is(first.headers.ratelimit, '"POST /mcp";r=0;t=100');
    const second = await get(agent.port, '/mcp', { method: 'POST', localAddress: '127.0.0.20' });
    assert.is(second.status, 429);
    assert.is(second.headers['retry-after'], '100');
    // Another method on the same path falls to the default policy, with its own bucket.
    const other = await get(agent.port, '/mcp', { localAddress: '127.0.0.20' });
    assert.is(other.status, 404);
    assert.is(other.headers['ratelimit-policy'], '"default";q=5;w=1');
    // Other spellings of the path meet the same rule and its (empty) bucket.
    for (const spelling of ['//mcp', '/./mcp', '/x/../mcp', '/%6dcp', '/mcp?x=1']) {
      const res = await get(agent.port, spelling, { method: 'POST', localAddress: '127.0.0.20' });
      assert.is(res.status, 429, spelling);
      assert.is(res.headers['ratelimit-policy'], '"POST /mcp";q=1;w=100', spelling);
    }
    // An allow-listed client is never limited and gets no RateLimit headers.
    for (let i = 0; i < 3; i++) {
      const allowed = await get(agent.port, '/mcp', { method: 'POST', localAddress: '127.0.0.30' });
      assert.is(allowed.status, 404);
      assert.is(allowed.headers.ratelimit, undefined);
    }
  } finally {
    await agent.stop();
  }
});

const lifecycle = suite('lifecycle');

lifecycle('SIGTERM lets an in-flight request finish, then exits 0 with logs flushed', async () => {
  const agent = await startAgent();
  const socket = connect(agent.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let response = '';
  socket.on('data', (d) => (response += d));
  socket.write('GET /health HTTP/1.1\r\nHost: test\r\n');
  await new Promise((resolve) => setTimeout(resolve, 150));
  agent.child.kill('SIGTERM');
  await agent.waitForLog((l) => l.msg === 'shutting down: finishing in-flight requests');
  socket.write('\r\n');
  const { code } = await agent.exited;
  socket.destroy();
  assert.is(code, 0);
  assert.match(response, /^HTTP\/1\.1 200 OK/);
  assert.ok(agent.logs.some((l) => l.msg === 'stopped'), 'the last line reaches the log');
});

lifecycle('an idle keep-alive connection does not hold up shutdown', async () => {
  const agent = await startAgent();
  const socket = connect(agent.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('GET /health HTTP/1.1\r\nHost: test\r\n\r\n');
  await new Promise((resolve) => socket.once('data', resolve));
  const started = Date.now();
  agent.child.kill('SIGTERM');
  const { code } = await agent.exited;
  socket.destroy();
  assert.is(code, 0);
  assert.ok(Date.now() - started < 5000, 'exits well before the grace period');
});

lifecycle('a second signal while draining exits at once with code 1', async () => {
  const agent = await startAgent();
  const socket = connect(agent.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  // A request that never completes keeps the agent draining.
  socket.write('GET /health HTTP/1.1\r\nHost: test\r\n');
  await new Promise((resolve) => setTimeout(resolve, 100));
  agent.child.kill('SIGTERM');
  await agent.waitForLog((l) => l.msg === 'shutting down: finishing in-flight requests');
  agent.child.kill('SIGINT');
  const { code } = await agent.exited;
  socket.destroy();
  assert.is(code, 1);
  assert.match(agent.stderr, /SIGINT again: exiting without waiting/);
});

endpoints.run();
identity.run();
limits.run();
lifecycle.run();
