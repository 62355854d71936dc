// Part 2: the compiled trust matcher against proxy-addr's and @fastify/proxy-addr's compiled functions,
// for trust lists from 1 to 10,000 CIDRs; then whole-chain resolution on 0 to 8 forwarded hops.
//
// Every implementation gets the address as text, as each receives it on the request path: ours parses
// it into scratch words and looks the words up (parseIp + isTrusted); proxy-addr parses it with ipaddr.js
// and scans its subnet list. The answers are cross-checked: a case where the implementations disagree is
// reported, never silently timed.
import proxyaddr from 'proxy-addr';
import fastifyProxyAddr from '@fastify/proxy-addr';
import { compileTrust, resolveClient } from '../../dist/index.js';
import { parseIp } from '../../dist/net/address.js';
import { isTrusted } from '../../dist/trust/compile.js';
import { walkChain } from '../../dist/forwarded/walk.js';
import { MODE_XFF } from '../../dist/forwarded/source.js';
import { measureAll, timeOnce, Timed } from '../lib/measure.js';
import { int, privateV4, publicV4, publicV6, rng } from '../lib/random.js';

// The lists are prefixes of one master list, so a bigger list holds every block of a smaller one:
// 10.0.0.0/8, 2001:db8::/32, 127.0.0.0/8, ::1/128, then alternately random IPv4 (/16-/32) and IPv6
// (/32-/128) blocks in public space.
const FIXED = ['10.0.0.0/8', '2001:db8::/32', '127.0.0.0/8', '::1/128'];
const FIXED_BLOCKS = [
  { family: 4, net: 0x0a000000, len: 8 },
  { family: 6, net: 0x20010db8n << 96n, len: 32 },
  { family: 4, net: 0x7f000000, len: 8 },
  { family: 6, net: 1n, len: 128 },
];
const POOL = 256;

const v4Text = (v) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
const v4Mask = (len) => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
const v6Groups = (big) => Array.from({ length: 8 }, (_, k) => Number((big >> BigInt(112 - 16 * k)) & 0xffffn));
const v6Full = (big) => v6Groups(big).map((g) => g.toString(16)).join(':');
/** RFC 5952 text, as proxies write it: the longest run of two or more zero groups becomes '::'. */
function v6Canonical(big) {
  const g = v6Groups(big);
  let best = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    let j = k;
    while (j < 8 && g[j] === 0) j++;
    if (j - k > bestLen) [best, bestLen] = [k, j - k];
    k = j === k ? k + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
const v6Mask = (len) => (len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(128 - len));
const random32 = (next) => int(next, 0x10000) * 0x10000 + int(next, 0x10000);
const random128 = (next) => {
  let v = 0n;
  for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt(random32(next));
  return v;
};

function masterList(size, next) {
  const entries = FIXED.slice(0, Math.min(size, FIXED.length)).map((text, i) => ({ text, ...FIXED_BLOCKS[i] }));
  while (entries.length < size) {
    if (entries.length % 2 === 0) {
      const len = 16 + int(next, 17);
      let v;
      do v = random32(next);
      while (v >>> 24 === 10 || v >>> 24 === 127 || v >>> 24 === 0 || v >>> 24 >= 224);
      const net = (v & v4Mask(len)) >>> 0;
      entries.push({ family: 4, net, len, text: `${v4Text(net)}/${len}` });
    } else {
      const len = 32 + int(next, 97);
      // Inside 2000::/3, the global unicast space.
      const v = (random128(next) & ~(7n << 125n)) | (1n << 125n);
      const net = v & v6Mask(len);
      entries.push({ family: 6, net, len, text: `${v6Full(net)}/${len}` });
    }
  }
  return entries;
}

/** Addresses inside random blocks of the list (hits), or outside the whole master list (misses). */
function addressesFor(kind, entries, masterTrust, next) {
  const v4 = entries.filter((e) => e.family === 4);
  const v6 = entries.filter((e) => e.family === 6);
  const inMaster = (a) => isTrusted(masterTrust, parseIp(a, 0, a.length), 0);
  const out = [];
  for (let guard = 0; out.length < POOL && guard < POOL * 1000; guard++) {
    let a;
    switch (kind) {
      case 'v4 hit':
      case 'mapped hit': {
        const e = v4[int(next, v4.length)];
        a = v4Text((e.net | (random32(next) & ~v4Mask(e.len))) >>> 0);
        break;
      }
      case 'v4 miss':
      case 'mapped miss':
        a = publicV4(next);
        if (inMaster(a)) continue;
        break;
      case 'v6 hit': {
        if (v6.length === 0) return null;
        const e = v6[int(next, v6.length)];
        a = v6Canonical(e.net | (random128(next) & ~v6Mask(e.len)));
        break;
      }
      case 'v6 miss':
        a = publicV6(next);
        if (inMaster(a)) continue;
        break;
    }
    out.push(kind.startsWith('mapped') ? `::ffff:${a}` : a);
  }
  return out;
}

const CASES = ['v4 hit', 'v4 miss', 'mapped hit', 'mapped miss', 'v6 hit', 'v6 miss'];

function matcherBodies(trust, paTrust, faTrust, addrs) {
  return {
    ours: (n) => {
      let hits = 0;
      for (let i = 0; i < n; i++) {
        const a = addrs[i & (POOL - 1)];
        if (isTrusted(trust, parseIp(a, 0, a.length), 0)) hits++;
      }
      return hits;
    },
    proxyAddr: (n) => {
      let hits = 0;
      for (let i = 0; i < n; i++) if (paTrust(addrs[i & (POOL - 1)], 0)) hits++;
      return hits;
    },
    fastify: (n) => {
      let hits = 0;
      for (let i = 0; i < n; i++) if (faTrust(addrs[i & (POOL - 1)], 0)) hits++;
      return hits;
    },
  };
}

function chainRequests(hops, family, next) {
  const out = [];
  for (let i = 0; i < 64; i++) {
    const client = family === 6 ? publicV6(next) : publicV4(next);
    const items = [client];
    for (let k = 1; k < hops; k++) items.push(privateV4(next));
    const header = hops === 0 ? undefined : items.join(', ');
    const headers = header === undefined ? {} : { 'x-forwarded-for': header };
    const socket = { remoteAddress: '::ffff:127.0.0.1' };
    out.push({ client: hops === 0 ? '127.0.0.1' : client, header, req: { headers, socket, connection: socket }, request: { remoteAddress: socket.remoteAddress, headers } });
  }
  return out;
}

export async function run(mode, settings, log = () => {}) {
  const next = rng(0x5eed);
  const budget = { budgetMs: settings.budgetMs, maxIterations: settings.maxIterations };
  const matcher = [];
  const compile = [];
  const disagreements = [];
  const master = masterList(Math.max(...settings.sizes), next);
  const masterTrust = compileTrust(master.map((e) => e.text));
  // Misses are drawn once, outside the biggest list, so every size is asked the very same addresses.
  const misses = Object.fromEntries(CASES.filter((k) => k.endsWith('miss')).map((k) => [k, addressesFor(k, master, masterTrust, next)]));
  for (const size of settings.sizes) {
    const entries = master.slice(0, size);
    const texts = entries.map((e) => e.text);
    const trust = compileTrust(texts);
    const paTrust = proxyaddr.compile(texts);
    const faTrust = fastifyProxyAddr.compile(texts);
    compile.push({
      size,
      ours: timeOnce(() => compileTrust(texts), settings.compileRepeats),
      proxyAddr: timeOnce(() => proxyaddr.compile(texts), settings.compileRepeats),
      fastify: timeOnce(() => fastifyProxyAddr.compile(texts), settings.compileRepeats),
    });
    for (const kind of CASES) {
      const addrs = kind.endsWith('miss') ? misses[kind] : addressesFor(kind, entries, masterTrust, next);
      if (addrs === null) continue;
      const bodies = matcherBodies(trust, paTrust, faTrust, addrs);
      // proxy-addr needs milliseconds per call on the longest lists: check it on fewer addresses there.
      const checked = size >= 1000 ? 16 : POOL;
      const answers = Object.fromEntries(Object.entries(bodies).map(([k, body]) => [k, body(k === 'ours' ? POOL : checked)]));
      answers.ours = (answers.ours / POOL) * checked;
      const expected = kind.endsWith('hit') ? checked : 0;
      if (answers.ours !== expected || answers.proxyAddr !== expected || answers.fastify !== expected) {
        disagreements.push({ size, kind, expected, ...answers });
      }
      matcher.push({ size, kind, timed: Object.fromEntries(Object.entries(bodies).map(([k, body]) => [k, new Timed(body, budget)])) });
    }
  }
  // One untimed pass over every case first, so no case pays for the feedback another one adds; then
  // every size, case and implementation is timed in interleaved passes.
  for (const row of matcher) row.timed.ours.body(POOL * 16);
  measureAll(matcher.flatMap((row) => Object.values(row.timed)), settings.passes);
  for (const row of matcher) {
    for (const [k, t] of Object.entries(row.timed)) row[k] = t.ns;
    delete row.timed;
  }
  log('matcher done');

  // Whole resolution: socket '::ffff:127.0.0.1' (a dual-stack listener), trust 'loopback, 10.0.0.0/8',
  // X-Forwarded-For with the client and hops-1 trusted 10.x proxies.
  const trust = compileTrust('loopback, 10.0.0.0/8');
  const paTrust = proxyaddr.compile(['loopback', '10.0.0.0/8']);
  const faTrust = fastifyProxyAddr.compile(['loopback', '10.0.0.0/8']);
  const chains = [];
  const chainBudget = { budgetMs: settings.chainBudgetMs, maxIterations: settings.maxIterations };
  for (const hops of [0, 1, 2, 4, 8]) {
    for (const family of hops === 0 ? [4] : [4, 6]) {
      const reqs = chainRequests(hops, family, next);
      for (const r of reqs) {
        const got = [walkChain(trust, r.request.remoteAddress, r.header, MODE_XFF), resolveClient(trust, r.request).ip, proxyaddr(r.req, paTrust), fastifyProxyAddr(r.req, faTrust)];
        // proxy-addr reports the mapped socket text as it is; we report it as IPv4.
        const want = hops === 0 ? ['127.0.0.1', '127.0.0.1', '::ffff:127.0.0.1', '::ffff:127.0.0.1'] : [r.client, r.client, r.client, r.client];
        if (got.some((g, k) => g !== want[k])) disagreements.push({ hops, family, got, want });
      }
      const bodies = {
        walk: (n) => {
          let len = 0;
          for (let i = 0; i < n; i++) {
            const r = reqs[i & 63];
            len += walkChain(trust, r.request.remoteAddress, r.header, MODE_XFF).length;
          }
          return len;
        },
        resolveClient: (n) => {
          let len = 0;
          for (let i = 0; i < n; i++) len += resolveClient(trust, reqs[i & 63].request).ip.length;
          return len;
        },
        proxyAddr: (n) => {
          let len = 0;
          for (let i = 0; i < n; i++) len += proxyaddr(reqs[i & 63].req, paTrust).length;
          return len;
        },
        fastify: (n) => {
          let len = 0;
          for (let i = 0; i < n; i++) len += fastifyProxyAddr(reqs[i & 63].req, faTrust).length;
          return len;
        },
      };
      chains.push({ hops, family, timed: Object.fromEntries(Object.entries(bodies).map(([k, body]) => [k, new Timed(body, chainBudget)])) });
    }
  }
  measureAll(chains.flatMap((row) => Object.values(row.timed)), settings.passes);
  for (const row of chains) {
    for (const [k, t] of Object.entries(row.timed)) row[k] = t.ns;
    delete row.timed;
  }
  log('chains done');
  return { settings, matcher, compile, chains, disagreements };
}
