import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createMisconfigDetector } from '../../dist/http/misconfig.js';
import { compileTrust } from '../../dist/index.js';
import { parseIp } from '../../dist/net/address.js';
import { get, startAgent } from '../helpers/agent.js';

/** A Warnings stand-in that records what was emitted: the detector's only output. */
function recorder() {
  const emitted = [];
  return { emitted, emit: (code, fields) => emitted.push({ code, ...fields }) };
}

function observe(detector, { peer, client = peer, header = false, peerTrusted = false, now = 0 }) {
  const family = parseIp(client, 0, client.length);
  detector.observe(peer, header, peerTrusted, family, client, now);
}

const unit = suite('misconfiguration detector');

unit('permissive trust and a request straight from a public address', () => {
  for (const trust of [true, 2]) {
    const warnings = recorder();
    const detector = createMisconfigDetector(compileTrust(trust), warnings);
    observe(detector, { peer: '127.0.0.1', peerTrusted: true });
    observe(detector, { peer: '10.1.1.1', peerTrusted: true });
    assert.equal(warnings.emitted, [], 'private peers are expected proxies');
    observe(detector, { peer: '203.0.113.9', peerTrusted: true });
    assert.equal(warnings.emitted, [{ code: 'PERMISSIVE_TRUST_DIRECT', peer: '203.0.113.9' }]);
  }
  const narrow = recorder();
  observe(createMisconfigDetector(compileTrust('loopback'), narrow), { peer: '203.0.113.9' });
  assert.equal(narrow.emitted, []);
});

unit('a forwarding header from an untrusted peer names the peer', () => {
  const warnings = recorder();
  const detector = createMisconfigDetector(compileTrust('127.0.0.1'), warnings);
  observe(detector, { peer: '127.0.0.1', header: true, peerTrusted: true, client: '198.51.100.1' });
  observe(detector, { peer: '10.0.0.7', header: false });
  assert.equal(warnings.emitted, []);
  observe(detector, { peer: '10.0.0.7', header: true });
  assert.equal(warnings.emitted, [{ code: 'UNTRUSTED_PEER_FORWARDS', peer: '10.0.0.7' }]);
});

unit('trust false while forwarding headers keep arriving', () => {
  const warnings = recorder();
  const detector = createMisconfigDetector(compileTrust(false), warnings);
  for (let i = 0; i < 9; i++) observe(detector, { peer: '127.0.0.1', header: true });
  assert.equal(warnings.emitted, [], 'a few stray headers are not a pattern');
  observe(detector, { peer: '127.0.0.1', header: true });
  assert.equal(warnings.emitted, [{ code: 'FORWARDING_IGNORED', peer: '127.0.0.1' }]);
});

unit('one client with more than 90% of at least 100 requests in a minute', () => {
  const warnings = recorder();
  const detector = createMisconfigDetector(compileTrust('loopback'), warnings);
  for (let i = 0; i < 99; i++) observe(detector, { peer: '10.0.0.5', now: i });
  assert.equal(warnings.emitted, [], 'fewer than 100 requests');
  observe(detector, { peer: '10.0.0.5', now: 100 });
  assert.is(warnings.emitted.length, 1);
  assert.is(warnings.emitted[0].code, 'DOMINANT_CLIENT');
  assert.is(warnings.emitted[0].client, '10.0.0.5');

  const spread = recorder();
  const healthy = createMisconfigDetector(compileTrust('loopback'), spread);
  for (let i = 0; i < 300; i++) observe(healthy, { peer: '127.0.0.1', client: `198.51.100.${i % 7}`, header: true, peerTrusted: true, now: i });
  assert.equal(spread.emitted, []);

  // 85% is below the bar; a new minute starts the count again.
  const busy = recorder();
  const detector2 = createMisconfigDetector(compileTrust('loopback'), busy);
  for (let i = 0; i < 200; i++) observe(detector2, { peer: '10.0.0.5', client: i % 20 < 17 ? '10.0.0.5' : `10.0.0.${i % 20}`, now: i });
  assert.equal(busy.emitted, []);
});

const live = suite('warnings from a running agent');

live('fire on a misconfigured agent, are logged once, and are counted under diagnostics', async () => {
  const agent = await startAgent(['--diagnostics', '--trust-proxy', '127.0.0.1', '--rate-limit-capacity', '1000']);
  try {
    for (let i = 0; i < 120; i++) {
      const res = await get(agent.port, '/x', { localAddress: '127.0.0.9', headers: { 'x-forwarded-for': '198.51.100.7' } });
      assert.is(res.status, 404);
    }
    const untrusted = await agent.waitForLog((l) => l.warning === 'UNTRUSTED_PEER_FORWARDS');
    assert.is(untrusted.peer, '127.0.0.9');
    assert.is(untrusted.level, 'warn');
    const dominant = await agent.waitForLog((l) => l.warning === 'DOMINANT_CLIENT');
    assert.is(dominant.client, '127.0.0.9');
    const counts = (await get(agent.port, '/debug/warnings')).json;
    assert.ok(counts.UNTRUSTED_PEER_FORWARDS >= 120, JSON.stringify(counts));
    assert.ok(counts.DOMINANT_CLIENT >= 1);
    assert.is(agent.logs.filter((l) => l.warning === 'UNTRUSTED_PEER_FORWARDS').length, 1, 'logged once per interval');
  } finally {
    await agent.stop();
  }
});

live('trust false with forwarding headers arriving', async () => {
  const agent = await startAgent(['--diagnostics', '--trust-proxy', 'false']);
  try {
    for (let i = 0; i < 12; i++) await get(agent.port, '/x', { localAddress: `127.0.0.${10 + i}`, headers: { 'x-forwarded-for': '198.51.100.7' } });
    await agent.waitForLog((l) => l.warning === 'FORWARDING_IGNORED');
  } finally {
    await agent.stop();
  }
});

live('stay silent in a correct setup', async () => {
  const agent = await startAgent(['--diagnostics', '--trust-proxy', 'loopback', '--rate-limit-capacity', '1000']);
  try {
    for (let i = 0; i < 150; i++) {
      await get(agent.port, '/x', { localAddress: '127.0.0.1', headers: { 'x-forwarded-for': `198.51.100.${i % 10}` } });
    }
    assert.equal((await get(agent.port, '/debug/warnings')).json, {});
    assert.equal(agent.logs.filter((l) => l.level === 'warn'), []);
  } finally {
    await agent.stop();
  }
});

unit.run();
live.run();
